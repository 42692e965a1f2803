"""CSV files (逗号分隔文件): encoding detection, delimiter sniffing and streaming batches.

Encodings: a UTF-8 (with or without BOM) file is read as is; otherwise the file is decoded as
GB18030 (a superset of GBK and GB2312) and transcoded, piece by piece, to a temporary UTF-8
file; UTF-16 with a BOM (Excel's "Unicode text") is transcoded too. Decoding is strict: a file
that is neither raises :class:`ImportFileError` naming the byte offset and line where decoding
failed, and a file whose first part is UTF-8 Chinese but whose rest is not is refused as mixed,
so a GBK file is never mis-decoded silently. charset-normalizer is only asked for a hint in the
error message.

Rows stream through ``pyarrow.csv.open_csv`` as string columns; a record with more or fewer
fields than the header sends the file through Python's csv module instead (same batches, short
records padded, extra fields kept for a ``bad_row`` entry).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from zhizao.data.ingest.readers import (_CHUNK, BATCH_ROWS, PREVIEW_ROWS, ImportFileError, NeedSlowPath, RawSheet,
                                        _file_digest, _rows_to_batch, source_id)

_CSV_BLOCK = 4 << 20
DELIMITERS = (",", "\t", ";", "|")


def _fail_position(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """(byte offset, line, 8 bytes there) where strict ``encoding`` decoding fails, or None."""
    offset = lines = 0
    rest = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            data = rest + chunk
            if not chunk:
                piece, rest = data, b""
            else:
                cut = data.rfind(b"\n") + 1  # neither UTF-8 nor GB18030 uses 0x0A inside a character
                piece, rest = (data[:cut], data[cut:]) if cut else (b"", data)
            try:
                piece.decode(encoding)
            except UnicodeDecodeError as e:
                return offset + e.start, lines + piece.count(b"\n", 0, e.start) + 1, piece[e.start:e.start + 8].hex(" ")
            offset += len(piece)
            lines += piece.count(b"\n")
            if not chunk:
                return None


def _transcode(path: Path, encoding: str, out: Path) -> None:
    """Decode ``path`` (already checked to be valid ``encoding``) into UTF-8 at ``out``."""
    rest = b""
    with open(path, "rb") as f, open(out, "wb") as w:
        while True:
            chunk = f.read(_CHUNK)
            data = rest + chunk
            if not chunk:
                w.write(data.decode(encoding).encode("utf-8"))
                return
            cut = data.rfind(b"\n") + 1
            piece, rest = (data[:cut], data[cut:]) if cut else (b"", data)
            w.write(piece.decode(encoding).encode("utf-8"))


def _cjk_count(path: Path, upto: int) -> int:
    with open(path, "rb") as f:
        text = f.read(min(upto, 1 << 20)).decode("utf-8", errors="ignore")
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def _utf8_copy(path: Path, tmpdir: Path) -> Path:
    """Where the UTF-8 transcoding of ``path`` is written (distinct for same-named files)."""
    return tmpdir / f"{path.stem}.{hashlib.md5(str(path).encode()).hexdigest()[:8]}.utf8.csv"


def detect_encoding(path: Path, *, tmpdir: Path, encoding: str | None = None) -> tuple[Path, str]:
    """The UTF-8 file to parse and the encoding the original was in (see module docstring)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if encoding:
        enc = encoding.lower().replace("_", "-")
        if enc in ("utf-8", "utf8", "utf-8-sig"):
            enc = "utf-8"
        pos = _fail_position(path, enc)
        if pos is not None:
            raise ImportFileError(path.name, f"按指定编码 {encoding} 解码失败：第 {pos[0]} 字节（第 {pos[1]} 行，字节 {pos[2]}）",
                                  f"cannot decode as {encoding}: byte offset {pos[0]} (line {pos[1]}, bytes {pos[2]})")
        if enc == "utf-8":
            return path, "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
        out = _utf8_copy(path, tmpdir)
        _transcode(path, enc, out)
        return out, enc
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel "Unicode text": UTF-16 with BOM
        out = _utf8_copy(path, tmpdir)
        try:
            text = path.read_bytes().decode("utf-16")
        except UnicodeDecodeError as e:
            raise ImportFileError(path.name, f"UTF-16 解码失败：第 {e.start} 字节",
                                  f"cannot decode UTF-16 at byte offset {e.start}") from e
        out.write_text(text, encoding="utf-8")
        return out, "utf-16"
    bom = head.startswith(b"\xef\xbb\xbf")
    pos8 = _fail_position(path, "utf-8")
    if pos8 is None:
        return path, "utf-8-sig" if bom else "utf-8"
    if bom:
        raise ImportFileError(path.name, f"文件带 UTF-8 BOM，但第 {pos8[0]} 字节（第 {pos8[1]} 行，字节 {pos8[2]}）不是 UTF-8",
                              f"file starts with a UTF-8 BOM but byte offset {pos8[0]} (line {pos8[1]}, "
                              f"bytes {pos8[2]}) is not UTF-8")
    if _cjk_count(path, pos8[0]) >= 8:
        raise ImportFileError(
            path.name,
            f"文件前 {pos8[0]} 字节是 UTF-8 中文，第 {pos8[0]} 字节（第 {pos8[1]} 行）起不是：文件可能混合了两种编码，请统一另存为 UTF-8",
            f"the first {pos8[0]} bytes are UTF-8 Chinese text but byte offset {pos8[0]} (line {pos8[1]}) is not: "
            "the file seems to mix two encodings; save it again as UTF-8")
    posg = _fail_position(path, "gb18030")
    if posg is not None:
        guess = _guess(path)
        raise ImportFileError(
            path.name,
            f"无法识别文件编码：按 UTF-8 解码在第 {pos8[0]} 字节（第 {pos8[1]} 行）失败，按 GB18030/GBK 解码在第 {posg[0]} 字节"
            f"（第 {posg[1]} 行，字节 {posg[2]}）失败{guess}；请另存为 UTF-8 CSV",
            f"cannot decode the file: as UTF-8 it fails at byte offset {pos8[0]} (line {pos8[1]}), "
            f"as GB18030/GBK at byte "
            f"offset {posg[0]} (line {posg[1]}, bytes {posg[2]}){guess}; save it as UTF-8 CSV")
    out = _utf8_copy(path, tmpdir)
    _transcode(path, "gb18030", out)
    return out, "gb18030"


def _guess(path: Path) -> str:
    try:
        from charset_normalizer import from_bytes

        with open(path, "rb") as f:
            best = from_bytes(f.read(1 << 16)).best()
        return f" (charset-normalizer: {best.encoding}?)" if best is not None else ""
    except Exception:  # noqa: BLE001 - only a hint
        return ""


def _preview_records(text: str, delimiter: str) -> tuple[list[list[str | None]], list[int]]:
    """First records of ``text`` and the 0-based line on which each starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, starts, line = [], [], 0
    try:
        for rec in reader:
            starts.append(line)
            rows.append([v if v != "" else None for v in rec])
            line = reader.line_num
            if len(rows) >= PREVIEW_ROWS:
                break
    except csv.Error:
        pass
    return rows, starts


def open_csv(path: Path, *, tmpdir: Path, encoding: str | None) -> list[RawSheet]:
    from zhizao.data.ingest.headers import best_header_score

    utf8, enc = detect_encoding(path, tmpdir=tmpdir, encoding=encoding)
    with open(utf8, "rb") as f:
        head = f.read(1 << 18)
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if len(head) == 1 << 18:  # cut at the last complete line
        text = text[: text.rfind("\n") + 1] or text
    best = None
    for d in DELIMITERS:
        rows, starts = _preview_records(text, d)
        width = max((len(r) for r in rows), default=0)
        score = (best_header_score(rows), width > 1, -DELIMITERS.index(d))
        if best is None or score > best[0]:
            best = (score, d, rows, starts)
    assert best is not None
    _, delim, preview, starts = best
    sid = source_id(path, _file_digest(path))
    sample = text.encode("utf-8")
    lines = max(1, sample.count(b"\n"))
    est = int(utf8.stat().st_size / max(1.0, len(sample) / lines)) if sample else 0
    sheet = RawSheet(path, sid, "", "csv", preview, list(range(1, len(preview) + 1)),
                     info={"encoding": enc, "delimiter": {"\t": "tab"}.get(delim, delim), "rows": str(est)})

    def batches(data_start: int, ncols: int, slow: bool) -> Iterator[pa.RecordBatch]:
        # rows are numbered by record, as Excel shows a CSV (a quoted line break stays in its cell)
        skip = starts[data_start] if data_start < len(starts) else (starts[-1] + 1 if starts else 0)
        if slow:
            try:
                yield from _csv_slow(utf8, delim, skip, data_start, ncols)
            except _RecordError as e:
                raise ImportFileError(path.name, f"第 {e.record} 条记录（第 {e.line} 行）无法读取：{e.error}",
                                      f"cannot read record {e.record} (line {e.line}): {e.error}") from e
        else:
            yield from _csv_fast(utf8, delim, skip, data_start, ncols)

    sheet._batches = batches
    return [sheet]


def _csv_fast(path: Path, delim: str, skip_lines: int, records_before: int, ncols: int) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pcsv

    names = [f"c{j}" for j in range(ncols)]
    bad: list[object] = []

    def on_invalid(row) -> str:
        bad.append(row)
        return "skip"

    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=skip_lines, block_size=_CSV_BLOCK,
                                      encoding="utf8"),
        parse_options=pcsv.ParseOptions(delimiter=delim, ignore_empty_lines=False, newlines_in_values=True,
                                        invalid_row_handler=on_invalid),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                            strings_can_be_null=True, quoted_strings_can_be_null=True),
    )
    n = 0
    for b in reader:
        if bad:
            raise NeedSlowPath()
        rows = pa.array(range(records_before + n + 1, records_before + n + 1 + b.num_rows), pa.int64())
        n += b.num_rows
        yield pa.RecordBatch.from_arrays([*b.columns, rows], names=[*names, "__row"])
    if bad:
        raise NeedSlowPath()


class _RecordError(Exception):
    """Python's csv module cannot read a record (e.g. a field over its size limit)."""

    def __init__(self, record: int, line: int, error: csv.Error):
        super().__init__(f"record {record} (line {line}): {error}")
        self.record, self.line, self.error = record, line, error


def _csv_slow(path: Path, delim: str, skip_lines: int, records_before: int, ncols: int) -> Iterator[pa.RecordBatch]:
    """Python's csv module: short records padded, extra fields kept apart."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        for _ in range(skip_lines):
            f.readline()
        reader = csv.reader(f, delimiter=delim)
        rows: list[list[str]] = []
        numbers: list[int] = []
        extras: list[str | None] = []
        number = records_before
        while True:
            try:
                rec = next(reader, None)
            except csv.Error as e:  # 1-based record and line numbers, as the user sees them
                raise _RecordError(number + 1, skip_lines + reader.line_num, e) from e
            if rec is None:
                break
            number += 1
            numbers.append(number)
            extra = [v for v in rec[ncols:] if v.strip()]
            extras.append(delim.join(rec[ncols:]) if extra else None)
            rows.append(rec[:ncols])
            if len(rows) >= BATCH_ROWS:
                yield _with_extra(_rows_to_batch(rows, numbers, ncols), extras)
                rows, numbers, extras = [], [], []
        if rows:
            yield _with_extra(_rows_to_batch(rows, numbers, ncols), extras)


def _with_extra(batch: pa.RecordBatch, extras: list[str | None]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([*batch.columns, pa.array(extras, pa.string())],
                                      names=[*batch.schema.names, "__extra"])
