"""Growth (增长) of region × industry matrices between two years, and shift-share analysis.

``X0`` (base year) and ``X1`` (final year) are ``(R, I)`` matrices or stacks ``(T, R, I)`` of
pairs (same axes); results are stacked the same way. Growth rates follow EconGeo
``growth_mat`` / ``growth_ind`` / ``growth_reg`` (github.com/PABalland/EconGeo, R/growth_*.r);
shift-share (偏离-份额分析) follows Dunn (1960) and Esteban-Marquillas (1972)'s classical
three-way split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhizao.clusters.specialisation import _as_stack, _div

__all__ = ["GrowthRates", "ShiftShare", "growth_rates", "shift_share"]


def _pair(X0, X1) -> tuple[np.ndarray, np.ndarray]:
    a, b = _as_stack(X0, name="X0"), _as_stack(X1, name="X1")
    if a.shape != b.shape:
        raise ValueError(f"X0 and X1 must have the same shape; got {a.shape} and {b.shape}")
    return a, b


def _rate(x0, x1, scale: float) -> np.ndarray:
    return _div(np.asarray(x1) - np.asarray(x0), x0) * scale


@dataclass(frozen=True)
class GrowthRates:
    """Growth rates ``(x1 − x0) / x0`` (× ``scale``) of cells, industries, regions and the total."""

    cell: np.ndarray       #: ``(…, R, I)``: EconGeo ``growth_mat``
    industry: np.ndarray   #: ``(…, I)``: EconGeo ``growth_ind`` (column totals)
    region: np.ndarray     #: ``(…, R)``: EconGeo ``growth_reg`` (row totals)
    total: np.ndarray      #: ``(…)``: the whole matrix


def growth_rates(X0, X1, *, scale: float = 1.0) -> GrowthRates:
    """Growth rates (增长率) of every cell, industry (column total), region (row total) and the total.

    ``g = (x1 − x0) / x0``. EconGeo ``growth_mat``, ``growth_ind``, ``growth_reg``
    (R/growth_mat.r, R/growth_ind.r, R/growth_reg.r) return percent rounded to 2 digits:
    ``scale=100`` gives their numbers unrounded. A zero base gives NaN here, both for ``0 → 0``
    (EconGeo: 0) and ``0 → x`` (EconGeo: Inf): growth from nothing is undefined; see
    ``shift_share`` for how new cells are accounted.

    Examples
    --------
    >>> g = growth_rates([[10, 0], [20, 10]], [[15, 5], [20, 5]])
    >>> g.cell.tolist()       # 5/10; 0 → 5 undefined; 0/20; −5/10
    [[0.5, nan], [0.0, -0.5]]
    >>> g.industry.tolist(), g.region.tolist(), float(g.total)   # 5/30, 0/10; 10/10, −5/30; 5/40
    ([0.16666666666666666, 0.0], [1.0, -0.16666666666666666], 0.125)
    """
    X0, X1 = _pair(X0, X1)
    return GrowthRates(
        cell=_rate(X0, X1, scale),
        industry=_rate(X0.sum(axis=-2), X1.sum(axis=-2), scale),
        region=_rate(X0.sum(axis=-1), X1.sum(axis=-1), scale),
        total=_rate(X0.sum(axis=(-2, -1)), X1.sum(axis=(-2, -1)), scale),
    )


@dataclass(frozen=True)
class ShiftShare:
    """Shift-share components; ``national + industry_mix + competitive == total`` in every cell.

    Cell arrays are ``(…, R, I)``; ``region_*`` their sums over industries ``(…, R)``;
    ``growth_reference`` (G, ``(…)``) and ``growth_industry`` (g_i, ``(…, I)``) are the
    reference growth rates used.
    """

    national: np.ndarray           # 全国(全省)增长份额 x0 · G
    industry_mix: np.ndarray       # 产业结构偏离 x0 · (g_i − G)
    competitive: np.ndarray        # 竞争力偏离 x1 − x0 · (1 + g_i)
    total: np.ndarray              # x1 − x0
    region_national: np.ndarray
    region_industry_mix: np.ndarray
    region_competitive: np.ndarray
    region_total: np.ndarray
    growth_reference: np.ndarray
    growth_industry: np.ndarray


def shift_share(X0, X1, reference0=None, reference1=None) -> ShiftShare:
    """Shift-share analysis (偏离-份额分析) of the change of every region–industry cell.

    With ``G`` the reference's total growth rate and ``g_i`` its growth rate in industry ``i``:

    * national share (份额分量) ``N = x0 · G``: the change had the cell grown like the reference;
    * industry mix (结构偏离分量) ``M = x0 · (g_i − G)``: extra for the industry's own growth;
    * competitive shift (竞争力偏离分量) ``C = x1 − x0 · (1 + g_i)``, which is
      ``x0 · (g_ri − g_i)`` for ``x0 > 0``; a cell new since the base year (``x0 = 0``) has
      ``N = M = 0`` and ``C = x1``;

    so ``N + M + C = x1 − x0`` exactly (up to float rounding). Dunn (1960); the classical
    three-way split as restated by Esteban-Marquillas (1972). EconGeo has no shift-share function.

    Parameters
    ----------
    X0, X1
        Base- and final-year ``(R, I)`` matrices (or stacks ``(T, R, I)``).
    reference0, reference1
        Reference industry totals in the two years, length ``I`` (or ``(T, I)``), e.g.
        national figures. Omitted (both): the column totals of ``X0`` and ``X1`` (the province
        is its own reference: the competitive shifts of an industry present in the base year sum
        to zero over the regions; the industry-mix shifts sum to zero over the whole matrix
        unless an industry is new, whose whole output is competitive shift). Where the reference's base total of an industry is zero, ``g_i`` is
        undefined and that industry's cells with ``x0 > 0`` are NaN in ``M`` and ``C``.

    Examples
    --------
    >>> s = shift_share([[10, 10], [20, 0]], [[12, 20], [21, 5]])
    >>> float(s.growth_reference), s.growth_industry.tolist()   # G = 18/40; g = 3/30, 15/10
    (0.45, [0.1, 1.5])
    >>> s.national.tolist()          # x0 · 0.45
    [[4.5, 4.5], [9.0, 0.0]]
    >>> s.industry_mix.round(6).tolist()   # x0 · (0.1 − 0.45), x0 · (1.5 − 0.45)
    [[-3.5, 10.5], [-7.0, 0.0]]
    >>> s.competitive.round(6).tolist()    # 12 − 11, 20 − 25; 21 − 22, new cell: 5
    [[1.0, -5.0], [-1.0, 5.0]]
    >>> s.region_total.tolist()
    [12.0, 6.0]
    """
    X0, X1 = _pair(X0, X1)
    if (reference0 is None) != (reference1 is None):
        raise ValueError("give both reference0 and reference1, or neither")
    if reference0 is None:
        r0, r1 = X0.sum(axis=-2), X1.sum(axis=-2)
    else:
        r0 = np.asarray(reference0, dtype=np.float64)
        r1 = np.asarray(reference1, dtype=np.float64)
        if r0.shape != r1.shape or r0.shape[-1] != X0.shape[-1]:
            raise ValueError(f"reference0 and reference1 must be industry totals of length {X0.shape[-1]}; "
                             f"got shapes {r0.shape} and {r1.shape}")
    G = _rate(r0.sum(axis=-1), r1.sum(axis=-1), 1.0)   # (…)
    g = _rate(r0, r1, 1.0)                              # (…, I)
    Gb = np.asarray(G)[..., None, None]
    gb = g[..., None, :]
    has_base = X0 != 0
    national = np.where(has_base, X0 * Gb, 0.0)            # 0 · NaN would be NaN: a new cell has no base
    industry_mix = np.where(has_base, X0 * (gb - Gb), 0.0)
    total = X1 - X0
    competitive = total - national - industry_mix            # = x1 − x0 · (1 + g_i)
    return ShiftShare(
        national=national, industry_mix=industry_mix, competitive=competitive, total=total,
        region_national=national.sum(axis=-1), region_industry_mix=industry_mix.sum(axis=-1),
        region_competitive=competitive.sum(axis=-1), region_total=total.sum(axis=-1),
        growth_reference=np.asarray(G), growth_industry=g,
    )
