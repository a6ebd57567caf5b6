"""``kokuho-nb demo`` (``make demo``): several months of the plan's routine on the synthetic ward.

1. For each month of the plan from June 2026 to the month of ``as_of``, a snapshot of the synthetic ward as of
   the month's first day (and one as of ``as_of``) is generated and imported through the real importer — the
   same ward continued, so each month sees the payments and events up to its date.
2. Each past month (:func:`replay_month`): the officers' and the centre's lists are issued and written, the
   officers' filled-in returns are simulated (:mod:`kokuho_nb.synth.returns_sim`) and ingested through the real
   returns path; then the meeting pack is built and the meeting's decisions are simulated
   (:mod:`kokuho_nb.synth.decisions_sim`) and ingested, so the next month's lists and pack carry them.
3. The current month as staff run it, ``kokuho-nb month all`` (:mod:`kokuho_nb.runs.month_all`): the lists, the
   meeting pack and the month's OJT exercise sheets through their papermill notebooks, on one process pool.

Everything simulated is marked 模擬データ. Steps already done (a snapshot for a date, a month's issued lists,
ingested files) are not repeated: running the demo again is quick and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kokuho_nb.casework import issued
from kokuho_nb.casework.decisions import ingest_decisions
from kokuho_nb.casework.returns import ingest_returns
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.meeting import build_pack, write_outputs
from kokuho_nb.months import Month
from kokuho_nb.params import value
from kokuho_nb.runs.month_all import PACK_LABELS, run_whole_month
from kokuho_nb.runs.month_run import MonthRequest, MonthRun, month_dir
from kokuho_nb.store import Store
from kokuho_nb.store.paths import resolve_outputs
from kokuho_nb.synth import generate
from kokuho_nb.synth.decisions_sim import fill_simulated_decisions
from kokuho_nb.synth.returns_sim import simulate_results, write_filled
from kokuho_nb.targets.lists import issue_month
from kokuho_nb.targets.render import render_lists

log = logging.getLogger(__name__)

PLAN_START = "target_lists.plan_start"


@dataclass
class ReplayedMonth:
    """A past month of the demo: its lists, the simulated returns and (optionally) the meeting."""

    month: Month
    revision: int
    lists: int
    listed: int
    returns_files: int
    accepted: int
    rejected: int
    out_dir: Path
    meeting: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoResult:
    ok: bool
    past: list[ReplayedMonth]
    current: MonthRun | None
    seconds: float


def snapshot_dates(as_of: dt.date) -> list[dt.date]:
    """First day of every plan month up to ``as_of``'s month, then ``as_of`` itself."""
    first = Month.parse(str(value(PLAN_START, as_of)))
    dates = [m.start for m in Month.range(first, Month.of(as_of))]
    if as_of not in dates:
        dates.append(as_of)
    return [d for d in dates if d <= as_of]


def ensure_snapshots(store: Store, dates: list[dt.date], *, seed: int, households: int | None,
                     say: Callable[[str], None]) -> list[str]:
    """Generate and import the synthetic ward as of each date unless a snapshot for that date exists."""
    have = {s.as_of for s in store.snapshots()}
    ids = []
    for day in dates:
        if day in have:
            continue
        began = time.perf_counter()
        folder = store.path / "synthetic-ledgers" / f"synthetic-ward_seed{seed}_{day.isoformat()}"
        generate(folder, seed=seed, as_of=day, households=households)
        report = import_ledger(folder, store, as_of=day)
        ids.append(report.snapshot_id)
        say(f"  模擬区の台帳 {day.isoformat()} 時点を取り込みました（{time.perf_counter() - began:.0f} 秒）")
    return ids


def replay_month(store: Store, month: Month, out_root: Path, *, meeting: bool = True) -> ReplayedMonth:
    """A past month: issue and write its lists, simulate and ingest the returns; then (``meeting``) build its
    pack and simulate and ingest the meeting's decisions."""
    out_dir = month_dir(out_root, month)
    issue = issue_month(store, month, synthetic=True)
    rendered = render_lists(store, month, out_dir)
    files = []
    for f in rendered["files"]:
        items = issued.load_items(store, month, f["list_code"], issue.revision)
        results = simulate_results(items, month, f["list_code"])
        if not len(results):
            continue
        dest = out_dir / "returns" / Path(f["path"]).name.replace(".xlsx", "_記入済_模擬.xlsx")
        files.append(write_filled(Path(f["path"]), results, dest))
    report = ingest_returns(store, files)
    done = ReplayedMonth(month, issue.revision, len(rendered["files"]), sum(f["rows"] for f in rendered["files"]),
                         len(files), sum(f.rows_accepted for f in report.files),
                         sum(f.rows_rejected for f in report.files), out_dir)
    if meeting:
        done.meeting = meeting_month(store, month, out_dir)
    return done


def meeting_month(store: Store, month: Month, out_dir: Path) -> dict[str, Any]:
    """Build ``month``'s pack into ``out_dir``, then simulate and ingest the meeting's decisions."""
    pack = build_pack(month, store)
    paths = write_outputs(pack, out_dir)
    cats = {r["household_id"]: r["categories"] for r in pack.section("difficult").data["shown"]}
    filled = fill_simulated_decisions(Path(paths["xlsx"]), out_dir / "decisions" / f"meeting_{month}_決定事項_模擬.xlsx",
                                      cats)
    report = ingest_decisions(filled, store)
    return {"month": str(month), **{k: str(v) for k, v in paths.items()}, "decisions": report.to_dict()}


def replay_past(store: Store, out_root: Path, as_of: dt.date, *, meetings: bool = True,
                say: Callable[[str], None] = print) -> list[ReplayedMonth]:
    """Every month of the plan before ``as_of``'s month, oldest first (:func:`replay_month`)."""
    first = Month.parse(str(value(PLAN_START, as_of)))
    replayed = []
    for month in Month.range(first, Month.of(as_of) - 1):
        done = replay_month(store, month, out_root, meeting=meetings)
        replayed.append(done)
        say(f"  {month.label()}: リスト {done.lists} 件（{done.listed} 世帯）、"
            f"模擬の処理結果 {done.accepted} 行を取込" + ("、会議資料と決定事項を作成" if meetings else ""))
    return replayed


def run(store: Store, out: str | Path | None = None, as_of: dt.date | None = None, *, seed: int = 1,
        households: int | None = None, meetings: bool = True, say: Callable[[str], None] = print) -> DemoResult:
    """The demo (see the module docstring). ``meetings=False`` replays the past months' lists and returns only."""
    as_of = as_of or dt.date.today()
    out_root = resolve_outputs(out)
    store.path.mkdir(parents=True, exist_ok=True)
    say("模擬データによるデモを実行します（実在の人物・世帯とは関係ありません）。")
    say(f"保存先: {store.path}\n出力先: {out_root}")
    began = time.perf_counter()
    ensure_snapshots(store, snapshot_dates(as_of), seed=seed, households=households, say=say)

    current = Month.of(as_of)
    replayed = replay_past(store, out_root, as_of, meetings=meetings, say=say)

    # this month as staff would run it: `kokuho-nb month all` (lists, meeting pack and exercise sheets at once)
    now = run_whole_month(store, MonthRequest(current, out_root, synthetic=True))
    seconds = round(time.perf_counter() - began, 1)
    say("")
    say(f"今月（{current.label()}）の出力:")
    say(f"  ターゲットリスト（担当者別 Excel）と集計: {month_dir(out_root, current)}")
    for key in ("html", "pdf", "xlsx"):
        if key in now.pack:
            say(f"  月例会議資料（{PACK_LABELS[key]}）: {now.pack[key]}")
    for path in now.sheets:
        say(f"  OJT演習: {path}")
    if now.failures:
        say(f"失敗したノートブック: {len(now.failures)} 件（{now.run_message}）")
    say(f"完了（{seconds} 秒）。画面で見るには: .venv/bin/kokuho-nb serve")
    return DemoResult(ok=bool(now.ok), past=replayed, current=now, seconds=seconds)
