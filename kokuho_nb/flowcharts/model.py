"""Flowcharts as data: ``parameters/flowcharts/<id>.yaml`` read into :class:`Flowchart`.

Loading is lenient: structural faults are kept in :attr:`Flowchart.load_problems` so that the validator can
report all of them with file and node, instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import parameters_dir

NODE_TYPES = ("start", "action", "decision", "terminal")


@dataclass(frozen=True)
class Branch:
    index: int
    label: str
    when: Any
    next: str
    reason: str = ""


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    text: str
    ref: str
    next: str | None = None
    branches: tuple[Branch, ...] = ()
    outcome: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    def successors(self) -> list[str]:
        if self.type == "decision":
            return [b.next for b in self.branches]
        return [self.next] if self.next else []


@dataclass
class Flowchart:
    id: str
    title: str
    description: str
    reference: str
    nodes: dict[str, Node]
    version: str = ""
    cycles: frozenset[tuple[str, str]] = frozenset()
    law_exercises: tuple[str, ...] = ()
    source: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    load_problems: list[tuple[str, str | None, str]] = field(default_factory=list)  # (kind, node, message)

    @property
    def start(self) -> Node:
        starts = [n for n in self.nodes.values() if n.type == "start"]
        if len(starts) != 1:
            raise UserError(t("flowcharts.start_count", count=len(starts)), f"{self.id}: {len(starts)} starts")
        return starts[0]

    @property
    def decisions(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == "decision"]

    @property
    def digest(self) -> str:
        """Content hash: a changed flowchart gives changed exercise ids."""
        text = json.dumps(self.raw, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @property
    def file_label(self) -> str:
        return self.source.name if self.source else self.id


def flowcharts_dir() -> Path:
    return parameters_dir() / "flowcharts"


def _node_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"\s*-\s*{?\s*id:\s*['\"]?([^'\"\s#,}]+)", line)
        if m and m.group(1) not in lines:
            lines[m.group(1)] = i
    return lines


def parse(raw: Any, source: Path | None = None, text: str = "") -> Flowchart:
    """Build a :class:`Flowchart` from parsed YAML, recording structural problems instead of raising."""
    problems: list[tuple[str, str | None, str]] = []
    if not isinstance(raw, dict):
        raw = {}
        problems.append(("schema", None, t("flowcharts.not_a_flowchart")))
    lines = _node_lines(text)
    nodes: dict[str, Node] = {}
    for key in ("id", "title"):
        if not raw.get(key):
            problems.append(("schema", None, t("flowcharts.missing_field", field=key)))
    raw_nodes = raw.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        problems.append(("schema", None, t("flowcharts.no_nodes")))
        raw_nodes = []
    for pos, item in enumerate(raw_nodes, start=1):
        if not isinstance(item, dict) or not item.get("id"):
            problems.append(("schema", f"#{pos}", t("flowcharts.node_without_id", pos=pos)))
            continue
        nid = str(item["id"])
        if nid in nodes:
            problems.append(("duplicate_id", nid, t("flowcharts.duplicate_id", node=nid)))
            continue
        ntype = item.get("type")
        if ntype not in NODE_TYPES:
            problems.append(("schema", nid, t("flowcharts.bad_type", type=ntype, types="/".join(NODE_TYPES))))
        if not item.get("text"):
            problems.append(("schema", nid, t("flowcharts.missing_field", field="text")))
        branches: list[Branch] = []
        for bi, b in enumerate(item.get("branches") or []):
            if not isinstance(b, dict) or "when" not in b or not b.get("next"):
                problems.append(("schema", nid, t("flowcharts.bad_branch", pos=bi + 1)))
                continue
            branches.append(Branch(bi, str(b.get("label") or f"分岐{bi + 1}"), b["when"], str(b["next"]),
                                   str(b.get("reason") or "")))
        nodes[nid] = Node(
            id=nid,
            type=str(ntype),
            text=str(item.get("text") or ""),
            ref=str(item.get("ref") or ""),
            next=str(item["next"]) if item.get("next") else None,
            branches=tuple(branches),
            outcome=dict(item.get("outcome") or {}),
            line=lines.get(nid),
        )
    cycles = set()
    for edge in raw.get("cycles") or []:
        if isinstance(edge, list | tuple) and len(edge) == 2:
            cycles.add((str(edge[0]), str(edge[1])))
        else:
            problems.append(("schema", None, t("flowcharts.bad_cycle_decl", edge=edge)))
    return Flowchart(
        id=str(raw.get("id") or (source.stem if source else "")),
        title=str(raw.get("title") or ""),
        description=str(raw.get("description") or ""),
        reference=str(raw.get("reference") or ""),
        nodes=nodes,
        version=str(raw.get("version") or ""),
        cycles=frozenset(cycles),
        law_exercises=tuple(raw.get("law_exercises") or ()),
        source=source,
        raw=raw,
        load_problems=problems,
    )


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_file(path: str | Path) -> Flowchart:
    """Read one flowchart file; :class:`UserError` (Japanese, with file and line) if it is not valid YAML.

    Parsed flowcharts are cached while the file is unchanged (treat the result as read-only).
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise UserError(t("flowcharts.cannot_read", file=str(path)), str(exc)) from exc
    return _load_file_cached(str(path.resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _load_file_cached(name: str, mtime_ns: int, size: int) -> Flowchart:
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(t("flowcharts.cannot_read", file=str(path)), str(exc)) from exc
    try:
        raw = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise UserError(t("flowcharts.bad_yaml", file=path.name, line=line), str(exc)) from exc
    return parse(raw, source=path, text=text)


def available() -> list[Path]:
    """The shipped flowchart files (``parameters/flowcharts/*.yaml``)."""
    return sorted(flowcharts_dir().glob("*.yaml"))


def load(flowchart: str | Path | Flowchart) -> Flowchart:
    """A flowchart by id (``basic_flow``), title (``滞納整理の基本フロー``) or file path."""
    if isinstance(flowchart, Flowchart):
        return flowchart
    path = Path(flowchart)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_file(path)
    candidate = flowcharts_dir() / f"{flowchart}.yaml"
    if candidate.exists():
        return load_file(candidate)
    for p in available():
        fc = load_file(p)
        if fc.title == str(flowchart):
            return fc
    names = "、".join(p.stem for p in available())
    raise UserError(t("flowcharts.unknown_flowchart", name=flowchart, names=names), f"no flowchart {flowchart}")


def load_all() -> list[Flowchart]:
    return [load_file(p) for p in available()]
