"""The calibrated synthetic ward (模擬データ): a complete standard ledger for demos and tests.

``generate(out_dir, seed=1, as_of=None, households=None, messy=False)`` simulates one deterministic timeline
for the seed (:mod:`kokuho_nb.synth.timeline`), cuts it at the as-of date (:mod:`kokuho_nb.synth.cut`) and
writes the eight files of the standard ledger (:mod:`kokuho_nb.synth.writer`, or
:mod:`kokuho_nb.synth.messy` for a realistic, messy export). ``calibration(seed)`` prints the seed's
figures beside the generated ones (:mod:`kokuho_nb.synth.calibration`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.months import current_fiscal_year
from kokuho_nb.synth.calibration import calibration
from kokuho_nb.synth.config import load_config
from kokuho_nb.synth.cut import cut
from kokuho_nb.synth.messy import write_messy
from kokuho_nb.synth.timeline import build_timeline
from kokuho_nb.synth.writer import write_ledger

__all__ = ["generate", "calibration", "ledger_at", "EARLIEST_AS_OF", "LATEST_AS_OF"]

EARLIEST_AS_OF = dt.date(2019, 6, 1)  # the first simulated fiscal year (FY2019) starts being carried over
LATEST_AS_OF = dt.date(2029, 5, 31)  # the year targets run to FY2028 (the plan's last year)


def _check_as_of(as_of: dt.date) -> None:
    if not (EARLIEST_AS_OF <= as_of <= LATEST_AS_OF):
        raise UserError(
            t("synth.bad_as_of", as_of=as_of.isoformat(), first=EARLIEST_AS_OF.isoformat(),
              last=LATEST_AS_OF.isoformat()),
            f"as-of date {as_of} outside {EARLIEST_AS_OF}..{LATEST_AS_OF}",
        )


def ledger_at(seed: int = 1, as_of: dt.date | None = None, households: int | None = None, *,
              retain: str = "ledger", progress: Callable[[str], None] | None = None,
              categorical_ids: bool = False):
    """The synthetic ward's canonical tables on ``as_of`` (a :class:`kokuho_nb.store.tables.Ledger`), without
    writing files — what importing ``generate(...)``'s output gives, for tests and notebooks."""

    as_of = as_of or dt.date.today()
    _check_as_of(as_of)
    if households is not None and households < 100:
        raise UserError(t("synth.too_small", households=households), "households must be >= 100")
    tl = build_timeline(seed=seed, households=households, last_year=current_fiscal_year(as_of), progress=progress)
    return cut(tl, as_of, retain=retain, categorical_ids=categorical_ids)  # type: ignore[arg-type]


def generate(out_dir: str | Path, *, seed: int = 1, as_of: dt.date | None = None, households: int | None = None,
             messy: bool = False, progress: Callable[[str], None] | None = None) -> Path:
    """Write the synthetic ward's ledger as of ``as_of`` (default: today) into ``out_dir``; return the folder.

    Byte-identical for the same arguments. ``households`` defaults to the parameter file's default
    (100,000). ``messy=True`` writes the same ward as a real export arrives (CP932, era dates, full-width
    digits, …) plus the known bad rows listed in ``_messy_manifest.json`` (see :mod:`kokuho_nb.synth.messy`).
    """

    as_of = as_of or dt.date.today()
    ledger = ledger_at(seed, as_of, households, progress=progress, categorical_ids=not messy)
    out = Path(out_dir)
    if progress:
        progress("write")
    if messy:
        write_messy(ledger, out, as_of)
        (out / "模擬データ.txt").write_text(t("common.synthetic_banner") + "\n", encoding="utf-8")
    else:
        write_ledger(ledger, out, t("common.synthetic_banner"))
    return out


def default_households() -> int:
    return load_config().default_households
