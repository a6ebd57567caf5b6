"""Cached parameter lookup for the law module (the rules are read thousands of times per case view).

The cache key includes the parameters folder, so ``KOKUHO_PARAMETERS`` switches are honoured; call
:func:`clear_cache` after editing a parameter file in a running process.
"""

from __future__ import annotations

from functools import lru_cache

from kokuho_nb.params import Parameter, parameter, parameters_dir


@lru_cache(maxsize=256)
def _cached(name: str, folder: str) -> Parameter:
    del folder
    return parameter(name)


def lp(name: str) -> Parameter:
    """:func:`kokuho_nb.params.parameter`, cached per parameters folder."""
    return _cached(name, str(parameters_dir()))


def clear_cache() -> None:
    _cached.cache_clear()
    from kokuho_nb.law import calendar, entaikin

    calendar._closed_days_of_year.cache_clear()
    calendar._rules.cache_clear()
    entaikin._rate_cached.cache_clear()
    entaikin._has_rates_cached.cache_clear()
