"""Render the pack: one HTML document (no code) used both on screen and, through WeasyPrint, for the A4
PDF, so charts and tables are identical; and the Excel workbook of its tables with the 決定事項 sheet."""

from __future__ import annotations

import html as html_lib
import math
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kokuho_nb.era import to_wareki
from kokuho_nb.labels import t
from kokuho_nb.meeting.common import Table
from kokuho_nb.meeting.pack import MeetingPack
from kokuho_nb.report import pdf

TEMPLATES = Path(__file__).resolve().parent.parent / "report" / "templates"
BOX_COLUMNS = ("meeting.col.decision", "meeting.col.owner")


def _fmt(v: Any) -> tuple[str, bool]:
    """Cell text and whether it is numeric (right-aligned)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return "", False
    if isinstance(v, bool):
        return ("○" if v else ""), False
    if isinstance(v, int) or (hasattr(v, "dtype") and "int" in str(getattr(v, "dtype", ""))):
        return f"{int(v):,}", True
    if isinstance(v, float):
        return (f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}".rstrip("0").rstrip(".")), True
    return str(v), False


def table_html(tab: Table) -> str:
    frame = tab.frame
    if frame is None or frame.empty and len(frame.columns) == 0:
        return f'<p class="note">{html_lib.escape(t("meeting.none"))}</p>'
    boxes = {t(k) for k in BOX_COLUMNS}
    head = "".join(f"<th>{html_lib.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, row, strict=True):
            text, num = _fmt(v)
            cls = ' class="box"' if col in boxes and not text else (' class="num"' if num else "")
            cells.append(f"<td{cls}>{html_lib.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(frame.columns)}">{html_lib.escape(t("meeting.none"))}</td></tr>')
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def render_html(pack: MeetingPack, image_dir: Path | None = None) -> str:
    """The pack as one HTML document. Charts are embedded as data URIs (a self-contained file), or, with
    ``image_dir``, written there as PNG files and linked by ``file://`` URI: the same bytes, but WeasyPrint's
    HTML tokenizer then needn't read ~1 MB of base64 character by character (used for the PDF only)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    tpl = env.get_template("meeting_pack.html.j2")
    sections = []
    for s in pack.sections:
        sections.append({
            "key": s.key, "number": s.number, "title": s.title, "conclusion": s.conclusion, "landscape": s.landscape,
            "charts": [{"title": c.title, "uri": _chart_src(c, s.key, i, image_dir)}
                       for i, c in enumerate(s.charts)],
            "tables": [{"title": tb.title, "note": tb.note, "html": _markup(table_html(tb))} for tb in s.tables if tb.printed],
        })
    label = pack.month.wareki()
    footer = f"{t('meeting.pack_title')} {label}" + (f"　{t('common.synthetic_mark')}" if pack.synthetic else "")
    return tpl.render(
        css=pdf.print_css(landscape=False, footer_left=footer),
        title=t("meeting.pack_title"), subtitle=t("meeting.cover_subtitle"), month_label=label,
        cover_month=t("meeting.cover_month", month=label, as_of=to_wareki(pack.as_of)),
        basis=t("meeting.cover_meeting_basis"), attendees_label=t("meeting.cover_attendees"),
        attendees=pack.attendees, contents=t("meeting.contents"), sections=sections,
        notes=pack.notes, synthetic=pack.synthetic, synthetic_banner=t("common.synthetic_banner"),
        synthetic_mark=t("common.synthetic_mark"), generated=t("meeting.generated", when=pack.generated_at),
    )


def _chart_src(chart: Any, section: str, i: int, image_dir: Path | None) -> str:
    if image_dir is None:
        return str(chart.uri)
    path = Path(image_dir) / f"{section}_{i}.png"
    path.write_bytes(chart.png)
    return path.resolve().as_uri()


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)  # noqa: S704 - built above with every cell escaped


def write_pdf(html: str, path: Path) -> Path:
    return pdf.html_to_pdf(html, path)


def fragment_html(pack: MeetingPack) -> str:
    """The sections as an HTML fragment (for the notebook's own display; no cover)."""
    parts = []
    if pack.synthetic:
        parts.append(f"<p><b>{html_lib.escape(t('common.synthetic_banner'))}</b></p>")
    parts += [f"<p>{html_lib.escape(note)}</p>" for note in pack.notes]
    for s in pack.sections:
        parts.append(f"<h2>{s.number}. {html_lib.escape(s.title)}</h2>")
        parts.append(f"<p><b>{html_lib.escape(s.conclusion)}</b></p>")
        for c in s.charts:
            parts.append(f'<img alt="{html_lib.escape(c.title)}" src="{c.uri}" style="max-width:100%">')
        for tb in s.tables:
            if tb.printed:
                parts.append(f"<h3>{html_lib.escape(tb.title)}</h3>" + table_html(tb))
    return "\n".join(parts)
