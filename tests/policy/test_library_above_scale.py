"""规上 status (above_scale.yaml) and 小升规 candidates (small_to_above.yaml) against hand-built
enterprises (policy-methods.md §3): the registry flag decides 规上, the revenue test (主营业务收入
2000万元及以上) is reported beside it, the candidate lines at their boundaries, missing inputs."""

from __future__ import annotations

import pytest

from tests.policy.conftest import tables_from_rows
from zhizao.policy import evaluate, load_library

Y = 2024
LIB = load_library()


def run(policy_id, firms):
    """firms: (enterprise dict, this year's indicators, last year's indicators or None)."""
    ents, rows = [], []
    for i, (ent, cur, prev) in enumerate(firms):
        u = f"E{i}"
        ents.append({"uscc": u, "status": "operating", **ent})
        rows.append({"uscc": u, "year": Y, **cur})
        if prev is not None:
            rows.append({"uscc": u, "year": Y - 1, **prev})
    t = evaluate(tables_from_rows(ents, rows), LIB.get(policy_id, year=Y), year=Y, library=LIB)
    out = {r["uscc"]: r for r in t.to_pyarrow().to_pylist()}
    return [out[f"E{i}"] for i in range(len(firms))]


# --- above_scale ------------------------------------------------------------------------------

def test_registry_flag_decides_and_both_tests_are_reported():
    on_above, on_below, off_at, off_below = run("above_scale", [
        ({}, {"above_scale": True, "main_revenue": 2e7}, None),
        ({}, {"above_scale": True, "main_revenue": 19_999_999.0}, None),
        ({}, {"above_scale": False, "main_revenue": 2e7}, None),
        ({}, {"above_scale": False, "main_revenue": 19_999_999.0}, None),
    ])
    assert (on_above["verdict"], on_above["route"], on_above["rule_revenue_test"]) == ("eligible", "registry", True)
    assert (on_below["verdict"], on_below["rule_revenue_test"], on_below["rule_registered_below_line"]) == \
        ("eligible", False, True)
    assert (off_at["verdict"], off_at["rule_revenue_test"], off_at["rule_meets_line_not_registered"]) == \
        ("not_eligible", True, True)
    assert (off_below["verdict"], off_below["rule_revenue_test"], off_below["rule_meets_line_not_registered"]) == \
        ("not_eligible", False, False)
    assert on_above["var_gap_to_line"] == 0 and off_below["var_gap_to_line"] == 1


@pytest.mark.parametrize(("code", "industrial"), [("3451", True), ("0610", True), ("4411", True), ("7310", False)])
def test_only_industrial_units_sections_b_c_d(code, industrial):
    (r,) = run("above_scale", [({"industry_code": code}, {"above_scale": True, "main_revenue": 3e7}, None)])
    assert r["rule_industrial"] is industrial
    assert r["verdict"] == ("eligible" if industrial else "not_eligible")


def test_missing_registry_flag_is_unknown_and_named():
    (r,) = run("above_scale", [({}, {"above_scale": None, "main_revenue": 3e7}, None)])
    assert r["verdict"] == "unknown" and r["missing"] == "above_scale"
    assert r["rule_revenue_test"] is True


# --- small_to_above ---------------------------------------------------------------------------

def test_close_to_the_line_and_growing_is_a_candidate():
    at, below = run("small_to_above", [
        ({}, {"above_scale": False, "main_revenue": 1.5e7}, {"main_revenue": 1.4e7}),          # exactly 1500万
        ({}, {"above_scale": False, "main_revenue": 14_999_999.0}, {"main_revenue": 1.4e7}),
    ])
    assert (at["verdict"], at["route"]) == ("eligible", "near_line")
    assert at["var_gap_to_line"] == 5e6 and at["var_projected_main_revenue"] == pytest.approx(1.5e7 * 1.5e7 / 1.4e7)
    assert below["verdict"] == "not_eligible"


def test_no_growth_is_not_a_candidate():
    flat, shrinking = run("small_to_above", [
        ({}, {"above_scale": False, "main_revenue": 1.8e7}, {"main_revenue": 1.8e7}),
        ({}, {"above_scale": False, "main_revenue": 1.8e7}, {"main_revenue": 1.9e7}),
    ])
    assert flat["rule_growing"] is False and flat["verdict"] == "not_eligible"
    assert shrinking["verdict"] == "not_eligible"


def test_already_at_the_line_but_not_registered_is_a_candidate_whatever_the_growth():
    (r,) = run("small_to_above", [({}, {"above_scale": False, "main_revenue": 2e7}, None)])
    assert (r["verdict"], r["route"]) == ("eligible", "at_line")


def test_registered_closed_or_non_industrial_units_are_not_candidates():
    reg, closed, services = run("small_to_above", [
        ({}, {"above_scale": True, "main_revenue": 1.8e7}, {"main_revenue": 1.6e7}),
        ({"status": "closed"}, {"above_scale": False, "main_revenue": 1.8e7}, {"main_revenue": 1.6e7}),
        ({"industry_code": "7310"}, {"above_scale": False, "main_revenue": 1.8e7}, {"main_revenue": 1.6e7}),
    ])
    assert [x["verdict"] for x in (reg, closed, services)] == ["not_eligible"] * 3


def test_missing_last_year_is_unknown_and_names_the_lag():
    (r,) = run("small_to_above", [({}, {"above_scale": False, "main_revenue": 1.8e7}, None)])
    assert r["rule_growing"] is None and r["verdict"] == "unknown"
    assert r["missing"] == "main_revenue@-1"


def test_missing_status_is_unknown_and_named():
    (r,) = run("small_to_above", [({"status": None}, {"above_scale": False, "main_revenue": 2.1e7}, None)])
    assert r["verdict"] == "unknown" and "status" in r["missing"].split(";")


def test_sources_are_tagged():
    for pid in ("above_scale", "small_to_above"):
        p = LIB[pid]
        for it in [p, *p.rules, *p.variables.values(), *p.not_decidable]:
            assert any(tag in it.source for tag in ("[C]", "[C-3p]", "[U]")), it
