"""Benchmark: ``kokuho-nb month run`` (or, with ``--all``, ``kokuho-nb month all``: lists + meeting pack +
exercise sheets) for the default ward: wall time, CPU and peak memory of the whole process tree, and the ratio
to the bare cost of the papermill kernel starts it needs.

    .venv/bin/python scripts/bench_month.py [--store DIR] [--month YYYY-MM] [--households 100000] [--all]
        [--profile]

Without ``--store`` a ward is generated (``kokuho_nb.synth.generate`` when available, else the simple generator
of scripts/bench_import.py) and imported into a temporary store. The month run is a child process (the CLI with
``--reissue``, so the triage is really computed), so its peak RSS is its own; notebook kernels are its
children. The bare cost of a papermill kernel start comes from ``kokuho_nb.runs.notebooks.kernel_start_cost()``.
The process tree (CLI, pool workers, notebook kernels) is sampled from ``/proc`` every 0.1 s: the sum of its
processes' RSS (peak) and their CPU time (each process's last sample, so a process's final 0.1 s is missed).
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


class TreeSampler:
    """Samples the process tree under ``root`` from /proc (Linux): per-process CPU seconds and the RSS sum."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        import threading

        self.root, self.interval = root, interval
        self.cpu: dict[tuple[int, int], float] = {}  # (pid, start time) -> utime + stime, seconds
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        stats = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # after the command: state ppid ... utime(12) stime(13) ... starttime(20) vsize(21) rss(22)
            stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19]),
                                             int(fields[21]))
        tree, frontier = {self.root}, [self.root]
        while frontier:
            parent = frontier.pop()
            for pid, (ppid, *_rest) in stats.items():
                if ppid == parent and pid not in tree:
                    tree.add(pid)
                    frontier.append(pid)
        rss = 0
        for pid in tree:
            if pid in stats:
                _, ticks, started, pages = stats[pid]
                self.cpu[(pid, started)] = ticks / self._tick
                rss += pages * self._page
        self.peak_rss = max(self.peak_rss, rss)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", help="an imported store (default: generate and import the default ward)")
    ap.add_argument("--month", help="YYYY-MM (default: the month of the latest snapshot)")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=None)
    ap.add_argument("--all", action="store_true", help="kokuho-nb month all (lists, meeting pack, sheets)")
    ap.add_argument("--profile", action="store_true", help="profile the issue step (triage + selection) in-process")
    args = ap.parse_args()

    from kokuho_nb.runs.notebooks import kernel_start_cost
    from kokuho_nb.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(args.store) if args.store else _store(Path(tmp), args.households)
        month = args.month or str(Store(store).latest().as_of)[:7]
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
        cmd = [str(ROOT / ".venv" / "bin" / "kokuho-nb"), "month", "all" if args.all else "run", month,
               "--store", str(store), "--out", str(out), "--reissue", "--json"]
        if args.processes:
            cmd += ["--processes", str(args.processes)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        with subprocess.Popen(cmd, text=True, stdout=subprocess.PIPE) as child:
            tree = TreeSampler(child.pid)
            tree.start()
            stdout, _ = child.communicate()
            tree.stop()
        wall = time.perf_counter() - t0
        proc = subprocess.CompletedProcess(cmd, child.returncode, stdout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak = after.ru_maxrss / 1024
        result = json.loads(proc.stdout)
        jobs = len(result["runs"])
        workers = result["processes"]
        files = sorted((out / month).glob("target_list_*.xlsx"))
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
              f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after (other processes share the cores)")
        print(f"month {month}: exit {proc.returncode}, {len(files)} workbooks, {jobs} notebook runs on {workers} "
              f"processes, revision {result['revision']}")
        print(f"wall {wall:.1f} s (issue = triage + selection + DB {result['seconds']['issue']:.1f} s wall, "
              f"{result['seconds']['issue_cpu']:.1f} s CPU; "
              f"notebooks {result['seconds']['notebooks']:.1f} s); peak RSS of one process {peak:,.0f} MB")
        print(f"CPU time of the month-run process and its children: {cpu:.1f} s (getrusage: counts only children "
              f"that were waited for, so compare with the sampled tree below)")
        print(f"process tree (sampled): CPU {tree.cpu_seconds():.1f} s over {len(tree.cpu)} processes "
              f"= {tree.cpu_seconds() / wall:.2f} cores busy on average; peak RSS sum {tree.peak_rss / 2**20:,.0f} MB")
        if args.all:
            print(f"pack: {', '.join(Path(p).name for p in result.get('pack', {}).values())}; "
                  f"sheets: {len(result.get('sheets', []))} PDF")
        waves = math.ceil(jobs / max(workers, 1))
        print(f"bare papermill kernel start {cost:.2f} s; ratio wall / kernel start {wall / cost:.1f}; "
              f"wall / ({waves} wave(s) of kernel starts) {wall / (cost * waves):.1f}")
        for r in result["runs"]:
            print(f"  {r['name']}: {r['seconds']:.1f} s {'ok' if r['ok'] else r['error']}")
        return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
