"""Benchmark: ``kokuho-nb month run`` for the default ward (wall time, peak memory, kernel-start ratio).

    .venv/bin/python scripts/bench_month.py [--store DIR] [--month YYYY-MM] [--households 100000] [--profile]

Without ``--store`` a ward is generated (``kokuho_nb.synth.generate`` when available, else the simple generator
of scripts/bench_import.py) and imported into a temporary store. The month run is a child process (the CLI with
``--reissue``, so the triage is really computed), so its peak RSS is its own; notebook kernels are its
children. The bare cost of a papermill kernel start comes from ``kokuho_nb.runner.kernel_start_cost()``.
Figures go to docs/performance.md (section "Target lists"). Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _store(base: Path, households: int) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_import import make_ledger

    from kokuho_nb.ledger.importer import import_ledger

    t0 = time.perf_counter()
    ledger, how = make_ledger(base / "ledger", households, False)
    store = base / "store"
    store.mkdir(parents=True, exist_ok=True)
    report = import_ledger(ledger, store)
    print(f"ward: {how}, {households:,} households, generated + imported in {time.perf_counter() - t0:.1f} s "
          f"(snapshot {report.snapshot_id})")
    return store


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", help="an imported store (default: generate and import the default ward)")
    ap.add_argument("--month", help="YYYY-MM (default: the month of the latest snapshot)")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=None)
    ap.add_argument("--profile", action="store_true", help="profile the issue step (triage + selection) in-process")
    args = ap.parse_args()

    from kokuho_nb.runner import kernel_start_cost
    from kokuho_nb.store.snapshots import list_snapshots

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(args.store) if args.store else _store(Path(tmp), args.households)
        month = args.month or str(list_snapshots(store)[-1]["as_of"])[:7]
        if args.profile:
            import cProfile
            import pstats

            from kokuho_nb.targets.lists import issue_month

            prof = cProfile.Profile()
            prof.enable()
            issue_month(store, month, reissue=True)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        cost = kernel_start_cost(repeat=3)
        out = Path(tmp) / "out"
        cmd = [str(ROOT / ".venv" / "bin" / "kokuho-nb"), "month", "run", month, "--store", str(store), "--out",
               str(out), "--reissue", "--json"]
        if args.processes:
            cmd += ["--processes", str(args.processes)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak = after.ru_maxrss / 1024
        result = json.loads(proc.stdout)
        jobs = len(result["runs"])
        workers = result["processes"]
        files = sorted((out / month).glob("*.xlsx"))
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
              f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after (other processes share the cores)")
        print(f"month {month}: exit {proc.returncode}, {len(files)} workbooks, {jobs} notebook runs on {workers} "
              f"processes, revision {result['revision']}")
        print(f"wall {wall:.1f} s (issue = triage + selection + DB {result['seconds']['issue']:.1f} s wall, "
              f"{result['seconds']['issue_cpu']:.1f} s CPU; "
              f"notebooks {result['seconds']['notebooks']:.1f} s); peak RSS of one process {peak:,.0f} MB")
        print(f"CPU time of the month-run process and its pool workers: {cpu:.1f} s (the kernels' own CPU is "
              f"not counted: they are not waited for by this process)")
        waves = math.ceil(jobs / max(workers, 1))
        print(f"bare papermill kernel start {cost:.2f} s; ratio wall / kernel start {wall / cost:.1f}; "
              f"wall / ({waves} wave(s) of kernel starts) {wall / (cost * waves):.1f}")
        for r in result["runs"]:
            print(f"  {r['name']}: {r['seconds']:.1f} s {'ok' if r['ok'] else r['error']}")
        return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
