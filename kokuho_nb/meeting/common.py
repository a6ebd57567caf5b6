"""Shared pieces of the meeting pack: months, the section record, parameter look-ups."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kokuho_nb.params import load_yaml, parameter

# One definition of a month for the whole suite (the target lists own it).
from kokuho_nb.targets.months import (  # noqa: F401 (re-exported)
    add_months,
    month_end,
    month_of,
    month_start,
    parse_month,
)


def month_label(month: str) -> str:
    """``2026-11`` -> ``令和8年11月``."""
    from kokuho_nb.era import to_wareki

    start = month_start(month)
    text = to_wareki(start)  # e.g. 令和8年11月1日
    return text[: text.index("月") + 1]


def activity_year(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The activity year (first and last day) containing ``as_of`` (start month from meeting.yaml)."""
    start_month = int(meeting_config()["activity_year_start_month"]["value"])
    year = as_of.year if as_of.month >= start_month else as_of.year - 1
    start = dt.date(year, start_month, 1)
    end_year = year + 1 if start_month > 1 else year
    end_month = start_month - 1 if start_month > 1 else 12
    return start, dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])


def meeting_config() -> dict[str, Any]:
    return load_yaml("meeting.yaml")


def threshold(name: str, on: dt.date) -> Any:
    return parameter(f"meeting.thresholds.{name}").at(on)


def decision_types() -> list[dict[str, Any]]:
    return list(meeting_config()["decision_types"])


@dataclass
class Table:
    """A display table: Japanese column headers, raw values (formatting happens when rendering)."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    printed: bool = True  # False: Excel only (long detail tables)


@dataclass
class Chart:
    key: str
    title: str
    png: bytes  # the same image in HTML and PDF (print resolution)

    @property
    def uri(self) -> str:
        import base64

        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    """One section of the pack: a one-line conclusion with the figure behind it, then tables and charts."""

    number: int
    key: str
    title: str
    conclusion: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    landscape: bool = False  # printed on A4 landscape pages (wide tables)

    def table(self, key: str) -> pd.DataFrame:
        for tab in self.tables:
            if tab.key == key:
                return tab.frame
        raise KeyError(key)


def oku(yen: float) -> str:
    """Yen as 億円 with two decimals (``3600000000`` -> ``36.00億円``)."""
    return f"{yen / 1e8:,.2f}億円"


def pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}%"
