"""Economic complexity (经济复杂度): diversity, ubiquity, ECI/PCI, complexity outlook, one-call API.

The eigenvector ECI/PCI, proximity, density, COI and COG are those of **ecomplexity 0.5.3**
(Harvard Growth Lab ``py-ecomplexity``; Hidalgo & Hausmann 2009, Hausmann et al. *Atlas of
Economic Complexity*) and agree with it to ~1e-12 (tests: 1e-9). The method of reflections is
EconGeo's ``morc`` / ``mort`` (Balland & Rigby 2017).

What differs from ecomplexity is the algebra, not the numbers. ecomplexity builds the
non-symmetric industry × industry matrix ``M̃ = U⁻¹ M' D⁻¹ M`` (``D``, ``U``: diversity,
ubiquity) and calls the general ``numpy.linalg.eig``; it also forms the unused R × R matrix and
multiplies int64 Mcp matrices (no BLAS). Here ``M̃`` is similar to the symmetric
``S = A'A`` with ``A = D^{-1/2} M U^{-1/2}``, so one float64 GEMM and a symmetric eigensolver
for only the two largest eigenpairs (``scipy.linalg.eigh``, ``subset_by_index``) give the same
eigenvector: ``k_p = U^{-1/2} v₂``. The ECI is ``k_c = D⁻¹ M k_p`` (as ecomplexity), sign
chosen so that ECI correlates positively with diversity, and both are standardised with the
ECI's mean and (population) standard deviation, so that a region's ECI is the mean PCI of its
industries. The eigensolver runs on one BLAS thread (``threadpoolctl`` when installed; see
``_one_blas_thread``); the matrix products use BLAS's threads. 3,000 × 800 takes ~0.2 s on 2
cores against ~11 s for ecomplexity + its proximity (``benchmarks/clusters.py``).

Zero totals, as ecomplexity: a region or industry whose total (row / column sum of ``X``) is 0
is dropped before anything is computed and gets NaN in every output (``rca``, ``mcp``,
``diversity`` … ``cog``); NaN values in ``X`` count as 0. Differences, only reachable with
``threshold > 1`` or a ``"manual"`` presence matrix: a kept region with diversity 0 or a kept
industry with ubiquity 0 gets NaN ECI / PCI (and NaN proximity for that industry) while the
others are computed on the rest; ecomplexity 0.5.3 then returns NaN for every ECI/PCI/COI/COG of
the year. Not reproduced: ecomplexity's ``knn`` density (its loop sums the neighbours' Mcp
without the proximity weights it computes), continuous (correlation) proximity, RPOP.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import scipy.linalg as sla

from zhizao.clusters.relatedness import _dense, _t, proximity
from zhizao.clusters.specialisation import rca as _rca

__all__ = [
    "Complexity",
    "EciPci",
    "cog",
    "coi",
    "complexity",
    "diversity",
    "eci_pci",
    "morc",
    "mort",
    "ubiquity",
]


def diversity(M) -> np.ndarray:
    """Diversity (多样性) ``k_{r,0} = Σ_i M_ri``: number of industries a region is specialised in.

    ecomplexity ``diversity`` (``nansum(mcp, axis=1)``); EconGeo ``diversity``.

    Examples
    --------
    >>> diversity(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]]))
    array([2., 3., 1.])
    """
    return np.nansum(_dense(M), axis=-1)


def ubiquity(M) -> np.ndarray:
    """Ubiquity (普遍性) ``k_{i,0} = Σ_r M_ri``: number of regions specialised in an industry.

    ecomplexity ``ubiquity`` (``nansum(mcp, axis=0)``); EconGeo ``ubiquity``.

    Examples
    --------
    >>> ubiquity(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]]))
    array([2., 2., 2.])
    """
    return np.nansum(_dense(M), axis=-2)


def _stack3(a: np.ndarray) -> tuple[np.ndarray, bool]:
    if a.ndim == 2:
        return a[np.newaxis], True
    if a.ndim != 3:
        raise ValueError(f"expected a matrix (R, I) or a stack (T, R, I); got shape {a.shape}")
    return a, False


def _masked(x: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return np.where(ok, x, np.nan)


def _nan_mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std over the last axis ignoring NaN; NaN (no warning) if all NaN."""
    ok = ~np.isnan(x)
    n = ok.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(ok, x, 0.0).sum(axis=-1, keepdims=True) / n
        std = np.sqrt(np.where(ok, (x - mean) ** 2, 0.0).sum(axis=-1, keepdims=True) / n)
    return mean, std


def _nan_min_max(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over the last axis ignoring NaN; NaN (no warning) if all NaN."""
    ok = ~np.isnan(x)
    lo = np.where(ok, x, np.inf).min(axis=-1, keepdims=True, initial=np.inf)
    hi = np.where(ok, x, -np.inf).max(axis=-1, keepdims=True, initial=-np.inf)
    none = ~ok.any(axis=-1, keepdims=True)
    return np.where(none, np.nan, lo), np.where(none, np.nan, hi)


@functools.cache
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it the eigensolver uses BLAS's default threads
        return None
    return ThreadpoolController()


def _one_blas_thread():
    """Run LAPACK's eigensolver on one BLAS thread (threadpoolctl, when installed).

    The tridiagonal reduction of an I × I matrix (I ≈ 800) makes ~I small level-2 BLAS calls;
    with several threads each call synchronises them, which measured 5–8× slower than one
    thread on a 2-core machine (0.12–0.18 s vs 0.022 s for I = 800) and far worse when other
    processes compete for the cores. The large matrix products keep BLAS's own threading.
    """
    ctl = _blas_controller()
    return contextlib.nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")


class _Eig(NamedTuple):
    kc: np.ndarray     # (T, R) raw ECI, s1 · D⁻¹ M k_p (0 where not ok_r)
    kp: np.ndarray     # (T, I) raw PCI, s1 · k_p (0 where not ok_p)
    mean: np.ndarray   # (T,) mean of the raw ECI over ok regions
    std: np.ndarray    # (T,) population std of the raw ECI over ok regions


def _eig(M: np.ndarray, div: np.ndarray, ubi: np.ndarray, ok_r: np.ndarray, ok_p: np.ndarray) -> _Eig:
    """Second eigenvector of ``U⁻¹M'D⁻¹M`` through the symmetric ``A'A`` (``M`` zero outside ok)."""
    T, R, I = M.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        d_inv = np.where(ok_r, 1.0 / div, 0.0)
        u_isqrt = np.where(ok_p, 1.0 / np.sqrt(ubi), 0.0)
    A = M * np.sqrt(d_inv)[:, :, np.newaxis] * u_isqrt[:, np.newaxis, :]
    S = _t(A) @ A                                        # (T, I, I) symmetric PSD
    kp = np.zeros((T, I))
    kc = np.zeros((T, R))
    mean = np.full(T, np.nan)
    std = np.full(T, np.nan)
    for t in range(T):                                    # a loop over years only
        p = np.flatnonzero(ok_p[t])
        r = ok_r[t]
        if p.size < 2 or r.sum() < 2:
            continue
        St = S[t] if p.size == I else S[t][np.ix_(p, p)]
        with _one_blas_thread():
            _, vec = sla.eigh(St, subset_by_index=[p.size - 2, p.size - 1], driver="evx",
                              check_finite=False)
        k = np.zeros(I)
        k[p] = u_isqrt[t, p] * vec[:, 0]                 # eigenvalues ascending: [λ₂, λ₁]
        c = d_inv[t] * (M[t] @ k)
        with np.errstate(divide="ignore", invalid="ignore"):    # constant diversity: NaN, as ecomplexity
            s1 = np.sign(np.corrcoef(div[t, r], c[r])[0, 1])  # as ecomplexity: ECI ~ diversity
        kp[t], kc[t] = s1 * k, s1 * c
        mean[t] = kc[t, r].mean()
        std[t] = kc[t, r].std()
    return _Eig(kc, kp, mean, std)


def _density0(M: np.ndarray, phi0: np.ndarray) -> np.ndarray:
    """:func:`density` with industries whose proximity row is all 0 (not ok) giving 0, not NaN."""
    den = phi0.sum(axis=-1)
    w = phi0 / np.where(den > 0, den, 1.0)[..., :, np.newaxis]
    return M @ _t(w)


def _coi_cog(M, dens, phi0, kp, ok_r, ok_p, eci_std):
    """ecomplexity ``calc_coi_cog`` with raw PCI ``kp`` (0 outside ok_p; ``dens`` finite).

    ``coi = Σ_i d (1 − M) k_p`` standardised over regions; ``cog = (1 − M) ∘ ((1 − M) @
    (φ ∘ (k_p / rowsum φ)))`` divided by the population std of the raw ECI.
    """
    absent = 1.0 - M
    raw = ((dens * absent) @ kp[..., np.newaxis])[..., 0]
    mu, sd = _nan_mean_std(np.where(ok_r, raw, np.nan))
    rowsum = phi0.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        coi_ = (raw - mu) / sd
        w = np.where(ok_p, kp / np.where(rowsum > 0, rowsum, 1.0), 0.0)
        cog_ = absent * (absent @ (phi0 * w[..., :, np.newaxis]))
        cog_ /= eci_std[:, np.newaxis, np.newaxis]
    ok = ok_r[:, :, np.newaxis] & ok_p[:, np.newaxis, :]
    return _masked(coi_, ok_r), _masked(cog_, ok)


def _prox(M: np.ndarray, ok_p: np.ndarray, asymmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """(proximity with NaN rows/columns outside ok_p, the same with 0 there)."""
    ok = ok_p[:, :, np.newaxis] & ok_p[:, np.newaxis, :]
    phi = _masked(proximity(M, asymmetric=asymmetric), ok)
    return phi, np.where(ok, phi, 0.0)


class EciPci(NamedTuple):
    """ECI per region and PCI per industry (``(R,)``/``(I,)`` or stacked ``(T, R)``/``(T, I)``)."""

    eci: np.ndarray
    pci: np.ndarray


def _reflections(M, steps_c: int, steps_t: int, rca: bool) -> EciPci:
    X, single = _stack3(np.where(np.isnan(_dense(M)), 0.0, _dense(M)))
    ok_r = X.sum(axis=-1) > 0                              # R: mat[rowSums(mat) > 0, ]
    X = np.where(ok_r[:, :, np.newaxis], X, 0.0)
    ok_p = X.sum(axis=-2) > 0                              #    mat[, colSums(mat) > 0]
    X = np.where(ok_p[:, np.newaxis, :], X, 0.0)
    if rca:
        lq = _rca(X)
        X = np.where(np.nan_to_num(lq) >= 1.0, 1.0, 0.0)  # R: lq[lq < 1] <- 0; lq[lq > 1] <- 1
    d = np.where(ok_r, X.sum(axis=-1), np.nan)
    u = np.where(ok_p, X.sum(axis=-2), np.nan)
    Xt = _t(X)

    def rescale(x):
        lo, hi = _nan_min_max(x)
        return (x - lo) / (hi - lo) * 100

    def mv(A, x):  # A @ x with NaN entries of x ignored (R: rowSums(..., na.rm = TRUE))
        return (A @ np.where(np.isnan(x), 0.0, x)[..., np.newaxis])[..., 0]

    city, tech = d, u
    n = max(steps_c, steps_t)
    out_c = d if steps_c == 0 else None
    out_t = u if steps_t == 0 else None
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(1, n + 1):                          # a loop over reflection steps
            new_c = mv(X, tech) / d
            new_t = mv(Xt, city) / u
            if i >= 3:
                new_c, new_t = rescale(new_c), rescale(new_t)
            city, tech = new_c, new_t
            if i == steps_c:
                out_c = city
            if i == steps_t:
                out_t = tech
    out_c = _masked(out_c, ok_r)
    out_t = _masked(out_t, ok_p)
    return EciPci(out_c[0], out_t[0]) if single else EciPci(out_c, out_t)


def morc(M, steps: int = 20, *, rca: bool = False) -> np.ndarray:
    """Method of reflections for regions (EconGeo ``morc``): ``k_{r,N}``.

    ``k_{r,0}`` = diversity; ``k_{r,1}`` = mean ubiquity of the region's industries;
    ``k_{r,n} = (1/k_{r,0}) Σ_i M_ri k_{i,n−1}``; from step 3 on each step is rescaled to
    0–100 (min–max), exactly as EconGeo. Regions / industries with a zero total are dropped (NaN).
    ``rca=True``: binarise ``M`` first with RCA ≥ 1 (EconGeo ``rca = TRUE``).

    Source: Hidalgo & Hausmann (2009), PNAS 106: 10570–10575; EconGeo ``MORc.r``.

    Examples
    --------
    >>> M = np.array([[1, 1, 1, 1], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])  # Hidalgo–Hausmann Fig. S4
    >>> morc(M, steps=0), morc(M, steps=1)
    (array([4., 1., 2., 1.]), array([2. , 2. , 2.5, 3. ]))
    >>> morc(M).round(2)           # 20 steps, 0–100
    array([ 39.75, 100.  ,   7.25,   0.  ])
    """
    return _reflections(M, steps, 0, rca).eci


def mort(M, steps: int = 19, *, rca: bool = False) -> np.ndarray:
    """Method of reflections for industries (EconGeo ``mort``): ``k_{i,N}``.

    ``k_{i,0}`` = ubiquity; ``k_{i,1}`` = mean diversity of the regions holding the industry;
    ``k_{i,n} = (1/k_{i,0}) Σ_r M_ri k_{r,n−1}``, rescaled to 0–100 from step 3 (EconGeo
    ``MORt.r``; default 19 steps as EconGeo).

    Examples
    --------
    >>> M = np.array([[1, 1, 1, 1], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> mort(M, steps=0), mort(M, steps=1)
    (array([1., 2., 2., 3.]), array([4.        , 2.5       , 3.        , 2.33333333]))
    >>> mort(M).round(2)
    array([ 44.49, 100.  ,  14.5 ,   0.  ])
    """
    return _reflections(M, 0, steps, rca).pci


def _standardise(x: np.ndarray) -> np.ndarray:
    mean, std = _nan_mean_std(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x - mean) / std


def eci_pci(M, *, method: Literal["eigenvector", "reflections"] = "eigenvector",
            iterations: int | None = None, standardize: bool | None = None) -> EciPci:
    """Economic complexity index (ECI, 经济复杂度指数) and product complexity index (PCI, 产品复杂度指数).

    ``method="eigenvector"`` (default) — identical to ecomplexity 0.5.3 ``calc_eci_pci`` plus
    its standardisation: ``k_p`` is the eigenvector of the second-largest eigenvalue of
    ``M̃ = U⁻¹ M' D⁻¹ M`` (``M̃_ij = Σ_r M_ri M_rj / (k_{i,0} k_{r,0})``), ``k_c = D⁻¹ M k_p``,
    the sign makes ``k_c`` correlate positively with diversity, and

    .. math:: ECI = (k_c - \\bar k_c) / \\sigma(k_c), \\quad PCI = (k_p - \\bar k_c) / \\sigma(k_c)

    (population σ), so each region's ECI is the mean PCI of its industries. Computed with the
    symmetric form (module docstring). Regions with diversity 0 / industries with ubiquity 0
    get NaN. ``standardize`` must be None or True here.

    ``method="reflections"`` — EconGeo ``morc`` (regions) and ``mort`` (industries):
    ``iterations=None`` uses EconGeo's defaults (20 steps for regions, 19 for industries), an
    int uses that many for both; values from step 3 on are on EconGeo's 0–100 scale.
    ``standardize=True`` returns z-scores (mean 0, population σ 1) instead.

    Parameters
    ----------
    M
        Binary ``(R, I)`` or ``(T, R, I)`` presence matrix (Mcp).

    Returns
    -------
    EciPci
        ``(eci, pci)``: ``(R,)``, ``(I,)`` (or ``(T, R)``, ``(T, I)``).

    Examples
    --------
    >>> M = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 1]])
    >>> r = eci_pci(M)
    >>> r.eci.round(4), r.pci.round(4)
    (array([ 0.6308,  0.1032, -0.5313, -1.5657,  1.363 ]), array([-1.5657,  0.503 ,  1.3721,  2.2139]))
    >>> bool(np.isclose(r.eci[1], r.pci[:3].mean()))   # ECI = mean PCI of the region's industries
    True
    """
    if method == "reflections":
        steps = (20, 19) if iterations is None else (int(iterations), int(iterations))
        r = _reflections(M, steps[0], steps[1], False)
        return EciPci(_standardise(r.eci), _standardise(r.pci)) if standardize else r
    if method != "eigenvector":
        raise ValueError(f"unknown method {method!r}; expected 'eigenvector' or 'reflections'")
    if standardize is False:
        raise ValueError("the eigenvector ECI/PCI is always standardised (ecomplexity); "
                         "standardize=False only applies to method='reflections'")
    X, single = _stack3(np.where(np.isnan(_dense(M)), 0.0, _dense(M)))
    div, ubi = X.sum(axis=-1), X.sum(axis=-2)
    ok_r, ok_p = div != 0, ubi != 0
    X = np.where(ok_r[:, :, np.newaxis] & ok_p[:, np.newaxis, :], X, 0.0)
    e = _eig(X, div, ubi, ok_r, ok_p)
    m, s = e.mean[:, np.newaxis], e.std[:, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        eci = _masked((e.kc - m) / s, ok_r)
        pci = _masked((e.kp - m) / s, ok_p)
    return EciPci(eci[0], pci[0]) if single else EciPci(eci, pci)


def _raw_pci(M: np.ndarray, pci: np.ndarray, ok_p: np.ndarray) -> np.ndarray:
    """Recover ecomplexity's raw PCI (up to a positive factor) from any ``a·k_p + b``, ``a > 0``.

    The second eigenvector ``k_p`` of ``M̃`` is orthogonal to the first (all ones) in the
    ubiquity-weighted inner product, ``Σ_i u_i k_{p,i} = 0``, so removing the
    ubiquity-weighted mean removes ``b``.
    """
    u = np.where(ok_p, M.sum(axis=-2), 0.0)
    p0 = np.where(ok_p, pci, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = (u * p0).sum(axis=-1, keepdims=True) / u.sum(axis=-1, keepdims=True)
    return np.where(ok_p, pci - b, 0.0)


def _outlook_inputs(M, phi, pci):
    X, single = _stack3(_dense(M))
    T, _, I = X.shape
    P = np.broadcast_to(_dense(phi), (T, I, I))
    pc = np.broadcast_to(_dense(pci), (T, I))
    div, ubi = X.sum(axis=-1), X.sum(axis=-2)
    ok_r, ok_p = div != 0, (ubi != 0) & ~np.isnan(pc) & ~np.isnan(P).all(axis=-1)
    okpp = ok_p[:, :, np.newaxis] & ok_p[:, np.newaxis, :]
    phi0 = np.where(okpp, P, 0.0)
    kp = _raw_pci(X, pc, ok_p)
    with np.errstate(divide="ignore", invalid="ignore"):
        kc = np.where(ok_r, (X @ kp[..., np.newaxis])[..., 0] / div, np.nan)
    eci_std = _nan_mean_std(kc)[1][..., 0]
    dens = _density0(X, phi0)
    return X, dens, phi0, kp, ok_r, ok_p, eci_std, single


def coi(M, phi, pci) -> np.ndarray:
    """Complexity outlook index (复杂度前景指数, COI) of each region, as ecomplexity 0.5.3.

    .. math:: COI_r = \\text{std}\\Big(\\sum_i d_{ri} (1 - M_{ri})\\, k_{p,i}\\Big)

    the density-weighted complexity of the industries the region does not yet have,
    standardised over regions (mean 0, population σ 1). ecomplexity uses its raw eigenvector
    ``k_p``; ``pci`` here may be any ``a·k_p + b`` with ``a > 0`` (e.g. the standardised PCI
    of :func:`eci_pci`): the shift ``b`` is removed with the ubiquity-weighted mean, which is
    0 for ``k_p``, so the result is the same. ``d`` is :func:`~zhizao.clusters.relatedness.density`.

    Parameters
    ----------
    M
        Binary ``(R, I)`` or ``(T, R, I)``.
    phi
        Proximity ``(I, I)`` or ``(T, I, I)`` (:func:`~zhizao.clusters.relatedness.proximity`).
    pci
        ``(I,)`` or ``(T, I)``.

    Examples
    --------
    >>> from zhizao.clusters.relatedness import proximity
    >>> M = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 1]])
    >>> coi(M, proximity(M), eci_pci(M).pci).round(4)
    array([-0.3456,  1.0034,  0.9141,  0.1634, -1.7354])
    """
    X, dens, phi0, kp, ok_r, ok_p, eci_std, single = _outlook_inputs(M, phi, pci)
    c, _ = _coi_cog(X, dens, phi0, kp, ok_r, ok_p, eci_std)
    return c[0] if single else c


def cog(M, phi, pci) -> np.ndarray:
    """Complexity outlook gain (复杂度前景收益, COG) of each region–industry cell, as ecomplexity 0.5.3.

    .. math:: COG_{ri} = (1 - M_{ri}) \\sum_k (1 - M_{rk}) \\frac{\\varphi_{ki}}{\\sum_j \\varphi_{kj}} \\frac{k_{p,k}}{\\sigma(k_c)}

    how much entering industry ``i`` would raise the region's outlook (0 for industries it
    has). ``pci`` may be any positive affine transform of the raw PCI (see :func:`coi`).

    Examples
    --------
    >>> from zhizao.clusters.relatedness import proximity
    >>> M = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 1]])
    >>> cog(M, proximity(M), eci_pci(M).pci)[3].round(4)
    array([0.    , 0.7152, 0.92  , 1.0463])
    """
    X, dens, phi0, kp, ok_r, ok_p, eci_std, single = _outlook_inputs(M, phi, pci)
    _, g = _coi_cog(X, dens, phi0, kp, ok_r, ok_p, eci_std)
    return g[0] if single else g


@dataclass(frozen=True)
class Complexity:
    """Everything ecomplexity's ``ecomplexity()`` returns, plus the proximity matrix.

    Arrays are per year when the input was a stack (leading axis T). NaN marks regions /
    industries dropped for a zero total (and see the module docstring).
    """

    rca: np.ndarray          #: (…, R, I) Balassa RCA (显性比较优势); for presence="manual", X itself
    mcp: np.ndarray          #: (…, R, I) 0/1 presence
    diversity: np.ndarray    #: (…, R)
    ubiquity: np.ndarray     #: (…, I)
    eci: np.ndarray          #: (…, R) standardised ECI
    pci: np.ndarray          #: (…, I) PCI on the ECI's scale
    proximity: np.ndarray    #: (…, I, I) Hidalgo proximity (diagonal 1)
    density: np.ndarray      #: (…, R, I) 0–1
    coi: np.ndarray          #: (…, R) standardised complexity outlook index
    cog: np.ndarray          #: (…, R, I) complexity outlook gain (0 where mcp = 1)
    valid_regions: np.ndarray     #: (…, R) bool: total ≠ 0 (kept)
    valid_industries: np.ndarray  #: (…, I) bool: total ≠ 0 (kept)


def complexity(X, *, threshold: float = 1.0, presence: Literal["rca", "manual"] = "rca",
               asymmetric: bool = False) -> Complexity:
    """The whole ecomplexity pipeline in one call, on a matrix or a stack of years.

    RCA (Balassa) → ``Mcp = [RCA ≥ threshold]`` → diversity, ubiquity → ECI/PCI (eigenvector,
    :func:`eci_pci`) → proximity (:func:`~zhizao.clusters.relatedness.proximity`) → density →
    COI, COG; each equal to ``ecomplexity.ecomplexity(df, cols, rca_mcp_threshold=threshold,
    presence_test=presence, asymmetric=asymmetric)`` (and the matrix of
    ``ecomplexity.proximity``) within 1e-9. Regions / industries with a zero total are dropped
    per year, as ecomplexity (NaN in the outputs; ``valid_regions`` / ``valid_industries``).

    Parameters
    ----------
    X
        ``(R, I)`` or ``(T, R, I)`` values (employment, output, …). NaN counts as 0.
    threshold
        RCA threshold for presence (ecomplexity ``rca_mcp_threshold``, default 1).
    presence
        ``"rca"`` (default) or ``"manual"``: ``X`` already is the presence matrix
        (ecomplexity ``presence_test="manual"``).
    asymmetric
        Asymmetric proximity (ecomplexity ``asymmetric``), used for density and COG.

    Returns
    -------
    Complexity

    Examples
    --------
    >>> X = np.array([[5., 3, 2, 1], [4, 3, 1, 0], [6, 2, 0, 0], [9, 0, 0, 0], [0, 3, 3, 2]])
    >>> c = complexity(X)
    >>> c.mcp
    array([[0., 1., 1., 1.],
           [0., 1., 0., 0.],
           [1., 1., 0., 0.],
           [1., 0., 0., 0.],
           [0., 1., 1., 1.]])
    >>> c.eci.round(3)
    array([ 0.906,  0.459, -0.604, -1.668,  0.906])
    """
    X = _dense(X)
    X, single = _stack3(np.where(np.isnan(X), 0.0, X))
    valid_r = X.sum(axis=-1) != 0
    valid_p = X.sum(axis=-2) != 0
    ok = valid_r[:, :, np.newaxis] & valid_p[:, np.newaxis, :]
    if presence == "rca":
        r = _rca(X)
        M = (ok & (r >= threshold)).astype(np.float64)   # NaN ≥ t is False (ecomplexity: nan_to_num)
    elif presence == "manual":
        r = X
        M = np.where(ok, X, 0.0)
    else:
        raise ValueError(f"unknown presence {presence!r}; expected 'rca' or 'manual'")
    div, ubi = M.sum(axis=-1), M.sum(axis=-2)
    ok_r, ok_p = valid_r & (div != 0), valid_p & (ubi != 0)
    e = _eig(M, div, ubi, ok_r, ok_p)
    m, s = e.mean[:, np.newaxis], e.std[:, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        eci = _masked((e.kc - m) / s, ok_r)
        pci = _masked((e.kp - m) / s, ok_p)
    phi, phi0 = _prox(M, ok_p, asymmetric)
    dens = _density0(M, phi0)
    coi_, cog_ = _coi_cog(M, dens, phi0, e.kp, ok_r, ok_p, e.std)
    okrp = valid_r[:, :, np.newaxis] & ok_p[:, np.newaxis, :]
    out = {
        "rca": _masked(r, ok), "mcp": _masked(M, ok),
        "diversity": _masked(div, valid_r), "ubiquity": _masked(ubi, valid_p),
        "eci": eci, "pci": pci, "proximity": phi, "density": _masked(dens, okrp),
        "coi": coi_, "cog": cog_, "valid_regions": valid_r, "valid_industries": valid_p,
    }
    if single:
        out = {k: v[0] for k, v in out.items()}
    return Complexity(**out)
