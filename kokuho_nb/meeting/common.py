"""Shared pieces of the meeting pack: the section record, display formats, parameter look-ups."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kokuho_nb.params import load_yaml, parameter


def meeting_config() -> dict[str, Any]:
    return load_yaml("meeting.yaml")


def threshold(name: str, on: dt.date) -> Any:
    return parameter(f"meeting.thresholds.{name}").at(on)


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
