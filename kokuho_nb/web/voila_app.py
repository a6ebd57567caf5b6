"""Voilà 0.5 application restricted to the suite's pages (imported only by ``kokuho-nb serve``)."""

from __future__ import annotations

import logging
from typing import Any

import tornado.web
from voila.app import Voila
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

log = logging.getLogger("kokuho_nb.web")


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
            handlers.append(spec)
        landing = url_path_join(self.server_url, "voila/render", self.kokuho_pages.get("index", ""))
        handlers.insert(0, (url_path_join(self.server_url, r"/?"), HomeHandler, {"target": landing}))
        return handlers
