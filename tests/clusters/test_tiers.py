"""Tiers: the first tier from the top whose rule holds, the rule that placed it, why not the next."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from zhizao.clusters.method import load_clusters, load_tier_criteria, parse_tier_criteria
from zhizao.clusters.profile import cluster_profiles
from zhizao.clusters.tiers import TIER_COLUMNS, assign_tiers

_CRIT = """
id: t
name_zh: 测试
name_en: test
source: test
scaling: {kind: %s, reference: 1000, unit: 亿元, source: test}
tiers:
  - id: world_class
    name_zh: 世界级
    name_en: world-class
    rules:
      - id: trillion
        source: src-wc
        conditions: [{metric: above_scale_revenue, op: ">=", value: 10000, unit: 亿元, scaled: true, source: s}]
  - id: provincial
    name_zh: 省级
    name_en: provincial
    rules:
      - id: big
        source: src-p
        conditions: [{metric: above_scale_revenue, op: ">=", value: 1000, unit: 亿元, scaled: true, source: s}]
  - id: new_star
    name_zh: 新星
    name_en: new star
    rules:
      - id: growing
        source: src-g
        conditions:
          - {metric: above_scale_revenue, op: ">=", value: 100, unit: 亿元, scaled: true, source: s}
          - {metric: revenue_cagr, op: ">=", value: 10, unit: "%%", source: s}
      - id: specialised
        source: src-s
        conditions:
          - {metric: above_scale_revenue, op: ">=", value: 100, unit: 亿元, scaled: true, source: s}
          - {metric: lq, op: ">=", value: 2, source: s}
          - {metric: revenue_cagr, op: ">=", value: 0, unit: "%%", source: s}
"""


def _profiles(rev, cagr, lq, claimed=None, prov=1000e8):
    n = len(rev)
    return pa.table({
        "cluster_id": [f"c{k}" for k in range(n)], "name_zh": ["x"] * n, "name_en": ["x"] * n,
        "region_code": ["all"] * n, "scope": ["cluster"] * n,
        "tier_claimed": pa.array(claimed or [None] * n, pa.string()),
        "above_scale_revenue": pa.array(rev, pa.float64()), "revenue_cagr": pa.array(cagr, pa.float64()),
        "lq": pa.array(lq, pa.float64()), "province_above_scale_revenue": pa.array([prov] * n, pa.float64()),
    })


def _tiers(prof, kind="none"):
    return {r["cluster_id"]: r for r in assign_tiers(prof, parse_tier_criteria(_CRIT % kind)).to_pylist()}


def test_each_cluster_takes_the_highest_tier_it_reaches():
    p = _profiles([2e12, 2e11, 2e10, 2e10, 2e10, 5e9], [0.0, 0.0, 0.15, 0.05, -0.01, 0.5], [1, 1, 1, 3, 3, 9])
    t = _tiers(p)
    assert [t[f"c{k}"]["tier"] for k in range(6)] == \
        ["world_class", "provincial", "new_star", "new_star", "none", "none"]
    assert [t[f"c{k}"]["rule"] for k in range(6)] == ["trillion", "big", "growing", "specialised", None, None]
    assert t["c3"]["rule_source"] == "src-s"
    assert list(assign_tiers(p, parse_tier_criteria(_CRIT % "none")).column_names) == list(TIER_COLUMNS)


def test_evidence_gives_values_against_thresholds():
    t = _tiers(_profiles([2e10], [0.15], [1.0]))
    assert t["c0"]["evidence"] == "规上营业收入 200.00亿元 ≥ 100.00亿元；营业收入年均增速 15.0% ≥ 10.0%"


def test_why_the_next_tier_up_was_missed():
    t = _tiers(_profiles([2e10, 2e11, 2e12], [0.15, 0.0, 0.0], [1, 1, 1]))
    assert t["c0"]["next_tier"] == "provincial"
    assert t["c0"]["next_tier_missing"] == "规上营业收入 200.00亿元，需 ≥ 1000.00亿元"
    assert t["c1"]["next_tier"] == "world_class"
    assert t["c2"]["next_tier"] is None and t["c2"]["next_tier_missing"] is None


def test_below_every_tier_names_the_closest_new_star_rule():
    # rule "growing" misses 2 conditions, rule "specialised" misses only the revenue: it is closer
    t = _tiers(_profiles([5e9], [0.05], [3.0]))
    assert t["c0"]["tier"] == "none" and t["c0"]["next_tier"] == "new_star"
    assert t["c0"]["next_tier_missing"] == "规上营业收入 50.00亿元，需 ≥ 100.00亿元"


def test_a_missing_value_fails_its_condition():
    t = _tiers(_profiles([2e10], [None], [5.0]))
    assert t["c0"]["tier"] == "none"
    assert "无数据" in t["c0"]["next_tier_missing"]


def test_thresholds_scale_with_the_province():
    # the province has 100亿 of 规上 revenue against a reference of 1000亿: thresholds × 0.1
    p = _profiles([2e9], [0.2], [1.0], prov=100e8)
    t = _tiers(p, kind="province_above_scale_revenue")
    assert t["c0"]["scale_factor"] == pytest.approx(0.1)
    assert t["c0"]["tier"] == "new_star"                 # 20亿 ≥ 100亿 × 0.1
    assert "≥ 10.00亿元" in t["c0"]["evidence"]
    assert _tiers(p)["c0"]["tier"] == "none"             # unscaled


def test_matches_claim_compares_with_the_official_tier():
    t = _tiers(_profiles([2e12, 2e10], [0.0, 0.2], [1, 1], claimed=["world_class", "provincial"]))
    assert t["c0"]["matches_claim"] is True and t["c1"]["matches_claim"] is False
    assert _tiers(_profiles([2e12], [0.0], [1]))["c0"]["matches_claim"] is None


def test_synthetic_province_county_clusters_are_new_stars_or_below(c_profiles):
    t = assign_tiers(c_profiles, load_tier_criteria("tiers-zhejiang")).to_pylist()
    assert len(t) == 15
    assert {r["tier"] for r in t} <= {"new_star", "none"}    # county clusters stay below 千亿 (scaled)
    for r in t:
        assert (r["rule"] is None) == (r["tier"] == "none")
        assert r["next_tier_missing"]
    assert np.isclose(t[0]["scale_factor"], c_profiles.column("province_above_scale_revenue")[0].as_py() / 97968e8)


def test_415x_groups_on_the_synthetic_province(c_tables):
    prof = cluster_profiles(c_tables, load_clusters("zhejiang-415x"), year=2024, base_year=2022)
    t = {r["cluster_id"]: r for r in assign_tiers(prof, load_tier_criteria("tiers-zhejiang")).to_pylist()}
    # 高端装备 (divisions 34–38, 40) holds far more than 1/10 of the province's 规上 revenue
    assert t["high_end_equipment"]["tier"] == "world_class"
    assert t["high_end_equipment"]["matches_claim"] is True
    assert t["smart_pv"]["tier"] != "world_class"
