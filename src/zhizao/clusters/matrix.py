"""Region × industry matrices (地区 × 行业矩阵) from the warehouse.

The aggregation (group by year, region, industry over ``enterprises`` ⋈ ``indicators``) is one Ibis
expression run on the backend (DuckDB or PySpark); only the aggregated table comes back to Arrow
and is scattered into a dense ``(T, R, I)`` float64 array, the input of every kernel of
``zhizao.clusters`` (helpers A and B's conventions). ``tables`` is what the land lever takes:
a dict of Ibis tables by name (``Warehouse.tables()``), of which ``enterprises`` and ``indicators``
are read.

Regions: ``county`` = the enterprise's GB/T 2260 county code; ``prefecture`` = its first 4 digits
+ ``00``. Industries: GB/T 4754-2017 ``division`` (大类, 2 digits), ``group`` (中类, 3) or
``class`` (小类, 4) of the enterprise's class. Measures: ``employees`` (年平均职工人数),
``gross_output`` (工业总产值), ``value_added``, ``revenue`` (营业收入), or ``firms`` (enterprises
with a row of indicators that year). A null figure counts as 0 in the sums (规下 units often report
no gross output).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

__all__ = ["MEASURES", "FirmCells", "RegionIndustryMatrix", "build_matrix", "firm_cells"]

Measure = Literal["employees", "gross_output", "value_added", "revenue", "firms"]
RegionLevel = Literal["county", "prefecture"]
IndustryLevel = Literal["division", "group", "class"]
MEASURES = ("employees", "gross_output", "value_added", "revenue", "firms")
_DIGITS = {"division": 2, "group": 3, "class": 4}


@dataclass(frozen=True)
class RegionIndustryMatrix:
    """A stack of region × industry matrices: ``values[t, r, i]`` is the measure of industry
    ``industries[i]`` in region ``regions[r]`` in year ``years[t]``. Axes are sorted codes."""

    values: np.ndarray
    years: tuple[int, ...]
    regions: tuple[str, ...]
    industries: tuple[str, ...]
    measure: str
    region_level: str
    industry_level: str

    def __post_init__(self):
        shape = (len(self.years), len(self.regions), len(self.industries))
        if self.values.shape != shape:
            raise ValueError(f"values has shape {self.values.shape}, the axes say {shape}")

    def year(self, year: int) -> np.ndarray:
        """The ``(R, I)`` matrix of one year."""
        try:
            return self.values[self.years.index(int(year))]
        except ValueError:
            raise KeyError(f"year {year} not in the matrix (years {self.years})") from None

    def to_long(self) -> pa.Table:
        """Long form (``year``, ``region``, ``industry``, ``value``) of the non-zero cells."""
        t, r, i = np.nonzero(self.values)
        return pa.table({
            "year": pa.array(np.asarray(self.years, np.int64)[t]),
            "region": pa.array(np.asarray(self.regions, dtype=object)[r], pa.string()),
            "industry": pa.array(np.asarray(self.industries, dtype=object)[i], pa.string()),
            "value": pa.array(self.values[t, r, i]),
        })


def _keys(tables: dict, *, years: Iterable[int], measure: str, region_level: str, industry_level: str,
          above_scale_only: bool, region_prefix: str | None) -> ir.Table:
    """One row per enterprise and year: year, region, industry, value (uscc, name kept)."""
    if measure not in MEASURES:
        raise ValueError(f"measure: {measure!r} is not one of {MEASURES}")
    if region_level not in ("county", "prefecture"):
        raise ValueError(f"region_level: {region_level!r} is not county or prefecture")
    if industry_level not in _DIGITS:
        raise ValueError(f"industry_level: {industry_level!r} is not one of {tuple(_DIGITS)}")
    ent, ind = tables["enterprises"], tables["indicators"]
    ind = ind.filter(ind.year.isin([int(y) for y in years]))
    if above_scale_only:
        ind = ind.filter(ind.above_scale.fill_null(False))
    e = ent.select("uscc", "name", "region_code", "industry_code")
    if region_prefix:
        e = e.filter(e.region_code.startswith(str(region_prefix)))
    value = ibis.literal(1.0) if measure == "firms" else ind[measure].cast("float64").fill_null(0.0)
    i = ind.select("uscc", "year", _value=value)
    j = i.join(e, "uscc")
    region = j.region_code if region_level == "county" else j.region_code.substr(0, 4) + "00"
    return j.select(uscc=j.uscc, name=j.name, year=j.year.cast("int64"), region=region,
                    industry=j.industry_code.substr(0, _DIGITS[industry_level]), value=j._value)


def build_matrix(tables: dict, *, years: Iterable[int], measure: Measure = "employees",
                 region_level: RegionLevel = "county", industry_level: IndustryLevel = "division",
                 above_scale_only: bool = False, region_prefix: str | None = None) -> RegionIndustryMatrix:
    """The ``(T, R, I)`` matrix of ``measure`` by year, region and industry.

    Parameters
    ----------
    tables
        Ibis tables by name; reads ``enterprises`` (region, industry) and ``indicators`` (figures).
    years
        The years of the stack (the leading axis, in increasing order); a year with no data is
        a zero slice.
    measure, region_level, industry_level
        See the module docstring.
    above_scale_only
        Only enterprises on the 规上 registry that year (``indicators.above_scale``).
    region_prefix
        Only regions whose code starts with it (``"3306"``: 绍兴's counties).

    Returns
    -------
    RegionIndustryMatrix
        Regions and industries are those with a row in any of the years, sorted by code.

    >>> import ibis, pyarrow as pa
    >>> ent = ibis.memtable({"uscc": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...                      "region_code": ["330681", "330681", "330102"],
    ...                      "industry_code": ["1763", "1762", "3451"]})
    >>> ind = ibis.memtable({"uscc": ["a", "b", "c"], "year": [2024, 2024, 2024],
    ...                      "above_scale": [True, False, True], "employees": [10, 5, 7]})
    >>> m = build_matrix({"enterprises": ent, "indicators": ind}, years=[2024])
    >>> m.regions, m.industries, m.values.tolist()
    (('330102', '330681'), ('17', '34'), [[[0.0, 7.0], [15.0, 0.0]]])
    """
    ys = tuple(sorted({int(y) for y in years}))
    k = _keys(tables, years=ys, measure=measure, region_level=region_level, industry_level=industry_level,
              above_scale_only=above_scale_only, region_prefix=region_prefix)
    agg = k.group_by(["year", "region", "industry"]).aggregate(value=k.value.sum()).to_pyarrow()
    year = agg.column("year").to_numpy()
    regions, r_idx = np.unique(agg.column("region").to_numpy(zero_copy_only=False).astype(str), return_inverse=True)
    inds, i_idx = np.unique(agg.column("industry").to_numpy(zero_copy_only=False).astype(str), return_inverse=True)
    values = np.zeros((len(ys), len(regions), len(inds)), dtype=np.float64)
    t_idx = np.searchsorted(np.asarray(ys, dtype=np.int64), year)
    values[t_idx, r_idx, i_idx] = agg.column("value").to_numpy(zero_copy_only=False).astype(np.float64)
    return RegionIndustryMatrix(values, ys, tuple(regions.tolist()), tuple(inds.tolist()), measure,
                                region_level, industry_level)


@dataclass(frozen=True)
class FirmCells:
    """Per enterprise: the flat index of its region × industry cell (``r * I + i``) and its value,
    the input of ``zhizao.clusters.concentration.firm_concentration(cell, values, n_cells)``."""

    uscc: np.ndarray
    name: np.ndarray
    cell: np.ndarray
    values: np.ndarray
    regions: tuple[str, ...]
    industries: tuple[str, ...]

    @property
    def n_cells(self) -> int:
        return len(self.regions) * len(self.industries)


def _index(labels: np.ndarray, axis: tuple[str, ...]) -> np.ndarray:
    """Position of each label on a sorted axis, −1 where absent."""
    ax = np.asarray(axis, dtype=str)
    if ax.size == 0:
        return np.full(len(labels), -1, np.int64)
    pos = np.clip(np.searchsorted(ax, labels), 0, ax.size - 1)
    return np.where(ax[pos] == labels, pos, -1).astype(np.int64)


def firm_cells(tables: dict, *, year: int, measure: Measure = "revenue", region_level: RegionLevel = "county",
               industry_level: IndustryLevel = "division", above_scale_only: bool = False,
               region_prefix: str | None = None, matrix: RegionIndustryMatrix | None = None) -> FirmCells:
    """Each enterprise's cell and value in ``year`` (for firm concentration, HHI 赫芬达尔指数).

    With ``matrix`` the cells follow its axes (enterprises outside them are dropped); otherwise the
    axes are the regions and industries present, sorted.

    >>> import ibis
    >>> ent = ibis.memtable({"uscc": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...                      "region_code": ["330681", "330681", "330102"],
    ...                      "industry_code": ["1763", "1762", "3451"]})
    >>> ind = ibis.memtable({"uscc": ["a", "b", "c"], "year": [2024] * 3, "above_scale": [True] * 3,
    ...                      "revenue": [3.0, 1.0, 2.0]})
    >>> fc = firm_cells({"enterprises": ent, "indicators": ind}, year=2024)
    >>> fc.regions, fc.industries, fc.uscc.tolist(), fc.cell.tolist(), fc.values.tolist()
    (('330102', '330681'), ('17', '34'), ['a', 'b', 'c'], [2, 2, 1], [3.0, 1.0, 2.0])
    """
    k = _keys(tables, years=[year], measure=measure, region_level=region_level, industry_level=industry_level,
              above_scale_only=above_scale_only, region_prefix=region_prefix)
    t = k.select("uscc", "name", "region", "industry", "value").order_by("uscc").to_pyarrow()
    reg = t.column("region").to_numpy(zero_copy_only=False).astype(str)
    ind = t.column("industry").to_numpy(zero_copy_only=False).astype(str)
    if matrix is None:
        regions, industries = tuple(np.unique(reg).tolist()), tuple(np.unique(ind).tolist())
    else:
        regions, industries = matrix.regions, matrix.industries
    r, i = _index(reg, regions), _index(ind, industries)
    keep = (r >= 0) & (i >= 0)
    return FirmCells(
        uscc=t.column("uscc").to_numpy(zero_copy_only=False)[keep],
        name=t.column("name").to_numpy(zero_copy_only=False)[keep],
        cell=(r * len(industries) + i)[keep],
        values=t.column("value").to_numpy(zero_copy_only=False).astype(np.float64)[keep],
        regions=regions, industries=industries,
    )
