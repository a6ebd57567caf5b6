"""``kokuho-nb entaikin``: plain Japanese breakdown, --json document, era dates, clear errors."""

from __future__ import annotations

import json

import pytest

from kokuho_nb.cli import main


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["entaikin", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_document(capsys) -> None:
    code, out, _ = _run(capsys, "--amount", "300000", "--due", "2026-06-30", "--paid", "2026-11-30",
                        "--payment", "2026-08-15:100500", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["entaikin"] == 4700  # tests/law_cases/e13_one_partial_payment.yaml
    assert [p["base"] for p in doc["periods"]] == [300000, 199000, 199000]
    assert [p["days"] for p in doc["periods"]] == [46, 46, 61]
    assert doc["fiscal_year"] == 2026


def test_plain_output_is_japanese_breakdown(capsys) -> None:
    code, out, _ = _run(capsys, "--amount", "1,000,000", "--due", "R8.10.31", "--paid", "令和8年12月31日")
    assert code == 0
    assert "令和8年10月31日" in out and "令和8年11月2日" in out  # shifted due date, shown in 和暦
    assert "59日" in out
    assert "100円未満切捨て" in out
    assert "延滞金　　　: 4,500円" in out


def test_default_fiscal_year_january_is_previous_year(capsys) -> None:
    code, out, _ = _run(capsys, "--amount", "1000000", "--due", "2026-01-31", "--paid", "2026-06-30", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["fiscal_year"] == 2025 and doc["charged"] is False and doc["entaikin"] == 0


def test_explicit_fiscal_year_and_tax_kind(capsys) -> None:
    code, out, _ = _run(capsys, "--amount", "1000000", "--due", "2026-04-30", "--paid", "2026-06-30",
                        "--kind", "tax", "--fiscal-year", "R8", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["entaikin"] == 9800 and doc["lower_rate_last_day"] == "2026-05-31"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "abc", "--due", "2026-07-31", "--paid", "2026-09-30"], "--amount"),
        (["--amount", "1000", "--due", "2026-02-30", "--paid", "2026-09-30"], "存在しない日付"),
        (["--amount", "1000", "--due", "2026-07-31", "--paid", "someday"], "--paid"),
        (["--amount", "1000", "--due", "2026-07-31", "--paid", "2026-09-30", "--payment", "2026-08-01"],
         "日付:金額"),
        (["--amount", "1000", "--due", "2026-07-31", "--paid", "2026-09-30", "--payment", "2026-10-01:10"],
         "完納日"),
        (["--amount", "1000", "--due", "2026-07-31", "--paid", "2026-09-30", "--fiscal-year", "X9"], "年度"),
        (["--amount", "100000", "--due", "2026-11-30", "--paid", "2027-01-15"], "2027年"),
        (["--amount", "100000", "--due", "2026-11-30"], "--paid を指定してください"),
    ],
)
def test_bad_arguments_fail_with_japanese_message(capsys, args, message) -> None:
    code, out, err = _run(capsys, *args)
    assert code != 0
    assert message in err
    assert "Traceback" not in err and out == ""
