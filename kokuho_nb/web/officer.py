"""担当者ページ: choose an officer -> their current list (filters by reason, stage and status), this month's
progress, and their workbook.

The list is the month's issued target list when :mod:`kokuho_nb.targets` has one in the store; until then,
the cases of the officer's areas with arrears from the case view. The status of each case comes from the
contacts recorded in the month (ledger 折衝記録 and ingested returns). Everything here except
:func:`build` is plain pandas and unit-testable without a kernel.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kokuho_nb.casework import issued
from kokuho_nb.casework.contacts import accepted_contacts, reached_results, undertaking_results
from kokuho_nb.contract import codes
from kokuho_nb.format import yen
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.store import Store
from kokuho_nb.web import data as webdata
from kokuho_nb.web.common import esc, header_html, safe_callback, table_html

log = logging.getLogger("kokuho_nb.web")

STATUS_KEYS = ("open", "contacted", "promised", "not_reached")
LIST_COLUMNS = ["household_id", "area", "stage", "amount_band", "total_arrears", "reason", "next_action",
                "priority"]
SHOW_ROWS = 300  # rows rendered in the browser; the workbook has them all
ALL = "__all__"


@dataclass
class OfficerList:
    officer_code: str
    month: str
    frame: pd.DataFrame  # LIST_COLUMNS + status, last_result
    source: str  # Japanese: where the list comes from


def officer_choices(staff: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, officer_code) for every officer with areas, ordered by code."""
    if staff is None or staff.empty:
        return []
    frame = staff.copy()
    if "areas" in frame.columns:
        frame = frame[frame["areas"].fillna("").astype(str).str.strip() != ""]
    frame = frame.sort_values("officer_code")
    out = []
    for row in frame.itertuples(index=False):
        team = getattr(row, "team", None)
        team = f"（{team}）" if isinstance(team, str) and team else ""
        out.append((f"{row.officer_code} {getattr(row, 'name', '') or ''}{team}".strip(), str(row.officer_code)))
    return out


def case_view_list(view: pd.DataFrame, officer_code: str) -> pd.DataFrame:
    """The officer's cases with arrears, by the case view (the list before one is issued)."""
    mine = view[(view["officer_code"].astype("string") == officer_code) & (view["total_arrears"] > 0)]
    frame = pd.DataFrame({
        "household_id": mine["household_id"].astype("string"),
        "area": mine["area"].astype("string"),
        "stage": mine["stage"].astype("string"),
        "amount_band": mine["amount_band"].astype("string"),
        "total_arrears": mine["total_arrears"].astype("int64"),
    })
    frame["reason"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["next_action"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["priority"] = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    return frame.sort_values(["total_arrears", "household_id"], ascending=[False, True]).reset_index(drop=True)


def issued_list(store: Store, month: str, officer_code: str) -> pd.DataFrame | None:
    """The month's issued list of the officer (latest revision), or None."""
    m = Month.parse(month)
    revision = issued.current_revision(store, m)
    if not revision or officer_code not in issued.officer_lists(store, m, revision):
        return None
    return normalise_issued(issued.load_items(store, m, officer_code, revision))


def issued_months(store: Store) -> list[str]:
    """Months with issued officer lists, oldest first."""
    rows = issued.db(store).execute("SELECT DISTINCT month FROM target_issues WHERE kind = 'officer' ORDER BY month")
    return [r[0] for r in rows.fetchall()]


def normalise_issued(frame: pd.DataFrame) -> pd.DataFrame:
    """Bring an issued list to LIST_COLUMNS: reason codes ';'-joined, reason/action labels in Japanese."""
    out = pd.DataFrame(index=frame.index)
    for column in LIST_COLUMNS:
        out[column] = frame[column] if column in frame.columns else pd.NA
    if "reasons" in frame.columns:
        out["reason"] = frame["reasons"]
    out["reason"] = out["reason"].map(
        lambda r: ";".join(map(str, r)) if isinstance(r, list | tuple) else r).astype("string")
    out["next_action"] = out["next_action"].map(action_label).astype("string")
    out["total_arrears"] = pd.to_numeric(out["total_arrears"]).astype("int64")
    out["priority"] = pd.to_numeric(out["priority"]).astype("Float64")
    return out.reset_index(drop=True)


def _label(kind: str, code: Any) -> Any:
    if code is None or code is pd.NA or (isinstance(code, float) and pd.isna(code)) or code == "":
        return code
    try:
        return t(f"targets.{kind}.{code}")
    except (KeyError, FileNotFoundError):
        return str(code)


def reason_label(code: str) -> str:
    return str(_label("reasons", code))


def action_label(code: Any) -> Any:
    return _label("actions", code)


def month_contacts(contacts: pd.DataFrame, month: str) -> pd.DataFrame:
    """Contacts dated in ``month`` (YYYY-MM), ordered by date."""
    if contacts is None or contacts.empty:
        return pd.DataFrame(columns=["household_id", "date", "method", "result"])
    start = pd.Timestamp(f"{month}-01")
    end = pd.Timestamp(Month.parse(month).end) + pd.Timedelta(days=1)
    dates = pd.to_datetime(contacts["date"])
    sel = contacts[(dates >= start) & (dates < end)]
    return sel.sort_values("date", kind="stable")


def statuses(household_ids: pd.Series, contacts: pd.DataFrame) -> pd.DataFrame:
    """``status`` (STATUS_KEYS) and ``last_result`` per household from the month's contacts.

    An undertaking (納付約束 / 分納誓約) at any time in the month counts as promised; otherwise the last result
    decides: a result that reached the household (the contract's one definition, 拒否 included) -> contacted;
    any other (不在, 不通, 居所不明, その他) -> not reached; no contact -> open.
    """
    ids = pd.Series(household_ids, dtype="string")
    if contacts is None or contacts.empty:
        return pd.DataFrame({"status": "open", "last_result": pd.NA}, index=ids.to_numpy())
    c = contacts.assign(household_id=contacts["household_id"].astype("string"),
                        result=contacts["result"].astype("string"))
    last = c.groupby("household_id")["result"].last()
    promised = c[c["result"].isin(undertaking_results())]["household_id"].unique()
    status = pd.Series("not_reached", index=last.index, dtype="object")
    status[last.isin(reached_results())] = "contacted"
    status[status.index.isin(promised)] = "promised"
    out = pd.DataFrame({"status": status.reindex(ids).fillna("open").to_numpy(),
                        "last_result": last.reindex(ids).to_numpy()}, index=ids.to_numpy())
    return out


def with_status(frame: pd.DataFrame, contacts: pd.DataFrame) -> pd.DataFrame:
    st = statuses(frame["household_id"], contacts)
    out = frame.copy()
    out["status"] = st["status"].to_numpy()
    out["last_result"] = st["last_result"].to_numpy()
    return out


def reason_values(frame: pd.DataFrame) -> list[str]:
    values = frame["reason"].dropna().astype(str).str.split(";").explode().str.strip()
    return sorted(v for v in values.unique() if v)


def filter_list(frame: pd.DataFrame, *, reason: str | None = None, stage: str | None = None,
                status: str | None = None) -> pd.DataFrame:
    """The rows matching every given filter (None / ALL = no filter on that column)."""
    mask = pd.Series(True, index=frame.index)
    if reason not in (None, ALL):
        codes = frame["reason"].fillna("").astype(str).str.split(";")
        mask &= codes.map(lambda cs: reason in [c.strip() for c in cs])
    if stage not in (None, ALL):
        mask &= frame["stage"].astype("string") == stage
    if status not in (None, ALL):
        mask &= frame["status"] == status
    return frame[mask.astype(bool)]


def progress(frame: pd.DataFrame, contacts: pd.DataFrame) -> dict[str, Any]:
    """This month's progress on the list: contacted cases, share, 臨場催告 and promises."""
    total = len(frame)
    contacted = int((frame["status"] != "open").sum()) if total else 0
    ids = set(frame["household_id"].astype(str))
    mine = contacts[contacts["household_id"].astype(str).isin(ids)] if len(contacts) else contacts
    visits = int(mine["household_id"][mine["method"] == codes().method.field_visit].nunique()) if len(mine) else 0
    return {
        "total": total,
        "contacted": contacted,
        "share": (contacted / total) if total else 0.0,
        "visits": visits,
        "promises": int((frame["status"] == "promised").sum()) if total else 0,
    }


def current_month(store: Store, as_of: dt.date) -> str:
    """The month the page shows: the latest month with issued lists, else the snapshot's month."""
    months = issued_months(store)
    return months[-1] if months else str(Month.of(as_of))


def officer_list(pd_: webdata.PageData, officer_code: str, month: str) -> OfficerList:
    frame = issued_list(pd_.store, month, officer_code)
    if frame is not None:
        source = t("web.officer.list_source_issued", month=month)
    else:
        frame = case_view_list(pd_.case_view(), officer_code)
        source = t("web.officer.list_source_caseview", month=month)
    contacts = month_contacts(all_contacts(pd_), month)
    return OfficerList(officer_code=officer_code, month=month, frame=with_status(frame, contacts), source=source)


def all_contacts(pd_: webdata.PageData) -> pd.DataFrame:
    """The snapshot's contacts plus the returns accepted into the store (casework.contacts)."""
    frames = [pd_.ledger.contacts, accepted_contacts(pd_.store)]
    frames = [f[["household_id", "date", "method", "result"]] for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=["household_id", "date", "method", "result"])
    out = pd.concat(frames, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"])
    return out


def find_workbook(outputs: Path, month: str, officer_code: str) -> Path | None:
    """The officer's workbook for the month under ``outputs/YYYY-MM/`` (file name carries the code)."""
    folder = outputs / month
    if not folder.is_dir():
        return None
    hits = sorted(p for p in folder.rglob("*.xlsx") if officer_code in p.stem and not p.name.startswith("~$"))
    return hits[0] if hits else None


def download_link_html(path: Path) -> str:
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    label = t("web.officer.download", file=path.name)
    return (f'<a class="kokuho-download" download="{esc(path.name)}" '
            f'href="data:{mime};base64,{payload}">{esc(label)}</a>')


def list_table_html(frame: pd.DataFrame, total: int) -> str:
    columns = {k: t(f"web.officer.columns.{k}") for k in
               ("household_id", "area", "stage", "amount_band", "total_arrears", "reason", "next_action",
                "priority", "status", "last_result")}
    if frame["reason"].isna().all():
        columns.pop("reason")
        columns.pop("next_action")
        columns.pop("priority")
    shown = frame.head(SHOW_ROWS)
    reasons = shown["reason"].map(
        lambda r: "、".join(reason_label(c.strip()) for c in str(r).split(";") if c.strip()) if isinstance(r, str) else r)
    rows = shown.assign(status=shown["status"].map(lambda s: t(f"web.officer.status_values.{s}")),
                        reason=reasons).to_dict("records")
    count = (f'<div class="kokuho-count" data-shown="{len(frame)}" data-total="{total}">'
             f'{esc(t("web.officer.count", shown=len(frame), total=total))}</div>')
    if not len(frame):
        return count + f'<p class="kokuho-note">{esc(t("web.officer.empty"))}</p>'
    return count + table_html(rows, columns, numeric={"total_arrears", "priority"},
                              formats={"total_arrears": yen,
                                       "priority": lambda v: "—" if pd.isna(v) else f"{float(v):.1f}"})


def progress_html(p: dict[str, Any]) -> str:
    return (f'<div class="kokuho-progress" data-total="{p["total"]}" data-contacted="{p["contacted"]}">'
            f'{esc(t("web.officer.progress", **p))}</div>')


def build(store: Any = None, outputs: Any = None) -> Any:
    """The page's widget (ipywidgets imported here so the logic above needs no kernel)."""
    import ipywidgets as w

    pd_ = webdata.load(store)
    out_dir = webdata.outputs_dir(outputs)
    month = current_month(pd_.store, pd_.as_of)
    pd_.case_view()  # warm the cache while the page is loading
    choices = officer_choices(pd_.ledger.staff)

    head = w.HTML(header_html(t("web.officer.title"), synthetic=pd_.synthetic, meta=pd_.meta, as_of=pd_.as_of))
    officer = w.Dropdown(options=[(t("web.officer.choose_placeholder"), "")] + choices, value="",
                         description=t("web.officer.choose"), layout=w.Layout(width="480px"),
                         style={"description_width": "70px"})
    officer.add_class("kokuho-officer")
    reason = w.Dropdown(options=[(t("web.officer.all"), ALL)], value=ALL, description=t("web.officer.reason"),
                        style={"description_width": "50px"}, layout=w.Layout(width="280px"))
    stage = w.Dropdown(options=[(t("web.officer.all"), ALL)], value=ALL, description=t("web.officer.stage"),
                       style={"description_width": "50px"}, layout=w.Layout(width="260px"))
    status = w.Dropdown(options=[(t("web.officer.all"), ALL)] + [(t(f"web.officer.status_values.{k}"), k)
                                                                for k in STATUS_KEYS],
                        value=ALL, description=t("web.officer.status"), style={"description_width": "70px"},
                        layout=w.Layout(width="240px"))
    for widget, cls in ((reason, "kokuho-filter-reason"), (stage, "kokuho-filter-stage"),
                        (status, "kokuho-filter-status")):
        widget.add_class(cls)
    source = w.HTML()
    prog = w.HTML()
    prog.add_class("kokuho-progress-box")
    download = w.HTML()
    table = w.HTML(f'<p class="kokuho-note">{esc(t("web.officer.none_chosen"))}</p>')
    table.add_class("kokuho-list")
    filters = w.HBox([reason, stage, status])
    state: dict[str, Any] = {"list": None}

    @safe_callback(table, "officer page: filter")
    def refresh(_: Any = None) -> None:
        current: OfficerList | None = state["list"]
        if current is None:
            return
        shown = filter_list(current.frame, reason=reason.value, stage=stage.value, status=status.value)
        table.value = list_table_html(shown, len(current.frame))

    @safe_callback(table, "officer page: choose officer")
    def choose(_: Any = None) -> None:
        code = officer.value
        if not code:
            state["list"] = None
            table.value = f'<p class="kokuho-note">{esc(t("web.officer.none_chosen"))}</p>'
            prog.value = source.value = download.value = ""
            return
        table.value = f'<p class="kokuho-loading-inline">{esc(t("web.common.loading"))}</p>'
        current = officer_list(pd_, code, month)
        state["list"] = current
        with reason.hold_trait_notifications(), stage.hold_trait_notifications():
            reason.options = [(t("web.officer.all"), ALL)] + [(reason_label(r), r)
                                                               for r in reason_values(current.frame)]
            reason.value = ALL
            stages = sorted(current.frame["stage"].dropna().astype(str).unique())
            stage.options = [(t("web.officer.all"), ALL)] + [(s, s) for s in stages]
            stage.value = ALL
        status.value = ALL
        source.value = f'<div class="kokuho-meta">{esc(current.source)}</div>'
        p = progress(current.frame, month_contacts(all_contacts(pd_), month))
        prog.value = (f'<h2>{esc(t("web.officer.progress_title"))}（{esc(month)}）</h2>' + progress_html(p))
        book = find_workbook(out_dir, month, code)
        download.value = (download_link_html(book) if book else
                          f'<p class="kokuho-note kokuho-download-missing">{esc(t("web.officer.download_missing"))}</p>')
        refresh()

    officer.observe(choose, names="value")
    for widget in (reason, stage, status):
        widget.observe(refresh, names="value")
    page = w.VBox([head, officer, source, prog, download, filters, table])
    page.add_class("kokuho-page")
    return page
