"""Section builders of the meeting pack on hand-built frames with known answers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from kokuho_nb.labels import t
from kokuho_nb.meeting import activity, analysis, difficult, key_targets, next_month, officers, plan
from kokuho_nb.meeting.casefacts import broken_pledges, last_progress, open_promises
from kokuho_nb.meeting.figures import ChargeBook, monthly_figures
from kokuho_nb.months import Month

D = pd.Timestamp


# --- months and plan path -------------------------------------------------------------------------------------



def test_plan_path_interpolation() -> None:
    # FY2025 is held at the FY2024 level (the plan's note), then 36 equal monthly steps to ¥2.95bn.
    assert plan.unpaid_path(dt.date(2025, 11, 30)) == 3_600_000_000
    assert plan.unpaid_path(dt.date(2026, 6, 30)) == pytest.approx(3_600_000_000 - 650_000_000 / 36)
    assert plan.unpaid_path(dt.date(2027, 5, 31)) == pytest.approx(3_600_000_000 - 650_000_000 / 3)
    assert plan.unpaid_path(dt.date(2029, 5, 31)) == 2_950_000_000
    assert plan.unpaid_path(dt.date(2030, 1, 31)) is None
    assert plan.rate_target(2024) == 78.38
    assert plan.rate_target(2025) == 78.38
    assert plan.rate_target(2026) == pytest.approx(78.38 + (86.50 - 78.38) / 3, abs=1e-3)
    assert plan.rate_target(2028) == 86.50


# --- month-end figures ----------------------------------------------------------------------------------------

def _charges() -> pd.DataFrame:
    # Due dates on business days, so the holiday shift changes nothing.
    return pd.DataFrame({
        "household_id": ["A", "A", "B", "C"],
        "fiscal_year": [2025, 2026, 2026, 2026],
        "instalment": [1, 1, 1, 2],
        "due_date": [D("2025-06-30"), D("2026-06-30"), D("2026-06-30"), D("2026-07-31")],
        "amount": [100_000, 50_000, 30_000, 20_000],
        "paid": [40_000, 50_000, 0, 20_000],
        "last_paid_date": [D("2026-07-10"), D("2026-08-10"), pd.NaT, D("2026-07-15")],
        "demand_sent_date": [pd.NaT] * 4,
        "written_off": [10_000, 0, 0, 0],
    })


def _payments() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["A", "A", "A", "C"],
        "fiscal_year": [2025, 2025, 2026, 2026],
        "instalment": [1, 1, 1, 2],
        "paid_date": [D("2026-05-20"), D("2026-07-10"), D("2026-08-10"), D("2026-07-15")],
        "amount": [15_000, 25_000, 50_000, 20_000],
    })


def test_month_end_figures_known_answers() -> None:
    book = ChargeBook(_charges(), _payments())
    f = monthly_figures(book, [dt.date(2026, 7, 31), dt.date(2026, 8, 31)]).set_index("month")
    jul, aug = f.loc["2026-07"], f.loc["2026-08"]
    # July 31: A's old charge owes 100k-10k-40k = 50k; A's and B's June instalments are overdue and unpaid
    # (50k + 30k); C's July instalment is due on the 31st itself, so not yet overdue (and paid anyway).
    assert jul["unpaid"] == 50_000 + 50_000 + 30_000
    assert aug["unpaid"] == 50_000 + 30_000
    # 現年分 FY2026: charged 100k; collected 20k by July, 70k by August.
    assert jul["current_charged"] == 100_000 and jul["current_collected"] == 20_000
    assert aug["current_collected"] == 70_000
    # 滞納繰越分: A's FY2025 charge owed 100k-10k-15k = 75k at 2026-05-31; 25k paid since.
    assert jul["carried_charged"] == 75_000 and jul["carried_collected"] == 25_000
    assert aug["total_rate"] == pytest.approx(round(100 * (70_000 + 25_000) / 175_000, 2))


# --- section 1 ------------------------------------------------------------------------------------------------

def test_key_targets_conclusion_compares_with_path() -> None:
    monthly = pd.DataFrame({
        "as_of": [dt.date(2026, 6, 30), dt.date(2026, 7, 31)], "month": ["2026-06", "2026-07"],
        "fiscal_year": [2026, 2026], "unpaid": [3_700_000_000, 3_650_000_000],
        "current_rate": [10.0, 20.0], "carried_rate": [5.0, 8.0], "total_rate": [9.0, 15.0],
    })
    prior = pd.DataFrame({"month": ["2025-06", "2025-07"], "total_rate": [8.0, 14.0]})
    sec = key_targets.build_key_targets(monthly, prior=prior, prior_final=78.38)
    path_jul = 3_600_000_000 - 2 * 650_000_000 / 36
    assert sec.data["gap"] == pytest.approx(3_650_000_000 - path_jul)
    # pace = last year's July 14.0 + (FY2026 target 81.0867 − last year's final 78.38)
    assert sec.data["pace"] == pytest.approx(14.0 + 81.0867 - 78.38, abs=0.01)
    assert "上回って" in sec.conclusion and "36.50億円" in sec.conclusion
    wards = sec.table("wards")
    adachi = wards[wards[t("meeting.col.ward")] == "足立区"].iloc[0]
    assert adachi[t("meeting.col.total_rate")] == 78.38 and adachi[t("meeting.col.rank")] == 19
    # Other wards' figures are not invented.
    assert (wards[t("meeting.col.status")] == "未入力").sum() == 22
    hist = sec.table("history")
    assert 75.99 in set(hist[t("meeting.col.pub_rate")])
    assert 7_440_000_000 in set(hist[t("meeting.col.pub_unpaid")])
    assert sec.charts and sec.charts[0].png.startswith(b"\x89PNG")


# --- section 2 ------------------------------------------------------------------------------------------------

def test_activity_pace_and_status() -> None:
    start, end = dt.date(2026, 4, 1), dt.date(2027, 3, 31)
    as_of = dt.date(2026, 9, 30)  # 183 of 365 days
    share = 183 / 365
    events = pd.DataFrame({
        "date": [D("2026-05-01")] * 1500 + [D("2026-08-01")] * 10 + [D("2025-12-01")] * 99,
        "target": ["centre_sms"] * 1500 + ["seizures"] * 10 + ["centre_sms"] * 99,
    })
    levels = {"direct_debit_rate": (41.0, ""), "training_rate": (75.0, ""), "field_visit_share": (12.0, "")}
    sec = activity.build_activity(events, levels, as_of=as_of, year_start=start, year_end=end)
    st = sec.data["status"]
    assert st["centre_sms"]["actual"] == 1500  # the 99 from the previous year are not counted
    assert st["centre_sms"]["pace"] == pytest.approx(3000 * share)
    assert st["centre_sms"]["behind"] is False  # 1500 ≥ 1504 × 0.95
    assert st["seizures"]["behind"] is True
    assert st["seizures"]["shortfall"] == pytest.approx(1100 * share - 10)
    assert st["direct_debit_rate"]["behind"] is False
    assert st["training_rate"]["behind"] is True
    assert st["field_visit_share"]["pace"] == pytest.approx(20 * share)
    assert st["field_visit_share"]["behind"] is False  # 12.0 ≥ 10.03 × 0.95
    assert "遅れ" in sec.conclusion
    assert len(st) == 12  # every annual target of the plan


# --- section 3 ------------------------------------------------------------------------------------------------

def _officer_frames() -> dict[str, pd.DataFrame]:
    staff = pd.DataFrame({"officer_code": ["K1", "K2", "S1"], "name": ["一", "二", "専"],
                          "role": ["徴収吏員", "徴収吏員", "特別整理専門員"]})
    caseload = pd.DataFrame({"household_id": [f"h{i}" for i in range(10)],
                             "officer_code": ["K1"] * 5 + ["K2"] * 5})
    issued = pd.DataFrame({"household_id": ["h0", "h1", "h2", "h3", "h5", "h6"],
                           "officer_code": ["K1", "K1", "K1", "K1", "K2", "K2"]})
    contacts = pd.DataFrame({
        "household_id": ["h0", "h1", "h1", "h5", "h0"],
        "date": [D("2026-11-05"), D("2026-11-06"), D("2026-11-20"), D("2026-10-01"), D("2026-06-01")],
        "officer_code": ["K1", "K1", "K1", "K2", "K1"],
        "method": ["電話", "臨場催告", "電話", "電話", "臨場催告"],
        "result": ["納付約束", "不在", "接触", "不通", "接触"],
        "promised_amount": [10_000, None, None, None, None],
        "promised_date": [D("2026-12-10"), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        "memo": [None] * 5,
    })
    payments = pd.DataFrame({"household_id": ["h1", "h2", "h6"],
                             "paid_date": [D("2026-11-15"), D("2026-10-15"), D("2026-11-02")],
                             "amount": [7_000, 9_000, 4_000]})
    dispositions = pd.DataFrame({"household_id": ["h7"], "kind": ["分納誓約"], "start_date": [D("2026-05-01")],
                                 "state": ["不履行"], "monthly_amount": [5_000]})
    return {"staff": staff, "caseload": caseload, "issued": issued, "contacts": contacts, "payments": payments,
            "dispositions": dispositions}


def test_officers_progress() -> None:
    f = _officer_frames()
    sec = officers.build_officers(
        officers.OfficerFacts(f["staff"], f["caseload"], f["issued"], f["contacts"], f["payments"], f["dispositions"]),
        officers.Period(as_of=dt.date(2026, 11, 30), month_start=dt.date(2026, 11, 1), year_start=dt.date(2026, 4, 1),
                        visit_pace_pct=13.3, visit_target_pct=20))
    tab = sec.table("officers").set_index(t("meeting.col.officer_code"))
    assert list(tab.index) == ["K1", "K2"]  # specialists are not collection officers
    k1, k2 = tab.loc["K1"], tab.loc["K2"]
    assert k1[t("meeting.col.list_size")] == 4 and k1[t("meeting.col.worked")] == 2
    assert k1[t("meeting.col.worked_share")] == 50.0
    assert k1[t("meeting.col.collected_listed")] == 7_000  # h2's payment was in October
    assert k1[t("meeting.col.field_visits")] == 2 and k1[t("meeting.col.field_visit_share")] == 40.0
    assert k1[t("meeting.col.open_promises")] == 1
    assert "納付約束1" in k1[t("meeting.col.results_mix")] and "不在1" in k1[t("meeting.col.results_mix")]
    assert k2[t("meeting.col.worked")] == 0 and k2[t("meeting.col.collected_listed")] == 4_000
    assert k2[t("meeting.col.broken")] == 1  # h7's broken pledge
    assert sec.data["flagged"] == ["K2"]  # no list case worked, no field visits
    assert k1[t("meeting.col.flag")] == ""


# --- case facts and section 4 ---------------------------------------------------------------------------------

def test_case_facts() -> None:
    f = _officer_frames()
    lp = last_progress(f["contacts"], f["payments"], f["dispositions"], dt.date(2026, 11, 30))
    assert lp["h1"] == D("2026-11-20") and lp["h2"] == D("2026-10-15")
    assert "h5" not in lp.index  # 不通 is not progress
    contacts = f["contacts"].copy()
    contacts.loc[0, "promised_date"] = D("2026-11-10")  # h0 promised for Nov 10 and never paid
    broken = broken_pledges(contacts, f["payments"], f["dispositions"], dt.date(2026, 11, 30), 93)
    assert set(broken["household_id"]) == {"h0", "h7"}
    assert open_promises(contacts, dt.date(2026, 11, 30)).empty


def _cases() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["big_old", "big_new", "small", "lim", "paid", "rev"],
        "officer_code": ["K1"] * 6, "officer_name": ["一"] * 6,
        "total_arrears": [900_000, 600_000, 10_000, 20_000, 0, 30_000],
        "carried_unpaid": [900_000, 0, 0, 20_000, 0, 30_000],
        "stage": ["滞納中～後期", "滞納初期", "滞納初期", "滞納中～後期", "完納", "滞納中～後期"],
        "income_class": ["軽減なし"] * 6,
        "nearest_limitation": [D("2028-01-01"), D("2028-06-01"), D("2028-06-01"), D("2026-12-20"), pd.NaT,
                               D("2028-06-01")],
    })


def test_difficult_cases_categories() -> None:
    as_of = dt.date(2026, 11, 30)
    lp = pd.Series({"big_old": D("2026-05-01"), "big_new": D("2026-11-01"), "small": D("2026-01-01")})
    broken = pd.DataFrame({"household_id": ["small"], "kind": ["納付約束不履行"], "date": [D("2026-11-10")],
                           "amount": [5000]})
    sel, counts = difficult.select_difficult(_cases(), lp, {"big_old", "small"}, broken, {"rev"}, as_of=as_of)
    cats = dict(zip(sel["household_id"], sel["categories"], strict=True))
    assert cats == {"big_old": ["large_stalled"], "big_new": ["large_never"], "small": ["broken"],
                    "lim": ["limitation"], "rev": ["revisit"]}
    assert counts == {"large_stalled": 1, "broken": 1, "limitation": 1, "large_never": 1, "revisit": 1}
    sec = difficult.build_difficult(sel, counts, as_of=as_of)
    tab = sec.table("cases")
    assert list(tab[t("meeting.col.case_no")]) == ["C01", "C02", "C03", "C04", "C05"]
    assert list(tab[t("meeting.col.household_id")]) == ["big_old", "small", "lim", "big_new", "rev"]
    assert (tab[t("meeting.col.decision")] == "").all()  # empty boxes for the meeting
    assert "5 件" in sec.conclusion and "1,560,000円" in sec.conclusion


def test_followup_of_last_months_decisions() -> None:
    decisions = pd.DataFrame({"item_kind": ["case", "proposal"], "item_ref": ["C01", "P01"],
                              "household_id": ["big_old", None], "decision_type": ["差押を実施", "提案どおり実施"],
                              "owner_role": ["特別整理専門員", None], "owner_code": ["S1", None], "note": [None, "x"]})
    then = _cases()
    now = then.copy()
    now.loc[now["household_id"] == "big_old", "total_arrears"] = 700_000
    payments = pd.DataFrame({"household_id": ["big_old", "big_old"], "paid_date": [D("2026-10-31"), D("2026-11-15")],
                             "amount": [1, 200_000]})
    contacts = pd.DataFrame({"household_id": ["big_old"], "date": [D("2026-11-03")]})
    disp = pd.DataFrame({"household_id": ["big_old"], "kind": ["差押"], "start_date": [D("2026-11-20")]})
    issued = pd.DataFrame({"household_id": ["big_old"]})
    out = difficult.build_followup(decisions, then, now, payments, contacts, disp, issued,
                                   since=dt.date(2026, 10, 31), as_of=dt.date(2026, 11, 30))
    row = out.iloc[0]
    assert row[t("meeting.col.arrears_then")] == 900_000 and row[t("meeting.col.arrears_now")] == 700_000
    assert row[t("meeting.col.paid_since")] == 200_000
    assert row[t("meeting.col.dispositions_since")] == "差押"
    assert row[t("meeting.col.on_list_now")] == t("meeting.listed")
    assert out.iloc[1][t("meeting.col.item")] == "P01"


# --- section 5 ------------------------------------------------------------------------------------------------

def test_next_month_schedule_and_proposals() -> None:
    start, end = dt.date(2026, 4, 1), dt.date(2027, 3, 31)
    status = {"centre_sms": {"label": "納付案内センター SMS配信", "kind": "count", "target": 3000.0, "actual": 1000.0,
                             "pace": 1600.0, "behind": True, "shortfall": 600.0, "per_month": 400.0}}
    props = next_month.derive_proposals({"status": status}, {"flagged": ["K2"]},
                                        {"counts": {"broken": 3, "limitation": 0, "large_never": 0}},
                                        {"gap": 1.0e8}, next_month=Month.parse("2026-12"), year_start=start,
                                        year_end=end)
    need = math.ceil(3000 * ((dt.date(2026, 12, 31) - start).days + 1) / 365 - 1000)
    assert props[0]["number"] == need and f"{need:,} 件" in props[0]["text"]
    assert "600 件不足" in props[0]["basis"]
    assert [p["code"] for p in props] == ["P01", "P02", "P03", "P04"]
    sec = next_month.build_next_month(Month.parse("2026-06"), props)
    items = list(sec.table("schedule")[t("meeting.col.schedule_item")])
    assert any("当初賦課" in i for i in items)  # June: initial assessment
    assert any("月例会議" in i for i in items)
    assert len(sec.table("proposals")) == 4


# --- section 6 ------------------------------------------------------------------------------------------------

def test_analysis_crosstab_and_change() -> None:
    cases = pd.DataFrame({
        "household_id": list("abcde"),
        "total_arrears": [100_000, 200_000, 600_000, 0, 50_000],
        "stage": ["滞納初期", "滞納中～後期", "滞納中～後期", "完納", "滞納中～後期"],
        "amount_band": ["50万円未満", "50万円未満", "50万円以上", "50万円未満", "50万円未満"],
        "income_class": ["軽減7割", "軽減なし", "軽減なし", "軽減なし", "軽減7割"],
        "focus": [False, True, False, False, False],
        "foreign": [True, False, False, True, False],
        "language": ["中国語", None, None, "英語", None],
    })
    prev = cases.assign(total_arrears=[100_000, 250_000, 600_000, 0, 0])
    sec = analysis.build_analysis(cases, prev, low_income=["軽減7割", "軽減5割", "軽減2割"])
    assert sec.data["delinquent"] == 4 and sec.data["amount"] == 950_000
    assert sec.data["small_cases_pct"] == pytest.approx(75.0)
    assert sec.data["foreign_pct"] == pytest.approx(25.0)
    amounts = sec.table("amounts")
    total_row = amounts[amounts[t("meeting.col.stage")] == t("meeting.col.total")].iloc[0]
    assert total_row[t("meeting.col.total")] == 950_000 and total_row["軽減7割"] == 150_000
    counts = sec.table("cases")
    row = counts[(counts[t("meeting.col.stage")] == "滞納中～後期") & (counts[t("meeting.col.amount_band")] == "50万円未満")]
    assert row.iloc[0]["軽減7割"] == 1 and row.iloc[0]["軽減なし"] == 1
    mom = sec.table("mom").set_index(t("meeting.col.stage"))
    assert mom.loc[t("meeting.col.total"), t("meeting.col.diff_cases")] == 1
    assert mom.loc[t("meeting.col.total"), t("meeting.col.diff_amount")] == 0
    langs = sec.table("languages")
    assert list(langs[t("meeting.col.language")]) == ["中国語"]
    assert "前月比 +1 件" in sec.conclusion


def test_meeting_build_rejects_a_bad_month(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kokuho_nb.cli import main

    assert main(["meeting", "build", "2026-13", "--store", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "対象月「2026-13」が正しくありません" in capsys.readouterr().err
