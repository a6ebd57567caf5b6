"""Benchmark: generate the default synthetic ward, then import it; record times and peak memory.

Usage: ``.venv/bin/python scripts/bench_synth.py [--households N] [--as-of YYYY-MM-DD] [--no-record]``.
Each step runs in a fresh subprocess so its peak memory (max RSS) is its own. The figures replace the
"Synthetic ward" section of ``docs/performance.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench_synth:begin -->"
END = "<!-- bench_synth:end -->"

CHILD = r"""
import json, resource, sys, time, datetime as dt
step, out, households, as_of = sys.argv[1], sys.argv[2], int(sys.argv[3]), dt.date.fromisoformat(sys.argv[4])
t0 = time.perf_counter()
info = {}
if step == "synth":
    from kokuho_nb.synth import generate
    generate(out, seed=1, households=households, as_of=as_of)
elif step == "messy":
    from kokuho_nb.synth import generate
    generate(out, seed=1, households=households, as_of=as_of, messy=True)
elif step == "calibration":
    from kokuho_nb.synth import calibration
    rows = calibration(seed=1, households=households)
    info["ok"] = all(r["ok"] is not False for r in rows)
else:
    from pathlib import Path
    from kokuho_nb.ledger.importer import import_ledger
    store = Path(out + "-store"); store.mkdir(exist_ok=True)
    report = import_ledger(out, store, as_of=as_of)
    info["ok"] = report.ok
    info["rows"] = sum(f["rows_read"] for f in report.to_dict()["files"].values())
info["seconds"] = time.perf_counter() - t0
info["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(info))
"""


def run(step: str, out: str, households: int, as_of: dt.date) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, step, out, str(households), as_of.isoformat()],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--as-of", default="2026-11-26")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        ledger = str(Path(tmp) / "ledger")
        for step in ("synth", "import", "messy", "calibration"):
            target = ledger if step in ("synth", "import") else str(Path(tmp) / step)
            results[step] = run(step, target, args.households, as_of)
            print(step, results[step], flush=True)
        sizes = {p.name: p.stat().st_size for p in Path(ledger).glob("*.csv")}
        rows = {p.name: sum(1 for _ in open(p, encoding="utf-8")) - 1 for p in Path(ledger).glob("*.csv")}
    if args.no_record:
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        BEGIN,
        "## Synthetic ward (`kokuho_nb.synth`, `scripts/bench_synth.py`)",
        "",
        f"Measured {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.1f} at the end "
        "(the machine is shared: figures on an idle machine are lower). Default ward: "
        f"{args.households:,} households, seed 1, as of {as_of.isoformat()}.",
        "",
        "| step | seconds | peak memory (MiB) | note |",
        "| --- | ---: | ---: | --- |",
    ]
    notes = {
        "synth": f"{sum(rows.values()):,} CSV rows, {sum(sizes.values()) / 2**20:,.0f} MiB",
        "import": "kokuho-nb import of that ledger",
        "messy": "same ward, CP932 / era dates / bad rows",
        "calibration": "FY2019–FY2024 without background case work, stats on the whole history",
    }
    for step, res in results.items():
        if "error" in res:
            lines.append(f"| {step} | — | — | failed: {res['error'][:80]} |")
        else:
            lines.append(f"| {step} | {res['seconds']:.1f} | {res['peak_mib']:.0f} | {notes[step]} |")
    lines += ["", "Rows per file: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())) + ".", END]
    block = "\n".join(lines)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(f"recorded in {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
