"""Readers (读取): CSV, XLSX and Parquet files as sheets of text cells, streamed in batches.

Every reader yields the same shape: a small *preview* (the first rows, as strings) that the
header detection looks at, and then ``batches(data_start, ncols)``: pyarrow record batches of
string columns ``c0 … c{ncols-1}`` plus ``__row``, the 1-based row number a user sees in Excel
or a text editor (title, header and notes rows included). Typing happens later (``parse.py``)
on whole columns, so no Python object is built per CSV row on the fast path.

CSV files (encodings, delimiters, streaming) are read by ``csvfile.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from zhizao.errors import InvalidInput

PREVIEW_ROWS = 30
BATCH_ROWS = 65_536
_CHUNK = 8 << 20
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


class ImportFailed(InvalidInput):
    """The import cannot start (for example an unknown ``--table``); a domain error (422)."""


class ImportFileError(ImportFailed):
    """A file (or sheet) that cannot be imported at all; the message is "中文 / English".

    ``import_files`` records it in the report and goes on with the other files."""

    def __init__(self, file: str, zh: str, en: str, *, sheet: str = ""):
        where_zh = f"文件“{file}”" + (f"工作表“{sheet}”" if sheet else "")
        where_en = f"file {file!r}" + (f", sheet {sheet!r}" if sheet else "")
        self.file, self.sheet, self.zh, self.en = file, sheet, f"{where_zh}：{zh}", f"{where_en}: {en}"
        super().__init__(f"{self.zh} / {self.en}")


class NeedSlowPath(Exception):
    """The fast CSV reader met a record whose field count differs from the header."""


@dataclass
class RawSheet:
    """One sheet of a source file (a CSV or Parquet file is one sheet named "")."""

    file: Path
    source_id: str
    name: str
    kind: str
    preview: list[list[str | None]]
    preview_rows: list[int]  # 1-based row number of each preview row
    info: dict[str, str] = field(default_factory=dict)
    hidden: bool = False
    _batches: Callable[[int, int, bool], Iterator[pa.RecordBatch]] | None = None
    slow: bool = False

    @property
    def expected_rows(self) -> int:
        """Rows in the sheet (estimated from the file size for CSV), for progress."""
        return int(self.info.get("rows", "0") or 0)

    def batches(self, data_start: int, ncols: int) -> Iterator[pa.RecordBatch]:
        """Batches of rows from preview index ``data_start`` on (see module docstring)."""
        assert self._batches is not None
        return self._batches(data_start, ncols, self.slow)


# --------------------------------------------------------------------------------------------
# cells → text


def cell_text(v: object) -> str | None:
    """A spreadsheet cell as the text import parses (integral floats lose their ``.0``)."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:  # nan
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def _rows_to_batch(rows: list[list[object]], numbers: list[int], ncols: int) -> pa.RecordBatch:
    cols = [[None] * len(rows) for _ in range(ncols)]
    for i, r in enumerate(rows):
        for j in range(min(ncols, len(r))):
            cols[j][i] = cell_text(r[j])
    arrays = [pa.array(c, pa.string()) for c in cols]
    return pa.RecordBatch.from_arrays([*arrays, pa.array(numbers, pa.int64())],
                                      names=[*(f"c{j}" for j in range(ncols)), "__row"])


# --------------------------------------------------------------------------------------------
# source files


def open_source(path: Path, *, tmpdir: Path, encoding: str | None = None) -> list[RawSheet]:
    """Read a file's sheets (previews only; data is streamed later by ``RawSheet.batches``)."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ImportFileError(path.name, "文件不存在", "file does not exist")
    if suffix in EXCEL_SUFFIXES:
        return _open_excel(path)
    if suffix in PARQUET_SUFFIXES:
        return _open_parquet(path)
    if suffix in CSV_SUFFIXES or suffix == "":
        from zhizao.data.ingest.csvfile import open_csv

        return open_csv(path, tmpdir=tmpdir, encoding=encoding)
    raise ImportFileError(path.name, f"不支持的文件类型“{suffix}”（支持 CSV、XLSX、Parquet）",
                          f"unsupported file type {suffix!r} (CSV, XLSX and Parquet are supported)")


def source_id(path: Path, digest: str) -> str:
    """How a file is identified in quarantine and import_log: its name and content hash."""
    return f"{path.name}#{digest[:8]}"


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


# -- Excel -----------------------------------------------------------------------------------


def _open_excel(path: Path) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine raises several types
        raise ImportFileError(path.name, f"无法读取 Excel 文件（{e}）", f"cannot read the Excel file ({e})") from e
    sid = source_id(path, _file_digest(path))
    hidden = {m.name for m in getattr(wb, "sheets_metadata", []) if str(m.visible).lower().endswith("hidden")}
    sheets = []
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        preview = [[cell_text(v) for v in r] for r in rows[:PREVIEW_ROWS]]

        def batches(data_start: int, ncols: int, slow: bool, rows=rows) -> Iterator[pa.RecordBatch]:
            for lo in range(data_start, len(rows), BATCH_ROWS):
                chunk = rows[lo: lo + BATCH_ROWS]
                yield _rows_to_batch(chunk, list(range(lo + 1, lo + 1 + len(chunk))), ncols)

        sheets.append(RawSheet(path, sid, name, "xlsx", preview, list(range(1, len(preview) + 1)),
                               info={"rows": str(len(rows))}, hidden=name in hidden, _batches=batches))
    return sheets


# -- Parquet ---------------------------------------------------------------------------------


def _as_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr, t = arr.cast(t.value_type), t.value_type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.cast(pa.string())
    if pa.types.is_floating(t):
        # integral floats print without ".0" (codes written as floats by pandas)
        integral = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), 1e16)).fill_null(False)
        as_int = pc.cast(pc.if_else(integral, arr, None), pa.int64(), safe=False)
        return pc.if_else(integral, pc.cast(as_int, pa.string()), pc.cast(arr, pa.string()))
    if pa.types.is_decimal(t):
        return pc.cast(arr, pa.string())
    try:
        return pc.cast(arr, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


def _open_parquet(path: Path) -> list[RawSheet]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # noqa: BLE001
        raise ImportFileError(path.name, f"无法读取 Parquet 文件（{e}）", f"cannot read the Parquet file ({e})") from e
    names = pf.schema_arrow.names
    head = next(pf.iter_batches(batch_size=PREVIEW_ROWS), None)
    preview: list[list[str | None]] = [list(names)]
    if head is not None:
        cols = [_as_text(head.column(i)).to_pylist() for i in range(head.num_columns)]
        preview += [list(r) for r in zip(*cols, strict=True)]

    def batches(data_start: int, ncols: int, slow: bool) -> Iterator[pa.RecordBatch]:
        n = 0
        for b in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            arrays = [_as_text(b.column(j)) for j in range(min(ncols, b.num_columns))]
            arrays += [pa.nulls(b.num_rows, pa.string())] * (ncols - len(arrays))
            rows = pa.array(range(n + 1, n + 1 + b.num_rows), pa.int64())
            n += b.num_rows
            yield pa.RecordBatch.from_arrays([*arrays, rows], names=[*(f"c{j}" for j in range(ncols)), "__row"])

    return [RawSheet(path, source_id(path, _file_digest(path)), "", "parquet", preview,
                     list(range(len(preview))), info={"rows": str(pf.metadata.num_rows)}, _batches=batches)]
