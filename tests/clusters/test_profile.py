"""Cluster profiles: hand-computed figures on a few firms, then the synthetic province."""

from __future__ import annotations

import math

import pyarrow.compute as pc
import pytest

from tests.clusters.conftest import c_small_tables
from zhizao.clusters.method import (
    ClusterDef,
    ClusterSet,
    IndustryMapping,
    load_clusters,
)
from zhizao.clusters.profile import BENCHMARK_ID, PROFILE_COLUMNS, cluster_profiles


def _set():
    return ClusterSet(
        id="t", name_zh="测试", name_en="test", province="330000", source="test",
        clusters=[
            ClusterDef(id="socks", name_zh="袜业", name_en="socks", regions=["330681"], source="t",
                       industries=[IndustryMapping(code="1763", note="socks")]),
            ClusterDef(id="pharma", name_zh="医药", name_en="pharma", regions=["330681", "330602"], source="t",
                       tier_claimed="provincial",
                       industries=[IndustryMapping(code="27", note="pharma"),
                                   IndustryMapping(code="2710", note="overlaps 27 on purpose")]),
        ])


@pytest.fixture(scope="module")
def prof():
    ent = [
        {"uscc": "a", "region_code": "330681", "industry_code": "1763", "certified_tier": "specialized"},
        {"uscc": "b", "region_code": "330681", "industry_code": "1763"},
        {"uscc": "c", "region_code": "330681", "industry_code": "1763"},
        {"uscc": "d", "region_code": "330681", "industry_code": "2710"},
        {"uscc": "e", "region_code": "330602", "industry_code": "2720"},
        {"uscc": "f", "region_code": "330602", "industry_code": "3451"},
        {"uscc": "g", "region_code": "330102", "industry_code": "1763"},
    ]
    f = dict
    ind = [
        f(uscc="a", revenue=600.0, employees=30, value_added=120.0, profit=30.0, rd_expenditure=6.0,
          invention_patents=0, new_product_revenue=60.0, gross_output=600.0, above_scale=True),
        f(uscc="b", revenue=300.0, employees=20, value_added=60.0, profit=9.0, invention_patents=1,
          gross_output=300.0, above_scale=False),
        f(uscc="c", revenue=100.0, employees=10, value_added=20.0, profit=1.0, rd_expenditure=1.0,
          new_product_revenue=10.0, above_scale=False),
        f(uscc="d", revenue=1000.0, employees=50, value_added=400.0, profit=100.0, rd_expenditure=50.0,
          invention_patents=5, new_product_revenue=200.0, gross_output=1000.0),
        f(uscc="e", revenue=500.0, employees=25, value_added=150.0, profit=50.0, rd_expenditure=20.0,
          invention_patents=2, new_product_revenue=100.0, gross_output=500.0),
        f(uscc="f", revenue=500.0, employees=25, value_added=100.0, profit=20.0, gross_output=500.0),
        f(uscc="g", revenue=200.0, employees=40, value_added=40.0, profit=2.0, gross_output=200.0),
        f(uscc="a", year=2022, revenue=400.0, employees=25),
        f(uscc="b", year=2022, revenue=200.0, employees=20),
        f(uscc="d", year=2022, revenue=800.0, employees=50),
        f(uscc="e", year=2022, revenue=400.0, employees=20),
    ]
    t = cluster_profiles(c_small_tables(ent, ind), _set(), year=2024, base_year=2022)
    return {(r["cluster_id"], r["region_code"]): r for r in t.to_pylist()}, t


def test_columns_are_the_documented_ones(prof):
    assert tuple(prof[1].column_names) == PROFILE_COLUMNS


def test_rows_are_clusters_their_regions_and_the_benchmark(prof):
    rows = {(c, r, v["scope"]) for (c, r), v in prof[0].items()}
    assert rows == {("socks", "330681", "cluster"), ("pharma", "330681;330602", "cluster"),
                    ("pharma", "330681", "region"), ("pharma", "330602", "region"),
                    (BENCHMARK_ID, "all", "benchmark")}


def test_sizes_of_a_cluster(prof):
    s = prof[0][("socks", "330681")]
    assert (s["firms"], s["above_scale_firms"], s["employees"]) == (3, 1, 60.0)
    assert (s["revenue"], s["above_scale_revenue"], s["output"]) == (1000.0, 600.0, 900.0)  # c has no output
    assert s["value_added"] == 200.0 and s["profit"] == 40.0
    assert s["province_revenue"] == 3200.0 and s["revenue_share"] == pytest.approx(1000 / 3200)


def test_ratios_use_only_firms_that_report_both_figures(prof):
    s = prof[0][("socks", "330681")]
    assert s["rd_intensity"] == pytest.approx((6 + 1) / (600 + 100))                 # b reports no R&D
    assert s["invention_patents_per_10k"] == pytest.approx(1 / (30 + 20) * 10_000)  # c reports no patents
    assert s["new_product_share"] == pytest.approx(70 / 700)
    assert s["va_per_employee"] == pytest.approx(200 / 60)
    assert s["profit_margin"] == pytest.approx(40 / 1000)
    assert s["high_tech_share"] == 0.0
    assert s["specialised_firms"] == 1 and s["specialised_share"] == pytest.approx(1 / 3)


def test_location_quotient_against_the_province(prof):
    # socks: 1000 of its county's 2000, against 1763's 1200 of the province's 3200
    assert prof[0][("socks", "330681")]["lq"] == pytest.approx((1000 / 2000) / (1200 / 3200))
    # employees: 60 of 110 in 330681, against 100 of 200
    assert prof[0][("socks", "330681")]["lq_employees"] == pytest.approx((60 / 110) / (100 / 200))
    # pharma over both counties: 1500 of 3000, against 1500 of 3200
    assert prof[0][("pharma", "330681;330602")]["lq"] == pytest.approx(0.5 / (1500 / 3200))


def test_firm_concentration_and_leading_firms(prof):
    s = prof[0][("socks", "330681")]
    assert s["hhi"] == pytest.approx(0.6 ** 2 + 0.3 ** 2 + 0.1 ** 2)
    assert s["top4_share"] == pytest.approx(1.0)
    assert s["leading_usccs"] == "a；b；c" and s["leading_firms"] == "企业a；企业b；企业c"
    assert s["top5_revenue_mean"] == pytest.approx(1000 / 3)


def test_growth_from_the_base_year(prof):
    s = prof[0][("socks", "330681")]
    assert s["revenue_base"] == 600.0 and s["base_year"] == 2022
    assert s["revenue_growth"] == pytest.approx(1000 / 600 - 1)
    assert s["revenue_cagr"] == pytest.approx(math.sqrt(1000 / 600) - 1)
    assert s["employees_growth"] == pytest.approx(60 / 45 - 1)


def test_a_firm_matched_by_two_prefixes_counts_once(prof):
    p = prof[0][("pharma", "330681;330602")]
    assert p["firms"] == 2 and p["revenue"] == 1500.0
    assert prof[0][("pharma", "330681")]["revenue"] == 1000.0
    assert prof[0][("pharma", "330602")]["revenue"] == 500.0
    assert p["high_tech_share"] == 1.0 and p["tier_claimed"] == "provincial"


def test_benchmark_is_all_manufacturing_without_firm_level_columns(prof):
    b = prof[0][(BENCHMARK_ID, "all")]
    assert b["firms"] == 7 and b["revenue"] == 3200.0 and b["lq"] == pytest.approx(1.0)
    assert b["va_per_employee"] == pytest.approx(890 / 200)
    assert b["hhi"] is None and b["leading_firms"] is None


def test_without_base_year_growth_is_null():
    ent = [{"uscc": "a"}]
    t = cluster_profiles(c_small_tables(ent, [{"uscc": "a", "revenue": 5.0, "employees": 1}]), _set(), year=2024)
    row = t.filter(pc.equal(t.column("cluster_id"), "socks")).to_pylist()[0]
    assert row["base_year"] is None and row["revenue_growth"] is None and row["revenue"] == 5.0


def test_synthetic_province_profiles_its_fifteen_clusters(c_profiles):
    clusters = c_profiles.filter(pc.equal(c_profiles.column("scope"), "cluster"))
    assert clusters.num_rows == 15
    assert all(v > 0 for v in clusters.column("revenue").to_pylist())
    assert all(v > 1 for v in clusters.column("lq").to_pylist())  # planted: specialised in their county


def test_zhuji_socks_is_less_productive_than_provincial_manufacturing(c_profiles):
    rows = {r["cluster_id"]: r for r in c_profiles.to_pylist()}
    socks, bench = rows["zhuji_socks"], rows[BENCHMARK_ID]
    assert socks["va_per_employee"] < 0.6 * bench["va_per_employee"]   # planted productivity ×0.45
    assert socks["rd_intensity"] < bench["rd_intensity"]


def test_415x_clusters_profile_on_the_synthetic_province(c_tables):
    t = cluster_profiles(c_tables, load_clusters("zhejiang-415x"), year=2024)
    clusters = t.filter(pc.equal(t.column("scope"), "cluster"))
    assert clusters.num_rows == 17  # 18 listed, software not profiled
    rows = {r["cluster_id"]: r for r in clusters.to_pylist()}
    assert rows["high_end_equipment"]["revenue"] > rows["smart_pv"]["revenue"]
    assert rows["new_generation_it"]["lq"] == pytest.approx(1.0)  # the whole province
