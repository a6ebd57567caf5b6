"""Flowchart diagrams as SVG, offline, with Japanese labels (Graphviz ``dot`` + a CJK font).

The walked path of a case (or of a trainee's answers) is highlighted: its nodes filled, its edges thick.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts.model import Flowchart
from kokuho_nb.labels import t
from kokuho_nb.params import load_yaml

STYLE_FILE = "flowcharts/domains/diagram.yaml"


class Drawable(Protocol):
    """What a diagram highlights: a walked :class:`~kokuho_nb.flowcharts.walk.Path` or a stored one."""

    @property
    def node_ids(self) -> Sequence[str]: ...

    @property
    def edges(self) -> Sequence[tuple[str, str]]: ...


def _style() -> dict:
    return load_yaml(STYLE_FILE)


def _esc(text: str) -> str:
    """Escape for a quoted DOT string; real newlines become centred line breaks."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True)) or " "


def to_dot(fc: Flowchart, path: Drawable | None = None, *, wrong_edges: Iterable[tuple[str, str]] = (),
           show_refs: bool = True) -> str:
    """The Graphviz source for ``fc``; ``path`` nodes/edges highlighted, ``wrong_edges`` marked as mistakes."""
    st = _style()
    font = st["font"]
    on_nodes = set(path.node_ids) if path else set()
    on_edges = set(path.edges) if path else set()
    wrong = set(wrong_edges)
    lines = [
        "digraph G {",
        f'  graph [rankdir=TB, fontname="{font}", nodesep=0.3, ranksep=0.35, bgcolor="white"];',
        f'  node [fontname="{font}", fontsize={st["fontsize"]}, style="filled", fillcolor="white", '
        f'color="{st["color"]}", margin="0.12,0.06"];',
        f'  edge [fontname="{font}", fontsize={st["edge_fontsize"]}, color="{st["color"]}", '
        f'fontcolor="{st["edge_fontcolor"]}"];',
    ]
    for node in fc.nodes.values():
        width = st["wrap_decision"] if node.type == "decision" else st["wrap"]
        label = _wrap(node.text, width)
        if show_refs and node.ref and node.type != "start":
            label += "\n〔" + _wrap(node.ref, width + 4) + "〕"
        shape = st["shapes"].get(node.type, "box")
        attrs = [f'label="{_esc(label)}"', f"shape={shape}", f'id="node-{node.id}"']
        if node.type == "terminal":
            attrs.append('style="filled,rounded"')
        if node.id in on_nodes:
            attrs += [f'fillcolor="{st["path_fill"]}"', f'color="{st["path_color"]}"', "penwidth=2.5"]
        lines.append(f'  "{node.id}" [{", ".join(attrs)}];')
    for node in fc.nodes.values():
        if node.type == "decision":
            outs = [(b.next, b.label) for b in node.branches]
        else:
            outs = [(node.next, "")] if node.next else []
        for target, label in outs:
            if target not in fc.nodes:
                continue
            attrs = [f'label="{_esc(_wrap(label, 10))}"'] if label else []
            if (node.id, target) in fc.cycles:
                attrs += ["style=dashed", "constraint=false"]
            if (node.id, target) in wrong:
                attrs += [f'color="{st["wrong_color"]}"', "penwidth=2.5", "style=dashed"]
            elif (node.id, target) in on_edges:
                attrs += [f'color="{st["path_color"]}"', "penwidth=3", f'fontcolor="{st["path_color"]}"']
            lines.append(f'  "{node.id}" -> "{target}" [{", ".join(attrs)}];')
    lines.append("}")
    return "\n".join(lines)


@lru_cache(maxsize=128)
def _dot_to_svg(source: str) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise UserError(t("flowcharts.no_graphviz"), "graphviz 'dot' not found on PATH")
    proc = subprocess.run([exe, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise UserError(t("flowcharts.render_failed"), proc.stderr.decode("utf-8", "replace")[:500])
    svg = proc.stdout.decode("utf-8")
    # drop the XML prolog / DOCTYPE so the SVG can be inlined in HTML
    return svg[svg.index("<svg"):]


def render_svg(fc: Flowchart, path: Drawable | None = None, *, wrong_edges: Iterable[tuple[str, str]] = (),
               show_refs: bool = True, max_width: str | None = "100%") -> str:
    """The diagram as an inline SVG string (no XML prolog), optionally scaled to the container width."""
    svg = _dot_to_svg(to_dot(fc, path, wrong_edges=tuple(wrong_edges), show_refs=show_refs))
    if max_width:
        svg = re.sub(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                     lambda m: f'<svg style="max-width:{max_width};height:auto" width="{m.group(1)}pt" '
                               f'height="{m.group(2)}pt"', svg, count=1)
    return svg


@lru_cache(maxsize=64)
def _dot_to_svg_and_jpg(source: str, dpi: int) -> tuple[str, bytes]:
    """One ``dot`` run writing both an SVG and a JPEG (a process start costs more than the layout)."""
    import tempfile

    exe = shutil.which("dot")
    if exe is None:
        raise UserError(t("flowcharts.no_graphviz"), "graphviz 'dot' not found on PATH")
    with tempfile.TemporaryDirectory(prefix="kokuho-dot-") as tmp:
        svg_file, jpg_file = Path(tmp) / "d.svg", Path(tmp) / "d.jpg"
        proc = subprocess.run([exe, "-Tsvg", "-o", str(svg_file), "-Tjpg", f"-Gdpi={dpi}", "-o", str(jpg_file)],
                              input=source.encode("utf-8"), capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise UserError(t("flowcharts.render_failed"), proc.stderr.decode("utf-8", "replace")[:500])
        svg = svg_file.read_text(encoding="utf-8")
        return svg[svg.index("<svg"):], jpg_file.read_bytes()


def render_svg_and_jpg(fc: Flowchart, path: Drawable | None = None, *,
                       wrong_edges: Iterable[tuple[str, str]] = (), show_refs: bool = True,
                       dpi: int = 120) -> tuple[str, bytes]:
    """The diagram as inline SVG (screens) and JPEG bytes (PDF printing: WeasyPrint embeds JPEG as is,
    whereas drawing SVG text or re-encoding PNG is slow)."""
    return _dot_to_svg_and_jpg(to_dot(fc, path, wrong_edges=tuple(wrong_edges), show_refs=show_refs), dpi)
