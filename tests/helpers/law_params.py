"""Parameter folders for law tests: a copy of parameters/ with the 延滞金 rates up to a year only, and adding the
next year's rate in place (as the ward would, while a process runs)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import yaml

from kokuho_nb.params import REPO_ROOT

RATES_2027 = ("0.028", "0.091")


def set_rate(folder: Path, year: int = 2027, rates: tuple[str, str] | None = None) -> Path:
    """Edit ``folder/law/entaikin.yaml`` as the ward does each year: the 延滞金 rates (lower, higher) end with
    ``year``'s (then ``year + 1`` is null), or with ``year`` null when ``rates`` is None (a gap from ``year``)."""
    path = folder / "law" / "entaikin.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for i, key in enumerate(("rate_lower", "rate_higher")):
        values = {d: v for d, v in doc[key]["values"].items() if pd.Timestamp(d).year < year}
        values[dt.date(year, 1, 1)] = {"value": None if rates is None else float(rates[i])}
        if rates is not None:
            values[dt.date(year + 1, 1, 1)] = {"value": None}
        doc[key]["values"] = values
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def law_parameters(dest: Path, year: int = 2027, rates: tuple[str, str] | None = None) -> Path:
    """A copy of ``parameters/`` with :func:`set_rate` applied: the tests do not depend on which years the
    repository's file has rates for (the ward adds one every year)."""
    shutil.copytree(REPO_ROOT / "parameters", dest)
    return set_rate(dest, year, rates)
