"""Header detection (表头识别): which row is the header, which table a sheet is, which column is which.

Rules (docs/data-format.md, "Headers and units"):

* The header is the first of the first 20 rows that resolves (``schema.resolve_header``) at
  least two columns of a table, including the table's whole natural key. Title rows, merged
  title cells and a "单位：万元" line above it are skipped; such a unit line sets the unit of
  every column whose header declares none (and whose kind accepts that unit).
* The table is the one the sheet name designates (``schema.table_for_sheet``), else the one
  whose required columns the header matches best; ``--table`` overrides both.
* A notes row right under the header (the template's "必填；…" row), a units row ("万元", "亩")
  or a column-number row ("甲 乙 1 2 3", statistical forms) is skipped; a units row sets the
  unit of columns whose header has none.
* Headers that name no column are reported, and kept in the raw row of rejected rows; they are
  never used. Two headers naming the same column, a missing required column or a unit of the
  wrong kind are errors for the whole sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zhizao.data.ingest.readers import ImportFileError, RawSheet
from zhizao.data.ingest.reasons import NOTE_PREFIXES, split_bilingual
from zhizao.data.schema import (DATA_TABLES, TABLES, Column, HeaderMatch, Table, UnknownUnit, resolve_header,
                               split_unit, table_for_sheet)
from zhizao.data.units import UNIT_KINDS, normalize_token, unit_factor

HEADER_SCAN_ROWS = 20
_PREFIX = re.compile(r"^(?:其中[:：]?|\*+|＊+|[#№]\s*)")
_SUFFIX = re.compile(r"(?:\*+|＊+)$")
_UNIT_LINE = re.compile(r"(?:计量|金额|货币)?单位\s*[:：]\s*([^\s,，;；)）]+)")
_CODE_ROW = {"甲", "乙", "丙", "丁", "a", "b", "c", "d"}
_NOTE_PREFIXES = tuple(normalize_token(p) for p in NOTE_PREFIXES)


@dataclass(frozen=True)
class Field:
    """A file column that feeds a warehouse column."""

    position: int
    header: str
    column: Column
    unit: str  # declared unit ("" = canonical)
    factor: float


@dataclass
class SheetLayout:
    table: Table
    header_index: int  # index into the sheet preview
    data_start: int  # preview index of the first data row
    ncols: int
    headers: list[str]  # display name of every position (unique)
    fields: list[Field]
    unknown_headers: list[str]
    notes: list[str] = field(default_factory=list)
    unnamed: frozenset[int] = frozenset()  # positions with an empty header cell


def clean_header(text: str | None) -> str:
    if text is None:
        return ""
    t = re.sub(r"\s+", "", str(text))
    t = _PREFIX.sub("", t)
    return _SUFFIX.sub("", t)


def _resolve(table: Table, header: str) -> tuple[Column | None, HeaderMatch | UnknownUnit | None]:
    """The column a header names, and its match (or the UnknownUnit error for a wrong unit)."""
    if not header:
        return None, None
    try:
        m = resolve_header(table.name, header)
        return (m.column if m else None), m
    except UnknownUnit as e:
        base, _unit = split_unit(header)
        try:
            m = resolve_header(table.name, base)
        except UnknownUnit:
            return None, e
        if m is not None and m.column.unit is None:  # "企业名称（盖章）": a remark, not a unit
            return m.column, m
        return (m.column if m else None), e


def _row_matches(table: Table, row: list[str | None]) -> set[str]:
    return {col.name for cell in row if (col := _resolve(table, clean_header(cell))[0]) is not None}


def best_header_score(rows: list[list[str | None]]) -> int:
    """How many columns the best header row among ``rows`` resolves (for delimiter sniffing)."""
    best = 0
    for row in rows[:HEADER_SCAN_ROWS]:
        for t in DATA_TABLES:
            m = _row_matches(t, row)
            if set(t.key) <= m:
                best = max(best, len(m))
    return best


def _score(table: Table, matched: set[str]) -> tuple[int, float, int]:
    req = set(table.required)
    return (len(matched & req), len(matched & req) / max(1, len(req)), len(matched))


def find_header(sheet: RawSheet, forced: Table | None) -> tuple[Table, int] | None:
    """(table, preview index of the header row), or None if no row looks like a header."""
    named = table_for_sheet(sheet.name) if sheet.name else None
    if forced is not None:
        candidates: tuple[Table, ...] = (forced,)
    elif named is not None and named in DATA_TABLES:
        candidates = (named,)
    else:
        candidates = DATA_TABLES
    fallback: tuple[tuple, Table, int] | None = None
    for i, row in enumerate(sheet.preview[:HEADER_SCAN_ROWS]):
        found = []
        for t in candidates:
            m = _row_matches(t, row)
            if len(m) >= 2 and set(t.key) <= m:
                found.append((_score(t, m), -DATA_TABLES.index(t), t))
            elif len(m) >= 2 and len(candidates) == 1 and (fallback is None or len(m) > fallback[0][2]):
                fallback = (_score(t, m), t, i)
        if found:
            found.sort(key=lambda x: (x[0], x[1]), reverse=True)
            return found[0][2], i
    if fallback is not None:  # the designated table's header without its key: report missing columns
        return fallback[1], fallback[2]
    return None


def _unit_line(sheet: RawSheet, header_index: int) -> str | None:
    for row in sheet.preview[:header_index]:
        for cell in row:
            if cell and (m := _UNIT_LINE.search(re.sub(r"\s+", "", str(cell)))):
                return m.group(1)
    return None


def _is_notes_row(row: list[str | None], fields: list[Field]) -> tuple[bool, dict[int, str]]:
    """Whether ``row`` is a notes/units/column-number row; the units it declares by position."""
    cells = [(j, str(v).strip()) for j, v in enumerate(row) if v is not None and str(v).strip()]
    if not cells:
        return False, {}
    by_pos = {f.position: f for f in fields}
    notes = units = codes = 0
    declared: dict[int, str] = {}
    for j, v in cells:
        low = normalize_token(v)
        if low.startswith(_NOTE_PREFIXES):
            notes += 1
        elif low in _CODE_ROW or low in {"计量单位", "单位", "unit", "units"}:
            codes += 1
        else:
            f = by_pos.get(j)
            kind = (f.column.unit if f is not None else None) or None
            if kind and unit_factor(kind, v) is not None:
                units += 1
                declared[j] = v
            elif any(unit_factor(k, v) is not None for k in UNIT_KINDS if k != "plain"):
                units += 1
    numbered = [v for _, v in cells if v.isdigit()]
    first = int(numbered[0]) if numbered else 0
    if len(numbered) >= 3 and [int(x) for x in numbered] == list(range(first, first + len(numbered))):
        codes += len(numbered)
    return (notes + units + codes) * 2 >= len(cells) and (notes + units + codes) > 0, declared


def layout(sheet: RawSheet, forced: Table | None) -> SheetLayout | None:
    """The sheet's table and column mapping; None if it has no recognisable header.

    Raises :class:`ImportFileError` for duplicate columns, wrong units or missing required columns.
    """
    found = find_header(sheet, forced)
    if found is None:
        return None
    table, hi = found
    file, sname = sheet.file.name, sheet.name
    header_row = sheet.preview[hi]
    ncols = len(header_row)
    headers: list[str] = []
    seen: set[str] = set()
    fields: list[Field] = []
    unknown: list[str] = []
    by_column: dict[str, str] = {}
    for j, raw in enumerate(header_row):
        text = re.sub(r"\s+", " ", str(raw)).strip() if raw is not None else ""
        name = text or f"(第{j + 1}列 col {j + 1})"
        while name in seen:
            name += "'"
        seen.add(name)
        headers.append(name)
        _col, m = _resolve(table, clean_header(text))
        if isinstance(m, UnknownUnit):
            zh, en = split_bilingual(str(m))
            raise ImportFileError(file, zh, en, sheet=sname)
        if m is None:
            if text:
                unknown.append(text)
            continue
        col = m.column
        if col.name in by_column:
            raise ImportFileError(
                file, f"列“{by_column[col.name]}”和“{text}”都对应“{col.zh}”，请删除其中一列",
                f"columns {by_column[col.name]!r} and {text!r} both name {col.name}; remove one", sheet=sname)
        by_column[col.name] = text
        fields.append(Field(j, text, col, m.unit, m.factor))
    missing = [c for c in table.columns if c.required and c.name not in by_column]
    if missing:
        raise ImportFileError(
            file,
            f"缺少必填列：{'、'.join(c.header_zh for c in missing)}（导入到“{table.zh}”）",
            f"missing required column(s): {', '.join(f'{c.name} ({c.header_zh})' for c in missing)} "
            f"(table {table.name})",
            sheet=sname,
        )
    notes: list[str] = []
    unit = _unit_line(sheet, hi)
    if unit:
        applied = []
        for k, f in enumerate(fields):
            if not f.unit and f.column.unit and (fac := unit_factor(f.column.unit, unit)) is not None:
                fields[k] = Field(f.position, f.header, f.column, unit, fac)
                applied.append(f.header)
        if applied:
            notes.append(f"单位行“{unit}”用于 / unit line {unit!r} applied to: {', '.join(applied)}")
    start = hi + 1
    if start < len(sheet.preview):
        is_notes, declared = _is_notes_row(sheet.preview[start], fields)
        if is_notes:
            notes.append(f"跳过第 {sheet.preview_rows[start]} 行（说明/单位行） / skipped row "
                         f"{sheet.preview_rows[start]} (notes or units row)")
            for k, f in enumerate(fields):
                if f.position in declared and not f.unit:
                    u = declared[f.position]
                    fields[k] = Field(f.position, f.header, f.column, u, unit_factor(f.column.unit, u))
            start += 1
    unnamed = frozenset(j for j, raw in enumerate(header_row) if not (raw or "").strip())
    return SheetLayout(table, hi, start, ncols, headers, fields, unknown, notes, unnamed)


def data_table(name: str) -> Table:
    """The data table called ``name`` (English name, Chinese name or sheet alias)."""
    t = TABLES.get(name) or table_for_sheet(name)
    if t is None or t not in DATA_TABLES:
        raise ValueError(f"unknown table {name!r}; one of: {', '.join(t.name for t in DATA_TABLES)}")
    return t
