"""The synthetic ward: determinism, the contract's files, consistency between snapshots, realism of a small
ward, the messy export and its known bad rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kokuho_nb import stats
from kokuho_nb.contract import standard_files
from kokuho_nb.errors import UserError
from kokuho_nb.synth import generate, ledger_at
from kokuho_nb.synth.config import load_config
from kokuho_nb.synth.messy import KNOWN_BAD_ROWS, known_bad_rows

SEED, HOUSEHOLDS, AS_OF = 7, 3000, dt.date(2026, 11, 26)  # as tests/conftest.py's small_ledger_dir


def read(folder: Path, file: str, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(folder / file, dtype=str, keep_default_na=False, encoding=encoding)


@pytest.fixture(scope="module")
def small() -> object:
    return ledger_at(SEED, AS_OF, HOUSEHOLDS)


def test_same_seed_same_bytes(small_ledger_dir: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", seed=SEED, households=HOUSEHOLDS, as_of=AS_OF)
    files = sorted(p.name for p in small_ledger_dir.iterdir())
    assert files == sorted(p.name for p in again.iterdir())
    for name in files:
        assert (small_ledger_dir / name).read_bytes() == (again / name).read_bytes(), name


def test_other_seed_other_ward(small: object) -> None:
    other = ledger_at(SEED + 1, AS_OF, HOUSEHOLDS)
    assert not other.charges["amount"].equals(small.charges["amount"])


def test_all_eight_files_with_the_contract_headers(small_ledger_dir: Path) -> None:
    for spec in standard_files():
        header = (small_ledger_dir / spec.file).read_text(encoding="utf-8").split("\n", 1)[0]
        assert header == ",".join(spec.headers), spec.file
        assert len(read(small_ledger_dir, spec.file)) > 0, spec.file
    # the contract's words, not only the parameter file's
    assert (small_ledger_dir / "調定.csv").read_text(encoding="utf-8").startswith(
        "世帯番号,賦課年度,期別,納期限,調定額,収納額,最終収納日,督促状発送日,不納欠損額\n")


def test_payments_add_up_to_the_charges(small_ledger_dir: Path) -> None:
    ch = read(small_ledger_dir, "調定.csv")
    pay = read(small_ledger_dir, "収納.csv")
    pay["金額"] = pay["金額"].astype(np.int64)
    per = pay.groupby(["世帯番号", "賦課年度", "期別"])["金額"].sum()
    ch = ch.set_index(["世帯番号", "賦課年度", "期別"])
    paid = ch["収納額"].astype(np.int64)
    assert per.reindex(paid.index).fillna(0).astype(np.int64).equals(paid)
    assert set(per.index) <= set(paid.index)
    assert (ch["最終収納日"] != "").sum() == (paid > 0).sum()
    assert (ch.index.get_level_values(0).str.len() == 8).all()  # leading zeros kept


def test_later_snapshot_continues_the_earlier_one() -> None:
    early_day, late_day = dt.date(2025, 9, 30), dt.date(2026, 11, 26)
    early = ledger_at(11, early_day, 800)
    late = ledger_at(11, late_day, 800)
    keys = ["household_id", "fiscal_year", "instalment"]
    # charges of the fiscal years both ledgers hold in full are the same rows with the same amounts
    e = early.charges[early.charges["fiscal_year"] == 2025].set_index(keys)
    l_ = late.charges[late.charges["fiscal_year"] == 2025].set_index(keys)
    assert e.index.equals(l_.index)
    assert e["amount"].equals(l_["amount"]) and e["due_date"].equals(l_["due_date"])
    # every payment made by the early date is in the later ledger identically (same charge, day and yen)
    cols = keys + ["paid_date", "amount"]
    ep = early.payments[early.payments["fiscal_year"] >= 2025][cols]
    lp = late.payments[(late.payments["fiscal_year"] >= 2025)
                       & (late.payments["paid_date"] <= pd.Timestamp(early_day))][cols]
    assert len(ep) > 1000
    pd.testing.assert_frame_equal(ep.reset_index(drop=True), lp.reset_index(drop=True))
    # and the later ledger adds payments after the early date
    assert (late.payments["paid_date"] > pd.Timestamp(early_day)).any()
    # seizures and suspensions started by the early date are the same events
    dcols = ["household_id", "kind", "start_date", "amount"]
    kinds = ["差押", "執行停止"]
    ed = early.dispositions[early.dispositions["kind"].isin(kinds)
                            & (early.dispositions["start_date"] >= pd.Timestamp("2025-06-01"))][dcols]
    ld = late.dispositions[late.dispositions["kind"].isin(kinds)
                           & (late.dispositions["start_date"] >= pd.Timestamp("2025-06-01"))
                           & (late.dispositions["start_date"] <= pd.Timestamp(early_day))][dcols]
    pd.testing.assert_frame_equal(ed.reset_index(drop=True), ld.reset_index(drop=True))
    # households keep their identity and attributes
    hh = early.households.set_index("household_id")[["name_kana", "area", "income_class", "language"]]
    assert hh.equals(late.households.set_index("household_id").loc[hh.index, hh.columns])


def test_nothing_after_the_as_of_date() -> None:
    day = dt.date(2025, 9, 30)
    led = ledger_at(11, day, 800)
    ts = pd.Timestamp(day)
    assert (led.payments["paid_date"] <= ts).all()
    assert (led.charges["last_paid_date"].dropna() <= ts).all()
    assert (led.charges["demand_sent_date"].dropna() <= ts).all()
    assert (led.contacts["date"] <= ts).all() and (led.inquiries["inquiry_date"] <= ts).all()
    assert (led.inquiries["answer_date"].dropna() <= ts).all()
    assert (led.dispositions["start_date"] <= ts).all()
    assert led.charges["fiscal_year"].max() == 2025
    # before the June assessment the new year's charges do not exist yet
    june = ledger_at(11, dt.date(2025, 6, 5), 800)
    assert june.charges["fiscal_year"].max() == 2024
    # a pledge still being paid is 継続, one fully paid 完了
    assert {"継続", "完了"} <= set(led.dispositions["state"])


def test_due_dates_follow_the_calendar(small: object) -> None:
    from kokuho_nb.law.calendar import is_business_day, shift_due_date

    ch = small.charges[small.charges["fiscal_year"] == 2025]
    dues = sorted(set(ch["due_date"].dt.date))
    assert len(dues) == 10
    for d in dues:
        assert is_business_day(d)
        month_end = (pd.Timestamp(d.year, d.month, 1) - pd.Timedelta(days=1)).date() if d.day < 10 else \
            (pd.Timestamp(d.year, d.month, 1) + pd.offsets.MonthEnd(0)).date()
        assert shift_due_date(month_end) == d
    # FY2025 instalment 1 is due 2025-06-30 (Monday), instalment 8 (January) 2026-02-02 (Jan 31 is a Saturday)
    firsts = ch.drop_duplicates("instalment").set_index("instalment")["due_date"]
    assert firsts[1] == pd.Timestamp("2025-06-30") and firsts[8] == pd.Timestamp("2026-02-02")


def test_small_ward_has_every_situation(small: object) -> None:
    led = small
    hh = led.households
    assert len(hh) == HOUSEHOLDS
    foreign = hh[hh["nationality"] == "外国"]
    assert 0.07 < len(foreign) / len(hh) < 0.13
    assert foreign["language"].nunique() >= 6 and "日本語" not in set(foreign["language"])
    assert hh["direct_debit"].mean() < 0.40
    assert hh["employee_pension"].any() and hh["whereabouts_unknown"].any() and (hh["status"] == "喪失").any()
    disp = led.dispositions
    assert {"差押", "執行停止", "分納誓約", "不納欠損"} <= set(disp["kind"])
    assert (disp.loc[disp["kind"] == "分納誓約", "state"] == "不履行").any()
    assert disp.loc[disp["kind"] == "執行停止", "suspension_ground"].notna().all()
    arrears = stats.arrears_by_household(led, AS_OF, 2026)
    assert (arrears >= 500_000).sum() >= 3 and (arrears < 500_000).sum() > 200
    # limitation approaching: unpaid instalments whose 督促状 was sent 21–24 months ago
    ch = led.charges
    unpaid = ch["amount"] - ch["paid"] - ch["written_off"] > 0
    sent = ch["demand_sent_date"]
    soon = unpaid & (sent <= pd.Timestamp(AS_OF) - pd.DateOffset(months=21)) & (
        sent > pd.Timestamp(AS_OF) - pd.DateOffset(months=24))
    assert soon.sum() > 5
    # contacts of every kind, property inquiries, foreign households in arrears
    assert set(led.contacts["method"]) >= {"文書", "電話", "SMS", "訪問", "臨場催告", "窓口"}
    assert {"納付約束", "分納誓約", "居所不明"} <= set(led.contacts["result"])
    assert set(led.inquiries["mode"]) == {"電子", "紙"}
    assert foreign["household_id"].isin(arrears.index).sum() > 10


def test_staff_and_training(small: object) -> None:
    staff = small.staff
    roles = staff["role"].value_counts()
    assert roles["徴収吏員"] == 30 and roles["係長"] == 4
    assert roles["債権管理専門員"] == 1 and roles["特別整理専門員"] == 2
    officers = staff[staff["role"] == "徴収吏員"]
    areas = [a for x in officers["areas"] for a in x.split(";")]
    assert len(areas) == len(set(areas)) == load_config().population["areas"]  # every area has one owner
    assert staff["team"].nunique() >= 4
    new = officers[officers["category"].isin(["新任", "転入"])]
    assert len(new) > 0
    courses = set(load_config().staff["courses"])
    tr = small.trainings
    assert set(tr["course"]) <= courses
    assert set(new["officer_code"]) <= set(tr["officer_code"])
    # contacts name officers
    assert small.contacts["officer_code"].str.startswith("S").all()


def test_exported_ledger_gives_exact_statistics_for_its_years() -> None:
    """The export keeps only recent years and the still-open older charges; the statistics of the years it
    covers must equal those computed on the whole history."""
    day = dt.date(2026, 7, 31)
    part = ledger_at(13, day, 700)
    whole = ledger_at(13, day, 700, retain="all")
    assert len(part.charges) < len(whole.charges)
    for fy in (2025, 2026):
        assert stats.collection_stats(part, fy) == stats.collection_stats(whole, fy)


def test_messy_export_and_its_known_bad_rows(tmp_path: Path) -> None:
    from kokuho_nb.ledger.importer import import_ledger

    out = generate(tmp_path / "messy", seed=5, households=400, as_of=dt.date(2026, 3, 31), messy=True)
    manifest = known_bad_rows(out)
    assert [(m["file"], m["kind"]) for m in manifest] == [(f, k) for f, _c, k, _d in KNOWN_BAD_ROWS]
    text = (out / "調定.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")
    decoded = text.decode("cp932")
    assert "令和" in decoded and "R7." in decoded and "円" in decoded and "１" in decoded and "\r\n" in decoded
    assert any(0xFF61 <= ord(c) <= 0xFF9F for c in (out / "世帯.csv").read_bytes().decode("cp932"))
    store = tmp_path / "store"
    store.mkdir()
    report = import_ledger(out, store, as_of=dt.date(2026, 3, 31)).to_dict()
    got = sorted((q["file"], q["line"]) for q in report["quarantine"])
    assert got == sorted((m["file"], m["line"]) for m in manifest)
    # the good rows all came through
    clean = ledger_at(5, dt.date(2026, 3, 31), 400)
    assert report["files"]["調定.csv"]["rows_accepted"] == len(clean.charges)
    assert report["files"]["収納.csv"]["yen_accepted"] == int(clean.payments["amount"].sum())


def test_bad_arguments_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        generate(tmp_path / "x", as_of=dt.date(2018, 1, 1), households=200)
    with pytest.raises(UserError):
        generate(tmp_path / "x", as_of=dt.date(2025, 1, 1), households=10)


def test_messy_is_deterministic_too_and_cli_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kokuho_nb.cli import main

    a = generate(tmp_path / "a", seed=9, households=300, as_of=dt.date(2025, 5, 31), messy=True)
    assert main(["synth", str(tmp_path / "b"), "--seed", "9", "--households", "300", "--as-of", "2025-05-31",
                 "--messy", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "模擬データ" in out and "不正行 10 件" in out
    for p in sorted(a.iterdir()):
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes(), p.name
