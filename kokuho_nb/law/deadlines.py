"""Procedural deadlines of delinquency disposal, each a :class:`Deadline` with its legal reference.

- :func:`demand_latest`: the last day for the 督促状 — 20 days after the (shifted) due date, i.e. the 20th
  day counting the day after the due date as day 1.
- :func:`first_seizure`: the first day a seizure is possible — the 督促状 sending day is day 1 of the 10
  days; if not fully paid by the end of the 10th day (= sent + 9), seizure is possible from sent + 10.
- :func:`arrangement_end`: the end of a 分納誓約 (its number of monthly instalments), 換価の猶予 or 徴収猶予
  (1 year by default), counted from its first day as 民法143条 does.
- :func:`suspension_extinction`: the day at whose end a 執行停止 lasting 3 years extinguishes the debt
  (地方税法15条の7第4項; counted from the day after the suspension began).
- :func:`limitation`: the limitation date (時効完成日) as a deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kokuho_nb.era import fiscal_year_label, to_wareki
from kokuho_nb.labels import t
from kokuho_nb.law._params import lp as parameter
from kokuho_nb.law.calendar import add_months_minpo, next_business_day, shift_due_date
from kokuho_nb.law.caseview import law_instalments
from kokuho_nb.law.limitation import limitation_date
from kokuho_nb.params import Parameter

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    label: str  # Japanese
    reference: str  # the legal reference, Japanese

    @property
    def label_ja(self) -> str:
        return self.label

    @property
    def wareki(self) -> str:
        return to_wareki(self.date)

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "wareki": self.wareki, "label": self.label,
                "reference": self.reference}


def reference_text(param: Parameter, when: dt.date) -> str:
    ref = param.reference_at(when)
    if isinstance(ref, dict):
        return str(ref.get("title") or ref.get("href") or "")
    return "" if ref is None else str(ref)


def _p(name: str) -> Parameter:
    return parameter(f"law.deadlines.{name}")


def demand_latest(due: dt.date) -> Deadline:
    """The last day on which the 督促状 should be sent (納期限後20日以内)."""
    shifted = shift_due_date(due)
    param = _p("demand_within_days")
    days = int(param.at(shifted))
    return Deadline(shifted + dt.timedelta(days=days), t("law.deadlines.demand_latest"),
                    reference_text(param, shifted))


def first_seizure(demand_sent: dt.date) -> Deadline:
    """The first day a seizure is possible after a 督促状 sent on ``demand_sent`` (if still unpaid)."""
    param = _p("seizure_after_days")
    days = int(param.at(demand_sent))
    last_grace_day = demand_sent + dt.timedelta(days=days - 1)  # the 10th day, counting the sending day
    if bool(_p("seizure_period_extends_on_holiday").at(demand_sent)):
        last_grace_day = next_business_day(last_grace_day)
    return Deadline(last_grace_day + ONE_DAY, t("law.deadlines.first_seizure"),
                    reference_text(param, demand_sent))


def arrangement_end(kind: str, start: dt.date, *, instalments: int | None = None,
                    months: int | None = None) -> Deadline:
    """The last day of a 分納誓約 / 換価の猶予 / 徴収猶予 beginning on ``start`` (its first day).

    ``分納誓約``: ``instalments`` monthly payments (months per instalment is a parameter);
    ``換価の猶予`` / ``徴収猶予``: ``months`` or the statutory 1 year from the parameters.
    """
    if kind == "分納誓約":
        param = _p("bunno_reference")
        if months is None:
            if not instalments or instalments <= 0:
                raise ValueError("a 分納誓約 needs its number of instalments")
            months = int(param.at(start)) * int(instalments)
        label = t("law.deadlines.bunno_end")
    elif kind == "換価の猶予":
        param = _p("kanka_yuyo_months")
        months = int(param.at(start)) if months is None else months
        label = t("law.deadlines.kanka_yuyo_end")
    elif kind == "徴収猶予":
        param = _p("choshu_yuyo_months")
        months = int(param.at(start)) if months is None else months
        label = t("law.deadlines.choshu_yuyo_end")
    else:
        raise ValueError(f"unknown arrangement kind {kind!r}")
    return Deadline(add_months_minpo(start, months), label, reference_text(param, start))


def suspension_extinction(start: dt.date) -> Deadline:
    """The day at whose end a 執行停止 begun on ``start`` has lasted 3 years (the debt is extinguished)."""
    param = _p("suspension_extinction_years")
    years = int(param.at(start))
    return Deadline(add_months_minpo(start + ONE_DAY, 12 * years), t("law.deadlines.suspension_extinction"),
                    reference_text(param, start))


def limitation(due: dt.date, renewals: Iterable[Any] = ()) -> Deadline:
    """The limitation date (時効完成日) of an instalment, as a deadline."""
    param = parameter("law.limitation.period_years")
    return Deadline(limitation_date(due, renewals), t("law.deadlines.limitation"),
                    reference_text(param, due))


def household_deadlines(ledger: Any, household_id: str, as_of: dt.date) -> list[Deadline]:
    """Every legal deadline of one household as of ``as_of``, sorted by date (for a case page).

    Per unpaid overdue instalment: the 督促状 deadline when no 督促状 is recorded, the first seizure date,
    the limitation date; per arrangement in force (分納誓約 with its number of instalments, 換価の猶予):
    its end; per 執行停止 in force: its extinction date. Labels carry the instalment (年度・期別). An instalment
    already past its limitation date shows only that date.
    """

    def only(df: Any) -> Any:
        return df[df["household_id"] == household_id] if "household_id" in df.columns else df

    tables = {name: only(df) for name, df in ledger.tables().items()} if hasattr(ledger, "tables") else {
        name: only(getattr(ledger, name)) for name in ("households", "charges", "payments", "dispositions",
                                                        "contacts") if hasattr(ledger, name)}
    small = type(ledger)(**tables)
    out: list[Deadline] = []
    inst = law_instalments(small, as_of)
    for r in inst[inst["unpaid"] > 0].itertuples(index=False):
        if r.due_shifted.date() >= as_of:
            continue
        tag = t("law.deadlines.instalment_tag", fy=fiscal_year_label(int(r.fiscal_year)), n=int(r.instalment))
        if r.expired:  # past its limitation: only the limitation date matters (write-off)
            pass
        elif r.demand_sent_date is None or r.demand_sent_date != r.demand_sent_date:  # NaT
            d = demand_latest(r.due_date.date())
            out.append(Deadline(d.date, f"{tag} {d.label}", d.reference))
        else:
            d = first_seizure(r.demand_sent_date.date())
            out.append(Deadline(d.date, f"{tag} {d.label}", d.reference))
        if r.limitation_date == r.limitation_date:  # not NaT
            param = parameter("law.limitation.period_years")
            out.append(Deadline(r.limitation_date.date(), f"{tag} {t('law.deadlines.limitation')}",
                                reference_text(param, as_of)))
    disp = tables.get("dispositions")
    if disp is not None and len(disp):
        live = disp[disp["start_date"].notna() & (disp["start_date"] <= pd.Timestamp(as_of))
                    & (disp["state"].fillna("継続") == "継続")]
        for r in live.itertuples(index=False):
            start = r.start_date.date()
            if r.kind == "執行停止":
                out.append(suspension_extinction(start))
            elif r.kind == "換価の猶予":
                out.append(arrangement_end("換価の猶予", start))
            elif r.kind == "分納誓約":
                n = getattr(r, "instalments_count", None)
                if n is not None and n == n and int(n) > 0:
                    out.append(arrangement_end("分納誓約", start, instalments=int(n)))
    return sorted(out, key=lambda d: (d.date, d.label))
