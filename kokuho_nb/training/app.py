"""The OJT exercise app (Voilà page ``notebooks/ojt_app.ipynb``).

:class:`Trainer` holds all the logic and is unit-tested without a kernel: check the officer code against the
store's staff, start a set of exercises, grade each answer and store it **at once** in the case-work
database, draw the diagram with the case's path (and the trainee's wrong turn), and sum up at the end.
:func:`build_app` only wires ipywidgets to it. Users see Japanese messages, never a traceback.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kokuho_nb.casework import attempts as store_attempts
from kokuho_nb.era import normalize_text
from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import Flowchart, available, load, render_svg
from kokuho_nb.labels import t
from kokuho_nb.store import Store
from kokuho_nb.training.exercises import Exercise, Score, generate, level_spec, levels, score

if TYPE_CHECKING:  # pandas is imported lazily: it would double the page's start-up time
    import pandas as pd

log = logging.getLogger(__name__)

READY_MARKER = '<div class="kokuho-ready" data-page="ojt"></div>'
PAGE_CSS = (
    "<style>.kokuho-facts{border-collapse:collapse;margin:4px 0}"
    ".kokuho-facts th,.kokuho-facts td{border:1px solid #ccc;padding:2px 8px;text-align:left;font-weight:normal}"
    ".kokuho-facts th{background:#f4f4f4}.kokuho-summary table{border-collapse:collapse}"
    ".kokuho-summary td,.kokuho-summary th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style>"
)


def staff_of_store(store: Store) -> pd.DataFrame | None:
    """The staff table of the latest snapshot, or None when the store has none."""
    latest = store.latest()
    return None if latest is None else store.load(latest.id).staff


class Trainer:
    """One trainee's session in the app."""

    def __init__(self, store: Store | str | Path | None = None, staff: pd.DataFrame | None = None) -> None:
        self.store = Store.open(store)
        self._staff = staff
        self._staff_loaded = staff is not None
        self.officer_code: str | None = None
        self.officer_name: str = ""
        self.flowchart: Flowchart | None = None
        self.level: str | None = None
        self.seed: int | None = None
        self.session_id: str | None = None
        self.exercises: list[Exercise] = []
        self.scores: list[Score | None] = []
        self.responses: list[dict[str, Any] | None] = []
        self.index = 0

    # --- setup --------------------------------------------------------------------------------------------
    @property
    def staff(self) -> pd.DataFrame | None:
        if not self._staff_loaded:
            self._staff = staff_of_store(self.store)
            self._staff_loaded = True
        return self._staff

    @staticmethod
    def flowchart_options() -> list[tuple[str, str]]:
        return [(load(p).title, p.stem) for p in available()]

    @staticmethod
    def level_options() -> list[str]:
        return list(levels())

    def check_officer(self, code: str) -> str:
        """The normalised officer code; :class:`UserError` if empty or not in the store's staff."""
        code = normalize_text(code or "")
        if not code:
            raise UserError(t("training.app.officer_required"))
        staff = self.staff
        if staff is not None and len(staff):
            match = staff[staff["officer_code"].astype(str) == code]
            if match.empty:
                raise UserError(t("training.app.officer_unknown", code=code), f"officer {code} not in staff")
            self.officer_name = str(match.iloc[0].get("name", "") or "")
        return code

    def start(self, officer_code: str, flowchart: str, level: str, count: int | None = None,
              seed: int | None = None) -> Exercise:
        code = self.check_officer(officer_code)
        fc = load(flowchart)
        seed = int(seed) if seed is not None else secrets.randbelow(1_000_000)
        items = generate(fc, level, count, seed=seed)
        self.session_id = store_attempts.start_session(self.store, code, fc.id, fc.digest, level, seed, len(items))
        self.officer_code, self.flowchart, self.level, self.seed = code, fc, level, seed
        self.exercises = items
        self.scores = [None] * len(items)
        self.responses = [None] * len(items)
        self.index = 0
        return items[0]

    # --- answering ----------------------------------------------------------------------------------------
    @property
    def current(self) -> Exercise | None:
        return self.exercises[self.index] if 0 <= self.index < len(self.exercises) else None

    @property
    def finished(self) -> bool:
        return bool(self.exercises) and self.index >= len(self.exercises)

    def answer(self, response: dict[str, Any]) -> Score:
        """Grade the current question and store the attempt before returning the feedback."""
        ex = self.current
        if ex is None or self.session_id is None or self.officer_code is None:
            raise UserError(t("training.app.not_started"))
        if self.scores[self.index] is not None:
            raise UserError(t("training.app.already_answered"))
        result = score(ex, response)
        store_attempts.record_attempt(self.store, self.session_id, self.officer_code, store_attempts.Attempt(
            ex.id, ex.flowchart_id, ex.level, ex.kind, dict(response), result.result, result.points))
        self.scores[self.index] = result
        self.responses[self.index] = dict(response)
        return result

    def next(self) -> Exercise | None:
        if self.current is not None and self.scores[self.index] is None:
            raise UserError(t("training.app.answer_first"))
        self.index += 1
        return self.current

    def result_rows(self) -> list[tuple[str, str, str]]:
        """(問n, question type, result) for the end-of-set table."""
        return [(t("training.app.question_no", n=i + 1, total=len(self.exercises)), t(f"training.kind.{ex.kind}"),
                 sc.label if sc is not None else "-") for i, (ex, sc) in enumerate(zip(self.exercises, self.scores,
                                                                                          strict=True))]

    def summary(self) -> dict[str, Any]:
        done = [s for s in self.scores if s is not None]
        points = sum(s.points for s in done)
        n = len(self.exercises)
        mark, min_q = store_attempts.pass_rule()
        ratio = points / n if n else 0.0
        return {
            "points": points, "questions": n, "answered": len(done), "ratio": ratio,
            "right": sum(s.result == "right" for s in done), "partial": sum(s.result == "partial" for s in done),
            "wrong": sum(s.result == "wrong" for s in done),
            "passed": len(done) == n and n >= min_q and ratio >= mark, "pass_mark": mark,
            "eligible": n >= min_q, "min_questions": min_q,
        }

    # --- diagram ------------------------------------------------------------------------------------------
    def diagram(self, ex: Exercise | None = None, response: dict[str, Any] | None = None) -> str:
        """SVG of the flowchart with the case's path highlighted and a wrong branch choice marked."""
        ex = ex or self.current
        if ex is None or self.flowchart is None or ex.drawn_path is None:
            return ""
        fc = self.flowchart
        path = ex.drawn_path
        wrong: list[tuple[str, str]] = []
        if response and ex.kind == "branch" and ex.node_id:
            node = fc.nodes[ex.node_id]
            chosen = next((b for b in node.branches if str(b.index) == str(response.get("choice"))), None)
            if chosen is not None and (node.id, chosen.next) not in path.edges:
                wrong.append((node.id, chosen.next))
        return render_svg(fc, path, wrong_edges=wrong)


# --- rendering helpers (HTML strings; testable without widgets) -----------------------------------------------

def question_html(ex: Exercise, number: int, total: int) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in ex.facts)
    return (
        f'<div class="kokuho-question" data-exercise="{html.escape(ex.id)}">'
        f"<p><b>{html.escape(t('training.app.question_no', n=number, total=total))}</b>"
        f"（{html.escape(t('training.kind.' + ex.kind))}）</p>"
        f'<table class="kokuho-facts">{rows}</table>'
        f"<p>{html.escape(ex.prompt)}</p></div>"
    )


def feedback_html(result: Score) -> str:
    color = {"right": "#1e7b34", "partial": "#b36b00", "wrong": "#b3261e"}[result.result]
    return (
        f'<div class="kokuho-feedback" data-result="{result.result}">'
        f'<p style="color:{color};font-size:1.2em"><b>{html.escape(result.message)}</b></p>'
        f"<p>{html.escape(t('training.app.correct_answer'))}：{html.escape(result.key_text)}</p>"
        f"<p>{html.escape(t('training.app.explanation'))}：{html.escape(result.explanation)}</p>"
        f"<p>{html.escape(t('training.app.reference'))}：{html.escape(result.reference)}</p></div>"
    )


def summary_html(summary: dict[str, Any], rows: list[tuple[str, str, str]] | None = None) -> str:
    """The end-of-set score; ``rows`` = (question, kind, result label) per question."""
    verdict = t("training.app.passed") if summary["passed"] else t("training.app.not_passed")
    if not summary.get("eligible", True):
        verdict = t("training.app.not_eligible", n=summary["min_questions"])
    score_text = t("training.app.score", points=f"{summary['points']:g}", total=summary["questions"],
                   ratio=f"{summary['ratio']:.0%}")
    breakdown = t("training.app.breakdown", right=summary["right"], partial=summary["partial"],
                  wrong=summary["wrong"])
    mark = t("training.app.pass_mark", mark=f"{summary['pass_mark']:.0%}")
    passed = str(summary["passed"]).lower()
    table_html = ""
    if rows:
        body = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
                       for a, b, c in rows)
        table_html = f"<table>{body}</table>"
    return (
        f'<div class="kokuho-summary" data-passed="{passed}">'
        f"<h3>{html.escape(t('training.app.finished'))}</h3>"
        f"<p>{html.escape(score_text)}</p><p>{html.escape(breakdown)}</p>"
        f"<p><b>{html.escape(verdict)}</b>（{html.escape(mark)}）</p>{table_html}</div>"
    )


def error_html(message: str) -> str:
    return f'<div class="kokuho-error" style="color:#b3261e"><b>{html.escape(message)}</b></div>'


def friendly(action: Callable[[], Any], show: Callable[[str], None]) -> Any:
    """Run ``action``; a :class:`UserError` shows its Japanese message, anything else a generic one (logged)."""
    try:
        show("")
        return action()
    except UserError as exc:
        show(error_html(exc.message))
    except Exception:  # noqa: BLE001 - users never see a traceback
        log.exception("OJT app error")
        show(error_html(t("common.generic_error")))
    return None


# --- widgets ------------------------------------------------------------------------------------------------

def build_app(store: str | Path | None = None, *, count: int | None = None):  # noqa: ANN201, C901
    """The Voilà page: officer code, flowchart, level → questions with immediate feedback → score."""
    import ipywidgets as w

    trainer = Trainer(store)
    banner = w.HTML(PAGE_CSS + f'<div class="kokuho-synthetic" style="background:#fff3cd;padding:4px 8px">'
                    f'{html.escape(t("common.synthetic_banner"))}</div>')
    title = w.HTML(f"<h2>{html.escape(t('training.app.title'))}</h2>")
    error = w.HTML()
    officer = w.Text(description=t("training.app.officer"), placeholder="例: K001",
                     style={"description_width": "initial"})
    officer.add_class("kokuho-officer")
    fc_choice = w.Dropdown(options=Trainer.flowchart_options(), description=t("training.app.flowchart"),
                           style={"description_width": "initial"}, layout=w.Layout(width="420px"))
    level = w.ToggleButtons(options=Trainer.level_options(), description=t("training.app.level"),
                            style={"description_width": "initial"})
    start = w.Button(description=t("training.app.start"), button_style="primary")
    start.add_class("kokuho-start")
    setup = w.VBox([officer, fc_choice, level, start])

    question = w.HTML()
    choices = w.RadioButtons(options=[], layout=w.Layout(width="auto"))
    choices.add_class("kokuho-choices")
    reasons_label = w.HTML()
    reasons_box = w.VBox([])
    value = w.Text(placeholder="")
    value.add_class("kokuho-value")
    submit = w.Button(description=t("training.app.submit"), button_style="success")
    submit.add_class("kokuho-submit")
    feedback = w.HTML()
    diagram = w.HTML()
    next_btn = w.Button(description=t("training.app.next"))
    next_btn.add_class("kokuho-next")
    hint_toggle = w.Checkbox(value=False, description=t("training.app.show_flowchart"), indent=False)
    hint_toggle.add_class("kokuho-hint")
    hint = w.HTML()
    quiz = w.VBox([question, hint_toggle, hint, choices, reasons_label, reasons_box, value, submit, feedback,
                   diagram, next_btn])
    quiz.layout.display = "none"
    result = w.HTML()

    def show_error(text: str) -> None:
        error.value = text

    def show_question() -> None:
        ex = trainer.current
        if ex is None:
            quiz.layout.display = "none"
            result.value = summary_html(trainer.summary(), trainer.result_rows())
            return
        question.value = question_html(ex, trainer.index + 1, len(trainer.exercises))
        is_choice = ex.answer_kind == "choice"
        choices.options = [(c.text, c.key) for c in ex.choices] if is_choice else []
        choices.value = None
        choices.layout.display = "" if is_choice else "none"
        reasons_box.children = [w.Checkbox(value=False, description=c.text, indent=False,
                                           layout=w.Layout(width="auto"))
                                for c in ex.reason_choices] if ex.multi_reason else []
        if ex.reason_choices and not ex.multi_reason:
            radio = w.RadioButtons(options=[(c.text, c.key) for c in ex.reason_choices], value=None,
                                   layout=w.Layout(width="auto"))
            reasons_box.children = [radio]
        label_key = "training.app.reasons_multi" if ex.multi_reason else "training.app.reasons_single"
        reasons_label.value = f"<p>{html.escape(t(label_key))}</p>" if ex.reason_choices else ""
        value.value = ""
        value.placeholder = t("training.app.placeholder_yen") if ex.answer_kind == "yen" else \
            t("training.app.placeholder_date")
        value.layout.display = "none" if is_choice else ""
        feedback.value = ""
        diagram.value = ""
        allowed = bool(level_spec(trainer.level or "").get("app_diagram_help")) and bool(ex.path_nodes)
        hint_toggle.layout.display = "" if allowed else "none"
        hint_toggle.value = False
        hint.value = ""
        submit.disabled = False
        next_btn.layout.display = "none"

    def response_of(ex: Exercise) -> dict[str, Any]:
        if ex.answer_kind == "yen":
            return {"value": value.value}
        if ex.answer_kind == "date":
            return {"date": value.value}
        if choices.value is None:
            raise UserError(t("training.app.choose_one"))
        resp: dict[str, Any] = {"choice": choices.value}
        if ex.multi_reason:
            resp["reasons"] = [c.key for c, box in zip(ex.reason_choices, reasons_box.children, strict=True)
                               if box.value]
        elif ex.reason_choices:
            radio = reasons_box.children[0]
            if radio.value is None:
                raise UserError(t("training.app.choose_reason"))
            resp["reasons"] = [radio.value]
        return resp

    def on_start(_: Any) -> None:
        def act() -> None:
            trainer.start(officer.value, fc_choice.value, level.value, count)
            setup.layout.display = "none"
            result.value = ""
            quiz.layout.display = ""
            who = f"{trainer.officer_code} {trainer.officer_name}".strip()
            session = t("training.app.session", who=who, flowchart=trainer.flowchart.title, level=trainer.level)
            title.value = f"<h2>{html.escape(t('training.app.title'))}</h2><p>{html.escape(session)}</p>"
            show_question()
        friendly(act, show_error)

    def on_submit(_: Any) -> None:
        def act() -> None:
            ex = trainer.current
            if ex is None:
                return
            resp = response_of(ex)
            res = trainer.answer(resp)
            feedback.value = feedback_html(res)
            hint.value = ""
            diagram.value = trainer.diagram(ex, resp)
            submit.disabled = True
            next_btn.description = t("training.app.next") if trainer.index + 1 < len(trainer.exercises) \
                else t("training.app.show_score")
            next_btn.layout.display = ""
        friendly(act, show_error)

    def on_next(_: Any) -> None:
        def act() -> None:
            trainer.next()
            show_question()
        friendly(act, show_error)

    def on_hint(change: dict[str, Any]) -> None:
        def act() -> None:
            hint.value = render_svg(trainer.flowchart) if change["new"] and trainer.flowchart else ""
        friendly(act, show_error)

    hint_toggle.observe(on_hint, names="value")
    start.on_click(on_start)
    submit.on_click(on_submit)
    next_btn.on_click(on_next)
    ready = w.HTML(READY_MARKER)
    app = w.VBox([banner, title, error, setup, quiz, result, ready])
    app.trainer = trainer  # for tests and notebooks
    return app
