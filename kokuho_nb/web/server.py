"""``kokuho-nb serve``: the suite's pages, published with Voilà (standalone, not a JupyterLab extension).

Safety by default:

- bound to 127.0.0.1; any other address needs a token (:func:`check_bind`);
- only the pages in :data:`PAGES` can be rendered (the other notebooks in ``notebooks/`` are papermill
  products and must never run from a browser); no directory listing, no file download route;
- tracebacks never reach the browser (``show_tracebacks`` False; pages catch their own errors too);
- every asset is served by this server (template ``kokuho`` drops Voilà's CDN links);
- idle kernels are culled; each page gets a pre-heated kernel (the pages do not depend on the request).

The store path reaches the page kernels as the ``KOKUHO_STORE`` environment variable.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import REPO_ROOT
from kokuho_nb.store.paths import resolve_outputs, resolve_store
from kokuho_nb.web.voila_app import KokuhoVoila

log = logging.getLogger(__name__)

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
JUPYTER_DATA_DIR = Path(__file__).resolve().parent / "share"
TEMPLATE = "kokuho"

# name -> notebook path relative to notebooks/. The OJT app belongs to the training module.
PAGES: dict[str, str] = {
    "index": "pages/index.ipynb",
    "officer": "pages/officer.ipynb",
    "dashboard": "pages/dashboard.ipynb",
    "imports": "pages/imports.ipynb",
    "ojt": "ojt_app.ipynb",
}
# Only this page may run in a test server: it fails on purpose to prove that no traceback is shown.
TEST_PAGES: dict[str, str] = {"error_probe": "pages/_error_probe.ipynb"}

LOOPBACK = "127.0.0.1"


def page_url(name: str, base_url: str = "/") -> str:
    """The URL path of a page (``/voila/render/pages/officer.ipynb``)."""
    return f"{base_url.rstrip('/')}/voila/render/{PAGES.get(name) or TEST_PAGES[name]}"


def is_loopback(ip: str) -> bool:
    if ip in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def check_bind(ip: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token (a Japanese message says how)."""
    if not is_loopback(ip) and not token:
        raise UserError(t("web.serve.token_required", ip=ip), detail="a non-loopback --ip requires --token")
    if token is not None and len(token) < 16 and not is_loopback(ip):
        raise UserError(t("web.serve.token_too_short"), detail="token shorter than 16 characters")


@dataclass
class ServeOptions:
    port: int = 8866
    ip: str = LOOPBACK
    token: str | None = None
    store: str | Path | None = None
    outputs: str | Path | None = None
    show_tracebacks: bool = False  # only tests may turn this on
    preheat: bool = True
    pool_size: int = 1
    cull_idle_timeout: int = 1800  # seconds a kernel may stay idle
    cull_interval: int = 60
    test_pages: bool = False  # also serve TEST_PAGES (the test suite only)
    extra_env: dict[str, str] = field(default_factory=dict)

    def pages(self) -> dict[str, str]:
        pages = dict(PAGES)
        if self.test_pages:
            pages.update(TEST_PAGES)
        return {k: v for k, v in pages.items() if (NOTEBOOKS_DIR / v).exists()}


def voila_config(opts: ServeOptions) -> Any:
    """The traitlets configuration for :class:`KokuhoVoila` (Voilà 0.5 / jupyter_server 2)."""
    from traitlets.config import Config

    pages = opts.pages()
    c = Config()
    c.Voila.ip = opts.ip
    c.Voila.port = opts.port
    c.Voila.port_retries = 0  # never silently move to another port
    c.Voila.open_browser = False
    c.Voila.root_dir = str(NOTEBOOKS_DIR)
    c.Voila.token = opts.token or None
    c.Voila.auto_token = False
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.theme = "light"
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.allow_theme_override = "NO"
    c.VoilaConfiguration.show_tracebacks = opts.show_tracebacks
    c.VoilaExecutor.show_tracebacks = opts.show_tracebacks
    c.VoilaExecutor.cell_error_instruction = t("web.common.cell_error")
    # nbclient drops a cell's late outputs after iopub_timeout (default 4 s) once the kernel has replied: on a
    # busy server that loses the page's last output (the ready marker). Wait longer instead.
    c.VoilaExecutor.iopub_timeout = 120
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.file_allowlist = []  # /voila/files serves nothing
    c.VoilaConfiguration.file_denylist = [r".*"]
    c.VoilaConfiguration.extension_allowlist = [
        "@jupyter-widgets/jupyterlab-manager",
        "@voila-dashboards/widgets-manager8",
    ]
    c.HTMLExporter.language_code = "ja"
    # Pre-heating: one kernel per page, waiting with the page already executed. Nothing else is pre-heated.
    c.VoilaConfiguration.preheat_kernel = opts.preheat
    c.VoilaConfiguration.default_pool_size = 0
    c.VoilaKernelManager.kernel_pools_config = {
        "default": {"pool_size": 0},
        **{path: {"pool_size": opts.pool_size} for name, path in pages.items() if name not in TEST_PAGES},
    }
    # Refill a pool 10 s after its kernel was taken, not 1 s: starting and executing the next kernel in the
    # same second competes with the browser fetching the page's ~90 static files from this server.
    c.VoilaKernelManager.fill_delay = 10.0
    # Culling (MappingKernelManager is the base of Voilà's kernel manager; pooled kernels are never culled).
    c.MappingKernelManager.cull_idle_timeout = opts.cull_idle_timeout
    c.MappingKernelManager.cull_interval = opts.cull_interval
    c.MappingKernelManager.cull_connected = True
    c.MappingKernelManager.cull_busy = False
    return c


def _kernel_environment(opts: ServeOptions) -> None:
    """Environment inherited by every page kernel (Voilà copies ``os.environ`` when starting one)."""

    os.environ["KOKUHO_STORE"] = str(resolve_store(opts.store))
    os.environ["KOKUHO_OUTPUTS"] = str(resolve_outputs(opts.outputs))
    # Our template directory first, so that template "kokuho" is found.
    paths = [str(JUPYTER_DATA_DIR)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.update(opts.extra_env)


def make_app(opts: ServeOptions) -> Any:
    """Build (and initialise) the Voilà application without starting it."""

    check_bind(opts.ip, opts.token)
    _kernel_environment(opts)
    app = KokuhoVoila(config=voila_config(opts))
    app.kokuho_pages = opts.pages()
    app.initialize(argv=[str(NOTEBOOKS_DIR)])
    return app


def serve(opts: ServeOptions) -> int:
    app = make_app(opts)
    print(t("web.serve.starting", url=_display_url(opts)), flush=True)
    app.start()  # blocks until SIGINT / SIGTERM
    return 0


def _display_url(opts: ServeOptions) -> str:
    host = "127.0.0.1" if is_loopback(opts.ip) else opts.ip
    url = f"http://{host}:{opts.port}/"
    return url + (f"?token={opts.token}" if opts.token else "")


def new_token() -> str:
    return secrets.token_urlsafe(24)
