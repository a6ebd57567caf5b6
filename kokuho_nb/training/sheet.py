"""Printable exercise sheets and their answer keys (HTML and A4 PDF) for classroom sessions.

``write_sheets(flowchart, level, count, seed, out_dir)`` writes, under ``out_dir`` (default
``outputs/training/``), the sheet (questions, blanks, optionally the flowchart as a help) and a separate
answer key (answers, reasons, legal references and the case's path highlighted on the diagram).
"""

from __future__ import annotations

import hashlib
import html
import tempfile
from pathlib import Path

from kokuho_nb.flowcharts import Flowchart, load
from kokuho_nb.flowcharts.render import Drawable, render_svg_and_jpg
from kokuho_nb.labels import t
from kokuho_nb.report.pdf import html_to_pdf, print_css
from kokuho_nb.store import Store
from kokuho_nb.store.paths import resolve_outputs
from kokuho_nb.training.cases import cases_from_store
from kokuho_nb.training.exercises import Exercise, generate, level_spec

CHOICE_MARKS = "アイウエオカキクケコ"
REASON_MARKS = "①②③④⑤⑥⑦⑧⑨⑩"

SHEET_CSS = """
h1 { font-size: 16pt; margin: 0 0 4pt 0; }
.banner { background: #fff3cd; padding: 2pt 6pt; font-size: 9pt; }
.meta { font-size: 9pt; color: #333; }
.q { page-break-inside: avoid; border-top: 1px solid #999; padding-top: 6pt; margin-top: 8pt; }
.q h2 { font-size: 11pt; margin: 0 0 4pt 0; }
table.facts { border-collapse: collapse; font-size: 9pt; margin: 4pt 0; }
table.facts th, table.facts td { border: 1px solid #bbb; padding: 1pt 4pt; text-align: left; }
table.facts th { background: #f2f2f2; font-weight: normal; }
ul.choices { list-style: none; padding-left: 8pt; margin: 2pt 0; font-size: 10pt; }
.blank { border-bottom: 1px solid #000; display: inline-block; min-width: 60mm; height: 14pt; }
.answer { font-size: 10pt; }
.answer .key { font-weight: bold; color: #a00; }
.diagram { page-break-inside: avoid; margin: 6pt 0; }
.diagram svg, .diagram img { max-width: 100%; height: auto; }
.diagram.small svg, .diagram.small img { max-height: 105mm; width: auto; }
"""


def _facts(ex: Exercise) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in ex.facts)
    return f'<table class="facts">{rows}</table>'


def _choice_list(ex: Exercise) -> str:
    out = ""
    if ex.choices:
        items = "".join(f"<li>{CHOICE_MARKS[i]}　{html.escape(c.text)}</li>" for i, c in enumerate(ex.choices))
        out += f'<ul class="choices">{items}</ul>'
    if ex.reason_choices:
        label = t("training.sheet.reasons_multi" if ex.multi_reason else "training.sheet.reasons_single")
        items = "".join(f"<li>{REASON_MARKS[i]}　{html.escape(c.text)}</li>" for i, c in enumerate(ex.reason_choices))
        out += f"<p>{html.escape(label)}</p><ul class=\"choices\">{items}</ul>"
    return out


def _head(fc: Flowchart, level: str, seed: int, title_key: str) -> str:
    title = t(title_key, flowchart=fc.title, level=level)
    meta = t("training.sheet.meta", flowchart=fc.title, level=level, seed=seed, version=fc.version or "-",
             digest=fc.digest[:6])
    return (f'<div class="banner">{html.escape(t("common.synthetic_banner"))}</div>'
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">{html.escape(meta)}</p>")


def _doc(body: str, title: str, css: str) -> str:
    return (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{css}{SHEET_CSS}</style></head><body>{body}</body></html>")


def _diagram(fc: Flowchart, path: Drawable | None, image: str | Path) -> str:
    """An inline SVG (``image="svg"``), or, given a folder, a JPEG written there and linked (for PDF)."""
    svg, jpg = render_svg_and_jpg(fc, path)
    if image == "svg":
        return svg
    folder = Path(image)
    target = folder / f"{hashlib.sha1(jpg).hexdigest()[:16]}.jpg"
    if not target.exists():
        target.write_bytes(jpg)
    return f'<img alt="{html.escape(fc.title)}" src="{target.resolve().as_uri()}">'


def sheet_html(fc: Flowchart, items: list[Exercise], level: str, seed: int, css: str = "",
               image: str | Path = "svg") -> str:
    """The exercise sheet: questions with blanks (and, per level, the flowchart as a help).

    ``image``: ``"svg"`` (inline, for screens) or a folder for JPEG files (much faster for PDF printing).
    """
    parts = [_head(fc, level, seed, "training.sheet.title"),
             f"<p>{html.escape(t('training.sheet.instructions'))}</p>",
             f"<p>{html.escape(t('training.sheet.name_line'))}</p>"]
    if level_spec(level).get("sheet_diagram"):
        parts.append(f'<div class="diagram small"><p>{html.escape(t("training.sheet.diagram_help"))}</p>'
                     f"{_diagram(fc, None, image)}</div>")
    for n, ex in enumerate(items, start=1):
        blank = ""
        if ex.answer_kind == "yen":
            blank = f"<p>{html.escape(t('training.sheet.answer_yen'))}<span class=\"blank\"></span>円</p>"
        elif ex.answer_kind == "date":
            blank = f"<p>{html.escape(t('training.sheet.answer_date'))}<span class=\"blank\"></span></p>"
        else:
            blank = f"<p>{html.escape(t('training.sheet.answer_choice'))}<span class=\"blank\"></span></p>"
        parts.append(
            f'<div class="q" id="{html.escape(ex.id)}"><h2>{html.escape(t("training.sheet.question", n=n))}'
            f"（{html.escape(t('training.kind.' + ex.kind))}）</h2>{_facts(ex)}"
            f"<p>{html.escape(ex.prompt)}</p>{_choice_list(ex)}{blank}</div>")
    return _doc("".join(parts), t("training.sheet.title", flowchart=fc.title, level=level), css)


def _key_of(ex: Exercise) -> str:
    """The answer as marks on the sheet (e.g. ``イ・③``) followed by what they stand for."""
    if ex.answer_kind != "choice":
        return ex.key_text
    mark = CHOICE_MARKS[[c.key for c in ex.choices].index(ex.key["choice"])]
    if ex.reason_choices:
        rkeys = [c.key for c in ex.reason_choices]
        mark += "・" + "".join(REASON_MARKS[rkeys.index(k)] for k in ex.key.get("reasons", []) if k in rkeys)
    return f"{mark}　{ex.key_text}"


def answer_key_html(fc: Flowchart, items: list[Exercise], level: str, seed: int, css: str = "",
                    image: str | Path = "svg") -> str:
    """The separate answer key: answer, explanation, reference, and the case's path on the diagram."""
    parts = [_head(fc, level, seed, "training.sheet.key_title")]
    for n, ex in enumerate(items, start=1):
        diagram = ""
        if ex.path_nodes:
            diagram = f'<div class="diagram small">{_diagram(fc, ex.drawn_path, image)}</div>'
        parts.append(
            f'<div class="q answer"><h2>{html.escape(t("training.sheet.question", n=n))}'
            f"（{html.escape(t('training.kind.' + ex.kind))}）</h2>"
            f'<p>{html.escape(t("training.sheet.answer"))}：<span class="key">{html.escape(_key_of(ex))}</span></p>'
            f"<p>{html.escape(t('training.app.explanation'))}：{html.escape(ex.explanation)}</p>"
            f"<p>{html.escape(t('training.app.reference'))}：{html.escape(ex.reference)}</p>{diagram}</div>")
    return _doc("".join(parts), t("training.sheet.key_title", flowchart=fc.title, level=level), css)


def write_sheets(flowchart: str | Flowchart, level: str, count: int | None = None, seed: int = 1,
                 out_dir: str | Path | None = None, *, store: Store | str | Path | None = None,
                 pdf: bool = True) -> dict[str, Path]:
    """Write the sheet and the answer key as HTML (and A4 PDF); returns their paths by kind.

    With ``store`` (a synthetic store), the cases are based on its case view instead of the case generator.
    """
    fc = load(flowchart)
    pool = None
    if store is not None:
        pool = cases_from_store(Store.open(store), 200, seed) or None
    items = generate(fc, level, count, seed=seed, base_cases=pool)
    out = Path(out_dir) if out_dir else resolve_outputs(None) / "training"
    out.mkdir(parents=True, exist_ok=True)
    code = level_spec(level)["code"]
    stem = f"{fc.id}_{code}_s{seed}"
    css = print_css(False, t("common.synthetic_mark") + " " + t("training.sheet.footer", flowchart=fc.title))
    docs = {"sheet": sheet_html(fc, items, level, seed, css), "key": answer_key_html(fc, items, level, seed, css)}
    names = {"sheet": f"exercise_{stem}", "key": f"answer_key_{stem}"}
    paths: dict[str, Path] = {}
    for kind, doc in docs.items():
        p = out / f"{names[kind]}.html"
        p.write_text(doc, encoding="utf-8")
        paths[f"{kind}_html"] = p
    if pdf:
        with tempfile.TemporaryDirectory(prefix="kokuho-sheet-") as assets:
            printed = {"sheet": sheet_html(fc, items, level, seed, css, image=assets),
                       "key": answer_key_html(fc, items, level, seed, css, image=assets)}
            for kind, doc in printed.items():
                paths[f"{kind}_pdf"] = html_to_pdf(doc, out / f"{names[kind]}.pdf")
    return paths
