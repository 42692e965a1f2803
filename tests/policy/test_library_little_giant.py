"""专精特新"小巨人" (little_giant.yaml) against hand-built enterprises from 工信部企业〔2022〕63号 附件3
(policy-methods.md §2.3 [U]): each decidable group at its threshold and just below, the R&D
condition by revenue band, the requirement to be 专精特新 (certified, or by the data through
policy("specialized_sme")), and the two groups the data cannot decide (产业链配套, 主导产品领域):
unknown — never a guessed eligible — unless the enterprise is a certified little giant within
its 3-year validity (an exception)."""

from __future__ import annotations

import pytest

from tests.policy.conftest import tables_from_rows
from zhizao.policy import evaluate, load_library

Y = 2024
LIB = load_library()

# meets every decidable condition: 4 years in the niche, main share exactly 70%, growth exactly 5%
# a year, debt exactly 70%, niche share exactly 10%, brand, ISO 9001, revenue 6300万 with R&D
# exactly 6% in both years, a municipal R&D institution and 2 Class-I IP items
ENT = {"is_sme": True, "on_abnormal_list": False, "major_incident_3y": False, "niche_start_year": Y - 4,
       "certifications": "ISO9001", "own_brand": True, "niche_market_share": 0.10, "rd_institution_level": "municipal",
       "st_award_level": "none", "digital_level": 1, "quality_award_level": "none", "standards_drafted": 0,
       "certified_tier": "specialized", "certified_tier_year": Y - 1}
CUR = {"revenue": 6.3e7, "main_revenue": 4.41e7, "rd_expenditure": 3.78e6, "total_assets": 1e8,
       "total_liabilities": 7e7, "net_profit": 0.0, "ip_class1": 2, "ip_class1_high_value": 0, "ip_class2": 0,
       "new_equity_financing": 0.0, "rd_staff": 10, "employees": 100}
PREV = {"revenue": 6e7, "main_revenue": 4.2e7, "rd_expenditure": 3.6e6, "new_equity_financing": 0.0}
PREV2 = {"main_revenue": 4e7}


def run(ent=None, cur=None, prev=None, prev2=None):
    e = {"uscc": "E1", **ENT, **(ent or {})}
    rows = [{"uscc": "E1", "year": Y, **CUR, **(cur or {})}, {"uscc": "E1", "year": Y - 1, **PREV, **(prev or {})},
            {"uscc": "E1", "year": Y - 2, **PREV2, **(prev2 or {})}]
    t = evaluate(tables_from_rows([e], rows), LIB.get("little_giant", year=Y), year=Y, library=LIB)
    return t.to_pyarrow().to_pylist()[0]


DECIDABLE = ("sme", "not_abnormal", "no_incident", "specialized", "niche_3y", "main_share_70", "growth_5",
             "certification", "debt_70", "market_share_10", "brand", "rd_by_revenue_band", "rd_institution",
             "ip_class1_2", "innovation_general")


def test_meeting_every_decidable_condition_is_unknown_pending_the_review_groups():
    r = run()
    assert all(r[f"rule_{k}"] is True for k in DECIDABLE), {k: r[f"rule_{k}"] for k in DECIDABLE}
    assert r["exc_specialized"] == "certified_specialized"
    assert r["rule_chain_role"] is None and r["rule_product_field"] is None
    assert r["verdict"] == "unknown" and r["route"] is None
    # `missing` says why: the two review groups, by their not_decidable ids (undecided("…"))
    assert r["missing"].split(";") == ["not_decidable:chain_role", "not_decidable:main_product_field"]


def test_certified_little_giant_within_validity_is_eligible():
    r = run(ent={"certified_tier": "little_giant", "certified_tier_year": Y - 2})
    assert r["rule_chain_role"] is True and r["exc_chain_role"] == "certified_little_giant"
    assert r["rule_product_field"] is True
    assert r["verdict"] == "eligible" and r["route"] == "general"


def test_certification_older_than_three_years_no_longer_counts():
    # neither for the review groups nor for being 专精特新: the data alone decide (and fail) that
    r = run(ent={"certified_tier": "little_giant", "certified_tier_year": Y - 3})
    assert r["rule_chain_role"] is None and r["exc_chain_role"] is None
    assert r["rule_specialized"] is False and r["exc_specialized"] is None and r["verdict"] == "not_eligible"


def test_specialized_by_the_data_when_not_certified():
    # not certified, but 6000万 new equity qualifies it directly as 专精特新 (policy specialized_sme)
    r = run(ent={"certified_tier": "none", "certified_tier_year": None}, cur={"new_equity_financing": 6e7})
    assert r["rule_specialized"] is True and r["exc_specialized"] is None and r["verdict"] == "unknown"


def test_not_specialized_by_the_data_and_not_certified_is_not_eligible():
    # specialized_sme: 34 decidable points + at most 22 unknown < 60, no direct clause → not eligible
    r = run(ent={"certified_tier": "none", "certified_tier_year": None})
    assert r["rule_specialized"] is False and r["verdict"] == "not_eligible"


@pytest.mark.parametrize(("ent", "cur", "rule"), [
    ({"niche_start_year": Y - 2}, {}, "niche_3y"),
    ({}, {"revenue": 6.3009e7}, "main_share_70"),                 # 69.99%
    ({}, {"main_revenue": 4.4099e7}, "growth_5"),                  # average growth just below 5%
    ({"certifications": ""}, {}, "certification"),
    ({"certifications": "none"}, {}, "certification"),              # 无: known, no certificate
    ({}, {"total_liabilities": 7.001e7}, "debt_70"),
    ({"niche_market_share": 0.0999}, {}, "market_share_10"),
    ({"own_brand": False}, {}, "brand"),
    ({"rd_institution_level": "none"}, {}, "rd_institution"),
    ({}, {"ip_class1": 1}, "ip_class1_2"),
    ({"is_sme": False}, {}, "sme"),
])
def test_each_decidable_condition_just_below_its_threshold_fails(ent, cur, rule):
    r = run(ent=ent, cur=cur)
    assert r[f"rule_{rule}"] is False and r["verdict"] == "not_eligible"


@pytest.mark.parametrize(("cur", "prev", "ok"), [
    ({"revenue": 1e8, "rd_expenditure": 3e6}, {"revenue": 1e8, "rd_expenditure": 3e6}, True),     # ≥ 1亿: 3% both years
    ({"revenue": 1e8, "rd_expenditure": 2.99e6}, {"revenue": 1e8, "rd_expenditure": 3e6}, False),
    ({"revenue": 1e8, "rd_expenditure": 3e6}, {"revenue": 1e8, "rd_expenditure": 2.99e6}, False),  # each year
    ({}, {}, True),                                                                                  # 6300万: 6% both
    ({}, {"rd_expenditure": 3.59e6}, False),
    ({"revenue": 9.99e7, "rd_expenditure": 5.994e6}, {"revenue": 9.99e7, "rd_expenditure": 5.994e6}, True),
    ({"revenue": 9.99e7, "rd_expenditure": 5.9e6}, {"revenue": 9.99e7, "rd_expenditure": 5.994e6}, False),
    # < 5000万: equity ≥ 8000万 and R&D ≥ 3000万 over 2 years and R&D staff ≥ 50%
    ({"revenue": 4e7, "rd_expenditure": 2e7, "new_equity_financing": 8e7, "rd_staff": 50},
     {"rd_expenditure": 1e7}, True),
    ({"revenue": 4e7, "rd_expenditure": 2e7, "new_equity_financing": 8e7, "rd_staff": 49},
     {"rd_expenditure": 1e7}, False),
    ({"revenue": 4e7, "rd_expenditure": 2e7, "new_equity_financing": 7.9e7, "rd_staff": 50},
     {"rd_expenditure": 1e7}, False),
    ({"revenue": 4e7, "rd_expenditure": 2e7, "new_equity_financing": 8e7, "rd_staff": 50},
     {"rd_expenditure": 9.99e6}, False),
])
def test_rd_condition_by_revenue_band(cur, prev, ok):
    assert run(cur=cur, prev=prev)["rule_rd_by_revenue_band"] is ok


def test_national_award_direct_route_is_unknown_because_the_rank_is_not_stored():
    r = run(ent={"st_award_level": "national", "certified_tier": "little_giant", "certified_tier_year": Y},
            cur={"ip_class1": 1})
    assert r["rule_innovation_general"] is False and r["rule_innovation_direct"] is None
    assert r["verdict"] == "unknown" and r["missing"] == "not_decidable:award_rank_top3"


def test_missing_input_is_unknown_and_named():
    r = run(ent={"niche_market_share": None, "certified_tier": "little_giant", "certified_tier_year": Y})
    assert r["rule_market_share_10"] is None and r["verdict"] == "unknown"
    assert "niche_market_share" in r["missing"].split(";")


def test_not_decidable_conditions_are_listed():
    ids = {n.id for n in LIB["little_giant"].not_decidable}
    assert {"chain_role", "main_product_field", "governance_credit", "info_systems", "award_rank_top3",
            "maker_china_top50"} <= ids


def test_every_item_carries_a_tagged_source():
    p = LIB["little_giant"]
    for it in [*p.rules, *p.variables.values(), *p.not_decidable, *(x for r in p.rules for x in r.exceptions)]:
        assert any(tag in it.source for tag in ("[C]", "[C-3p]", "[U]")), it
