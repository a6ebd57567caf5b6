"""Benchmark: each Voilà page's time until its ready marker, cold and warm (goal: < 3 s warm).

    .venv/bin/python scripts/bench_pages.py [--store DIR] [--runs 3] [--pages index,officer,...]

- cold: ``kokuho-nb serve --no-preheat``; every visit starts a kernel and runs the page (the first visit of a
  page after an import also builds the snapshot's case-view cache; it is reported separately);
- warm: ``kokuho-nb serve`` (pre-heated pools, one kernel per page already executed); each visit waits until
  the page's pool has refilled and executed, as it would for the next user. "new browser" = a fresh browser
  profile (nothing cached); "returning" = the same profile again (Voilà's ~90 static files cached), which is
  what staff see from the second page on.

Time = from navigation start to the ready marker being in the page with the cells shown, measured in
Chromium (/usr/bin/chromium, Playwright). Prints a Markdown table for docs/performance.md, and, since the
machine's load moves the times, CPU-independent figures of the warm visits: requests that went to the server
(not served from the browser cache), bytes transferred, and the browser main thread's busy time (Chrome
DevTools Protocol ``Performance.getMetrics`` TaskDuration). The first visit after an import also finds no
meeting pack cached (``<store>/cache/meeting_pack`` is emptied with the case-view cache). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kokuho_nb.store.paths import resolve_store  # noqa: E402
from kokuho_nb.web.server import PAGES, page_url  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, store: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="bench-serve-", suffix=".log")[1])
        self._fh = open(self.log, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kokuho_nb", "serve", "--port", str(self.port), "--store", str(store), *extra],
            cwd=REPO, stdout=self._fh, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(self.base + "/voila/static/voila.js", timeout=2).close()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.log.read_text(errors="replace")) from None
                time.sleep(0.2)

    def pool_filled(self, rel: str) -> int:
        """How many times the pool of notebook ``rel`` has been (re)filled, from the server log."""
        return len(re.findall(rf"Kernel pool of {re.escape(rel)} is filled", self.log.read_text(errors="replace")))

    def wait_pool(self, rel: str, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.pool_filled(rel) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"pool of {rel} not refilled")
            time.sleep(0.2)
        time.sleep(0.5)  # the pooled kernel finishes executing the page just after the fill is logged

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._fh.close()


NETWORK: dict[str, dict[str, list[float]]] = {}  # page -> "warm"/"returning" -> [requests, KB, busy s]


def visit(browser, url: str, name: str, ctx=None, record: str | None = None) -> float:
    own = ctx is None
    ctx = ctx or browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Performance.enable")
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=300_000)
    page.locator(f'.kokuho-ready[data-page="{name}"]').wait_for(state="attached", timeout=300_000)
    page.locator("#rendered_cells").wait_for(state="visible", timeout=300_000)
    elapsed = time.perf_counter() - t0
    if record:
        # transferSize is 0 for a file served from the browser cache, the header size for a 304
        res = json.loads(page.evaluate(
            "JSON.stringify(performance.getEntriesByType('resource').map(e => e.transferSize))"))
        nav = page.evaluate("performance.getEntriesByType('navigation')[0].transferSize")
        busy = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}.get("TaskDuration", 0)
        figures = NETWORK.setdefault(name, {}).setdefault(record, [])
        figures.append((1 + sum(1 for x in res if x > 0), (nav + sum(res)) / 1024, busy))
    page.close()
    if own:
        ctx.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--warm-only", action="store_true",
                    help="skip the cold server (then each warm visit waits --settle s after its pool refilled)")
    ap.add_argument("--settle", type=float, default=20.0)
    args = ap.parse_args()
    store = resolve_store(args.store)
    if not (store / "snapshots").is_dir():
        print(f"no snapshot in {store}: run `kokuho-nb demo` or import a ledger first", file=sys.stderr)
        return 2
    names = [n for n in args.pages.split(",") if (REPO / "notebooks" / PAGES[n]).exists()]
    load0 = os.getloadavg()[0]
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[float]]] = {n: {"first": [], "cold": [], "warm": [], "returning": []}
                                                  for n in names}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cache = store / "cache" / "case_view"
        shutil.rmtree(cache, ignore_errors=True)  # the first visit builds it again, as after an import
        shutil.rmtree(store / "cache" / "meeting_pack", ignore_errors=True)  # (a new import changes its key)
        srv = Server(store, "--no-preheat") if not args.warm_only else None
        try:
            for name in (names if srv else []):
                results[name]["first"].append(visit(browser, srv.base + page_url(name), name))
                for _ in range(args.runs):
                    results[name]["cold"].append(visit(browser, srv.base + page_url(name), name))
        finally:
            if srv:
                srv.stop()
        srv = Server(store)
        returning = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
        try:
            fills = {name: 1 for name in names}

            def ready(name: str) -> None:
                # the pool's kernel is started when the fill is logged; give it the cold time to run the page
                srv.wait_pool(PAGES[name], fills[name])
                cold = results[name]["cold"]
                time.sleep(min(statistics.median(cold), 120) if cold else args.settle)

            for name in names:
                ready(name)
                visit(browser, srv.base + page_url(name), name, returning)  # primes the browser cache
                fills[name] += 1
            for name in names:
                for _ in range(args.runs):
                    ready(name)
                    results[name]["warm"].append(visit(browser, srv.base + page_url(name), name, record="new"))
                    fills[name] += 1
                    ready(name)
                    results[name]["returning"].append(visit(browser, srv.base + page_url(name), name, returning,
                                                            record="returning"))
                    fills[name] += 1
        finally:
            returning.close()
            srv.stop()
        browser.close()

    print(f"\nstore: {store} (case-view cache: {'present' if cache.exists() else 'absent'})")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f} "
          f"(at start {load0:.1f})")
    print("\n| page | first visit after import (s) | cold (s) | warm, new browser (s) | warm, returning browser (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in names:
        r = results[name]
        if not r["first"]:
            r["first"], r["cold"] = [float("nan")], [float("nan")]
        print(f"| {name} | {r['first'][0]:.2f} | {statistics.median(r['cold']):.2f} | "
              f"{statistics.median(r['warm']):.2f} | {statistics.median(r['returning']):.2f} "
              f"(max {max(r['returning']):.2f}) |")
    print("\nWarm visits, CPU-independent (medians): requests sent to the server / KB transferred / browser main "
          "thread busy (s)")
    print("\n| page | new browser | returning browser |")
    print("| --- | ---: | ---: |")
    for name in names:
        cells = []
        for kind in ("new", "returning"):
            rows = NETWORK.get(name, {}).get(kind, [])
            if not rows:
                cells.append("—")
                continue
            med = [statistics.median(r[i] for r in rows) for i in range(3)]
            cells.append(f"{med[0]:.0f} / {med[1]:,.0f} KB / {med[2]:.2f} s")
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
