"""Browser tests: the real ``kokuho-nb serve`` on a free loopback port, driven by the system Chromium.

Skipped (with the reason) only when /usr/bin/chromium is absent; ``scripts/system-deps.sh`` installs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kokuho_nb.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts"
SERVER_START_TIMEOUT = 120  # seconds; the machine is shared and kernels pre-heat at start
READY_TIMEOUT_MS = 120_000  # a cold page on a busy 2-core machine can take a while

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is absent (run scripts/system-deps.sh as root to install chromium)",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    store: Path
    outputs: Path
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_server(store: Path, outputs: Path, log_path: Path, *extra: str) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "kokuho_nb", "serve", "--port", str(port), "--store", str(store),
           "--out", str(outputs), "--test-pages", *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    logf = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=logf, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"kokuho-nb serve exited early:\n{log_path.read_text(errors='replace')}")
        try:
            urllib.request.urlopen(base + "/voila/static/voila.js", timeout=2).close()
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"server not up after {SERVER_START_TIMEOUT}s:\n{log_path.read_text()}") from None
            time.sleep(0.3)  # polling for the port, not synchronising the test
    return Server(base=base, store=store, outputs=outputs, proc=proc, log_path=log_path)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def web_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small synthetic store (pages write caches and attempts into it).

    ``small_store`` (tests/conftest.py) when the synthetic ward generator is available; until then the
    importer's fixture ledger (tests/fixtures/ledger/standard).
    """
    try:
        from kokuho_nb.synth import generate  # noqa: F401
    except ImportError:
        from kokuho_nb.ledger.importer import import_ledger

        source = tmp_path_factory.mktemp("web-src") / "store"
        source.mkdir()
        report = import_ledger(REPO / "tests" / "fixtures" / "ledger" / "standard", source)
        assert report.ok, report.to_dict()
    else:
        source = Path(request.getfixturevalue("small_store"))
    dest = tmp_path_factory.mktemp("web") / "store"
    shutil.copytree(source, dest)
    return dest


@pytest.fixture(scope="session")
def web_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-outputs")


@pytest.fixture(scope="session")
def issued(web_store: Path, web_outputs: Path) -> dict:
    """This month's target lists issued in the store, and one officer's workbook written, as
    ``kokuho-nb month run`` would (the 担当者ページ shows the issued list and offers the workbook)."""
    from kokuho_nb.casework.issued import issued_items
    from kokuho_nb.targets.render import render_lists

    as_of = Store(web_store).load().as_of
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    from kokuho_nb.targets.lists import issue_month

    issue_month(web_store, month)
    items = issued_items(Store(web_store), month)
    officer_items = items[items["kind"] == "officer"]
    code = officer_items["list_code"].value_counts().index[0] if len(officer_items) else None
    if code is not None:
        render_lists(web_store, month, web_outputs / month, officers=[code], centre=False, summary=False)
    return {"month": month, "items": officer_items, "officer": code}


@pytest.fixture(scope="session")
def server(web_store: Path, web_outputs: Path, issued: dict) -> Iterator[Server]:
    ARTIFACTS.mkdir(exist_ok=True)
    srv = start_server(web_store, web_outputs, ARTIFACTS / "serve.log")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Watched:
    """A page plus what it did: console errors, failed requests, and requests to non-loopback hosts."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check_clean(self) -> None:
        assert self.external == [], f"requests to non-loopback hosts: {self.external}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "chrome-extension"):
        return True
    return parsed.hostname in ("127.0.0.1", "localhost", "::1")


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server over a store with no snapshot: every data page must fail politely."""
    ARTIFACTS.mkdir(exist_ok=True)
    root = tmp_path_factory.mktemp("web-empty")
    srv = start_server(root / "store", root / "outputs", ARTIFACTS / "serve-empty.log", "--no-preheat")
    yield srv
    stop_server(srv)


def _opener(browser, base: str):
    contexts = []

    def _open(path: str, *, ready: str | None = None, state: str | None = "ok") -> Watched:
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP",
                                  accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        w = Watched(page=page)
        page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: w.console_errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: None if _is_local(r.url) else w.external.append(r.url))
        page.on("requestfailed", lambda r: w.failed.append(r.url))
        page.goto(base + path, wait_until="domcontentloaded")
        if ready:
            page.locator("#rendered_cells").wait_for(state="visible", timeout=READY_TIMEOUT_MS)
            page.locator(f'.kokuho-ready[data-page="{ready}"]').wait_for(state="attached",
                                                                         timeout=READY_TIMEOUT_MS)
            marker_state = page.locator(f'.kokuho-ready[data-page="{ready}"]').get_attribute("data-state")
            if state is not None:
                assert marker_state == state, f"page {ready} ended in state {marker_state}"
        return w

    return _open, contexts


@pytest.fixture
def open_page(browser, server: Server):
    _open, contexts = _opener(browser, server.base)
    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def open_empty_page(browser, empty_server: Server):
    _open, contexts = _opener(browser, empty_server.base)
    yield _open
    for ctx in contexts:
        ctx.close()


def _screenshot(w: Watched, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    w.page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot():
    """``screenshot(watched, name)`` saves a full-page PNG under test-artifacts/."""
    return _screenshot


@pytest.fixture
def serve_with(tmp_path: Path):
    """``serve_with(*extra_args)`` starts another server (empty store) with extra ``serve`` options."""
    started: list[Server] = []

    def _start(*extra: str) -> Server:
        srv = start_server(tmp_path / "store", tmp_path / "out", tmp_path / "serve.log", *extra)
        started.append(srv)
        return srv

    yield _start
    for srv in started:
        stop_server(srv)
