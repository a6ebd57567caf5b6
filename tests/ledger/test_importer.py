"""The ledger import end to end: every way a ledger can be wrong, and what the user then sees."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.store import Store
from kokuho_nb.store.snapshots import snapshots_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"


def make_ledger(
    tmp_path: Path,
    replace: dict[str, str | None] | None = None,
    *,
    encoding: str = "utf-8",
    name: str = "ledger",
) -> Path:
    """A copy of the standard fixture ledger; ``replace`` gives a file's whole text (None deletes it)."""
    out = tmp_path / name
    out.mkdir()
    for src in sorted(FIXTURE.glob("*.csv")):
        text = src.read_text(encoding="utf-8")
        if replace and src.name in replace:
            if replace[src.name] is None:
                continue
            text = replace[src.name]
        (out / src.name).write_bytes(text.encode(encoding))
    for file, text in (replace or {}).items():
        if text is not None and not (out / file).exists():
            (out / file).write_bytes(text.encode(encoding))
    return out


def fixture_text(file: str) -> str:
    return (FIXTURE / file).read_text(encoding="utf-8")


def add_rows(file: str, *rows: str) -> dict[str, str]:
    return {file: fixture_text(file) + "".join(r + "\n" for r in rows)}


def entries(report, file: str) -> list[tuple[int, str]]:
    return [(q["line"], q["column"]) for q in report.quarantine if q["file"] == file]


def assert_reconciles(report) -> None:
    for file, c in report.files.items():
        assert c["rows_read"] == c["rows_accepted"] + c["rows_quarantined"], file
        assert c["yen_read"] == c["yen_accepted"] + c["yen_quarantined"], file


def store_state(store: Path) -> list[str]:
    if not store.exists():
        return []
    return sorted(str(p.relative_to(store)) for p in store.rglob("*"))


# ---------------------------------------------------------------- the clean ledger
def test_standard_ledger_imports_completely(tmp_path: Path) -> None:
    store = tmp_path / "store"
    report = import_ledger(FIXTURE, store)
    assert report.ok and report.snapshot_id
    assert report.quarantine == []
    assert report.files["世帯.csv"]["rows_accepted"] == 5
    assert report.files["調定.csv"] == {
        "rows_read": 7, "rows_accepted": 7, "rows_quarantined": 0,
        "yen_read": 95000, "yen_accepted": 95000, "yen_quarantined": 0,
    }
    assert report.files["収納.csv"]["yen_read"] == 68000
    # default as-of: the latest payment/contact date in the ledger (折衝記録 2025-03-12)
    assert report.as_of == dt.date(2025, 3, 12)
    assert report.snapshot_id.startswith("2025-03-12_") and len(report.snapshot_id) == len("2025-03-12_") + 12
    ledger = Store(store).load()
    assert ledger.snapshot_id == report.snapshot_id and ledger.as_of == dt.date(2025, 3, 12)
    assert ledger.households["household_id"].tolist()[:2] == ["000101", "000102"]  # leading zeros kept
    assert ledger.households["has_phone"].dtype == "boolean"
    assert ledger.charges["due_date"].dtype == "datetime64[ns]"
    assert ledger.charges["amount"].dtype == "int64"
    assert ledger.charges.loc[ledger.charges["household_id"] == "000105", "written_off"].tolist() == [5000]
    assert ledger.dispositions["suspension_ground"].dtype == "Int64"
    assert ledger.staff.loc[ledger.staff["officer_code"] == "K001", "areas"].item() == "A01;A02"
    assert pd.isna(ledger.staff.loc[ledger.staff["officer_code"] == "K900", "areas"].item())  # chief: no areas
    json.dumps(report.to_dict(), ensure_ascii=False)  # the --json document is serialisable


def test_optional_files_absent_give_empty_tables_with_columns(tmp_path: Path) -> None:
    ledger_dir = make_ledger(tmp_path, {f: None for f in ("収納.csv", "折衝記録.csv", "財産調査.csv", "滞納処分.csv",
                                                         "研修記録.csv")})
    report = import_ledger(ledger_dir, tmp_path / "store", as_of="2025-05-31")
    assert set(report.files) == {"世帯.csv", "調定.csv", "担当者.csv"}
    ledger = Store(tmp_path / "store").load()
    assert len(ledger.payments) == 0 and list(ledger.payments.columns) == [
        "household_id", "fiscal_year", "instalment", "paid_date", "amount"]
    assert ledger.payments["paid_date"].dtype == "datetime64[ns]"
    assert ledger.as_of == dt.date(2025, 5, 31)


# ---------------------------------------------------------------- encodings and formats
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "shift_jis"])
def test_each_encoding_gives_the_same_tables(tmp_path: Path, encoding: str) -> None:
    ledger_dir = make_ledger(tmp_path, encoding=encoding)
    report = import_ledger(ledger_dir, tmp_path / "store", as_of="2025-05-31")
    assert report.quarantine == []
    manifest = json.loads((snapshots_dir(tmp_path / "store") / report.snapshot_id / "manifest.json").read_text())
    assert manifest["files"]["世帯.csv"]["encoding"] == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp932": "cp932",
                                                         "shift_jis": "cp932"}[encoding]
    got = Store(tmp_path / "store").load()
    import_ledger(FIXTURE, tmp_path / "ref", as_of="2025-05-31")
    ref = Store(tmp_path / "ref").load()
    for name, df in ref.tables().items():
        pd.testing.assert_frame_equal(getattr(got, name), df, check_dtype=True)


def test_full_width_era_dates_yen_with_commas(tmp_path: Path) -> None:
    charges = (
        "世帯番号,賦課年度,期別,納期限,調定額,収納額,最終収納日,督促状発送日,不納欠損額\n"
        "０００１０１,令和5年度,１,R5.6.30,\"10,000\",１０，０００円,令和5年6月28日,,\n"
        "000101,R5,2期,2023/7/31,￥10000,0円,,令和５年８月１８日,0\n"
        "000102,令和元年度,随時,令和元年5月7日,\"2,500円\",0,,H31.4.30,\n"
    )
    ledger_dir = make_ledger(tmp_path, {"調定.csv": charges, "収納.csv": None})
    report = import_ledger(ledger_dir, tmp_path / "store", as_of="2025-05-31")
    assert report.quarantine == []
    ch = Store(tmp_path / "store").load().charges
    assert ch["household_id"].tolist() == ["000101", "000101", "000102"]
    assert ch["fiscal_year"].tolist() == [2023, 2023, 2019]
    assert ch["instalment"].tolist() == [1, 2, 0]
    assert ch["due_date"].tolist() == [pd.Timestamp("2023-06-30"), pd.Timestamp("2023-07-31"),
                                       pd.Timestamp("2019-05-07")]
    assert ch["amount"].tolist() == [10000, 10000, 2500]
    assert ch["paid"].tolist() == [10000, 0, 0]
    assert ch["demand_sent_date"].tolist()[1:] == [pd.Timestamp("2023-08-18"), pd.Timestamp("2019-04-30")]
    assert report.files["調定.csv"]["yen_read"] == 22500


def test_half_width_katakana_stored_full_width(tmp_path: Path) -> None:
    households = fixture_text("世帯.csv").replace("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ")
    ledger_dir = make_ledger(tmp_path, {"世帯.csv": households}, encoding="cp932")
    import_ledger(ledger_dir, tmp_path / "store")
    hh = Store(tmp_path / "store").load().households
    assert hh.loc[hh["household_id"] == "000101", "name_kana"].item() == "ヤマダ\u3000タロウ"


def test_quoted_newlines_and_blank_lines_keep_true_line_numbers(tmp_path: Path) -> None:
    contacts = (
        "世帯番号,日付,担当者コード,手段,結果,約束金額,約束日,メモ\n"
        "000101,2025-03-10,K001,電話,納付約束,10000,2025-03-31,\"一行目\n二行目\"\n"
        "\n"
        "000104,2025-03-12,K001,手紙,その他,,,\n"  # line 5: bad code 手紙
    )
    report = import_ledger(make_ledger(tmp_path, {"折衝記録.csv": contacts}), tmp_path / "store")
    assert entries(report, "折衝記録.csv") == [(5, "手段")]
    memo = Store(tmp_path / "store").load().contacts["memo"].tolist()
    assert memo == ["一行目\n二行目"]


# ---------------------------------------------------------------- refusals: nothing imported, store untouched
def _refused(tmp_path: Path, ledger_dir: Path, *must_mention: str) -> UserError:
    store = tmp_path / "store"
    import_ledger(FIXTURE, store, as_of="2025-05-31")  # a store with one snapshot already
    before = store_state(store)
    with pytest.raises(UserError) as exc:
        import_ledger(ledger_dir, store)
    for text in must_mention:
        assert text in exc.value.message, exc.value.message
    assert store_state(store) == before
    return exc.value


def test_missing_required_file_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, make_ledger(tmp_path, {"担当者.csv": None}), "担当者.csv", "ありません")


def test_missing_required_column_is_refused(tmp_path: Path) -> None:
    text = fixture_text("調定.csv").replace("納期限", "支払期限")
    _refused(tmp_path, make_ledger(tmp_path, {"調定.csv": text}), "調定.csv", "納期限")


def test_not_a_csv_is_refused(tmp_path: Path) -> None:
    ledger_dir = make_ledger(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # an .xlsx is a zip: what "saved as Excel" produces
        zf.writestr("xl/workbook.xml", "<workbook/>")
    (ledger_dir / "世帯.csv").write_bytes(buf.getvalue())
    _refused(tmp_path, ledger_dir, "世帯.csv", "CSV")


def test_binary_and_utf16_files_are_refused(tmp_path: Path) -> None:
    ledger_dir = make_ledger(tmp_path)
    (ledger_dir / "収納.csv").write_bytes(fixture_text("収納.csv").encode("utf-16"))
    _refused(tmp_path, ledger_dir, "収納.csv")


def test_undecodable_file_is_refused_naming_the_encoding_problem(tmp_path: Path) -> None:
    ledger_dir = make_ledger(tmp_path)
    raw = fixture_text("世帯.csv").encode("utf-8") + b"000199,\x81 ,A01,\x81 \n"
    (ledger_dir / "世帯.csv").write_bytes(raw)
    _refused(tmp_path, ledger_dir, "世帯.csv", "文字コード")


def test_empty_file_and_missing_folder_are_refused(tmp_path: Path) -> None:
    _refused(tmp_path, make_ledger(tmp_path, {"担当者.csv": ""}), "担当者.csv")
    with pytest.raises(UserError):
        import_ledger(tmp_path / "nowhere", tmp_path / "store2")
    assert not (tmp_path / "store2").exists()


def test_unterminated_quote_is_refused(tmp_path: Path) -> None:
    err = _refused(tmp_path, make_ledger(tmp_path, add_rows("研修記録.csv", 'K002,"延滞金,2025-05-12')),
                   "研修記録.csv", "4行目", "引用符")
    assert err.exit_code != 0


# ---------------------------------------------------------------- quarantine of bad rows
def test_bad_cells_are_quarantined_with_file_line_column_and_reason(tmp_path: Path) -> None:
    replace = {}
    replace |= add_rows("調定.csv",
                        "000103,2024,2,2024-02-30,8000,0,,,",  # line 9: impossible date
                        "000103,2024,3,2024-09-30,-8000,0,,,",  # line 10: negative amount
                        "000103,2024,11,2024-09-30,8000,0,,,",  # line 11: instalment out of range
                        "000103,,4,2024-10-31,8000,0,,,",  # line 12: empty fiscal year
                        "000103,2024,5,2024-11-30,8000,abc,,,")  # line 13: unreadable 収納額
    replace |= add_rows("世帯.csv", "000106,タカハシ　サブロウ,A01,軽減9割,日本,日本語,有,無,加入中,無,無",  # line 7
                        "000107,高橋,A01,軽減なし,日本,日本語,はい,無,加入中,無,無")  # line 8: two bad cells
    replace |= add_rows("収納.csv", "000101,2023,1,2023-07-01,0")  # line 7: payment of 0 yen
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store", as_of="2025-05-31")
    assert report.ok
    assert entries(report, "調定.csv") == [(9, "納期限"), (10, "調定額"), (11, "期別"), (12, "賦課年度"), (13, "収納額")]
    assert entries(report, "世帯.csv") == [(7, "所得区分"), (8, "氏名カナ"), (8, "電話番号有無")]
    assert entries(report, "収納.csv") == [(7, "金額")]
    by_line = {(q["file"], q["line"], q["column"]): q for q in report.quarantine}
    assert "存在しない日付" in by_line[("調定.csv", 9, "納期限")]["reason"]
    assert by_line[("調定.csv", 9, "納期限")]["value"] == "2024-02-30"
    assert "負の金額" in by_line[("調定.csv", 10, "調定額")]["reason"]
    assert "10以下" in by_line[("調定.csv", 11, "期別")]["reason"]
    assert "必須項目が空" in by_line[("調定.csv", 12, "賦課年度")]["reason"]
    assert "軽減9割" in by_line[("世帯.csv", 7, "所得区分")]["reason"]
    assert report.files["世帯.csv"]["rows_quarantined"] == 2  # a row with two bad cells counts once
    assert report.files["調定.csv"]["rows_quarantined"] == 5
    # yen: the negative amount counts at face value, the quarantined rows' 調定額 are in yen_quarantined
    assert report.files["調定.csv"]["yen_quarantined"] == 8000 - 8000 + 8000 + 8000 + 8000
    assert_reconciles(report)
    # nothing lost: the quarantine file in the snapshot holds every entry with the raw row
    q = Store(tmp_path / "store").quarantine()
    assert len(q) == len(report.quarantine)
    row = json.loads(q[(q["file"] == "調定.csv") & (q["line"] == 10)]["row"].item())
    assert row["調定額"] == "-8000" and row["世帯番号"] == "000103"


def test_unreadable_amount_counts_zero_yen_and_warns(tmp_path: Path) -> None:
    replace = add_rows("調定.csv", "000103,2024,5,2024-11-30,八千円,0,,,")
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    assert entries(report, "調定.csv") == [(9, "調定額")]
    assert report.files["調定.csv"]["yen_read"] == 95000 and report.files["調定.csv"]["yen_quarantined"] == 0
    assert any(w["code"] == "unparsed_yen" and w["file"] == "調定.csv" for w in report.warnings)
    assert_reconciles(report)


def test_row_with_wrong_number_of_fields_is_quarantined(tmp_path: Path) -> None:
    replace = add_rows("収納.csv", "000101,2023,1,2023-06-28", "000103,2024,1,2025-01-11,1000,extra")
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    assert [line for line, _ in entries(report, "収納.csv")] == [7, 8]
    assert all("列の数" in q["reason"] for q in report.quarantine if q["file"] == "収納.csv")
    assert report.files["収納.csv"]["rows_read"] == 7 and report.files["収納.csv"]["rows_quarantined"] == 2
    assert_reconciles(report)


def test_duplicate_keys_keep_the_first_row(tmp_path: Path) -> None:
    replace = add_rows("調定.csv", "000101,R5,1,2023-06-30,99999,0,,,")  # line 9 duplicates line 2's key
    replace |= add_rows("世帯.csv", "000101,ニセモノ,B01,軽減なし,日本,日本語,有,無,加入中,無,無")  # line 7
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    assert entries(report, "調定.csv") == [(9, "世帯番号・賦課年度・期別")]
    assert entries(report, "世帯.csv") == [(7, "世帯番号")]
    reason = next(q["reason"] for q in report.quarantine if q["file"] == "調定.csv")
    assert "2行目" in reason
    ledger = Store(tmp_path / "store").load()
    first = ledger.charges[(ledger.charges["household_id"] == "000101") & (ledger.charges["instalment"] == 1)]
    assert first["amount"].tolist() == [10000]
    assert ledger.households.loc[ledger.households["household_id"] == "000101", "name_kana"].item() == "ヤマダ\u3000タロウ"
    assert report.files["調定.csv"]["yen_quarantined"] == 99999
    assert_reconciles(report)


def test_unknown_household_is_quarantined_not_dropped(tmp_path: Path) -> None:
    replace = add_rows("調定.csv", "009999,2024,1,2024-07-01,7000,0,,,")  # line 9
    replace |= add_rows("折衝記録.csv", "009999,2025-03-01,K001,電話,不通,,,")  # line 4
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    assert entries(report, "調定.csv") == [(9, "世帯番号")]
    assert entries(report, "折衝記録.csv") == [(4, "世帯番号")]
    q = next(q for q in report.quarantine if q["file"] == "調定.csv")
    assert q["value"] == "009999" and "世帯.csv にありません" in q["reason"]
    assert report.files["調定.csv"]["yen_quarantined"] == 7000
    assert len(Store(tmp_path / "store").quarantine()) == 2


def test_rows_of_a_quarantined_household_follow_it_with_a_reason(tmp_path: Path) -> None:
    households = fixture_text("世帯.csv").replace("000104,タナカ　イチロウ,A02,軽減2割", "000104,タナカ　イチロウ,A02,不明")
    report = import_ledger(make_ledger(tmp_path, {"世帯.csv": households}), tmp_path / "store")
    assert entries(report, "世帯.csv") == [(5, "所得区分")]
    assert entries(report, "調定.csv") == [(7, "世帯番号")]
    assert entries(report, "滞納処分.csv") == [(2, "世帯番号")]
    reason = next(q["reason"] for q in report.quarantine if q["file"] == "調定.csv")
    assert "隔離" in reason


def test_payment_without_a_charge_is_quarantined(tmp_path: Path) -> None:
    report = import_ledger(make_ledger(tmp_path, add_rows("収納.csv", "000101,2021,1,2021-07-01,500")),
                           tmp_path / "store")
    assert entries(report, "収納.csv") == [(7, "世帯番号・賦課年度・期別")]
    assert report.files["収納.csv"]["yen_quarantined"] == 500
    assert_reconciles(report)


def test_suspension_without_ground_is_quarantined(tmp_path: Path) -> None:
    replace = add_rows("滞納処分.csv", "000103,執行停止,2025-01-01,,,,,継続", "000103,執行停止,2025-01-02,,４,,,継続",
                       "000103,執行停止,2025-01-03,,第1号,,,継続")
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    assert entries(report, "滞納処分.csv") == [(5, "停止根拠"), (6, "停止根拠"), (7, "停止根拠")]
    reasons = [q["reason"] for q in report.quarantine if q["file"] == "滞納処分.csv"]
    assert "執行停止" in reasons[0] and "15条の7" in reasons[0]


def test_overpayment_is_accepted_and_listed_never_negative(tmp_path: Path) -> None:
    report = import_ledger(FIXTURE, tmp_path / "store")
    assert report.overpayments == [{
        "file": "調定.csv", "line": 5, "household_id": "000102", "fiscal_year": 2024, "instalment": 2,
        "amount": 25000, "paid": 30000, "excess": 5000,
    }]
    assert any(w["code"] == "overpayments" for w in report.warnings)
    ch = Store(tmp_path / "store").load().charges
    assert ch.loc[(ch["household_id"] == "000102") & (ch["instalment"] == 2), "paid"].item() == 30000


def test_payment_sum_mismatch_is_a_warning_not_a_rejection(tmp_path: Path) -> None:
    payments = fixture_text("収納.csv").replace("000103,2024,1,2025-01-10,3000", "000103,2024,1,2025-01-10,2000")
    report = import_ledger(make_ledger(tmp_path, {"収納.csv": payments}), tmp_path / "store")
    assert report.quarantine == []
    assert report.payment_mismatches == [{
        "file": "調定.csv", "line": 6, "household_id": "000103", "fiscal_year": 2024, "instalment": 1,
        "charge_paid": 3000, "payments_sum": 2000, "difference": 1000,
    }]
    assert any(w["code"] == "payment_mismatch" for w in report.warnings)
    assert len(Store(tmp_path / "store").load().payments) == 5


def test_extra_columns_are_kept_aside_and_warned(tmp_path: Path) -> None:
    text = fixture_text("担当者.csv").splitlines()
    text = [text[0] + ",内線"] + [line + f",{100 + i}" for i, line in enumerate(text[1:])]
    report = import_ledger(make_ledger(tmp_path, {"担当者.csv": "\n".join(text) + "\n"}), tmp_path / "store")
    assert [w["columns"] for w in report.warnings if w["code"] == "extra_columns"] == [["内線"]]
    ledger = Store(tmp_path / "store").load()
    assert "内線" not in ledger.staff.columns
    extra = pq.read_table(snapshots_dir(tmp_path / "store") / report.snapshot_id / "extra_staff.parquet").to_pandas()
    assert extra["内線"].tolist() == ["100", "101", "102"] and extra["line"].tolist() == [2, 3, 4]


def test_totals_reconcile_with_an_independent_sum(tmp_path: Path) -> None:
    replace = add_rows("調定.csv", "000103,2024,2,2024-07-31,\"1,234円\",0,,,", "000103,2024,3,bad,4321,0,,,",
                       "009999,2024,1,2024-07-01,1000,0,,,")
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    c = report.files["調定.csv"]
    assert c["rows_read"] == 10 and c["rows_quarantined"] == 2
    assert c["yen_read"] == 95000 + 1234 + 4321 + 1000
    assert c["yen_quarantined"] == 4321 + 1000
    assert Store(tmp_path / "store").load().charges["amount"].sum() == c["yen_accepted"]
    assert_reconciles(report)


# ---------------------------------------------------------------- snapshots: idempotence, atomicity, zip
def test_reimport_of_the_same_ledger_and_date_creates_no_duplicate(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = import_ledger(FIXTURE, store, as_of="2025-05-31")
    again = import_ledger(make_ledger(tmp_path), store, as_of="2025-05-31")  # same bytes, other folder
    assert again.snapshot_id == first.snapshot_id and again.already_imported and not first.already_imported
    assert [s["id"] for s in [x.to_dict() for x in Store(store).snapshots()]] == [first.snapshot_id]
    later = import_ledger(FIXTURE, store, as_of="2025-06-30")
    assert later.snapshot_id != first.snapshot_id
    assert len([x.to_dict() for x in Store(store).snapshots()]) == 2


def test_failure_half_way_leaves_no_partial_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kokuho_nb.store import snapshots

    store = tmp_path / "store"
    real = snapshots._write_table
    calls = {"n": 0}

    def failing(df, path):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full (injected)")
        return real(df, path)

    monkeypatch.setattr(snapshots, "_write_table", failing)
    with pytest.raises(OSError):
        import_ledger(FIXTURE, store, as_of="2025-05-31")
    assert calls["n"] >= 4  # the failure happened part-way through the tables
    assert [x.to_dict() for x in Store(store).snapshots()] == []
    assert list(snapshots_dir(store).iterdir()) == []  # no snapshot folder, no temp folder left
    monkeypatch.setattr(snapshots, "_write_table", real)
    report = import_ledger(FIXTURE, store, as_of="2025-05-31")
    assert not report.already_imported and len([x.to_dict() for x in Store(store).snapshots()]) == 1


class _CP932Info(zipfile.ZipInfo):
    """A member name as Japanese Windows writes it: CP932 bytes without the UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's private hook)
        return self.filename.encode("cp932"), self.flag_bits


def _zip(folder: Path, target: Path, top: str | None, cp932_names: bool = False) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.glob("*.csv")):
            arc = f"{top}/{p.name}" if top else p.name
            info = _CP932Info(arc) if cp932_names else zipfile.ZipInfo(arc)
            zf.writestr(info, p.read_bytes())
    return target


@pytest.mark.parametrize("top,cp932_names", [(None, False), ("台帳_20250531", False), ("export", True)])
def test_zip_input_with_or_without_top_folder(tmp_path: Path, top: str | None, cp932_names: bool) -> None:
    zpath = _zip(FIXTURE, tmp_path / "ledger.zip", top, cp932_names)
    report = import_ledger(zpath, tmp_path / "store", as_of="2025-05-31")
    assert report.quarantine == [] and report.files["世帯.csv"]["rows_accepted"] == 5
    ref = import_ledger(FIXTURE, tmp_path / "ref", as_of="2025-05-31")
    assert report.snapshot_id == ref.snapshot_id  # same content, same id, whatever the container


def test_zip_with_two_ledgers_is_refused_not_guessed(tmp_path: Path) -> None:
    target = tmp_path / "two.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for top in ("2025-04", "2025-05"):
            for p in sorted(FIXTURE.glob("*.csv")):
                zf.writestr(f"{top}/{p.name}", p.read_bytes())
    with pytest.raises(UserError) as exc:
        import_ledger(target, tmp_path / "store")
    assert "2025-04" in exc.value.message and "2025-05" in exc.value.message
    assert not (tmp_path / "store").exists()


def test_zip_missing_required_file_is_refused(tmp_path: Path) -> None:
    folder = make_ledger(tmp_path, {"調定.csv": None})
    with pytest.raises(UserError) as exc:
        import_ledger(_zip(folder, tmp_path / "l.zip", "top"), tmp_path / "store")
    assert "調定.csv" in exc.value.message
    assert not (tmp_path / "store").exists()


def test_as_of_explicit_and_invalid(tmp_path: Path) -> None:
    report = import_ledger(FIXTURE, tmp_path / "store", as_of="R7.5.31")
    assert report.as_of == dt.date(2025, 5, 31)
    with pytest.raises(UserError) as exc:
        import_ledger(FIXTURE, tmp_path / "store", as_of="someday")
    assert "基準日" in exc.value.message


def test_dates_after_as_of_are_kept_and_warned(tmp_path: Path) -> None:
    report = import_ledger(FIXTURE, tmp_path / "store", as_of="2024-12-31")
    codes = {(w["code"], w["file"]) for w in report.warnings}
    assert ("dates_after_as_of", "収納.csv") in codes and ("dates_after_as_of", "折衝記録.csv") in codes
    assert len(Store(tmp_path / "store").load().payments) == 5


def test_copying_fixture_helper_is_faithful(tmp_path: Path) -> None:
    copy = make_ledger(tmp_path)
    for p in FIXTURE.glob("*.csv"):
        assert (copy / p.name).read_bytes() == p.read_bytes()
    shutil.rmtree(copy)


def test_cp932_after_a_long_ascii_start_is_still_read_as_cp932(tmp_path: Path) -> None:
    rows = "".join(f"K002,course-{i:06d},2025-04-10\n" for i in range(40_000))  # > 1 MB of ASCII first
    text = "担当者コード,研修名,受講日\n" + rows + "K002,滞納処分の停止,2025-05-20\n"
    ledger_dir = make_ledger(tmp_path, {"研修記録.csv": text}, encoding="cp932")
    report = import_ledger(ledger_dir, tmp_path / "store")
    assert report.files["研修記録.csv"]["rows_accepted"] == 40_001
    assert Store(tmp_path / "store").load().trainings["course"].iloc[-1] == "滞納処分の停止"


def test_utf8_file_with_a_stray_byte_late_is_refused(tmp_path: Path) -> None:
    rows = "".join(f"K002,研修-{i:06d},2025-04-10\n" for i in range(40_000))  # UTF-8 kanji, > 1 MB
    raw = ("担当者コード,研修名,受講日\n" + rows).encode("utf-8") + b"K002,\x81 ,2025-05-20\n"
    ledger_dir = make_ledger(tmp_path)
    (ledger_dir / "研修記録.csv").write_bytes(raw)
    _refused(tmp_path, ledger_dir, "研修記録.csv", "文字コード")


def test_payment_sums_match_whatever_the_row_order(tmp_path: Path) -> None:
    def shuffled(file: str) -> str:
        lines = fixture_text(file).splitlines()
        return "\n".join([lines[0], *reversed(lines[1:])]) + "\n"

    replace = {"調定.csv": shuffled("調定.csv"), "収納.csv": shuffled("収納.csv"), "世帯.csv": shuffled("世帯.csv")}
    report = import_ledger(make_ledger(tmp_path, replace), tmp_path / "store")
    assert report.quarantine == [] and report.payment_mismatches == []
    assert [o["line"] for o in report.overpayments] == [5]  # 000102 第2期: the middle row stays on line 5


def test_positions_lookup() -> None:
    import numpy as np

    from kokuho_nb.ledger.validate import positions

    keys = np.array([30, 10, 20], dtype=np.int64)
    assert positions(keys, np.array([10, 20, 30, 40, 5], dtype=np.int64)).tolist() == [1, 2, 0, -1, -1]
    assert positions(np.array([], dtype=np.int64), np.array([1], dtype=np.int64)).tolist() == [-1]


def test_headers_with_spaces_or_full_width_letters_are_recognised(tmp_path: Path) -> None:
    staff = fixture_text("担当者.csv").replace("担当者コード,", " 担当者コード ,")
    contacts = fixture_text("折衝記録.csv").replace("手段", "手段　")  # trailing full-width space
    report = import_ledger(make_ledger(tmp_path, {"折衝記録.csv": contacts, "担当者.csv": staff}), tmp_path / "store")
    assert report.quarantine == [] and report.files["折衝記録.csv"]["rows_accepted"] == 2
    assert report.files["担当者.csv"]["rows_accepted"] == 3


def test_duplicate_header_is_refused(tmp_path: Path) -> None:
    text = fixture_text("研修記録.csv").replace("研修名,受講日", "研修名,研修名")
    _refused(tmp_path, make_ledger(tmp_path, {"研修記録.csv": text}), "研修記録.csv", "研修名", "複数")


def test_tab_separated_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    text = fixture_text("世帯.csv").replace(",", "\t")
    _refused(tmp_path, make_ledger(tmp_path, {"世帯.csv": text}), "世帯.csv", "世帯番号", "区切り文字")
