"""The monthly meeting pack (月例会議資料) and the decisions it produces (issue 5).

``build_pack(month, store)`` gathers the month's figures into six sections; ``write_outputs(pack, out_dir)``
writes the HTML, A4 PDF and Excel workbook; :mod:`kokuho_nb.casework.decisions` ingests the filled-in
decisions sheet and serves it back to next month's target lists and pack.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kokuho_nb.meeting.excel import write_workbook
from kokuho_nb.meeting.pack import MeetingPack, build_pack
from kokuho_nb.meeting.render import render_html, write_pdf
from kokuho_nb.months import Month

__all__ = ["MeetingPack", "build_pack", "output_names", "write_outputs"]


def output_names(month: Month | str) -> dict[str, str]:
    return {"html": f"meeting_{month}.html", "pdf": f"meeting_{month}.pdf", "xlsx": f"meeting_{month}.xlsx"}


def write_outputs(pack: MeetingPack, out_dir: str | Path) -> dict[str, Path]:
    """Write HTML, PDF and Excel for ``pack`` into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = output_names(pack.month)
    html = render_html(pack)
    (out / names["html"]).write_text(html, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="meeting-pdf-") as images:
        # same document, charts linked as PNG files (same bytes as the data URIs) so WeasyPrint parses faster
        pdf_path = write_pdf(render_html(pack, image_dir=Path(images)), out / names["pdf"])
    paths = {"html": out / names["html"], "pdf": pdf_path, "xlsx": write_workbook(pack, out / names["xlsx"])}
    return paths
