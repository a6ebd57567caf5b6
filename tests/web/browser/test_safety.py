"""Safe by default: loopback only unless a token is given; no traceback ever reaches the browser."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_serve_on_all_interfaces_without_token_refuses_in_japanese():
    proc = subprocess.run([sys.executable, "-m", "kokuho_nb", "serve", "--ip", "0.0.0.0"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "トークンが必要です" in proc.stderr
    assert "--token" in proc.stderr  # says how
    assert "Voilà is running" not in proc.stdout + proc.stderr


def test_uncaught_error_shows_no_traceback(open_empty_page, empty_server, screenshot):
    w = open_empty_page("/voila/render/pages/_error_probe.ipynb")
    page = w.page
    page.locator("#rendered_cells").wait_for(state="visible", timeout=120_000)
    page.get_by_text("問題が発生しました").first.wait_for(timeout=60_000)
    text = page.locator("body").inner_text()
    assert "SECRET-TRACEBACK-DETAIL" not in page.content()
    assert "Traceback" not in text and "RuntimeError" not in text
    # Only Japanese: not Voilà's English prefix ("There was an error when executing cell [2]. ..."), nor an
    # English error name; no Latin word at all in what the user sees.
    assert "There was an error" not in page.content() and "Execution error" not in page.content()
    assert re.search(r"[A-Za-z]{2,}", text) is None, text
    assert "担当の係にお問い合わせください" in text
    screenshot(w, "error-probe")
    assert w.external == []
    assert w.failed == []
    assert [m for m in w.console_errors if "404" in m] == []


def test_data_page_without_data_explains_and_logs(open_empty_page, empty_server, screenshot):
    w = open_empty_page("/voila/render/pages/officer.ipynb", ready="officer", state="error")
    body = w.page.locator("body").inner_text()
    assert "まだ台帳データが取り込まれていません" in body
    assert "Traceback" not in body and "UserError" not in body
    screenshot(w, "officer-no-data")
    w.check_clean()


def test_unpublished_notebooks_are_not_served(empty_server):
    import urllib.error
    import urllib.request

    for path in ("/voila/tree", "/voila/render/pages/../ojt_missing.ipynb", "/voila/api/contents/",
                 "/voila/files/pages/index.ipynb"):
        try:
            urllib.request.urlopen(empty_server.base + path, timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404), path
        else:
            raise AssertionError(f"{path} was served")


def test_token_is_required_when_given(serve_with):
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    token = "t" * 24
    srv = serve_with("--no-preheat", "--token", token)
    page = srv.base + "/voila/render/pages/index.ipynb"
    try:
        resp = urllib.request.build_opener(NoRedirect).open(page, timeout=60)
        status, body = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, body = exc.code, ""
    assert status in (302, 403), (status, body[:200])  # no page without the token (login redirect)
    with urllib.request.urlopen(f"{page}?token={token}", timeout=300) as resp:
        assert resp.status == 200


def test_static_files_cached_compressed_and_no_mathjax(empty_server):
    """Returning browsers re-request nothing hashed; JavaScript travels gzipped; the MathJax stand-in answers."""
    import glob
    import gzip
    import urllib.request

    def get(path: str, **headers: str):
        req = urllib.request.Request(empty_server.base + path, headers=headers)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()

    entry = glob.glob(f"{sys.prefix}/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/static/"
                      "remoteEntry.*.js")[0]
    status, headers, body = get("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/"
                                + Path(entry).name, **{"Accept-Encoding": "gzip"})
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == Path(entry).read_bytes()
    status, headers, _ = get("/voila/static/voila.js")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    status, headers, body = get("/voila/kokuho/no-mathjax.js?config=none&amp;delayStartupUntil=configured")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"window.MathJax" in body
