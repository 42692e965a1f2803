"""Complexity kernels: hand-computed small cases, EconGeo reflections, parity with ecomplexity 0.5.3."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.clusters.complexity import (
    cog,
    coi,
    complexity,
    diversity,
    eci_pci,
    morc,
    mort,
    ubiquity,
)
from zhizao.clusters.relatedness import density, proximity

TOL = 1e-9
FIELDS = ("rca", "mcp", "diversity", "ubiquity", "eci", "pci", "proximity", "density", "coi", "cog")

# Nested 3 × 3 (region r has industries 0..2−r): hand-solved eigenproblem below.
NESTED = np.array([[1, 1, 1],
                   [1, 1, 0],
                   [1, 0, 0]], dtype=float)


def ecomplexity_arrays(X, **kw):
    """Run ecomplexity.ecomplexity (+ ecomplexity.proximity) on a (T, R, I) matrix; dense arrays back.

    Regions/industries that ecomplexity drops come back as NaN (outer merge), as in zhizao.
    """
    import ecomplexity

    X = np.asarray(X, dtype=float)
    single = X.ndim == 2
    if single:
        X = X[np.newaxis]
    T, R, I = X.shape
    t, r, i = np.meshgrid(np.arange(T), np.arange(R), np.arange(I), indexing="ij")
    df = pd.DataFrame({"year": t.ravel(), "loc": r.ravel(), "prod": i.ravel(), "val": X.ravel()})
    cols = {"time": "year", "loc": "loc", "prod": "prod", "val": "val"}
    pkw = {k: v for k, v in kw.items() if k in ("presence_test", "rca_mcp_threshold", "asymmetric")}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        out = ecomplexity.ecomplexity(df, cols, verbose=False, check_logsupermodularity=False, **kw)
        prox = ecomplexity.proximity(df, cols, **pkw)
    full = pd.MultiIndex.from_product([range(T), range(R), range(I)], names=["year", "loc", "prod"])
    o = out.set_index(["year", "loc", "prod"]).reindex(full)
    res = {c: o[c].to_numpy(dtype=float).reshape(T, R, I) for c in ("rca", "mcp", "density", "cog")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)        # all-NaN slices of dropped rows
        for c in ("eci", "coi", "diversity"):
            res[c] = np.nanmax(o[c].to_numpy(dtype=float).reshape(T, R, I), axis=2)
        for c in ("pci", "ubiquity"):
            res[c] = np.nanmax(o[c].to_numpy(dtype=float).reshape(T, R, I), axis=1)
    P = np.full((T, I, I), np.nan)
    for y, g in prox.groupby("year"):
        P[int(y)][g["prod_1"].to_numpy(), g["prod_2"].to_numpy()] = g["proximity"].to_numpy()
    res["proximity"] = P
    return {k: v[0] for k, v in res.items()} if single else res


def assert_same(got, want, fields=FIELDS, tol=TOL):
    for f in fields:
        a, b = np.asarray(getattr(got, f), dtype=float), want[f]
        assert a.shape == b.shape, f
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"NaN pattern of {f}")
        np.testing.assert_allclose(a, b, rtol=0, atol=tol, err_msg=f, equal_nan=True)


def random_values(shape, *, density_=0.55, seed=0):
    """Skewed non-negative values with ~45 % zeros and a region/industry size gradient."""
    rng = np.random.default_rng(seed)
    X = rng.lognormal(0.0, 1.5, shape) * (rng.random(shape) < density_)
    return X * np.linspace(1, 4, shape[-2])[:, np.newaxis] * np.linspace(1, 2, shape[-1])


# --------------------------------------------------------------------------- diversity / ubiquity

def test_diversity_and_ubiquity_are_row_and_column_sums():
    np.testing.assert_array_equal(diversity(NESTED), [3, 2, 1])
    np.testing.assert_array_equal(ubiquity(NESTED), [3, 2, 1])
    S = np.stack([NESTED, NESTED[::-1]])
    np.testing.assert_array_equal(diversity(S), [[3, 2, 1], [1, 2, 3]])


# --------------------------------------------------------------------------- ECI / PCI by hand

def test_eci_pci_of_the_nested_matrix_by_hand():
    # M̃ = U⁻¹ M' D⁻¹ M with d = u = (3, 2, 1):
    #   M' D⁻¹ M = [[1/3+1/2+1, 1/3+1/2, 1/3], [., 1/3+1/2, 1/3], [., ., 1/3]]
    #   M̃ = [[11/18, 5/18, 2/18], [5/12, 5/12, 2/12], [1/3, 1/3, 1/3]]
    # eigenvalues: 1 and the roots of x² − (49/36 − 1) x + det = x² − 13/36 x + 1/36 → 1/4, 1/9
    # (det M̃ = det(M)² / (det D · det U) = 1/36).  λ₂ = 1/4: (M̃ − I/4) k = 0 →
    #   4k0 + 4k1 + k2 = 0, 13k0 + 10k1 + 4k2 = 0 → k_p = (2, −1, −4)   (Σ u k = 6 − 2 − 4 = 0)
    # k_c = D⁻¹ M k_p = (−3/3, 1/2, 2) correlates negatively with d → flip: k_c = (1, −1/2, −2),
    # k_p = (−2, 1, 4). mean k_c = −1/2, σ = √((1.5² + 0 + 1.5²)/3) = √1.5
    s = np.sqrt(1.5)
    r = eci_pci(NESTED)
    np.testing.assert_allclose(r.eci, [1.5 / s, 0, -1.5 / s], atol=1e-12)
    np.testing.assert_allclose(r.pci, [-1.5 / s, 1.5 / s, 4.5 / s], atol=1e-12)


def test_coi_and_cog_of_the_nested_matrix_by_hand():
    # φ: C = M'M = [[3,2,1],[2,2,1],[1,1,1]], u = (3,2,1) → φ01 = 2/3, φ02 = 1/3, φ12 = 1/2
    # φ row sums: (2, 13/6, 11/6); density of absent cells: d(1,2) = (1/3 + 1/2)/(11/6) = 5/11,
    # d(2,1) = (2/3)/(13/6) = 4/13, d(2,2) = (1/3)/(11/6) = 2/11
    # raw COI with k_p = (−2, 1, 4): region 0: 0; region 1: 4·5/11 = 20/11; region 2: 4/13 + 8/11
    raw = np.array([0.0, 20 / 11, 4 / 13 + 8 / 11])
    want_coi = (raw - raw.mean()) / raw.std()
    # COG = (1 − M) ∘ Σ_k (1 − M_rk) φ_kp k_p,k / rowsum_k / σ(k_c); k_p / rowsum = (−1, 6/13, 24/11), σ = √1.5
    s = np.sqrt(1.5)
    want_cog = np.zeros((3, 3))
    want_cog[1, 2] = (24 / 11) / s
    want_cog[2, 1] = (6 / 13 + 0.5 * 24 / 11) / s
    want_cog[2, 2] = (0.5 * 6 / 13 + 24 / 11) / s
    phi = proximity(NESTED)
    pci = eci_pci(NESTED).pci
    np.testing.assert_allclose(coi(NESTED, phi, pci), want_coi, atol=1e-12)
    np.testing.assert_allclose(cog(NESTED, phi, pci), want_cog, atol=1e-12)
    # any positive affine transform of the PCI gives the same outlook (the shift is removed)
    np.testing.assert_allclose(coi(NESTED, phi, 3 * pci + 7), want_coi, atol=1e-12)
    np.testing.assert_allclose(cog(NESTED, phi, 0.5 * pci - 2), want_cog, atol=1e-12)
    c = complexity(NESTED, presence="manual")
    np.testing.assert_allclose(c.coi, want_coi, atol=1e-12)
    np.testing.assert_allclose(c.cog, want_cog, atol=1e-12)
    np.testing.assert_allclose(c.density[2, 1:], [4 / 13, 2 / 11], atol=1e-15)


def test_complexity_on_a_4x3_value_matrix_by_hand():
    # X row totals (10, 10, 10, 10), column totals (16, 14, 10), total 40
    X = np.array([[8, 2, 0], [6, 4, 0], [2, 4, 4], [0, 4, 6]], dtype=float)
    # RCA = (x/row) / (col/total): col shares (0.4, 0.35, 0.25)
    # row 0: (0.8/0.4, 0.2/0.35, 0) = (2, 0.571, 0); row 1: (1.5, 1.143, 0)
    # row 2: (0.5, 1.143, 1.6); row 3: (0, 1.143, 2.4)
    c = complexity(X)
    np.testing.assert_allclose(c.rca[0], [2, 0.2 / 0.35, 0])
    np.testing.assert_allclose(c.rca[3], [0, 0.4 / 0.35, 2.4])
    np.testing.assert_array_equal(c.mcp, [[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1]])
    np.testing.assert_array_equal(c.diversity, [1, 2, 2, 2])
    np.testing.assert_array_equal(c.ubiquity, [2, 3, 2])
    np.testing.assert_allclose(c.eci.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(c.eci.std(), 1, atol=1e-12)
    # ECI of each region = mean PCI of its industries (ecomplexity's standardisation)
    np.testing.assert_allclose(c.eci, (c.mcp @ c.pci) / c.diversity, atol=1e-12)
    assert np.corrcoef(c.eci, c.diversity)[0, 1] > 0        # sign rule of ecomplexity
    np.testing.assert_array_equal(np.diag(c.proximity), 1)
    assert_same(c, ecomplexity_arrays(X))


# --------------------------------------------------------------------------- parity with ecomplexity

def test_complexity_equals_ecomplexity_on_three_years_with_zero_rows_and_columns():
    X = random_values((3, 70, 18), seed=11)
    X[0, 5] = 0                  # region 5 empty in year 0
    X[1, :, 3] = 0               # industry 3 empty in year 1
    X[2, 7] = 0
    X[2, :, 0] = 0
    X[2, 9, 4] = np.nan          # NaN counts as 0 (ecomplexity coerces)
    got = complexity(X)
    want = ecomplexity_arrays(np.nan_to_num(X))
    assert_same(got, want)
    assert not got.valid_regions[0, 5] and not got.valid_industries[1, 3]
    assert np.isnan(got.eci[0, 5]) and np.isnan(got.pci[1, 3]) and np.isnan(got.proximity[1, 3]).all()


def test_complexity_stack_equals_each_year():
    X = random_values((2, 40, 12), seed=12)
    X[1, 3] = 0
    got = complexity(X)
    for t in range(2):
        one = complexity(X[t])
        for f in FIELDS:
            np.testing.assert_allclose(getattr(got, f)[t], getattr(one, f), rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("seed", [21, 22])
def test_complexity_equals_ecomplexity_on_a_larger_matrix(seed):
    X = random_values((400, 90), seed=seed)
    assert_same(complexity(X), ecomplexity_arrays(X))


def test_complexity_threshold_and_asymmetric_proximity_equal_ecomplexity():
    X = random_values((80, 15), density_=0.8, seed=31)
    got = complexity(X, threshold=1.1, asymmetric=True)
    assert (got.diversity > 0).all() and (got.ubiquity > 0).all()
    assert_same(got, ecomplexity_arrays(X, rca_mcp_threshold=1.1, asymmetric=True))


def test_manual_presence_equals_ecomplexity_manual():
    M = (random_values((60, 14), seed=41) > 1.5).astype(float)
    M[0, :] = 0                  # a region with no industry: dropped by both
    got = complexity(M, presence="manual")
    want = ecomplexity_arrays(M, presence_test="manual")
    assert_same(got, want)


def test_public_kernels_equal_ecomplexity_manual():
    M = (random_values((90, 16), seed=51) > 1.2).astype(float)
    want = ecomplexity_arrays(M, presence_test="manual")
    r = eci_pci(M)
    phi = proximity(M)
    np.testing.assert_allclose(r.eci, want["eci"], atol=TOL)
    np.testing.assert_allclose(r.pci, want["pci"], atol=TOL)
    np.testing.assert_allclose(phi, want["proximity"], atol=TOL)
    np.testing.assert_allclose(density(M, phi), want["density"], atol=TOL)
    np.testing.assert_allclose(coi(M, phi, r.pci), want["coi"], atol=TOL)
    np.testing.assert_allclose(cog(M, phi, r.pci), want["cog"], atol=TOL)


def test_a_region_with_zero_diversity_gets_nan_and_the_rest_is_computed_without_it():
    # ecomplexity 0.5.3 turns every ECI of the year into NaN here; zhizao drops only that region
    X = random_values((50, 10), density_=0.9, seed=61)
    X[4] = X.sum(axis=0) / X.sum() * 10         # region 4 mirrors the total mix: RCA = 1 everywhere
    c = complexity(X, threshold=1.05)
    assert c.diversity[4] == 0 and np.isnan(c.eci[4]) and np.isnan(c.coi[4])
    keep = np.arange(50) != 4
    r = eci_pci(c.mcp[keep])
    np.testing.assert_allclose(c.eci[keep], r.eci, atol=1e-12)
    np.testing.assert_allclose(c.pci, r.pci, atol=1e-12)


def test_unknown_options_raise():
    with pytest.raises(ValueError, match="presence"):
        complexity(NESTED, presence="rpop")
    with pytest.raises(ValueError, match="method"):
        eci_pci(NESTED, method="fitness")
    with pytest.raises(ValueError, match="standardised"):
        eci_pci(NESTED, standardize=False)
    with pytest.raises(ValueError, match="shape"):
        complexity(np.ones((2, 2, 2, 2)))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_eci_is_the_mean_pci_of_the_region_and_correlates_with_diversity(seed):
    M = (np.random.default_rng(seed).random((25, 8)) < 0.5).astype(float)
    r = eci_pci(M)
    ok = M.sum(axis=1) > 0
    okp = M.sum(axis=0) > 0
    if ok.sum() < 3 or okp.sum() < 3 or not np.isfinite(r.eci[ok]).all():
        return
    mean_pci = (M[ok][:, okp] @ r.pci[okp]) / M[ok].sum(axis=1)
    np.testing.assert_allclose(r.eci[ok], mean_pci, atol=1e-9)
    assert np.corrcoef(r.eci[ok], M[ok].sum(axis=1))[0, 1] >= -1e-12


# --------------------------------------------------------------------------- reflections (EconGeo)

# Hidalgo & Hausmann (2009) Fig. S4 network, as in EconGeo's morc/mort examples
HH = np.array([[1, 1, 1, 1],
               [0, 1, 0, 0],
               [0, 0, 1, 1],
               [0, 0, 0, 1]], dtype=float)


def test_reflections_first_steps_by_hand():
    # d = (4, 1, 2, 1), u = (1, 2, 2, 3)
    np.testing.assert_array_equal(morc(HH, steps=0), [4, 1, 2, 1])
    np.testing.assert_array_equal(mort(HH, steps=0), [1, 2, 2, 3])
    # k_c1 = mean ubiquity of own industries: C1 (1+2+2+3)/4 = 2, C2 2, C3 (2+3)/2 = 2.5, C4 3
    np.testing.assert_allclose(morc(HH, steps=1), [2, 2, 2.5, 3])
    # k_p1 = mean diversity of holders: P1 4, P2 (4+1)/2, P3 (4+2)/2, P4 (4+2+1)/3
    np.testing.assert_allclose(mort(HH, steps=1), [4, 2.5, 3, 7 / 3])
    # k_c2 = mean k_p1 of own industries: C1 (4+2.5+3+7/3)/4, C2 2.5, C3 (3+7/3)/2, C4 7/3
    np.testing.assert_allclose(morc(HH, steps=2), [(4 + 2.5 + 3 + 7 / 3) / 4, 2.5, (3 + 7 / 3) / 2, 7 / 3])
    # k_p2 = mean k_c1 of holders: P1 2, P2 (2+2)/2, P3 (2+2.5)/2, P4 (2+2.5+3)/3
    np.testing.assert_allclose(mort(HH, steps=2), [2, 2, 2.25, 2.5])


def test_reflections_from_step_three_are_rescaled_to_0_100():
    # k_c3 = rescale(mean k_p2 of own industries): raw C1 (2+2+2.25+2.5)/4 = 2.1875, C2 2,
    # C3 (2.25+2.5)/2 = 2.375, C4 2.5 → (x − 2) / 0.5 · 100
    np.testing.assert_allclose(morc(HH, steps=3), [37.5, 0, 75, 100])
    got = morc(HH)
    assert np.nanmin(got) == 0 and np.nanmax(got) == 100


def test_reflections_drop_empty_rows_and_columns_and_rca_option():
    M = np.zeros((5, 5))
    M[:4, :4] = HH
    got = morc(M, steps=2)
    assert np.isnan(got[4])
    np.testing.assert_allclose(got[:4], morc(HH, steps=2))
    assert np.isnan(mort(M, steps=2)[4])
    X = np.array([[5, 1, 0], [1, 5, 1], [0, 1, 6]], dtype=float)   # RCA ≥ 1 on the diagonal only
    np.testing.assert_allclose(morc(X, steps=1, rca=True), morc(np.eye(3), steps=1))


def test_eci_pci_reflections_defaults_standardised_and_stacked():
    r = eci_pci(HH, method="reflections")
    np.testing.assert_allclose(r.eci, morc(HH, 20))
    np.testing.assert_allclose(r.pci, mort(HH, 19))
    r4 = eci_pci(HH, method="reflections", iterations=4)
    np.testing.assert_allclose(r4.pci, mort(HH, 4))
    z = eci_pci(HH, method="reflections", standardize=True)
    np.testing.assert_allclose([z.eci.mean(), z.eci.std()], [0, 1], atol=1e-12)
    S = np.stack([HH, HH[:, ::-1]])
    got = morc(S, steps=5)
    np.testing.assert_allclose(got[1], morc(HH[:, ::-1], steps=5))


@pytest.mark.parametrize("X", [np.zeros((3, 3)), np.eye(3), np.ones((3, 3)), np.array([[1.0, 0], [0, 0]]),
                               np.zeros((2, 0, 3))], ids=["zeros", "disconnected", "rank-one", "one-cell", "empty"])
def test_degenerate_matrices_give_nan_without_warnings(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = complexity(X)
        eci_pci(X, method="reflections", standardize=True)
        phi = proximity(X)
        coi(X, phi, np.arange(X.shape[-1], dtype=float))
        cog(X, phi, np.arange(X.shape[-1], dtype=float))
    assert c.eci.shape == X.shape[:-1]
    assert np.isnan(c.eci).all()      # no well-defined second eigenvector (ecomplexity: NaN too)
