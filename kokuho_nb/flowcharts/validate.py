"""Validator: is a flowchart walkable for every case?

Checks (each problem names the file and node, in Japanese): structure and references; every node reachable
from the start; every node can reach a terminal (no dead ends); no cycle unless the edge is declared under
``cycles``; every decision's branch conditions well formed, exhaustive and mutually exclusive over the
declared attribute domains (proved by enumerating the finite partition the conditions induce).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import conditions as cnd
from kokuho_nb.flowcharts.model import Flowchart, load_file
from kokuho_nb.labels import t

MAX_PARTITION = 200_000


@dataclass(frozen=True)
class Problem:
    kind: str  # yaml schema duplicate_id unknown_target missing_reference unreachable dead_end cycle
    #            bad_condition not_exhaustive not_exclusive
    file: str
    node: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        if self.node:
            return t("flowcharts.problem_node", where=where, node=self.node, message=self.message)
        return t("flowcharts.problem", where=where, message=self.message)


def _example(values: Mapping[str, object], domains: Mapping[str, cnd.Domain]) -> str:
    return "、".join(f"{domains[k].label}={cnd.format_value(domains[k], v)}" for k, v in values.items())


def validate(fc: Flowchart, domains: Mapping[str, cnd.Domain] | None = None) -> list[Problem]:
    """All problems found in ``fc`` (empty list = valid)."""
    domains = domains if domains is not None else cnd.load_domains()
    file = fc.file_label
    out: list[Problem] = []

    def add(kind: str, node: str | None, message: str) -> None:
        line = fc.nodes[node].line if node in fc.nodes else None
        out.append(Problem(kind, file, node, message, line))

    for kind, node, message in fc.load_problems:
        add(kind, node, message)
    nodes = fc.nodes
    starts = [n.id for n in nodes.values() if n.type == "start"]
    if len(starts) != 1:
        add("schema", None, t("flowcharts.start_count", count=len(starts)))
    if not fc.reference:
        add("missing_reference", None, t("flowcharts.missing_fc_reference"))

    for node in nodes.values():
        if not node.ref.strip():
            add("missing_reference", node.id, t("flowcharts.missing_reference"))
        if node.type in ("start", "action"):
            if node.branches:
                add("schema", node.id, t("flowcharts.branches_on_non_decision"))
            if not node.next:
                add("dead_end", node.id, t("flowcharts.no_next"))
        elif node.type == "decision":
            if node.next:
                add("schema", node.id, t("flowcharts.next_on_decision"))
            if len(node.branches) < 2:
                add("schema", node.id, t("flowcharts.too_few_branches"))
        elif node.type == "terminal" and (node.next or node.branches):
            add("schema", node.id, t("flowcharts.terminal_has_next"))
        for target in node.successors():
            if target not in nodes:
                add("unknown_target", node.id, t("flowcharts.unknown_target", target=target))
    for a, b in sorted(fc.cycles):
        if a not in nodes or b not in nodes[a].successors():
            add("schema", a if a in nodes else None, t("flowcharts.bad_cycle_decl", edge=f"{a} → {b}"))

    edges = {n.id: [s for s in n.successors() if s in nodes] for n in nodes.values()}
    if len(starts) == 1:
        seen = _reach(starts[0], edges)
        for nid in nodes:
            if nid not in seen:
                add("unreachable", nid, t("flowcharts.unreachable"))
    reverse: dict[str, list[str]] = {nid: [] for nid in nodes}
    for a, targets in edges.items():
        for b in targets:
            reverse[b].append(a)
    can_end: set[str] = set()
    for term in (n.id for n in nodes.values() if n.type == "terminal"):
        can_end |= _reach(term, reverse)
    for nid, node in nodes.items():
        if nid not in can_end and node.successors():
            add("dead_end", nid, t("flowcharts.never_terminates"))
    for a, b in _undeclared_cycle_edges(edges, fc.cycles):
        add("cycle", a, t("flowcharts.cycle", target=b))

    for node in fc.decisions:
        out.extend(_check_decision(fc, node, domains, add))
    return out


def _reach(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _undeclared_cycle_edges(edges: Mapping[str, list[str]], declared: frozenset[tuple[str, str]]) -> list[tuple[str, str]]:
    """Back edges of a DFS over the graph without the declared cycle edges."""
    graph = {a: [b for b in bs if (a, b) not in declared] for a, bs in edges.items()}
    color: dict[str, int] = {}
    found: list[tuple[str, str]] = []
    for root in graph:
        if color.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        color[root] = 1
        while stack:
            nid, i = stack[-1]
            if i < len(graph[nid]):
                stack[-1] = (nid, i + 1)
                nxt = graph[nid][i]
                if color.get(nxt) == 1:
                    found.append((nid, nxt))
                elif not color.get(nxt):
                    color[nxt] = 1
                    stack.append((nxt, 0))
            else:
                color[nid] = 2
                stack.pop()
    return found


def _check_decision(fc: Flowchart, node, domains, add) -> list[Problem]:  # noqa: ANN001
    ok = True
    for b in node.branches:
        for msg in cnd.check(b.when, domains):
            add("bad_condition", node.id, t("flowcharts.branch_problem", label=b.label, message=msg))
            ok = False
    if not ok or len(node.branches) < 2:
        return []
    conds = [b.when for b in node.branches]
    gaps: list[dict] = []
    overlaps: list[tuple[dict, list[str]]] = []
    for n, point in enumerate(cnd.partition(conds, domains)):
        if n >= MAX_PARTITION:
            add("bad_condition", node.id, t("flowcharts.partition_too_large", limit=MAX_PARTITION))
            return []
        hits = [b.label for b in node.branches if cnd.evaluate(b.when, point)]
        if not hits and not gaps:
            gaps.append(point)
        elif len(hits) > 1 and not overlaps:
            overlaps.append((point, hits))
        if gaps and overlaps:
            break
    if gaps:
        add("not_exhaustive", node.id, t("flowcharts.not_exhaustive", example=_example(gaps[0], domains)))
    if overlaps:
        point, hits = overlaps[0]
        add("not_exclusive", node.id, t("flowcharts.not_exclusive", example=_example(point, domains),
                                        branches="」「".join(hits)))
    return []


def check_file(path: str | Path) -> list[Problem]:
    """Validate one file; unreadable or invalid YAML is reported as a problem, not raised."""
    path = Path(path)
    try:
        fc = load_file(path)
    except UserError as exc:
        return [Problem("yaml", path.name, None, exc.message)]
    return validate(fc)
