"""The persistent case-view cache (the store's derived cache, kokuho_nb.store.derived, via
kokuho_nb.cases.load_case_view)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kokuho_nb import cases
from kokuho_nb import params as parameters
from kokuho_nb.cases import (
    BASE_COLUMNS,
    EXTRA_COLUMNS,
    VIEW_PARAMETERS,
    cached_case_view,
    case_view,
    load_case_view,
)
from kokuho_nb.frames import household_codes, index_of, int_index_of
from kokuho_nb.params import REPO_ROOT
from kokuho_nb.store import Store

AS_OF = date(2026, 11, 26)


CACHE_DIR = Path("cache") / "case_view"


@pytest.fixture
def store(small_store: Store, tmp_path: Path) -> Store:
    """A private copy of the shared small store (the cache writes into the store)."""
    copy = tmp_path / "store"
    shutil.copytree(small_store, copy, ignore=shutil.ignore_patterns("cache"))
    return Store(copy)


@pytest.fixture(scope="module")
def fresh(small_store: Store) -> pd.DataFrame:
    return case_view(Store(small_store).load(), AS_OF)


def _files(store: Store) -> list[Path]:
    return sorted((store.path / CACHE_DIR).glob("*.parquet"))


def test_cold_then_warm_hit_equals_a_fresh_computation(store: Store, fresh: pd.DataFrame,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_case_view(Store(store), AS_OF)
    pd.testing.assert_frame_equal(cold, fresh)
    [file] = _files(store)
    assert file.name.startswith(f"{store.load().snapshot_id}_{AS_OF.isoformat()}_")

    store.derived.forget()  # from the file, without computing
    monkeypatch.setattr(cases, "case_view", lambda *a, **k: pytest.fail("recomputed despite the cache"))
    warm = load_case_view(Store(store), AS_OF)
    pd.testing.assert_frame_equal(warm, fresh)
    base = load_case_view(Store(store), AS_OF, with_law=False)  # served from the full view
    pd.testing.assert_frame_equal(base, fresh[BASE_COLUMNS + EXTRA_COLUMNS])
    warm["total_arrears"] = -1  # callers get a copy: the memoised frame is not changed
    pd.testing.assert_frame_equal(load_case_view(Store(store), AS_OF), fresh)


def test_without_law_alone_and_other_dates_are_separate_entries(store: Store, small_store: Store) -> None:
    later = date(2026, 12, 15)
    base = load_case_view(Store(store), later, with_law=False)
    expected = case_view(Store(small_store).load(), later, with_law=False)
    pd.testing.assert_frame_equal(base, expected)
    assert [f.name.endswith("_base.parquet") for f in _files(store)] == [True]
    store.derived.forget()
    pd.testing.assert_frame_equal(load_case_view(Store(store), later, with_law=False), expected)


def test_cached_case_view_of_a_loaded_ledger_shares_the_entry(store: Store, fresh: pd.DataFrame) -> None:
    ledger = store.load()
    pd.testing.assert_frame_equal(cached_case_view(ledger, AS_OF, store=Store(store)), fresh)
    store.derived.forget()
    pd.testing.assert_frame_equal(load_case_view(Store(store), AS_OF), fresh)
    assert len(_files(store)) == 1


def test_a_parameter_change_recomputes(store: Store, tmp_path: Path, fresh: pd.DataFrame,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    load_case_view(Store(store), AS_OF)
    params = tmp_path / "parameters"
    shutil.copytree(REPO_ROOT / "parameters", params)
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(params))
    original = parameters.Tree(REPO_ROOT / "parameters", parameters._stamp(REPO_ROOT / "parameters"))
    assert parameters.refresh().digest_of(VIEW_PARAMETERS) == original.digest_of(VIEW_PARAMETERS), "a copy: same rules"
    path = params / "case_view.yaml"
    text = path.read_text(encoding="utf-8")
    assert "amount_band_threshold" in text
    path.write_text(text + "\n# edited: a rule change\n", encoding="utf-8")
    assert parameters.refresh().digest_of(VIEW_PARAMETERS) != original.digest_of(VIEW_PARAMETERS)
    again = load_case_view(Store(store), AS_OF)
    assert len(_files(store)) == 2, "a new entry under the new digest"
    pd.testing.assert_frame_equal(again, fresh)


def test_a_change_of_the_code_it_runs_recomputes(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    load_case_view(Store(store), AS_OF)
    calls: list[bool] = []
    real = cases.case_view

    def counting(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(True)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cases, "case_view", counting)
    load_case_view(Store(store), AS_OF)
    assert calls == []
    # the key digests the source of the modules the view runs: another module's source is another key
    monkeypatch.setattr(cases, "VIEW_CODE", (*cases.VIEW_CODE, "kokuho_nb.format"))
    load_case_view(Store(store), AS_OF)
    assert calls == [True]


def test_an_unreadable_cache_file_is_recomputed(store: Store, fresh: pd.DataFrame) -> None:
    load_case_view(Store(store), AS_OF)
    [file] = _files(store)
    file.write_bytes(b"not parquet")
    store.derived.forget()
    pd.testing.assert_frame_equal(load_case_view(Store(store), AS_OF), fresh)
    pd.read_parquet(file)  # rewritten whole


_WRITER = """
import sys
from datetime import date
from kokuho_nb.store import Store
from kokuho_nb.cases import load_case_view, view_path
for _ in range(3):
    store = Store(sys.argv[1])
    view_path(store, sys.argv[2], date(2026, 11, 26)).unlink(missing_ok=True)
    view = load_case_view(Store(store), date(2026, 11, 26))
    assert len(view) > 0
print("ok")
"""


def test_two_processes_writing_at_once_leave_a_whole_file(store: Store, fresh: pd.DataFrame) -> None:
    sid = store.load().snapshot_id
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(store.path), str(sid)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    [file] = _files(store)
    assert not list((store.path / CACHE_DIR).glob(".tmp-*")), "no temporary files left"
    pd.testing.assert_frame_equal(pd.read_parquet(file), fresh)
    store.derived.forget()
    pd.testing.assert_frame_equal(load_case_view(Store(store), AS_OF), fresh)


def test_index_of_matches_pandas_for_strings_unknowns_and_other_dtypes() -> None:
    import numpy as np

    index = pd.Index(np.array(["b", "a", "c"], dtype=object))
    values = np.array(["a", "x", "c", None, "b"], dtype=object)
    assert index_of(index, values).tolist() == [1, -1, 2, -1, 0]
    assert index_of(pd.Index([3, 1]), np.array([1, 2, 3])).tolist() == [1, -1, 0]
    mixed = np.array(["a", 1], dtype=object)  # not all strings: pandas' comparison
    assert index_of(index, mixed).tolist() == [1, -1]


def test_household_codes_follow_the_table_objects() -> None:
    households = pd.DataFrame({"household_id": pd.Series(["h1", "h2", "h3"], dtype=object)})
    charges = pd.DataFrame({"household_id": pd.Series(["h3", "h1", "hx"], dtype=object)})
    first = household_codes(charges, households)
    assert first is not None and first.tolist() == [2, 0, -1]
    assert household_codes(charges, households) is first, "memoised for the same tables"
    changed = charges.assign(household_id=pd.Series(["h2", "h2", "h2"], dtype=object))
    assert household_codes(changed, households).tolist() == [1, 1, 1]
    twice = pd.DataFrame({"household_id": pd.Series(["h1", "h1"], dtype=object)})
    assert household_codes(charges, twice) is None, "duplicate households: the caller's own lookup"


def test_int_index_of_matches_pandas_and_refuses_duplicate_keys() -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    keys = rng.choice(10**7, 5000, replace=False)
    values = rng.integers(-5, 10**7, 20000)
    values[:3000] = keys[rng.integers(0, 5000, 3000)]
    assert (int_index_of(keys, values) == pd.Index(keys).get_indexer(values)).all()
    assert int_index_of(np.array([1, 1]), np.array([1])) is None
    assert int_index_of(np.array([], dtype=np.int64), np.array([3])).tolist() == [-1]


GAP_AS_OF = date(2027, 2, 15)  # with rates up to 2026 only (tests.test_law_caseview.law_parameters)


def test_past_the_last_rate_the_view_is_partial_then_complete_once_the_rate_is_added(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kokuho_nb.law import rate_gap_notice
    from tests.helpers.law_params import RATES_2027, law_parameters, set_rate

    params = law_parameters(tmp_path / "parameters")  # no 2027 rate
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(params))
    ledger = store.load()
    partial = load_case_view(Store(store), GAP_AS_OF).set_index("household_id")  # works instead of failing
    flagged = partial["entaikin_partial"]
    assert flagged.dtype == bool and flagged.any() and not flagged.all()
    assert (partial.loc[flagged, "entaikin_through"] == pd.Timestamp(2026, 12, 31)).all()
    assert (partial.loc[~flagged, "entaikin_through"] == pd.Timestamp(GAP_AS_OF)).all()
    assert partial.attrs["entaikin_notice"] == rate_gap_notice(GAP_AS_OF) and "2027年" in partial.attrs[
        "entaikin_notice"]
    at_year_end = case_view(ledger, date(2026, 12, 31)).set_index("household_id")
    assert at_year_end.attrs["entaikin_notice"] is None and not at_year_end["entaikin_partial"].any()
    assert (partial.loc[flagged, "entaikin"] == at_year_end.loc[flagged[flagged].index, "entaikin"]).all()
    assert partial.loc[flagged, "entaikin"].sum() > 0
    store.derived.forget()  # from the file: the notice comes back with it
    again = load_case_view(Store(store), GAP_AS_OF)
    assert again.attrs["entaikin_notice"] == partial.attrs["entaikin_notice"]
    assert "entaikin_notice" not in load_case_view(Store(store), GAP_AS_OF, with_law=False).attrs
    assert len(_files(store)) == 1

    set_rate(params, 2027, RATES_2027)  # the ward adds the 2027 rate while this process runs (no clearing)
    complete = load_case_view(Store(store), GAP_AS_OF).set_index("household_id")
    assert len(_files(store)) == 2, "a new entry under the new digest"
    assert not complete["entaikin_partial"].any() and complete.attrs["entaikin_notice"] is None
    assert (complete["entaikin_through"] == pd.Timestamp(GAP_AS_OF)).all()
    assert (complete.loc[flagged, "entaikin"] >= partial.loc[flagged, "entaikin"]).all()
    assert (complete.loc[flagged, "entaikin"] > partial.loc[flagged, "entaikin"]).any()
    pd.testing.assert_frame_equal(complete.reset_index(), case_view(ledger, GAP_AS_OF))
