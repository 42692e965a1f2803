"""Firm concentration (企业集中度) within region–industry cells: HHI, top-k shares, firm counts.

One pass over the firms with ``numpy.bincount`` and one sort: no loop over firms or cells, so
1,000,000 firms in 100,000 cells take a fraction of a second. The firms' cells come from
``zhizao.clusters.matrix.firm_cells`` (flat index of the firm's region × industry cell; add
``t · R · I`` to fold several years into one call).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["FirmConcentration", "firm_concentration"]


@dataclass(frozen=True)
class FirmConcentration:
    """Per cell (arrays of length ``n_cells``).

    Attributes
    ----------
    hhi
        Herfindahl–Hirschman index ``Σ s_f²`` of the firms' shares, on the 0–1 scale
        (``hhi * 10_000`` is the antitrust 0–10,000 scale, shares in percent). NaN for a cell
        without firms or whose firms' values sum to zero.
    top_share
        ``{k: share of the k largest firms}`` (CR_k, 前k位企业集中度); 1 where the cell has at
        most ``k`` firms; NaN where ``hhi`` is NaN.
    firms
        Number of firms in the cell (int64; firms with value 0 count).
    total
        Sum of the firms' values in the cell.
    """

    hhi: np.ndarray
    top_share: dict[int, np.ndarray]
    firms: np.ndarray
    total: np.ndarray


def firm_concentration(cell, values, n_cells: int, top: Iterable[int] = (1, 4, 10)) -> FirmConcentration:
    """Concentration of firms within each region–industry cell.

    ``HHI_c = Σ_{f∈c} (v_f / V_c)²`` with ``V_c = Σ_{f∈c} v_f`` (Herfindahl 1950, Hirschman
    1945 — the same index as EconGeo ``herfindahl`` (R/Herfindahl.r), here over the firms of a
    cell instead of the industries of a region); ``CR_k = Σ of the k largest v_f / V_c``.
    ``1 / n ≤ HHI ≤ 1`` for a cell with ``n`` firms (equal sizes: ``1 / n``; 1: one firm holds
    everything). 0–10,000 scale: ``hhi * 10_000``.

    Parameters
    ----------
    cell
        Integer array, one per firm: the flat index ``0 ≤ cell < n_cells`` of its cell
        (e.g. ``region * I + industry``).
    values
        Float array, one per firm, ≥ 0 (revenue, output, employees). Drop firms with missing
        values before the call: NaN or negative values raise ``ValueError``.
    n_cells
        Number of cells (the length of the results).
    top
        The ``k`` of the top-``k`` shares (positive integers).

    Returns
    -------
    FirmConcentration

    Examples
    --------
    >>> fc = firm_concentration([0, 0, 0, 2], [6.0, 3.0, 1.0, 5.0], n_cells=3, top=(1, 2))
    >>> fc.hhi.tolist()   # cell 0: 0.6² + 0.3² + 0.1² = 0.46; cell 1 empty; cell 2: one firm
    [0.46, nan, 1.0]
    >>> fc.top_share[2].tolist(), fc.firms.tolist()
    ([0.9, nan, 1.0], [3, 0, 1])
    """
    cell = np.asarray(cell)
    values = np.asarray(values, dtype=np.float64)
    n_cells = int(n_cells)
    if cell.ndim != 1 or values.shape != cell.shape:
        raise ValueError(f"cell and values must be 1-D arrays of the same length; got {cell.shape}, {values.shape}")
    if cell.size and not np.issubdtype(cell.dtype, np.integer):
        raise ValueError(f"cell must be an integer array; got dtype {cell.dtype}")
    cell = cell.astype(np.int64, copy=False)
    if cell.size and (cell.min() < 0 or cell.max() >= n_cells):
        raise ValueError(f"cell indices must lie in [0, {n_cells}); got [{cell.min()}, {cell.max()}]")
    if not np.all(values >= 0):   # also catches NaN
        raise ValueError("values must be non-negative and not NaN (drop firms with missing values first)")
    ks = tuple(int(k) for k in top)
    if any(k < 1 for k in ks):
        raise ValueError(f"top must hold positive integers; got {ks}")

    n = cell.size
    firms = np.bincount(cell, minlength=n_cells)
    total = np.bincount(cell, weights=values, minlength=n_cells)
    sumsq = np.bincount(cell, weights=values * values, minlength=n_cells)
    ok = total > 0
    denom = np.where(ok, total, 1.0)
    hhi = np.where(ok, sumsq / (denom * denom), np.nan)

    # firms ordered by cell, largest value first within a cell: one sort on the composite key
    # cell · n + (rank of the value, descending) — int64 argsort, several times faster than lexsort.
    if ks and n:
        if n_cells * n < 2**62:
            rank = np.empty(n, dtype=np.int64)
            rank[np.argsort(-values)] = np.arange(n, dtype=np.int64)
            order = np.argsort(cell * n + rank)
        else:   # the key would overflow int64
            order = np.lexsort((-values, cell))
        c_sorted = cell[order]
        v_sorted = values[order]
        start = np.cumsum(firms) - firms                  # first position of each cell
        pos = np.arange(n, dtype=np.int64) - start[c_sorted]   # 0 = largest firm of its cell
    top_share = {}
    for k in ks:   # a handful of k, not a loop over firms or cells
        if n:
            topk = np.bincount(c_sorted, weights=np.where(pos < k, v_sorted, 0.0), minlength=n_cells)
        else:
            topk = np.zeros(n_cells)
        top_share[k] = np.where(ok, topk / denom, np.nan)
    return FirmConcentration(hhi=hhi, top_share=top_share, firms=firms.astype(np.int64), total=total)
