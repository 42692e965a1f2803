"""Relatedness (产业关联度 / 技术关联度) between industries and relatedness density (关联密度).

Kernels on region × industry matrices, following the two reference implementations:

* **ecomplexity 0.5.3** (Harvard Growth Lab, ``py-ecomplexity``): :func:`proximity`
  (Hidalgo et al. 2007 minimum conditional probability) and :func:`density`;
* **EconGeo 2.0** (R, P.-A. Balland): :func:`co_occurrence`, :func:`relatedness` (probability
  index, association strength, cosine, Jaccard; van Eck & Waltman 2009, Steijn 2017),
  :func:`density_internal_avg` / :func:`density_external_avg`
  (``relatedness_density_int_avg`` / ``_ext_avg``: technological coherence / flexibility,
  Balland, Rigby & Boschma 2015) and :func:`entry_exit` (``entry_mat`` / ``exit_mat``).

Conventions (shared by ``zhizao.clusters``): a matrix is float64 ``(R, I)`` (regions in rows,
industries in columns) or a stack ``(T, R, I)`` of T years, and every function returns the
stacked result; industry × industry matrices are ``(I, I)`` or ``(T, I, I)``. Binary presence
matrices (``M``, 0/1) are cast to float64 before any matrix product (BLAS, never int64
matmul). Divisions by zero never warn: the affected entries are NaN (or 0 where the reference
implementation sets them to 0), as documented per function. :func:`co_occurrence` and
:func:`proximity` also accept a 2-D ``scipy.sparse`` matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = [
    "EntryExit",
    "co_occurrence",
    "density",
    "density_external_avg",
    "density_internal_avg",
    "entry_exit",
    "proximity",
    "relatedness",
]


def _dense(a) -> np.ndarray:
    """``a`` as a float64 ndarray (dense)."""
    if sp.issparse(a):
        a = a.toarray()
    return np.asarray(a, dtype=np.float64)


def _t(a: np.ndarray) -> np.ndarray:
    """Transpose of the last two axes (a stack of matrices stays a stack)."""
    return np.swapaxes(a, -1, -2)


def _gram(M) -> tuple[np.ndarray, np.ndarray]:
    """``(M'M, column sums of M)`` as dense float64, for dense stacks or a 2-D sparse matrix."""
    if sp.issparse(M):
        M = sp.csr_array(M, dtype=np.float64)
        return _dense(M.T @ M), np.asarray(M.sum(axis=0), dtype=np.float64).ravel()
    M = _dense(M)
    return _t(M) @ M, M.sum(axis=-2)


def _zero_diagonal(C: np.ndarray) -> np.ndarray:
    n = C.shape[-1]
    idx = np.arange(n)
    C[..., idx, idx] = 0.0
    return C


def co_occurrence(M, *, diagonal: bool = False) -> np.ndarray:
    """Co-occurrence counts (共现矩阵) of industry pairs across regions: ``C = M'M``.

    ``C[i, j]`` is the number of regions where industries ``i`` and ``j`` are both present
    (for a binary ``M``). Matches EconGeo ``co_occurrence(t(M), diagonal)``: EconGeo takes an
    industry × event incidence matrix and returns ``mat %*% t(mat)``; here regions are rows,
    so the product is ``M'M``. As in EconGeo the diagonal (number of regions holding the
    industry) is set to 0 unless ``diagonal=True``.

    Parameters
    ----------
    M
        ``(R, I)`` or ``(T, R, I)`` incidence matrix (usually binary RCA), or a 2-D
        ``scipy.sparse`` matrix.
    diagonal
        Keep the diagonal (EconGeo ``diagonal = TRUE``).

    Returns
    -------
    numpy.ndarray
        ``(I, I)`` or ``(T, I, I)`` float64, symmetric.

    Examples
    --------
    >>> M = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    >>> co_occurrence(M)
    array([[0., 2., 1.],
           [2., 0., 2.],
           [1., 2., 0.]])
    >>> co_occurrence(M, diagonal=True).diagonal()
    array([2., 3., 2.])
    """
    C, _ = _gram(M)
    return C if diagonal else _zero_diagonal(C)


def proximity(M, *, asymmetric: bool = False) -> np.ndarray:
    """Product proximity (产品邻近度, Hidalgo et al. 2007): minimum conditional probability.

    .. math:: \\varphi_{ij} = \\frac{\\sum_r M_{ri} M_{rj}}{\\max(u_i, u_j)}, \\quad u_i = \\sum_r M_{ri}

    the smaller of P(has ``i`` | has ``j``) and P(has ``j`` | has ``i``). The diagonal is 1
    for present industries. Identical to ecomplexity 0.5.3 ``calc_discrete_proximity``
    (the matrix behind ``ecomplexity.proximity``, which returns it as an edge list): the
    default is symmetric; ``asymmetric=True`` gives ecomplexity's asymmetric matrix
    ``φ[i, j] = C[i, j] / u_i`` = P(has ``j`` | has ``i``).

    Source: Hidalgo, Klinger, Barabási & Hausmann (2007), *The product space conditions the
    development of nations*, Science 317: 482–487.

    Parameters
    ----------
    M
        Binary ``(R, I)`` or ``(T, R, I)`` presence matrix (Mcp), or 2-D ``scipy.sparse``.
    asymmetric
        Return the conditional probabilities ``C[i, j] / u_i`` instead of the minimum.

    Returns
    -------
    numpy.ndarray
        ``(I, I)`` or ``(T, I, I)`` float64. Industries with zero ubiquity (present nowhere)
        have NaN rows and columns (0/0), as in ecomplexity.

    Examples
    --------
    >>> M = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    >>> proximity(M)
    array([[1.        , 0.66666667, 0.5       ],
           [0.66666667, 1.        , 0.66666667],
           [0.5       , 0.66666667, 1.        ]])
    >>> proximity(M, asymmetric=True)[0]       # P(j | 0): industry 0 is in regions 0 and 1
    array([1. , 1. , 0.5])
    """
    C, u = _gram(M)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = C / u[..., np.newaxis, :]  # C[i, j] / u_j  (ecomplexity: phi / ubiquity[np.newaxis, :])
    if asymmetric:
        return _t(phi).copy()
    return np.minimum(phi, _t(phi))


_METHODS = {"prob": "prob", "probability": "prob", "association": "association",
            "cosine": "cosine", "jaccard": "jaccard"}


def relatedness(C, method: str = "probability") -> np.ndarray:
    """Normalise a co-occurrence matrix into relatedness (关联度), as EconGeo ``relatedness``.

    With ``c_ij`` the co-occurrences (diagonal set to 0), ``s_i = Σ_k c_ki`` (column sums)
    and ``t = Σ_ij c_ij``:

    * ``"probability"`` (EconGeo ``"prob"``, Steijn 2017's probability index, the default):
      ``c_ij / [ ((s_j/t)·(s_i/(t − s_j)) + (s_i/t)·(s_j/(t − s_i))) · t/2 ]``
    * ``"association"`` (association strength): ``(c_ij/t) / ((s_i/t)(s_j/t))``
    * ``"cosine"``: ``c_ij / √(s_i s_j)``
    * ``"jaccard"``: ``c_ij / (s_i + s_j − c_ij)``

    As in EconGeo, NaN results (0/0, an industry without co-occurrences) become 0 and the
    diagonal is 0. The method name is case-insensitive; ``"prob"`` is accepted.

    Source: EconGeo ``relatedness.r`` (Balland, Crespo & Steijn); van Eck & Waltman (2009),
    *How to normalize cooccurrence data?*, JASIST 60(8): 1635–1651.

    Parameters
    ----------
    C
        ``(I, I)`` or ``(T, I, I)`` co-occurrence matrix (e.g. :func:`co_occurrence`).
    method
        ``"probability"`` | ``"association"`` | ``"cosine"`` | ``"jaccard"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``C``, float64.

    Examples
    --------
    >>> C = np.array([[0, 2, 1], [2, 0, 2], [1, 2, 0]])
    >>> relatedness(C, "cosine")        # s = (3, 4, 3): 2/√12, 1/√9, 2/√12
    array([[0.        , 0.57735027, 0.33333333],
           [0.57735027, 0.        , 0.57735027],
           [0.33333333, 0.57735027, 0.        ]])
    >>> float(relatedness(C, "jaccard")[0, 1])  # 2 / (3 + 4 − 2)
    0.4
    """
    key = _METHODS.get(str(method).lower())
    if key is None:
        raise ValueError(f"unknown relatedness method {method!r}; expected one of "
                         "'probability', 'association', 'cosine', 'jaccard'")
    cij = _zero_diagonal(_dense(C).copy())
    s = cij.sum(axis=-2)               # colSums
    si = s[..., np.newaxis, :]          # si[i, j] = s_j   (R: byrow = TRUE)
    sj = s[..., :, np.newaxis]          # sj[i, j] = s_i
    t = cij.sum(axis=(-2, -1))[..., np.newaxis, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        if key == "prob":
            out = cij / (((si / t) * (sj / (t - si)) + (sj / t) * (si / (t - sj))) * (t / 2))
        elif key == "association":
            out = (cij / t) / ((si / t) * (sj / t))
        elif key == "cosine":
            out = cij / np.sqrt(si * sj)
        else:
            out = cij / (si + sj - cij)
    out = np.where(np.isnan(out), 0.0, out)
    return _zero_diagonal(out)


def density(M, phi, *, scale: float = 1.0, decimals: int | None = None) -> np.ndarray:
    """Relatedness density (关联密度) of each region around each industry.

    .. math:: d_{ri} = \\frac{\\sum_k M_{rk}\\, \\varphi_{ik}}{\\sum_k \\varphi_{ik}}

    the proximity-weighted share of industry ``i``'s related industries that region ``r``
    already has. Identical to ecomplexity 0.5.3 ``calc_density`` (``M @ (φ.T / rowsum φ)``,
    0–1 scale; row sums of ``φ`` taken with ``nansum``). EconGeo ``relatedness_density``
    normalises by **column** sums and reports 0–100 rounded to 2 decimals: for a symmetric
    ``φ`` (every output of :func:`proximity` default and :func:`relatedness`) it equals
    ``density(M, φ, scale=100, decimals=2)``; for an asymmetric matrix pass ``φ.T`` to get
    EconGeo's convention.

    Parameters
    ----------
    M
        ``(R, I)`` or ``(T, R, I)`` presence matrix (0/1).
    phi
        ``(I, I)`` or ``(T, I, I)`` proximity / relatedness matrix (broadcast over years).
    scale
        Multiplier: 1 (ecomplexity, default) or 100 (EconGeo).
    decimals
        Round the result (EconGeo: 2). ``None`` (default): no rounding.

    Returns
    -------
    numpy.ndarray
        ``(R, I)`` or ``(T, R, I)``; NaN for industries whose proximity row sums to 0.

    Examples
    --------
    >>> M = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    >>> phi = proximity(M)
    >>> d = density(M, phi)
    >>> round(float(d[0, 2]), 6)     # (0.5 + 2/3) / (0.5 + 2/3 + 1)
    0.538462
    >>> density(M, phi, scale=100, decimals=2)[0]
    array([76.92, 71.43, 53.85])
    """
    M = _dense(M)
    phi = _dense(phi)
    den = np.nansum(phi, axis=-1)[..., :, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = phi / den                   # w[i, k] = φ[i, k] / Σ_k φ[i, k]
    d = M @ _t(w)
    if scale != 1.0:
        d = d * scale
    if decimals is not None:
        d = np.round(d, decimals)
    return d


def _avg_density(d: np.ndarray, w: np.ndarray, decimals: int | None) -> np.ndarray:
    """EconGeo's ``rowSums(reldens * mat, na.rm=TRUE) / rowSums(mat, na.rm=TRUE)``."""
    num = np.nansum(d * w, axis=-1)
    den = np.nansum(w, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return out if decimals is None else np.round(out, decimals)


def density_internal_avg(M, phi, *, scale: float = 100.0, decimals: int | None = None) -> np.ndarray:
    """Average relatedness density **inside** each region's portfolio (技术一致性, coherence).

    .. math:: \\bar d^{int}_r = \\frac{\\sum_i M_{ri} d_{ri}}{\\sum_i M_{ri}}

    with ``d`` from :func:`density` on the 0–100 scale. Matches EconGeo
    ``relatedness_density_int_avg`` (Balland, Rigby & Boschma 2015, *The technological
    resilience of U.S. cities*); EconGeo rounds ``d`` and the average to 0 decimals — pass
    ``decimals=0`` for that (default: no rounding). As in EconGeo (``na.rm = TRUE``), a NaN
    density counts as 0 in the numerator but the industry still counts in the denominator.

    Parameters
    ----------
    M
        Binary ``(R, I)`` or ``(T, R, I)``.
    phi
        ``(I, I)`` or ``(T, I, I)`` relatedness (symmetric; see :func:`density`).
    scale
        100 (EconGeo, default) or 1.
    decimals
        Round the density and the average (EconGeo: 0).

    Returns
    -------
    numpy.ndarray
        ``(R,)`` or ``(T, R)``; NaN for a region with no industry.

    Examples
    --------
    >>> M = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    >>> density_internal_avg(M, proximity(M), decimals=0)   # region 0: (77 + 71) / 2
    array([ 74., 100.,  74.])
    """
    M = _dense(M)
    d = density(M, phi, scale=scale, decimals=decimals)
    w = np.where(M == 0, np.nan, M)     # R: mat[mat == 0] <- NA
    return _avg_density(d, w, decimals)


def density_external_avg(M, phi, *, scale: float = 100.0, decimals: int | None = None) -> np.ndarray:
    """Average relatedness density to industries **outside** the portfolio (技术灵活性, flexibility).

    .. math:: \\bar d^{ext}_r = \\frac{\\sum_i (1 - M_{ri})\\, d_{ri}}{\\sum_i (1 - M_{ri})}

    Matches EconGeo ``relatedness_density_ext_avg`` (0–100 scale; EconGeo rounds to 0
    decimals — ``decimals=0``; NaN densities count as 0 in the numerator, as in EconGeo).

    Parameters
    ----------
    M
        Binary ``(R, I)`` or ``(T, R, I)``.
    phi
        ``(I, I)`` or ``(T, I, I)`` relatedness (symmetric; see :func:`density`).
    scale
        100 (EconGeo, default) or 1.
    decimals
        Round the density and the average (EconGeo: 0).

    Returns
    -------
    numpy.ndarray
        ``(R,)`` or ``(T, R)``; NaN for a region that has every industry.

    Examples
    --------
    >>> M = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    >>> density_external_avg(M, proximity(M), decimals=0)   # region 1 has all three
    array([54., nan, 54.])
    """
    M = _dense(M)
    d = density(M, phi, scale=scale, decimals=decimals)
    w = np.where(M == 1, np.nan, np.where(M == 0, 1.0, M))  # R: mat[mat==1] <- NA; mat[mat==0] <- 1
    return _avg_density(d, w, decimals)


class EntryExit(NamedTuple):
    """Entry and exit events between two periods (float64, NaN where not at risk)."""

    entry: np.ndarray
    exit: np.ndarray


def entry_exit(M0, M1) -> EntryExit:
    """Entry (进入) and exit (退出) of industries between two periods' binary matrices.

    * ``entry[r, i]`` = ``M1[r, i]`` where ``M0[r, i] == 0`` (1: the region entered the
      industry, 0: it did not), NaN where ``M0[r, i] == 1`` (not at risk of entry);
    * ``exit[r, i]`` = 1 where ``M0 == 1`` and ``M1 == 0``, 0 where ``M0 == M1 == 1``, NaN
      where ``M0 == 0`` (not at risk of exit).

    Matches EconGeo ``entry_mat`` (``mat1[mat1 == 1] <- NA; mat1 + mat2``) and ``exit_mat``
    (``mat1[mat1 == 0] <- NA; e <- mat1 + mat2; e[e == 2] <- 0``) for matrices with the same
    regions and industries (EconGeo also aligns differently labelled matrices; align before).
    Used as the dependent variable in diversification regressions on :func:`density`
    (Boschma, Balland & Kogler 2015).

    Parameters
    ----------
    M0, M1
        Binary ``(R, I)`` or ``(T, R, I)`` matrices of the first and second period.

    Returns
    -------
    EntryExit
        ``(entry, exit)``, same shape as the inputs.

    Examples
    --------
    >>> M0 = np.array([[1, 0], [0, 1]])
    >>> M1 = np.array([[0, 1], [0, 1]])
    >>> e = entry_exit(M0, M1)
    >>> e.entry
    array([[nan,  1.],
           [ 0., nan]])
    >>> e.exit
    array([[ 1., nan],
           [nan,  0.]])
    """
    M0 = _dense(M0)
    M1 = _dense(M1)
    if M0.shape != M1.shape:
        raise ValueError(f"M0 and M1 must have the same shape, got {M0.shape} and {M1.shape}")
    entry = np.where(M0 == 1, np.nan, M0 + M1)
    s = M0 + M1
    ex = np.where(M0 == 0, np.nan, np.where(s == 2, 0.0, s))
    return EntryExit(entry, ex)
