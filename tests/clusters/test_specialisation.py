"""Specialisation / concentration indices: hand-computed cases, EconGeo transliterations, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zhizao.clusters.specialisation import (
    entropy, gini, herfindahl, hoover_index, krugman_index, location_quotient, locational_gini, mcp, rca, variety,
)

# The worked matrix used throughout (3 regions × 3 industries):
#
#            I1  I2  I3 | row
#      R1     4   0   4 |   8
#      R2     2   6   0 |   8
#      R3     2   2  12 |  16
#      col    8   8  16 |  32
#
# shares of the total x_i / x:      .25   .25   .5
# shares in R1 (x_1i / x_1):        .5    0     .5
# shares in R2:                     .25   .75   0
# shares in R3:                     .125  .125  .75
X = np.array([[4.0, 0.0, 4.0], [2.0, 6.0, 0.0], [2.0, 2.0, 12.0]])

# A matrix with an empty region (R2) and an empty industry (I2).
X_EMPTY = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 3.0]])

LOG2_4_3 = math.log2(4 / 3)   # 0.41503749927884376


def matrices(max_r=6, max_i=6, min_side=1):
    """Non-negative integer-valued float matrices, at least one positive cell."""
    shapes = st.tuples(st.integers(min_side, max_r), st.integers(min_side, max_i))
    return shapes.flatmap(lambda s: arrays(np.float64, s, elements=st.integers(0, 50).map(float))).filter(
        lambda a: a.sum() > 0)


def stacks():
    shapes = st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5))
    return shapes.flatmap(lambda s: arrays(np.float64, s, elements=st.integers(0, 30).map(float)))


# ------------------------------------------------------------------------------------------------
# literal transliterations of the EconGeo R code (github.com/PABalland/EconGeo, R/*.r), one
# column / vector at a time, used as the reference in the property tests

def econgeo_gini_column(x):
    """R/Gini.r (v2.0) ``gi``, without its final round(…, 3)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    w = np.ones(len(x))
    ox = np.argsort(x, kind="stable")
    x = x[ox]
    w = w[ox] / w.sum()
    p = np.cumsum(w)
    nu = np.cumsum(w * x)
    n = len(nu)
    nu = nu / nu[n - 1]
    return np.sum(nu[1:] * p[:-1]) - np.sum(nu[:-1] * p[1:])


def econgeo_locational_gini(mat):
    """R/locational_gini.r, column by column."""
    mat = np.asarray(mat, dtype=float)
    out = []
    for col in range(mat.shape[1]):
        share_city_total = mat.sum(axis=1) / mat.sum()
        ind = mat[:, col]
        pop = share_city_total
        with np.errstate(invalid="ignore", divide="ignore"):   # R: NaN for an empty column
            ratio = ind / pop
            oind = np.argsort(ratio, kind="stable")      # R's order(): NA last, ties in input order
            ind, pop = ind[oind], pop[oind]
            cind = np.cumsum(ind) / np.max(np.cumsum(ind))
            cpop = np.cumsum(pop) / np.max(np.cumsum(pop))
        out.append((np.sum(cind[1:] * cpop[:-1]) - np.sum(cind[:-1] * cpop[1:])) / 2)
    return np.array(out)


def econgeo_hoover_column(ind, pop):
    """R/hoover_index.r ``hg``, without ×100 and round(…, 2)."""
    ind = np.asarray(ind, dtype=float)
    pop = np.broadcast_to(np.asarray(pop, dtype=float), ind.shape)
    keep = ~(np.isnan(ind) | np.isnan(pop))
    ind, pop = ind[keep], pop[keep]
    return np.sum(np.abs(ind / ind.sum() - pop / pop.sum())) / 2


def econgeo_krugman(mat):
    """R/krugman_index.r."""
    share_tech_city = mat / mat.sum(axis=1, keepdims=True)
    share_tech_total = mat.sum(axis=0) / mat.sum()
    return np.abs(share_tech_city - share_tech_total[None, :]).sum(axis=1)


def econgeo_entropy(mat):
    """R/entropy.r, without round(…, 3) (note its +1e-9 inside the log)."""
    freqs = mat / mat.sum(axis=1, keepdims=True)
    return -(freqs * np.log2(freqs + 0.000000001)).sum(axis=1)


# ------------------------------------------------------------------------------------------------
# location quotient / RCA / Mcp

def test_location_quotient_of_the_worked_matrix_by_hand():
    # LQ = (x_ri / x_r) / (x_i / x):
    # R1: .5/.25 = 2,   0/.25 = 0,   .5/.5 = 1
    # R2: .25/.25 = 1,  .75/.25 = 3, 0/.5 = 0
    # R3: .125/.25 = .5, .125/.25 = .5, .75/.5 = 1.5
    expected = [[2, 0, 1], [1, 3, 0], [0.5, 0.5, 1.5]]
    np.testing.assert_allclose(location_quotient(X), expected, rtol=0, atol=1e-15)


def test_rca_is_the_location_quotient():
    np.testing.assert_array_equal(rca(X), location_quotient(X))


def test_rca_matches_ecomplexity_formula_order_bit_for_bit():
    # ecomplexity 0.5.3 ComplexityData.calculate_rca: (x / row total) / (col total / grand total)
    rng = np.random.default_rng(3)
    m = rng.integers(0, 1000, (7, 5)).astype(float)
    num = m / np.nansum(m, axis=1)[:, None]
    loc_total = np.nansum(m, axis=0)[None, :]
    den = loc_total / np.nansum(loc_total, axis=1)[:, None]
    np.testing.assert_array_equal(rca(m), num / den)


def test_mcp_counts_an_lq_of_exactly_one_as_specialised():
    # LQ ≥ 1: R1 (2, 0, 1) → 1 0 1; R2 (1, 3, 0) → 1 1 0; R3 (.5, .5, 1.5) → 0 0 1
    expected = [[1, 0, 1], [1, 1, 0], [0, 0, 1]]
    out = mcp(X)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


def test_mcp_threshold_is_inclusive():
    # LQ ≥ 1.5: 2 (R1 I1), 3 (R2 I2), 1.5 (R3 I3)
    np.testing.assert_array_equal(mcp(X, threshold=1.5), [[1, 0, 0], [0, 1, 0], [0, 0, 1]])


@pytest.mark.filterwarnings("error")
def test_empty_region_and_industry_give_nan_lq_and_zero_mcp_without_warnings():
    lq = location_quotient(X_EMPTY)
    assert np.isnan(lq[1]).all() and np.isnan(lq[:, 1]).all()
    # R1: shares .5, _, .5 over 2/6, _, 4/6 → 1.5, NaN, .75; R3: .25/(1/3) = .75, .75/(2/3) = 1.125
    np.testing.assert_allclose(lq[[0, 2]][:, [0, 2]], [[1.5, 0.75], [0.75, 1.125]])
    np.testing.assert_array_equal(mcp(X_EMPTY), [[1, 0, 0], [0, 0, 0], [0, 0, 1]])


def test_location_quotient_accepts_a_sparse_matrix():
    np.testing.assert_array_equal(location_quotient(sp.csr_matrix(X)), location_quotient(X))


def test_a_vector_is_not_a_region_industry_matrix():
    with pytest.raises(ValueError, match=r"\(R, I\)"):
        location_quotient([1.0, 2.0])


@given(matrices())
def test_the_province_as_an_extra_region_has_lq_one(m):
    # appending the column totals as a region doubles every total: (S_i / S) / (2 S_i / 2 S) = 1
    lq = location_quotient(np.vstack([m, m.sum(axis=0)]))
    present = m.sum(axis=0) > 0
    np.testing.assert_allclose(lq[-1, present], 1.0, rtol=1e-12)
    assert np.isnan(lq[-1, ~present]).all()


@given(matrices())
def test_region_weighted_mean_lq_of_every_industry_is_one(m):
    # Σ_r (x_r / x) · LQ_ri = Σ_r x_ri / x_i = 1 (regions with a zero total carry no weight)
    lq = location_quotient(m)
    w = m.sum(axis=1) / m.sum()
    present = m.sum(axis=0) > 0
    mean = np.nansum(w[:, None] * lq, axis=0)
    np.testing.assert_allclose(mean[present], 1.0, rtol=1e-12)


@given(matrices(), st.floats(0.01, 1000))
def test_lq_does_not_depend_on_the_unit(m, c):
    np.testing.assert_allclose(location_quotient(c * m), location_quotient(m), rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# Krugman, Herfindahl, entropy, variety (per region)

def test_krugman_index_of_the_worked_matrix_by_hand():
    # Σ_i |x_ri / x_r − x_i / x| with x_i / x = (.25, .25, .5):
    # R1: |.5 − .25| + |0 − .25| + |.5 − .5|     = .25 + .25 + 0   = .5
    # R2: |.25 − .25| + |.75 − .25| + |0 − .5|   = 0 + .5 + .5     = 1
    # R3: |.125 − .25| + |.125 − .25| + |.75 − .5| = .125 + .125 + .25 = .5
    np.testing.assert_allclose(krugman_index(X), [0.5, 1.0, 0.5], atol=1e-15)


def test_krugman_index_against_a_given_reference_structure():
    # reference totals (1, 1, 2) → shares .25, .25, .5: the same as the matrix's own
    np.testing.assert_allclose(krugman_index(X, reference=[1, 1, 2]), [0.5, 1.0, 0.5], atol=1e-15)
    # reference (1, 0, 0): R1: .5 + 0 + .5 = 1; R2: .75 + .75 + 0 = 1.5; R3: .875 + .125 + .75 = 1.75
    np.testing.assert_allclose(krugman_index(X, [1, 0, 0]), [1.0, 1.5, 1.75], atol=1e-15)


def test_herfindahl_of_the_worked_matrix_by_hand():
    # Σ_i s_ri²: R1 .25 + 0 + .25 = .5; R2 .0625 + .5625 + 0 = .625;
    #            R3 .015625 + .015625 + .5625 = .59375
    np.testing.assert_allclose(herfindahl(X), [0.5, 0.625, 0.59375], atol=1e-15)


def test_entropy_of_the_worked_matrix_by_hand():
    # −Σ p log2 p: R1: 2 · (.5 · 1) = 1
    #              R2: .25 · 2 + .75 · log2(4/3) = .5 + .311278… = .811278…
    #              R3: 2 · (.125 · 3) + .75 · log2(4/3) = .75 + .311278… = 1.061278…
    expected = [1.0, 0.5 + 0.75 * LOG2_4_3, 0.75 + 0.75 * LOG2_4_3]
    np.testing.assert_allclose(entropy(X), expected, rtol=1e-14)
    np.testing.assert_allclose(entropy(X, base=math.e), np.array(expected) * math.log(2), rtol=1e-14)


def test_variety_of_the_worked_matrix_by_hand():
    # groups: I1, I2 in group 0; I3 in group 1
    # R1: P = (.5, .5): UV = 1; within group 0 (1, 0): H = 0; group 1 alone: H = 0 → RV = 0
    # R2: P = (1, 0): UV = 0; group 0 (.25, .75): H = .811278… → RV = 1 · .811278…
    # R3: P = (.25, .75): UV = .811278…; group 0 (.5, .5): H = 1 → RV = .25 · 1 = .25
    h = 0.5 + 0.75 * LOG2_4_3
    v = variety(X, groups=[0, 0, 1])
    np.testing.assert_allclose(v.unrelated, [1.0, 0.0, h], atol=1e-14)
    np.testing.assert_allclose(v.related, [0.0, h, 0.25], atol=1e-14)
    np.testing.assert_allclose(v.total, entropy(X), atol=0)
    total, related, unrelated = v                      # unpacks as (total, related, unrelated)
    assert total is v.total and related is v.related and unrelated is v.unrelated


def test_variety_groups_may_be_any_labels_in_any_order():
    a = variety(X, groups=["C13", "C13", "C39"])
    b = variety(X[:, [2, 0, 1]], groups=[7, 3, 3])
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-14)


def test_variety_needs_one_group_per_industry():
    with pytest.raises(ValueError, match="one label per industry"):
        variety(X, groups=[0, 1])


@pytest.mark.filterwarnings("error")
def test_empty_region_gives_nan_per_region_indices_without_warnings():
    for f in (krugman_index, herfindahl, entropy):
        out = f(X_EMPTY)
        assert np.isnan(out[1]) and np.isfinite(out[[0, 2]]).all(), f.__name__
    for part in variety(X_EMPTY, [0, 0, 1]):
        assert np.isnan(part[1]) and np.isfinite(part[[0, 2]]).all()


@given(matrices())
def test_krugman_herfindahl_entropy_match_econgeo_and_stay_in_range(m):
    m = m[m.sum(axis=1) > 0]                               # EconGeo has no rule for empty regions
    n_ind = m.shape[1]
    np.testing.assert_allclose(krugman_index(m), econgeo_krugman(m), atol=1e-12)
    np.testing.assert_allclose(entropy(m), econgeo_entropy(m), atol=1e-7)   # EconGeo's +1e-9
    hhi = herfindahl(m)
    assert np.all(krugman_index(m) <= 2 + 1e-12)
    assert np.all((hhi >= 1 / n_ind - 1e-12) & (hhi <= 1 + 1e-12))
    assert np.all((entropy(m) >= 0) & (entropy(m) <= math.log2(n_ind) + 1e-12))


@given(matrices(max_i=8), st.data())
def test_related_plus_unrelated_variety_is_total_variety(m, data):
    groups = data.draw(st.lists(st.integers(0, 3), min_size=m.shape[1], max_size=m.shape[1]))
    v = variety(m, groups)
    ok = m.sum(axis=1) > 0
    np.testing.assert_allclose(v.related[ok] + v.unrelated[ok], v.total[ok], atol=1e-12)
    assert np.all(v.related[ok] >= -1e-12) and np.all(v.unrelated[ok] >= -1e-12)


# ------------------------------------------------------------------------------------------------
# Gini, locational Gini, Hoover (per industry)

def test_gini_of_econgeo_example_vector():
    # EconGeo R/Gini.r example ind = (0, 10, 10, 30, 50):
    # G = 2 Σ k x_(k) / (n S) − (n + 1)/n = 2 (0 + 20 + 30 + 120 + 250) / 500 − 6/5 = 1.68 − 1.2 = .48
    assert float(gini([0, 10, 10, 30, 50])) == pytest.approx(0.48, abs=1e-15)


def test_gini_of_the_worked_matrix_by_hand():
    # per industry over the 3 regions, n = 3, (n + 1)/n = 4/3:
    # I1 sorted (2, 2, 4), S = 8:  Σ k x = 2 + 4 + 12 = 18 → 36/24 − 4/3 = 1/6
    #    (EconGeo's Lorenz form: ν = (.25, .5, 1), p = (⅓, ⅔, 1):
    #     (.5·⅓ + 1·⅔) − (.25·⅔ + .5·1) = 5/6 − 2/3 = 1/6 ✓)
    # I2 sorted (0, 2, 6), S = 8:  Σ k x = 0 + 4 + 18 = 22 → 44/24 − 4/3 = 1/2
    # I3 sorted (0, 4, 12), S = 16: Σ k x = 0 + 8 + 36 = 44 → 88/48 − 4/3 = 1/2
    np.testing.assert_allclose(gini(X), [1 / 6, 0.5, 0.5], atol=1e-15)


def test_gini_leaves_out_missing_regions_like_complete_cases():
    # (NaN, 0, 10, 10, 30, 50) → the EconGeo example without the NaN: .48
    assert float(gini([np.nan, 0, 10, 10, 30, 50])) == pytest.approx(0.48, abs=1e-15)


def test_locational_gini_of_the_worked_matrix_by_hand():
    # region shares of all activity q_r = (8, 8, 16)/32 = (.25, .25, .5)
    # LG = ½ Σ_k (c_{k+1} q_k − c_k q_{k+1}), regions sorted by x_ri / q_r:
    # I1: ratios (16, 8, 4) → order R3, R2, R1: c = (.25, .5, 1), q = (.5, .75, 1)
    #     ½ [(.5·.5 − .25·.75) + (1·.75 − .5·1)] = ½ (.0625 + .25) = .15625
    # I2: ratios (0, 24, 4) → order R1, R3, R2: c = (0, .25, 1), q = (.25, .75, 1)
    #     ½ [(.25·.25 − 0) + (1·.75 − .25·1)] = ½ (.0625 + .5) = .28125
    # I3: ratios (16, 0, 24) → order R2, R1, R3: c = (0, .25, 1), q = (.25, .5, 1)
    #     ½ [(.25·.25 − 0) + (1·.5 − .25·1)] = ½ (.0625 + .25) = .15625
    np.testing.assert_allclose(locational_gini(X), [0.15625, 0.28125, 0.15625], atol=1e-15)


def test_hoover_index_of_the_worked_matrix_by_hand():
    # equal reference (⅓ each): ½ Σ_r |x_ri / x_i − ⅓|
    # I1 (.5, .25, .25): ½ (⅙ + 1/12 + 1/12) = ⅙
    # I2 (0, .75, .25):  ½ (⅓ + 5/12 + 1/12) = 5/12
    # I3 (.25, 0, .75):  ½ (1/12 + ⅓ + 5/12) = 5/12
    np.testing.assert_allclose(hoover_index(X), [1 / 6, 5 / 12, 5 / 12], atol=1e-15)
    # reference = the regions' totals (.25, .25, .5):
    # I1: ½ (.25 + 0 + .25) = .25; I2: ½ (.25 + .5 + .25) = .5; I3: ½ (0 + .25 + .25) = .25
    np.testing.assert_allclose(hoover_index(X, [8, 8, 16]), [0.25, 0.5, 0.25], atol=1e-15)
    np.testing.assert_allclose(hoover_index(X, [8, 8, 16], scale=100), [25, 50, 25], atol=1e-12)


def test_hoover_index_of_econgeo_example():
    # R/hoover_index.r example: ind (0, 10, 10, 30, 50)/100, pop (10, 15, 20, 25, 30)/100
    # ½ (.1 + .05 + .1 + .05 + .2) = .25 → EconGeo prints 25 (percent)
    assert float(hoover_index([0, 10, 10, 30, 50], [10, 15, 20, 25, 30], scale=100)) == pytest.approx(25.0)


@pytest.mark.filterwarnings("error")
def test_empty_industry_gives_nan_per_industry_indices_without_warnings():
    for f in (gini, locational_gini, hoover_index):
        out = f(X_EMPTY)
        assert np.isnan(out[1]) and np.isfinite(out[[0, 2]]).all(), f.__name__


@given(matrices())
def test_gini_matches_econgeo_and_the_mean_difference_definition(m):
    present = m.sum(axis=0) > 0
    g = gini(m)
    ref = [econgeo_gini_column(m[:, i]) for i in np.flatnonzero(present)]
    np.testing.assert_allclose(g[present], ref, atol=1e-12)
    # G = Σ_jk |x_j − x_k| / (2 n² x̄)
    n = m.shape[0]
    mad = np.abs(m[:, None, :] - m[None, :, :]).sum(axis=(0, 1))[present]
    np.testing.assert_allclose(g[present], mad / (2 * n * m.sum(axis=0)[present]), atol=1e-12)
    assert np.all((g[present] >= -1e-12) & (g[present] <= (n - 1) / n + 1e-12))


@given(matrices(min_side=1))
def test_locational_gini_matches_econgeo_and_lies_in_0_to_half(m):
    present = m.sum(axis=0) > 0
    lg = locational_gini(m)
    np.testing.assert_allclose(lg[present], econgeo_locational_gini(m)[present], atol=1e-12)
    assert np.all((lg[present] >= -1e-12) & (lg[present] <= 0.5 + 1e-12))


@given(matrices(), st.data())
def test_locational_gini_does_not_depend_on_the_order_of_regions(m, data):
    perm = data.draw(st.permutations(range(m.shape[0])))
    np.testing.assert_allclose(locational_gini(m[list(perm)]), locational_gini(m), atol=1e-12)


@given(matrices())
def test_hoover_index_matches_econgeo_and_is_zero_against_itself(m):
    present = m.sum(axis=0) > 0
    pop = np.arange(1.0, m.shape[0] + 1)
    h = hoover_index(m, pop)
    ref = [econgeo_hoover_column(m[:, i], pop) for i in np.flatnonzero(present)]
    np.testing.assert_allclose(h[present], ref, atol=1e-12)
    assert np.all((h[present] >= -1e-12) & (h[present] <= 1 + 1e-12))
    for i in np.flatnonzero(present):
        assert float(hoover_index(m[:, i], m[:, i])) == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------------------------------------------
# several years in one call

PER_REGION_OR_CELL = [location_quotient, rca, mcp, krugman_index, herfindahl, entropy, gini, locational_gini,
                      hoover_index]


@pytest.mark.parametrize("f", PER_REGION_OR_CELL, ids=lambda f: f.__name__)
@settings(max_examples=40)
@given(stack=stacks())
def test_a_stack_of_years_equals_each_year_alone(f, stack):
    with np.errstate(all="raise"):                       # no warning leaks from any year
        out = f(stack)
    for t in range(stack.shape[0]):
        np.testing.assert_array_equal(out[t], f(stack[t]))


@settings(max_examples=40)
@given(stack=stacks())
def test_variety_and_references_of_a_stack_equal_each_year_alone(stack):
    groups = np.arange(stack.shape[-1]) % 2
    ref_i = np.arange(1.0, stack.shape[-1] + 1)
    ref_r = np.arange(1.0, stack.shape[-2] + 1)
    v = variety(stack, groups)
    k = krugman_index(stack, ref_i)
    h = hoover_index(stack, np.broadcast_to(ref_r, stack.shape[:-1]))
    for t in range(stack.shape[0]):
        for a, b in zip(v, variety(stack[t], groups)):
            np.testing.assert_array_equal(a[t], b)
        np.testing.assert_array_equal(k[t], krugman_index(stack[t], ref_i))
        np.testing.assert_array_equal(h[t], hoover_index(stack[t], ref_r))
