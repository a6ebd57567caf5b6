"""Exercises generated from a flowchart and synthetic cases: seeded, reproducible, graded with reasons.

Question types (``Exercise.kind``):

- ``branch``: at a decision on the case's path, which branch and why (the deciding facts);
- ``next_action``: after a point of the flow, the next action for this case;
- ``suspension_ground``: the 執行停止 ground (地方税法15条の7第1項各号) and the extinction (第4項/第5項);
- ``entaikin``: the 延滞金 due on a date (:func:`kokuho_nb.law.entaikin.compute`);
- ``limitation``: the last day of the limitation period (:func:`kokuho_nb.law.limitation.limitation_date`).

Answer keys are never written per question: they come from :func:`kokuho_nb.flowcharts.walk` and the law
module, so changing a flowchart (or a rate) changes its exercises. Levels and scoring rules are parameters
(``parameters/training/levels.yaml``, ``scoring.yaml``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from kokuho_nb.era import parse_date, to_wareki
from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import Flowchart, load, load_domains, walk
from kokuho_nb.flowcharts import conditions as cnd
from kokuho_nb.flowcharts.walk import Path, StoredPath
from kokuho_nb.labels import t
from kokuho_nb.law.entaikin import compute, rate_for
from kokuho_nb.law.limitation import limitation_detail
from kokuho_nb.params import load_yaml
from kokuho_nb.training.cases import generate_case

KINDS = ("branch", "next_action", "suspension_ground", "entaikin", "limitation")
RESULTS = ("right", "partial", "wrong")
CONTEXT_ATTRS = ("total_arrears", "stage", "low_income", "focus", "foreign")
GROUND_KEYS = ("1", "2", "3", "0")
EXTINCTION_KEYS = ("第4項", "第5項", "なし")


@dataclass(frozen=True)
class Choice:
    key: str
    text: str


@dataclass
class Exercise:
    id: str
    kind: str
    flowchart_id: str
    flowchart_title: str
    level: str
    prompt: str
    facts: list[tuple[str, str]]  # (label, value as shown) of the case
    case: dict[str, Any]
    choices: list[Choice] = field(default_factory=list)
    reason_choices: list[Choice] = field(default_factory=list)
    multi_reason: bool = False
    answer_kind: str = "choice"  # choice | yen | date
    key: dict[str, Any] = field(default_factory=dict)  # the answer key: choice / reasons / value / date
    key_text: str = ""
    explanation: str = ""
    reference: str = ""
    node_id: str | None = None
    path_nodes: list[str] = field(default_factory=list)
    path_edges: list[tuple[str, str]] = field(default_factory=list)
    synthetic: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def drawn_path(self) -> StoredPath | None:
        """The case's path through the flowchart, for the diagram (None for law questions)."""
        if not self.path_nodes:
            return None
        return StoredPath(tuple(self.path_nodes), tuple((a, b) for a, b in self.path_edges))


@dataclass(frozen=True)
class Score:
    result: str  # right | partial | wrong
    points: float
    message: str  # 正解 / 部分正解 / 不正解 with what was wrong
    explanation: str
    reference: str
    key_text: str

    @property
    def label(self) -> str:
        return t(f"training.result.{self.result}")


# --- parameters -------------------------------------------------------------------------------------------

def levels() -> dict[str, dict[str, Any]]:
    return dict(load_yaml("training/levels.yaml")["levels"])


def level_spec(level: str) -> dict[str, Any]:
    specs = levels()
    if level not in specs:
        raise UserError(t("training.unknown_level", level=level, levels="・".join(specs)), f"level {level}")
    return specs[level]


def scoring() -> dict[str, Any]:
    return dict(load_yaml("training/scoring.yaml"))


def default_count() -> int:
    return int(load_yaml("training/levels.yaml")["default_count"])


def applicable_kinds(fc: Flowchart, level: str) -> dict[str, float]:
    """Question types that apply to ``fc`` at ``level``, with their weights."""
    weights = dict(level_spec(level)["weights"])
    has_outcome = any("suspension_ground" in n.outcome for n in fc.nodes.values() if n.type == "terminal")
    out: dict[str, float] = {}
    for kind, w in weights.items():
        if kind in ("branch", "next_action") or (kind == "suspension_ground" and has_outcome) or \
                (kind in ("entaikin", "limitation") and kind in fc.law_exercises):
            out[kind] = float(w)
    return out


# --- generation -------------------------------------------------------------------------------------------

def generate(flowchart: str | Flowchart, level: str, count: int | None = None, seed: int = 1,
             *, base_cases: Sequence[Mapping[str, Any]] | None = None) -> list[Exercise]:
    """``count`` exercises for ``flowchart`` at ``level``; the same arguments give the same exercises.

    ``base_cases`` (e.g. :func:`kokuho_nb.training.cases.cases_from_store`) replaces the seeded case generator
    as the pool the flowchart questions draw from.
    """
    fc = load(flowchart)
    spec = level_spec(level)
    count = default_count() if count is None else int(count)
    if count < 1:
        raise UserError(t("training.bad_count", count=count), f"count {count}")
    kinds = applicable_kinds(fc, level)
    domains = load_domains()
    rng = random.Random(f"{fc.id}|{fc.digest}|{level}|{seed}")
    terminal_use: dict[str | None, int] = {}
    out: list[Exercise] = []
    for i in range(count):
        kind = rng.choices(list(kinds), weights=list(kinds.values()), k=1)[0]
        ex_id = f"{fc.id}-{fc.digest[:6]}-{spec['code']}-s{seed}-{i + 1:02d}"
        sub = random.Random(f"{ex_id}|{rng.random()}")
        if kind in ("entaikin", "limitation"):
            builder = _entaikin_exercise if kind == "entaikin" else _limitation_exercise
            out.append(builder(fc, level, ex_id, sub))
            continue
        ex = None
        for _attempt in range(40):
            case, path = _pick_case(fc, sub, domains, terminal_use, kind, base_cases)
            ex = exercise_for_case(fc, case, kind, level, ex_id, sub, path=path, domains=domains)
            if ex is not None:
                terminal_use[path.terminal.id if path.terminal else path.loop_to] = \
                    terminal_use.get(path.terminal.id if path.terminal else path.loop_to, 0) + 1
                break
        if ex is None:  # the flowchart cannot give this kind: fall back to a next-action question
            case, path = _pick_case(fc, sub, domains, terminal_use, "next_action", base_cases)
            ex = exercise_for_case(fc, case, "next_action", level, ex_id, sub, path=path, domains=domains)
        if ex is None:
            raise UserError(t("training.cannot_generate", flowchart=fc.title), f"no exercise for {fc.id}")
        out.append(ex)
    return out


def _pick_case(fc: Flowchart, rng: random.Random, domains: Mapping[str, cnd.Domain],
               use: dict[str | None, int], kind: str,
               pool: Sequence[Mapping[str, Any]] | None = None) -> tuple[dict[str, Any], Path]:
    """Draw a few candidate cases and keep the one whose path ends where exercises have been fewest."""
    best: tuple[int, int, dict[str, Any], Path] | None = None
    for n in range(6):
        case = dict(rng.choice(pool)) if pool else generate_case(rng)
        path = walk(fc, case, domains)
        end = path.terminal.id if path.terminal else path.loop_to
        score = use.get(end, 0)
        if kind == "suspension_ground" and (path.terminal is None or "suspension_ground" not in path.terminal.outcome):
            score += 1000
        if best is None or (score, n) < best[:2]:
            best = (score, n, case, path)
    assert best is not None
    return best[2], best[3]


def _fc_attrs(fc: Flowchart) -> list[str]:
    names: list[str] = []
    for node in fc.decisions:
        for b in node.branches:
            for atom in cnd.atoms(b.when):
                if atom["attr"] not in names:
                    names.append(atom["attr"])
    return names


def shown_facts(fc: Flowchart, case: Mapping[str, Any], domains: Mapping[str, cnd.Domain]) -> list[tuple[str, str]]:
    """The case facts a trainee sees: context plus every attribute the flowchart's decisions test."""
    names = list(dict.fromkeys([*CONTEXT_ATTRS, *_fc_attrs(fc)]))
    return [(domains[n].label, cnd.format_value(domains[n], case[n])) for n in names if n in case and n in domains]


def _node_choice_text(fc: Flowchart, nid: str) -> str:
    return fc.nodes[nid].text


def exercise_for_case(fc: Flowchart, case: Mapping[str, Any], kind: str, level: str, ex_id: str,
                      rng: random.Random, *, path: Path | None = None,
                      domains: Mapping[str, cnd.Domain] | None = None) -> Exercise | None:
    """One flowchart question about ``case`` (None if ``kind`` does not apply to the case's path)."""
    domains = domains if domains is not None else load_domains()
    spec = level_spec(level)
    path = path if path is not None else walk(fc, case, domains)
    base = dict(id=ex_id, kind=kind, flowchart_id=fc.id, flowchart_title=fc.title, level=level,
                facts=shown_facts(fc, case, domains), case=dict(case), path_nodes=path.node_ids,
                path_edges=path.edges)
    if kind == "branch":
        steps = path.decisions
        if not steps:
            return None
        step = rng.choice(steps)
        node = step.node
        choices = [Choice(str(b.index), b.label) for b in node.branches]
        mentioned = list(dict.fromkeys(a["attr"] for b in node.branches for a in cnd.atoms(b.when)))
        others = [a for a in _fc_attrs(fc) + list(CONTEXT_ATTRS) if a not in mentioned and a in domains]
        others = list(dict.fromkeys(others))
        rng.shuffle(others)
        n_reason = max(int(spec["reason_choices"]), len(mentioned) + 1)
        reason_attrs = (mentioned + others)[:n_reason]
        for f in step.facts:  # the deciding facts are always offered
            if f not in reason_attrs:
                reason_attrs.append(f)
        rng.shuffle(reason_attrs)
        reason_choices = [Choice(a, f"{domains[a].label}（{cnd.format_value(domains[a], case[a])}）")
                          for a in reason_attrs]
        assert step.branch is not None
        return Exercise(
            **base,
            prompt=t("training.prompt.branch", node=node.text),
            choices=choices,
            reason_choices=reason_choices,
            multi_reason=True,
            key={"choice": str(step.branch.index), "reasons": sorted(step.facts)},
            key_text=t("training.key.branch", branch=step.branch.label,
                       facts="、".join(domains[f].label for f in step.facts)),
            explanation=step.reason,
            reference=node.ref,
            node_id=node.id,
        )
    if kind == "next_action":
        points = [i for i, s in enumerate(path.steps) if s.node.type in ("start", "action")
                  and any(x.node.type in ("action", "terminal") for x in path.steps[i + 1:])]
        if not points:
            return None
        i = rng.choice(points)
        here = path.steps[i].node
        nxt_index = next(j for j in range(i + 1, len(path.steps)) if path.steps[j].node.type in ("action", "terminal"))
        answer = path.steps[nxt_index].node
        between = [s for s in path.steps[i + 1:nxt_index] if s.node.type == "decision"]
        candidates = [n.id for n in fc.nodes.values() if n.type in ("action", "terminal") and n.id != answer.id
                      and n.id != here.id]
        rng.shuffle(candidates)
        later = [s.node.id for s in path.steps[nxt_index + 1:] if s.node.type in ("action", "terminal")]
        # at higher levels, a later step of the same path is a tempting distractor (graded partial)
        picked = ([later[0]] if later and int(spec["choices"]) >= 4 else [])
        picked += [c for c in candidates if c not in picked][: int(spec["choices"]) - 1 - len(picked)]
        ids = [answer.id, *picked]
        rng.shuffle(ids)
        why = "".join(s.reason for s in between) or t("training.explain.no_decision")
        prompt = (t("training.prompt.first_action") if here.type == "start"
                  else t("training.prompt.next_action", node=here.text))
        return Exercise(
            **base,
            prompt=prompt,
            choices=[Choice(nid, _node_choice_text(fc, nid)) for nid in ids],
            key={"choice": answer.id, "later": later},
            key_text=answer.text,
            explanation=t("training.explain.next_action", reasons=why, action=answer.text),
            reference=answer.ref,
            node_id=here.id,
        )
    if kind == "suspension_ground":
        term = path.terminal
        if term is None or "suspension_ground" not in term.outcome:
            return None
        ground = str(term.outcome["suspension_ground"])
        extinction = str(term.outcome.get("extinction", "なし"))
        reasons = "".join(s.reason for s in path.decisions)
        return Exercise(
            **base,
            prompt=t("training.prompt.suspension_ground"),
            choices=[Choice(k, t(f"training.ground.{k}")) for k in GROUND_KEYS],
            reason_choices=[Choice(k, t(f"training.extinction.{k}")) for k in EXTINCTION_KEYS],
            key={"choice": ground, "reasons": [extinction]},
            key_text=t("training.key.suspension", ground=t(f"training.ground.{ground}"),
                       extinction=t(f"training.extinction.{extinction}")),
            explanation=reasons + term.text,
            reference=term.ref,
            node_id=term.id,
        )
    raise UserError(t("training.unknown_kind", kind=kind), f"kind {kind}")


# --- law questions ----------------------------------------------------------------------------------------

def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _instalment_due(fiscal_year: int, instalment: int) -> dt.date:
    """Nominal due date of instalment 1-10 (June-March, end of month)."""
    month = 5 + instalment
    year = fiscal_year if month <= 12 else fiscal_year + 1
    return _month_end(year, month if month <= 12 else month - 12)


def _last_rated_day(first_year: int) -> dt.date:
    """The last day for which both 延滞金 rates are in the parameters (exercises stay within it)."""

    year = first_year
    while year < first_year + 50:
        try:
            rate_for(year, "lower")
            rate_for(year, "higher")
        except UserError:
            break
        year += 1
    return dt.date(year - 1, 12, 31)


def _entaikin_exercise(fc: Flowchart, level: str, ex_id: str, rng: random.Random) -> Exercise:

    g = load_yaml("training/case_generator.yaml")["entaikin"]
    spec = level_spec(level)
    last = _last_rated_day(min(int(y) for y in g["fiscal_years"]))
    min_days, max_days = int(g["days_late"]["min"]), int(g["days_late"]["max"])
    options = [(int(fy), n) for fy in g["fiscal_years"] for n in range(1, 11)
               if _instalment_due(int(fy), n) + dt.timedelta(days=min_days + 10) <= last]
    if not options:
        raise UserError(t("training.no_entaikin_rates"), "no 延滞金 rates for the exercise years")
    fy, inst = rng.choice(options)
    due = _instalment_due(fy, inst)
    step = int(g["instalment_yen"]["step"])
    amount = rng.randrange(int(g["instalment_yen"]["min"]), int(g["instalment_yen"]["max"]) + 1, step)
    for _try in range(5):  # prefer a case where a charge arises (under ¥1,000 nothing is charged)
        until = min(due + dt.timedelta(days=rng.randint(min_days, max_days)), last)
        payments: list[tuple[dt.date, int]] = []
        if spec.get("entaikin_partial_payment") and (until - due).days > 40:
            pay_day = due + dt.timedelta(days=rng.randint(10, (until - due).days - 10))
            payments.append((pay_day, (amount // 2 // 1000) * 1000 or 1000))
        res = compute(amount, due, until, payments=payments, fiscal_year=fy)
        if res.total > 0:
            break
        amount = min(amount * 2, int(g["instalment_yen"]["max"]))
    pay_text = "".join(t("training.fact.payment", date=to_wareki(d), amount=f"{a:,}") for d, a in payments)
    facts = [
        (t("training.fact.instalment"), t("training.fact.instalment_value", fy=fy, n=inst)),
        (t("training.fact.amount"), f"{amount:,}円"),
        (t("training.fact.due"), to_wareki(due)),
        (t("training.fact.until"), to_wareki(until)),
    ]
    if pay_text:
        facts.append((t("training.fact.payments"), pay_text))
    detail = "、".join(
        t("training.explain.period", start=to_wareki(p.start), end=to_wareki(p.end), days=p.days,
          rate=f"{float(p.rate) * 100:.1f}", base=f"{p.base:,}")
        for p in res.periods)
    return Exercise(
        id=ex_id, kind="entaikin", flowchart_id=fc.id, flowchart_title=fc.title, level=level,
        prompt=t("training.prompt.entaikin"), facts=facts,
        case={"amount": amount, "due": due.isoformat(), "until": until.isoformat(), "fiscal_year": fy,
              "payments": [(d.isoformat(), a) for d, a in payments]},
        answer_kind="yen", key={"value": int(res.total)}, key_text=f"{res.total:,}円",
        explanation=t("training.explain.entaikin", detail=detail or t("training.explain.no_days"),
                      total=f"{res.total:,}"),
        reference=t("training.ref.entaikin"),
    )


def _limitation_exercise(fc: Flowchart, level: str, ex_id: str, rng: random.Random) -> Exercise:

    g = load_yaml("training/case_generator.yaml")["limitation"]
    spec = level_spec(level)
    fy = rng.choice(list(g["fiscal_years"]))
    inst = rng.randint(1, 10)
    due = _instalment_due(fy, inst)
    renewals: list[tuple[dt.date, str]] = []
    kinds = list(spec.get("limitation_renewals") or [])
    if "demand" in kinds:
        d = g["demand_after_due_days"]
        renewals.append((due + dt.timedelta(days=rng.randint(int(d["min"]), int(d["max"]))), "demand"))
    if "pledge" in kinds and rng.random() < 0.6:
        d = g["pledge_after_due_days"]
        renewals.append((due + dt.timedelta(days=rng.randint(int(d["min"]), int(d["max"]))), "pledge"))
    res = limitation_detail(due, renewals)
    facts = [
        (t("training.fact.instalment"), t("training.fact.instalment_value", fy=fy, n=inst)),
        (t("training.fact.due"), to_wareki(due)),
    ]
    for day, kind in renewals:
        facts.append((t(f"training.fact.renewal_{kind}"), to_wareki(day)))
    applied = "、".join(t(f"training.fact.renewal_{r.kind}") + f"（{to_wareki(r.date)}）" for r in res.applied)
    return Exercise(
        id=ex_id, kind="limitation", flowchart_id=fc.id, flowchart_title=fc.title, level=level,
        prompt=t("training.prompt.limitation"), facts=facts,
        case={"due": due.isoformat(), "renewals": [(d.isoformat(), k) for d, k in renewals], "fiscal_year": fy},
        answer_kind="date", key={"date": res.date.isoformat()},
        key_text=f"{to_wareki(res.date)}（{res.date.isoformat()}）",
        explanation=t("training.explain.limitation", start=to_wareki(res.start), end=to_wareki(res.date),
                      applied=applied or t("training.explain.no_renewal")),
        reference=t("training.ref.limitation"),
    )


# --- scoring ----------------------------------------------------------------------------------------------

def _parse_yen(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().replace(",", "").replace("，", "").replace("円", "").replace("¥", "")
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return int(text) if text.lstrip("-").isdigit() else None


def _parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value

    try:
        return parse_date(str(value))
    except ValueError:
        return None


def score(ex: Exercise, response: Mapping[str, Any]) -> Score:
    """Grade ``response`` (``{"choice": key, "reasons": [keys]}``, ``{"value": yen}`` or ``{"date": ...}``)."""
    rules = scoring()
    points = rules["points"]
    result, note = "wrong", ""
    if ex.answer_kind == "choice":
        chosen = str(response.get("choice", ""))
        reasons = sorted(str(r) for r in (response.get("reasons") or []))
        if chosen == ex.key["choice"]:
            if ex.kind in ("branch", "suspension_ground") and reasons != sorted(ex.key["reasons"]):
                result, note = "partial", t(f"training.note.{ex.kind}_reason")
            else:
                result = "right"
        elif ex.kind == "next_action" and chosen in ex.key.get("later", []):
            result, note = "partial", t("training.note.later_action")
    elif ex.answer_kind == "yen":
        value = _parse_yen(response.get("value"))
        if value is None:
            note = t("training.note.not_a_number")
        elif value == ex.key["value"]:
            result = "right"
        elif abs(value - ex.key["value"]) <= int(rules["entaikin_partial_within_yen"]):
            result, note = "partial", t("training.note.rounding")
    elif ex.answer_kind == "date":
        value = _parse_date(response.get("date"))
        if value is None:
            note = t("training.note.not_a_date")
        else:
            diff = abs((value - dt.date.fromisoformat(ex.key["date"])).days)
            if diff == 0:
                result = "right"
            elif diff <= int(rules["limitation_partial_within_days"]):
                result, note = "partial", t("training.note.off_by_one")
    message = t(f"training.result.{result}") + (f"：{note}" if note else "")
    return Score(result, float(points[result]), message, ex.explanation, ex.reference, ex.key_text)


def key_response(ex: Exercise) -> dict[str, Any]:
    """The response that the answer key gives (what a perfect trainee answers)."""
    if ex.answer_kind == "yen":
        return {"value": ex.key["value"]}
    if ex.answer_kind == "date":
        return {"date": ex.key["date"]}
    return {"choice": ex.key["choice"], "reasons": list(ex.key.get("reasons", []))}


def total(scores: Sequence[Score]) -> tuple[float, int]:
    """(points, number of questions)."""
    return sum(s.points for s in scores), len(scores)
