"""Japanese era (和暦) dates: parsing what users and ledgers write, and formatting for display.

Accepted date forms (after NFKC, so full-width digits work): ``2024-04-01``, ``2024/4/1``, ``2024.4.1``,
``2024年4月1日``, ``R6.4.1``, ``R6/4/1``, ``令和6年4月1日``, ``令和元年5月1日``, ``H30.4.1``, ``平成30年4月1日``,
``S64.1.7``. An era date outside its era (``令和元年4月30日``, ``平成31年5月1日``) is rejected.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start: dt.date
    end: dt.date | None  # last day, inclusive


ERAS: tuple[Era, ...] = (
    Era("令和", "R", dt.date(2019, 5, 1), None),
    Era("平成", "H", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("昭和", "S", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
)
_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS} | {e.letter.lower(): e for e in ERAS}

_ERA_RE = re.compile(
    r"^(?P<era>令和|平成|昭和|[RHSrhs])\s*(?P<y>元|\d{1,2})\s*(?:[.\-/年]\s*)(?P<m>\d{1,2})\s*(?:[.\-/月]\s*)"
    r"(?P<d>\d{1,2})\s*日?$"
)
_WEST_RE = re.compile(r"^(?P<y>\d{4})\s*[.\-/年]\s*(?P<m>\d{1,2})\s*[.\-/月]\s*(?P<d>\d{1,2})\s*日?$")
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_FY_RE = re.compile(r"^(?:(?P<era>令和|平成|昭和|[RHSrhs])\s*(?P<ey>元|\d{1,2})|(?P<y>\d{4}))\s*(?:年度|年)?$")


class EraDateError(ValueError):
    """A date string that cannot be read; the message is Japanese."""


def normalize_text(text: str) -> str:
    """NFKC (full-width digits/letters to half-width) and trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def _era_year(era: Era, year_text: str) -> int:
    n = 1 if year_text == "元" else int(year_text)
    if n < 1:
        raise EraDateError(f"{era.name}{year_text}年は存在しません")
    return era.start.year + n - 1


def parse_date(text: str) -> dt.date:
    """Parse a date in any accepted form; :class:`EraDateError` (Japanese message) if it is not one."""
    s = normalize_text(str(text))
    if not s:
        raise EraDateError("日付が空です")
    m = _ERA_RE.match(s)
    if m:
        era = _BY_KEY[m["era"]]
        year = _era_year(era, m["y"])
        try:
            day = dt.date(year, int(m["m"]), int(m["d"]))
        except ValueError as exc:
            raise EraDateError(f"日付「{text}」は存在しない日付です") from exc
        if day < era.start or (era.end is not None and day > era.end):
            raise EraDateError(f"日付「{text}」は{era.name}の期間外です")
        return day
    m = _WEST_RE.match(s) or _COMPACT_RE.match(s)
    if m:
        try:
            return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError as exc:
            raise EraDateError(f"日付「{text}」は存在しない日付です") from exc
    raise EraDateError(f"日付「{text}」を読み取れません（例: 2024-04-01、R6.4.1、令和6年4月1日）")


def parse_fiscal_year(text: str | int) -> int:
    """Parse a fiscal year: ``2024``, ``R6``, ``令和6``, ``令和6年度``, ``令和元年度``, ``H30``."""
    if isinstance(text, int):
        return text
    s = normalize_text(str(text))
    m = _FY_RE.match(s)
    if not m:
        raise EraDateError(f"年度「{text}」を読み取れません（例: 2024、R6、令和6年度）")
    if m["y"]:
        return int(m["y"])
    return _era_year(_BY_KEY[m["era"]], m["ey"])


def era_of(day: dt.date) -> Era:
    for era in ERAS:
        if day >= era.start and (era.end is None or day <= era.end):
            return era
    raise ValueError(f"no supported era for {day}")


def _era_year_text(day: dt.date, era: Era) -> str:
    n = day.year - era.start.year + 1
    return "元" if n == 1 else str(n)


def to_wareki(day: dt.date) -> str:
    """``2026-07-31`` -> ``令和8年7月31日`` (year 1 as 元年)."""
    era = era_of(day)
    return f"{era.name}{_era_year_text(day, era)}年{day.month}月{day.day}日"


def to_wareki_short(day: dt.date) -> str:
    """``2026-07-31`` -> ``R8.7.31``."""
    era = era_of(day)
    return f"{era.letter}{day.year - era.start.year + 1}.{day.month}.{day.day}"


def fiscal_year_label(fiscal_year: int) -> str:
    """``2024`` -> ``令和6年度`` (the era of the year's April 1; FY2019 -> 令和元年度 by convention)."""
    if fiscal_year >= 2019:
        n = fiscal_year - 2018
        return f"令和{'元' if n == 1 else n}年度"
    if fiscal_year >= 1989:
        return f"平成{fiscal_year - 1988}年度"
    return f"昭和{fiscal_year - 1925}年度"
