"""专精特新中小企业 (specialized_sme.yaml) against hand-built enterprises from 工信部企业〔2022〕63号
附件2 (policy-methods.md §2.2): the mandatory conditions at each threshold and just below, each
direct-qualification clause on its own, the points bands, the score route with its undecidable
points (field 0–5, 特色化 0–15, self-developed IP 0–2), and missing inputs."""

from __future__ import annotations

import pytest

from tests.policy.conftest import tables_from_rows
from zhizao.policy import evaluate, load_library

Y = 2024
LIB = load_library()

FLOOR = {"is_sme": True, "on_abnormal_list": False, "major_incident_3y": False, "niche_start_year": Y - 2}
# enterprise attributes that score nothing
LOW_ENT = {"st_award_level": "none", "digital_level": 1, "quality_award_level": "none", "certifications": "",
           "own_brand": False, "standards_drafted": 0, "rd_institution_level": "none"}
# a firm that meets the floor and scores 7 decidable points (growth 0 → 2, niche 2 years → 1,
# R&D 5% → 4): even the 22 unknown points cannot lift it to 60
LOW_CUR = {"revenue": 2e7, "rd_expenditure": 1e6, "main_revenue": 1e7, "net_profit": 0.0, "total_assets": 1e8,
           "total_liabilities": 9e7, "ip_class1_high_value": 0, "ip_class1": 0, "ip_class2": 0, "rd_staff": 0,
           "employees": 100, "new_equity_financing": 0.0}
LOW_PREV = {"revenue": 2e7, "rd_expenditure": 1e6, "main_revenue": 1e7, "new_equity_financing": 0.0}


def run(enterprises, indicators, year=Y):
    t = evaluate(tables_from_rows(enterprises, indicators), LIB.get("specialized_sme", year=year), year=year,
                 library=LIB)
    return {r["uscc"]: r for r in t.to_pyarrow().to_pylist()}


def firm(ent=None, cur=None, prev=None, prev2=None, uscc="E1"):
    e = {"uscc": uscc, **FLOOR, **LOW_ENT, **(ent or {})}
    rows = [{"uscc": uscc, "year": Y, **LOW_CUR, **(cur or {})},
            {"uscc": uscc, "year": Y - 1, **LOW_PREV, **(prev or {})},
            {"uscc": uscc, "year": Y - 2, **LOW_PREV, **(prev2 or {})}]
    return run([e], rows)[uscc]


EQUITY_DIRECT = {"new_equity_financing": 6e7}   # the 6000万 direct clause, to isolate the floor


def test_low_scoring_firm_meeting_the_floor_is_not_eligible():
    r = firm()
    assert r["rule_niche_2y"] and r["rule_rd_min"] and r["rule_size"]
    assert r["points_growth_2y"] == 2 and r["points_niche"] == 1 and r["points_rd_input"] == 4
    assert r["points_field"] is None and r["points_distinctive"] is None and r["score"] is None
    assert r["verdict"] == "not_eligible"


# --- mandatory conditions ---------------------------------------------------------------------

@pytest.mark.parametrize(("start", "ok"), [(Y - 2, True), (Y - 1, False)])
def test_two_years_in_the_niche(start, ok):
    r = firm(ent={"niche_start_year": start}, cur=EQUITY_DIRECT)
    assert r["var_niche_years"] == Y - start and r["rule_niche_2y"] is ok
    assert r["verdict"] == ("eligible" if ok else "not_eligible")


@pytest.mark.parametrize(("revenue", "rd", "ok"), [
    (2e7, 1e6, True),          # exactly 100万 (5%)
    (2e7, 999_999.0, False),   # just below 100万
    (5e7, 1.5e6, True),        # exactly 3%
    (5e7, 1.4995e6, False),    # just below 3% (amount above 100万)
])
def test_rd_at_least_1m_and_3_percent(revenue, rd, ok):
    r = firm(cur={"revenue": revenue, "rd_expenditure": rd, **EQUITY_DIRECT})
    assert r["rule_rd_min"] is ok and r["verdict"] == ("eligible" if ok else "not_eligible")


RD_AVG_DIRECT = {"rd_expenditure": 1e6}, {"rd_expenditure": 1.9e7}   # 2-year average exactly 1000万


@pytest.mark.parametrize(("revenue", "equity", "equity_prev", "ok"), [
    (1e7, 0.0, 0.0, True),                 # revenue exactly 1000万
    (9_999_999.0, 0.0, 0.0, False),        # just below, no equity
    (9_999_999.0, 1.5e7, 5e6, True),       # equity exactly 2000万 over 2 years
    (9_999_999.0, 1.5e7, 4_999_999.0, False),
])
def test_revenue_10m_or_equity_20m(revenue, equity, equity_prev, ok):
    cur, prev = RD_AVG_DIRECT
    r = firm(cur={**cur, "revenue": revenue, "new_equity_financing": equity},
             prev={**prev, "new_equity_financing": equity_prev})
    assert r["rule_rd_avg_10m"] is True
    assert r["rule_size"] is ok and r["verdict"] == ("eligible" if ok else "not_eligible")


# --- direct qualification, each clause on its own ---------------------------------------------

@pytest.mark.parametrize(("rd_prev", "ok"), [(8e6, True), (7_999_998.0, False)])
def test_average_rd_10m_over_two_years_qualifies_directly(rd_prev, ok):
    r = firm(cur={"rd_expenditure": 1.2e7}, prev={"rd_expenditure": rd_prev})
    assert r["rule_rd_avg_10m"] is ok
    assert (r["verdict"], r["route"]) == (("eligible", "direct") if ok else ("not_eligible", None))


@pytest.mark.parametrize(("prev", "ok"), [(3e7, True), (29_999_999.0, False)])
def test_equity_60m_over_two_years_qualifies_directly(prev, ok):
    r = firm(cur={"new_equity_financing": 3e7}, prev={"new_equity_financing": prev})
    assert r["rule_equity_60m"] is ok and r["verdict"] == ("eligible" if ok else "not_eligible")


@pytest.mark.parametrize("level", ["national", "provincial"])
def test_award_holder_is_unknown_because_the_rank_is_not_in_the_data(level):
    r = firm(ent={"st_award_level": level})
    assert r["rule_award_top_rank"] is None and r["verdict"] == "unknown"


def test_municipal_award_is_no_direct_clause():
    r = firm(ent={"st_award_level": "municipal"})
    assert r["rule_award_top_rank"] is False and r["verdict"] == "not_eligible"


# --- the score route --------------------------------------------------------------------------

# decidable points exactly 60: specialisation 20 (share 96.8% → 5, growth 10%/yr → 10, niche 10
# years → 5), refinement 25 (digital 3 → 5, brand + standards → 5, margin 10% → 10, debt 50% → 5),
# innovation 15 (Class-I IP → 6, R&D 4% → 4, R&D staff 5% → 1, municipal institution → 4)
SIXTY_ENT = {"niche_start_year": Y - 10, "digital_level": 3, "own_brand": True, "standards_drafted": 1,
             "rd_institution_level": "municipal"}
SIXTY_CUR = {"revenue": 5e7, "rd_expenditure": 2e6, "main_revenue": 4.84e7, "net_profit": 5e6,
             "total_assets": 1e8, "total_liabilities": 5e7, "ip_class1_high_value": 0, "ip_class1": 1,
             "ip_class2": 0, "rd_staff": 5, "employees": 100}


def sixty(**cur):
    return firm(ent=SIXTY_ENT, cur={**SIXTY_CUR, **cur}, prev={"main_revenue": 4.4e7, "rd_expenditure": 2e6},
                prev2={"main_revenue": 4e7})


def test_decidable_points_exactly_60_pass_whatever_the_unknown_points():
    r = sixty()
    decidable = sum(r[f"points_{t}"] for t in ("main_share", "growth_2y", "niche", "digital", "quality",
                                               "net_margin", "debt", "ip", "rd_input", "rd_staff",
                                               "rd_institution"))
    assert decidable == 60
    assert r["score"] is None  # the field, 特色化 and self-developed-IP points are unknown
    assert r["verdict"] == "eligible" and r["route"] == "score"


def test_one_decidable_point_short_is_unknown_not_a_guessed_fail():
    r = sixty(rd_staff=4)  # 4% → 0 points: 59 decidable + up to 22 unknown
    assert r["points_rd_staff"] == 0 and r["verdict"] == "unknown"


@pytest.mark.parametrize(("main", "points"), [(4e7, 5), (3.9995e7, 3), (3.5e7, 3), (3e7, 1), (2.9995e7, 0)])
def test_main_business_share_bands(main, points):   # on revenue 5e7: 80%, 79.99%, 70%, 60%, 59.99%
    assert firm(cur={"revenue": 5e7, "main_revenue": main})["points_main_share"] == points


@pytest.mark.parametrize(("main", "points"), [  # Y−2 and Y−1 at 1e8: the average is half of this year's growth
    (1.2e8, 10), (1.1998e8, 8), (1.16e8, 8), (1.12e8, 6), (1.08e8, 4), (1e8, 2), (0.9999e8, 0)])
def test_two_year_average_growth_bands(main, points):
    r = firm(cur={"main_revenue": main}, prev={"main_revenue": 1e8}, prev2={"main_revenue": 1e8})
    assert r["points_growth_2y"] == points


@pytest.mark.parametrize(("years", "points"), [(10, 5), (9, 4), (8, 4), (4, 2), (3, 1), (2, 1)])
def test_niche_years_one_point_per_full_two_years(years, points):
    assert firm(ent={"niche_start_year": Y - years})["points_niche"] == points


@pytest.mark.parametrize(("level", "points"), [(4, 5), (3, 5), (2, 3), (1, 0)])
def test_digital_level_points(level, points):
    assert firm(ent={"digital_level": level})["points_digital"] == points


@pytest.mark.parametrize(("ent", "points"), [
    ({}, 0),
    ({"own_brand": True}, 3),
    ({"certifications": "ISO9001"}, 3),
    ({"certifications": "none"}, 0),                                 # 无: known, no certificate
    ({"certifications": None, "own_brand": False}, None),          # not reported: unknown
    ({"quality_award_level": "provincial"}, 3),
    ({"quality_award_level": "municipal"}, 0),
    ({"standards_drafted": 2, "certifications": "ISO9001;ISO14001"}, 5),
    ({"own_brand": True, "standards_drafted": 1, "certifications": "ISO9001", "quality_award_level": "national"}, 5),
    ({"own_brand": None}, None),
    # at_least decides where the unknown item cannot change the band: two known items → 5
    ({"own_brand": None, "standards_drafted": 2, "certifications": "ISO9001"}, 5),
    ({"own_brand": None, "certifications": "ISO9001"}, None),
])
def test_quality_management_three_points_per_item_at_most_five(ent, points):
    assert firm(ent=ent)["points_quality"] == points


@pytest.mark.parametrize(("profit", "points"), [(5e6, 10), (4.995e6, 8), (1e6, 2), (9.95e5, 0), (-1e6, 0)])
def test_net_margin_bands(profit, points):  # on revenue 5e7: 10%, 9.99%, 2%, 1.99%, negative
    assert firm(cur={"revenue": 5e7, "net_profit": profit})["points_net_margin"] == points


@pytest.mark.parametrize(("liabilities", "points"), [(5e7, 5), (5.001e7, 3), (7e7, 1), (7.001e7, 0)])
def test_debt_ratio_bands(liabilities, points):
    assert firm(cur={"total_assets": 1e8, "total_liabilities": liabilities})["points_debt"] == points


@pytest.mark.parametrize(("revenue", "rd", "points"), [
    (1e8, 5e6, 10),      # amount 500万
    (5e7, 5e6, 10),      # ratio 10%
    (1e8, 4e6, 8),
    (1e8, 1e6, 2),       # amount exactly 100万 (1%)
    (3.3e7, 9.9e5, 2),   # amount below 100万, ratio exactly 3%
    (1e8, 9.9e5, 0),
])
def test_rd_input_takes_the_better_of_amount_and_ratio(revenue, rd, points):
    assert firm(cur={"revenue": revenue, "rd_expenditure": rd})["points_rd_input"] == points


@pytest.mark.parametrize(("staff", "points"), [(20, 5), (19, 3), (10, 3), (5, 1), (4, 0)])
def test_rd_staff_share_bands(staff, points):
    assert firm(cur={"rd_staff": staff, "employees": 100})["points_rd_staff"] == points


@pytest.mark.parametrize(("level", "points"), [("national", 10), ("provincial", 8), ("municipal", 4),
                                               ("below_municipal", 2), ("none", 0)])
def test_rd_institution_points(level, points):
    assert firm(ent={"rd_institution_level": level})["points_rd_institution"] == points


@pytest.mark.parametrize(("ip", "points", "bonus"), [
    ({"ip_class1_high_value": 1, "ip_class1": 1}, 10, 0),
    ({"ip_class1": 1}, 6, None),   # self-developed (8) or not (6): the bonus is unknown
    ({"ip_class2": 1}, 2, 0),
    ({}, 0, 0),
])
def test_ip_points_and_the_unknown_self_developed_bonus(ip, points, bonus):
    r = firm(cur=ip)
    assert r["points_ip"] == points and r["points_ip_self_developed"] == bonus


# --- missing inputs ---------------------------------------------------------------------------

def test_missing_niche_start_is_unknown_and_named():
    r = firm(ent={"niche_start_year": None}, cur=EQUITY_DIRECT)
    assert r["rule_niche_2y"] is None and r["verdict"] == "unknown"
    assert "niche_start_year" in r["missing"].split(";")


def test_missing_rd_is_unknown_and_named():
    r = firm(cur={"rd_expenditure": None, **EQUITY_DIRECT})
    assert r["rule_rd_min"] is None and r["verdict"] == "unknown"
    assert "rd_expenditure" in r["missing"].split(";")


def test_failing_a_mandatory_condition_is_not_eligible_even_with_other_inputs_missing():
    r = firm(ent={"niche_start_year": Y - 1}, cur={"rd_expenditure": None})
    assert r["verdict"] == "not_eligible"


def test_not_decidable_conditions_are_listed_in_the_policy():
    ids = {n.id for n in LIB["specialized_sme"].not_decidable}
    assert {"award_rank", "maker_china_top500", "field_chain_role", "distinctive_local", "ip_self_developed",
            "prohibited_catalogue"} <= ids


def test_every_item_carries_a_tagged_source():
    p = LIB["specialized_sme"]
    for it in [*p.rules, *p.points, *p.variables.values(), *p.not_decidable, p.scores]:
        assert any(tag in it.source for tag in ("[C]", "[C-3p]", "[U]")), it
