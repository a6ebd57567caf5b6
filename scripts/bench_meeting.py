"""Benchmark: the monthly meeting pack for the default ward (time and peak memory). Not a test; the
figures go to docs/performance.md.

    .venv/bin/python scripts/bench_meeting.py [--store DIR] [--households 100000] [--month 2026-11] [--notebook]

Without ``--store`` a ward is generated (``kokuho_nb.synth.generate`` when it exists, else the simple
generator of ``scripts/bench_import.py``) and imported into a temporary store. Each measured step runs in a
child process so that its peak RSS (ru_maxrss) is its own: ``build`` = gather the inputs and build the six
sections; ``write`` = HTML + PDF + Excel; ``--notebook`` also times ``kokuho-nb meeting build`` (papermill).
The child runs twice: ``run1`` (case views computed unless the store's case-view cache has them) and ``run2``
(a rebuild: case views read from ``<store>/cache/case_view/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, time, sys
t0 = time.perf_counter()
from kokuho_nb.meeting import build_pack, write_outputs
t1 = time.perf_counter()
pack = build_pack({month!r}, {store!r})
t2 = time.perf_counter()
paths = write_outputs(pack, {out!r})
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "build_s": t2 - t1, "write_s": t3 - t2,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pdf_pages": __import__("pypdf").PdfReader(str(paths["pdf"])).get_num_pages(),
                  "steps": pack.timings, "sections": [s.conclusion for s in pack.sections]}}, ensure_ascii=False))
"""


def make_store(households: int, as_of: dt.date, work: Path) -> Path:
    from kokuho_nb.ledger.importer import import_ledger

    ledger_dir = work / "ledger"
    try:
        from kokuho_nb.synth import generate

        generate(ledger_dir, seed=1, households=households, as_of=as_of)
        source = "kokuho_nb.synth.generate"
    except ImportError:
        spec = importlib.util.spec_from_file_location("bench_import", ROOT / "scripts" / "bench_import.py")
        mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        mod.simple_ledger(ledger_dir, households, messy=False)
        source = "scripts/bench_import.simple_ledger"
    store = work / "store"
    report = import_ledger(ledger_dir, store, as_of=as_of)
    assert report.ok, report.to_dict()
    print(f"ledger: {source}, {households:,} households, imported into {store}", file=sys.stderr)
    return store


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--month", default="2026-11")
    ap.add_argument("--notebook", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = Path(args.store) if args.store else make_store(args.households, dt.date(2026, 11, 26), work)
        cache = store / "cache" / "case_view"
        result: dict = {"case_view_cache_files_before": len(list(cache.glob("*.parquet"))) if cache.is_dir() else 0}
        # Run 1 computes the two case views unless the store's case-view cache already holds them (as after
        # `month run`, or an earlier pack); run 2 is a rebuild, where they always come from the cache.
        for run in (1, 2):
            started = time.perf_counter()
            child = subprocess.run([sys.executable, "-c", CHILD.format(month=args.month, store=str(store),
                                                                      out=str(work / "out"))],
                                   capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            if child.returncode:
                print(child.stderr, file=sys.stderr)
                return 1
            one = json.loads(child.stdout.strip().splitlines()[-1])
            one["wall_s"] = wall
            result[f"run{run}"] = one
        if args.notebook:
            started = time.perf_counter()
            nb = subprocess.run([str(Path(sys.executable).parent / "kokuho-nb"), "meeting", "build", args.month,
                                 "--store", str(store), "--out", str(work / "nb")], capture_output=True, text=True,
                                check=False)
            result["notebook_wall_s"] = time.perf_counter() - started
            result["notebook_ok"] = nb.returncode == 0
        result["machine"] = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}"
        result["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
