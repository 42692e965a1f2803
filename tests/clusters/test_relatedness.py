"""Relatedness kernels: hand-computed small cases, EconGeo formulas, parity with ecomplexity 0.5.3."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zhizao.clusters.relatedness import (
    co_occurrence,
    density,
    density_external_avg,
    density_internal_avg,
    entry_exit,
    proximity,
    relatedness,
)

# 4 regions × 3 industries
#        i0 i1 i2
M43 = np.array([[1, 1, 0],
                [1, 1, 1],
                [0, 1, 1],
                [1, 0, 0]], dtype=float)


def _random_binary(shape, p=0.4, seed=0):
    return (np.random.default_rng(seed).random(shape) < p).astype(float)


def _ecx_proximity(M, asymmetric=False):
    """ecomplexity.proximity on a binary matrix (presence_test='manual') as an (I, I) matrix."""
    import ecomplexity

    R, I = M.shape
    r, i = np.meshgrid(np.arange(R), np.arange(I), indexing="ij")
    df = pd.DataFrame({"year": 0, "loc": r.ravel(), "prod": i.ravel(), "val": M.ravel()})
    cols = {"time": "year", "loc": "loc", "prod": "prod", "val": "val"}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        e = ecomplexity.proximity(df, cols, presence_test="manual", asymmetric=asymmetric)
    P = np.full((I, I), np.nan)
    P[e["prod_1"].to_numpy(), e["prod_2"].to_numpy()] = e["proximity"].to_numpy()
    return P


# --------------------------------------------------------------------------- co-occurrence

def test_co_occurrence_counts_regions_sharing_both_industries_with_zero_diagonal():
    # i0 & i1: regions 0, 1 → 2;  i0 & i2: region 1 → 1;  i1 & i2: regions 1, 2 → 2
    expected = np.array([[0, 2, 1],
                         [2, 0, 2],
                         [1, 2, 0]], dtype=float)
    np.testing.assert_array_equal(co_occurrence(M43), expected)


def test_co_occurrence_diagonal_true_keeps_the_number_of_regions_per_industry():
    # diagonal = column sums of M43: 3, 3, 2 (EconGeo diagonal = TRUE)
    np.testing.assert_array_equal(np.diag(co_occurrence(M43, diagonal=True)), [3, 3, 2])


def test_co_occurrence_accepts_sparse_and_integer_input():
    np.testing.assert_array_equal(co_occurrence(sp.csr_matrix(M43.astype(int))), co_occurrence(M43))
    assert co_occurrence(M43.astype(np.int64)).dtype == np.float64


def test_co_occurrence_stack_equals_each_year():
    S = np.stack([_random_binary((20, 6), seed=s) for s in range(3)])
    got = co_occurrence(S)
    for t in range(3):
        np.testing.assert_array_equal(got[t], co_occurrence(S[t]))


# --------------------------------------------------------------------------- proximity

def test_proximity_is_cooccurrence_over_the_larger_ubiquity():
    # u = (3, 3, 2); φ01 = 2 / max(3, 3) = 2/3, φ02 = 1 / max(3, 2) = 1/3, φ12 = 2 / max(3, 2) = 2/3
    expected = np.array([[1, 2 / 3, 1 / 3],
                         [2 / 3, 1, 2 / 3],
                         [1 / 3, 2 / 3, 1]])
    np.testing.assert_allclose(proximity(M43), expected, rtol=0, atol=1e-15)


def test_asymmetric_proximity_is_the_conditional_probability_of_j_given_i():
    # row i0 (u = 3): P(i1 | i0) = 2/3, P(i2 | i0) = 1/3;  row i2 (u = 2): P(i0 | i2) = 1/2, P(i1 | i2) = 1
    P = proximity(M43, asymmetric=True)
    np.testing.assert_allclose(P[0], [1, 2 / 3, 1 / 3])
    np.testing.assert_allclose(P[2], [1 / 2, 1, 1])


def test_proximity_of_an_industry_present_nowhere_is_nan():
    M = M43.copy()
    M[:, 2] = 0
    P = proximity(M)
    assert np.isnan(P[2]).all() and np.isnan(P[:, 2]).all()
    np.testing.assert_allclose(P[:2, :2], [[1, 2 / 3], [2 / 3, 1]])


@pytest.mark.parametrize("asymmetric", [False, True])
def test_proximity_equals_ecomplexity(asymmetric):
    M = _random_binary((60, 12), p=0.35, seed=3)
    assert (M.sum(0) > 0).all() and (M.sum(1) > 0).all()
    np.testing.assert_allclose(proximity(M, asymmetric=asymmetric), _ecx_proximity(M, asymmetric),
                               rtol=0, atol=1e-12)


def test_proximity_accepts_sparse_and_stacks():
    S = np.stack([_random_binary((30, 8), p=0.5, seed=s) for s in range(2)])
    np.testing.assert_array_equal(proximity(sp.csr_matrix(S[0])), proximity(S[0]))
    got = proximity(S)
    for t in range(2):
        np.testing.assert_array_equal(got[t], proximity(S[t]))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(2, 6)), elements=st.sampled_from([0.0, 1.0])))
def test_proximity_is_symmetric_within_0_1_and_has_unit_diagonal(M):
    P = proximity(M)
    present = M.sum(axis=0) > 0
    Q = P[np.ix_(present, present)]
    np.testing.assert_array_equal(Q, Q.T)
    assert ((Q >= 0) & (Q <= 1)).all()
    np.testing.assert_array_equal(np.diag(Q), 1.0)


# --------------------------------------------------------------------------- relatedness (EconGeo)

C3 = np.array([[0, 2, 1],
               [2, 0, 2],
               [1, 2, 0]], dtype=float)
# column sums s = (3, 4, 3), total t = 10


def test_relatedness_association_strength_by_hand():
    # (c/t) / ((s_i/t)(s_j/t)) = c t / (s_i s_j): (0,1) 2·10/12, (0,2) 1·10/9, (1,2) 2·10/12
    got = relatedness(C3, "association")
    np.testing.assert_allclose(got[0, 1], 20 / 12)
    np.testing.assert_allclose(got[0, 2], 10 / 9)
    np.testing.assert_allclose(got[1, 2], 20 / 12)
    np.testing.assert_array_equal(np.diag(got), 0)


def test_relatedness_cosine_and_jaccard_by_hand():
    # cosine: c / √(s_i s_j): (0,1) 2/√12, (0,2) 1/√9;  jaccard: c / (s_i + s_j − c): (0,1) 2/5, (0,2) 1/5
    cos = relatedness(C3, "cosine")
    jac = relatedness(C3, "jaccard")
    np.testing.assert_allclose([cos[0, 1], cos[0, 2]], [2 / np.sqrt(12), 1 / 3])
    np.testing.assert_allclose([jac[0, 1], jac[0, 2], jac[1, 2]], [2 / 5, 1 / 5, 2 / 5])


def test_relatedness_probability_index_by_hand():
    # EconGeo "prob": c / ([(s_j/t)(s_i/(t − s_j)) + (s_i/t)(s_j/(t − s_i))] · t/2)
    # (0,1): s_i = 3, s_j = 4: (4/10)(3/6) + (3/10)(4/7) = 0.2 + 12/70 → · 5 → 2 / (1 + 6/7) = 14/13
    # (0,2): s_i = s_j = 3:   2 · (3/10)(3/7) = 18/70 → · 5 = 9/7 → 1 / (9/7) = 7/9
    got = relatedness(C3)
    np.testing.assert_allclose(got[0, 1], 14 / 13)
    np.testing.assert_allclose(got[0, 2], 7 / 9)
    np.testing.assert_allclose(got, got.T)
    np.testing.assert_array_equal(relatedness(C3, "prob"), got)
    np.testing.assert_array_equal(relatedness(C3, "Probability"), got)


def test_relatedness_ignores_the_input_diagonal_and_sets_nan_to_zero():
    C = C3.copy()
    np.fill_diagonal(C, 99)           # EconGeo: diag(cij) <- 0 first
    np.testing.assert_array_equal(relatedness(C, "cosine"), relatedness(C3, "cosine"))
    C4 = np.zeros((4, 4))
    C4[:3, :3] = C3                   # industry 3 co-occurs with nothing: 0/0 → 0
    for m in ("probability", "association", "cosine", "jaccard"):
        R = relatedness(C4, m)
        assert not np.isnan(R).any()
        np.testing.assert_array_equal(R[3], 0)


def test_relatedness_stack_equals_each_year_and_unknown_method_raises():
    S = np.stack([co_occurrence(_random_binary((25, 7), seed=s)) for s in range(3)])
    for m in ("probability", "association", "cosine", "jaccard"):
        got = relatedness(S, m)
        for t in range(3):
            np.testing.assert_allclose(got[t], relatedness(S[t], m), rtol=1e-15)
    with pytest.raises(ValueError, match="unknown relatedness method"):
        relatedness(C3, "pearson")


# --------------------------------------------------------------------------- density

def test_density_by_hand_on_the_4x3_example():
    # φ rows (see test above): i0: (1, 2/3, 1/3) sum 2; i1: (2/3, 1, 2/3) sum 7/3; i2: (1/3, 2/3, 1) sum 2
    # region 3 has only i0: d(3, i1) = (2/3)/(7/3) = 2/7, d(3, i2) = (1/3)/2 = 1/6, d(3, i0) = 1/2
    # region 0 has i0, i1:  d(0, i2) = (1/3 + 2/3)/2 = 1/2
    d = density(M43, proximity(M43))
    np.testing.assert_allclose(d[3], [1 / 2, 2 / 7, 1 / 6])
    np.testing.assert_allclose(d[0, 2], 1 / 2)
    np.testing.assert_allclose(d[1], 1.0)   # region 1 has everything


def test_density_scale_and_decimals_give_econgeo_relatedness_density():
    # EconGeo relatedness_density: round(t(t(M %*% R) / colSums(R)) * 100, 2)
    M = _random_binary((15, 6), seed=4)
    R = relatedness(co_occurrence(M), "cosine")
    econgeo = np.round((M @ R) / R.sum(axis=0) * 100, 2)
    np.testing.assert_array_equal(density(M, R, scale=100, decimals=2), econgeo)


def test_density_of_an_asymmetric_matrix_follows_ecomplexity_rows_and_transpose_gives_econgeo():
    M = _random_binary((15, 6), p=0.5, seed=5)
    P = proximity(M, asymmetric=True)
    ecx = M @ (P.T / P.sum(axis=1)[np.newaxis, :])         # ecomplexity calc_density
    np.testing.assert_allclose(density(M, P), ecx, rtol=1e-14)
    np.testing.assert_allclose(density(M, P.T), (M @ P) / P.sum(axis=0), rtol=1e-14)


def test_density_stack_broadcasts_one_matrix_over_years():
    S = np.stack([_random_binary((10, 5), p=0.5, seed=s) for s in range(3)])
    phi = proximity(S[0])
    got = density(S, phi)
    for t in range(3):
        np.testing.assert_array_equal(got[t], density(S[t], phi))


def test_density_internal_and_external_averages_by_hand():
    # density ×100 of M43 (test above): region 3: (50, 28.57, 16.67); region 0: (d00, d01, 50)
    # region 3 internal = 50; external = (200/7 + 100/6) / 2
    phi = proximity(M43)
    d = density(M43, phi, scale=100)
    internal = density_internal_avg(M43, phi)
    external = density_external_avg(M43, phi)
    np.testing.assert_allclose(internal[3], 50)
    np.testing.assert_allclose(external[3], (200 / 7 + 100 / 6) / 2)
    np.testing.assert_allclose(internal[0], (d[0, 0] + d[0, 1]) / 2)
    np.testing.assert_allclose(internal[1], 100)     # every industry
    assert np.isnan(external[1])                      # no industry outside the portfolio: 0/0
    # EconGeo rounding (decimals=0): round(rowSums(round(d) * mat) / rowSums(mat))
    np.testing.assert_array_equal(density_external_avg(M43, phi, decimals=0)[3], np.round((29 + 17) / 2))


def test_density_averages_count_nan_density_as_zero_but_keep_it_in_the_denominator():
    # EconGeo na.rm = TRUE: industry 2 with an all-zero relatedness row has NaN density
    M = np.array([[1, 1, 1], [1, 0, 0]], dtype=float)
    phi = np.array([[1, .5, 0], [.5, 1, 0], [0, 0, 0]])
    d = density(M, phi, scale=100)
    assert np.isnan(d[:, 2]).all()
    np.testing.assert_allclose(density_internal_avg(M, phi)[0], (d[0, 0] + d[0, 1] + 0) / 3)
    np.testing.assert_allclose(density_external_avg(M, phi)[1], (d[1, 1] + 0) / 2)
    assert np.isnan(density_internal_avg(np.zeros((1, 3)), phi)[0])   # empty region


# --------------------------------------------------------------------------- entry / exit

def test_entry_exit_follow_econgeo_entry_mat_and_exit_mat():
    M0 = np.array([[1, 0, 0], [0, 1, 1]], dtype=float)
    M1 = np.array([[0, 1, 0], [1, 1, 0]], dtype=float)
    e = entry_exit(M0, M1)
    # entry: at risk where M0 == 0 → value of M1; NaN where M0 == 1
    np.testing.assert_array_equal(e.entry, [[np.nan, 1, 0], [1, np.nan, np.nan]])
    # exit: at risk where M0 == 1 → 1 if M1 == 0 else 0; NaN where M0 == 0
    np.testing.assert_array_equal(e.exit, [[1, np.nan, np.nan], [np.nan, 0, 1]])


def test_entry_exit_stack_and_shape_check():
    A = np.stack([_random_binary((6, 4), seed=s) for s in range(3)])
    B = np.stack([_random_binary((6, 4), seed=s + 10) for s in range(3)])
    e = entry_exit(A, B)
    for t in range(3):
        np.testing.assert_array_equal(e.entry[t], entry_exit(A[t], B[t]).entry)
        np.testing.assert_array_equal(e.exit[t], entry_exit(A[t], B[t]).exit)
    with pytest.raises(ValueError, match="same shape"):
        entry_exit(A[0], B[0, :5])


def test_zero_rows_and_columns_never_warn():
    M = np.zeros((4, 4))
    M[:2, :2] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        phi = proximity(M)
        density(M, phi)
        density_internal_avg(M, phi)
        density_external_avg(M, phi)
        for m in ("probability", "association", "cosine", "jaccard"):
            relatedness(co_occurrence(M), m)
