"""Specialisation and concentration indices (专业化与集聚指数) of region × industry matrices.

Every kernel takes a region × industry matrix ``X`` of shape ``(R, I)`` (regions in rows,
industries in columns; employees, output, firms …, all ≥ 0) or a stack ``(T, R, I)`` of several
years, and returns the stacked result: reductions over regions are ``axis=-2``, over industries
``axis=-1``. ``scipy.sparse`` matrices are accepted and made dense. All arithmetic is float64.

The definitions follow EconGeo (R package by Pierre-Alexandre Balland, v2.0, files
``R/<name>.r`` in github.com/PABalland/EconGeo) and, for RCA / Mcp, py-ecomplexity 0.5.3
(``ComplexityData.calculate_rca`` / ``calculate_mcp``). Differences from EconGeo, everywhere:

* **No rounding.** EconGeo rounds some results (``rca`` to 2 digits, ``entropy`` and ``gini`` to
  3, ``hoover_index`` to 2); we return full float64 values.
* **Zero totals give NaN.** A region (row) or industry (column) whose total is zero has no
  shares; its results are NaN, never a division warning. (EconGeo sets NaN location quotients
  to 0; ecomplexity drops such rows and columns, i.e. NaN.) The 0/1 ``mcp`` is the exception:
  0 there, as both EconGeo (``binary=TRUE``) and ecomplexity (``np.nan_to_num``) have it.
* **Shares on a 0–1 scale** where EconGeo gives percent (``hoover_index``): pass ``scale=100``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = [
    "Variety", "entropy", "gini", "herfindahl", "hoover_index", "krugman_index", "location_quotient",
    "locational_gini", "mcp", "rca", "variety",
]


# ---------------------------------------------------------------------------------------------
# shared helpers (also used by zhizao.clusters.growth)

def _as_stack(X, *, name: str = "X") -> np.ndarray:
    """``X`` as a float64 array with at least 2 dimensions (``(…, R, I)``); sparse → dense."""
    if sp.issparse(X):
        X = X.toarray()
    a = np.asarray(X, dtype=np.float64)
    if a.ndim < 2:
        raise ValueError(f"{name} must be a region × industry matrix (R, I) or a stack (T, R, I); "
                         f"got shape {a.shape}")
    return a


def _div(a, b) -> np.ndarray:
    """``a / b`` broadcast, NaN where ``b`` is zero (no warning)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=(b != 0))
    return out


def _xlogx_shares(p: np.ndarray, base: float) -> np.ndarray:
    """``p · log_base(p)`` elementwise with ``0 · log 0 = 0`` (NaN stays NaN)."""
    logp = np.zeros_like(p)
    np.log(p, out=logp, where=(p > 0))
    return p * logp / np.log(base)


def _shares(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share of each industry in its region ``x_ri / x_r``, share of each industry in the total
    ``x_i / x``), NaN where the denominator is zero."""
    s_region = _div(X, X.sum(axis=-1, keepdims=True))
    col = X.sum(axis=-2, keepdims=True)
    s_total = _div(col, col.sum(axis=-1, keepdims=True))
    return s_region, s_total


# ---------------------------------------------------------------------------------------------
# location quotient, RCA, Mcp

def location_quotient(X) -> np.ndarray:
    """Location quotient (区位商, LQ) of every region–industry cell.

    ``LQ_ri = (x_ri / x_r) / (x_i / x)``: the industry's share of the region, over the
    industry's share of the whole matrix (the province, or the country). LQ > 1: the region is
    more specialised in the industry than the whole.

    Source: EconGeo ``location_quotient`` (R/location_quotient.r); Balassa (1965). EconGeo sets
    NaN to 0; here a region or industry with a zero total gives NaN (module docstring).

    Parameters
    ----------
    X
        ``(R, I)`` or ``(T, R, I)`` non-negative matrix (dense or ``scipy.sparse``).

    Returns
    -------
    numpy.ndarray
        Same shape as ``X``.

    Examples
    --------
    >>> X = [[10, 0], [10, 20]]       # industry shares of the total: 20/40, 20/40
    >>> location_quotient(X).tolist()  # row 1: (10/10)/(1/2) = 2, 0; row 2: (10/30)/(1/2), (20/30)/(1/2)
    [[2.0, 0.0], [0.6666666666666666, 1.3333333333333333]]
    """
    s_region, s_total = _shares(_as_stack(X))
    return _div(s_region, s_total)


def rca(X) -> np.ndarray:
    """Revealed comparative advantage (显性比较优势, Balassa RCA), the same index as the LQ.

    ``RCA_ri = (x_ri / Σ_i x_ri) / (Σ_r x_ri / Σ_ri x_ri)``, computed in the order of
    py-ecomplexity 0.5.3 (``ComplexityData.calculate_rca``: ``num = x / row total``,
    ``den = column total / grand total``, ``num / den``) so the numbers agree to the last bit;
    also EconGeo ``rca`` (R/RCA.r, there rounded to 2 digits, NaN → 0). A region or industry
    with a zero total gives NaN (ecomplexity drops it).

    Examples
    --------
    >>> rca([[1, 1], [0, 2]]).tolist()   # column shares 1/4, 3/4: (1/2)/(1/4) = 2, (1/2)/(3/4)
    [[2.0, 0.6666666666666666], [0.0, 1.3333333333333333]]
    """
    return location_quotient(X)


def mcp(X, threshold: float = 1.0) -> np.ndarray:
    """Binary specialisation matrix M_cp (0/1, float64): 1 where ``rca(X) ≥ threshold``.

    As py-ecomplexity 0.5.3 (``calculate_mcp``: ``np.where(nan_to_num(rca) >= threshold, 1, 0)``)
    and EconGeo ``location_quotient(mat, binary = TRUE)`` (which also maps LQ == 1 to 1).
    Cells of a region or industry with a zero total (RCA NaN) are 0, so the matrix can go
    straight into matrix products (co-occurrence, proximity, density).

    Examples
    --------
    >>> mcp([[1, 1], [0, 2]]).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    >>> mcp([[1, 1], [0, 0]]).tolist()   # empty region: RCA NaN → 0
    [[1.0, 1.0], [0.0, 0.0]]
    """
    r = rca(X)
    return np.where(np.nan_to_num(r) >= threshold, 1.0, 0.0)


# ---------------------------------------------------------------------------------------------
# per region: structure of the industry mix

def krugman_index(X, reference=None) -> np.ndarray:
    """Krugman specialisation index (克鲁格曼专业化指数) of each region.

    ``K_r = Σ_i |x_ri / x_r − s_i|`` with ``s_i`` the reference industry shares: by default
    ``x_i / x`` (column totals of ``X``, the region itself included), as EconGeo
    ``krugman_index`` (R/krugman_index.r); Krugman (1991). 0 = the region has the reference
    structure; the maximum is 2.

    Parameters
    ----------
    X
        ``(R, I)`` or ``(T, R, I)``.
    reference
        Optional industry totals (or shares) of length ``I`` (or ``(T, I)``), e.g. national
        figures; they are normalised to shares.

    Returns
    -------
    numpy.ndarray
        ``(R,)`` or ``(T, R)``; NaN for a region with a zero total.

    Examples
    --------
    >>> krugman_index([[10, 0], [10, 20]]).round(6).tolist()  # |1 − ½| + |0 − ½|; |⅓ − ½| + |⅔ − ½|
    [1.0, 0.333333]
    >>> krugman_index([[10, 0], [10, 20]], reference=[1, 3]).round(6).tolist()
    [1.5, 0.166667]
    """
    X = _as_stack(X)
    s_region, s_total = _shares(X)
    if reference is not None:
        ref = np.asarray(reference, dtype=np.float64)
        s_total = _div(ref, ref.sum(axis=-1, keepdims=True))[..., None, :]
    return np.abs(s_region - s_total).sum(axis=-1)


def herfindahl(X) -> np.ndarray:
    """Herfindahl–Hirschman index (赫芬达尔指数) of each region's industry mix.

    ``HHI_r = Σ_i x_ri² / (Σ_i x_ri)²`` (0–1; 1 = one industry). EconGeo ``herfindahl``
    (R/Herfindahl.r); Herfindahl (1959), Hirschman (1945). NaN for a region with a zero total.

    Examples
    --------
    >>> herfindahl([[10, 0], [10, 30]]).tolist()   # 1; (100 + 900) / 1600
    [1.0, 0.625]
    """
    X = _as_stack(X)
    return _div((X * X).sum(axis=-1), X.sum(axis=-1) ** 2)


def entropy(X, *, base: float = 2.0) -> np.ndarray:
    """Shannon entropy (香农熵, diversity of the industry mix) of each region.

    ``H_r = −Σ_i p_ri log₂ p_ri`` with ``p_ri = x_ri / x_r`` and ``0 · log 0 = 0``. EconGeo
    ``entropy`` (R/entropy.r) computes ``−Σ p log₂(p + 1e-9)`` rounded to 3 digits; this is the
    exact value (the difference is below 1e-8 per industry). Base 2 as EconGeo and Frenken,
    Van Oort & Verburg (2007); ``base=np.e`` for nats. NaN for a region with a zero total.

    Examples
    --------
    >>> entropy([[1, 1, 2], [5, 0, 0]]).tolist()   # ¼·2 + ¼·2 + ½·1 = 1.5 bits; one industry: 0
    [1.5, 0.0]
    """
    X = _as_stack(X)
    p = _div(X, X.sum(axis=-1, keepdims=True))
    return 0.0 - _xlogx_shares(p, base).sum(axis=-1)


class Variety(NamedTuple):
    """Total, related and unrelated variety (Frenken, Van Oort & Verburg 2007), per region."""

    total: np.ndarray
    related: np.ndarray
    unrelated: np.ndarray


def variety(X, groups, *, base: float = 2.0) -> Variety:
    """Related and unrelated variety (相关多样化 / 无关多样化) of each region.

    Frenken, Van Oort & Verburg (2007), Regional Studies 41(5): 685–697, §"Variety", with
    ``p_i = x_ri / x_r`` the share of fine industry ``i`` (e.g. GB/T 4754 class) and
    ``P_g = Σ_{i∈g} p_i`` the share of its group ``g`` (e.g. division):

    * unrelated variety ``UV = Σ_g P_g log₂(1 / P_g)`` (entropy over groups);
    * related variety ``RV = Σ_g P_g H_g`` with ``H_g = Σ_{i∈g} (p_i / P_g) log₂(P_g / p_i)``
      (the entropy of the industries within each group, weighted by the group's share);
    * total variety = ``entropy(X)`` ``= UV + RV`` (the entropy decomposition theorem).

    Parameters
    ----------
    X
        ``(R, I)`` or ``(T, R, I)``.
    groups
        Length-``I`` array: the group label of each industry (any sortable labels).
    base
        Logarithm base (2: bits, as the paper).

    Returns
    -------
    Variety
        ``(total, related, unrelated)``, each ``(R,)`` or ``(T, R)``; NaN for an empty region.

    Examples
    --------
    >>> v = variety([[1, 1, 2]], groups=[0, 0, 1])   # groups: ½, ½ → UV = 1; RV = ½ · H(½, ½) = ½
    >>> [float(v.total[0]), float(v.related[0]), float(v.unrelated[0])]
    [1.5, 0.5, 1.0]
    """
    X = _as_stack(X)
    groups = np.asarray(groups)
    if groups.shape != (X.shape[-1],):
        raise ValueError(f"groups must have one label per industry: shape ({X.shape[-1]},), got {groups.shape}")
    _, inv = np.unique(groups, return_inverse=True)
    onehot = np.zeros((X.shape[-1], int(inv.max()) + 1 if inv.size else 0))
    onehot[np.arange(X.shape[-1]), inv] = 1.0
    row = X.sum(axis=-1, keepdims=True)
    p = _div(X, row)                       # (…, R, I)
    P = _div(X @ onehot, row)              # (…, R, G)
    unrelated = 0.0 - _xlogx_shares(P, base).sum(axis=-1)
    within = _div(p, P[..., inv])          # p_i / P_g(i); NaN only where P_g = 0, i.e. p_i = 0
    within = np.where(p > 0, within, 0.0)
    related = 0.0 - (P[..., inv] * _xlogx_shares(within, base)).sum(axis=-1)
    related = np.where(np.isnan(unrelated), np.nan, related)
    return Variety(total=entropy(X, base=base), related=related, unrelated=unrelated)


# ---------------------------------------------------------------------------------------------
# per industry: geographic concentration

def _columns(X, name: str = "X") -> tuple[np.ndarray, bool]:
    """A 1-D vector (one industry over regions) as a one-column matrix; flag to squeeze back."""
    a = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    if a.ndim == 1:
        return a[:, None], True
    return _as_stack(a, name=name), False


def gini(X) -> np.ndarray:
    """Gini coefficient (基尼系数) of each industry's distribution over regions.

    Regions sorted ascending, ``x_(1) ≤ … ≤ x_(n)``, equal weights:
    ``G = 2 Σ_k k · x_(k) / (n Σ_k x_(k)) − (n + 1) / n`` (0 = equal; maximum ``(n − 1) / n``).
    This is EconGeo ``gini`` (R/Gini.r, v2.0: the Lorenz-curve sum
    ``Σ ν_{k+1} p_k − ν_k p_{k+1}`` with ``p_k = k/n``, ``ν_k`` the cumulative share; rounded
    there to 3 digits); Gini (1921). Like EconGeo, missing (NaN) regions are left out
    (``complete.cases``) and a vector is one industry. NaN for an industry with a zero total.

    Parameters
    ----------
    X
        ``(R, I)``, ``(T, R, I)`` or a vector of ``R`` regional counts.

    Returns
    -------
    numpy.ndarray
        ``(I,)``, ``(T, I)``, or a 0-d array for a vector.

    Examples
    --------
    >>> float(gini([0, 10, 10, 30, 50]))   # EconGeo's example: 2·420/(5·100) − 6/5
    0.48
    >>> gini([[1, 0], [1, 0], [1, 3]]).tolist()   # equal: 0; all in one of 3 regions: 2/3
    [0.0, 0.6666666666666667]
    """
    a, squeeze = _columns(X)
    xs = np.sort(a, axis=-2)                          # NaN sort last
    valid = ~np.isnan(xs)
    n = valid.sum(axis=-2)
    k = np.cumsum(valid, axis=-2)                     # ranks 1..n of the valid values
    x0 = np.where(valid, xs, 0.0)
    total = x0.sum(axis=-2)
    g = _div(2.0 * (k * x0).sum(axis=-2), n * total) - _div(n + 1.0, n)
    return g[..., 0] if squeeze else g


def locational_gini(X) -> np.ndarray:
    """Krugman's locational Gini (区位基尼系数) of each industry, 0 – 0.5.

    Regions sorted by ``x_ri / (x_r / x)`` (the LQ order); ``c_k`` the cumulative share of the
    industry, ``q_k`` the cumulative share of all activity (the regions' totals):
    ``LG_i = ½ Σ_{k<n} (c_{k+1} q_k − c_k q_{k+1})`` — the area between the industry's
    Lorenz curve against total activity and the diagonal (half the usual Gini, hence the
    theoretical limit 0.5). EconGeo ``locational_gini`` (R/locational_gini.r); Krugman (1991),
    Geography and Trade, ch. 2, p. 56. 0 = the industry is spread like all activity.
    NaN for an industry with a zero total.

    Examples
    --------
    >>> locational_gini([[1, 0], [1, 2]]).tolist()
    [0.125, 0.125]
    """
    X = _as_stack(X)
    row = X.sum(axis=-1, keepdims=True)
    pop = _div(row, row.sum(axis=-2, keepdims=True))  # (…, R, 1)
    pop_b = np.broadcast_to(pop, X.shape)
    order = np.argsort(_div(X, pop_b), axis=-2)       # NaN (empty regions) last; they add no area
    ind = np.take_along_axis(X, order, axis=-2)
    pp = np.take_along_axis(pop_b, order, axis=-2)
    c = np.cumsum(ind, axis=-2)
    c = _div(c, c[..., -1:, :])
    q = np.cumsum(pp, axis=-2)
    q = _div(q, q[..., -1:, :])
    area2 = (c[..., 1:, :] * q[..., :-1, :] - c[..., :-1, :] * q[..., 1:, :]).sum(axis=-2)
    return area2 / 2.0


def hoover_index(X, reference=None, *, scale: float = 1.0) -> np.ndarray:
    """Hoover index (胡佛指数, geographic concentration against a reference) of each industry.

    ``H_i = ½ Σ_r |x_ri / x_i − a_r / a|``, with ``a_r`` the reference distribution over regions
    (population, land, total employment …; equal shares when omitted). 0 = the industry is
    distributed like the reference; 1 = entirely where the reference is not. EconGeo
    ``hoover_index`` (R/hoover_index.r) returns percent rounded to 2 digits: ``scale=100``
    gives its numbers unrounded. Regions with a missing (NaN) value or reference are left out
    (EconGeo's ``complete.cases``). Hoover (1936). NaN for an industry with a zero total.

    Parameters
    ----------
    X
        ``(R, I)``, ``(T, R, I)`` or a vector of ``R`` regional counts.
    reference
        Length-``R`` (or ``(T, R)``) regional reference counts; ``None`` = equal.
    scale
        Multiplier of the 0–1 index (100: EconGeo's percent).

    Examples
    --------
    >>> float(hoover_index([0, 10, 10, 30, 50], [10, 15, 20, 25, 30], scale=100))  # EconGeo's example
    25.0
    >>> hoover_index([[1, 0], [1, 2]]).tolist()   # vs equal shares: ½(0 + 0); ½(½ + ½)
    [0.0, 0.5]
    """
    a, squeeze = _columns(X)
    if reference is None:
        pop = np.ones(a.shape[:-1] + (1,))
    else:
        pop = np.asarray(reference, dtype=np.float64)[..., None]
    ind, pop = np.broadcast_arrays(a, pop)
    valid = ~(np.isnan(ind) | np.isnan(pop))
    ind = np.where(valid, ind, 0.0)
    pop = np.where(valid, pop, 0.0)
    s_ind = _div(ind, ind.sum(axis=-2, keepdims=True))
    s_pop = _div(pop, pop.sum(axis=-2, keepdims=True))
    h = 0.5 * np.abs(s_ind - s_pop).sum(axis=-2) * scale
    return h[..., 0] if squeeze else h
