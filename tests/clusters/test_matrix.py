"""Region × industry matrices from the warehouse: hand-made tables, the synthetic province, Spark parity."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from tests.clusters.conftest import c_small_tables
from zhizao.clusters.concentration import firm_concentration
from zhizao.clusters.matrix import build_matrix, firm_cells


@pytest.fixture
def small():
    ent = [
        {"uscc": "a", "region_code": "330681", "industry_code": "1763"},
        {"uscc": "b", "region_code": "330681", "industry_code": "1762"},
        {"uscc": "c", "region_code": "330602", "industry_code": "3451"},
        {"uscc": "d", "region_code": "330102", "industry_code": "3452"},
    ]
    ind = [
        {"uscc": "a", "employees": 10, "revenue": 100.0, "above_scale": True},
        {"uscc": "b", "employees": 5, "revenue": 50.0, "above_scale": False},
        {"uscc": "c", "employees": 7, "revenue": None, "above_scale": True},
        {"uscc": "d", "employees": 3, "revenue": 30.0, "above_scale": True},
        {"uscc": "a", "year": 2022, "employees": 8, "revenue": 80.0},
    ]
    return c_small_tables(ent, ind)


def test_county_by_division_sums_employees(small):
    m = build_matrix(small, years=[2024])
    assert m.regions == ("330102", "330602", "330681") and m.industries == ("17", "34")
    # 330681: a (1763) 10 + b (1762) 5 = 15 in division 17; 330602: c 7 in 34; 330102: d 3 in 34
    assert m.values.tolist() == [[[0.0, 3.0], [0.0, 7.0], [15.0, 0.0]]]


def test_prefecture_by_class(small):
    m = build_matrix(small, years=[2024], region_level="prefecture", industry_level="class")
    assert m.regions == ("330100", "330600")
    assert m.industries == ("1762", "1763", "3451", "3452")
    assert m.values[0].tolist() == [[0, 0, 0, 3], [5, 10, 7, 0]]


def test_group_level_uses_three_digits(small):
    m = build_matrix(small, years=[2024], industry_level="group")
    assert m.industries == ("176", "345")


def test_a_missing_figure_counts_as_zero(small):
    m = build_matrix(small, years=[2024], measure="revenue")
    assert m.values[0, m.regions.index("330602"), m.industries.index("34")] == 0.0


def test_firms_counts_enterprises_with_indicators(small):
    m = build_matrix(small, years=[2024], measure="firms")
    assert m.values[0].sum() == 4.0
    assert m.values[0, m.regions.index("330681"), 0] == 2.0


def test_above_scale_only_and_region_prefix_filter(small):
    m = build_matrix(small, years=[2024], above_scale_only=True, region_prefix="3306")
    assert m.regions == ("330602", "330681")
    assert m.values[0].tolist() == [[0.0, 7.0], [10.0, 0.0]]  # b (规下) left out


def test_years_stack_on_the_leading_axis_with_zero_for_a_year_without_data(small):
    m = build_matrix(small, years=[2024, 2022, 2023], measure="revenue")
    assert m.years == (2022, 2023, 2024)
    assert m.values.shape == (3, 3, 2)
    assert m.year(2022)[m.regions.index("330681")].tolist() == [80.0, 0.0]
    assert not m.year(2023).any()
    with pytest.raises(KeyError):
        m.year(2030)


def test_unknown_measure_is_refused(small):
    with pytest.raises(ValueError, match="measure"):
        build_matrix(small, years=[2024], measure="profit")


def test_to_long_lists_the_non_zero_cells(small):
    t = build_matrix(small, years=[2024]).to_long()
    assert sorted(zip(t.column("region").to_pylist(), t.column("value").to_pylist())) == \
        [("330102", 3.0), ("330602", 7.0), ("330681", 15.0)]


def test_firm_cells_follow_the_matrix_axes_and_feed_firm_concentration(small):
    m = build_matrix(small, years=[2024], measure="revenue")
    fc = firm_cells(small, year=2024, measure="revenue", matrix=m)
    assert fc.n_cells == 6
    conc = firm_concentration(fc.cell, fc.values, fc.n_cells, top=(1,))
    cell = m.regions.index("330681") * len(m.industries) + m.industries.index("17")
    # shares 100/150 and 50/150: HHI = (2/3)² + (1/3)² = 5/9, top-1 = 2/3
    assert conc.hhi[cell] == pytest.approx(5 / 9)
    assert conc.top_share[1][cell] == pytest.approx(2 / 3)
    assert np.allclose(conc.total.reshape(m.values[0].shape), m.values[0])


def test_matrix_totals_match_the_indicators_on_the_synthetic_province(c_tables, c_data):
    m = build_matrix(c_tables, years=[2022, 2023, 2024], measure="revenue", industry_level="class")
    ind = c_data["indicators"]
    for k, y in enumerate(m.years):
        want = pc.sum(ind.filter(pc.equal(ind.column("year"), y)).column("revenue")).as_py()
        assert m.values[k].sum() == pytest.approx(want, rel=1e-12)
    assert len(m.regions) > 50 and all(len(r) == 6 for r in m.regions)


def test_duckdb_warehouse_gives_the_same_matrix_as_memtables(c_tables, c_wh_path):
    from zhizao.data import store

    a = build_matrix(c_tables, years=[2024], measure="employees", region_level="prefecture")
    with store.open_warehouse(c_wh_path, read_only=True) as wh:
        b = build_matrix(wh.tables(), years=[2024], measure="employees", region_level="prefecture")
    assert a.regions == b.regions and a.industries == b.industries
    assert np.array_equal(a.values, b.values)


@pytest.fixture(scope="module")
def c_spark_wh(spark_session, c_data):
    """The synthetic province in the Spark catalog (one use of the session's Spark)."""
    from zhizao.data import store

    wh = store.open_spark_warehouse(spark_session)
    for name in ("enterprises", "indicators"):
        wh.replace(name, c_data[name])
    return wh


@pytest.mark.spark
@pytest.mark.slow
def test_spark_builds_the_same_matrices_and_firm_cells_as_duckdb(c_spark_wh, c_wh_path):
    from zhizao.data import store

    kw = [{"measure": "revenue", "industry_level": "class"},
          {"measure": "firms", "region_level": "prefecture", "industry_level": "division", "above_scale_only": True},
          {"measure": "value_added", "industry_level": "group", "region_prefix": "3306"}]
    with store.open_warehouse(c_wh_path, read_only=True) as duck:
        for k in kw:
            d = build_matrix(duck.tables(), years=[2022, 2024], **k)
            s = build_matrix(c_spark_wh.tables(), years=[2022, 2024], **k)
            assert (d.regions, d.industries, d.years) == (s.regions, s.industries, s.years)
            assert np.allclose(d.values, s.values, rtol=1e-12, atol=1e-6)
        fd = firm_cells(duck.tables(), year=2024)
        fs = firm_cells(c_spark_wh.tables(), year=2024)
    assert np.array_equal(fd.uscc, fs.uscc) and np.array_equal(fd.cell, fs.cell)
    assert np.allclose(fd.values, fs.values)
