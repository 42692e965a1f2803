"""Small vectorised helpers shared by the synthetic-province modules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)


def day(year: int, month: int = 1, d: int = 1) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (dt.date(year, month, d) - EPOCH).days


def year_start_days(years: np.ndarray) -> np.ndarray:
    """Days since epoch of 1 January of each year (vectorised)."""
    return (np.asarray(years, dtype="int64") - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def date_array(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A date32 array from day numbers; ``mask`` True means null."""
    arr = pa.array(np.asarray(days, dtype=np.int32), mask=mask, type=pa.int32())
    return arr.cast(pa.date32())


def rank_uniform(z: np.ndarray) -> np.ndarray:
    """Mid-ranks of ``z`` mapped to (0, 1): the i-th smallest gets (i + 0.5) / n."""
    n = len(z)
    order = np.argsort(z, kind="stable")
    p = np.empty(n, dtype=np.float64)
    p[order] = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1)
    return p


def categorical_rows(u: np.ndarray, cum_rows: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Draw a category per item from the cumulative distribution of its row.

    ``cum_rows`` is (rows × categories), each row cumulative and ending at 1; ``row`` gives each
    item's row; ``u`` are uniforms. Done in blocks to bound memory.
    """
    out = np.empty(len(u), dtype=np.int64)
    block = 200_000
    k = cum_rows.shape[1]
    for s in range(0, len(u), block):
        c = cum_rows[row[s:s + block]]
        out[s:s + block] = np.minimum((c < u[s:s + block, None]).sum(axis=1), k - 1)
    return out


class GroupedSampler:
    """Weighted sampling of candidates within groups (e.g. suppliers of one county × division).

    Candidates are sorted by group key once; a query draws, for each requested key, one candidate
    of that key with probability proportional to its weight (or -1 if the key has none).
    """

    def __init__(self, keys: np.ndarray, weights: np.ndarray):
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]
        w = np.asarray(weights, dtype=np.float64)[self.order]
        self.cum = np.concatenate([[0.0], np.cumsum(w)])

    def sample(self, query: np.ndarray, u: np.ndarray) -> np.ndarray:
        start = np.searchsorted(self.keys, query, side="left")
        end = np.searchsorted(self.keys, query, side="right")
        empty = end <= start
        lo = self.cum[start]
        hi = self.cum[end]
        target = lo + u * (hi - lo)
        pos = np.searchsorted(self.cum, target, side="right") - 1
        pos = np.clip(pos, start, np.maximum(end - 1, start))
        pos = np.minimum(pos, len(self.order) - 1) if len(self.order) else pos
        out = np.where(empty, -1, self.order[pos] if len(self.order) else -1)
        return out


def take_strings(table: list[str] | pa.Array, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``table[idx]`` as a string array (nulls where ``mask``)."""
    arr = table if isinstance(table, pa.Array) else pa.array(table, type=pa.string())
    out = arr.take(pa.array(np.asarray(idx, dtype=np.int64)))
    if mask is not None and mask.any():
        out = pc.if_else(pa.array(~mask), out, pa.scalar(None, pa.string()))
    return out


def lpad_numbers(x: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(x, dtype=np.int64)), pa.string()), width, "0")


def bool_array(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), mask=mask, type=pa.bool_())


def float_array(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64), mask=mask, type=pa.float64())


def int_array(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), mask=mask, type=pa.int64())


