"""The OJT app: logic without a kernel, widgets wiring, attempts stored as answered and surviving a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kokuho_nb.casework import attempts
from kokuho_nb.errors import UserError
from kokuho_nb.store import Store
from kokuho_nb.training.app import READY_MARKER, Trainer, build_app, summary_html
from kokuho_nb.training.exercises import key_response

STAFF = pd.DataFrame({"officer_code": ["K001", "K002"], "name": ["足立 一郎", "千住 花子"],
                      "category": ["新任", "継続"]})


def test_officer_code_is_checked_against_staff(tmp_store: Path) -> None:
    trainer = Trainer(tmp_store, staff=STAFF)
    assert trainer.check_officer(" Ｋ００１ ") == "K001"  # full-width input normalised
    with pytest.raises(UserError, match="担当者一覧にありません"):
        trainer.check_officer("K999")
    with pytest.raises(UserError, match="入力してください"):
        trainer.check_officer("")


def test_no_snapshot_means_no_staff_check(tmp_store: Path) -> None:
    assert Trainer(tmp_store).check_officer("X1") == "X1"


def _answer_all(trainer: Trainer, wrong_every: int = 0) -> None:
    i = 0
    while trainer.current is not None:
        ex = trainer.current
        resp = key_response(ex)
        if wrong_every and i % wrong_every == 0 and ex.answer_kind == "choice":
            resp = {"choice": next(c.key for c in ex.choices if c.key != ex.key["choice"]), "reasons": []}
        trainer.answer(resp)
        trainer.next()
        i += 1


def test_every_answer_is_stored_at_once_and_survives_a_new_process(tmp_store: Path) -> None:
    trainer = Trainer(tmp_store, staff=STAFF)
    first = trainer.start("K001", "basic_flow", "中級", count=6, seed=4)
    trainer.answer(key_response(first))
    # the "page closes" here: a fresh process sees the answer already stored
    code = ("import json, sys; from kokuho_nb.casework.attempts import attempts; from kokuho_nb.store import Store; "
            "df = attempts(Store(sys.argv[1])); print(json.dumps(df[['officer_code','exercise_id','result']].to_dict('records')))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_store)], capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)
    assert rows == [{"officer_code": "K001", "exercise_id": first.id, "result": "right"}]
    trainer.next()
    _answer_all(trainer)
    df = attempts.attempts(Store(tmp_store), "K001")
    assert len(df) == 6 and set(df["result"]) == {"right"}
    assert df["answer"].iloc[0] == key_response(first)
    sessions = attempts.sessions(Store(tmp_store))
    assert sessions["passed"].tolist() == [True] and sessions["answered"].tolist() == [6]


def test_answer_twice_is_refused_and_summary_counts(tmp_store: Path) -> None:
    trainer = Trainer(tmp_store, staff=STAFF)
    trainer.start("K002", "suspension", "初級", count=6, seed=9)
    with pytest.raises(UserError):
        trainer.next()  # must answer first
    trainer.answer(key_response(trainer.current))
    with pytest.raises(UserError, match="回答済み"):
        trainer.answer(key_response(trainer.current))
    trainer.next()
    _answer_all(trainer, wrong_every=2)
    s = trainer.summary()
    assert s["answered"] == 6 and s["wrong"] >= 1 and s["points"] < 6
    assert not s["passed"] or s["ratio"] >= s["pass_mark"]
    assert "演習終了" in summary_html(s)
    assert attempts.sessions(Store(tmp_store))["points"].iloc[0] == pytest.approx(s["points"])


def test_diagram_highlights_path_and_wrong_choice(tmp_store: Path) -> None:
    trainer = Trainer(tmp_store, staff=STAFF)
    trainer.start("K001", "basic_flow", "上級", count=10, seed=3)
    ex = next(e for e in trainer.exercises if e.kind == "branch")
    wrong = next(c.key for c in ex.choices if c.key != ex.key["choice"])
    svg_right = trainer.diagram(ex, {"choice": ex.key["choice"]})
    svg_wrong = trainer.diagram(ex, {"choice": wrong})
    assert svg_right.startswith("<svg") and "#c0392b" in svg_right
    assert "#1f5fbf" in svg_wrong and "#1f5fbf" not in svg_right


def _widgets(app):  # noqa: ANN001, ANN202
    banner, title, error, setup, quiz, result, ready = app.children
    return banner, error, setup.children, quiz.children, result, ready


def test_widgets_flow_feedback_and_ready_marker(tmp_store: Path) -> None:
    app = build_app(tmp_store, count=5)
    banner, error, (officer, fc, level, start), quiz, result, ready = _widgets(app)
    assert "模擬データ" in banner.value
    assert ready.value == READY_MARKER
    start.click()  # no officer code
    assert "担当者コードを入力してください" in error.value and "Traceback" not in error.value
    officer.value, fc.value, level.value = "K001", "payment_consultation", "上級"
    start.click()
    assert error.value == ""
    question, hint_toggle, hint, choices, _label, reasons, value, submit, feedback, diagram, nxt = quiz
    assert hint_toggle.layout.display == "none"  # 上級: no flowchart hint (levels.yaml app_diagram_help)
    trainer = app.trainer
    for _ in range(5):
        ex = trainer.current
        assert ex.id in question.value
        if ex.answer_kind == "choice":
            choices.value = ex.key["choice"]
            for c, box in zip(ex.reason_choices, reasons.children, strict=False):
                if hasattr(box, "indent"):
                    box.value = c.key in ex.key.get("reasons", [])
                else:
                    box.value = ex.key["reasons"][0]
        else:
            value.value = str(ex.key.get("value", ex.key.get("date")))
        submit.click()
        assert 'data-result="right"' in feedback.value and "根拠" in feedback.value, error.value
        nxt.click()
    assert "演習終了" in result.value and "得点 5 点" in result.value
    assert len(attempts.attempts(Store(tmp_store))) == 5


def test_flowchart_hint_for_beginners(tmp_store: Path) -> None:
    app = build_app(tmp_store, count=5)
    _banner, _error, (officer, fc, level, start), quiz, _result, _ready = _widgets(app)
    officer.value, fc.value, level.value = "K001", "suspension", "初級"  # no law questions on this chart
    start.click()
    _question, hint_toggle, hint, *_rest = quiz
    assert app.trainer.current.path_nodes
    assert hint_toggle.layout.display == ""
    hint_toggle.value = True
    assert hint.value.startswith("<svg") and "#c0392b" not in hint.value  # the plain chart: no answer shown
    hint_toggle.value = False
    assert hint.value == ""


def test_unexpected_failure_shows_friendly_message(tmp_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_app(tmp_store, count=5)
    _banner, error, (officer, _fc, _level, start), *_ = _widgets(app)

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.trainer, "start", boom)
    officer.value = "K001"
    start.click()
    assert "問題が発生しました" in error.value and "disk on fire" not in error.value


def _synth_ready() -> bool:
    try:
        from kokuho_nb.synth import generate  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _synth_ready(), reason="kokuho_nb.synth.generate not available yet")
def test_officer_validated_against_store_staff(small_store: Path, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(small_store, store)  # small_store is read-only for tests
    trainer = Trainer(store)
    staff = trainer.staff
    assert staff is not None and len(staff) > 0
    code = str(staff["officer_code"].iloc[0])
    assert trainer.check_officer(code) == code
    with pytest.raises(UserError):
        trainer.check_officer("NO-SUCH-OFFICER")


def test_ojt_notebook_executes_and_renders_the_app(tmp_store: Path, tmp_path: Path) -> None:
    """What Voilà does on a page request: run the notebook in a python3 kernel; the app widget is its output."""
    from kokuho_nb.runs.notebooks import run_notebook

    out = tmp_path / "run"
    executed = run_notebook("ojt_app", {"store": str(tmp_store)}, out)
    nb = json.loads(Path(executed).read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1
    assert "模擬データ" in json.dumps(nb, ensure_ascii=False)


def test_concurrent_kernels_lose_no_attempt(tmp_store: Path) -> None:
    """Three processes (as three Voilà kernels) answer at the same time: every answer is stored."""
    code = (
        "import sys\n"
        "from kokuho_nb.training.app import Trainer\n"
        "from kokuho_nb.training.exercises import key_response\n"
        "tr = Trainer(sys.argv[1])\n"
        "tr.start(sys.argv[2], 'property_inquiry', '初級', count=8, seed=int(sys.argv[3]))\n"
        "while tr.current is not None:\n"
        "    tr.answer(key_response(tr.current)); tr.next()\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_store), f"K00{i}", str(i)]) for i in range(3)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    df = attempts.attempts(Store(tmp_store))
    assert len(df) == 24 and df.groupby("officer_code").size().tolist() == [8, 8, 8]
