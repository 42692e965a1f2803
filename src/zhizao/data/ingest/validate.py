"""Whole-column checks (校验) on a parsed sheet: ranges, code tables, plausibility, duplicates,
and enterprises unknown to the warehouse.

Everything works on pyarrow columns; code tables are consulted once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from zhizao.data.ingest.parse import Issue, _any
from zhizao.data.schema import Table

# (column, other column, factor, zh, en): column > other × factor is implausible
PLAUSIBILITY: dict[str, tuple[tuple[str, str, float, str, str], ...]] = {
    "indicators": (
        ("main_revenue", "revenue", 1.05, "主营业务收入超过营业收入的 105%", "main-business revenue exceeds 105% of revenue"),
        ("total_liabilities", "total_assets", 10.0, "负债合计超过资产总计的 10 倍", "total liabilities exceed 10× total assets"),
        ("rd_staff", "employees", 1.0, "研发人员数超过年平均职工人数", "R&D staff exceed employees"),
        ("ip_class1_high_value", "ip_class1", 1.0, "I类高价值知识产权数超过I类知识产权数",
         "class I high-value IP exceeds class I IP"),
        ("value_added", "gross_output", 1.01, "工业增加值超过工业总产值", "value added exceeds gross output"),
    ),
    "monthly_stats": (
        ("value_added_current", "gross_output", 1.01, "工业增加值超过工业总产值", "value added exceeds gross output"),
    ),
}


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e7 else f"{x:.3g}"


def check_ranges(t: pa.Table, table: Table, *, now: datetime) -> list[Issue]:
    issues = []
    for col in table.columns:
        if col.name not in t.column_names or col.dtype not in ("float64", "int64"):
            continue
        v = t.column(col.name)
        if v.null_count == len(v):
            continue
        low = pc.less(v, col.min).fill_null(False) if col.min is not None else None
        high = pc.greater(v, col.max).fill_null(False) if col.max is not None else None
        if col.unit == "share" and high is not None:  # 85 in a 0–1 share: a percentage written bare
            pctish = pc.and_(high, pc.less_equal(v, 100)).fill_null(False)
            if _any(pctish):
                issues.append(Issue(col.name, "implausible", pctish,
                                    "比例应在 0–1 之间；百分数请写作 85% / a share is 0–1; write 85% for a percentage"))
                high = pc.and_(high, pc.invert(pctish))
        mask = low if high is None else high if low is None else pc.or_(low, high)
        if mask is not None and _any(mask):
            lo = "-∞" if col.min is None else _fmt(col.min)
            hi = "∞" if col.max is None else _fmt(col.max)
            unit = f" {col.canonical_unit_zh}" if col.canonical_unit_zh else ""
            issues.append(Issue(col.name, "out_of_range", mask,
                                f"应在 {lo} 至 {hi}{unit} 之间 / must be between {lo} and {hi}{unit}"))
        if col.name == "year":
            future = pc.and_(pc.greater(v, now.year), pc.invert(mask) if mask is not None else True).fill_null(False)
            if _any(future):
                issues.append(Issue(col.name, "implausible", future,
                                    f"年度晚于当前年份 {now.year} / year is after the current year {now.year}"))
    return issues


def check_plausibility(t: pa.Table, table: Table) -> list[Issue]:
    issues = []
    for col, other, factor, zh, en in PLAUSIBILITY.get(table.name, ()):
        if col in t.column_names and other in t.column_names:
            a, b = t.column(col), t.column(other)
            mask = pc.greater(pc.cast(a, pa.float64()), pc.multiply(pc.cast(b, pa.float64()), factor)).fill_null(False)
            if _any(mask):
                issues.append(Issue(col, "implausible", mask, f"{zh} / {en}"))
    return issues


# -- code tables -------------------------------------------------------------------------------


def _split_list(s: str) -> list[str]:
    import re

    return [p for p in re.split(r"[;；,，、\s]+", s) if p]


def _by_distinct(values: pa.ChunkedArray | pa.Array,
                 fn: Callable[[list[str]], tuple[list[str], list[str | None]]]) -> tuple[pa.Array, pa.Array]:
    """Apply ``fn`` (distinct values → (normalised values, reasons)) and take the results back to rows."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    enc = pc.dictionary_encode(arr)
    uniq = enc.dictionary.to_pylist()
    norm, reasons = fn(uniq) if uniq else ([], [])
    return (pc.take(pa.array(norm, pa.string()), enc.indices),
            pc.take(pa.array(reasons, pa.string()), enc.indices))


def _usccs(values: list[str]) -> tuple[list[str], list[str | None]]:
    from zhizao.codes.uscc import check_usccs, normalize_uscc

    arr = pa.array(values, pa.string())
    reasons = check_usccs(arr)
    # A valid value of 18 ASCII characters (nearly all) only needs upper-casing; any other valid
    # value goes through normalize_uscc itself, so what is stored is exactly what was checked
    # (a regex \s misses whitespace such as U+2028 that normalize_uscc drops).
    plain = pc.and_(pc.equal(pc.binary_length(arr), 18), pc.string_is_ascii(arr)).to_pylist()
    norm = pc.utf8_upper(arr).to_pylist()
    return [v if r is not None else u if p else normalize_uscc(v)
            for v, r, p, u in zip(values, reasons, plain, norm, strict=True)], reasons


def _uscc_lists(values: list[str]) -> tuple[list[str], list[str | None]]:
    from zhizao.codes.uscc import check_usccs, normalize_uscc

    parts = [_split_list(v) for v in values]
    flat = sorted({p for ps in parts for p in ps})
    reason_of = dict(zip(flat, check_usccs(flat), strict=True)) if flat else {}
    norm, reasons = [], []
    for v, ps in zip(values, parts, strict=True):
        bad = [reason_of[p] for p in ps if reason_of[p] is not None]
        reasons.append(bad[0] if bad else None)
        norm.append(v if bad else ";".join(normalize_uscc(p) for p in ps))
    return norm, reasons


def _industries(level: str):
    def fn(values: list[str]) -> tuple[list[str], list[str | None]]:
        from zhizao.codes.industries import check_industry_codes, normalize_industry_code

        reasons = check_industry_codes(values, level=level)
        return [normalize_industry_code(v) if r is None else v for v, r in zip(values, reasons, strict=True)], reasons
    return fn


def _regions(level: str | None):
    def fn(values: list[str]) -> tuple[list[str], list[str | None]]:
        from zhizao.codes.regions import check_region_codes, normalize_region_code

        reasons = check_region_codes(values, level=level)
        return [normalize_region_code(v) if r is None else v for v, r in zip(values, reasons, strict=True)], reasons
    return fn


CODE_CHECKS = {
    "uscc": ("bad_uscc", _usccs),
    "uscc_list": ("bad_uscc", _uscc_lists),
    "industry_class": ("unknown_industry", _industries("class")),
    "industry_division": ("unknown_industry", _industries("division")),
    "region": ("unknown_region", _regions(None)),
    "region_county": ("unknown_region", _regions("county")),
}


def check_codes(t: pa.Table, table: Table) -> tuple[pa.Table, list[Issue]]:
    """Normalise code columns ("330481.0" → "330481", "c3311" → "3311") and flag unknown codes."""
    issues = []
    for col in table.columns:
        if col.code is None or col.name not in t.column_names:
            continue
        v = t.column(col.name)
        if v.null_count == len(v):
            continue
        reason_code, fn = CODE_CHECKS[col.code]
        norm, reasons = _by_distinct(v, fn)
        bad = pc.is_valid(reasons)
        if _any(bad):
            issues.append(Issue(col.name, reason_code, bad, reasons))
        t = t.set_column(t.column_names.index(col.name), col.name, norm)
    return t, issues


# -- duplicates ------------------------------------------------------------------------------


def find_duplicates(t: pa.Table, table: Table, *, prior: pa.Table | None = None) -> list[Issue]:
    """Rows whose natural key appeared earlier in the file (this sheet, or ``prior`` sheets).

    Every copy after the first is flagged, naming the first row; an exact copy (same values in
    every column) says so. ``prior`` holds the key columns plus ``__sheet`` and ``__row`` of
    earlier sheets of the same file.
    """
    key = list(table.key)
    label = "+".join(key)
    issues: list[Issue] = []
    has_key = pc.is_valid(t.column(key[0]))
    for k in key[1:]:
        has_key = pc.and_(has_key, pc.is_valid(t.column(k)))
    counts = t.select(key).filter(has_key).group_by(key).aggregate([([], "count_all")])
    if len(counts) and pc.max(counts.column("count_all")).as_py() > 1:
        keyed = t.filter(has_key)
        firsts = keyed.select([*key, "__row"]).group_by(key).aggregate([("__row", "min")])
        joined = keyed.select([*key, "__row"]).join(firsts, key, join_type="inner")      # each row with its key's first row
        later = joined.filter(pc.not_equal(joined.column("__row"), joined.column("__row_min")))
        if later.num_rows:
            rows, first = later.column("__row"), later.column("__row_min")
            # exact copy: every column (but the row number) equal to the first row's, nulls equal
            pos = pc.index_in(rows, value_set=t.column("__row"))
            fpos = pc.index_in(first, value_set=t.column("__row"))
            exact = pa.array([True] * later.num_rows)
            for c in (c for c in t.column_names if c != "__row"):
                a, b = pc.take(t.column(c), pos), pc.take(t.column(c), fpos)
                same = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
                exact = pc.and_(exact, same)
            mask = pc.is_in(t.column("__row"), value_set=rows)
            # details aligned to t's rows
            idx = pc.index_in(t.column("__row"), value_set=rows)
            first = pc.take(first, idx)
            exact = pc.take(exact, idx)
            first_s = pc.cast(first, pa.string())
            detail = pc.if_else(
                exact,
                pc.binary_join_element_wise("与第 ", first_s, " 行完全相同，保留第一行 / exact copy of row ", first_s,
                                            ", the first is kept", ""),
                pc.binary_join_element_wise("与第 ", first_s, f" 行的键（{label}）相同但内容不同 / same key ({label}) as row ",
                                            first_s,
                                            " with different values", ""),
            )
            issues.append(Issue(label, "duplicate_in_file", mask, detail))
    if prior is not None and prior.num_rows:
        n = t.select([*key, "__row"]).filter(has_key)
        p = prior.select([*key, "__sheet", "__row"]).rename_columns([*key, "__sheet", "__prow"])
        hits = n.join(p, key, join_type="inner").sort_by([("__row", "ascending"), ("__prow", "ascending")])
        if hits.num_rows:
            res = hits.group_by("__row", use_threads=False).aggregate([("__sheet", "first"), ("__prow", "min")])
            idx = pc.index_in(t.column("__row"), value_set=res.column("__row"))
            mask = pc.is_valid(idx)
            sheet = pc.take(res.column("__sheet_first"), idx)
            prow = pc.cast(pc.take(res.column("__prow_min"), idx), pa.string())
            detail = pc.binary_join_element_wise("与工作表“", sheet, "”第 ", prow, " 行的键相同 / same key as sheet ",
                                                 sheet, " row ", prow, "")
            issues.append(Issue(label, "duplicate_in_file", mask, detail))
    return issues


# -- enterprises -------------------------------------------------------------------------------


ENTERPRISE_REFS: dict[str, tuple[str, ...]] = {
    "indicators": ("uscc",),
    "parcels": ("holder_uscc",),
    "links": ("supplier_uscc", "buyer_uscc"),  # unknown only when neither side is known
}


def check_enterprises(t: pa.Table, table: Table, known: Callable[[pa.Array], pa.Array],
                      already_bad: Sequence[Issue]) -> list[Issue]:
    """Rows that refer to an enterprise neither in the warehouse nor imported before this sheet.

    ``known(usccs)`` returns the subset present in the warehouse. Cells already flagged as bad
    USCCs are not checked again.
    """
    cols = [c for c in ENTERPRISE_REFS.get(table.name, ()) if c in t.column_names]
    if not cols:
        return []
    unknown = {}
    for c in cols:
        v = t.column(c)
        bad_here = [i.mask for i in already_bad if i.column == c and i.reason == "bad_uscc"]
        checkable = pc.is_valid(v)
        for m in bad_here:
            checkable = pc.and_(checkable, pc.invert(m))
        values = pc.unique(pc.filter(v, checkable))
        found = known(values) if len(values) else pa.array([], pa.string())
        unknown[c] = pc.and_(checkable, pc.invert(pc.is_in(v, value_set=found))).fill_null(False)
    detail = ("统一社会信用代码既不在企业名录中，也不在本次导入的企业名录表中 / the USCC is neither in the "
              "enterprise register nor in an enterprises sheet of this import")
    if table.name == "links" and len(cols) == 2:
        both = pc.and_(unknown[cols[0]], unknown[cols[1]])
        detail = "供销双方均不在企业名录中 / neither supplier nor buyer is in the enterprise register"
        return [Issue(c, "unknown_enterprise", both, detail) for c in cols if _any(both)]
    return [Issue(c, "unknown_enterprise", m, detail) for c, m in unknown.items() if _any(m)]
