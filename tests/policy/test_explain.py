"""Explanations of one enterprise × one policy (helper P3): content of the tree and its zh/en text.

Uses P3's own test policies (tests/policy/fixtures_p3) and hand-built firms; see that package's
docstring for the numbers.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.fixtures_p3 import YEAR, p3_library, p3_tables, uscc
from zhizao.policy import evaluate
from zhizao.policy.explain import explain, format_value, render


@pytest.fixture(scope="module")
def lib():
    return p3_library()


@pytest.fixture(scope="module")
def tables():
    return p3_tables()


def tree_of(lib, tables, key, pid="p3_grant"):
    return explain(tables, lib[pid], uscc=uscc(key), year=YEAR, library=lib)


def rule(tree, rid):
    return next(r for r in tree["rules"] if r["id"] == rid)


def test_the_tree_is_plain_json(lib, tables):
    tree = tree_of(lib, tables, "RDGAP")
    assert json.loads(json.dumps(tree, ensure_ascii=False)) == tree


def test_a_failed_ratio_threshold_shows_each_side_the_threshold_and_the_clause(lib, tables):
    tree = tree_of(lib, tables, "RDGAP")
    assert tree["verdict"] == "not_eligible"
    rd = rule(tree, "rd_min")
    assert rd["status"] == "fail" and rd["role"] == "floor"
    assert rd["source"] == "P3 测试政策 第8条(四) [U]"
    amount, ratio = rd["terms"]["children"]
    assert amount["value"] is True and amount["left"]["value"] == 1_470_000.0 and amount["right"]["value"] == 1_000_000
    assert ratio["value"] is False and ratio["op"] == ">="
    assert ratio["left"]["text"] == "rd_ratio" and ratio["left"]["value"] == pytest.approx(0.021)
    assert ratio["right"] == {"text": "0.03", "value": 0.03, "const": True}
    assert ratio["unit"] == "share"
    assert rd["inputs"]["rd_ratio"]["unit"] == "share"
    assert rd["inputs"]["rd_expenditure"] == {"value": 1_470_000.0, "unit": "money"}


def test_variables_carry_formula_value_inputs_and_clause(lib, tables):
    tree = tree_of(lib, tables, "RDGAP")
    v = {x["id"]: x for x in tree["variables"]}
    assert v["rd_ratio"]["expr"] == "rd_expenditure / revenue"
    assert v["rd_ratio"]["value"] == pytest.approx(0.021)
    assert v["rd_ratio"]["inputs"] == {"rd_expenditure": {"value": 1_470_000.0, "unit": "money"},
                                       "revenue": {"value": 70_000_000.0, "unit": "money"}}
    assert v["growth"]["inputs"]["main_revenue@-1"]["value"] == 60_000_000.0
    assert v["firm_age"]["changeable"] is False
    assert v["rd_ratio"]["source"] == "P3 测试政策 第3条 [U]"


def test_points_tables_show_the_band_that_matched_and_boundaries_go_up(lib, tables):
    tree = tree_of(lib, tables, "SCORE")            # rd_ratio exactly 3% → the 15-point band
    pts = {p["id"]: p for p in tree["points"]}
    assert pts["rd_points"]["value"] == pytest.approx(0.03)
    assert pts["rd_points"]["matched"] == 1 and pts["rd_points"]["points"] == 15
    assert pts["rd_points"]["bands"][1] == [0.03, 15]
    assert pts["growth_points"]["matched"] == 3 and pts["growth_points"]["points"] == 5   # exactly 0 → 5
    assert pts["debt_points"]["direction"] == "lower_is_better" and pts["debt_points"]["points"] == 0
    ip = pts["ip_points"]
    assert ip["kind"] == "cases" and ip["points"] == 0 and ip["cases"][ip["matched"]]["when"] is None
    s = tree["scores"]
    assert s["total"] == 20 and s["pass"] == 45 and s["passed"] is False
    dims = {d["id"]: d for d in s["dimensions"]}
    assert dims["innovation"]["score"] == 15 and dims["innovation"]["passed"] is False
    assert dims["growth"]["score"] == 5 and dims["growth"]["min"] == 10


def test_an_exception_that_decides_a_rule_is_named(lib, tables):
    tree = tree_of(lib, tables, "HIGHTECH")
    rd = rule(tree, "rd_min")
    assert rd["value"] is True and rd["decided_by"] == "high_tech_waiver"
    exc = rd["exceptions"][0]
    assert exc["applies"] is True and exc["decided"] is True and exc["outcome"] is True
    assert "第9条" in exc["source"]
    # the when-expression itself is false: the exception, not the data, made the rule hold
    assert rd["terms"]["value"] is False


def test_eligible_firm_shows_route_benefit_and_budget(lib, tables):
    tree = tree_of(lib, tables, "HIGHTECH")
    assert tree["verdict"] == "eligible" and tree["route"] == "direct"
    routes = {r["id"]: r for r in tree["eligibility"]["routes"]}
    assert routes["direct"]["taken"] and routes["direct"]["status"] == "pass"
    assert tree["benefit"]["amount_yuan"] == pytest.approx(100_000.0)
    assert tree["budget"]["rank"] == 2 and tree["budget"]["within_budget"] is True


def test_missing_input_makes_the_rule_unknown_and_names_the_column(lib, tables):
    tree = tree_of(lib, tables, "NORD")
    assert tree["verdict"] == "unknown"
    assert tree["missing"] == ["rd_expenditure"]
    rd = rule(tree, "rd_min")
    assert rd["status"] == "unknown" and rd["missing"] == ["rd_expenditure"]


def test_combinator_rules_list_their_children(lib, tables):
    tree = tree_of(lib, tables, "RDGAP")
    d = rule(tree, "direct_any")
    assert d["kind"] == "any" and d["role"] == "route"
    assert [(c["id"], c["status"]) for c in d["children"]] == [("high_tech", "fail"), ("equity", "fail")]


def test_conditions_the_data_cannot_decide_are_listed_as_not_checked(lib, tables):
    tree = tree_of(lib, tables, "BASE")
    assert tree["not_decidable"] == [{"id": "prohibited_catalogue", "text_zh": "产品不属于禁止、限制或淘汰类",
                                      "text_en": "产品不属于禁止、限制或淘汰类", "source": "P3 测试政策 第2条 [U]",
                                      "status": "not_checked"}]


def test_a_policy_that_uses_another_reports_that_verdict(lib, tables):
    tree = tree_of(lib, tables, "RDGAP", "p3_topup")
    assert tree["requires"] == [{"policy": "p3_grant", "verdict": "not_eligible"}]
    assert rule(tree, "has_grant")["inputs"] == {"policy:p3_grant": {"value": False, "unit": "bool"}}
    ok = tree_of(lib, tables, "BASE", "p3_topup")
    assert ok["verdict"] == "eligible" and ok["requires"][0]["verdict"] == "eligible"


def test_explaining_from_a_stored_evaluation_gives_the_same_tree(lib, tables):
    ev = evaluate(tables, lib["p3_grant"], year=YEAR, library=lib).to_pyarrow()
    stored = explain(tables, lib["p3_grant"], uscc=uscc("SCORE"), year=YEAR, library=lib, evaluation=ev)
    assert stored == tree_of(lib, tables, "SCORE")


def test_an_enterprise_without_a_row_is_a_key_error(lib, tables):
    with pytest.raises(KeyError, match="no evaluation row"):
        explain(tables, lib["p3_grant"], uscc="91330000NOPE000000", year=YEAR, library=lib)


def test_render_zh_shows_verdict_values_thresholds_and_clauses(lib, tables):
    text = render(tree_of(lib, tables, "RDGAP"), lang="zh")
    assert "结论：不符合" in text
    assert "✗ 研发投入不低于100万元且占营业收入3%以上" in text
    assert "rd_ratio = 2.10% ≥ 3.00%" in text
    assert "rd_expenditure = 147.0万元 ≥ 100.0万元" in text
    assert "〔P3 测试政策 第8条(四) [U]〕" in text
    assert "研发投入强度：rd_ratio = 2.10% [≥ 2.00%] → 10分" in text
    assert "产品不属于禁止、限制或淘汰类" in text
    assert "企业无法改变" in text          # the sme / established / high_tech rules


def test_render_en_is_english(lib, tables):
    text = render(tree_of(lib, tables, "HIGHTECH"), lang="en")
    assert "Verdict: eligible (route: direct)" in text
    assert "exception applies: high_tech_waiver" in text
    assert "Benefit: 100,000 yuan" in text
    assert "结论" not in text


def test_render_unknown_names_the_missing_input(lib, tables):
    text = render(tree_of(lib, tables, "NORD"), lang="zh")
    assert "无法判定" in text and "缺失数据（导致无法判定）：rd_expenditure" in text


@pytest.mark.parametrize(("value", "unit", "lang", "text"), [
    (0.021, "share", "zh", "2.10%"), (630_000.0, "money", "zh", "63.0万元"), (1.5e8, "money", "zh", "1.50亿元"),
    (630_000.0, "money", "en", "630,000 yuan"), (None, "share", "zh", "缺失"), (True, "bool", "en", "yes"),
    (3.0, "years", "zh", "3年"),
])
def test_values_are_formatted_by_unit(value, unit, lang, text):
    assert format_value(value, unit, lang) == text
