"""Gap-to-qualify (helper P3): the smallest changes for one enterprise, the rules it cannot
change, the points it lacks, and the same for many enterprises as one Ibis expression.

Uses P3's own test policies (tests/policy/fixtures_p3); the numbers are worked out there.
"""

from __future__ import annotations

import json

import ibis
import pytest

from tests.policy.fixtures_p3 import YEAR, p3_library, p3_tables, uscc
from zhizao.policy import evaluate
from zhizao.policy.explain import explain
from zhizao.policy.gap import GAP_COLUMNS, gap, gap_table, render_gap


@pytest.fixture(scope="module")
def lib():
    return p3_library()


@pytest.fixture(scope="module")
def tables():
    return p3_tables()


def gap_of(lib, tables, key, pid="p3_grant"):
    tree = explain(tables, lib[pid], uscc=uscc(key), year=YEAR, library=lib)
    return gap(tree, lib[pid])


def test_an_eligible_enterprise_has_no_gap(lib, tables):
    g = gap_of(lib, tables, "BASE")
    assert g["qualifies"] and g["floor"] == [] and g["routes"] == []
    assert render_gap(g) == "已符合，无差距。"


def test_a_ratio_below_its_threshold_needs_the_difference_and_the_numerator_change(lib, tables):
    g = gap_of(lib, tables, "RDGAP")
    assert not g["qualifies"] and g["reachable"] and g["fixed"] == []
    (item,) = g["floor"]
    assert item["rule"] == "rd_min"
    (ch,) = item["changes"]                          # rd_expenditure ≥ 100万 already holds
    assert ch["kind"] == "threshold" and ch["input"] == "rd_ratio" and ch["op"] == ">="
    assert ch["current"] == pytest.approx(0.021) and ch["needed"] == 0.03
    assert ch["delta"] == pytest.approx(0.009)
    assert ch["hint"]["numerator"] == "rd_expenditure" and ch["hint"]["denominator"] == "revenue"
    assert ch["hint"]["numerator_delta"] == pytest.approx(630_000.0)     # 3% × 7000万 − 147万
    assert ch["changeable"] is True
    assert g["routes"] == []                         # the score route passes: only the floor is missing


def test_the_gap_text_reads_like_the_issue_example(lib, tables):
    text = render_gap(gap_of(lib, tables, "RDGAP"), lang="zh")
    assert "rd_ratio 2.10% → 需 ≥ 3.00%：+0.90 个百分点" in text
    assert "约增加 研发费用 rd_expenditure 63.0万元" in text
    en = render_gap(gap_of(lib, tables, "RDGAP"), lang="en")
    assert "rd_ratio 2.10% → needs ≥ 3.00%: +0.90 pt, about 630,000 yuan more R&D expenditure rd_expenditure" in en


def test_a_failed_rule_the_enterprise_cannot_change_is_reported_as_fixed(lib, tables):
    g = gap_of(lib, tables, "YOUNG")
    assert [f["rule"] for f in g["fixed"]] == ["established"]
    assert g["reachable"] is False
    (item,) = g["floor"]
    assert item["changes"][0]["changeable"] is False
    assert "企业无法改变的未满足条件：成立满2年" in render_gap(g)


def test_missing_data_is_asked_for_not_guessed(lib, tables):
    g = gap_of(lib, tables, "NORD")
    assert g["missing"] == ["rd_expenditure"]
    (item,) = g["floor"]
    assert item["status"] == "unknown" and item["changes"] == [
        {"kind": "missing", "inputs": ["rd_expenditure"], "text": "rd_expenditure >= 1000000 and rd_ratio >= 0.03"}]
    score = next(r for r in g["routes"] if r["route"] == "score")
    assert score["points"]["score"] is None and score["points"]["missing"] == ["rd_expenditure"]


def test_when_no_route_passes_each_route_is_an_alternative(lib, tables):
    g = gap_of(lib, tables, "SCORE")
    assert g["floor"] == [] and g["reachable"]
    routes = {r["route"]: r for r in g["routes"]}
    (opts,) = routes["direct"]["changes"]
    assert opts["kind"] == "options" and opts["need"] == 1
    by_rule = {o["rule"]: o["changes"] for o in opts["options"]}
    assert by_rule["high_tech"][0]["changeable"] is False                 # high-tech status: cannot change
    eq = by_rule["equity"][0]
    assert eq["input"] == "new_equity_financing" and eq["needed"] == 5_000_000 and eq["delta"] == 5_000_000
    assert routes["direct"]["feasible"] is True


def test_the_score_route_gets_the_cheapest_bands_that_reach_the_pass_mark_and_minimums(lib, tables):
    g = gap_of(lib, tables, "SCORE")
    p = next(r for r in g["routes"] if r["route"] == "score")["points"]
    assert p["score"] == 20 and p["pass"] == 45 and p["deficit"] == 25
    assert {d["id"]: d["deficit"] for d in p["dimension_deficits"]} == {"innovation": 5, "growth": 5}
    climbs = sorted(p["climbs"], key=lambda c: c["table"])
    assert [(c["table"], c["from_points"], c["to_points"]) for c in climbs] == [
        ("debt_points", 0, 5), ("ip_points", 0, 20)]
    debt = climbs[0]
    assert debt["needed"] == 0.75 and debt["current"] == pytest.approx(0.8) and debt["delta"] == pytest.approx(-0.05)
    assert sum(c["gain"] for c in climbs) >= p["deficit"]
    text = render_gap(g)
    assert "当前 20 分，及格 45 分，差 25 分（创新能力差 5 分，成长性差 5 分）" in text
    assert "资产负债率：debt_ratio 80.00% → ≤ 75.00%，0 → 5 分（+5）" in text


def test_a_required_policy_appears_as_a_step(lib, tables):
    g = gap_of(lib, tables, "RDGAP", "p3_topup")
    (item,) = g["floor"]
    assert item["rule"] == "has_grant" and item["changes"] == [
        {"kind": "policy", "policy": "p3_grant", "text": 'policy("p3_grant")', "changeable": True}]


def test_a_required_policy_out_of_reach_makes_the_step_fixed(lib, tables):
    tree = explain(tables, lib["p3_topup"], uscc=uscc("YOUNG"), year=YEAR, library=lib)
    g = gap(tree, lib["p3_topup"], reachable={"p3_grant": False})
    assert g["floor"][0]["changes"][0]["changeable"] is False
    assert [f["rule"] for f in g["fixed"]] == ["has_grant"] and g["reachable"] is False


def test_the_gap_is_plain_json(lib, tables):
    g = gap_of(lib, tables, "SCORE")
    assert json.loads(json.dumps(g, ensure_ascii=False)) == g


# --- many enterprises -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gaps(lib, tables):
    ev = evaluate(tables, lib["p3_grant"], year=YEAR, library=lib)
    expr = gap_table(ev, lib["p3_grant"], tables, year=YEAR)
    return expr, expr.to_pyarrow().to_pylist()


def test_gap_table_is_one_lazy_ibis_expression(gaps):
    expr, _ = gaps
    assert isinstance(expr, ibis.Table)
    assert tuple(expr.columns) == GAP_COLUMNS


def test_gap_table_has_the_same_threshold_change_as_the_single_enterprise_gap(gaps, lib, tables):
    _, rows = gaps
    (r,) = [r for r in rows if r["uscc"] == uscc("RDGAP")]
    assert (r["rule_id"], r["role"], r["kind"], r["input"], r["op"]) == ("rd_min", "floor", "threshold", "rd_ratio", ">=")
    assert r["current"] == pytest.approx(0.021) and r["needed"] == 0.03 and r["change"] == pytest.approx(0.009)
    assert r["numerator"] == "rd_expenditure" and r["numerator_change"] == pytest.approx(630_000.0)
    single = gap_of(lib, tables, "RDGAP")["floor"][0]["changes"][0]
    assert r["numerator_change"] == pytest.approx(single["hint"]["numerator_delta"])


def test_gap_table_marks_fixed_floor_rules_and_route_alternatives(gaps):
    _, rows = gaps
    young = [(r["rule_id"], r["role"], r["kind"]) for r in rows if r["uscc"] == uscc("YOUNG")]
    assert young == [("established", "floor", "fixed")]       # its routes pass: no route rows
    score = sorted((r["rule_id"], r["role"], r["kind"]) for r in rows if r["uscc"] == uscc("SCORE"))
    assert score == [("equity", "route:direct", "threshold"), ("high_tech", "route:direct", "fixed"),
                     ("score", "route:score", "points")]
    pts = next(r for r in rows if r["uscc"] == uscc("SCORE") and r["kind"] == "points")
    assert (pts["current"], pts["needed"], pts["change"]) == (20.0, 45.0, 25.0)


def test_gap_table_leaves_out_eligible_and_unknown_enterprises(gaps):
    _, rows = gaps
    firms = {r["uscc"] for r in rows}
    assert uscc("BASE") not in firms and uscc("HIGHTECH") not in firms and uscc("NORD") not in firms
