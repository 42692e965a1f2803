"""Cell parsing (单元格解析), vectorised over whole pyarrow columns.

Each function takes a string column and returns the typed column plus masks of cells that could
not be read. Accepted spellings are listed in docs/data-format.md ("Cell values"):

* numbers: ``1,234.5``, full-width digits, ``(1,234)`` (negative), ``3.5%``, ``¥12``;
  ``""``, ``-``, ``—`` and the other ``NULL_TOKENS`` are empty;
* dates: ``2023-01-05``, ``2023/1/5``, ``2023.1.5``, ``20230105``, ``2023年1月5日``, Excel serial
  numbers (10000–80000) and date-times (the time is dropped);
* yes/no: ``TRUE_TOKENS`` / ``FALSE_TOKENS`` (是/否, Y/N, true/false, 1/0, √/×, …);
* allowed values: the code or its Chinese label (``schema.VALUE_LABELS``), case-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhizao.data.ingest.reasons import FALSE_TOKENS, NULL_TOKENS, TRUE_TOKENS
from zhizao.data.schema import Column
from zhizao.data.units import normalize_token, unit_factor

_NUM_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_DATE_RE = (r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
            r"(?:[ T]+\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?)?$")
_COMPACT_DATE_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_PERIOD_RE = r"^(?P<y>\d{4})\s*[-/.年]?\s*(?P<m>\d{1,2})\s*月?(?:\s*[-/.]\s*\d{1,2}\s*日?(?:[ T].*)?)?$"
_EXCEL_EPOCH_DAYS = 25569  # 1970-01-01 as an Excel serial (1900 date system)
_NULL_SET = pa.array(sorted({t for t in NULL_TOKENS} | {t.upper() for t in NULL_TOKENS}), pa.string())
_BOOL_SET = pa.array([*TRUE_TOKENS, *FALSE_TOKENS], pa.string())


@dataclass
class Issue:
    """Cells of one column with one problem: ``mask`` over the batch, optional per-cell detail."""

    column: str
    reason: str
    mask: pa.Array
    detail: pa.Array | str | None = None


def _false(n: int) -> pa.Array:
    return pa.array(np.zeros(n, dtype=bool))


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def _nfkc(a: pa.Array) -> pa.Array:
    """NFKC only where needed (full-width digits and punctuation → ASCII)."""
    if len(a) == 0 or a.null_count == len(a) or pc.all(pc.string_is_ascii(a)).as_py() in (True, None):
        return a
    return pc.utf8_normalize(a, "NFKC")


def kept_tokens(col: Column) -> frozenset[str]:
    """The empty spellings that are a value of ``col``: ``none`` (无) is an allowed value of the
    R&D-institution, award and tier columns and a ``none_spellings`` entry of certifications, so
    there a cell ``none`` is kept, not emptied."""
    if col.none_spellings:
        return frozenset(t for t in NULL_TOKENS if t in {s.lower() for s in col.none_spellings})
    if not col.allowed:
        return frozenset()
    spellings = set(allowed_spellings(col)[0])
    return frozenset(t for t in NULL_TOKENS if normalize_token(t) in spellings)


def parse_none_list(col: Column, a: pa.Array) -> pa.Array:
    """A free-text list column with a "none" value (``col.none_spellings``): those spellings
    (any case, surrounding spaces ignored) become ``none``; other text is kept as it is."""
    folded = pc.utf8_lower(pc.utf8_trim_whitespace(_nfkc(a)))
    is_none = pc.is_in(folded, value_set=pa.array([s.lower() for s in col.none_spellings], pa.string()))
    return pc.if_else(pc.fill_null(is_none, False), pa.scalar("none", pa.string()), a)


def clean_text(a: pa.Array, keep: frozenset[str] = frozenset()) -> pa.Array:
    """Trim (incl. full-width spaces); the empty spellings become null, except those in ``keep``
    (lower case; see ``kept_tokens``)."""
    if a.null_count == len(a):
        return a
    t = pc.utf8_trim_whitespace(a)
    nulls = _NULL_SET if not keep else pa.array([x for x in _NULL_SET.to_pylist() if x.lower() not in keep],
                                                pa.string())
    empty = pc.is_in(t, value_set=nulls)
    if _any(empty):
        t = pc.if_else(empty, pa.scalar(None, pa.string()), t)
    return t


def parse_numbers(a: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(float64 values, bad mask, percent mask) of a cleaned text column."""
    n = len(a)
    if a.null_count == n:
        return pa.nulls(n, pa.float64()), _false(n), _false(n)
    try:  # fast path: plain numbers only
        v = pc.cast(a, pa.float64())
        bad = pc.invert(pc.is_finite(v)).fill_null(False)
        return pc.if_else(bad, pa.scalar(None, pa.float64()), v), bad, _false(n)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    t = _nfkc(a)
    t = pc.replace_substring_regex(t, r"[\s¥$_']|元$|^RMB|^CNY", "")
    # commas only as thousands separators ("1,234.5"); "3,5" is not read as 35
    grouped = pc.match_substring_regex(t, r"^[+-]?\(?[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?\)?%?$")
    t = pc.if_else(grouped, pc.replace_substring(t, ",", ""), t)
    paren = pc.match_substring_regex(t, r"^\(.*\)$")
    t = pc.if_else(paren, pc.utf8_slice_codeunits(t, 1, -1), t)
    pct = pc.ends_with(t, "%")
    t = pc.if_else(pct, pc.utf8_slice_codeunits(t, 0, -1), t)
    ok = pc.match_substring_regex(t, _NUM_RE)
    v = pc.cast(pc.if_else(ok, t, pa.scalar(None, pa.string())), pa.float64())
    v = pc.if_else(paren, pc.negate(v), v)
    bad = pc.and_(pc.is_valid(a), pc.invert(ok.fill_null(False)))
    return v, bad, pct.fill_null(False)


def plain_numbers(a: pa.Array) -> pa.Array | None:
    """The float64 column if every cell of the raw text ``a`` is a plain number or null, else None.

    The fast path for machine-written files: no trimming, no empty spellings, no regexes.
    """
    if not pa.types.is_string(a.type):
        return None
    try:
        return pc.cast(a, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def parse_measure(col: Column, a: pa.Array, factor: float,
                  plain: pa.Array | None = None) -> tuple[pa.Array, list[Issue]]:
    """A numeric column in its canonical unit (header ``factor`` applied, ``%`` cells understood).

    ``plain`` is the column already cast by :func:`plain_numbers`, if that worked.
    """
    if plain is not None:
        bad = pc.invert(pc.is_finite(plain)).fill_null(False)
        v, pct = (pc.if_else(bad, pa.scalar(None, pa.float64()), plain) if _any(bad) else plain), _false(len(plain))
    else:
        v, bad, pct = parse_numbers(a)
    issues = []
    if _any(pct):
        pct_factor = unit_factor(col.unit, "%") if col.unit else None
        if pct_factor is None:
            issues.append(Issue(col.name, "bad_number", pct, "此列不接受百分数 / a percentage is not accepted in this column"))
            v = pc.if_else(pct, pa.scalar(None, pa.float64()), v)
            pct_factor = 1.0
        mult = pc.if_else(pct, pa.scalar(pct_factor), pa.scalar(float(factor)))
        v = pc.round(pc.multiply(v, mult), 6)
    elif factor != 1:
        v = pc.round(pc.multiply(v, factor), 6)
    if _any(bad):
        issues.append(Issue(col.name, "bad_number", bad))
    if col.dtype == "int64":
        rounded = pc.round(v)
        frac = pc.greater(pc.abs(pc.subtract(v, rounded)), 1e-6).fill_null(False)
        if _any(frac):
            issues.append(Issue(col.name, "bad_number", frac, "应为整数 / must be a whole number"))
            rounded = pc.if_else(frac, pa.scalar(None, pa.float64()), rounded)
        big = pc.greater(pc.abs(rounded), 9e15).fill_null(False)
        if _any(big):
            issues.append(Issue(col.name, "bad_number", big, "数值过大 / number too large"))
            rounded = pc.if_else(big, pa.scalar(None, pa.float64()), rounded)
        return pc.cast(rounded, pa.int64()), issues
    return v, issues


def parse_year(col: Column, a: pa.Array) -> tuple[pa.Array, list[Issue]]:
    """Year columns also accept "2023年" and "2023年度"."""
    if _any(pc.invert(pc.string_is_ascii(a)).fill_null(False)):
        a = pc.replace_substring_regex(_nfkc(a), r"\s*年度?$", "")
    return parse_measure(col, a, 1.0)


def _ymd_to_date(y: pa.Array, m: pa.Array, d: pa.Array) -> pa.Array:
    iso = pc.binary_join_element_wise(y, pc.utf8_lpad(m, 2, "0"), pc.utf8_lpad(d, 2, "0"), "-")
    ts = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2023-02-30 over to March: keep only dates that print back the same
    same = pc.equal(pc.strftime(ts, format="%Y-%m-%d"), iso)
    return pc.cast(pc.if_else(same, ts, pa.scalar(None, ts.type)), pa.date32())


def parse_dates(col: Column, a: pa.Array) -> tuple[pa.Array, list[Issue]]:
    n = len(a)
    if a.null_count == n:
        return pa.nulls(n, pa.date32()), []
    t = _nfkc(a)
    out = pa.nulls(n, pa.date32())
    for rx in (_DATE_RE, _COMPACT_DATE_RE):
        parts = pc.extract_regex(t, rx)
        if parts.null_count == n:
            continue
        got = _ymd_to_date(pc.struct_field(parts, "y"), pc.struct_field(parts, "m"), pc.struct_field(parts, "d"))
        out = pc.coalesce(out, got)
    serial = pc.match_substring_regex(t, r"^\d{5}(?:\.\d+)?$").fill_null(False)
    if _any(serial):
        days = pc.cast(pc.floor(pc.cast(pc.if_else(serial, t, pa.scalar(None, pa.string())), pa.float64())), pa.int64())
        ok = pc.and_(pc.greater_equal(days, 10000), pc.less_equal(days, 80000)).fill_null(False)
        epoch = pc.subtract(pc.if_else(ok, days, pa.scalar(None, pa.int64())), _EXCEL_EPOCH_DAYS)
        out = pc.coalesce(out, pc.cast(pc.cast(epoch, pa.int32()), pa.date32()))
    bad = pc.and_(pc.is_valid(a), pc.is_null(out))
    return out, ([Issue(col.name, "bad_date", bad)] if _any(bad) else [])


def parse_bools(col: Column, a: pa.Array) -> tuple[pa.Array, list[Issue]]:
    n = len(a)
    if a.null_count == n:
        return pa.nulls(n, pa.bool_()), []
    t = pc.utf8_lower(_nfkc(a))
    t = pc.replace_substring_regex(t, r"\.0+$", "")
    idx = pc.index_in(t, value_set=_BOOL_SET)
    out = pc.less(idx, len(TRUE_TOKENS))
    bad = pc.and_(pc.is_valid(a), pc.is_null(idx))
    return out, ([Issue(col.name, "bad_bool", bad)] if _any(bad) else [])


def allowed_spellings(col: Column) -> tuple[list[str], list[str]]:
    """(accepted spelling, code) pairs for a column with allowed values."""
    from zhizao.data import schema

    labels = getattr(schema, "VALUE_LABELS", {})
    keys, codes = [], []
    for code in col.allowed or ():
        for s in (code, code.replace("_", " "), *labels.get(code, ())):
            k = normalize_token(s)  # folded as the cells are in parse_allowed
            if k not in keys:
                keys.append(k)
                codes.append(code)
    return keys, codes


def parse_allowed(col: Column, a: pa.Array) -> tuple[pa.Array, list[Issue]]:
    n = len(a)
    if a.null_count == n:
        return pa.nulls(n, pa.string()), []
    keys, codes = allowed_spellings(col)
    t = pc.replace_substring_regex(pc.utf8_lower(_nfkc(a)), r"\s+", "")
    idx = pc.index_in(t, value_set=pa.array(keys, pa.string()))
    out = pc.take(pa.array(codes, pa.string()), idx)
    bad = pc.and_(pc.is_valid(a), pc.is_null(idx))
    if not _any(bad):
        return out, []
    detail = f"可选值 / allowed: {', '.join(col.allowed or ())}"
    return out, [Issue(col.name, "not_allowed", bad, detail)]


def parse_period(col: Column, a: pa.Array) -> tuple[pa.Array, list[Issue]]:
    """A month as ``YYYY-MM`` (also 2023/1, 2023年1月, 202301, 2023-01-31)."""
    n = len(a)
    if a.null_count == n:
        return a, []
    t = _nfkc(a)
    parts = pc.extract_regex(t, _PERIOD_RE)
    y, m = pc.struct_field(parts, "y"), pc.struct_field(parts, "m")
    mi = pc.cast(m, pa.int64())
    okm = pc.and_(pc.greater_equal(mi, 1), pc.less_equal(mi, 12))
    out = pc.if_else(okm, pc.binary_join_element_wise(y, pc.utf8_lpad(m, 2, "0"), "-"), pa.scalar(None, pa.string()))
    bad = pc.and_(pc.is_valid(a), pc.is_null(out))
    return out, ([Issue(col.name, "implausible", bad, "月份应为 YYYY-MM / period must be YYYY-MM")] if _any(bad) else [])


def parse_column(col: Column, a: pa.Array, factor: float,
                 plain: pa.Array | None = None) -> tuple[pa.Array, list[Issue]]:
    """Typed values of ``col`` from cleaned text ``a`` (null = empty), with the cells that failed."""
    if col.dtype in ("float64", "int64"):
        if col.name.endswith("year") and plain is None:
            return parse_year(col, a)
        return parse_measure(col, a, factor, plain)
    if col.dtype == "date":
        return parse_dates(col, a)
    if col.dtype == "bool":
        return parse_bools(col, a)
    if col.dtype == "timestamp":
        d, issues = parse_dates(col, a)
        return pc.cast(d, pa.timestamp("us")), issues
    if col.allowed:
        return parse_allowed(col, a)
    if col.none_spellings:
        return parse_none_list(col, a), []
    if col.name == "period":
        return parse_period(col, a)
    return a, []
