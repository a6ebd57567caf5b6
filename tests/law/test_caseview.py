"""The vectorised case-view law columns agree with the scalar rules, instalment by instalment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.law import deadlines, rate_gap_notice
from kokuho_nb.law.caseview import household_suspensions, instalment_payments, law_columns, law_instalments
from kokuho_nb.law.entaikin import compute, rate_for, rate_gap
from kokuho_nb.law.limitation import expires_within, limitation_date
from kokuho_nb.store import Store
from tests.helpers.law_params import RATES_2027, law_parameters, set_rate
from tests.helpers.law_sample import random_ledger

AS_OF = dt.date(2026, 11, 26)


def _d(x: pd.Timestamp) -> dt.date:
    return pd.Timestamp(x).date()


def _scalar(ledger, as_of: dt.date) -> pd.DataFrame:
    susp = household_suspensions(ledger, as_of)
    pays = instalment_payments(ledger, as_of)
    disp = ledger.dispositions
    cont = ledger.contacts
    t = pd.Timestamp(as_of)
    pay_by = {k: [(_d(r.paid_date), int(r.amount)) for r in g.itertuples()]
              for k, g in pays.groupby(["household_id", "fiscal_year", "instalment"])}
    susp_by = {h: [(_d(a), _d(b)) for a, b in zip(g.start, g.end, strict=True)]
               for h, g in susp.groupby("household_id")}
    ren_by: dict[str, list] = {}
    for r in disp[(disp.start_date <= t) & (disp.state != "取消")].itertuples():
        kind = {"差押": "seizure", "分納誓約": "pledge"}.get(r.kind)
        if kind:
            ren_by.setdefault(r.household_id, []).append((_d(r.start_date), kind))
    for r in cont[(cont.result == "分納誓約") & (cont.date <= t)].itertuples():
        ren_by.setdefault(r.household_id, []).append((_d(r.date), "pledge"))
    rows = []
    for ch in ledger.charges.itertuples(index=False):
        if ch.due_date > t:
            continue
        hid = ch.household_id
        plist = pay_by.get((hid, ch.fiscal_year, ch.instalment), [])
        slist = susp_by.get(hid, [])
        amount = int(ch.amount - ch.written_off)
        ent = compute(amount, _d(ch.due_date), as_of, payments=plist, fiscal_year=int(ch.fiscal_year),
                      suspensions=slist).total
        unpaid = amount - sum(a for _, a in plist)
        renewals = list(ren_by.get(hid, []))
        if pd.notna(ch.demand_sent_date) and ch.demand_sent_date <= t:
            renewals.append((_d(ch.demand_sent_date), "demand"))
        lim = limitation_date(_d(ch.due_date), renewals)
        fs = deadlines.first_seizure(_d(ch.demand_sent_date)).date if pd.notna(ch.demand_sent_date) else None
        rows.append(dict(household_id=hid, fiscal_year=int(ch.fiscal_year), instalment=int(ch.instalment), ent=ent,
                         unpaid=unpaid, lim=lim, fs=fs))
    df = pd.DataFrame(rows)
    return df


@pytest.mark.parametrize("seed", [3, 11])
def test_vectorised_columns_match_scalar_rules(seed: int) -> None:
    ledger = random_ledger(80, seed=seed, as_of=AS_OF)
    got = law_columns(ledger, AS_OF)
    ref = _scalar(ledger, AS_OF)
    susp = household_suspensions(ledger, AS_OF)
    active = set(susp.loc[susp.active, "household_id"])
    assert got["entaikin"].sum() > 0, "the sample must exercise 延滞金"
    for hid, g in ref.groupby("household_id"):
        row = got.loc[hid]
        assert row["entaikin"] == g["ent"].sum(), hid
        u = g[g.unpaid > 0]
        alive = u[u.lim >= AS_OF]
        expect_near = alive.lim.min() if len(alive) else None
        near = row["nearest_limitation"]
        assert (pd.isna(near) and expect_near is None) or _d(near) == expect_near, hid
        assert row["n_expiring"] == sum(expires_within(x, AS_OF) for x in u.lim), hid
        assert row["n_expired"] == int((u.lim < AS_OF).sum()), hid
        fs = [x for x in alive.fs if x is not None]
        assert (pd.isna(row["first_seizure_date"]) and not fs) or _d(row["first_seizure_date"]) == min(fs)
        possible = any(x <= AS_OF for x in fs) and hid not in active
        assert bool(row["seizure_possible"]) == possible, hid


def test_columns_and_index() -> None:
    ledger = random_ledger(20, seed=5, as_of=AS_OF)
    got = law_columns(ledger, AS_OF)
    assert got.index.name == "household_id"
    assert set(ledger.households.household_id) <= set(got.index)
    for col in ["entaikin", "nearest_limitation", "n_expiring", "seizure_possible", "first_seizure_date"]:
        assert col in got.columns
    assert got["entaikin"].dtype == "int64"
    assert got["seizure_possible"].dtype == bool


def test_fy2025_only_ledger_has_no_entaikin() -> None:
    ledger = random_ledger(40, seed=2, as_of=AS_OF, fiscal_years=(2024, 2025))
    got = law_columns(ledger, AS_OF)
    assert (got["entaikin"] == 0).all()
    assert got["n_expired"].sum() + got["n_expiring"].sum() > 0


GAP_AS_OF = dt.date(2027, 2, 15)
THROUGH = dt.date(2026, 12, 31)
@pytest.fixture
def gap_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Parameters with rates up to 2026 and none for 2027 (the state from 2027-01-01 until the ward adds it)."""
    folder = law_parameters(tmp_path / "gap_parameters")
    monkeypatch.setenv("KOKUHO_PARAMETERS", str(folder))
    return folder


def _would_refuse(ledger, as_of: dt.date) -> set[tuple[str, int, int]]:
    """Instalments whose explicit calculation up to ``as_of`` refuses (a day in a year without a rate)."""
    susp = household_suspensions(ledger, as_of)
    pays = instalment_payments(ledger, as_of)
    pay_by = {k: [(_d(r.paid_date), int(r.amount)) for r in g.itertuples()]
              for k, g in pays.groupby(["household_id", "fiscal_year", "instalment"])}
    susp_by = {h: [(_d(a), _d(b)) for a, b in zip(g.start, g.end, strict=True)]
               for h, g in susp.groupby("household_id")}
    refused = set()
    for ch in ledger.charges.itertuples(index=False):
        if ch.due_date > pd.Timestamp(as_of):
            continue
        key = (ch.household_id, int(ch.fiscal_year), int(ch.instalment))
        try:
            compute(int(ch.amount - ch.written_off), _d(ch.due_date), as_of, payments=pay_by.get(key, []),
                    fiscal_year=int(ch.fiscal_year), suspensions=susp_by.get(ch.household_id, []))
        except UserError as exc:
            assert "2027年" in exc.message
            refused.add(key)
    return refused


def test_missing_rate_year_degrades_to_the_last_day_with_a_rate(gap_parameters: Path) -> None:
    """From 2027-01-01 until the ward adds the 2027 rate, the view accrues 延滞金 up to 2026-12-31 and says so."""
    ledger = random_ledger(40, seed=4, as_of=GAP_AS_OF)
    assert (ledger.payments["paid_date"] > pd.Timestamp(THROUGH)).any(), "payments after the last rated day"
    inst = law_instalments(ledger, GAP_AS_OF).set_index(["household_id", "fiscal_year", "instalment"])
    # the instalments flagged are exactly those an explicit calculation refuses, naming 2027
    refused = _would_refuse(ledger, GAP_AS_OF)
    assert refused and set(inst.index[inst["entaikin_partial"]]) == refused
    assert (inst.loc[inst["entaikin_partial"], "entaikin_through"] == pd.Timestamp(THROUGH)).all()
    assert (inst.loc[~inst["entaikin_partial"], "entaikin_through"] == pd.Timestamp(GAP_AS_OF)).all()
    # every amount is the one accrued as of 2026-12-31 with the payments made by then
    ref = _scalar(ledger, THROUGH).set_index(["household_id", "fiscal_year", "instalment"])["ent"]
    expected = ref.reindex(inst.index, fill_value=0)
    assert (inst["entaikin"] == expected).all()
    assert inst.loc[inst["entaikin_partial"], "entaikin"].sum() > 0

    got = law_columns(ledger, GAP_AS_OF)
    per_household = expected.groupby(level="household_id").sum()
    assert (got["entaikin"] == per_household.reindex(got.index, fill_value=0)).all()
    flagged = {h for h, _, _ in refused}
    assert set(got.index[got["entaikin_partial"]]) == flagged
    assert got["entaikin_partial"].dtype == bool and got["entaikin_through"].dtype == "datetime64[ns]"
    assert (got.loc[list(flagged), "entaikin_through"] == pd.Timestamp(THROUGH)).all()
    assert (got.loc[~got["entaikin_partial"], "entaikin_through"] == pd.Timestamp(GAP_AS_OF)).all()
    assert got.attrs["entaikin_through"] == "2026-12-31"
    assert got.attrs["entaikin_notice"] == rate_gap_notice(GAP_AS_OF)
    assert "2027年" in got.attrs["entaikin_notice"] and "2026年12月31日" in got.attrs["entaikin_notice"]


def test_with_the_2027_rate_added_the_view_is_complete(gap_parameters: Path) -> None:
    ledger = random_ledger(40, seed=4, as_of=GAP_AS_OF)
    partial = law_columns(ledger, GAP_AS_OF)
    assert partial["entaikin_partial"].any()
    set_rate(gap_parameters, 2027, RATES_2027)  # edited in place, as the ward does: no cache clearing by hand
    assert rate_gap_notice(GAP_AS_OF) is None
    got = law_columns(ledger, GAP_AS_OF)
    assert not got["entaikin_partial"].any()
    assert (got["entaikin_through"] == pd.Timestamp(GAP_AS_OF)).all()
    assert got.attrs == {"entaikin_through": GAP_AS_OF.isoformat(), "entaikin_notice": None}
    ref = _scalar(ledger, GAP_AS_OF)  # the explicit calculation now succeeds for every instalment
    for hid, g in ref.groupby("household_id"):
        assert got.loc[hid, "entaikin"] == g["ent"].sum(), hid
    assert (got["entaikin"] >= partial["entaikin"]).all()
    assert (got["entaikin"] > partial["entaikin"]).sum() > 0
    # the next year is the gap now
    assert "2028年" in (rate_gap_notice(dt.date(2028, 1, 1)) or "")


def test_explicit_calculation_still_refuses_naming_the_year(gap_parameters: Path) -> None:
    with pytest.raises(UserError, match="2027年の延滞金の割合"):
        compute(100_000, dt.date(2026, 11, 30), dt.date(2027, 1, 15))
    with pytest.raises(UserError, match="2027年"):
        rate_for(2027, "lower")
    # paid in full before the gap: no 2027 day is charged, so nothing to refuse
    assert compute(100_000, dt.date(2026, 10, 31), dt.date(2027, 1, 15),
                   payments=[(dt.date(2026, 12, 20), 100_000)]).total == compute(
        100_000, dt.date(2026, 10, 31), dt.date(2026, 12, 20)).total


def test_rate_gap_notice_by_date(gap_parameters: Path) -> None:
    assert rate_gap_notice(dt.date(2026, 12, 31)) is None
    assert rate_gap_notice(dt.date(2026, 4, 1)) is None
    jan = rate_gap_notice(dt.date(2027, 1, 1))
    assert jan == t("law.rate_gap.notice", year=2027, through="2026年12月31日")
    assert rate_gap_notice(pd.Timestamp("2027-06-30")) == jan
    gap = rate_gap(dt.date(2027, 3, 1))
    assert gap is not None and (gap.year, gap.through) == (2027, THROUGH)


def test_per_instalment_state_matches_scalar_rules() -> None:
    ledger = random_ledger(60, seed=8, as_of=AS_OF)
    got = law_instalments(ledger, AS_OF).set_index(["household_id", "fiscal_year", "instalment"])
    ref = _scalar(ledger, AS_OF)
    assert len(got) == len(ref)
    n_lim = 0
    for r in ref.itertuples():
        row = got.loc[(r.household_id, r.fiscal_year, r.instalment)]
        assert row["entaikin"] == r.ent
        assert row["unpaid"] == max(r.unpaid, 0)
        if r.unpaid > 0:
            n_lim += 1
            assert _d(row["limitation_date"]) == r.lim
            assert bool(row["expired"]) == (r.lim < AS_OF)
            if r.fs is not None and r.lim >= AS_OF:
                assert _d(row["first_seizure_date"]) == r.fs
        else:
            assert pd.isna(row["limitation_date"]) and not row["expired"] and not row["expiring"]
    assert n_lim > 0


def test_law_columns_on_the_imported_synthetic_ward(request) -> None:
    """Integration with the canonical Ledger of a real import (skipped until the synthetic ward exists)."""
    try:
                from kokuho_nb.synth import generate  # noqa: F401
    except ImportError:
        pytest.skip("kokuho_nb.synth.generate is not available yet")
    store = request.getfixturevalue("small_store")
    ledger = Store(store).load()
    as_of = ledger.as_of or AS_OF
    got = law_columns(ledger, as_of)
    assert set(ledger.households["household_id"]) <= set(got.index)
    assert (got["entaikin"] >= 0).all() and (got["entaikin"] % 100 == 0).all()
    # Scalar check on a sample of households with 延滞金 or a limitation date.
    sample = got[(got["entaikin"] > 0) | got["nearest_limitation"].notna()].index[:15]
    small = type(ledger)(**{name: df[df["household_id"].isin(sample)] if "household_id" in df.columns else df
                            for name, df in ledger.tables().items()})
    ref = _scalar(small, as_of)
    for hid, g in ref.groupby("household_id"):
        assert got.loc[hid, "entaikin"] == g["ent"].sum(), hid


def test_household_deadlines_are_sorted_and_referenced() -> None:
    from kokuho_nb.law.deadlines import household_deadlines

    ledger = random_ledger(30, seed=3, as_of=AS_OF)
    inst = law_instalments(ledger, AS_OF)
    hid = inst.loc[inst["unpaid"] > 0, "household_id"].iloc[0]
    got = household_deadlines(ledger, hid, AS_OF)
    assert got and [d.date for d in got] == sorted(d.date for d in got)
    assert all(d.label and d.reference for d in got)
    mine = inst[(inst["household_id"] == hid) & (inst["unpaid"] > 0) & (inst["due_shifted"] < pd.Timestamp(AS_OF))]
    lim_dates = {d.date for d in got if "時効完成日" in d.label}
    assert lim_dates == {x.date() for x in mine["limitation_date"]}
    for r in mine[~mine["expired"] & mine["demand_sent_date"].notna()].itertuples():
        assert deadlines.first_seizure(r.demand_sent_date.date()).date in {d.date for d in got}
