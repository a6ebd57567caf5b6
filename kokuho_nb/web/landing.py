"""The landing page: one link per app, in Japanese."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.web import data
from kokuho_nb.web.common import esc, header_html
from kokuho_nb.web.server import NOTEBOOKS_DIR, PAGES, page_url

LINKS = ("officer", "dashboard", "ojt", "imports")


def landing_html(available: dict[str, bool], *, meta: str = "", synthetic: bool = True,
                 base_url: str = "/", as_of: dt.date | None = None) -> str:
    """The landing page's HTML. ``available`` says which pages exist (a missing one is shown 準備中);
    ``as_of`` (the latest snapshot's date) adds the notice when that year's 延滞金 rate is missing."""

    items = []
    for name in LINKS:
        label = t(f"web.index.pages.{name}.name")
        text = t(f"web.index.pages.{name}.text")
        if available.get(name):
            link = (f'<a class="kokuho-link" data-page="{name}" target="_self" '
                    f'href="{esc(page_url(name, base_url))}">{esc(label)}</a>')
        else:
            link = f'<span class="kokuho-link-missing">{esc(label)} {esc(t("web.index.unavailable"))}</span>'
        items.append(f"<li>{link}<div class='kokuho-note'>{esc(text)}</div></li>")
    return (header_html(t("web.index.title"), synthetic=synthetic, meta=meta, as_of=as_of)
            + f'<div class="kokuho-page"><p>{esc(t("web.index.lead"))}</p>'
            + f'<ul class="kokuho-links">{"".join(items)}</ul></div>')


def build(store: Any = None) -> Any:
    # An ipywidgets HTML widget, not an IPython HTML output: JupyterLab's output renderer hands local links
    # to a document manager (which Voilà doesn't have), so a click would do nothing.
    import ipywidgets as w


    available = {name: (NOTEBOOKS_DIR / path).exists() for name, path in PAGES.items()}
    meta, synthetic, as_of = "", True, None
    try:
        manifest = data.read_manifest(data.open_store(store))
        meta = t("web.common.snapshot", as_of=manifest.get("as_of", "?"), snapshot_id=manifest.get("id", "?"))
        synthetic = data.is_synthetic(manifest)
        as_of = dt.date.fromisoformat(str(manifest.get("as_of")))
    except UserError as exc:
        meta = exc.message
    except ValueError:  # a manifest without a readable date: no notice, the rest of the page still works
        as_of = None
    return w.HTML(landing_html(available, meta=meta, synthetic=synthetic, as_of=as_of))
