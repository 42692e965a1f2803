"""创新型中小企业 (innovative_sme.yaml) against hand-built enterprises from 工信部企业〔2022〕63号
附件1 (policy-methods.md §2.1): the floor, each direct-qualification clause on its own, every
points band at its threshold and just past it (以上 includes the boundary; a value on a band edge
gets the higher band), the score route with its dimension minimums, and missing inputs."""

from __future__ import annotations

from datetime import date

import pytest

from tests.policy.conftest import tables_from_rows
from zhizao.policy import evaluate, load_library

Y = 2024
LIB = load_library()

FLOOR = {"is_sme": True, "on_abnormal_list": False, "major_incident_3y": False}
NO_DIRECT = {"st_award_level": "none", "is_high_tech": False, "rd_institution_level": "none"}


def run(enterprises, indicators, year=Y):
    t = evaluate(tables_from_rows(enterprises, indicators), LIB.get("innovative_sme", year=year), year=year,
                 library=LIB)
    return {r["uscc"]: r for r in t.to_pyarrow().to_pylist()}


def firm(uscc="E1", ent=None, cur=None, prev=None, prev2=None, *, no_equity=True):
    """One enterprise with indicator rows for Y (and Y−1, Y−2 when given)."""
    e = {"uscc": uscc, **FLOOR, **NO_DIRECT, "strategic_emerging": False, **(ent or {})}
    eq = {"new_equity_financing": 0.0} if no_equity else {}
    rows = [{"uscc": uscc, "year": Y, **eq, **(cur or {})}]
    if prev is not None:
        rows.append({"uscc": uscc, "year": Y - 1, **eq, **prev})
    if prev2 is not None:
        rows.append({"uscc": uscc, "year": Y - 2, **eq, **prev2})
    return [e], rows


def score_firm(uscc="E1", *, ip=None, rd=0.0, growth_main=(1.1e8, 1e8), debt=8e7, strategic=True,
               revenue=1.7e8, ent=None):
    """A firm for the score route: revenue, R&D, main revenue this year and last, debt ratio."""
    ip = ip or {"ip_class1_high_value": 1, "ip_class1": 1, "ip_class2": 0}
    main, main_prev = growth_main
    cur = {"revenue": revenue, "rd_expenditure": rd, "main_revenue": main,
           "total_assets": 1e8, "total_liabilities": debt, **ip}
    return firm(uscc, {"strategic_emerging": strategic, **(ent or {})}, cur,
                prev={"main_revenue": main_prev}, prev2={})


# --- the score route --------------------------------------------------------------------------

def test_score_exactly_60_with_every_dimension_at_its_minimum_is_eligible():
    # innovation 20 (high-value IP 20 + R&D 0%), growth 15 (growth exactly 10% → 15, debt 80% → 0),
    # specialisation 25 (strategic 10 + main share 1.1e8/1.7e8 = 64.7% → 15): total 60
    r = run(*score_firm())["E1"]
    assert (r["score_innovation"], r["score_growth"], r["score_specialization"], r["score"]) == (20, 15, 25, 60)
    assert r["verdict"] == "eligible" and r["route"] == "score"
    assert r["rule_direct_any"] is False


def test_score_one_point_short_is_not_eligible():
    # growth just below 10% → 10 points: growth 10 < 15 and total 55
    r = run(*score_firm(growth_main=(1.0999e8, 1e8)))["E1"]
    assert r["score"] == 55 and r["verdict"] == "not_eligible" and r["route"] is None


def test_high_total_with_growth_below_its_minimum_fails():
    # innovation 40, growth 10 (5% → 10, debt 0), specialisation 30 → total 80 but growth < 15
    r = run(*score_firm(rd=5.25e6, revenue=1.05e8, growth_main=(1.05e8, 1e8)))["E1"]
    assert (r["score_innovation"], r["score_growth"], r["score_specialization"]) == (40, 10, 30)
    assert r["score"] == 80 and r["verdict"] == "not_eligible"


def test_high_total_with_innovation_below_its_minimum_fails():
    # innovation 15 (Class-I IP 10 + R&D 1% → 5) — and the unknown self-developed bonus (≤ 5)
    # cannot lift it to 20? 15 + 5 = 20: the route is unknown, not a guessed fail
    ip = {"ip_class1_high_value": 0, "ip_class1": 1, "ip_class2": 0}
    r = run(*score_firm(ip=ip, rd=1.15e6, revenue=1.15e8, growth_main=(1.15e8, 1e8), debt=5e7))["E1"]
    assert r["points_ip"] == 10 and r["points_rd_intensity"] == 5 and r["points_ip_self_developed"] is None
    assert r["verdict"] == "unknown"
    # with Class-II IP only (5 points, no self-developed question) innovation is 10: a definite fail
    ip2 = {"ip_class1_high_value": 0, "ip_class1": 0, "ip_class2": 3}
    r = run(*score_firm(ip=ip2, rd=1.15e6, revenue=1.15e8, growth_main=(1.15e8, 1e8), debt=5e7))["E1"]
    assert r["score_innovation"] == 10 and r["score"] == 10 + 30 + 30 and r["verdict"] == "not_eligible"


def test_high_total_with_specialisation_below_its_minimum_fails():
    # specialisation 10 (not strategic 5 + main share exactly 50% → 5); innovation 40, growth 30
    r = run(*score_firm(rd=1.15e7, revenue=2.3e8, growth_main=(1.15e8, 1e8), debt=5.5e7,
                        strategic=False))["E1"]
    assert (r["score_innovation"], r["score_growth"], r["score_specialization"]) == (40, 30, 10)
    assert r["verdict"] == "not_eligible"


def test_self_developed_ip_bonus_decides_only_between_the_bounds():
    # Class-I (not high-value) IP: 10 + unknown 0–5. Innovation 10 + 10 (R&D 2%) = 20 already →
    # total 60 passes whatever the bonus: eligible although the score column is null
    ip = {"ip_class1_high_value": 0, "ip_class1": 2, "ip_class2": 0}
    r = run(*score_firm(ip=ip, rd=3.4e6))["E1"]
    assert r["points_ip"] == 10 and r["points_rd_intensity"] == 10
    assert r["score"] is None and r["verdict"] == "eligible" and r["route"] == "score"


# --- points bands at each threshold -----------------------------------------------------------

@pytest.mark.parametrize(("rd", "points"), [  # R&D on revenue 1e8: 5%, 4.99%, 3%, ...
    (5e6, 20), (4.99e6, 15), (3e6, 15), (2.99e6, 10), (2e6, 10), (1.99e6, 5), (1e6, 5), (0.99e6, 0), (0.0, 0)])
def test_rd_intensity_bands(rd, points):
    r = run(*firm(cur={"revenue": 1e8, "rd_expenditure": rd}))["E1"]
    assert r["var_rd_ratio"] == pytest.approx(rd / 1e8) and r["points_rd_intensity"] == points


@pytest.mark.parametrize(("main", "points"), [
    (1.15e8, 20), (1.1499e8, 15), (1.10e8, 15), (1.0999e8, 10), (1.05e8, 10), (1.0499e8, 5),
    (1.0e8, 5), (0.9999e8, 0)])
def test_main_revenue_growth_bands(main, points):
    r = run(*firm(cur={"main_revenue": main}, prev={"main_revenue": 1e8}))["E1"]
    assert r["points_growth"] == points


@pytest.mark.parametrize(("liabilities", "points"), [(5.5e7, 10), (5.501e7, 5), (7.5e7, 5), (7.501e7, 0)])
def test_debt_ratio_bands_lower_is_better(liabilities, points):
    r = run(*firm(cur={"total_assets": 1e8, "total_liabilities": liabilities}))["E1"]
    assert r["points_debt"] == points


@pytest.mark.parametrize(("main", "points"), [  # main revenue on revenue 1e8: 70%, 69.99%, ...
    (7e7, 20), (6.999e7, 15), (6e7, 15), (5.999e7, 10), (5.5e7, 10), (5.499e7, 5), (5e7, 5), (4.999e7, 0)])
def test_main_business_share_bands(main, points):
    r = run(*firm(cur={"revenue": 1e8, "main_revenue": main}))["E1"]
    assert r["points_main_share"] == points


@pytest.mark.parametrize(("ip", "points"), [
    ({"ip_class1_high_value": 1, "ip_class1": 1, "ip_class2": 0}, 20),
    ({"ip_class1_high_value": 0, "ip_class1": 1, "ip_class2": 5}, 10),
    ({"ip_class1_high_value": 0, "ip_class1": 0, "ip_class2": 1}, 5),
    ({"ip_class1_high_value": 0, "ip_class1": 0, "ip_class2": 0}, 0),
])
def test_ip_points(ip, points):
    assert run(*firm(cur=ip))["E1"]["points_ip"] == points


@pytest.mark.parametrize(("strategic", "points"), [(True, 10), (False, 5), (None, None)])
def test_field_points_strategic_emerging(strategic, points):
    assert run(*firm(ent={"strategic_emerging": strategic}))["E1"]["points_field"] == points


# --- direct qualification, each clause on its own ---------------------------------------------

WEAK = {"revenue": 1e8, "rd_expenditure": 0.0, "main_revenue": 3e7, "total_assets": 1e8,
        "total_liabilities": 9e7, "ip_class1_high_value": 0, "ip_class1": 0, "ip_class2": 0}


def weak_firm(ent=None, cur=None, prev=None, prev2=None):
    """A firm whose score definitely fails (R&D 0, no IP, shrinking, 90% debt, 30% main share)."""
    return firm(ent=ent, cur={**WEAK, **(cur or {})}, prev={"main_revenue": 4e7, **(prev or {})},
                prev2=prev2 if prev2 is not None else {})


def test_weak_firm_without_direct_clause_is_not_eligible():
    r = run(*weak_firm())["E1"]
    assert r["score"] == 5 and r["verdict"] == "not_eligible" and r["missing"] == ""


@pytest.mark.parametrize("level", ["national", "provincial"])
def test_st_award_qualifies_directly(level):
    r = run(*weak_firm(ent={"st_award_level": level}))["E1"]
    assert r["rule_st_award"] is True and r["verdict"] == "eligible" and r["route"] == "direct"


def test_municipal_st_award_does_not_qualify():
    assert run(*weak_firm(ent={"st_award_level": "municipal"}))["E1"]["verdict"] == "not_eligible"


def test_valid_high_tech_status_qualifies_directly():
    r = run(*weak_firm(ent={"is_high_tech": True, "high_tech_valid_until": date(Y, 12, 31)}))["E1"]
    assert r["rule_high_tech_valid"] is True and r["verdict"] == "eligible" and r["route"] == "direct"


def test_expired_high_tech_status_does_not_qualify():
    r = run(*weak_firm(ent={"is_high_tech": True, "high_tech_valid_until": date(Y - 1, 12, 31)}))["E1"]
    assert r["rule_high_tech_valid"] is False and r["verdict"] == "not_eligible"


def test_high_tech_without_validity_date_is_unknown():
    r = run(*weak_firm(ent={"is_high_tech": True}))["E1"]
    assert r["verdict"] == "unknown" and "high_tech_valid_until" in r["missing"].split(";")


@pytest.mark.parametrize(("level", "verdict"), [("national", "eligible"), ("provincial", "eligible"),
                                                 ("municipal", "not_eligible"), ("none", "not_eligible")])
def test_rd_institution_at_provincial_level_or_above_qualifies(level, verdict):
    assert run(*weak_firm(ent={"rd_institution_level": level}))["E1"]["verdict"] == verdict


def test_equity_exactly_5m_over_three_years_qualifies():
    r = run(*weak_firm(cur={"new_equity_financing": 2e6}, prev={"new_equity_financing": 2e6},
                       prev2={"new_equity_financing": 1e6}))["E1"]
    assert r["var_equity_3y"] == 5e6 and r["rule_equity"] is True and r["route"] == "direct"


def test_equity_just_below_5m_does_not_qualify():
    r = run(*weak_firm(cur={"new_equity_financing": 2e6}, prev={"new_equity_financing": 2e6},
                       prev2={"new_equity_financing": 999_999.0}))["E1"]
    assert r["rule_equity"] is False and r["verdict"] == "not_eligible"


def test_equity_of_the_current_year_alone_decides_even_with_earlier_years_missing():
    ents, rows = firm(cur={**WEAK, "new_equity_financing": 5e6}, no_equity=False)
    r = run(ents, rows)["E1"]
    assert r["var_equity_3y"] is None and r["rule_equity"] is True and r["verdict"] == "eligible"


def test_small_equity_with_earlier_years_missing_is_unknown():
    ents, rows = firm(cur={**WEAK, "new_equity_financing": 1e6}, prev={"main_revenue": 4e7}, no_equity=False)
    r = run(ents, rows)["E1"]
    assert r["rule_equity"] is None and r["verdict"] == "unknown"
    assert {"new_equity_financing@-1", "new_equity_financing@-2"} <= set(r["missing"].split(";"))


# --- the floor -------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [("is_sme", False), ("on_abnormal_list", True),
                                              ("major_incident_3y", True)])
def test_floor_failure_excludes_even_a_direct_qualifier(field, value):
    r = run(*weak_firm(ent={"st_award_level": "national", field: value}))["E1"]
    assert r["verdict"] == "not_eligible" and r["route"] is None


@pytest.mark.parametrize("field", ["is_sme", "on_abnormal_list", "major_incident_3y"])
def test_missing_floor_input_is_unknown_and_named(field):
    r = run(*weak_firm(ent={"st_award_level": "national", field: None}))["E1"]
    assert r["verdict"] == "unknown" and field in r["missing"].split(";")


def test_missing_prior_year_makes_growth_unknown_and_names_the_lag():
    # a firm that would pass on innovation and specialisation; its growth needs last year's revenue
    ents, rows = firm(ent={"strategic_emerging": True},
                      cur={"revenue": 1e8, "main_revenue": 8e7, "rd_expenditure": 5e6, "total_assets": 1e8,
                           "total_liabilities": 5e7, "ip_class1_high_value": 1, "ip_class1": 1, "ip_class2": 0})
    r = run(ents, rows)["E1"]
    assert r["points_growth"] is None and r["verdict"] == "unknown"
    assert "main_revenue@-1" in r["missing"].split(";")


def test_not_decidable_conditions_are_listed_in_the_policy():
    ids = {n.id for n in LIB["innovative_sme"].not_decidable}
    assert {"prohibited_catalogue", "independent_legal_person", "tech_innovation_demo", "ip_advantage_demo",
            "ip_self_developed"} <= ids


def test_every_rule_variable_and_points_table_carries_a_tagged_source():
    p = LIB["innovative_sme"]
    items = [*p.rules, *p.points, *p.variables.values(), *p.not_decidable, p.scores]
    for it in items:
        assert any(tag in it.source for tag in ("[C]", "[C-3p]", "[U]")), it
