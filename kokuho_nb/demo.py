"""``kokuho-nb demo`` (``make demo``): several months of the plan's routine on the synthetic ward.

1. For each month of the plan from June 2026 to the month of ``as_of``, a snapshot of the synthetic ward as of
   the month's first day (and one as of ``as_of``) is generated and imported through the real importer — the
   same ward continued, so each month sees the payments and events up to its date.
2. Each past month: the officers' and the centre's lists are issued and written, the officers' filled-in
   returns are simulated and ingested through the real returns path (:mod:`kokuho_nb.targets.demo`), then the
   meeting pack is built and the meeting's decisions are simulated and ingested (:mod:`kokuho_nb.meeting.demo`),
   so the next month's lists and pack carry them.
3. The current month as staff run it, ``kokuho-nb month all`` (:mod:`kokuho_nb.monthly`): the lists, the
   meeting pack and the month's OJT exercise sheets through their papermill notebooks, on one process pool.

Everything simulated is marked 模擬データ. Steps already done (a snapshot for a date, a month's issued lists,
ingested files) are not repeated: running the demo again is quick and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kokuho_nb.store.paths import resolve_outputs, resolve_store

log = logging.getLogger(__name__)

PLAN_START = "target_lists.plan_start"


def snapshot_dates(as_of: dt.date) -> list[dt.date]:
    """First day of every plan month up to ``as_of``'s month, then ``as_of`` itself."""
    from kokuho_nb.params import value
    from kokuho_nb.targets import months

    first = str(value(PLAN_START, as_of))
    dates = [months.month_start(m) for m in months.months_between(first, months.month_of(as_of))]
    if as_of not in dates:
        dates.append(as_of)
    return [d for d in dates if d <= as_of]


def ensure_snapshots(store: Path, dates: list[dt.date], *, seed: int, households: int | None,
                     say: Callable[[str], None]) -> list[str]:
    """Generate and import the synthetic ward as of each date unless a snapshot for that date exists."""
    from kokuho_nb.ledger.importer import import_ledger
    from kokuho_nb.store.snapshots import list_snapshots
    from kokuho_nb.synth import generate

    have = {str(s["as_of"]) for s in list_snapshots(store)}
    ids = []
    for day in dates:
        if day.isoformat() in have:
            continue
        began = time.perf_counter()
        folder = store / "synthetic-ledgers" / f"synthetic-ward_seed{seed}_{day.isoformat()}"
        generate(folder, seed=seed, as_of=day, households=households)
        report = import_ledger(folder, store, as_of=day)
        ids.append(report.snapshot_id)
        say(f"  模擬区の台帳 {day.isoformat()} 時点を取り込みました（{time.perf_counter() - began:.0f} 秒）")
    return ids


def run(store: str | Path | None = None, out: str | Path | None = None, as_of: dt.date | None = None, *,
        seed: int = 1, households: int | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    from kokuho_nb.meeting.demo import meeting_month
    from kokuho_nb.monthly import PACK_LABELS, run_whole_month
    from kokuho_nb.params import value
    from kokuho_nb.targets import months
    from kokuho_nb.targets.demo import simulate_month
    from kokuho_nb.targets.lists import _load_ledger

    as_of = as_of or dt.date.today()
    store_path = resolve_store(store)
    out_root = resolve_outputs(out)
    store_path.mkdir(parents=True, exist_ok=True)
    say("模擬データによるデモを実行します（実在の人物・世帯とは関係ありません）。")
    say(f"保存先: {store_path}\n出力先: {out_root}")
    began = time.perf_counter()
    ensure_snapshots(store_path, snapshot_dates(as_of), seed=seed, households=households, say=say)

    current = months.month_of(as_of)
    first = str(value(PLAN_START, as_of))
    past = months.months_between(first, months.add_months(current, -1)) if first <= current else []
    results: dict[str, Any] = {"past": [], "current": None}
    for month in past:
        ledger = _load_ledger(store_path, months.month_start(month))
        lists = simulate_month(store_path, month, out_root / month, ledger=ledger)
        meeting = meeting_month(store_path, month, out_root, decide=True)
        results["past"].append({"lists": lists, "meeting": meeting})
        say(f"  {months.month_label(month)}: リスト {lists['lists']} 件（{lists['listed']} 世帯）、"
            f"模擬の処理結果 {lists['accepted']} 行を取込、会議資料と決定事項を作成")

    # this month as staff would run it: `kokuho-nb month all` (lists, meeting pack and exercise sheets at once)
    now = run_whole_month(store_path, current, out_root, synthetic=True)
    meeting = now["pack"]
    sheets = now["sheets"]
    results["current"] = {"lists": now, "meeting": meeting, "training": sheets}
    results["ok"] = bool(now.get("ok"))
    results["seconds"] = round(time.perf_counter() - began, 1)
    say("")
    say(f"今月（{months.month_label(current)}）の出力:")
    say(f"  ターゲットリスト（担当者別 Excel）と集計: {out_root / current}")
    for key in ("html", "pdf", "xlsx"):
        if key in meeting:
            say(f"  月例会議資料（{PACK_LABELS[key]}）: {meeting[key]}")
    for path in sheets:
        say(f"  OJT演習: {path}")
    if now.get("failures"):
        say(f"失敗したノートブック: {len(now['failures'])} 件（{now.get('run_message', '')}）")
    say(f"完了（{results['seconds']} 秒）。画面で見るには: .venv/bin/kokuho-nb serve")
    return results
