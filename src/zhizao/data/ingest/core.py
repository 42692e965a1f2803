"""``import_files``: read, validate and upsert files into the warehouse (数据导入).

Per sheet: stream the rows in batches and parse every column (``parse.py``), then check whole
columns (``validate.py``), upsert the rows without problems by natural key, and record every
problem in ``quarantine`` (one entry per row, column and reason, with the raw row as JSON) and a
line in ``import_log``. Sheets are imported in dependency order (enterprises first), so
indicators may refer to enterprises from another sheet or file of the same import.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from zhizao.data.ingest.headers import SheetLayout, data_table, layout
from zhizao.data.ingest.parse import Issue, clean_text, kept_tokens, parse_column, plain_numbers
from zhizao.data.ingest.readers import ImportFailed, ImportFileError, NeedSlowPath, RawSheet, open_source
from zhizao.data.ingest.reasons import reason_texts
from zhizao.data.ingest.report import ImportReport, SheetReport
from zhizao.data.ingest.validate import (check_codes, check_enterprises, check_plausibility, check_ranges,
                                         find_duplicates)
from zhizao.data.schema import DATA_TABLES, IMPORT_LOG, QUARANTINE, Table, arrow_schema, table_for_sheet

_PROBLEM_SCHEMA = pa.schema([("row", pa.int64()), ("column", pa.string()), ("reason", pa.string()),
                             ("detail", pa.string())])


#: ``progress(stage, fraction)``: called after every batch; ``stage`` names the file, sheet and
#: rows read, ``fraction`` (0–1) is the share of the whole import done (row counts of CSV files
#: are estimated from their size).
Progress = Callable[[str, float], None]

#: ``row_check(rows, table, found)``: further checks of a sheet's parsed rows, after the built-in
#: ones (``found``: their issues, so a cell already flagged need not be flagged again) — ``rows``
#: has the sheet's columns (typed) and ``__row``; the returned issues quarantine their rows like
#: any other (e.g. the uploader's jurisdiction, ``zhizao.services.uploads``).
RowCheck = Callable[[pa.Table, Table, list[Issue]], list[Issue]]


class _Rejected(Exception):
    """--strict: roll the transaction back."""


def import_files(
    wh,
    paths: Sequence[Path | str],
    *,
    strict: bool = False,
    table: str | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    encoding: str | None = None,
    row_check: RowCheck | None = None,
) -> ImportReport:
    """Import CSV / XLSX / Parquet files into the warehouse ``wh``.

    Parameters
    ----------
    wh : the open ``store.Warehouse``.
    paths : files; an XLSX file may hold several sheets (one per table).
    strict : reject everything (write nothing, not even quarantine) if any row or file has a
        problem; otherwise good rows are imported and bad rows quarantined, file by file.
    table : import every sheet into this table (name or Chinese name), instead of deciding by
        sheet name and header.
    progress : ``progress(stage, fraction)`` after each batch (see :data:`Progress`).
    now : the import time stamp (default: now); years after ``now.year`` are implausible.
    encoding : the CSV encoding, instead of detecting it (UTF-8 / GB18030).
    row_check : further row checks (see :data:`RowCheck`); their issues quarantine rows too.

    Returns
    -------
    ImportReport : counts per file/sheet, reasons, and the quarantine rows of this run.
    """
    now = now or datetime.now()
    if now.tzinfo is not None:
        now = now.astimezone().replace(tzinfo=None)
    try:
        forced = data_table(table) if table else None
    except ValueError as e:
        raise ImportFailed(f"未知的表 / {e}") from e
    report = ImportReport(run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", strict=strict)
    with tempfile.TemporaryDirectory(prefix="zhizao-import-") as tmp:
        plans = _plan(report, [Path(p) for p in paths], Path(tmp), forced, encoding)
        ctx = _Context(wh, report, now, progress, len(plans), row_check)
        if strict:
            try:
                with wh.transaction():
                    for i, (sheet, lay, sr) in enumerate(plans):
                        try:
                            ctx.import_sheet(i, sheet, lay, sr)
                        except ImportFileError as e:
                            sr.error = str(e)
                    if report.errors or any(s.quarantined for s in report.sheets):
                        raise _Rejected()
            except _Rejected:
                report.rejected = True
                for s in report.sheets:
                    s.inserted = s.updated = s.unchanged = 0
        else:
            for i, (sheet, lay, sr) in enumerate(plans):
                try:
                    with wh.transaction():
                        ctx.import_sheet(i, sheet, lay, sr)
                except ImportFileError as e:  # e.g. a CSV that turns out unreadable past its preview
                    sr.error = str(e)
                    sr.inserted = sr.updated = sr.unchanged = sr.quarantined = 0
        if ctx.quarantine:
            report.quarantine = pa.concat_tables(ctx.quarantine)
    return report


def _plan(report: ImportReport, paths: list[Path], tmp: Path, forced: Table | None,
          encoding: str | None) -> list[tuple[RawSheet, SheetLayout, SheetReport]]:
    """Open every file, find each sheet's table and header; order sheets by table dependency."""
    plans = []
    seen: set[str] = set()
    for fi, path in enumerate(paths):
        try:
            sheets = open_source(path, tmpdir=tmp, encoding=encoding)
        except ImportFileError as e:
            report.sheets.append(SheetReport(file=path.name, source_file=path.name, sheet="", error=str(e)))
            continue
        for si, sheet in enumerate(sheets):
            sr = SheetReport(file=path.name, source_file=sheet.source_id, sheet=sheet.name)
            if "encoding" in sheet.info:
                sr.notes.append(f"编码 / encoding: {sheet.info['encoding']}，分隔符 / delimiter: {sheet.info['delimiter']}")
            report.sheets.append(sr)
            if (sheet.source_id, sheet.name) in seen:
                sr.skipped = "同一文件内容已在本次导入中出现 / the same file content was already given in this import"
                continue
            seen.add((sheet.source_id, sheet.name))
            if sheet.hidden:
                sr.skipped = "隐藏的工作表 / hidden sheet"
                continue
            try:
                lay = layout(sheet, forced)
            except ImportFileError as e:
                sr.error = str(e)
                continue
            if lay is None:
                designated = table_for_sheet(sheet.name) if sheet.name else None
                if sheet.kind == "xlsx" and designated is None:
                    sr.skipped = _NO_HEADER_SKIP
                else:
                    sr.error = _no_header(path, sheet)
                continue
            sr.table = lay.table.name
            sr.unknown_headers = list(lay.unknown_headers)
            sr.notes.extend(lay.notes)
            plans.append(((DATA_TABLES.index(lay.table), fi, si), sheet, lay, sr))
        mine = report.sheets[len(report.sheets) - len(sheets):]
        if mine and all(r.skipped == _NO_HEADER_SKIP for r in mine):  # a workbook with no data sheet at all
            mine[0].skipped, mine[0].error = None, _no_header(path, sheets[0])
    plans.sort(key=lambda p: p[0])
    return [p[1:] for p in plans]


_NO_HEADER_SKIP = "未找到可识别的表头（不是数据表） / no recognisable header (not a data sheet)"


def _no_header(path: Path, sheet: RawSheet) -> str:
    enc = f"（按 {sheet.info['encoding']} 解码）" if "encoding" in sheet.info else ""
    enc_en = f" (decoded as {sheet.info['encoding']})" if "encoding" in sheet.info else ""
    return str(ImportFileError(
        path.name, f"前 20 行中没有可识别的表头{enc}：表头应包含统一社会信用代码等列名",
        f"no recognisable header in the first 20 rows{enc_en}: expected column names such as 统一社会信用代码 / uscc",
        sheet=sheet.name))


def _problems(issues: list[Issue], rows: pa.Array) -> list[pa.Table]:
    out = []
    for i in issues:
        mask = i.mask
        r = pc.filter(rows, mask)
        n = len(r)
        if not n:
            continue
        if isinstance(i.detail, pa.Array | pa.ChunkedArray):
            detail = pc.filter(i.detail, mask)
        else:
            detail = pa.array([i.detail] * n, pa.string())
        out.append(pa.Table.from_arrays(
            [r, pa.array([i.column] * n, pa.string()), pa.array([i.reason] * n, pa.string()), detail.cast(pa.string())],
            schema=_PROBLEM_SCHEMA))
    return out


class _Context:
    def __init__(self, wh, report: ImportReport, now: datetime, progress, count: int,
                 row_check: RowCheck | None = None):
        self.wh, self.report, self.now, self.progress, self.count = wh, report, now, progress, count
        self.row_check = row_check
        self.quarantine: list[pa.Table] = []
        self.prior_keys: dict[tuple[str, str], pa.Table] = {}

    # -- reading and parsing ---------------------------------------------------------------
    def _read(self, i: int, sheet: RawSheet, lay: SheetLayout, sr: SheetReport) -> tuple[pa.Table, list[pa.Table]]:
        try:
            return self._read_once(i, sheet, lay, sr)
        except NeedSlowPath:
            sheet.slow = True
            sr.notes.append("CSV 行的列数不一致，已逐行读取 / CSV records of uneven length: read record by record")
            return self._read_once(i, sheet, lay, sr)

    def _read_once(self, i: int, sheet: RawSheet, lay: SheetLayout, sr: SheetReport):
        typed: list[pa.Table] = []
        problems: list[pa.Table] = []
        rows_read = 0
        unnamed_with_data: set[int] = set()
        numeric = {f.position for f in lay.fields if f.column.dtype in ("float64", "int64")}
        mapped = {f.position for f in lay.fields}
        keep = {f.position: kept_tokens(f.column) for f in lay.fields if f.column.allowed or f.column.none_spellings}
        for batch in sheet.batches(lay.data_start, lay.ncols):
            nonempty = None
            cleaned: dict[int, pa.Array] = {}
            plain: dict[int, pa.Array] = {}
            for j in range(lay.ncols):
                col = batch.column(j)
                if j in numeric and (p := plain_numbers(col)) is not None:
                    c, plain[j] = col, p
                else:
                    c = clean_text(col, keep.get(j, frozenset())) if j in mapped else col
                if j in mapped:
                    cleaned[j] = c
                has = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(c)), 0).fill_null(False) if j not in mapped \
                    else pc.is_valid(c)
                if j in lay.unnamed and j not in unnamed_with_data and pc.any(has).as_py():
                    unnamed_with_data.add(j)
                nonempty = has if nonempty is None else pc.or_(nonempty, has)
            extra = batch.column("__extra") if "__extra" in batch.schema.names else None
            if extra is not None:
                nonempty = pc.or_(nonempty, pc.is_valid(extra))
            if nonempty is None or not pc.any(nonempty).as_py():
                continue
            if not pc.all(nonempty).as_py():
                batch = batch.filter(nonempty)
                cleaned = {j: pc.filter(c, nonempty) for j, c in cleaned.items()}
                plain = {j: pc.filter(c, nonempty) for j, c in plain.items()}
                extra = pc.filter(extra, nonempty) if extra is not None else None
            rows = batch.column("__row")
            issues: list[Issue] = []
            if extra is not None and extra.null_count < len(extra):
                issues.append(Issue("*", "bad_row", pc.is_valid(extra),
                                    f"表头有 {lay.ncols} 列，此行更多 / the header has {lay.ncols} columns, this row has more"))
            cols, names = [], []
            for f in lay.fields:
                values, col_issues = parse_column(f.column, cleaned[f.position], f.factor, plain.get(f.position))
                issues.extend(col_issues)
                if f.column.required:
                    missing = pc.is_null(cleaned[f.position])
                    if pc.any(missing).as_py():
                        issues.append(Issue(f.column.name, "missing_required", missing))
                cols.append(values)
                names.append(f.column.name)
            typed.append(pa.Table.from_arrays([*cols, rows], names=[*names, "__row"]))
            problems.extend(_problems(issues, rows))
            rows_read += batch.num_rows
            if self.progress:
                expected = max(1, sheet.expected_rows - lay.data_start)
                done = (i + min(0.99, rows_read / expected)) / max(1, self.count)
                self.progress(f"{sr.label} {rows_read:,}", done)
        sr.rows_read = rows_read
        sr.unknown_headers += [lay.headers[j] for j in sorted(unnamed_with_data)
                               if lay.headers[j] not in sr.unknown_headers]
        if typed:
            t = pa.concat_tables(typed).combine_chunks()
        else:
            schema = arrow_schema(lay.table)
            t = pa.table({**{f.column.name: pa.array([], schema.field(f.column.name).type) for f in lay.fields},
                          "__row": pa.array([], pa.int64())})
        return t, problems

    # -- one sheet -------------------------------------------------------------------------
    def import_sheet(self, i: int, sheet: RawSheet, lay: SheetLayout, sr: SheetReport) -> None:
        table = lay.table
        t, problems = self._read(i, sheet, lay, sr)
        rows = t.column("__row")
        t, issues = check_codes(t, table)
        issues += check_ranges(t, table, now=self.now)
        issues += check_plausibility(t, table)
        prior_key = (sheet.source_id, table.name)
        issues += find_duplicates(t, table, prior=self.prior_keys.get(prior_key))
        issues += check_enterprises(t, table, self._known_enterprises, issues)
        if self.row_check is not None:
            issues += self.row_check(t, table, issues)
        problems += _problems(issues, rows)
        if sheet.kind == "xlsx":  # a later sheet of the same workbook may repeat these keys
            self._remember_keys(prior_key, sheet.name, t, table)

        bad_rows = pa.array([], pa.int64())
        quarantine = None
        if problems:
            p = pa.concat_tables(problems)
            p = p.group_by(["row", "column", "reason"], use_threads=False).aggregate([("detail", "first")])
            p = p.select(["row", "column", "reason", "detail_first"]) \
                .rename_columns(["row", "column", "reason", "detail"])
            p = p.sort_by([("row", "ascending"), ("column", "ascending"), ("reason", "ascending")])
            bad_rows = pc.unique(p.column("row"))
            quarantine = self._quarantine_rows(p, sheet, lay, bad_rows)
            sr.quarantined = len(bad_rows)
            counts = p.group_by("reason").aggregate([([], "count_all")])
            sr.by_reason = dict(zip(counts.column("reason").to_pylist(), counts.column("count_all").to_pylist(),
                                    strict=True))
        good = t.filter(pc.invert(pc.is_in(rows, value_set=bad_rows))).drop_columns(["__row"]) if len(bad_rows) else \
            t.drop_columns(["__row"])
        if good.num_rows:
            result = self.wh.upsert(table.name, self._complete(table, good))
            sr.inserted, sr.updated, sr.unchanged = result.inserted, result.updated, result.unchanged
        if quarantine is not None:
            self.wh.append_quarantine(quarantine)
            self.quarantine.append(quarantine)
        if sr.rows_read:
            self.wh.upsert(IMPORT_LOG.name, pa.Table.from_pylist([{
                "run_id": self.report.run_id, "source_file": sheet.source_id, "sheet": sheet.name,
                "target_table": table.name, "rows_read": sr.rows_read, "rows_inserted": sr.inserted,
                "rows_updated": sr.updated, "rows_unchanged": sr.unchanged, "rows_quarantined": sr.quarantined,
                "imported_at": self.now}], schema=arrow_schema(IMPORT_LOG)))
        if self.progress:
            self.progress(f"{sr.label} {sr.rows_read:,}", (i + 1) / max(1, self.count))

    def _known_enterprises(self, usccs: pa.Array) -> pa.Array:
        found = self.wh.existing_keys("enterprises", pa.table({"uscc": usccs.cast(pa.string())}))
        return found.column("uscc").combine_chunks() if found.num_rows else pa.array([], pa.string())

    def _remember_keys(self, key: tuple[str, str], sheet: str, t: pa.Table, table: Table) -> None:
        cols = [*table.key, "__row"]
        keys = t.select(cols).append_column("__sheet", pa.array([sheet] * t.num_rows, pa.string()))
        old = self.prior_keys.get(key)
        self.prior_keys[key] = keys if old is None else pa.concat_tables([old, keys])

    def _complete(self, table: Table, good: pa.Table) -> pa.Table:
        """Columns the file does not have keep their stored values (a tax file updates taxes only)."""
        absent = [c for c in table.column_names if c not in good.column_names]
        return self.wh.with_stored_values(table.name, good, absent)

    def _quarantine_rows(self, p: pa.Table, sheet: RawSheet, lay: SheetLayout, bad_rows: pa.Array) -> pa.Table:
        """Quarantine entries: the problems plus each cell's raw text and the raw row as JSON."""
        raw_rows: dict[int, list[str | None]] = {}
        for batch in sheet.batches(lay.data_start, lay.ncols):
            mask = pc.is_in(batch.column("__row"), value_set=bad_rows)
            if not pc.any(mask).as_py():
                continue
            sub = batch.filter(mask)
            cols = [sub.column(j).to_pylist() for j in range(lay.ncols)]
            extra = sub.column("__extra").to_pylist() if "__extra" in sub.schema.names else [None] * sub.num_rows
            for k, r in enumerate(sub.column("__row").to_pylist()):
                raw_rows[r] = [c[k] for c in cols] + [extra[k]]
        pos = {f.column.name: f.position for f in lay.fields}
        out = {c: [] for c in QUARANTINE.column_names}
        columns = (p.column(c).to_pylist() for c in ("row", "column", "reason", "detail"))
        for row, column, reason, detail in zip(*columns, strict=True):
            raw = raw_rows.get(row, [None] * (lay.ncols + 1))
            if column == "*":
                value = raw[-1]
            else:
                vals = [raw[pos[c]] for c in column.split("+") if c in pos]
                joined = "+".join("" if v is None else str(v) for v in vals)
                value = joined if len(vals) > 1 else (vals[0] if vals else None)
            zh, en = reason_texts(reason, detail)
            row_json = {h: raw[j] for j, h in enumerate(lay.headers)}
            if raw[-1] is not None:
                row_json["(extra)"] = raw[-1]
            for k, v in (("source_file", sheet.source_id), ("sheet", sheet.name), ("row_number", row),
                         ("column", column), ("reason_code", reason), ("target_table", lay.table.name),
                         ("value", value), ("reason_zh", zh), ("reason_en", en),
                         ("row_json", json.dumps(row_json, ensure_ascii=False)), ("imported_at", self.now)):
                out[k].append(v)
        return pa.Table.from_pydict(out, schema=arrow_schema(QUARANTINE))
