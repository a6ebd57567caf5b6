"""Law as data: the ward calendar, 延滞金, 時効, procedural deadlines and the case-view law columns.

Every rate, threshold and period is read from ``parameters/law/*.yaml`` via :mod:`kokuho_nb.params`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from kokuho_nb import params
from kokuho_nb.law._params import key as params_key
from kokuho_nb.law.entaikin import rate_gap


def rate_gap_notice(as_of: dt.date) -> str | None:
    """The Japanese notice to show beside figures of the case view as of ``as_of`` when a 延滞金 rate is missing.

    None when every calendar year that can carry 延滞金 up to ``as_of`` has its rates in
    ``parameters/law/entaikin.yaml``; otherwise one sentence (``law.rate_gap.notice``) naming the year and the
    day the case view's 延滞金 is accrued to. Cached per date and parameter contents: a rate added to the file
    (even in a running process) is seen on the next call.
    """
    day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    params.refresh()  # the rates as they are now (a year's rate may have been added meanwhile)
    return _notice(day, params_key())


@lru_cache(maxsize=64)
def _notice(day: dt.date, key: str) -> str | None:
    del key  # the state of the parameter files: part of the cache key only
    gap = rate_gap(day)
    return gap.notice() if gap is not None else None
