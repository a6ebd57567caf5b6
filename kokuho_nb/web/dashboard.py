"""会議ダッシュボード: the meeting pack's figures for a chosen month, in the browser.

The figures come from the meeting module (:mod:`kokuho_nb.meeting`): month-end collection figures from
:class:`kokuho_nb.meeting.figures.ChargeBook`, section 1 (重点目標) from ``build_key_targets``; the month's
activity is counted from the contacts, and the arrears analysis (stage × amount band) from the case view as
of the month end. Everything but :func:`build` is plain pandas (unit-testable without a kernel).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kokuho_nb.cases import cached_case_view
from kokuho_nb.contract import codes
from kokuho_nb.format import percent, yen
from kokuho_nb.labels import t
from kokuho_nb.meeting.figures import ChargeBook, monthly_figures
from kokuho_nb.meeting.key_targets import build_key_targets
from kokuho_nb.meeting.render import table_html as pack_table_html
from kokuho_nb.months import Month
from kokuho_nb.web import data as webdata
from kokuho_nb.web.common import esc, header_html, safe_callback, table_html
from kokuho_nb.web.pack_cache import get_pack

log = logging.getLogger("kokuho_nb.web")

MONTHS_SHOWN = 12


def months_available(as_of: dt.date, n: int = MONTHS_SHOWN) -> list[str]:
    """The last ``n`` months up to the snapshot's month, newest last."""
    out = []
    y, m = as_of.year, as_of.month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_day(month: str, as_of: dt.date) -> dt.date:
    """The day a month is measured on: its last day, or the snapshot date within the snapshot's month."""
    return min(Month.parse(month).end, as_of)


def activity_counts(contacts: pd.DataFrame, month: str) -> pd.DataFrame:
    """Contacts in the month by method: ``method, count`` (every method of the contract, zeros included)."""
    methods = list(codes().method.all())
    if contacts is None or contacts.empty:
        counts = pd.Series(0, index=methods)
    else:
        dates = pd.to_datetime(contacts["date"])
        start = pd.Timestamp(f"{month}-01")
        end = pd.Timestamp(Month.parse(month).end) + pd.Timedelta(days=1)
        sel = contacts[(dates >= start) & (dates < end)]
        counts = sel["method"].astype("string").value_counts().reindex(methods, fill_value=0)
        extra = sel["method"].astype("string").value_counts().drop(methods, errors="ignore")
        counts = pd.concat([counts, extra])
    return pd.DataFrame({"method": counts.index.astype(str), "count": counts.to_numpy().astype(int)})


def stage_band(view: pd.DataFrame) -> pd.DataFrame:
    """Households and yen with arrears by stage × amount band (the plan's own analysis)."""
    arrears = view[view["total_arrears"] > 0]
    grouped = arrears.groupby(["stage", "amount_band"], observed=True).agg(
        households=("household_id", "size"), amount=("total_arrears", "sum")).reset_index()
    return grouped.sort_values(["stage", "amount_band"]).reset_index(drop=True)


@dataclass
class MonthFigures:
    month: str
    day: dt.date
    figures: dict[str, Any]  # ChargeBook.figures(day)
    section: Any | None  # meeting Section 1 (None when it cannot be built)
    activity: pd.DataFrame
    analysis: pd.DataFrame
    pack_html: str = ""  # the meeting pack's six sections, for a month the store has a snapshot of


class Dashboard:
    """Figures per month for one snapshot, computed on demand and cached."""

    def __init__(self, page_data: webdata.PageData) -> None:
        self.pd = page_data
        led = page_data.ledger
        self.book = ChargeBook(led.charges, led.payments, led.households)
        self.months = months_available(page_data.as_of)
        self._cache: dict[str, MonthFigures] = {}

    def month(self, month: str) -> MonthFigures:
        if month not in self._cache:
            self._cache[month] = self._compute(month)
        return self._cache[month]

    def _compute(self, month: str) -> MonthFigures:
        day = month_day(month, self.pd.as_of)
        days = [month_day(m, self.pd.as_of) for m in self.months if m <= month]
        monthly = monthly_figures(self.book, days)
        section = None
        try:
            section = build_key_targets(monthly)
        except Exception as exc:  # noqa: BLE001 - the KPIs still show; the log says why
            log.warning("dashboard: section 1 for %s not built: %s", month, exc, exc_info=exc)
        if day == self.pd.as_of:
            view = self.pd.case_view()
        else:
            view = cached_case_view(self.pd.ledger, day, store=self.pd.store, with_law=False)
        return MonthFigures(month=month, day=day, figures=self.book.figures(day), section=section,
                            activity=activity_counts(self.pd.ledger.contacts, month),
                            analysis=stage_band(view), pack_html=self._pack_html(month))

    def _pack_html(self, month: str) -> str:
        """The meeting pack's sections for the snapshot's month (the pack needs a snapshot as of the month), from
        the store's pack cache (:mod:`kokuho_nb.web.pack_cache`; built there on a miss)."""
        if month != str(Month.of(self.pd.as_of)):
            return ""
        try:
            got = get_pack(month, self.pd.store, synthetic=self.pd.synthetic)
            log.info("dashboard: meeting pack %s %s in %.1f s (key %s)", month,
                     "from the cache" if got.hit else "built", got.seconds, got.key)
            return pack_sections_html(got.pack)
        except Exception as exc:  # noqa: BLE001 - the page's own figures still show; the log says why
            log.warning("dashboard: meeting pack for %s not built: %s", month, exc, exc_info=exc)
            return ""


def kpi_html(fig: dict[str, Any]) -> str:
    def kpi(key: str, label: str, value: str) -> str:
        return (f'<div class="kokuho-kpi" data-kpi="{key}"><div class="label">{esc(label)}</div>'
                f'<div class="value">{esc(value)}</div></div>')

    def rate(x: float) -> str:
        return percent(x)  # 収納率 in percentage points

    return ('<div class="kokuho-kpis">'
            + kpi("unpaid", t("web.dashboard.unpaid"), yen(fig["unpaid"]))
            + kpi("total_rate", t("web.dashboard.rate_total"), rate(fig["total_rate"]))
            + kpi("current_rate", t("web.dashboard.rate_current"), rate(fig["current_rate"]))
            + kpi("carried_rate", t("web.dashboard.rate_carried"), rate(fig["carried_rate"]))
            + "</div>")


def pack_sections_html(pack: Any) -> str:
    """The pack's sections: number, title, one-line conclusion, charts, tables (each section folds)."""
    parts = [f'<div class="kokuho-pack" data-sections="{len(pack.sections)}">']
    for sec in pack.sections:
        parts.append(f'<details class="kokuho-section" data-section="{esc(sec.key)}" open>'
                     f"<summary><b>{sec.number}. {esc(sec.title)}</b></summary>"
                     f'<p class="kokuho-conclusion">{esc(sec.conclusion)}</p>')
        for chart in sec.charts:
            parts.append(chart_html(chart))
        for tab in sec.tables:
            if not getattr(tab, "printed", True):
                continue
            parts.append(f"<h3>{esc(tab.title)}</h3>{pack_table_html(tab)}")
            if tab.note:
                parts.append(f'<p class="kokuho-note">{esc(tab.note)}</p>')
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def month_html(mf: MonthFigures) -> str:
    parts = [f'<div class="kokuho-month" data-month="{esc(mf.month)}" data-day="{mf.day.isoformat()}" '
             f'data-unpaid="{int(mf.figures["unpaid"])}">']
    parts.append(f"<h2>{esc(t('web.dashboard.kpi_title'))}（{esc(mf.day.isoformat())} 時点）</h2>")
    parts.append(kpi_html(mf.figures))
    if mf.pack_html:
        parts.append(mf.pack_html)
        parts.append("</div>")
        return "".join(parts)
    if mf.section is not None:
        parts.append(f'<p class="kokuho-conclusion">{esc(mf.section.conclusion)}</p>')
        for chart in mf.section.charts:
            parts.append(chart_html(chart))
    parts.append(f"<h2>{esc(t('web.dashboard.activity_title'))}（{esc(mf.month)}）</h2>")
    parts.append(table_html(mf.activity.to_dict("records"),
                            {"method": t("web.dashboard.activity_method"), "count": t("web.dashboard.activity_count")},
                            numeric={"count"}))
    parts.append(f"<h2>{esc(t('web.dashboard.analysis_title'))}</h2>")
    parts.append(table_html(mf.analysis.to_dict("records"),
                            {"stage": t("web.officer.columns.stage"), "amount_band": t("web.officer.columns.amount_band"),
                             "households": t("web.dashboard.households"), "amount": t("web.dashboard.amount")},
                            numeric={"households", "amount"}, formats={"amount": yen}))
    parts.append("</div>")
    return "".join(parts)


def chart_html(chart: Any) -> str:
    """A meeting chart inline: an image from its data URI (PNG), or the SVG document itself."""
    if getattr(chart, "uri", None):
        body = f'<img alt="{esc(chart.title)}" src="{chart.uri}" style="max-width: 900px; width: 100%;">'
    else:
        body = _inline_svg(getattr(chart, "svg", ""))
    return f'<div class="kokuho-chart" data-chart="{esc(chart.key)}">{body}</div>'


def _inline_svg(svg: str) -> str:
    """An SVG document made safe to inline (drop the XML prolog / doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def build(store: Any = None) -> Any:
    import ipywidgets as w

    pd_ = webdata.load(store)
    dash = Dashboard(pd_)
    latest = dash.months[-1]
    head = w.HTML(header_html(t("web.dashboard.title"), synthetic=pd_.synthetic, meta=pd_.meta, as_of=pd_.as_of))
    month = w.Dropdown(options=[(m, m) for m in dash.months], value=latest, description=t("web.dashboard.month"),
                       style={"description_width": "60px"}, layout=w.Layout(width="240px"))
    month.add_class("kokuho-month-select")
    body = w.HTML(month_html(dash.month(latest)))
    body.add_class("kokuho-dashboard-body")

    @safe_callback(body, "dashboard: month")
    def switch(_: Any = None) -> None:
        body.value = f'<p class="kokuho-loading-inline">{esc(t("web.common.loading"))}</p>'
        body.value = month_html(dash.month(month.value))

    month.observe(switch, names="value")
    page = w.VBox([head, month, body])
    page.add_class("kokuho-page")
    return page
