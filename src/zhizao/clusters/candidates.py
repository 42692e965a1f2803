"""Candidate clusters (集群识别) and new-star candidates (新星培育方向) from a region × industry matrix.

* :func:`detect_clusters`: region-industry cells specialised (LQ ≥ ``lq_min``) and big enough
  (share of the province's industry ≥ ``min_share``, optionally ≥ ``min_firms`` firms), merged
  within each region when their industries are related (Hidalgo proximity ≥ ``proximity_min``,
  computed over all regions of the matrix): each connected component of a region is a candidate.
  The idea of US Cluster Mapping (Delgado, Porter & Stern 2016: specialisation, then relatedness),
  on Chinese codes and with relatedness from co-location (Delgado, Porter & Stern 2016, J. Economic
  Geography 16(1):1–38).
* :func:`new_star_candidates`: per region, the industries it is not yet specialised in (RCA < 1)
  where its relatedness density (关联密度) is high, ranked by complexity outlook gain (COG,
  复杂度前景收益): where the region could grow next (Hidalgo et al. 2007; Hausmann et al. 2014).

The kernels are helpers A and B's (``specialisation``, ``relatedness``, ``complexity``); this
module only selects, merges and ranks, vectorised over regions and industries.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.stats import rankdata

from zhizao.clusters.complexity import complexity
from zhizao.clusters.matrix import RegionIndustryMatrix
from zhizao.clusters.relatedness import proximity
from zhizao.clusters.specialisation import location_quotient, mcp

__all__ = ["detect_clusters", "new_star_candidates"]


def _year_index(matrix: RegionIndustryMatrix, year: int | None) -> int:
    return len(matrix.years) - 1 if year is None else matrix.years.index(int(year))


def detect_clusters(matrix: RegionIndustryMatrix, *, year: int | None = None, lq_min: float = 1.25,
                    min_share: float = 0.05, min_firms: int = 0, firms: RegionIndustryMatrix | None = None,
                    proximity_min: float = 0.3) -> pa.Table:
    """Automatic candidate clusters: specialised, sizeable cells merged by relatedness within a region.

    Parameters
    ----------
    matrix
        The measure (employees, revenue, …) by region and industry; ``year`` picks the slice
        (default the last).
    lq_min
        Location quotient (区位商) a cell needs, ``zhizao.clusters.specialisation.location_quotient``.
    min_share
        The cell's share of the province's industry (x_ri / x_i) it needs.
    min_firms, firms
        With ``firms`` (a ``measure="firms"`` matrix on the same axes), cells need ≥ ``min_firms``.
    proximity_min
        Two industries of a region join the same candidate when their proximity (Hidalgo minimum
        conditional probability of RCA ≥ 1 across the matrix's regions,
        ``zhizao.clusters.relatedness.proximity``) is at least this (transitively: connected components).

    Returns
    -------
    pyarrow.Table
        One row per candidate, largest value first: ``year``, ``candidate_id`` (region:first
        industry), ``region``, ``industries`` (``;``-joined codes), ``n_industries``, ``value``
        (sum of the member cells), ``province_share`` (value ÷ the province's value in those
        industries), ``lq`` (the candidate's industries together), ``lq_min`` / ``lq_max`` (of
        the member cells), ``firms`` (null without ``firms``), ``mean_proximity`` (mean proximity
        over member pairs, null for one industry).

    >>> X = np.array([[[50., 40., 0., 10.], [5., 5., 60., 30.], [5., 5., 30., 60.]]])
    >>> m = RegionIndustryMatrix(X, (2024,), ("A", "B", "C"), ("1", "2", "3", "4"), "employees", "county", "division")
    >>> t = detect_clusters(m, lq_min=1.25, min_share=0.3, proximity_min=0.5)
    >>> t.select(["region", "industries", "value"]).to_pylist()
    [{'region': 'A', 'industries': '1;2', 'value': 90.0}, {'region': 'B', 'industries': '3', 'value': 60.0}, {'region': 'C', 'industries': '4', 'value': 60.0}]
    """
    k = _year_index(matrix, year)
    X = np.nan_to_num(np.asarray(matrix.values[k], dtype=np.float64))
    R, I = X.shape
    lq = location_quotient(X)
    col = X.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(col > 0, X / np.where(col > 0, col, 1.0), np.nan)
    F = None if firms is None else np.asarray(firms.values[_year_index(firms, year)], dtype=np.float64)
    if F is not None and F.shape != X.shape:
        raise ValueError(f"firms has shape {F.shape}, the matrix {X.shape}: build both on the same axes")
    with np.errstate(invalid="ignore"):
        ok = (lq >= lq_min) & (share >= min_share) & (X > 0)
        if F is not None:
            ok &= F >= min_firms
    phi = np.nan_to_num(proximity(mcp(X)))
    r_idx, i_idx = np.nonzero(ok)
    n = len(r_idx)
    if n == 0:
        return _empty_candidates()
    # nodes = passing cells; an edge between two cells of the same region with related industries
    same = sp.csr_matrix((np.ones(n), (np.arange(n), r_idx)), shape=(n, R))
    ind = sp.csr_matrix((np.ones(n), (np.arange(n), i_idx)), shape=(n, I))
    related = sp.csr_matrix(phi >= proximity_min, dtype=np.float64)
    adj = (same @ same.T).multiply(ind @ related @ ind.T)
    n_comp, label = connected_components(adj, directed=False)
    comp_region = np.zeros(n_comp, dtype=np.int64)
    comp_region[label] = r_idx
    value = np.bincount(label, weights=X[r_idx, i_idx], minlength=n_comp)
    members = np.bincount(label, minlength=n_comp)
    # the province's value in the member industries, and the member regions' totals
    memb = sp.csr_matrix((np.ones(n), (label, i_idx)), shape=(n_comp, I))
    prov_ind = memb @ col
    reg_tot = X.sum(axis=1)[comp_region]
    total = X.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        prov_share = value / prov_ind
        lq_c = (value / reg_tot) / (prov_ind / total)
    lq_cells = lq[r_idx, i_idx]
    lq_lo = np.full(n_comp, np.inf)
    lq_hi = np.full(n_comp, -np.inf)
    np.minimum.at(lq_lo, label, lq_cells)
    np.maximum.at(lq_hi, label, lq_cells)
    firms_c = np.bincount(label, weights=F[r_idx, i_idx], minlength=n_comp) if F is not None else None
    # mean proximity over member pairs: (Σ_ij φ over members − Σ_i φ_ii) / (k (k − 1))
    pair_sum = np.asarray((memb @ sp.csr_matrix(phi)).multiply(memb).sum(axis=1)).ravel() \
        - np.bincount(label, weights=np.diag(phi)[i_idx], minlength=n_comp)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_phi = np.where(members > 1, pair_sum / (members * (members - 1.0)), np.nan)
    # member industry codes in code order
    order = np.lexsort((i_idx, label))
    codes = np.asarray(matrix.industries, dtype=object)[i_idx[order]]
    lab_sorted = label[order]
    starts = np.searchsorted(lab_sorted, np.arange(n_comp))
    joined = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(np.append(starts, n), pa.int32()), pa.array(codes, pa.string())), ";")
    regions = np.asarray(matrix.regions, dtype=object)[comp_region]
    first = codes[starts]
    out = pa.table({
        "year": pa.array(np.full(n_comp, matrix.years[k], np.int64)),
        "candidate_id": pa.array(regions + ":" + first, pa.string()),
        "region": pa.array(regions, pa.string()), "industries": joined,
        "n_industries": pa.array(members.astype(np.int64)), "value": pa.array(value),
        "province_share": pa.array(prov_share), "lq": pa.array(lq_c),
        "lq_min": pa.array(lq_lo), "lq_max": pa.array(lq_hi),
        "firms": pa.array(firms_c if firms_c is not None else np.full(n_comp, np.nan), from_pandas=True),
        "mean_proximity": pa.array(mean_phi, from_pandas=True),
    })
    return out.take(pa.array(np.lexsort((regions.astype(str), -value))))


def _empty_candidates() -> pa.Table:
    return pa.table({"year": pa.array([], pa.int64()), "candidate_id": pa.array([], pa.string()),
                     "region": pa.array([], pa.string()), "industries": pa.array([], pa.string()),
                     "n_industries": pa.array([], pa.int64()), "value": pa.array([], pa.float64()),
                     "province_share": pa.array([], pa.float64()), "lq": pa.array([], pa.float64()),
                     "lq_min": pa.array([], pa.float64()), "lq_max": pa.array([], pa.float64()),
                     "firms": pa.array([], pa.float64()), "mean_proximity": pa.array([], pa.float64())})


def new_star_candidates(matrix: RegionIndustryMatrix, *, year: int | None = None, density_quantile: float = 0.75,
                        density_min: float = 0.0, rca_max: float = 1.0, top: int | None = 10) -> pa.Table:
    """Industries each region could grow next: high relatedness density, RCA still below ``rca_max``.

    For every region, among the industries with RCA < ``rca_max`` (显性比较优势 not yet reached) a
    candidate needs a relatedness density (ecomplexity ``density``, 0–1) at least the region's
    ``density_quantile`` quantile over those industries and at least ``density_min``; candidates
    are ranked by complexity outlook gain (COG, ``zhizao.clusters.complexity.complexity``), the
    best ``top`` per region kept (all with ``top=None``).

    Returns
    -------
    pyarrow.Table
        ``year``, ``region``, ``industry``, ``rank`` (1 = highest COG in the region), ``rca``,
        ``density``, ``density_percentile`` (of the industry's density among the region's
        unspecialised industries, 0–100), ``cog``, ``pci`` (product complexity), ``value``; sorted
        by region, rank.

    >>> X = np.array([[[9., 9., 0., 1.], [9., 0., 9., 1.], [0., 9., 9., 1.], [1., 1., 1., 9.]]])
    >>> m = RegionIndustryMatrix(X, (2024,), ("A", "B", "C", "D"), ("1", "2", "3", "4"), "employees", "county", "division")
    >>> t = new_star_candidates(m, density_quantile=0.0, top=1)
    >>> t.select(["region", "industry", "rank"]).to_pylist()[:3]
    [{'region': 'A', 'industry': '3', 'rank': 1}, {'region': 'B', 'industry': '2', 'rank': 1}, {'region': 'C', 'industry': '1', 'rank': 1}]
    """
    k = _year_index(matrix, year)
    X = np.nan_to_num(np.asarray(matrix.values[k], dtype=np.float64))
    cx = complexity(X)
    rca_, dens, cog_, pci = cx.rca, cx.density, cx.cog, cx.pci
    with np.errstate(invalid="ignore"):
        open_ = (rca_ < rca_max) & ~np.isnan(dens) & ~np.isnan(cog_)
    # the region's density quantile over its open industries (NaN elsewhere, so nanquantile skips them)
    d_open = np.where(open_, dens, np.nan)
    has = open_.any(axis=1)
    q = np.full(X.shape[0], np.nan)
    if has.any():
        q[has] = np.nanquantile(d_open[has], density_quantile, axis=1, method="linear")
    with np.errstate(invalid="ignore"):
        cand = open_ & (dens >= q[:, None]) & (dens >= density_min)
    # density percentile within the region's open industries (mid-rank)
    n_open = open_.sum(axis=1, keepdims=True)
    ranks = rankdata(d_open, method="average", axis=1, nan_policy="omit") if X.size else d_open
    with np.errstate(invalid="ignore", divide="ignore"):
        dpct = np.where(open_, (ranks - 0.5) / np.maximum(n_open, 1) * 100.0, np.nan)
    r_idx, i_idx = np.nonzero(cand)
    c = cog_[r_idx, i_idx]
    order = np.lexsort((i_idx, -c, r_idx))
    r_idx, i_idx, c = r_idx[order], i_idx[order], c[order]
    start = np.searchsorted(r_idx, np.arange(X.shape[0]))
    rank = np.arange(len(r_idx)) - start[r_idx] + 1
    keep = rank <= top if top is not None else np.ones(len(r_idx), bool)
    r_idx, i_idx, rank, c = r_idx[keep], i_idx[keep], rank[keep], c[keep]
    return pa.table({
        "year": pa.array(np.full(len(r_idx), matrix.years[k], np.int64)),
        "region": pa.array(np.asarray(matrix.regions, dtype=object)[r_idx], pa.string()),
        "industry": pa.array(np.asarray(matrix.industries, dtype=object)[i_idx], pa.string()),
        "rank": pa.array(rank.astype(np.int64)), "rca": pa.array(rca_[r_idx, i_idx]),
        "density": pa.array(dens[r_idx, i_idx]), "density_percentile": pa.array(dpct[r_idx, i_idx]),
        "cog": pa.array(c), "pci": pa.array(pci[i_idx]), "value": pa.array(X[r_idx, i_idx]),
    })
