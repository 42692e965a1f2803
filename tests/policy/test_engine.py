"""The engine on hand-built tables: three-valued logic, lags, points boundaries, scores, exceptions
with priorities and conflicts, combinators, routes, benefit cap, budget, policy references."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from zhizao.policy import Library, PolicyError, evaluate, evaluate_many, load_library, output_columns, parse_policy

from tests.policy.conftest import FIXTURES, tables_from_rows


def make_policy(pid: str = "t", **sections):
    """A policy from plain sections; every rule, table, exception, benefit and budget gets a source."""
    doc = {"id": pid, "version": "1", "name_zh": "测试", "name_en": "test", "source": "test [U]",
           "valid_from": dt.date(2020, 1, 1), **sections}
    for r in doc.get("rules", []):
        r.setdefault("source", "test [U]")
        for x in r.get("exceptions", []):
            x.setdefault("source", "test [U]")
    for t in doc.get("points", []):
        t.setdefault("source", "test [U]")
    for v in doc.get("variables", {}).values():
        v.setdefault("source", "test [U]")
        v.setdefault("name_zh", "变量")
    for k in ("scores", "benefit", "budget"):
        if k in doc:
            doc[k].setdefault("source", "test [U]")
    return parse_policy(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), origin=f"{pid}.yaml")


def run(policy, enterprises, indicators, *, year=2024, library=None):
    out = evaluate(tables_from_rows(enterprises, indicators), policy, year=year, library=library)
    return {r["uscc"]: r for r in out.to_pyarrow().to_pylist()}


def ents(*usccs, **cols):
    return [{"uscc": u, **cols} for u in usccs]


# --- three-valued logic and missing inputs ----------------------------------------------------


def test_unknown_input_makes_the_verdict_unknown_and_is_named_in_missing():
    p = make_policy(rules=[{"id": "sme", "when": "is_sme"}, {"id": "big", "when": "revenue >= 1000"}],
                    eligibility={"all": ["sme", "big"]})
    r = run(p, [{"uscc": "A", "is_sme": True}, {"uscc": "B", "is_sme": False}, {"uscc": "C"}],
            [{"uscc": "A"}, {"uscc": "B"}, {"uscc": "C", "revenue": 2000.0}])
    assert (r["A"]["verdict"], r["A"]["rule_big"], r["A"]["missing"]) == ("unknown", None, "revenue")
    # false and unknown is false: not_eligible, though revenue is missing
    assert (r["B"]["verdict"], r["B"]["rule_sme"], r["B"]["missing"]) == ("not_eligible", False, "revenue")
    assert (r["C"]["verdict"], r["C"]["missing"]) == ("unknown", "is_sme")


def test_or_with_one_true_side_is_true_even_when_the_other_is_unknown():
    p = make_policy(rules=[{"id": "x", "when": "is_high_tech or revenue > 10"}], eligibility={"all": ["x"]})
    r = run(p, [{"uscc": "A", "is_high_tech": True}, {"uscc": "B", "is_high_tech": False}],
            [{"uscc": "A"}, {"uscc": "B"}])
    assert (r["A"]["verdict"], r["A"]["missing"]) == ("eligible", "")
    assert (r["B"]["verdict"], r["B"]["missing"]) == ("unknown", "revenue")


def test_division_by_zero_is_unknown_not_an_error():
    p = make_policy(variables={"ratio": {"expr": "rd_expenditure / revenue"}},
                    rules=[{"id": "r", "when": "ratio >= 0.03"}], eligibility={"all": ["r"]})
    r = run(p, ents("A"), [{"uscc": "A", "rd_expenditure": 5.0, "revenue": 0.0}])
    assert r["A"]["var_ratio"] is None and r["A"]["verdict"] == "unknown" and r["A"]["missing"] == ""


def test_only_enterprises_with_indicators_in_the_year_are_evaluated():
    p = make_policy(rules=[{"id": "x", "when": "is_sme"}], eligibility={"all": ["x"]})
    r = run(p, ents("A", "B", is_sme=True), [{"uscc": "A", "year": 2024}, {"uscc": "B", "year": 2023}])
    assert set(r) == {"A"}


# --- lags -------------------------------------------------------------------------------------


def test_lag_reads_the_same_enterprise_k_years_before_and_is_null_where_that_year_is_missing():
    p = make_policy(variables={"growth": {"expr": "(revenue - lag(revenue, 1)) / lag(revenue, 1)"},
                               "growth2": {"expr": "revenue / lag(revenue, 2) - 1"}},
                    rules=[{"id": "g", "when": "growth >= 0.1"}], eligibility={"all": ["g"]})
    ind = [{"uscc": "A", "year": 2024, "revenue": 120.0}, {"uscc": "A", "year": 2023, "revenue": 100.0},
           {"uscc": "A", "year": 2022, "revenue": 60.0},
           {"uscc": "B", "year": 2024, "revenue": 120.0}, {"uscc": "B", "year": 2022, "revenue": 100.0},
           {"uscc": "C", "year": 2024, "revenue": 109.0}, {"uscc": "C", "year": 2023, "revenue": 100.0}]
    r = run(p, ents("A", "B", "C"), ind)
    assert r["A"]["var_growth"] == pytest.approx(0.2) and r["A"]["var_growth2"] == pytest.approx(1.0)
    assert r["A"]["verdict"] == "eligible"
    assert r["B"]["var_growth"] is None and r["B"]["var_growth2"] == pytest.approx(0.2)
    assert (r["B"]["verdict"], r["B"]["missing"]) == ("unknown", "revenue@-1")
    assert r["C"]["verdict"] == "not_eligible"


# --- points tables and scores -----------------------------------------------------------------

BANDS = {"id": "rd", "of": "rd_expenditure / revenue", "bands": [[0.05, 20], [0.03, 15], [0.02, 10], [None, 0]]}


@pytest.mark.parametrize("rd, points", [(5, 20), (4.99, 15), (3, 15), (2.999, 10), (2, 10), (1.99, 0), (0, 0),
                                        (None, None)])
def test_a_value_exactly_at_a_band_threshold_gets_the_higher_band(rd, points):
    p = make_policy(points=[dict(BANDS)], rules=[{"id": "x", "when": "true"}], eligibility={"all": ["x"]})
    r = run(p, ents("A"), [{"uscc": "A", "revenue": 100.0, "rd_expenditure": rd}])
    assert r["A"]["points_rd"] == points


@pytest.mark.parametrize("energy, points", [(0.5, 10), (1.0, 10), (1.01, 5), (2.0, 5), (2.5, 0)])
def test_lower_is_better_bands_are_tested_with_at_most(energy, points):
    p = make_policy(points=[{"id": "e", "of": "energy_tce", "direction": "lower_is_better",
                             "bands": [[1.0, 10], [2.0, 5]]}],
                    rules=[{"id": "x", "when": "true"}], eligibility={"all": ["x"]})
    assert run(p, ents("A"), [{"uscc": "A", "energy_tce": energy}])["A"]["points_e"] == points


def test_categorical_points_take_the_first_case_that_holds_and_are_unknown_behind_an_unknown_case():
    p = make_policy(points=[{"id": "ip", "cases": [{"when": "ip_class1_high_value >= 1", "points": 20},
                                                   {"when": "ip_class1 >= 1", "points": 10}, {"else": 1}]}],
                    rules=[{"id": "x", "when": "true"}], eligibility={"all": ["x"]})
    r = run(p, ents("A", "B", "C", "D"), [
        {"uscc": "A", "ip_class1_high_value": 1, "ip_class1": 5}, {"uscc": "B", "ip_class1_high_value": 0, "ip_class1": 2},
        {"uscc": "C", "ip_class1_high_value": 0, "ip_class1": 0}, {"uscc": "D", "ip_class1": 2}])
    assert [r[u]["points_ip"] for u in "ABCD"] == [20, 10, 1, None]


def _scored(pass_=50, **dims):
    return make_policy(
        points=[{**BANDS, "dimension": "inno"},
                {"id": "grow", "of": "revenue / lag(revenue, 1) - 1", "bands": [[0.2, 30], [0.1, 20], [None, 0]],
                 "dimension": "growth"}],
        scores={"dimensions": {"inno": {"name_zh": "创新", "max": 20, **dims.get("inno", {})},
                               "growth": {"name_zh": "成长", "max": 30, **dims.get("growth", {})}},
                "pass": pass_},
        rules=[{"id": "floor", "when": "true"}],
        eligibility={"all": ["floor"], "routes": [{"id": "score", "score": True}]})


def test_the_score_route_passes_exactly_at_the_pass_mark_and_needs_every_dimension_minimum():
    ind = lambda u, rd, now, before: [{"uscc": u, "revenue": now, "rd_expenditure": rd},  # noqa: E731
                                      {"uscc": u, "year": 2023, "revenue": before}]
    rows = ind("A", 3.0, 100.0, 80.0) + ind("B", 2.0, 100.0, 80.0) + ind("C", 0.0, 125.0, 100.0)
    r = run(_scored(pass_=35, inno={"min": 10}), ents("A", "B", "C"), rows)
    assert (r["A"]["score"], r["A"]["score_inno"], r["A"]["score_growth"]) == (45, 15, 30)
    assert (r["A"]["verdict"], r["A"]["route"]) == ("eligible", "score")
    assert (r["B"]["score"], r["B"]["verdict"]) == (40, "eligible")  # 10 + 30 ≥ 35, inno 10 ≥ 10
    assert (r["C"]["score"], r["C"]["verdict"]) == (30, "not_eligible")  # inno 0 < 10 and 30 < 35


def test_an_unknown_points_table_leaves_the_score_unknown_only_when_it_could_change_the_result():
    rows = [{"uscc": u, "revenue": 100.0, "rd_expenditure": 5.0} for u in "AB"] + \
           [{"uscc": "A", "year": 2023, "revenue": 50.0}]
    # B's growth is unknown (no 2023): 20 + {0..30} vs pass 15 → passes anyway; vs pass 40 → unknown
    r = run(_scored(pass_=15), ents("A", "B"), rows)
    assert r["B"]["score"] is None and r["B"]["verdict"] == "eligible" and r["B"]["missing"] == ""
    r = run(_scored(pass_=40), ents("A", "B"), rows)
    assert (r["A"]["verdict"], r["B"]["verdict"]) == ("eligible", "unknown")
    assert r["B"]["missing"] == "revenue@-1"
    r = run(_scored(pass_=60), ents("A", "B"), rows)  # 20 + 30 at best < 60
    assert r["B"]["verdict"] == "not_eligible"


# --- exceptions (Catala default logic) --------------------------------------------------------


def _exc_policy(exceptions):
    return make_policy(rules=[{"id": "base", "when": "is_sme", "exceptions": exceptions}],
                       eligibility={"all": ["base"]})


def test_an_applicable_exception_overrides_the_base_rule_and_is_named():
    p = _exc_policy([{"id": "listed_out", "when": "on_abnormal_list", "outcome": False},
                     {"id": "hi_tech_in", "when": "is_high_tech", "outcome": True}])
    r = run(p, [{"uscc": "A", "is_sme": True, "on_abnormal_list": True, "is_high_tech": False},
                {"uscc": "B", "is_sme": False, "on_abnormal_list": False, "is_high_tech": True},
                {"uscc": "C", "is_sme": True, "on_abnormal_list": False, "is_high_tech": False}],
            [{"uscc": u} for u in "ABC"])
    assert (r["A"]["rule_base"], r["A"]["exc_base"]) == (False, "listed_out")
    assert (r["B"]["rule_base"], r["B"]["exc_base"]) == (True, "hi_tech_in")
    assert (r["C"]["rule_base"], r["C"]["exc_base"]) == (True, None)


def test_two_applicable_exceptions_with_different_outcomes_at_the_same_priority_are_a_conflict():
    p = _exc_policy([{"id": "out", "when": "on_abnormal_list", "outcome": False, "priority": 1},
                     {"id": "in", "when": "is_high_tech", "outcome": True, "priority": 1}])
    r = run(p, [{"uscc": "A", "is_sme": True, "on_abnormal_list": True, "is_high_tech": True}], [{"uscc": "A"}])
    assert (r["A"]["verdict"], r["A"]["rule_base"], r["A"]["conflict"]) == ("conflict", None, "base:out,in")
    assert r["A"]["exc_base"] is None


def test_a_higher_priority_exception_wins_and_hides_a_conflict_below_it():
    p = _exc_policy([{"id": "out", "when": "on_abnormal_list", "outcome": False, "priority": 1},
                     {"id": "in", "when": "is_high_tech", "outcome": True, "priority": 1},
                     {"id": "override", "when": "major_incident_3y", "outcome": False, "priority": 2}])
    r = run(p, [{"uscc": "A", "is_sme": True, "on_abnormal_list": True, "is_high_tech": True,
                 "major_incident_3y": True},
                {"uscc": "B", "is_sme": False, "on_abnormal_list": False, "is_high_tech": True,
                 "major_incident_3y": False}], [{"uscc": "A"}, {"uscc": "B"}])
    assert (r["A"]["rule_base"], r["A"]["exc_base"], r["A"]["conflict"]) == (False, "override", None)
    assert r["A"]["verdict"] == "not_eligible"
    assert (r["B"]["rule_base"], r["B"]["exc_base"]) == (True, "in")


def test_an_exception_of_unknown_applicability_makes_the_rule_unknown_unless_it_agrees():
    p = _exc_policy([{"id": "out", "when": "on_abnormal_list", "outcome": False}])
    r = run(p, [{"uscc": "A", "is_sme": True}, {"uscc": "B", "is_sme": False}], [{"uscc": "A"}, {"uscc": "B"}])
    assert (r["A"]["rule_base"], r["A"]["missing"]) == (None, "on_abnormal_list")
    assert (r["B"]["rule_base"], r["B"]["exc_base"]) == (False, None)  # false either way


# --- combinators and routes -------------------------------------------------------------------


def test_combinators_follow_three_valued_logic():
    p = make_policy(rules=[
        {"id": "a", "when": "is_sme"}, {"id": "b", "when": "is_high_tech"}, {"id": "c", "when": "own_brand"},
        {"id": "any_ab", "any": ["a", "b"]}, {"id": "all_ab", "all": ["a", "b"]}, {"id": "not_a", "not": "a"},
        {"id": "two", "at_least": {"k": 2, "of": ["a", "b", "c"]}}],
        eligibility={"all": ["two"]})
    r = run(p, [{"uscc": "A", "is_sme": True, "is_high_tech": None, "own_brand": True},
                {"uscc": "B", "is_sme": False, "is_high_tech": None, "own_brand": True},
                {"uscc": "C", "is_sme": False, "is_high_tech": None, "own_brand": False}],
            [{"uscc": u} for u in "ABC"])
    got = {u: tuple(r[u][f"rule_{k}"] for k in ("any_ab", "all_ab", "not_a", "two")) for u in "ABC"}
    assert got == {"A": (True, None, False, True), "B": (None, False, True, None), "C": (None, False, True, False)}
    assert r["B"]["missing"] == "is_high_tech"  # the null input behind the unknown rule b


def test_the_first_passing_route_is_reported_and_every_false_route_is_not_eligible():
    p = make_policy(rules=[{"id": "floor", "when": "is_sme"}, {"id": "award", "when": "st_award_level == \"national\""},
                           {"id": "hi", "when": "is_high_tech"}],
                    eligibility={"all": ["floor"], "routes": [{"id": "award", "rule": "award"},
                                                              {"id": "hi", "rule": "hi"}]})
    r = run(p, [{"uscc": "A", "is_sme": True, "st_award_level": "national", "is_high_tech": True},
                {"uscc": "B", "is_sme": True, "st_award_level": "none", "is_high_tech": True},
                {"uscc": "C", "is_sme": True, "st_award_level": "none", "is_high_tech": False},
                {"uscc": "D", "is_sme": True, "is_high_tech": False}],
            [{"uscc": u} for u in "ABCD"])
    assert [(r[u]["verdict"], r[u]["route"]) for u in "ABCD"] == [
        ("eligible", "award"), ("eligible", "hi"), ("not_eligible", None), ("unknown", None)]


# --- benefit and budget -----------------------------------------------------------------------


def test_the_benefit_is_the_formula_capped_for_eligible_rows_only():
    p = make_policy(rules=[{"id": "x", "when": "is_sme"}], eligibility={"all": ["x"]},
                    benefit={"amount": "rd_expenditure * 0.1", "cap": 500000})
    r = run(p, ents("A", "B", "C", is_sme=True) + [{"uscc": "D", "is_sme": False}],
            [{"uscc": "A", "rd_expenditure": 1e6}, {"uscc": "B", "rd_expenditure": 5e6},
             {"uscc": "C", "rd_expenditure": 9e7}, {"uscc": "D", "rd_expenditure": 1e6}])
    assert [r[u]["benefit_yuan"] for u in "ABCD"] == [100000.0, 500000.0, 500000.0, None]


def test_the_budget_ranks_eligible_rows_ties_by_uscc_and_marks_those_within_it():
    p = make_policy(rules=[{"id": "x", "when": "is_sme"}], eligibility={"all": ["x"]},
                    benefit={"amount": "100"}, budget={"total": 250, "order": "revenue desc"})
    r = run(p, ents("A", "B", "C", "D", is_sme=True) + [{"uscc": "E", "is_sme": False}],
            [{"uscc": "A", "revenue": 5.0}, {"uscc": "B", "revenue": 9.0}, {"uscc": "C", "revenue": 5.0},
             {"uscc": "D"}, {"uscc": "E", "revenue": 99.0}])
    assert {u: (r[u]["budget_rank"], r[u]["within_budget"]) for u in "ABCDE"} == {
        "B": (1, True), "A": (2, True), "C": (3, False), "D": (4, False), "E": (None, None)}


def test_the_budget_order_may_be_ascending_and_read_the_score():
    p = _scored(pass_=0).model_copy()
    doc = yaml.safe_load(yaml.safe_dump(p.model_dump(mode="json", by_alias=True, exclude_none=True)))
    doc["benefit"] = {"amount": "10", "source": "x"}
    doc["budget"] = {"total": 10, "order": "score asc", "source": "x"}
    q = parse_policy(yaml.safe_dump(doc), origin="t.yaml")
    rows = [{"uscc": u, "revenue": 100.0, "rd_expenditure": rd} for u, rd in (("A", 5.0), ("B", 0.0))] + \
           [{"uscc": u, "year": 2023, "revenue": 100.0} for u in "AB"]
    r = run(q, ents("A", "B"), rows)
    assert (r["B"]["budget_rank"], r["B"]["within_budget"], r["A"]["within_budget"]) == (1, True, False)


# --- other policies ---------------------------------------------------------------------------


def test_a_required_policy_is_evaluated_first_and_read_as_a_condition():
    lib = load_library(FIXTURES / "lib")
    rows = [{"uscc": u, "revenue": 2e8, "rd_expenditure": 1e7, "ip_class1": 1, "ip_class1_high_value": 0}
            for u in "ABC"] + [{"uscc": u, "year": 2023, "revenue": 1e8} for u in "AB"]
    e = [{"uscc": "A", "is_sme": True, "on_abnormal_list": False}, {"uscc": "B", "is_sme": False},
         {"uscc": "C", "is_sme": True, "on_abnormal_list": False}]
    r = run(lib["demo_giant"], e, rows, library=lib)
    sme = run(lib["demo_sme"], e, rows, library=lib)
    assert [sme[u]["verdict"] for u in "ABC"] == ["eligible", "not_eligible", "unknown"]
    assert [r[u]["rule_base_tier"] for u in "ABC"] == [True, False, None]
    assert [r[u]["verdict"] for u in "ABC"] == ["eligible", "not_eligible", "unknown"]
    assert r["C"]["missing"] == "policy:demo_sme"
    many = evaluate_many(tables_from_rows(e, rows), ["demo_award", "demo_giant"], year=2024, library=lib)
    award = {x["uscc"]: x for x in many["demo_award"].to_pyarrow().to_pylist()}
    assert award["A"]["benefit_yuan"] == 200000.0 and award["B"]["benefit_yuan"] is None


# --- the table itself and errors before evaluation --------------------------------------------


def test_the_columns_and_types_follow_the_contract():
    lib = load_library(FIXTURES / "lib")
    p = lib["demo_sme"]
    t = evaluate(tables_from_rows(ents("A"), [{"uscc": "A"}]), p, year=2024, library=lib)
    assert list(t.columns) == output_columns(p)
    assert output_columns(p)[:8] == ["policy_id", "version", "year", "uscc", "name", "region_code", "verdict", "route"]
    assert output_columns(p)[8:13] == ["score", "score_min", "score_max", "score_innovation", "score_growth"]
    assert output_columns(p)[-5:] == ["conflict", "missing", "benefit_yuan", "budget_rank", "within_budget"]
    s = t.schema()
    assert str(s["year"]) == "int64" and str(s["score"]) == "float64" and str(s["points_ip_points"]) == "float64"
    assert str(s["score_min"]) == "float64" and str(s["score_max"]) == "float64"
    assert str(s["var_rd_ratio"]) == "float64" and str(s["rule_sme"]) == "boolean"
    assert str(s["exc_high_tech"]) == "string" and str(s["budget_rank"]) == "int64"
    assert str(s["within_budget"]) == "boolean" and str(s["missing"]) == "string"
    row = t.to_pyarrow().to_pylist()[0]
    assert (row["policy_id"], row["version"], row["year"], row["name"]) == ("demo_sme", "test-1", 2024, "企业A")


def test_a_missing_warehouse_column_is_reported_before_evaluation():
    import ibis

    p = make_policy(variables={"r": {"expr": "rd_expenditure / lag(revenue, 1)"}},
                    rules=[{"id": "x", "when": "is_sme and r > 0"}], eligibility={"all": ["x"]})
    t = tables_from_rows(ents("A"), [{"uscc": "A"}])
    t = {"enterprises": t["enterprises"].drop("is_sme"), "indicators": t["indicators"].drop("revenue", "rd_expenditure")}
    with pytest.raises(PolicyError) as e:
        evaluate(t, p, year=2024)
    assert "enterprises.is_sme, indicators.rd_expenditure, indicators.revenue" in e.value.message
    with pytest.raises(PolicyError, match="indicators \\(the whole table\\)"):
        evaluate({"enterprises": ibis.memtable({"uscc": ["A"]})}, p, year=2024)


def test_a_year_outside_the_validity_window_is_refused():
    lib = load_library(FIXTURES / "lib")
    with pytest.raises(PolicyError, match="valid 2023-01-01–2025-12-31, not in 2026"):
        evaluate(tables_from_rows(ents("A"), [{"uscc": "A", "year": 2026}]), lib["demo_award"], year=2026, library=lib)


def test_functions_over_codes_dates_and_token_lists_evaluate_in_the_engine():
    p = make_policy(rules=[{"id": "eq", "when": 'in_group(industry_code, "equipment")'},
                           {"id": "c39", "when": 'code_prefix(industry_code, "C39")'},
                           {"id": "iso", "when": 'contains(certifications, "ISO9001")'},
                           {"id": "age", "when": "years_since(registered_on) >= 3"},
                           {"id": "niche", "when": "years_since(niche_start_year) >= 3"}],
                    eligibility={"all": ["eq", "c39", "iso", "age", "niche"]})
    r = run(p, [{"uscc": "A", "industry_code": "3911", "certifications": "ISO14001;ISO9001",
                 "registered_on": dt.date(2021, 12, 31), "niche_start_year": 2021},
                {"uscc": "B", "industry_code": "1311", "certifications": "ISO90011", "registered_on": dt.date(2022, 1, 1),
                 "niche_start_year": 2022}], [{"uscc": "A"}, {"uscc": "B"}])
    assert [r["A"][f"rule_{k}"] for k in ("eq", "c39", "iso", "age", "niche")] == [True] * 5
    assert [r["B"][f"rule_{k}"] for k in ("eq", "c39", "iso", "age", "niche")] == [False] * 5


def test_an_explicit_library_object_can_hold_policies_built_in_code():
    base = make_policy("base", rules=[{"id": "x", "when": "is_sme"}], eligibility={"all": ["x"]})
    top = make_policy("top", rules=[{"id": "b", "when": 'policy("base")'}], eligibility={"all": ["b"]})
    r = run(top, ents("A", is_sme=True), [{"uscc": "A"}], library=Library([base, top]))
    assert r["A"]["verdict"] == "eligible"


# --- issue 5, second landing: null conditions, undecided, new functions, score bounds, panel,
# --- extra input tables, charges ---------------------------------------------------------------


def test_a_literal_null_condition_compiles_as_an_unknown_condition():
    # rule, exception and points case whose condition is the literal null: a boolean null
    p = make_policy(rules=[{"id": "r", "when": "null",
                            "exceptions": [{"id": "x", "when": "is_high_tech", "outcome": True, "priority": 1}]},
                           {"id": "s", "when": "is_sme and null"}],
                    points=[{"id": "pt", "cases": [{"when": "null", "points": 5}, {"else": 0}]}],
                    eligibility={"all": ["r"]})
    r = run(p, [{"uscc": "A", "is_high_tech": True, "is_sme": False}, {"uscc": "B", "is_high_tech": False}],
            [{"uscc": "A"}, {"uscc": "B"}])
    assert (r["A"]["rule_r"], r["A"]["exc_r"], r["A"]["verdict"]) == (True, "x", "eligible")
    assert (r["B"]["rule_r"], r["B"]["verdict"], r["B"]["points_pt"]) == (None, "unknown", None)
    assert r["A"]["rule_s"] is False and r["B"]["rule_s"] is None


def test_undecided_is_unknown_and_missing_names_the_not_decidable_id():
    p = make_policy(not_decidable=[{"id": "rank", "text_zh": "排名", "source": "t [U]"}],
                    rules=[{"id": "award", "when": "st_award_level == 'national' and undecided('rank')"},
                           {"id": "sme", "when": "is_sme"}],
                    eligibility={"all": ["sme", "award"]})
    r = run(p, [{"uscc": "A", "is_sme": True, "st_award_level": "national"},
                {"uscc": "B", "is_sme": True, "st_award_level": "none"}, {"uscc": "C", "st_award_level": "national"}],
            ents("A", "B", "C") and [{"uscc": u} for u in "ABC"])
    assert (r["A"]["rule_award"], r["A"]["verdict"], r["A"]["missing"]) == (None, "unknown", "not_decidable:rank")
    assert (r["B"]["rule_award"], r["B"]["verdict"], r["B"]["missing"]) == (False, "not_eligible", "")
    assert r["C"]["missing"] == "is_sme;not_decidable:rank"


def test_region_in_count_true_and_at_least_compile_as_they_evaluate():
    from zhizao.policy import expr as E

    texts = {"sh": "region_in(region_code, '310000', '330106')", "n": "count_true(is_sme, is_high_tech, own_brand)",
             "two": "at_least(2, is_sme, is_high_tech, own_brand)"}
    p = make_policy(variables={k: {"expr": v} for k, v in texts.items()},
                    rules=[{"id": "x", "when": "two"}], eligibility={"all": ["x"]})
    firms = [{"uscc": "A", "region_code": "310115", "is_sme": True, "is_high_tech": True, "own_brand": False},
             {"uscc": "B", "region_code": "330106", "is_sme": True, "is_high_tech": None, "own_brand": False},
             {"uscc": "C", "region_code": "330624", "is_sme": True, "is_high_tech": None, "own_brand": True},
             {"uscc": "D", "region_code": "320100", "is_sme": False, "is_high_tech": False, "own_brand": False}]
    r = run(p, firms, [{"uscc": f["uscc"]} for f in firms])
    for f in firms:
        for k, text in texts.items():
            assert r[f["uscc"]][f"var_{k}"] == E.eval_row(E.parse(text), f), (f["uscc"], k)
    assert [r[u]["var_sh"] for u in "ABCD"] == [True, True, False, False]
    assert [r[u]["var_n"] for u in "ABCD"] == [2.0, None, None, 0.0]
    assert [r[u]["var_two"] for u in "ABCD"] == [True, None, True, False]  # B: one true, one unknown


def test_score_min_and_max_bound_the_score_where_a_table_is_unknown():
    p = make_policy(points=[{"id": "a", "of": "revenue", "bands": [[100, 10], [null_band := None, 2]],
                             "dimension": "d"},
                            {"id": "b", "cases": [{"when": "is_sme", "points": 8}, {"else": 3}], "dimension": "d"}],
                    scores={"dimensions": {"d": {"name_zh": "维度"}}, "pass": 15},
                    eligibility={"routes": [{"id": "score", "score": True}]})
    assert null_band is None
    r = run(p, [{"uscc": "A", "is_sme": True}, {"uscc": "B"}, {"uscc": "C"}],
            [{"uscc": "A", "revenue": 50.0}, {"uscc": "B", "revenue": 100.0}, {"uscc": "C"}])
    assert (r["A"]["score"], r["A"]["score_min"], r["A"]["score_max"], r["A"]["verdict"]) == (10, 10, 10, "not_eligible")
    # b unknown: 3 (its else) to 8
    assert (r["B"]["score"], r["B"]["score_min"], r["B"]["score_max"], r["B"]["verdict"]) == (None, 13, 18, "unknown")
    assert (r["C"]["score_min"], r["C"]["score_max"], r["C"]["verdict"]) == (5, 18, "unknown")
    assert r["C"]["missing"] == "is_sme;revenue"


def test_a_flat_panel_table_gives_the_same_evaluation_as_the_two_tables():
    import ibis

    lib = load_library(FIXTURES / "lib")
    firms = [{"uscc": u, "is_sme": u != "C", "on_abnormal_list": False, "is_high_tech": u == "A",
              "high_tech_valid_until": dt.date(2026, 1, 1), "st_award_level": "none"} for u in "ABC"]
    rows = [{"uscc": u, "year": y, "revenue": 1e7 * (1 + (y - 2022) / 10), "rd_expenditure": 4e5,
             "ip_class1": 1, "ip_class1_high_value": 0} for u in "ABC" for y in (2023, 2024)]
    tables = tables_from_rows(firms, rows)
    ent = tables["enterprises"]
    ind = tables["indicators"]
    panel = ind.join(ent.drop("industry_code"), "uscc")
    a = evaluate(tables, lib["demo_award"], year=2024, library=lib).to_pyarrow().sort_by("uscc")
    b = evaluate({"panel": panel}, lib["demo_award"], year=2024, library=lib).to_pyarrow().sort_by("uscc")
    assert a.equals(b)
    assert a.num_rows == 3
    with pytest.raises(PolicyError, match=r"panel\.is_sme"):
        evaluate({"panel": ind}, lib["demo_sme"], year=2024, library=lib)
    assert isinstance(panel, ibis.Table)


LAND = {"inputs": {"land": {"table": "result_land_evaluation", "where": {"method_id": "m"}}},
        "variables": {"yrs": {"expr": "land.years_in_class"}},
        "rules": [{"id": "d", "when": "land.land_class == 'D'"}],
        "eligibility": {"all": ["d"]},
        "benefit": {"kind": "charge", "amount": "yrs * 100", "cap": 250}}


def _land_rows(rows):
    import ibis
    import pyarrow as pa

    return ibis.memtable(pa.Table.from_pylist([{"method_id": "m", "graded": True, **r} for r in rows]))


def test_an_input_table_is_joined_on_uscc_and_year_with_years_in_class_derived():
    p = make_policy(**LAND)
    t = tables_from_rows(ents("A", "B", "C", "D"), [{"uscc": u} for u in "ABCD"])
    t["result_land_evaluation"] = _land_rows([
        {"uscc": "A", "year": 2022, "land_class": "D"}, {"uscc": "A", "year": 2023, "land_class": "D"},
        {"uscc": "A", "year": 2024, "land_class": "D"},
        {"uscc": "B", "year": 2022, "land_class": "D"}, {"uscc": "B", "year": 2024, "land_class": "D"},  # gap
        {"uscc": "C", "year": 2024, "land_class": "C"},
        {"uscc": "C", "year": 2024, "land_class": "D", "method_id": "other"}])  # another method: filtered out
    r = {x["uscc"]: x for x in evaluate(t, p, year=2024).to_pyarrow().to_pylist()}
    assert (r["A"]["var_yrs"], r["A"]["verdict"], r["A"]["benefit_yuan"]) == (3, "eligible", -250)  # capped charge
    assert (r["B"]["var_yrs"], r["B"]["benefit_yuan"]) == (1, -100)  # a gap year starts a new run
    assert (r["C"]["rule_d"], r["C"]["verdict"], r["C"]["benefit_yuan"]) == (False, "not_eligible", None)
    # not in the land table: unknown, the input named qualified
    assert (r["D"]["verdict"], r["D"]["missing"]) == ("unknown", "land.land_class")


def test_a_missing_input_table_names_the_command_that_creates_it():
    p = make_policy(**LAND)
    t = tables_from_rows(ents("A"), [{"uscc": "A"}])
    with pytest.raises(PolicyError, match=r"the table result_land_evaluation, which the warehouse lacks: "
                                          r"run `zhizao land evaluate` first"):
        evaluate(t, p, year=2024)
    t["result_land_evaluation"] = _land_rows([{"uscc": "A", "year": 2024}])  # no land_class column
    with pytest.raises(PolicyError, match=r"result_land_evaluation\.land_class"):
        evaluate(t, p, year=2024)


def test_an_input_table_is_read_from_the_warehouse_connection(tmp_path):
    from zhizao.data.store import Warehouse

    p = make_policy(**LAND)
    wh = Warehouse(tmp_path / "w.duckdb")
    rows = tables_from_rows(ents("A"), [{"uscc": "A"}])
    wh.con.create_table("enterprises", rows["enterprises"].to_pyarrow(), overwrite=True)
    wh.con.create_table("indicators", rows["indicators"].to_pyarrow(), overwrite=True)
    wh.con.create_table("result_land_evaluation", _land_rows([{"uscc": "A", "year": 2024, "land_class": "D"}])
                        .to_pyarrow(), overwrite=True)
    out = evaluate(wh.tables(), p, year=2024).to_pyarrow().to_pylist()
    assert (out[0]["verdict"], out[0]["benefit_yuan"]) == ("eligible", -100)


def test_dependencies_list_the_input_table_and_its_columns():
    from zhizao.policy import dependencies

    d = dependencies(make_policy(**LAND))
    assert d.input_tables == (("land", "result_land_evaluation", "zhizao land evaluate"),)
    assert d.columns == ("land.land_class", "land.years_in_class")
    assert d.tables["result_land_evaluation"] == ("land_class", "years_in_class")
