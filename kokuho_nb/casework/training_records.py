"""Training records: which required courses each new or transferred officer has done, and the year's 受講率.

A course counts as done when 研修記録.csv (``ledger.trainings``) has it for the officer on or before the
date, or when the officer passed an in-app exercise set on a flowchart mapped to that course
(``parameters/training/required_courses.yaml``). Courses are due by the end of the fiscal year in which the
officer started (assumption in the parameters).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import pandas as pd

from kokuho_nb.casework.attempts import sessions
from kokuho_nb.labels import t
from kokuho_nb.months import fiscal_year_of
from kokuho_nb.params import load_yaml
from kokuho_nb.store import Store

COLUMNS = ["officer_code", "officer_name", "team", "category", "start_date", "course", "provider", "done",
           "done_date", "source", "due_date", "status"]


def courses_spec() -> dict[str, Any]:
    return dict(load_yaml("training/required_courses.yaml"))


def course_key(name: Any) -> str:
    """Course names compared without width or spacing differences (e.g. full-width brackets, spaces)."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    return re.sub(r"\s+", "", text)


def _fy_end(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year + 1, 3, 31)


def _to_date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _app_passes(store: Store | None, as_of: dt.date) -> pd.DataFrame:
    """Passed in-app sessions up to ``as_of``: officer_code, flowchart_id, date."""
    empty = pd.DataFrame({"officer_code": pd.Series(dtype=str), "flowchart_id": pd.Series(dtype=str),
                          "date": pd.Series(dtype="datetime64[ns]")})
    if store is None:
        return empty
    s = sessions(store)
    s = s[s["passed"] & s["completed_at"].notna()]
    if s.empty:
        return empty
    out = pd.DataFrame({"officer_code": s["officer_code"].astype(str), "flowchart_id": s["flowchart_id"],
                        "date": s["completed_at"].dt.tz_convert("Asia/Tokyo").dt.tz_localize(None).dt.normalize()})
    return out[out["date"] <= pd.Timestamp(as_of)]


def training_status(ledger: Any, store: Store | None, as_of: dt.date) -> pd.DataFrame:
    """One row per (new/transferred officer, required course): done or due, the date and where it came from."""
    spec = courses_spec()
    staff = ledger.staff
    cats = list(spec["officer_categories"])
    officers = staff[staff["category"].astype("string").isin(cats)] if len(staff) else staff
    trainings = ledger.trainings
    recs = pd.DataFrame({
        "officer_code": trainings["officer_code"].astype(str) if len(trainings) else pd.Series(dtype=str),
        "key": trainings["course"].map(course_key) if len(trainings) else pd.Series(dtype=str),
        "date": pd.to_datetime(trainings["date"]) if len(trainings) else pd.Series(dtype="datetime64[ns]"),
    })
    recs = recs[recs["date"].notna() & (recs["date"] <= pd.Timestamp(as_of))]
    first_rec = recs.groupby(["officer_code", "key"])["date"].min()
    passes = _app_passes(store, as_of)
    first_pass = passes.groupby(["officer_code", "flowchart_id"])["date"].min()
    rows: list[dict[str, Any]] = []
    for _, off in officers.iterrows():
        code = str(off["officer_code"])
        start = _to_date(off.get("start_date"))
        due = _fy_end(fiscal_year_of(start) if start else fiscal_year_of(as_of))
        for course in spec["courses"]:
            keys = {course_key(course["name"]), *(course_key(a) for a in course.get("aliases", []))}
            rec_dates = [first_rec[(code, k)] for k in keys if (code, k) in first_rec.index]
            app_dates = [first_pass[(code, f)] for f in course.get("flowcharts", []) if (code, f) in first_pass.index]
            candidates = [(d, t("training.records.source_record")) for d in rec_dates] + \
                         [(d, t("training.records.source_app")) for d in app_dates]
            done = bool(candidates)
            done_date, source = min(candidates, key=lambda c: c[0]) if done else (pd.NaT, "")
            if done:
                status = t("training.records.done")
            elif as_of > due:
                status = t("training.records.overdue")
            else:
                status = t("training.records.due")
            rows.append({
                "officer_code": code, "officer_name": off.get("name", ""), "team": off.get("team", ""),
                "category": off.get("category"), "start_date": pd.Timestamp(start) if start else pd.NaT,
                "course": course["name"], "provider": course["provider"], "done": done,
                "done_date": pd.Timestamp(done_date) if done else pd.NaT, "source": source,
                "due_date": pd.Timestamp(due), "status": status,
            })
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["done"] = out["done"].astype(bool)
    return out


def completion_rate(ledger: Any, store: Store | None, fiscal_year: int) -> float:
    """受講率 of the year: officers who started (新任/転入) in ``fiscal_year``, courses done by its end (March 31).

    Basis per ``rate_basis`` in the parameters (share of officer×course pairs, or of officers with every
    course done). NaN when nobody is in scope.
    """
    spec = courses_spec()
    status = training_status(ledger, store, _fy_end(fiscal_year))
    if status.empty:
        return float("nan")
    starts = pd.to_datetime(status["start_date"])
    in_year = starts.isna() | starts.map(lambda d: pd.isna(d) or fiscal_year_of(d.date()) == fiscal_year)
    scoped = status[in_year.astype(bool)]
    if scoped.empty:
        return float("nan")
    if spec["rate_basis"]["value"] == "officer":
        return float(scoped.groupby("officer_code")["done"].all().mean())
    return float(scoped["done"].mean())


def target_rate() -> float:
    return float(courses_spec()["target_rate"]["value"])
