"""Printable exercise sheets and answer keys (HTML + A4 PDF), and the papermill notebook producing them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from kokuho_nb.flowcharts import load
from kokuho_nb.training.exercises import generate
from kokuho_nb.training.sheet import CHOICE_MARKS, answer_key_html, sheet_html, write_sheets


def test_sheet_has_questions_but_no_answers_and_key_has_them() -> None:
    fc = load("basic_flow")
    items = generate(fc, "上級", 6, seed=8)
    sheet = sheet_html(fc, items, "上級", 8)
    key = answer_key_html(fc, items, "上級", 8)
    assert "模擬データ" in sheet and "模擬データ" in key
    assert len(re.findall(r'<div class="q"', sheet)) == 6
    for ex in items:
        assert ex.prompt in sheet
        assert ex.explanation not in sheet  # the sheet never gives the reasoning away
        assert ex.key_text in key and ex.reference in key
    assert "<svg" not in sheet  # 上級: no flowchart help on the sheet (levels.yaml sheet_diagram)
    assert key.count("<svg") == sum(1 for ex in items if ex.path_nodes)
    assert "<svg" in sheet_html(fc, items, "初級", 8)


def test_answer_marks_point_at_the_right_option() -> None:
    fc = load("suspension")
    items = [e for e in generate(fc, "中級", 10, seed=4) if e.answer_kind == "choice"]
    key = answer_key_html(fc, items, "中級", 4)
    for ex in items:
        mark = CHOICE_MARKS[[c.key for c in ex.choices].index(ex.key["choice"])]
        assert f'<span class="key">{mark}' in key


def test_write_sheets_html_and_pdf(tmp_path: Path) -> None:
    paths = write_sheets("suspension", "初級", 3, seed=5, out_dir=tmp_path)
    assert set(paths) == {"sheet_html", "key_html", "sheet_pdf", "key_pdf"}
    for kind in ("sheet_pdf", "key_pdf"):
        reader = PdfReader(str(paths[kind]))
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 595) < 3 and abs(float(box.height) - 842) < 3  # A4 portrait
        text = "".join(page.extract_text() for page in reader.pages)
        assert "模擬データ" in text and "執行停止" in text
    again = write_sheets("suspension", "初級", 3, seed=5, out_dir=tmp_path / "again", pdf=False)
    assert again["sheet_html"].read_text(encoding="utf-8") == paths["sheet_html"].read_text(encoding="utf-8")


def test_exercise_sheet_notebook_runs_with_papermill(tmp_path: Path) -> None:
    pytest.importorskip("papermill")
    from kokuho_nb.runs.notebooks import run_notebook

    out = tmp_path / "out"
    run_notebook("exercise_sheet", {"flowchart": "field_visit", "level": "中級", "count": 2, "seed": 1,
                                    "out_dir": str(out)}, out)
    assert (out / "exercise_field_visit_L2_s1.pdf").exists()
    assert (out / "answer_key_field_visit_L2_s1.html").exists()
