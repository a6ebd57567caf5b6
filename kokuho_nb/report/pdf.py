"""HTML to A4 PDF, offline, with an embedded Japanese font (WeasyPrint).

The font is IPAexGothic shipped inside the ``matplotlib-fontja`` wheel, so the same glyphs are used in charts
and in PDF and nothing needs downloading at run time.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib_fontja

FONT_FILE = Path(matplotlib_fontja.__file__).resolve().parent / "fonts" / "ipaexg.ttf"
FONT_FAMILY = "IPAexGothic"


def font_face_css() -> str:
    """An ``@font-face`` rule naming the bundled CJK font file, for any HTML that will be printed."""
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{FONT_FILE.as_uri()}"); }}\n'


def print_css(landscape: bool = False, footer_left: str = "") -> str:
    """Page rules for A4 with page numbers ("n / N") in the footer."""
    size = "A4 landscape" if landscape else "A4"
    left = footer_left.replace('"', "'")
    return (
        font_face_css()
        + f"@page {{ size: {size}; margin: 15mm 12mm 16mm 12mm;"
        + f' @bottom-right {{ content: counter(page) " / " counter(pages); font-family: "{FONT_FAMILY}"; font-size: 8pt; }}'
        + f' @bottom-left {{ content: "{left}"; font-family: "{FONT_FAMILY}"; font-size: 8pt; }} }}\n'
        + f'body {{ font-family: "{FONT_FAMILY}", sans-serif; }}\n'
    )


def html_to_pdf(html: str, out_path: str | Path, base_url: str | Path | None = None) -> Path:
    """Render ``html`` to ``out_path`` (A4 per the document's ``@page`` rules); returns the path."""
    from weasyprint import HTML  # imported lazily: slow import, only needed when printing

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(str(out))
    return out
