"""Benchmark of the OJT module: flowchart validation, exercise generation, sheet PDFs, attempt writes.

Usage: .venv/bin/python scripts/bench_exercises.py [--count 10] [--pdf-flowcharts all|basic_flow,...]
Prints a Markdown table (wall seconds, peak RSS) to paste into docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kokuho_nb.flowcharts import available, check_file  # noqa: E402
from kokuho_nb.training.app import Trainer  # noqa: E402
from kokuho_nb.training.exercises import generate, key_response, levels  # noqa: E402
from kokuho_nb.training.sheet import write_sheets  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, rows: list[tuple[str, float, float]], fn) -> object:  # noqa: ANN001
    start = time.perf_counter()
    out = fn()
    rows.append((label, time.perf_counter() - start, peak_mb()))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--pdf-flowcharts", default="all")
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    files = available()
    timed("law module + dot warm-up (first generate + render)", rows,
          lambda: write_sheets("suspension", "初級", 1, 1, tempfile.mkdtemp(), pdf=False))
    timed(f"validate {len(files)} flowcharts", rows, lambda: [check_file(p) for p in files])
    lv = list(levels())
    timed(f"generate {args.count} exercises x {len(files)} flowcharts x {len(lv)} levels", rows,
          lambda: [generate(p.stem, level, args.count, seed=1) for p in files for level in lv])
    chosen = [p.stem for p in files] if args.pdf_flowcharts == "all" else args.pdf_flowcharts.split(",")
    with tempfile.TemporaryDirectory() as out:
        timed(f"exercise sheets + answer keys, HTML+PDF, {args.count} questions x {len(chosen)} flowcharts", rows,
              lambda: [write_sheets(fc, "中級", args.count, 1, out) for fc in chosen])
    with tempfile.TemporaryDirectory() as store:
        trainer = Trainer(store)

        def session() -> None:
            trainer.start("K001", "basic_flow", "上級", args.count, seed=1)
            while trainer.current is not None:
                trainer.answer(key_response(trainer.current))
                trainer.diagram()
                trainer.next()

        timed(f"app: one set of {args.count} answers stored + diagrams", rows, session)
    load = os.getloadavg()[0]
    print("| step | wall s | peak RSS MB |\n| --- | --- | --- |")
    for label, sec, mb in rows:
        print(f"| {label} | {sec:.2f} | {mb:.0f} |")
    print(f"\n(load average at the end: {load:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
