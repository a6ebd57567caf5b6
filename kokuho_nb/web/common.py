"""What every page shares: the frame (title, 模擬データ banner, style), the friendly error, the ready marker.

A page notebook is two cells: ``parameters`` (``store = None``) and ``show_page("officer", build)``
where ``build(ctx)`` returns the page's widget. Errors never reach the browser as tracebacks: they are
logged to the server's stderr (the kernel's real stderr is the Voilà server log) and the page shows a
Japanese message. Every page ends with ``<div class="kokuho-ready" data-page=NAME data-state=ok|error>``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import sys
from collections.abc import Callable
from typing import Any

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.law import rate_gap_notice

log = logging.getLogger("kokuho_nb.web")


def _server_log_handler() -> None:
    """Send this package's log records to the process's real stderr (the Voilà server log)."""
    if not any(getattr(h, "_kokuho_web", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._kokuho_web = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


STYLE = """
<style>
.kokuho-page { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; color: #1f2933; font-size: 14px; }
.kokuho-page h1 { font-size: 22px; margin: 0 0 4px 0; }
.kokuho-page h2 { font-size: 17px; margin: 18px 0 6px 0; border-bottom: 2px solid #2f6f8f; padding-bottom: 2px; }
.kokuho-banner { background: #fff4ce; border: 1px solid #e0b400; padding: 4px 10px; margin: 6px 0;
  font-weight: bold; display: inline-block; }
.kokuho-meta { color: #52606d; font-size: 12px; }
.kokuho-entaikin-notice { background: #fff4ce; border-left: 4px solid #e0b400; padding: 4px 10px; margin: 6px 0; }
.kokuho-error { background: #fdecea; border-left: 6px solid #c0392b; padding: 10px 14px; margin: 8px 0; }
.kokuho-note { color: #52606d; margin: 6px 0; }
.kokuho-table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
.kokuho-table th { background: #e4edf2; border: 1px solid #b8c7d1; padding: 3px 6px; white-space: nowrap; }
.kokuho-table td { border: 1px solid #d3dde3; padding: 3px 6px; text-align: left; }
.kokuho-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.kokuho-kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0; }
.kokuho-kpi { background: #fff; border: 1px solid #c8d3db; border-radius: 4px; padding: 8px 12px; min-width: 150px; }
.kokuho-kpi .label { color: #52606d; font-size: 12px; }
.kokuho-kpi .value { font-size: 20px; font-weight: bold; }
.kokuho-links { list-style: none; padding: 0; }
.kokuho-links li { margin: 10px 0; padding: 10px 14px; background: #fff; border: 1px solid #c8d3db; border-radius: 4px; }
.kokuho-links a { font-size: 17px; font-weight: bold; color: #1d5c7d; }
.kokuho-loading-inline { color: #52606d; font-style: italic; }
.kokuho-list td:nth-child(-n+5), .kokuho-table td.num { white-space: nowrap; }
.kokuho-page table.data { border-collapse: collapse; font-size: 12px; margin: 4px 0 10px 0; }
.kokuho-page table.data th { background: #e4edf2; border: 1px solid #b8c7d1; padding: 2px 5px; }
.kokuho-page table.data td { border: 1px solid #d3dde3; padding: 2px 5px; }
.kokuho-page table.data td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.kokuho-page table.data td.box { min-width: 8em; }
.kokuho-section { margin: 10px 0; padding: 4px 10px; background: #fff; border: 1px solid #c8d3db; }
.kokuho-section summary { font-size: 16px; cursor: pointer; padding: 4px 0; }
.kokuho-section h3 { font-size: 14px; margin: 10px 0 2px 0; }
.kokuho-conclusion { font-weight: bold; }
a.kokuho-download { display: inline-block; padding: 6px 12px; background: #1d5c7d; color: #fff;
  border-radius: 4px; text-decoration: none; margin: 4px 0; }
</style>
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def ready_marker(name: str, state: str = "ok") -> str:
    return f'<div class="kokuho-ready" data-page="{esc(name)}" data-state="{esc(state)}"></div>'


def error_html(message: str) -> str:
    return f'<div class="kokuho-error" role="alert">{esc(message)}</div>'


def header_html(title: str, *, synthetic: bool, meta: str = "", as_of: dt.date | None = None) -> str:
    """The page head; ``as_of`` (the data's date) adds the 延滞金 notice when that year's rate is missing."""
    parts = [STYLE, '<div class="kokuho-page">', f"<h1>{esc(title)}</h1>"]
    if synthetic:
        parts.append(f'<div class="kokuho-banner kokuho-synthetic">{esc(t("common.synthetic_banner"))}</div>')
    if meta:
        parts.append(f'<div class="kokuho-meta">{esc(meta)}</div>')
    notice = rate_gap_notice(as_of) if as_of is not None else None
    if notice:
        parts.append(f'<div class="kokuho-entaikin-notice" role="note">{esc(notice)}</div>')
    parts.append("</div>")
    return "".join(parts)


def friendly_message(exc: BaseException) -> str:
    """The Japanese text a user sees for an error: a UserError's own message, else the generic one."""
    if isinstance(exc, UserError):
        return exc.message
    return t("web.common.page_error")


def report_error(where: str, exc: BaseException) -> str:
    """Log ``exc`` with its traceback to the server log and return the message for the user."""
    _server_log_handler()
    if isinstance(exc, UserError):
        log.warning("%s: %s", where, exc)
    else:
        log.error("%s failed", where, exc_info=exc)
    return friendly_message(exc)


def show_page(name: str, build: Callable[[], Any]) -> None:
    """Build and display a page; on failure show a friendly Japanese message. Always ends with the marker.

    When the page is a widget, the marker is the last child of the page's own widget box, so it reaches the
    DOM when the widgets are rendered (not before, as a separate output would).
    """
    from IPython.display import HTML, display

    _server_log_handler()
    state = "ok"
    try:
        content = build()
    except Exception as exc:  # noqa: BLE001 - every failure becomes a friendly message
        state = "error"
        body = (STYLE + '<div class="kokuho-page">' + error_html(report_error(f"page {name}", exc))
                + f'<p><a href="/" target="_self">{esc(t("web.common.back_home"))}</a></p></div>')
        content = _link_safe_html(body)
    marker = ready_marker(name, state)
    try:
        import ipywidgets as w
    except ImportError:  # pragma: no cover
        w = None
    if w is not None and isinstance(content, w.Widget):
        display(w.VBox([content, w.HTML(marker)]))
        return
    if content is not None:
        display(content)
    display(HTML(marker))


def _link_safe_html(body: str) -> Any:
    """HTML whose links work in Voilà: an ipywidgets HTML (JupyterLab's output renderer would hand local
    links to a document manager that Voilà doesn't have); a plain HTML output where widgets are missing."""
    try:
        import ipywidgets as w

        return w.HTML(body)
    except ImportError:  # pragma: no cover
        from IPython.display import HTML

        return HTML(body)


def safe_callback(out: Any, where: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator for widget callbacks: an error shows a friendly message in ``out`` (an HTML widget)."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> None:
            try:
                fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001
                out.value = error_html(report_error(where, exc))

        return inner

    return wrap


def table_html(rows: list[dict[str, Any]], columns: dict[str, str], *, numeric: set[str] = frozenset(),
               css_class: str = "kokuho-table", formats: dict[str, Callable[[Any], str]] | None = None) -> str:
    """A small HTML table (values escaped); ``columns`` maps keys to Japanese headers."""
    formats = formats or {}
    head = "".join(f"<th>{esc(label)}</th>" for label in columns.values())
    body = []
    for row in rows:
        cells = []
        for key in columns:
            value = row.get(key)
            text = formats[key](value) if key in formats else _fmt(value)
            cls = ' class="num"' if key in numeric else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    try:
        import pandas as pd

        if value is pd.NA or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
            return "—"
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value, "dtype", None) is not None
                                  and str(value.dtype).startswith("int")):
        return f"{int(value):,}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)


