"""Uploads and imports through the platform (上传导入): what an official's browser sends becomes
a file kept on the server, checked by its content, imported by the validating importer
(``zhizao.data.ingest``) with the uploader's jurisdiction as a further row check, and a record
that the history, the result page and the quarantine lists read.

* :func:`check_upload` — the file's type **by content**: XLSX is a ZIP holding
  ``[Content_Types].xml`` and ``xl/workbook.xml`` (a truncated ZIP is refused), Parquet starts
  and ends with ``PAR1``, CSV is text (UTF-8 / GBK / GB18030 / UTF-16 with BOM, strictly decoded
  by the importer's encoding detection) without NUL bytes; the extension must agree with the
  content. ``InvalidInput`` names the file and what was found; :class:`UploadTooLarge` (413)
  past the size limit.
* :func:`save_upload` — copies the upload, counting bytes, to ``<uploads>/<id>/<name>`` (a
  sanitised name, never the client's path) with its SHA-256 and a record (``upload.json``) of who
  uploaded it, with which jurisdiction, strict or not.
* :func:`run_import` — ``zhizao.services.data.import_files`` with :func:`scope_check`: an
  official's rows whose region lies outside the jurisdiction are quarantined with the reason
  ``out_of_scope`` (zh/en) — for enterprises, parcels and monthly statistics by the row's region
  code and, for an enterprise or parcel already stored, by its stored region (no moving an
  enterprise in from another county); for indicators by the stored enterprise; for parcel status
  by the stored parcel; a supply link needs one side inside. ``--strict`` semantics hold: one
  such row and nothing of the file reaches the warehouse. Returns an :class:`ImportResult`.
* :func:`import_history`, :func:`import_detail`, :func:`quarantine_page` (+ ``*_rows`` for
  downloads), :func:`upload_record`, :func:`upload_quarantine_page` — what the platform lists.

Who sees which import: an administrator (scope "everything") sees every import, command-line
ones included; any other viewer sees the uploads made by uploaders whose jurisdiction lies
inside the viewer's (a county official's uploads are seen by that county and by a province
auditor, not by the next county), their history rows and their quarantined rows — quarantined
rows hold raw enterprise data, so they are scoped like the data.

No terminal or web code here (tests/services/test_layers.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from zhizao.contract import Column
from zhizao.errors import InvalidInput, NotFound
from zhizao.services.paging import Page, check_paging

__all__ = ["UploadTooLarge", "too_large", "UPLOAD_SUFFIXES", "check_upload", "safe_name", "check_table", "Upload",
           "save_upload", "load_upload", "list_uploads", "visible", "scope_check", "TableResult", "ImportResult",
           "run_import", "record_result", "import_history", "import_history_rows", "ImportDetail", "import_detail",
           "quarantine_page", "quarantine_rows", "upload_record", "upload_quarantine_page", "upload_quarantine_rows",
           "HISTORY_COLUMNS", "QUARANTINE_COLUMNS"]

Progress = Callable[[str, float], None]

#: the extensions accepted, by the kind their content must be
UPLOAD_SUFFIXES: dict[str, tuple[str, ...]] = {"csv": (".csv", ".txt", ".tsv"), "xlsx": (".xlsx", ".xlsm"),
                                               "parquet": (".parquet", ".pq")}
#: an XLSX may expand to at most this many times the upload limit (a ZIP bomb is refused)
ZIP_EXPANSION = 100
_CHUNK = 1 << 20
_ID = re.compile(r"^[0-9]{14}[0-9a-f]{8}$")


class UploadTooLarge(InvalidInput):
    """An upload larger than the platform accepts (``settings.upload_max_bytes``): HTTP 413."""

    kind = "too_large"
    http_status = 413


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n:,} B"


def too_large(name: str | None, max_bytes: int) -> UploadTooLarge:
    """The 413 error for an upload (``name``: the file, if known) past ``max_bytes``."""
    if name is None:
        return UploadTooLarge(f"上传内容超过上限 {_mb(max_bytes)}", f"the upload is larger than the limit of "
                              f"{_mb(max_bytes)}", where="file")
    return UploadTooLarge(f"文件“{name}”超过上传上限 {_mb(max_bytes)}", f"file {name!r} is larger than the upload "
                          f"limit of {_mb(max_bytes)}", where="file")


# --- what the bytes are -------------------------------------------------------------------------
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "ZIP 压缩包", "a ZIP archive"), (b"PK\x05\x06", "ZIP 压缩包", "a ZIP archive"),
    (b"PK\x07\x08", "ZIP 压缩包", "a ZIP archive"),
    (b"PAR1", "Parquet 文件", "a Parquet file"),
    (b"MZ", "Windows 可执行文件（EXE/DLL）", "a Windows executable (EXE/DLL)"),
    (b"\x7fELF", "ELF 可执行文件", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "Mach-O 可执行文件", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java 可执行文件", "a Mach-O or Java executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.xls/.doc，OLE2）", "a legacy Office file (.xls/.doc, OLE2)"),
    (b"%PDF", "PDF 文件", "a PDF file"), (b"\x1f\x8b", "gzip 压缩包", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包", "a 7z archive"), (b"Rar!", "RAR 压缩包", "a RAR archive"),
    (b"\x89PNG", "PNG 图片", "a PNG image"), (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"), (b"SQLite format 3\x00", "SQLite 数据库", "an SQLite database"),
)


def _sniff(head: bytes) -> tuple[str, str, str] | None:
    """(kind, zh, en) of a binary format recognised by its first bytes, or None (maybe text)."""
    for magic, zh, en in _MAGIC:
        if head.startswith(magic):
            kind = "zip" if magic.startswith(b"PK") else ("parquet" if magic == b"PAR1" else "binary")
            return kind, zh, en
    return None


def _bad(name: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"文件“{name}”：{zh}", f"file {name!r}: {en}", where="file")


def check_upload(name: str, head_bytes: bytes, size: int, *, max_bytes: int, path: Path | None = None) -> str:
    """The kind (``csv`` | ``xlsx`` | ``parquet``) of an upload called ``name``, decided by its
    content (``head_bytes``: its first bytes; ``path``: the saved file, for the checks that read
    more of it) and required to agree with the extension.

    >>> check_upload("企业.csv", "统一社会信用代码,企业名称\\n".encode(), 40, max_bytes=1000)
    'csv'
    >>> def refused(*a, **kw):
    ...     try:
    ...         check_upload(*a, **kw)
    ...     except InvalidInput as e:
    ...         return e.http_status, e.en
    >>> refused("企业.csv", b"PK\x03\x04rest", 40, max_bytes=1000)
    (422, "file '企业.csv': the extension is .csv but the content is a ZIP archive (name an XLSX file .xlsx)")
    >>> refused("a.csv", b"x", 2000, max_bytes=1000)
    (413, "file 'a.csv' is larger than the upload limit of 1,000 B")
    """
    suffix = Path(name).suffix.lower()
    by_ext = next((k for k, sfx in UPLOAD_SUFFIXES.items() if suffix in sfx), None)
    if by_ext is None:
        accepted = "、".join(s for sfx in UPLOAD_SUFFIXES.values() for s in sfx)
        raise _bad(name, f"不支持的扩展名“{suffix or '（无）'}”（可上传 {accepted}）",
                   f"unsupported extension {suffix or '(none)'!r} (accepted: {accepted.replace('、', ', ')})")
    if size > max_bytes:
        raise too_large(name, max_bytes)
    if size == 0 or not head_bytes:
        raise _bad(name, "文件为空", "the file is empty")
    found = _sniff(head_bytes)
    if by_ext == "xlsx":
        if found is None or found[0] != "zip":
            what_zh, what_en = (found[1], found[2]) if found else ("文本或未知格式", "text or an unknown format")
            hint_zh = "；旧版 .xls 请在 Excel 中另存为 .xlsx" if found and "OLE2" in found[1] else ""
            hint_en = "; save a legacy .xls as .xlsx in Excel" if found and "OLE2" in found[1] else ""
            raise _bad(name, f"扩展名是 {suffix}，但内容不是 XLSX 工作簿，而是{what_zh}{hint_zh}",
                       f"the extension is {suffix} but the content is not an XLSX workbook: it is {what_en}{hint_en}")
        if path is not None:
            _check_xlsx(name, Path(path), max_bytes)
        return "xlsx"
    if by_ext == "parquet":
        if found is None or found[0] != "parquet":
            what_zh, what_en = (found[1], found[2]) if found else ("文本或未知格式", "text or an unknown format")
            raise _bad(name, f"扩展名是 {suffix}，但内容不是 Parquet 文件，而是{what_zh}",
                       f"the extension is {suffix} but the content is not a Parquet file: it is {what_en}")
        if path is not None:
            with open(path, "rb") as f:
                f.seek(max(0, size - 4))
                tail = f.read(4)
            if size < 12 or tail != b"PAR1":
                raise _bad(name, "Parquet 文件不完整（结尾没有 PAR1 标记，可能上传被截断）",
                           "the Parquet file is incomplete (it does not end with PAR1: the upload may be truncated)")
        return "parquet"
    # csv
    if found is not None:
        hint_zh = "（XLSX 请用 .xlsx 扩展名）" if found[0] == "zip" else ""
        hint_en = " (name an XLSX file .xlsx)" if found[0] == "zip" else ""
        raise _bad(name, f"扩展名是 {suffix}，但内容是{found[1]}{hint_zh}",
                   f"the extension is {suffix} but the content is {found[2]}{hint_en}")
    utf16 = head_bytes[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not utf16 and b"\x00" in head_bytes:
        raise _bad(name, f"扩展名是 {suffix}，但内容含 NUL 字节（二进制文件，不是文本）",
                   f"the extension is {suffix} but the content has NUL bytes (a binary file, not text)")
    if path is not None:
        _check_text(name, Path(path), utf16)
    return "csv"


def _check_xlsx(name: str, path: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = [n for n in ("[Content_Types].xml", "xl/workbook.xml") if n not in names]
            if missing:
                raise _bad(name, f"是 ZIP 压缩包，但不是 XLSX 工作簿（缺少 {'、'.join(missing)}）",
                           f"a ZIP archive but not an XLSX workbook (no {', '.join(missing)})")
            expanded = sum(i.file_size for i in z.infolist())
            if expanded > ZIP_EXPANSION * max_bytes:
                raise _bad(name, f"解压后达 {_mb(expanded)}，超过上限 {_mb(ZIP_EXPANSION * max_bytes)}",
                           f"it expands to {_mb(expanded)}, more than the limit of {_mb(ZIP_EXPANSION * max_bytes)}")
            broken = z.testzip()
            if broken is not None:
                raise _bad(name, f"XLSX 已损坏（内部文件 {broken} 校验失败）", f"the XLSX is damaged ({broken} fails its CRC)")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as e:
        raise _bad(name, f"XLSX 文件不完整或已损坏，无法按 ZIP 打开（可能上传被截断）：{e}",
                   f"the XLSX file is incomplete or damaged and cannot be opened as a ZIP (the upload may be "
                   f"truncated): {e}") from None


def _check_text(name: str, path: Path, utf16: bool) -> None:
    """No NUL byte (unless UTF-16 with a BOM) and a strict decode as the importer would do it."""
    from zhizao.data.ingest import ImportFileError
    from zhizao.data.ingest.csvfile import detect_encoding
    from zhizao.data.ingest.reasons import split_bilingual

    if not utf16:
        with open(path, "rb") as f:
            offset = 0
            while chunk := f.read(_CHUNK):
                at = chunk.find(b"\x00")
                if at >= 0:
                    raise _bad(name, f"第 {offset + at} 字节是 NUL（二进制文件，不是文本）",
                               f"byte {offset + at} is NUL (a binary file, not text)")
                offset += len(chunk)
    with tempfile.TemporaryDirectory(prefix="zhizao-check-") as tmp:
        try:
            detect_encoding(path, tmpdir=Path(tmp))
        except ImportFileError as e:
            zh, en = split_bilingual(str(e))
            raise InvalidInput(zh, en, where="file") from None


def safe_name(name: str | None) -> str:
    """A file name safe to keep on the server and show: the last part of the client's path,
    NFC, no control or direction characters, no characters Windows refuses, no leading dot or
    formula character, at most 120 characters (the extension kept).

    >>> safe_name("C:\\\\Users\\\\x\\\\..\\\\企业 名录.csv"), safe_name("../../etc/passwd"), safe_name("=cmd.csv")
    ('企业_名录.csv', 'passwd', '_cmd.csv')
    >>> safe_name("a\\u202egpj.csv"), safe_name(""), safe_name("..")
    ('agpj.csv', 'upload', 'upload')
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    base = re.sub(r'[<>:"|?*\s]+', "_", base).strip(". _")
    base = re.sub(r"^[=+\-@]+", "_", base)
    if len(base) > 120:
        stem, suffix = Path(base).stem, Path(base).suffix[:16]
        base = stem[: 120 - len(suffix)] + suffix
    return base or "upload"


def check_table(table: str | None) -> str | None:
    """The data table an upload is forced into (name, Chinese name or sheet alias), or None;
    ``InvalidInput`` naming the accepted tables."""
    if table is None or not str(table).strip():
        return None
    from zhizao.data.ingest.headers import data_table
    from zhizao.data.schema import DATA_TABLES

    try:
        return data_table(str(table).strip()).name
    except ValueError:
        names = ", ".join(f"{t.name}（{t.zh}）" for t in DATA_TABLES)
        raise InvalidInput(f"未知的表“{table}”；可选：{names}", f"unknown table {table!r}; one of: {names}",
                           where="table") from None


# --- the kept upload ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    """An upload kept on the server: ``<uploads>/<id>/<name>`` with ``upload.json`` beside it."""

    id: str
    name: str                      # the sanitised name the file is kept under
    sha256: str
    size: int
    kind: str                      # csv | xlsx | parquet
    created_at: str
    owner_id: int | None = None
    owner: str = ""
    role: str = ""
    all_regions: bool = False      # the uploader's scope was everything (an administrator)
    jurisdiction: tuple[str, ...] = ()   # the uploader's GB/T 2260 prefixes
    strict: bool = False
    table: str | None = None
    dir: Path | None = field(default=None, compare=False)
    result: dict | None = field(default=None, compare=False)   # ImportResult.to_dict() once imported

    @property
    def path(self) -> Path:
        return Path(self.dir) / self.name

    @property
    def source_id(self) -> str:
        """How the importer names this file in ``quarantine`` and ``import_log``."""
        return f"{self.name}#{self.sha256[:8]}"

    @property
    def batch(self) -> str | None:
        return (self.result or {}).get("batch")

    def to_dict(self) -> dict:
        """The record as the API shows it (no server path)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("dir", "result")}
        out["jurisdiction"] = list(self.jurisdiction)
        out["source_file"] = self.source_id
        out["batch"] = self.batch
        return out


def _new_id() -> str:
    return f"{datetime.now():%Y%m%d%H%M%S}{secrets.token_hex(4)}"


def _chunks(source: BinaryIO | bytes | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray):
        yield bytes(source)
    elif hasattr(source, "read"):
        while chunk := source.read(_CHUNK):
            yield chunk
    else:
        yield from source


def save_upload(uploads_dir: Path, name: str | None, source: BinaryIO | bytes | Iterable[bytes], *, max_bytes: int,
                owner_id: int | None = None, owner: str = "", role: str = "", scope=None, strict: bool = False,
                table: str | None = None) -> Upload:
    """Keep ``source`` (a file object, bytes or chunks) as ``<uploads_dir>/<id>/<safe name>``,
    counting bytes (``UploadTooLarge`` past ``max_bytes``, nothing kept), then check its type
    (:func:`check_upload`; ``InvalidInput``, nothing kept). ``scope`` is the uploader's
    (``zhizao.accounts.scope.Scope``): it decides who sees the upload and what it may import."""
    fname = safe_name(name)
    suffix = Path(fname).suffix.lower()
    if not any(suffix in s for s in UPLOAD_SUFFIXES.values()):
        check_upload(fname, b"x", 1, max_bytes=max_bytes)            # raises, naming the extension
    table = check_table(table)
    uid = _new_id()
    folder = Path(uploads_dir) / uid
    folder.mkdir(parents=True, exist_ok=False)
    target = folder / fname
    h = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(target, "wb") as out:
            for chunk in _chunks(source):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(fname, max_bytes)
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                h.update(chunk)
                out.write(chunk)
        kind = check_upload(fname, head, size, max_bytes=max_bytes, path=target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    up = Upload(uid, fname, h.hexdigest(), size, kind, datetime.now().isoformat(timespec="seconds"), owner_id, owner,
                role, bool(scope is not None and scope.all_regions), tuple(scope.prefixes) if scope is not None else (),
                bool(strict), table, folder)
    (folder / "upload.json").write_text(json.dumps(up.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return up


def load_upload(uploads_dir: Path, upload_id: str) -> Upload:
    """The upload ``upload_id`` with its result (``NotFound`` for an unknown or malformed id)."""
    folder = Path(uploads_dir) / str(upload_id)
    meta = folder / "upload.json"
    if not _ID.match(str(upload_id)) or not meta.is_file():
        raise NotFound(f"没有上传记录 {upload_id}", f"no upload {upload_id}", where="upload")
    d = json.loads(meta.read_text(encoding="utf-8"))
    res = folder / "result.json"
    result = json.loads(res.read_text(encoding="utf-8")) if res.is_file() else None
    return Upload(d["id"], d["name"], d["sha256"], int(d["size"]), d["kind"], d["created_at"], d.get("owner_id"),
                  d.get("owner", ""), d.get("role", ""), bool(d.get("all_regions")), tuple(d.get("jurisdiction") or ()),
                  bool(d.get("strict")), d.get("table"), folder, result)


def list_uploads(uploads_dir: Path | None) -> list[Upload]:
    """Every upload kept under ``uploads_dir``, newest first."""
    root = Path(uploads_dir) if uploads_dir is not None else None
    if root is None or not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir(), reverse=True):
        if d.is_dir() and _ID.match(d.name) and (d / "upload.json").is_file():
            try:
                out.append(load_upload(root, d.name))
            except (ValueError, KeyError, OSError):
                continue
    return out


def visible(upload: Upload, scope) -> bool:
    """Whether a viewer with ``scope`` sees ``upload``: everything sees all; otherwise the
    uploader's whole jurisdiction must lie inside the viewer's.

    >>> from zhizao.accounts.scope import Scope
    >>> up = Upload("x", "a.csv", "0" * 64, 1, "csv", "", jurisdiction=("330502",))
    >>> visible(up, Scope.of_regions(["330000"])), visible(up, Scope.of_regions(["330503"])), visible(up, Scope.none())
    (True, False, False)
    """
    if scope.all_regions:
        return True
    if upload.all_regions or not upload.jurisdiction:
        return False
    return all(scope.allows_region(p) for p in upload.jurisdiction)


def _visible_uploads(uploads_dir, scope) -> list[Upload] | None:
    """None when the viewer sees everything, else the uploads it sees."""
    if scope.all_regions:
        return None
    return [u for u in list_uploads(uploads_dir) if visible(u, scope)]


# --- the jurisdiction as a row check --------------------------------------------------------------
def scope_check(wh, scope):
    """The row check (``zhizao.data.ingest.core.RowCheck``) that quarantines rows outside
    ``scope`` as ``out_of_scope`` (see the module docstring), or None for a scope that sees
    everything."""
    if scope is None or scope.all_regions:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    from zhizao.data.ingest.parse import Issue

    prefixes = tuple(scope.prefixes)
    where_zh, where_en = scope.describe("zh"), scope.describe("en")
    outside = f"上传者的辖区为 {where_zh} / the uploader's jurisdiction is {where_en}"
    stored = {"uscc": (f"该企业已登记在辖区外（上传者的辖区为 {where_zh}） / the enterprise is registered outside "
                       f"the uploader's jurisdiction ({where_en})"),
              "parcel_id": (f"该地块位于辖区外或尚未登记（上传者的辖区为 {where_zh}） / the parcel lies outside the "
                            f"uploader's jurisdiction ({where_en}) or is not registered")}
    links = (f"供销双方均不在辖区内（上传者的辖区为 {where_zh}） / neither supplier nor buyer is registered inside "
             f"the uploader's jurisdiction ({where_en})")

    def inside_codes(arr):
        m = None
        for p in prefixes:
            x = pc.starts_with(arr, p)
            m = x if m is None else pc.or_(m, x)
        if m is None:                                         # no jurisdiction: nothing is inside
            return pc.and_(pc.is_valid(arr), pa.scalar(False))
        return m.fill_null(False)

    def allows(code) -> bool:
        return code is not None and any(str(code).startswith(p) for p in prefixes)

    def stored_regions(table_name: str, key: str, values) -> dict:
        vals = pc.unique(pc.drop_null(values.cast(pa.string())))
        if not len(vals):
            return {}
        got = wh.with_stored_values(table_name, pa.table({key: vals}), ["region_code"])
        if "region_code" not in got.column_names:
            return {}
        return {k: r for k, r in zip(got.column(key).to_pylist(), got.column("region_code").to_pylist(), strict=True)
                if r is not None}

    def mask_of(col, keys) -> pa.ChunkedArray:
        return pc.is_in(col.cast(pa.string()), value_set=pa.array(sorted(keys), pa.string())).fill_null(False)

    def any_(m) -> bool:
        return bool(pc.any(m).as_py())

    def unflagged(found, column: str, m):
        """``m`` without the cells already flagged in ``column`` (an invalid code is not also out of scope)."""
        for i in found:
            if i.column == column:
                m = pc.and_(m, pc.invert(i.mask.fill_null(False) if hasattr(i.mask, "fill_null") else i.mask))
        return m

    def check(t, table, found=()) -> list:
        issues = []
        cols = set(t.column_names)
        if table.name in ("enterprises", "parcels", "monthly_stats") and "region_code" in cols:
            rc = t.column("region_code")
            m = unflagged(found, "region_code", pc.and_(pc.is_valid(rc), pc.invert(inside_codes(rc))))
            if any_(m):
                issues.append(Issue("region_code", "out_of_scope", m, outside))
        key = {"enterprises": "uscc", "parcels": "parcel_id", "indicators": "uscc", "parcel_status": "parcel_id"}
        if table.name in key and key[table.name] in cols:
            k = key[table.name]
            col = t.column(k)
            regions = stored_regions("enterprises" if k == "uscc" else "parcels", k, col)
            m = mask_of(col, {x for x, r in regions.items() if not allows(r)})
            if table.name == "parcel_status":                 # a parcel not stored cannot be placed
                m = pc.or_(m, pc.and_(pc.is_valid(col), pc.invert(mask_of(col, regions)))).fill_null(False)
            m = unflagged(found, k, m)
            if any_(m):
                issues.append(Issue(k, "out_of_scope", m, stored[k]))
        if table.name == "links" and {"supplier_uscc", "buyer_uscc"} <= cols:
            s, b = t.column("supplier_uscc"), t.column("buyer_uscc")
            regions = stored_regions("enterprises", "uscc", pa.chunked_array([*s.cast(pa.string()).chunks,
                                                                              *b.cast(pa.string()).chunks]))
            ins = {x for x, r in regions.items() if allows(r)}
            known = pc.or_(mask_of(s, regions), mask_of(b, regions))
            m = pc.and_(known, pc.invert(pc.or_(mask_of(s, ins), mask_of(b, ins))))
            if any_(m):
                issues.append(Issue("supplier_uscc+buyer_uscc", "out_of_scope", m, links))
        return issues

    return check


# --- the import ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TableResult:
    """One table of an import: rows read, imported (new / updated / unchanged) and quarantined."""

    table: str
    zh: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged


#: the quarantine columns a result shows and a download carries
_PREVIEW_KEYS = ("source_file", "sheet", "row_number", "column", "value", "reason_code", "reason_zh", "reason_en",
                 "target_table")


@dataclass(frozen=True)
class ImportResult:
    """What one import did. ``written`` is False when nothing reached the warehouse (a strict
    import that found a problem, or a file that could not be read); the quarantined rows are then
    only in ``quarantine_file`` (and the preview), never in the warehouse."""

    batch: str
    file: str
    strict: bool
    rejected: bool
    ok: bool
    written: bool
    scope_checked: bool
    tables: tuple[TableResult, ...]
    sheets: tuple[dict, ...]
    errors: tuple[str, ...]
    by_reason: dict
    quarantined_rows: int
    quarantined_entries: int
    quarantine_in_warehouse: bool
    preview: tuple[dict, ...] = ()
    summary: tuple[str, ...] = ()
    quarantine_file: Path | None = field(default=None, compare=False)

    @property
    def totals(self) -> dict:
        keys = ("read", "inserted", "updated", "unchanged", "quarantined")
        out = {k: sum(getattr(t, k) for t in self.tables) for k in keys}
        out["imported"] = out["inserted"] + out["updated"] + out["unchanged"]
        return out

    def to_dict(self) -> dict:
        """Plain data (the job's result): everything but the server path of the quarantine file."""
        from zhizao.data.ingest import REASONS

        d = {k: getattr(self, k) for k in ("batch", "file", "strict", "rejected", "ok", "written", "scope_checked",
                                           "quarantined_rows", "quarantined_entries", "quarantine_in_warehouse")}
        d["tables"] = [{**asdict(t), "imported": t.imported} for t in self.tables]
        d["totals"] = self.totals
        d["sheets"] = list(self.sheets)
        d["errors"] = list(self.errors)
        d["by_reason"] = [{"reason_code": k, "entries": n, "zh": REASONS[k].zh if k in REASONS else k,
                           "en": REASONS[k].en if k in REASONS else k} for k, n in self.by_reason.items()]
        d["preview"] = [dict(r) for r in self.preview]
        d["summary"] = list(self.summary)
        d["has_quarantine_file"] = self.quarantine_file is not None
        return d


def run_import(svc, path: Path, *, strict: bool = False, table: str | None = None, progress: Progress | None = None,
               scope=None, quarantine_out: Path | None = None, preview_rows: int = 50) -> ImportResult:
    """Import the file at ``path`` (``zhizao.services.data.import_files``) with ``scope``'s row
    check (:func:`scope_check`; None or everything: none); the quarantined entries are also
    written to ``quarantine_out`` (Parquet) when given — for a strict import that found a
    problem, the only place they are kept."""
    import pyarrow.parquet as pq

    from zhizao.data.schema import TABLES
    from zhizao.services.data import import_files

    path = Path(path)
    check = scope_check(svc.wh, scope)
    report = import_files(svc, [path], strict=strict, table=check_table(table), progress=progress, row_check=check)
    by_table: dict[str, list] = {}
    for s in report.sheets:
        if s.table:
            by_table.setdefault(s.table, []).append(s)
    tables = tuple(TableResult(name, TABLES[name].zh if name in TABLES else name,
                               sum(s.rows_read for s in ss), sum(s.inserted for s in ss), sum(s.updated for s in ss),
                               sum(s.unchanged for s in ss), sum(s.quarantined for s in ss))
                   for name, ss in by_table.items())
    q = report.quarantine
    qfile = None
    if quarantine_out is not None and q.num_rows:
        qfile = Path(quarantine_out)
        qfile.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(q, qfile)
    preview = tuple({k: r.get(k) for k in _PREVIEW_KEYS} for r in q.slice(0, preview_rows).to_pylist())
    qrows = len({(r["source_file"], r["sheet"], r["row_number"]) for r in
                 q.select(["source_file", "sheet", "row_number"]).to_pylist()}) if q.num_rows else 0
    imported = sum(t.imported for t in tables)
    written = not report.rejected and (imported > 0 or q.num_rows > 0 or any(s.rows_read for s in report.sheets))
    if progress is not None:
        progress("done", 1.0)
    return ImportResult(report.run_id, path.name, strict, report.rejected, report.ok, written, check is not None,
                        tables, tuple(report.to_dict()["sheets"]), tuple(report.errors), report.by_reason, qrows,
                        q.num_rows, bool(q.num_rows) and not report.rejected, preview, tuple(report.summary_lines()),
                        qfile)


def record_result(upload: Upload, result: ImportResult | dict) -> Upload:
    """Keep ``result`` beside the upload (``result.json``): the history and the result page read it."""
    d = result.to_dict() if isinstance(result, ImportResult) else dict(result)
    (Path(upload.dir) / "result.json").write_text(json.dumps(d, ensure_ascii=False, indent=1, default=str),
                                                  encoding="utf-8")
    return replace(upload, result=d)


# --- lists ---------------------------------------------------------------------------------------
def _col(name: str, typ: str, zh: str, en: str, meaning: str = "") -> Column:
    return Column(name, typ, zh, en, meaning or en, None)


HISTORY_COLUMNS: tuple[Column, ...] = (
    _col("run_id", "string", "批次", "batch", "the import run (batch) id"),
    _col("imported_at", "string", "导入时间", "imported at"),
    _col("source_file", "string", "来源文件", "file", "file name and the first 8 hex digits of its SHA-256"),
    _col("sheet", "string", "工作表", "sheet"),
    _col("target_table", "string", "目标表", "table"),
    _col("rows_read", "int64", "读取行数", "rows read"),
    _col("rows_inserted", "int64", "新增行数", "inserted"),
    _col("rows_updated", "int64", "更新行数", "updated"),
    _col("rows_unchanged", "int64", "未变行数", "unchanged"),
    _col("rows_quarantined", "int64", "隔离行数", "quarantined"),
    _col("uploaded_by", "string", "上传者", "uploaded by", "the platform user who uploaded the file (— for an "
                                                            "import from the command line)"),
)
QUARANTINE_COLUMNS: tuple[Column, ...] = (
    _col("source_file", "string", "来源文件", "file", "file name and the first 8 hex digits of its SHA-256"),
    _col("sheet", "string", "工作表", "sheet"),
    _col("row_number", "int64", "行号", "row", "1-based row in the file or sheet, as Excel shows it"),
    _col("column", "string", "列", "column"),
    _col("value", "string", "值", "value", "the cell as it was in the file"),
    _col("reason_code", "string", "原因代码", "reason code"),
    _col("reason_zh", "string", "原因", "reason (zh)"),
    _col("reason_en", "string", "原因（英文）", "reason (en)"),
    _col("target_table", "string", "目标表", "target table"),
    _col("imported_at", "string", "导入时间", "imported at"),
    _col("row_json", "string", "原始行", "raw row", "the whole row as it was in the file (JSON)"),
)


def _text_time(v):
    return v.isoformat(sep=" ", timespec="seconds") if isinstance(v, datetime) else v


def _history_expr(svc, scope, uploads_dir):
    import ibis

    t = svc.wh.table("import_log")
    ups = _visible_uploads(uploads_dir, scope)
    if ups is not None:
        batches = sorted({u.batch for u in ups if u.batch})
        t = t.filter(t.run_id.isin(batches) if batches else ibis.literal(False))
    return t


def _uploaders(uploads_dir) -> dict[str, str]:
    return {u.batch: u.owner for u in list_uploads(uploads_dir) if u.batch}


def _history_rows(rows: list[dict], who: dict[str, str]) -> list[dict]:
    return [{**{k: _text_time(v) for k, v in r.items()}, "uploaded_by": who.get(r["run_id"])} for r in rows]


def import_history(svc, scope, *, uploads_dir: Path | None = None, page: int = 1, page_size: int = 50) -> Page:
    """The import log (one row per file/sheet per import), newest first, as ``scope`` sees it."""
    import ibis

    check_paging(page, page_size)
    t = _history_expr(svc, scope, uploads_dir)
    total = int(t.count().to_pyarrow().as_py())
    names = [c.name for c in HISTORY_COLUMNS if c.name != "uploaded_by"]
    rows = (t.select(names).order_by([ibis.desc("imported_at"), ibis.desc("run_id"), "source_file", "sheet"])
            .limit(page_size, offset=(page - 1) * page_size).to_pyarrow().to_pylist())
    return Page(HISTORY_COLUMNS, _history_rows(rows, _uploaders(uploads_dir)), total, page, page_size)


def import_history_rows(svc, scope, *, uploads_dir: Path | None = None):
    """Every history row ``import_history`` would page through, in batches: (columns, batches)."""
    import ibis

    t = _history_expr(svc, scope, uploads_dir)
    names = [c.name for c in HISTORY_COLUMNS if c.name != "uploaded_by"]
    data = (t.select(names).order_by([ibis.desc("imported_at"), ibis.desc("run_id"), "source_file", "sheet"])
            .to_pyarrow())
    who = _uploaders(uploads_dir)

    def gen():
        for b in data.to_batches(max_chunksize=10_000):
            yield _history_rows(b.to_pylist(), who)

    return HISTORY_COLUMNS, gen()


@dataclass(frozen=True)
class ImportDetail:
    """One import (batch): its files and sheets with their counts, the quarantined entries by
    reason, and the upload that started it (None for a command-line import)."""

    batch: str
    rows: list[dict]
    totals: dict
    by_reason: list[dict]
    upload: dict | None
    result: dict | None
    imported_at: str | None


def _find_upload(uploads_dir, batch: str) -> Upload | None:
    return next((u for u in list_uploads(uploads_dir) if u.batch == batch), None)


def import_detail(svc, scope, batch: str, *, uploads_dir: Path | None = None) -> ImportDetail:
    """The import ``batch`` as ``scope`` sees it (``NotFound`` otherwise, as for an unknown batch)."""
    from zhizao.data.ingest import REASONS

    up = _find_upload(uploads_dir, batch)
    t = svc.wh.table("import_log")
    rows = t.filter(t.run_id == batch).order_by(["source_file", "sheet"]).to_pyarrow().to_pylist()
    seen = scope.all_regions or (up is not None and visible(up, scope))
    if not seen or (not rows and up is None):
        raise NotFound(f"没有导入批次 {batch}", f"no import batch {batch}", where="batch")
    rows = [{k: _text_time(v) for k, v in r.items()} for r in rows]
    keys = ("rows_read", "rows_inserted", "rows_updated", "rows_unchanged", "rows_quarantined")
    totals = {k: sum(int(r[k] or 0) for r in rows) for k in keys}
    by_reason = []
    files = sorted({r["source_file"] for r in rows})
    if files:
        q = svc.wh.table("quarantine")
        q = q.filter(q.source_file.isin(files))
        g = (q.group_by("reason_code").aggregate(entries=q.count(), rows=q.row_number.nunique())
             .order_by("reason_code").to_pyarrow().to_pylist())
        by_reason = [{**r, "zh": REASONS[r["reason_code"]].zh if r["reason_code"] in REASONS else "",
                      "en": REASONS[r["reason_code"]].en if r["reason_code"] in REASONS else ""} for r in g]
    elif up is not None and up.result:
        by_reason = [dict(r) for r in up.result.get("by_reason", [])]
    return ImportDetail(batch, rows, totals, by_reason, up.to_dict() if up else None, up.result if up else None,
                        rows[0]["imported_at"] if rows else None)


def _quarantine_expr(svc, scope, uploads_dir, file: str | None, batch: str | None):
    import ibis

    from zhizao.data import queries

    q = queries.quarantine_entries(svc.wh.table("quarantine"), file=file or None)
    ups = _visible_uploads(uploads_dir, scope)
    if ups is not None:
        files = sorted({u.source_id for u in ups})
        q = q.filter(q.source_file.isin(files) if files else ibis.literal(False))
    if batch:
        log = svc.wh.table("import_log")
        files = sorted(set(log.filter(log.run_id == batch).select("source_file").to_pyarrow()
                           .column("source_file").to_pylist()))
        q = q.filter(q.source_file.isin(files) if files else ibis.literal(False))
    return q


def _quarantine_dicts(rows: list[dict]) -> list[dict]:
    return [{c.name: _text_time(r.get(c.name)) for c in QUARANTINE_COLUMNS} for r in rows]


def quarantine_page(svc, scope, *, uploads_dir: Path | None = None, file: str | None = None,
                    batch: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """Quarantined entries (隔离区) ``scope`` sees, of one file (name, with or without ``#hash``)
    and/or one batch, by file, sheet, row and column."""
    check_paging(page, page_size)
    q = _quarantine_expr(svc, scope, uploads_dir, file, batch)
    total = int(q.count().to_pyarrow().as_py())
    rows = (q.order_by(["source_file", "sheet", "row_number", "column", "reason_code"])
            .limit(page_size, offset=(page - 1) * page_size).to_pyarrow().to_pylist())
    return Page(QUARANTINE_COLUMNS, _quarantine_dicts(rows), total, page, page_size)


def quarantine_rows(svc, scope, *, uploads_dir: Path | None = None, file: str | None = None,
                    batch: str | None = None):
    """Every entry ``quarantine_page`` would page through, in batches: (columns, batches)."""
    q = _quarantine_expr(svc, scope, uploads_dir, file, batch)
    data = q.order_by(["source_file", "sheet", "row_number", "column", "reason_code"]).to_pyarrow()

    def gen():
        for b in data.to_batches(max_chunksize=10_000):
            yield _quarantine_dicts(b.to_pylist())

    return QUARANTINE_COLUMNS, gen()


# --- one upload -----------------------------------------------------------------------------------
def upload_record(uploads_dir: Path, scope, upload_id: str) -> Upload:
    """The upload ``upload_id`` if ``scope`` sees it (``NotFound`` otherwise, as for an unknown id)."""
    up = load_upload(uploads_dir, upload_id)
    if not visible(up, scope):
        raise NotFound(f"没有上传记录 {upload_id}", f"no upload {upload_id}", where="upload")
    return up


def _upload_quarantine(up: Upload):
    import pyarrow.parquet as pq

    f = Path(up.dir) / "quarantine.parquet"
    return pq.read_table(f) if f.is_file() else None


def upload_quarantine_page(uploads_dir: Path, scope, upload_id: str, *, page: int = 1, page_size: int = 50) -> Page:
    """The entries this upload's import quarantined — kept with the upload, so also those of a
    strict import that wrote nothing to the warehouse."""
    check_paging(page, page_size)
    t = _upload_quarantine(upload_record(uploads_dir, scope, upload_id))
    if t is None:
        return Page(QUARANTINE_COLUMNS, [], 0, page, page_size)
    rows = t.slice((page - 1) * page_size, page_size).to_pylist()
    return Page(QUARANTINE_COLUMNS, _quarantine_dicts(rows), t.num_rows, page, page_size)


def upload_quarantine_rows(uploads_dir: Path, scope, upload_id: str):
    """Every entry of ``upload_quarantine_page``, in batches: (columns, batches)."""
    t = _upload_quarantine(upload_record(uploads_dir, scope, upload_id))

    def gen():
        if t is not None:
            for b in t.to_batches(max_chunksize=10_000):
                yield _quarantine_dicts(b.to_pylist())

    return QUARANTINE_COLUMNS, gen()
