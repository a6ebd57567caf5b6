"""Benchmark the shared case view: computing it, and reading it through the per-snapshot cache.

    .venv/bin/kokuho-nb synth /tmp/p1-ledger --seed 1 --as-of 2026-11-26
    .venv/bin/kokuho-nb import /tmp/p1-ledger --store /tmp/p1-store --as-of 2026-11-26
    .venv/bin/python scripts/bench_caseview.py --store /tmp/p1-store --as-of 2026-11-26

Each phase runs in a fresh process (so peak RSS is that phase's own):

- ``compute``: ``load_snapshot`` + ``case_view(ledger, as_of)`` (with the law columns), no cache — what every
  caller paid per call before the cache; split into load / base view / law columns.
- ``cold``: ``load_case_view(store, as_of)`` with no cache file (reads the snapshot, computes, writes the file).
- ``warm``: ``load_case_view`` in a new process with the file present; then a second call in the same process
  (the in-memory LRU).

Wall and CPU seconds are printed; the machine may be shared, so CPU time is the steadier figure. Set
``PYTHONPATH`` to an older checkout to measure its ``compute`` phase (``--phases compute``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    wall, cpu = _clock()
    return {"wall": round(wall - start[0], 2), "cpu": round(cpu - start[1], 2)}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_phase(phase: str, store: str, as_of: dt.date) -> dict[str, Any]:
    out: dict[str, Any] = {"phase": phase}
    if phase == "compute":
        from kokuho_nb.cases import case_view
        from kokuho_nb.law.caseview import law_columns
        from kokuho_nb.store import Store

        start = _clock()
        ledger = Store(store).ledger_for(as_of)
        out["load_snapshot"] = _since(start)
        step = _clock()
        base = case_view(ledger, as_of, with_law=False)
        out["case_view_base"] = _since(step)
        step = _clock()
        law_columns(ledger, as_of)
        out["law_columns"] = _since(step)
        step = _clock()
        full = case_view(ledger, as_of)
        out["case_view_full"] = _since(step)
        out["rows"] = len(full)
        out["charges"] = len(ledger.charges)
        del base
    elif phase in ("cold", "warm"):
        from kokuho_nb.cases import load_case_view, view_path
        from kokuho_nb.store import Store

        st = Store(store)
        path = view_path(st, st.snapshot_for(as_of).id, as_of)
        if phase == "cold":
            path.unlink(missing_ok=True)
        elif not path.is_file():
            raise SystemExit(f"no cache file {path}: run the cold phase first")
        start = _clock()
        view = load_case_view(st, as_of)
        out["load_case_view"] = _since(start)
        step = _clock()
        load_case_view(store, as_of)
        out["load_case_view_again"] = _since(step)
        out["rows"] = len(view)
        out["cache_file_mb"] = round(path.stat().st_size / 2**20, 1)
    else:
        raise SystemExit(f"unknown phase {phase}")
    out["peak_rss_mb"] = _peak_mb()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="/tmp/p1-store")
    ap.add_argument("--as-of", default="2026-11-26")
    ap.add_argument("--phases", default="compute,cold,warm")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # run a single phase in this process
    args = ap.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    if args.one:
        print(json.dumps(run_phase(args.one, args.store, as_of)))
        return
    for phase in args.phases.split(","):
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--store", args.store, "--as-of",
                               args.as_of, "--one", phase], capture_output=True, text=True, check=False)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(proc.returncode)
        print(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
