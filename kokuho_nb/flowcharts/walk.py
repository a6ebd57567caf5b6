"""Walk a flowchart for one case: the nodes visited and, at each decision, the branch taken and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import conditions as cnd
from kokuho_nb.flowcharts.model import Branch, Flowchart, Node
from kokuho_nb.labels import t


@dataclass(frozen=True)
class Step:
    node: Node
    branch: Branch | None = None
    reason: str = ""  # why this branch: the branch's reason and the deciding facts of the case
    facts: tuple[str, ...] = ()  # attributes that decided the branch

    @property
    def next_id(self) -> str | None:
        return self.branch.next if self.branch else self.node.next


@dataclass
class Path:
    flowchart_id: str
    steps: list[Step] = field(default_factory=list)
    loop_to: str | None = None  # set when the walk stopped at a declared cycle edge (to be repeated later)

    @property
    def node_ids(self) -> list[str]:
        return [s.node.id for s in self.steps]

    @property
    def edges(self) -> list[tuple[str, str]]:
        out = [(s.node.id, s.next_id) for s in self.steps if s.next_id]
        return [(a, b) for a, b in out if b in self.node_ids or b == self.loop_to]

    @property
    def terminal(self) -> Node | None:
        last = self.steps[-1].node if self.steps else None
        return last if last is not None and last.type == "terminal" else None

    @property
    def decisions(self) -> list[Step]:
        return [s for s in self.steps if s.node.type == "decision"]

    @property
    def actions(self) -> list[Node]:
        """Actions and the terminal, in order: what the officer does for this case."""
        return [s.node for s in self.steps if s.node.type in ("action", "terminal")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "flowchart": self.flowchart_id,
            "steps": [{"node": s.node.id, "branch": s.branch.label if s.branch else None, "reason": s.reason}
                      for s in self.steps],
            "terminal": self.terminal.id if self.terminal else None,
            "loop_to": self.loop_to,
        }


@dataclass(frozen=True)
class StoredPath:
    """A walked path kept as plain node ids and edges (e.g. inside an exercise), for drawing."""

    node_ids: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]


def choose(node: Node, case: Mapping[str, Any], domains: Mapping[str, cnd.Domain]) -> Step:
    """The branch a decision takes for ``case`` with the reason; :class:`UserError` if not exactly one."""
    try:
        hits = [b for b in node.branches if cnd.evaluate(b.when, case)]
    except cnd.MissingAttribute as exc:
        name = exc.args[0]
        label = domains[name].label if name in domains else name
        raise UserError(t("flowcharts.case_missing_attr", node=node.id, attr=name, label=label),
                        f"case lacks {name}") from exc
    if len(hits) != 1:
        raise UserError(t("flowcharts.walk_ambiguous", node=node.id, count=len(hits)),
                        f"{len(hits)} branches match at {node.id}")
    branch = hits[0]
    support = cnd.supporting_atoms(branch.when, case)
    facts = tuple(dict.fromkeys(a["attr"] for a in support))
    shown = "、".join(f"{domains[f].label}：{cnd.format_value(domains[f], case[f])}" for f in facts if f in domains)
    reason = branch.reason + (t("flowcharts.because_facts", facts=shown) if shown else "")
    return Step(node, branch, reason, facts)


def walk(fc: Flowchart, case: Mapping[str, Any], domains: Mapping[str, cnd.Domain] | None = None) -> Path:
    """Follow ``fc`` from its start for ``case`` until a terminal node (or a declared cycle edge)."""
    domains = domains if domains is not None else cnd.load_domains()
    path = Path(fc.id)
    node: Node | None = fc.start
    visited: set[str] = set()
    while node is not None:
        visited.add(node.id)
        step = choose(node, case, domains) if node.type == "decision" else Step(node)
        path.steps.append(step)
        nxt = step.next_id
        if node.type == "terminal" or nxt is None:
            break
        if nxt in visited:
            if (node.id, nxt) not in fc.cycles:
                raise UserError(t("flowcharts.cycle", target=nxt), f"undeclared cycle at {node.id}")
            path.loop_to = nxt
            break
        if nxt not in fc.nodes:
            raise UserError(t("flowcharts.unknown_target", target=nxt), f"{node.id} -> {nxt}")
        node = fc.nodes[nxt]
    return path
