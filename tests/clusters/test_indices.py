"""The indices table (zhizao.clusters.indices): the kernels assembled per year, hand-checked cells."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from zhizao.clusters.complexity import complexity
from zhizao.clusters.indices import indices_tables
from zhizao.clusters.matrix import RegionIndustryMatrix
from zhizao.clusters.specialisation import location_quotient

# two years, regions A B C, classes 1311 1312 (division 13) and 1711 (division 17)
X = np.array([
    [[10., 0, 10], [0, 20, 0], [5, 5, 10]],
    [[12., 0, 8], [0, 30, 0], [5, 5, 10]],
])
M = RegionIndustryMatrix(X, (2023, 2024), ("A", "B", "C"), ("1311", "1312", "1711"), "employees", "county", "class")


@pytest.fixture(scope="module")
def t():
    return indices_tables(M, base_year=2023)


def rows(table, **where):
    out = table.to_pylist()
    return [r for r in out if all(r[k] == v for k, v in where.items())]


def test_one_row_per_year_region_industry_and_per_year_region_and_industry(t):
    assert (t.cells.num_rows, t.regions.num_rows, t.industries.num_rows) == (18, 6, 6)
    for table in (t.cells, t.regions, t.industries):   # each says what the matrix counted
        assert set(table.column("measure").to_pylist()) == {"employees"}
        assert set(table.column("industry_level").to_pylist()) == {"class"}


def test_location_quotient_by_hand(t):
    # 2023: A has 10 of its 20 in 1311 (0.5); the province 15 of 60 (0.25) → LQ 2
    (r,) = rows(t.cells, year=2023, region_code="A", industry_code="1311")
    assert r["lq"] == pytest.approx(2.0) and r["mcp"] == 1.0
    assert r["share_of_region"] == pytest.approx(0.5) and r["share_of_industry"] == pytest.approx(10 / 15)


def test_shift_share_by_hand_and_components_add_up(t):
    # province 60 → 70 (G = 1/6); industry 1312 25 → 35 (g = 0.4); B: 20 → 30
    (r,) = rows(t.cells, year=2024, region_code="B", industry_code="1312")
    assert r["value_base"] == 20.0 and r["growth"] == pytest.approx(0.5)
    assert r["ss_national"] == pytest.approx(20 / 6)
    assert r["ss_industry_mix"] == pytest.approx(20 * (0.4 - 1 / 6))
    assert r["ss_competitive"] == pytest.approx(30 - 20 * 1.4)
    later = t.cells.filter(pc.equal(t.cells["year"], 2024)).to_pylist()
    for c in later:
        assert c["ss_national"] + c["ss_industry_mix"] + c["ss_competitive"] == pytest.approx(c["value"] - c["value_base"])
    # the base year has no growth columns
    assert all(c["growth"] is None for c in rows(t.cells, year=2023))


def test_cells_carry_the_kernels_values(t):
    lq = location_quotient(X)
    c = complexity(X)
    got = np.array(t.cells.column("lq").to_pylist(), dtype=float).reshape(X.shape)
    np.testing.assert_allclose(got, lq, equal_nan=True)
    dens = np.array(t.cells.column("density").to_pylist(), dtype=float).reshape(X.shape)
    np.testing.assert_allclose(dens, c.density, equal_nan=True)
    eci = np.array(t.regions.column("eci").to_pylist(), dtype=float).reshape(2, 3)
    np.testing.assert_allclose(eci, c.eci, equal_nan=True)


def test_related_and_unrelated_variety_use_the_divisions_of_classes(t):
    # C 2023: 1311 5, 1312 5, 1711 10 → divisions 13: 0.5, 17: 0.5 → unrelated = 1 bit;
    # within 13 two equal classes (1 bit) weighted 0.5, within 17 one class (0) → related 0.5
    (r,) = rows(t.regions, year=2023, region_code="C")
    assert r["unrelated_variety"] == pytest.approx(1.0)
    assert r["related_variety"] == pytest.approx(0.5)
    assert r["entropy"] == pytest.approx(1.5)


def test_entry_and_exit_of_specialisations_between_the_years():
    Y = X.copy()
    Y[1, 1, 2] = 40.0              # B enters 1711 in 2024 (RCA ≥ 1)
    t = indices_tables(RegionIndustryMatrix(Y, M.years, M.regions, M.industries, "employees", "county", "class"),
                       base_year=2023)
    (r,) = rows(t.cells, year=2024, region_code="B", industry_code="1711")
    assert r["entry"] == 1.0 and r["exit"] is None


def test_a_base_year_outside_the_matrix_is_refused():
    with pytest.raises(ValueError, match="base year 2020"):
        indices_tables(M, base_year=2020)


def test_firm_concentration_per_cell_by_hand():
    from zhizao.clusters.matrix import FirmCells

    # 2024, A × 1311 has three firms 6, 3, 3 → shares ½, ¼, ¼: HHI 0.375, top-1 ½; B × 1312 one firm
    fc = FirmCells(uscc=np.array(["a", "b", "c", "d"]), name=np.array(["A", "B", "C", "D"]),
                   cell=np.array([0, 0, 0, 4]), values=np.array([6.0, 3.0, 3.0, 30.0]),
                   regions=M.regions, industries=M.industries)
    t = indices_tables(M, firms={2024: fc})
    (a,) = rows(t.cells, year=2024, region_code="A", industry_code="1311")
    assert (a["firms"], a["firm_hhi"], a["top1_share"], a["top4_share"]) == (3, pytest.approx(0.375), 0.5, 1.0)
    (b,) = rows(t.cells, year=2024, region_code="B", industry_code="1312")
    assert (b["firms"], b["firm_hhi"]) == (1, 1.0)
    (empty,) = rows(t.cells, year=2024, region_code="C", industry_code="1711")
    assert empty["firms"] == 0 and empty["firm_hhi"] is None
    # no firm table for 2023: counts 0, shares null
    assert all(r["firm_hhi"] is None for r in rows(t.cells, year=2023))


def test_firms_on_other_axes_are_refused():
    from zhizao.clusters.matrix import FirmCells

    fc = FirmCells(uscc=np.array(["a"]), name=np.array(["A"]), cell=np.array([0]), values=np.array([1.0]),
                   regions=("A", "B"), industries=M.industries)
    with pytest.raises(ValueError, match="axes"):
        indices_tables(M, firms={2024: fc})


def test_relatedness_pairs_carry_every_normalisation_of_the_co_occurrences():
    from zhizao.clusters.indices import relatedness_pairs
    from zhizao.clusters.relatedness import co_occurrence, relatedness
    from zhizao.clusters.specialisation import mcp

    t = relatedness_pairs(M)          # the last year
    Mcp = mcp(X[1])
    C = co_occurrence(Mcp)
    assert t.num_rows == int((C > 0).sum())
    idx = {c: k for k, c in enumerate(M.industries)}
    for r in t.to_pylist():
        i, j = idx[r["industry_a"]], idx[r["industry_b"]]
        assert r["co_occurrence"] == C[i, j] and r["year"] == 2024
        for method in ("probability", "association", "cosine", "jaccard"):
            assert r[method] == pytest.approx(relatedness(C, method)[i, j])
