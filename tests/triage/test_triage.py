"""Triage rules, one situation per test, on hand-built case views (parameters/triage.yaml)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kokuho_nb.labels import t
from kokuho_nb.triage import rule_reference, rules, triage_frame
from tests.helpers.triage_cases import AS_OF, case, cases, contacts, dispositions, inquiries, payments


def _one(row: dict, **history) -> pd.Series:
    table = triage_frame(cases(row), history.pop("as_of", AS_OF), **history)
    return table.iloc[0]


def _reasons(row: pd.Series) -> list[str]:
    return row["reasons"].split(";") if row["reasons"] else []


def test_every_rule_has_a_plan_reference_label_and_action_text():
    for rule in rules():
        assert rule.reference.strip()
        assert t(f"targets.reasons.{rule.code}")
        assert t(f"targets.actions.{rule.action}")
        assert t(f"targets.actors.{rule.actor}")
    assert "基本方針2(1)ア" in rule_reference("FOCUS_EARLY_CONTACT")


def test_focus_group_gets_early_contact_by_officer():
    r = _one(case("H1"))
    assert r["primary_reason"] == "FOCUS_EARLY_CONTACT"
    assert r["queue"] == "officer" and r["next_action"] == "EARLY_CONTACT"


def test_focus_case_reached_recently_is_not_early_contact():
    r = _one(case("H1"), contacts=contacts(("H1", "2026-08-20", "電話", "接触")))
    assert "FOCUS_EARLY_CONTACT" not in _reasons(r)


def test_large_amount_goes_to_specialists():
    r = _one(case("H1", total_arrears=500_000, carried_unpaid=500_000))
    assert r["primary_reason"] == "SPECIALIST_LARGE" and r["queue"] == "specialist"
    r = _one(case("H1", total_arrears=499_999, carried_unpaid=499_999))
    assert "SPECIALIST_LARGE" not in _reasons(r)


def test_legally_complex_small_case_goes_to_specialists():
    refusals = contacts(("H1", "2026-03-01", "電話", "拒否"), ("H1", "2026-06-01", "訪問", "拒否"))
    r = _one(case("H1"), contacts=refusals)
    assert r["primary_reason"] == "SPECIALIST_COMPLEX" and r["queue"] == "specialist"


def test_low_income_no_assets_no_payment_is_suspension_candidate_with_ground():
    inq = inquiries(("H1", "2026-07-01", "電子", "2026-07-04", "無", 0))
    r = _one(case("H1", low_income=True), inquiries=inq)
    assert r["primary_reason"] == "SUSPENSION_CANDIDATE" and r["next_action"] == "SUSPEND"
    assert r["suspension_ground"] == 1
    # whereabouts unknown as well -> ground 3
    r = _one(case("H1", low_income=True, whereabouts_unknown=True), inquiries=inq)
    assert r["suspension_ground"] == 3
    # a recent payment means some ability: not a candidate
    r = _one(case("H1", low_income=True), inquiries=inq, payments=payments(("H1", "2026-08-01", 5000)))
    assert "SUSPENSION_CANDIDATE" not in _reasons(r)
    # no inquiry yet: not a candidate (property unknown)
    r = _one(case("H1", low_income=True))
    assert "SUSPENSION_CANDIDATE" not in _reasons(r)


def test_hardship_ground_2_when_small_assets_and_lowest_income():
    inq = inquiries(("H1", "2026-07-01", "電子", "2026-07-04", "有", 30_000))
    r = _one(case("H1", low_income=True, income_class="軽減7割"), inquiries=inq)
    assert "SUSPENSION_CANDIDATE" in _reasons(r) and r["suspension_ground"] == 2
    assert "SEIZURE_CANDIDATE" not in _reasons(r)


def test_income_without_recent_inquiry_gets_property_inquiry_mode_per_parameters():
    r = _one(case("H1"))
    assert "PROPERTY_INQUIRY" in _reasons(r) and r["inquiry_mode"] == "電子"
    # an electronic inquiry that got no answer -> paper next time (once the fresh period ran out)
    inq = inquiries(("H1", "2025-12-01", "電子", None, "未回答", None))
    r = _one(case("H1"), inquiries=inq)
    assert r["inquiry_mode"] == "紙"
    # before the electronic start date: paper
    r = _one(case("H1"), as_of=dt.date(2026, 5, 15))
    assert r["inquiry_mode"] == "紙"
    # a recent inquiry: no new one
    r = _one(case("H1"), inquiries=inquiries(("H1", "2026-08-01", "電子", "2026-08-04", "無", 0)))
    assert "PROPERTY_INQUIRY" not in _reasons(r)


def test_assets_found_and_seizure_possible_is_seizure_candidate():
    inq = inquiries(("H1", "2026-07-01", "電子", "2026-07-04", "有", 300_000))
    r = _one(case("H1"), inquiries=inq)
    assert r["primary_reason"] == "SEIZURE_CANDIDATE" and r["next_action"] == "SEIZE"
    # not yet legally possible (demand notice period): no
    r = _one(case("H1", seizure_possible=False), inquiries=inq)
    assert "SEIZURE_CANDIDATE" not in _reasons(r)
    # a pledge being kept: no
    pledge = dispositions(("H1", "分納誓約", "2026-06-01", "継続"))
    r = _one(case("H1"), inquiries=inq, dispositions=pledge, payments=payments(("H1", "2026-08-25", 10_000)))
    assert "SEIZURE_CANDIDATE" not in _reasons(r) and r["monitoring"]


def test_no_answer_escalates_sms_then_centre_visit_then_field_visit():
    letters = [("H1", "2026-06-10", "文書", "その他"), ("H1", "2026-07-10", "文書", "その他")]
    r = _one(case("H1", has_phone=True), contacts=contacts(*letters))
    assert r["no_answer"] and "NO_ANSWER_SMS" in _reasons(r)
    assert "FOCUS_EARLY_CONTACT" not in _reasons(r)  # never a third identical letter
    # SMS tried -> centre visit
    r = _one(case("H1", has_phone=True), contacts=contacts(*letters, ("H1", "2026-08-01", "SMS", "不通")))
    assert "NO_ANSWER_CENTRE_VISIT" in _reasons(r) and "NO_ANSWER_SMS" not in _reasons(r)
    # no phone: straight to the centre visit
    r = _one(case("H1", has_phone=False), contacts=contacts(*letters))
    assert "NO_ANSWER_CENTRE_VISIT" in _reasons(r)
    # SMS and the centre visit tried -> officer field visit
    tried = contacts(*letters, ("H1", "2026-08-01", "SMS", "不通"), ("H1", "2026-08-10", "訪問", "不在"))
    r = _one(case("H1", has_phone=True), contacts=tried)
    assert r["primary_reason"] == "NO_ANSWER_FIELD_VISIT" and r["next_action"] == "FIELD_VISIT"
    assert r["queue"] == "officer"
    # one letter only: not yet
    r = _one(case("H1", has_phone=True), contacts=contacts(letters[0]))
    assert not r["no_answer"]
    # a payment after the letters resets the count
    r = _one(case("H1", has_phone=True), contacts=contacts(*letters), payments=payments(("H1", "2026-07-20", 1000)))
    assert not r["no_answer"]


def test_phone_not_answered_once_escalates():
    r = _one(case("H1", has_phone=True), contacts=contacts(("H1", "2026-08-15", "電話", "不通")))
    assert r["no_answer"] and "NO_ANSWER_SMS" in _reasons(r)


def test_broken_pledge_and_broken_promise_need_recontact():
    r = _one(case("H1"), dispositions=dispositions(("H1", "分納誓約", "2026-01-10", "不履行")))
    assert r["primary_reason"] == "BROKEN_PLEDGE" and r["next_action"] == "RECONTACT"
    promise = contacts(("H1", "2026-07-10", "電話", "納付約束", 20_000, "2026-07-31"))
    r = _one(case("H1"), contacts=promise)
    assert "BROKEN_PLEDGE" in _reasons(r)
    # kept promise -> monitoring, nothing to list
    r = _one(case("H1"), contacts=promise, payments=payments(("H1", "2026-07-28", 20_000)))
    assert r["monitoring"] and r["queue"] == "" and "MONITORING" in _reasons(r)
    # promise not yet due -> monitoring
    r = _one(case("H1"), contacts=contacts(("H1", "2026-08-25", "電話", "納付約束", 20_000, "2026-09-10")))
    assert r["monitoring"] and r["queue"] == ""


def test_limitation_approaching_is_urgent():
    r = _one(case("H1", nearest_limitation=pd.Timestamp("2026-10-15")))
    assert r["primary_reason"] == "LIMITATION_URGENT" and r["prio_urgency"] > 0
    r = _one(case("H1", nearest_limitation=pd.Timestamp("2027-08-15")))
    assert "LIMITATION_URGENT" not in _reasons(r)


def test_employee_pension_while_insured_gets_coverage_end():
    r = _one(case("H1", employee_pension=True))
    assert "COVERAGE_END" in _reasons(r)
    r = _one(case("H1", employee_pension=True, insured=False))
    assert "COVERAGE_END" not in _reasons(r)


def test_no_direct_debit_and_foreign_are_annotations_with_leaflet_and_immigration_flag():
    r = _one(case("H1", direct_debit=False, foreign=True, language="ベトナム語"))
    assert {"DIRECT_DEBIT", "FOREIGN_SUPPORT"} <= set(_reasons(r))
    assert r["leaflet_language"] == "ベトナム語" and r["immigration_link"] == "協力要請制度"
    r = _one(case("H1", foreign=True, language="スワヒリ語"), as_of=dt.date(2027, 7, 1))
    assert r["leaflet_language"] == "英語" and r["immigration_link"] == "公共サービスメッシュ"
    # annotations alone never queue a case
    r = _one(case("H1", direct_debit=False, foreign=True, focus=False, low_income=True))
    assert "DIRECT_DEBIT" in _reasons(r)


def test_centre_phone_for_low_income_with_phone():
    r = _one(case("H1", low_income=True, has_phone=True))
    assert r["primary_reason"] == "CENTRE_PHONE" and r["queue"] == "centre" and r["next_action"] == "PHONE"


def test_nothing_owed_means_no_reason():
    r = _one(case("H1", total_arrears=0, carried_unpaid=0, direct_debit=False, employee_pension=True))
    assert r["reasons"] == "" and r["queue"] == "" and r["priority"] == 0


def test_meeting_decision_overrides_routing():
    assigned = pd.DataFrame([
        {"household_id": "H1", "list_action": "assign", "assign_role": "特別整理専門員", "owner_code": None,
         "decision_type": "特別整理専門員へ移管"},
        {"household_id": "H2", "list_action": "執行停止", "assign_role": None, "owner_code": None,
         "decision_type": "執行停止を承認"},
        {"household_id": "H3", "list_action": "assign", "assign_role": "徴収吏員", "owner_code": "K09",
         "decision_type": "担当者を変更"},
        {"household_id": "H4", "list_action": "monitor", "assign_role": None, "owner_code": None,
         "decision_type": "分納を継続監視"},
    ])
    table = triage_frame(cases(case("H1"), case("H2"), case("H3"), case("H4")), AS_OF, assigned=assigned)
    by = table.set_index("household_id")
    assert by.loc["H1", "queue"] == "specialist" and by.loc["H1", "primary_reason"] == "MEETING_ASSIGNED"
    assert by.loc["H2", "primary_reason"] == "MEETING_ASSIGNED" and by.loc["H2", "next_action"] == "SUSPEND"
    assert by.loc["H3", "list_owner"] == "K09" and by.loc["H3", "queue"] == "officer"
    assert by.loc["H4", "queue"] == "" and by.loc["H4", "monitoring"]


def test_priority_is_the_sum_of_its_parts_and_orders_ability_first():
    table = triage_frame(cases(case("H1"), case("H2", low_income=True, has_phone=True)), AS_OF)
    parts = table[[c for c in table.columns if c.startswith("prio_")]].sum(axis=1)
    assert np.allclose(parts, table["priority"], atol=0.11)
    assert table.loc[0, "priority"] > table.loc[1, "priority"]


@pytest.mark.parametrize("n", [2000])
def test_vectorised_on_many_households(n):
    rows = [case(f"H{i:05d}", total_arrears=1000 * (i % 900) + 1000, low_income=bool(i % 3), has_phone=bool(i % 2))
            for i in range(n)]
    hist = contacts(*[(f"H{i:05d}", "2026-08-01", "電話", "不通") for i in range(0, n, 7)])
    table = triage_frame(cases(*rows), AS_OF, contacts=hist)
    assert len(table) == n
    listed = table[table["queue"] != ""]
    assert (listed["reasons"] != "").all() and (listed["primary_reason"] != "").all()
