"""The indices table (专业化与复杂度指标表): every index of a region × industry matrix, per year.

Assembles the kernels of :mod:`~zhizao.clusters.specialisation`, :mod:`~zhizao.clusters.growth`,
:mod:`~zhizao.clusters.relatedness` and :mod:`~zhizao.clusters.complexity` over a
:class:`~zhizao.clusters.matrix.RegionIndustryMatrix` (all its years in one call: the kernels
take the ``(T, R, I)`` stack) into three long tables, the shape a dashboard or a spreadsheet wants:

* ``cells`` — one row per year × region × industry: ``value``, ``share_of_region``,
  ``share_of_industry``, ``lq`` (区位商), ``rca``, ``mcp``, ``density`` (关联密度, 0–1), ``cog``
  (complexity outlook gain); with a base year also ``value_base``, ``growth``, the shift-share
  components ``ss_national``, ``ss_industry_mix``, ``ss_competitive`` (they add up to
  ``value − value_base``) and ``entry`` / ``exit`` of the specialisation (1/0, null where the
  cell was not at risk);
* ``regions`` — one row per year × region: ``total``, ``diversity``, ``eci`` (eigenvector,
  standardised as ecomplexity), ``eci_reflections`` (method of reflections, EconGeo ``morc``'s
  0–100 scale),
  ``coi``, ``krugman`` (克鲁格曼专业化指数), ``herfindahl``, ``entropy`` and, for industry
  levels below the division, ``related_variety`` / ``unrelated_variety`` (Frenken et al. 2007:
  classes or groups within divisions), ``density_inside`` / ``density_outside`` (EconGeo's
  coherence and flexibility, 0–100);
* every table ends with ``measure``, ``region_level``, ``industry_level`` (what the matrix counts);
* ``industries`` — one row per year × industry: ``total``, ``ubiquity``, ``pci``,
  ``pci_reflections`` (EconGeo ``mort``), ``gini``, ``locational_gini``, ``hoover`` (against the regions' totals:
  how much more concentrated the industry is than the whole economy).

Pure: arrays in, Arrow tables out. Zero-total regions or industries get null indices (NaN in
the kernels), never a division warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from zhizao.clusters.complexity import complexity, eci_pci
from zhizao.clusters.concentration import firm_concentration
from zhizao.clusters.growth import shift_share
from zhizao.clusters.matrix import FirmCells, RegionIndustryMatrix
from zhizao.clusters.relatedness import (
    co_occurrence,
    density_external_avg,
    density_internal_avg,
    entry_exit,
    relatedness,
)
from zhizao.clusters.specialisation import (
    entropy,
    gini,
    herfindahl,
    hoover_index,
    krugman_index,
    location_quotient,
    locational_gini,
    mcp,
    variety,
)

__all__ = ["IndexTables", "indices_tables", "relatedness_pairs"]


@dataclass(frozen=True)
class IndexTables:
    """The three long tables of :func:`indices_tables` (pyarrow)."""

    cells: pa.Table
    regions: pa.Table
    industries: pa.Table


def _col(a: np.ndarray) -> pa.Array:
    """float64 with NaN → null (what a spreadsheet and SQL expect)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return pa.array(a, mask=np.isnan(a), type=pa.float64())


def _described(table: pa.Table, matrix: RegionIndustryMatrix) -> pa.Table:
    """Append what the matrix counts (``measure``, ``region_level``, ``industry_level``): a stored
    table then says how it was built."""
    n = table.num_rows
    for k in ("measure", "region_level", "industry_level"):
        table = table.append_column(k, pa.array([getattr(matrix, k)] * n, pa.string()))
    return table


def _groups(industries: tuple[str, ...], level: str) -> np.ndarray | None:
    if level == "division":
        return None
    _, g = np.unique(np.array([c[:2] for c in industries]), return_inverse=True)
    return g


def indices_tables(matrix: RegionIndustryMatrix, *, base_year: int | None = None,
                   threshold: float = 1.0, firms: dict[int, FirmCells] | None = None) -> IndexTables:
    """All indices of ``matrix`` for each of its years (see the module docstring for the columns).

    Parameters
    ----------
    matrix
        From :func:`~zhizao.clusters.matrix.build_matrix`; every year of its stack is computed.
    base_year
        One of the matrix's years: growth, shift-share and entry/exit of each later year are
        measured against it (rows of the base year itself and earlier carry nulls there).
    threshold
        RCA threshold of a specialisation (Mcp), 1 by default (ecomplexity, EconGeo).
    firms
        Per year, the enterprises' cells and values on the matrix's axes
        (:func:`~zhizao.clusters.matrix.firm_cells` with ``matrix=``): adds the concentration of
        firms within each cell — ``firms`` (count), ``firm_hhi`` (Herfindahl–Hirschman 0–1 of the
        firms' shares), ``top1_share`` and ``top4_share`` (share of the largest 1 / 4 firms).

    >>> import numpy as np
    >>> from zhizao.clusters.matrix import RegionIndustryMatrix
    >>> X = np.array([[[5., 3, 2], [4, 3, 1], [0, 3, 3]], [[6., 3, 2], [4, 4, 1], [1, 3, 4]]])
    >>> m = RegionIndustryMatrix(X, (2023, 2024), ("A", "B", "C"), ("13", "14", "15"),
    ...                          "employees", "county", "division")
    >>> t = indices_tables(m, base_year=2023)
    >>> t.cells.num_rows, t.regions.num_rows, t.industries.num_rows
    (18, 6, 6)
    >>> row = t.cells.filter(t.cells["year"].to_numpy() == 2024).to_pylist()[0]
    >>> row["region_code"], row["industry_code"], row["value"], row["value_base"]
    ('A', '13', 6.0, 5.0)
    >>> round(row["ss_national"] + row["ss_industry_mix"] + row["ss_competitive"], 12)
    1.0
    """
    X = matrix.values
    T, R, I = X.shape
    years = np.asarray(matrix.years, dtype=np.int64)
    c = complexity(X, threshold=threshold)
    M = mcp(X, threshold)          # 0/1 everywhere (complexity's Mcp is NaN on dropped rows / columns)
    lq = location_quotient(X)
    with np.errstate(divide="ignore", invalid="ignore"):
        reg_tot = X.sum(axis=-1)
        ind_tot = X.sum(axis=-2)
        share_r = X / reg_tot[..., :, None]
        share_i = X / ind_tot[..., None, :]
    share_r = np.where(reg_tot[..., :, None] > 0, share_r, np.nan)
    share_i = np.where(ind_tot[..., None, :] > 0, share_i, np.nan)

    cell_cols: dict[str, pa.Array] = {
        "year": pa.array(np.repeat(years, R * I)),
        "region_code": pa.array(np.tile(np.repeat(np.array(matrix.regions, dtype=object), I), T), pa.string()),
        "industry_code": pa.array(np.tile(np.array(matrix.industries, dtype=object), T * R), pa.string()),
        "value": _col(X), "share_of_region": _col(share_r), "share_of_industry": _col(share_i),
        "lq": _col(lq), "rca": _col(c.rca), "mcp": _col(M), "density": _col(c.density), "cog": _col(c.cog),
    }
    if base_year is not None:
        if int(base_year) not in matrix.years:
            raise ValueError(f"base year {base_year} is not among the matrix's years {matrix.years}")
        b = matrix.years.index(int(base_year))
        later = years > int(base_year)
        X0 = np.broadcast_to(X[b], X.shape)
        ss = shift_share(X0, X)
        ee = entry_exit(np.broadcast_to(M[b], M.shape), M)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(X0 > 0, X / X0 - 1.0, np.nan)
        keep = later[:, None, None]

        def only_later(a: np.ndarray) -> pa.Array:
            return _col(np.where(keep, a, np.nan))

        cell_cols.update(
            value_base=only_later(X0), growth=only_later(growth), ss_national=only_later(ss.national),
            ss_industry_mix=only_later(ss.industry_mix), ss_competitive=only_later(ss.competitive),
            entry=only_later(ee.entry), exit=only_later(ee.exit))
    if firms is not None:
        n_cells = R * I
        hhi = np.full((T, n_cells), np.nan)
        top1, top4, count = hhi.copy(), hhi.copy(), np.zeros((T, n_cells))
        for t_, year in enumerate(matrix.years):
            fc = firms.get(int(year))
            if fc is None:
                continue
            if fc.regions != matrix.regions or fc.industries != matrix.industries:
                raise ValueError(f"firms[{year}] is not on the matrix's axes: build it with firm_cells(matrix=...)")
            c_ = firm_concentration(fc.cell, fc.values, n_cells, top=(1, 4))
            hhi[t_], top1[t_], top4[t_], count[t_] = c_.hhi, c_.top_share[1], c_.top_share[4], c_.firms
        cell_cols.update(firms=pa.array(count.ravel().astype(np.int64)), firm_hhi=_col(hhi),
                         top1_share=_col(top1), top4_share=_col(top4))
    cells = pa.table(cell_cols)

    refl = eci_pci(M, method="reflections")
    groups = _groups(matrix.industries, matrix.industry_level)
    var = variety(X, groups) if groups is not None else None
    nan_r = np.full((T, R), np.nan)
    phi = c.proximity
    regions = pa.table({
        "year": pa.array(np.repeat(years, R)),
        "region_code": pa.array(np.tile(np.array(matrix.regions, dtype=object), T), pa.string()),
        "total": _col(reg_tot), "diversity": _col(np.where(c.valid_regions, c.diversity, np.nan)),
        "eci": _col(c.eci), "eci_reflections": _col(refl.eci), "coi": _col(c.coi),
        "krugman": _col(krugman_index(X)), "herfindahl": _col(herfindahl(X)), "entropy": _col(entropy(X)),
        "related_variety": _col(var.related if var is not None else nan_r),
        "unrelated_variety": _col(var.unrelated if var is not None else nan_r),
        "density_inside": _col(density_internal_avg(M, phi)),
        "density_outside": _col(density_external_avg(M, phi)),
    })
    industries = pa.table({
        "year": pa.array(np.repeat(years, I)),
        "industry_code": pa.array(np.tile(np.array(matrix.industries, dtype=object), T), pa.string()),
        "total": _col(ind_tot), "ubiquity": _col(np.where(c.valid_industries, c.ubiquity, np.nan)),
        "pci": _col(c.pci), "pci_reflections": _col(refl.pci), "gini": _col(gini(X)),
        "locational_gini": _col(locational_gini(X)),
        "hoover": _col(hoover_index(X, reg_tot)),
    })
    return IndexTables(_described(cells, matrix), _described(regions, matrix), _described(industries, matrix))


def relatedness_pairs(matrix: RegionIndustryMatrix, *, year: int | None = None, threshold: float = 1.0) -> pa.Table:
    """Industry × industry relatedness (产业关联度) in ``year`` (default: the last), long format.

    One row per pair of distinct industries that co-occur in at least one region's
    specialisations: ``industry_a``, ``industry_b``, ``co_occurrence`` (regions specialised in
    both; EconGeo ``co_occurrence``), ``proximity`` (Hidalgo et al. 2007, = ecomplexity's),
    and EconGeo's normalisations ``probability``, ``association``, ``cosine``, ``jaccard``.

    >>> import numpy as np
    >>> X = np.array([[[5., 5, 0], [5, 5, 0], [0, 1, 9]]])
    >>> m = RegionIndustryMatrix(X, (2024,), ("A", "B", "C"), ("13", "14", "15"), "employees", "county", "division")
    >>> relatedness_pairs(m).select(["industry_a", "industry_b", "co_occurrence", "proximity"]).to_pylist()
    [{'industry_a': '13', 'industry_b': '14', 'co_occurrence': 2, 'proximity': 1.0}, \
{'industry_a': '14', 'industry_b': '13', 'co_occurrence': 2, 'proximity': 1.0}]
    """
    k = len(matrix.years) - 1 if year is None else matrix.years.index(int(year))
    X = matrix.values[k]
    M = mcp(X, threshold)
    c = complexity(X, threshold=threshold)
    C = co_occurrence(M)
    a, b = np.nonzero(C > 0)
    ind = np.array(matrix.industries, dtype=object)
    cols = {"year": pa.array(np.full(len(a), int(matrix.years[k]))),
            "industry_a": pa.array(ind[a], pa.string()), "industry_b": pa.array(ind[b], pa.string()),
            "co_occurrence": pa.array(C[a, b].astype(np.int64)), "proximity": _col(c.proximity[a, b])}
    for method in ("probability", "association", "cosine", "jaccard"):
        cols[method] = _col(relatedness(C, method)[a, b])
    return _described(pa.table(cols), matrix)
