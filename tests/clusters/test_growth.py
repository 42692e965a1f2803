"""Growth rates and shift-share: hand-computed cases, stacks, NaN rules, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zhizao.clusters.growth import growth_rates, shift_share

#            base year X0        final year X1
#            I1   I2             I1   I2
#      R1    10   10             12   20
#      R2    20    0             21    5        (R2 I2 is a new cell)
#      col   30   10 | 40        33   25 | 58
X0 = np.array([[10.0, 10.0], [20.0, 0.0]])
X1 = np.array([[12.0, 20.0], [21.0, 5.0]])


def pairs():
    shapes = st.tuples(st.integers(1, 5), st.integers(1, 5))
    return shapes.flatmap(lambda s: st.tuples(
        arrays(np.float64, s, elements=st.integers(0, 50).map(float)),
        arrays(np.float64, s, elements=st.integers(0, 50).map(float)),
    ))


# ------------------------------------------------------------------------------------------------
# growth rates (EconGeo growth_mat / growth_ind / growth_reg)

@pytest.mark.filterwarnings("error")
def test_growth_rates_by_hand():
    g = growth_rates(X0, X1)
    # cells: (12 − 10)/10 = .2, (20 − 10)/10 = 1, (21 − 20)/20 = .05, 0 → 5: undefined
    np.testing.assert_allclose(g.cell, [[0.2, 1.0], [0.05, np.nan]], atol=1e-15)
    # industries: (33 − 30)/30 = .1, (25 − 10)/10 = 1.5
    np.testing.assert_allclose(g.industry, [0.1, 1.5], atol=1e-15)
    # regions: (32 − 20)/20 = .6, (26 − 20)/20 = .3
    np.testing.assert_allclose(g.region, [0.6, 0.3], atol=1e-15)
    # total: (58 − 40)/40 = .45
    assert float(g.total) == pytest.approx(0.45)


def test_growth_rates_in_percent_like_econgeo():
    # EconGeo returns ((mat2 − mat1)/mat1) · 100 (rounded to 2 digits): 20 %, 100 %, 5 %
    g = growth_rates(X0, X1, scale=100)
    np.testing.assert_allclose(g.cell[0], [20.0, 100.0])
    np.testing.assert_allclose(g.industry, [10.0, 150.0])


@pytest.mark.filterwarnings("error")
def test_growth_from_zero_is_nan_both_for_zero_and_for_new_activity():
    g = growth_rates([[0.0, 0.0], [0.0, 1.0]], [[0.0, 3.0], [0.0, 2.0]])
    # 0 → 0 (EconGeo: 0) and 0 → 3 (EconGeo: Inf) are both NaN here; 1 → 2 is +100 %
    np.testing.assert_array_equal(np.isnan(g.cell), [[True, True], [True, False]])
    assert g.cell[1, 1] == 1.0
    assert np.isnan(g.industry[0]) and g.industry[1] == 4.0   # I2: 1 → 5, (5 − 1)/1
    assert np.isnan(g.region[0]) and g.region[1] == 1.0


def test_growth_rates_need_matrices_of_the_same_shape():
    with pytest.raises(ValueError, match="same shape"):
        growth_rates(X0, X1[:, :1])


# ------------------------------------------------------------------------------------------------
# shift-share

def test_shift_share_against_the_province_itself_by_hand():
    s = shift_share(X0, X1)
    # G = 58/40 − 1 = .45; g_1 = 33/30 − 1 = .1, g_2 = 25/10 − 1 = 1.5
    assert float(s.growth_reference) == pytest.approx(0.45)
    np.testing.assert_allclose(s.growth_industry, [0.1, 1.5])
    # national x0 · G:              10·.45 = 4.5, 4.5; 20·.45 = 9, new cell 0
    np.testing.assert_allclose(s.national, [[4.5, 4.5], [9.0, 0.0]])
    # industry mix x0 · (g_i − G):  10·(−.35) = −3.5, 10·1.05 = 10.5; 20·(−.35) = −7, 0
    np.testing.assert_allclose(s.industry_mix, [[-3.5, 10.5], [-7.0, 0.0]], atol=1e-12)
    # competitive x0 · (g_ri − g_i): 10·(.2 − .1) = 1, 10·(1 − 1.5) = −5; 20·(.05 − .1) = −1;
    # the new cell's whole change (5) is competitive
    np.testing.assert_allclose(s.competitive, [[1.0, -5.0], [-1.0, 5.0]], atol=1e-12)
    np.testing.assert_array_equal(s.total, [[2.0, 10.0], [1.0, 5.0]])
    # per region: R1 N 9, M 7, C −4, total 12; R2 N 9, M −7, C 4, total 6
    np.testing.assert_allclose(s.region_national, [9.0, 9.0])
    np.testing.assert_allclose(s.region_industry_mix, [7.0, -7.0], atol=1e-12)
    np.testing.assert_allclose(s.region_competitive, [-4.0, 4.0], atol=1e-12)
    np.testing.assert_allclose(s.region_total, [12.0, 6.0])


def test_shift_share_against_national_reference_totals_by_hand():
    # national industry totals: I1 100 → 110, I2 50 → 75
    # G = 185/150 − 1 = 7/30 ≈ .2333; g_1 = .1, g_2 = .5
    s = shift_share(X0, X1, [100.0, 50.0], [110.0, 75.0])
    G = 7 / 30
    assert float(s.growth_reference) == pytest.approx(G)
    # national: 10·7/30 = 7/3 (both R1 cells), 20·7/30 = 14/3, 0
    np.testing.assert_allclose(s.national, [[7 / 3, 7 / 3], [14 / 3, 0.0]])
    # mix: 10·(.1 − 7/30) = −4/3, 10·(.5 − 7/30) = 8/3, 20·(.1 − 7/30) = −8/3, 0
    np.testing.assert_allclose(s.industry_mix, [[-4 / 3, 8 / 3], [-8 / 3, 0.0]], atol=1e-12)
    # competitive: 10·(.2 − .1) = 1, 10·(1 − .5) = 5, 20·(.05 − .1) = −1, new cell 5
    np.testing.assert_allclose(s.competitive, [[1.0, 5.0], [-1.0, 5.0]], atol=1e-12)


@pytest.mark.filterwarnings("error")
def test_an_industry_absent_from_the_reference_base_has_undefined_mix_and_competitive_shifts():
    # reference I2 base 0 → g_2 undefined; R1 I2 (x0 = 10) cannot be split; R2 I2 is new (x0 = 0)
    s = shift_share(X0, X1, [100.0, 0.0], [110.0, 5.0])
    assert np.isnan(s.industry_mix[0, 1]) and np.isnan(s.competitive[0, 1])
    assert s.industry_mix[1, 1] == 0.0 and s.competitive[1, 1] == 5.0
    assert np.isfinite(s.national).all()


def test_shift_share_needs_both_references_or_neither():
    with pytest.raises(ValueError, match="both"):
        shift_share(X0, X1, reference0=[1.0, 2.0])
    with pytest.raises(ValueError, match="length 2"):
        shift_share(X0, X1, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])


@given(pairs())
def test_shift_share_components_add_up_to_the_change(pair):
    x0, x1 = pair
    with np.errstate(all="raise"):
        s = shift_share(x0, x1)
    ok = np.isfinite(s.national) & np.isfinite(s.industry_mix) & np.isfinite(s.competitive)
    # against itself every industry with a base has a growth rate, so nothing is undefined
    assert ok.all()
    np.testing.assert_allclose(s.national + s.industry_mix + s.competitive, x1 - x0, atol=1e-9)
    np.testing.assert_allclose(s.region_national + s.region_industry_mix + s.region_competitive,
                               s.region_total, atol=1e-9)
    np.testing.assert_allclose(s.region_total, x1.sum(axis=1) - x0.sum(axis=1), atol=1e-9)
    # the province as its own reference: competitive shifts cancel within each industry that
    # existed in the base year; industry-mix shifts sum to minus the industries new since then
    # (Σ_i x0_i (g_i − G) = Σ_{old i} Δ_i − Δ = −Σ_{new i} x1_i; the identity uses x0·G = Δ, so it
    # needs a province with a base: with x0 all zero G is undefined and every component but the
    # competitive one is 0 — a case Hypothesis found)
    old = x0.sum(axis=0) > 0
    np.testing.assert_allclose(s.competitive.sum(axis=0)[old], 0.0, atol=1e-9)
    if x0.sum() > 0:
        assert s.industry_mix.sum() == pytest.approx(-x1.sum(axis=0)[~old].sum(), abs=1e-9)
    else:
        np.testing.assert_allclose(s.competitive, x1, atol=1e-9)


@given(pairs(), st.data())
def test_shift_share_with_an_external_reference_adds_up_too(pair, data):
    x0, x1 = pair
    n = x0.shape[1]
    ref0 = np.array(data.draw(st.lists(st.integers(1, 500), min_size=n, max_size=n)), dtype=float)
    ref1 = np.array(data.draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)), dtype=float)
    s = shift_share(x0, x1, ref0, ref1)
    np.testing.assert_allclose(s.national + s.industry_mix + s.competitive, x1 - x0, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# several years in one call

@settings(max_examples=50)
@given(st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)).flatmap(
    lambda s: st.tuples(arrays(np.float64, s, elements=st.integers(0, 20).map(float)),
                        arrays(np.float64, s, elements=st.integers(0, 20).map(float)))))
def test_a_stack_of_year_pairs_equals_each_pair_alone(pair):
    x0, x1 = pair
    with np.errstate(all="raise"):
        g, s = growth_rates(x0, x1), shift_share(x0, x1)
        ref0, ref1 = x0.sum(axis=-2) + 1, x1.sum(axis=-2) + 1       # (T, I) references
        s_ref = shift_share(x0, x1, ref0, ref1)
    for t in range(x0.shape[0]):
        gt, st_, sr = growth_rates(x0[t], x1[t]), shift_share(x0[t], x1[t]), shift_share(x0[t], x1[t], ref0[t], ref1[t])
        for name in ("cell", "industry", "region", "total"):
            np.testing.assert_array_equal(getattr(g, name)[t], getattr(gt, name))
        for name in ("national", "industry_mix", "competitive", "total", "region_national", "region_industry_mix",
                     "region_competitive", "region_total", "growth_reference", "growth_industry"):
            np.testing.assert_array_equal(getattr(s, name)[t], getattr(st_, name))
            np.testing.assert_array_equal(getattr(s_ref, name)[t], getattr(sr, name))
