"""Voilà 0.5 application restricted to the suite's pages (imported only by ``kokuho-nb serve``)."""

from __future__ import annotations

import logging
import re
from typing import Any

import tornado.web
from jupyter_server.base.handlers import FileFindHandler
from voila.app import Voila
from voila.execute import VoilaExecutor
from voila.static_file_handler import MultiStaticFileHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from kokuho_nb.labels import t

log = logging.getLogger("kokuho_nb.web")

IMMUTABLE = "public, max-age=31536000, immutable"
# Lab extension files named by their content hash (remoteEntry.c8c9eed2cdefdeac.js, 704.6a820cc839aca480.js).
HASHED_NAME = re.compile(r"(^|/)[\w.-]*\.[0-9a-f]{16,}\.js$")
# Voilà's own webpack chunks (8925.voila.js): not content-hashed, so cached for a day only (a Voilà upgrade
# restarts the server; browsers pick up changed chunks within a day, or at once with a forced reload).
VOILA_CHUNK = re.compile(r"^\d+\.voila\.js$")
VOILA_CHUNK_MAX_AGE = 86400
# Voilà's frontend loads MathJax 3 (16 files, ~0.9 MB of JavaScript, typeset on every page) unless the page
# config sets fullMathjaxUrl / mathjaxConfig: then it takes the MathJax 2 typesetter, which loads the script at
# that URL on its first use. The template points it at this stub (no page shows formulas): nothing fails and no
# formula engine is loaded.
NO_MATH_PATH = "/voila/kokuho/no-mathjax.js"
NO_MATH_STUB = (
    "/* kokuho-nb: no MathJax on these pages */\n"
    "window.MathJax = window.MathJax || {Hub: {Config: function () {}, Configured: function () {},\n"
    "  Queue: function () {}, Register: {StartupHook: function () {}}}, Ajax: {},\n"
    "  InputJax: {TeX: {resetEquationNumbers: function () {}}}};\n"
)


class KokuhoExecutor(VoilaExecutor):
    """Voilà's executor with Japanese-only error outputs.

    Voilà replaces an uncaught error's traceback by "There was an error when executing cell [n]. <instruction>"
    (and a timeout by an English sentence); here the output holds only the Japanese instruction
    (``web.common.cell_error`` / ``web.common.cell_timeout``). The details stay in the server log. With
    ``show_tracebacks`` (tests and debugging only) errors are shown as Voilà shows them.
    """

    def strip_code_cell_errors(self, cell: Any) -> Any:
        if cell.get("cell_type") != "code":
            return cell
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["ename"] = t("web.common.error_name")
                output["evalue"] = ""
                output["traceback"] = [self.cell_error_instruction]
        return cell

    def show_code_cell_timeout(self, cell: Any) -> None:
        cell["outputs"] = [{"output_type": "error", "ename": t("web.common.error_name"), "evalue": "",
                            "traceback": [t("web.common.cell_timeout")]}]


def _use_kokuho_executor() -> None:
    """Voilà's renderers name ``VoilaExecutor`` directly; point them at :class:`KokuhoExecutor`."""
    import voila.notebook_renderer
    import voila.tornado.execution_request_handler

    voila.notebook_renderer.VoilaExecutor = KokuhoExecutor
    voila.tornado.execution_request_handler.VoilaExecutor = KokuhoExecutor


class PageHandler(TornadoVoilaHandler):
    """Renders a notebook only if it is one of the published pages; anything else is a 404."""

    def initialize(self, **kwargs: Any) -> None:
        self.kokuho_pages: set[str] = set(kwargs.pop("kokuho_pages"))
        super().initialize(**kwargs)

    async def get(self, path: str | None = None) -> None:
        if path not in self.kokuho_pages:
            raise tornado.web.HTTPError(404)
        # Voilà's page shuts its kernel down on unload with a beacon carrying the _xsrf cookie, but the
        # page never sets that cookie (-> 403, the kernel lingers until culled). Accessing the token sets it.
        _ = self.xsrf_token
        await super().get(path)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and status_code >= 500:
            log.error("page %s failed", self.request.path, exc_info=exc_info)
        super().write_error(status_code, **kwargs)


class LabExtensionsHandler(FileFindHandler):
    """Voilà's lab extension files; content-hashed names are immutable (Voilà sends ``no-cache`` for all, so a
    returning browser revalidated ~14 files per page, in sequence: remoteEntry, then its chunks)."""

    def set_headers(self) -> None:
        super().set_headers()
        if HASHED_NAME.search(self.request.path):
            self.set_header("Cache-Control", IMMUTABLE)


class VoilaStaticHandler(MultiStaticFileHandler):
    """Voilà's frontend bundle: chunks cached for a day; the entry ``voila.js`` revalidated on each visit."""

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        if VOILA_CHUNK.match(path.rsplit("/", 1)[-1]):
            return VOILA_CHUNK_MAX_AGE
        return super().get_cache_time(path, modified, mime_type)

    def set_extra_headers(self, path: str) -> None:
        if not VOILA_CHUNK.match(path.rsplit("/", 1)[-1]) and "v" not in self.request.arguments:
            self.set_header("Cache-Control", "no-cache")


class NoMathHandler(tornado.web.RequestHandler):
    """The MathJax stand-in (see :data:`NO_MATH_STUB`)."""

    def get(self, *_: Any) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=86400")
        self.finish(NO_MATH_STUB)


class HomeHandler(tornado.web.RequestHandler):
    """``/`` goes to the landing page (keeping ``?token=`` so a first visit logs in)."""

    def initialize(self, target: str) -> None:
        self.target = target

    def get(self) -> None:
        query = self.request.query
        self.redirect(self.target + (f"?{query}" if query else ""))


class KokuhoVoila(Voila):
    """Voilà serving ``notebooks/`` but exposing only :data:`kokuho_nb.web.server.PAGES`."""

    name = "kokuho-voila"
    kokuho_pages: dict[str, str] = {}

    def initialize(self, argv: Any = None) -> None:
        _use_kokuho_executor()
        super().initialize(argv)

    def init_settings(self) -> dict:
        settings = super().init_settings()
        # gzip text responses (HTML, JS, CSS, JSON): the ~4.8 MB of JavaScript a new browser fetches shrinks to
        # about a quarter, which matters on the ward's intranet (on loopback it is about even). Must be set
        # before tornado.web.Application is built (Voila.tornado_settings is applied after: too late).
        settings["compress_response"] = True
        return settings

    def init_handlers(self) -> list:
        from jupyter_server.utils import url_path_join

        handlers = []
        for spec in super().init_handlers():
            handler = spec[1]
            if handler in (TornadoVoilaTreeHandler, VoilaContentsHandler):
                continue  # no directory listing, no contents API
            if handler is TornadoVoilaHandler:
                kwargs = dict(spec[2])
                kwargs["kokuho_pages"] = set(self.kokuho_pages.values())
                spec = (spec[0], PageHandler, kwargs)
            elif handler is FileFindHandler and "labextensions" in spec[0]:
                spec = (spec[0], LabExtensionsHandler, spec[2])
            elif handler is MultiStaticFileHandler:
                spec = (spec[0], VoilaStaticHandler, spec[2])
            handlers.append(spec)
        landing = url_path_join(self.server_url, "voila/render", self.kokuho_pages.get("index", ""))
        handlers.insert(0, (url_path_join(self.server_url, r"/?"), HomeHandler, {"target": landing}))
        handlers.insert(1, (url_path_join(self.server_url, NO_MATH_PATH), NoMathHandler))
        return handlers
