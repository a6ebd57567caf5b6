"""Cell normalisers: round trips (property-based), Japanese reasons, and the fast column path = scalar path."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokuho_nb.contract import file_spec
from kokuho_nb.era import to_wareki, to_wareki_short
from kokuho_nb.ledger.normalize import (
    NormalizeError,
    norm_bool,
    norm_code,
    norm_date,
    norm_int,
    norm_kana,
    norm_list,
    norm_year,
    norm_yen,
    normalize_column,
    scalar_normalizer,
)
from kokuho_nb.store.tables import column_dtype

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def fullwidth(s: str) -> str:
    return s.translate(FULLWIDTH)


def era_long(d: dt.date) -> str:
    return to_wareki(d)  # 令和元年5月1日 style, year 1 as 元


DATE_STYLES = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
    to_wareki_short,  # R6.4.1, H30.4.1
    era_long,  # 令和6年4月1日, 令和元年5月1日
    lambda d: fullwidth(d.isoformat()),
    lambda d: fullwidth(to_wareki_short(d)),
    lambda d: f" {d.year}/{d.month:02d}/{d.day:02d} ",
]

dates = st.dates(min_value=dt.date(1989, 1, 8), max_value=dt.date(2099, 12, 31))


@given(dates, st.sampled_from(range(len(DATE_STYLES))))
def test_any_date_in_any_accepted_style_parses_back(day: dt.date, style: int) -> None:
    assert norm_date(DATE_STYLES[style](day)) == day


YEN_STYLES = [
    str,
    lambda n: f"{n:,}",
    lambda n: f"{n}円",
    lambda n: f"{n:,}円",
    lambda n: f"￥{n:,}",
    lambda n: f"¥{n}",
    lambda n: fullwidth(f"{n:,}"),
    lambda n: fullwidth(f"{n:,}") + "円",
    lambda n: f"  {n:,} 円 ",
    lambda n: f"{n}.0",
]


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from(range(len(YEN_STYLES))))
def test_any_amount_in_any_accepted_style_parses_back(n: int, style: int) -> None:
    assert norm_yen(YEN_STYLES[style](n)) == n


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(["▲", "△", "-"]))
def test_negative_marks_parse_as_negative(n: int, mark: str) -> None:
    assert norm_yen(f"{mark}{n:,}") == -n


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**6),
       st.sampled_from(list("abcxyzあ#?%")))
def test_amount_with_stray_characters_is_refused_in_japanese(a: int, b: int, junk: str) -> None:
    with pytest.raises(NormalizeError) as exc:
        norm_yen(f"{a}{junk}{b}")
    assert JAPANESE.search(exc.value.reason)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz!?#%&", min_size=1, max_size=12))
def test_junk_dates_are_refused_in_japanese(junk: str) -> None:
    with pytest.raises(NormalizeError) as exc:
        norm_date(junk)
    assert JAPANESE.search(exc.value.reason)


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_int_round_trip_plain_and_fullwidth(n: int) -> None:
    assert norm_int(str(n)) == n
    assert norm_int(fullwidth(str(n))) == n


@given(st.integers(min_value=1989, max_value=2099))
def test_fiscal_year_round_trip_western_and_era(year: int) -> None:
    assert norm_year(str(year)) == year
    assert norm_year(f"{year}年度") == year
    if year >= 2019:
        n = year - 2018
        assert norm_year(f"R{n}") == year
        assert norm_year(f"令和{'元' if n == 1 else n}年度") == year
    else:
        assert norm_year(f"H{year - 1988}") == year


def test_spreadsheet_midnight_is_ignored_but_other_times_are_not() -> None:
    assert norm_date("2024/4/1 0:00:00") == dt.date(2024, 4, 1)
    assert norm_date("2024-04-01T00:00:00") == dt.date(2024, 4, 1)
    assert norm_date("R6.4.1 00:00") == dt.date(2024, 4, 1)
    with pytest.raises(NormalizeError):
        norm_date("2024/4/1 13:45")


def test_era_first_year_and_era_bounds() -> None:
    assert norm_date("令和元年5月1日") == dt.date(2019, 5, 1)
    assert norm_date("平成31年4月30日") == dt.date(2019, 4, 30)
    assert norm_year("令和元年度") == 2019
    for bad in ("令和元年4月30日", "平成31年5月1日", "2024-02-30", "R6.13.1"):
        with pytest.raises(NormalizeError) as exc:
            norm_date(bad)
        assert JAPANESE.search(exc.value.reason)


def test_vendor_date_formats_first_then_standard() -> None:
    assert norm_date("20240401", ["%Y%m%d"]) == dt.date(2024, 4, 1)
    assert norm_date("5060401", ["era_code7"]) == dt.date(2024, 4, 1)  # 令和6年4月1日
    assert norm_date("4300401", ["era_code7"]) == dt.date(2018, 4, 1)  # 平成30年4月1日
    assert norm_date("R6.4.1", ["era_code7"]) == dt.date(2024, 4, 1)  # standard forms still work
    with pytest.raises(NormalizeError) as exc:
        norm_date("99/99", ["%Y%m%d"])
    assert "%Y%m%d" in exc.value.reason


def test_katakana_half_width_and_hiragana_stored_full_width() -> None:
    assert norm_kana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ\u3000タロウ"
    assert norm_kana("やまだ　はなこ") == "ヤマダ\u3000ハナコ"
    assert norm_kana("ｸﾞｴﾝ ｳﾞｧﾝ") == "グエン\u3000ヴァン"
    with pytest.raises(NormalizeError) as exc:
        norm_kana("山田 太郎")
    assert "山" in exc.value.reason


def test_codes_bools_lists() -> None:
    assert norm_code("軽減７割", ["軽減7割", "軽減なし"]) == "軽減7割"
    assert norm_code("ＳＭＳ", ["SMS"]) == "SMS"
    with pytest.raises(NormalizeError) as exc:
        norm_code("軽減9割", ["軽減7割"])
    assert "軽減7割" in exc.value.reason
    assert norm_bool("有") is True and norm_bool("無") is False and norm_bool(" ") is None
    with pytest.raises(NormalizeError):
        norm_bool("はい")
    assert norm_list("A01；A02、 A03") == "A01;A02;A03"


def test_instalment_aliases_and_suffix() -> None:
    col = file_spec("調定.csv").column("期別")
    fn = scalar_normalizer(col)
    assert fn("随時") == 0 and fn("３期") == 3 and fn("10") == 10
    with pytest.raises(NormalizeError) as exc:
        fn("11")
    assert "10以下" in exc.value.reason


def test_leading_zeros_kept_in_text_keys() -> None:
    col = file_spec("世帯.csv").column("世帯番号")
    res = normalize_column(pa.array(["000123", "００１２３", " 0001 "]), col)
    assert list(res.values) == ["000123", "00123", "0001"]


# The fast (vectorised) column path must agree with the scalar normaliser on every value.
cell_text = st.one_of(
    st.integers(min_value=-10**6, max_value=10**12).map(str),
    st.integers(min_value=0, max_value=10**9).map(lambda n: f"{n:,}円"),
    dates.map(lambda d: d.isoformat()),
    dates.map(to_wareki_short),
    st.sampled_from(["", " ", "2024-02-30", "2023-02-29", "随時", "3期", "abc", "R6", "令和元年度", "0012",
                     "▲100", "1.5", "0x10", "+5", "有", "無", "軽減7割", "ﾀﾅｶ", "１２３"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(cell_text, min_size=1, max_size=30),
       st.sampled_from([("調定.csv", "調定額"), ("収納.csv", "金額"), ("調定.csv", "納期限"), ("調定.csv", "期別"),
                        ("調定.csv", "賦課年度"), ("世帯.csv", "世帯番号"), ("世帯.csv", "所得区分"),
                        ("世帯.csv", "電話番号有無"), ("世帯.csv", "氏名カナ"), ("調定.csv", "不納欠損額")]))
def test_column_path_agrees_with_scalar_path(cells: list[str], where: tuple[str, str]) -> None:
    col = file_spec(where[0]).column(where[1])
    fn = scalar_normalizer(col)
    res = normalize_column(pa.array(cells, type=pa.string()), col, dtype=column_dtype(col))
    for i, cell in enumerate(cells):
        try:
            expected = fn(cell)
            failed = expected is None and col.required and not col.allow_empty
        except NormalizeError as exc:
            assert res.error[i], (cell, where)
            assert res.reason_of(i) == exc.reason
            continue
        assert bool(res.error[i]) == failed, (cell, where)
        if failed:
            continue
        got = res.values.iloc[i]
        if expected is None:
            if col.fill is not None:
                assert got == col.fill
            else:
                assert pd.isna(got)
        elif isinstance(expected, dt.date):
            assert got == pd.Timestamp(expected)
        else:
            assert got == expected, (cell, where)


@pytest.mark.parametrize("cells", [["1", "0x10"], ["12", "+5"], ["3", ""], ["007", "10"], ["1", "11"]])
def test_whole_column_integer_path_is_no_more_lenient(cells: list[str]) -> None:
    col = file_spec("調定.csv").column("期別")
    fn = scalar_normalizer(col)
    res = normalize_column(pa.array(cells), col, dtype=column_dtype(col))
    for i, cell in enumerate(cells):
        try:
            v = fn(cell)
            assert not res.error[i] if v is not None else res.error[i]
            if v is not None:
                assert res.values.iloc[i] == v
        except NormalizeError:
            assert res.error[i], cell


def test_column_path_dtypes_and_row_mapping_on_many_rows() -> None:
    col = file_spec("調定.csv").column("調定額")
    cells = np.array(["1,000", "2000", "x", "-5"] * 2500, dtype=object)
    res = normalize_column(pa.array(cells), col, dtype=column_dtype(col))
    assert res.values.dtype == "int64"
    assert res.values.iloc[:4].tolist() == [1000, 2000, 0, 0]
    assert res.error.sum() == 5000
    assert res.unparsed.sum() == 2500  # "x" is not a number; "-5" is (counted at face value)
    assert res.yen_value[:4].tolist() == [1000, 2000, 0, -5]
