"""Tables as the API answers them: a ``Page`` as JSON (rows, the columns' declarations, paging and
the run), and every list as a streamed CSV or XLSX download with Chinese headers (units in the
header), the synthetic-data note where it applies, and formula cells neutralised.

A cell a spreadsheet would run as a formula — text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return — is written with a leading apostrophe (OWASP's CSV-injection advice),
in every CSV and XLSX the platform writes; numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from fastapi.responses import StreamingResponse

from zhizao.contract import Column
from zhizao.report.safe_cells import neutralise

__all__ = ["page_json", "neutralise", "csv_response", "xlsx_response", "header", "run_json"]

_UNIT_ZH = {"yuan": "元", "mu": "亩", "tce": "吨标准煤", "persons": "人", "kWh": "千瓦时", "m3": "立方米",
            "t": "吨", "share": "比例", "points": "分", "count": "个"}


def unit_label(unit: str | None, lang: str = "zh") -> str:
    """``yuan`` → 元 in Chinese; the unit itself in English."""
    return (_UNIT_ZH.get(unit or "", unit or "") if lang == "zh" else (unit or ""))


def header(c: Column, lang: str = "zh") -> str:
    """``营业收入（元）`` / ``revenue (yuan)``."""
    if lang == "zh":
        u = _UNIT_ZH.get(c.unit or "", c.unit or "")
        return f"{c.zh}（{u}）" if u else c.zh
    return f"{c.en} ({c.unit})" if c.unit else c.en


def display(value, column: Column | None = None, lang: str = "zh") -> str:
    """A cell as a page shows it: — for null, 是/否 for booleans, the Chinese label of a coded value
    (``operating`` → 在营), thousands separators for numbers (2 decimals for money and shares).

    >>> display(True), display("operating"), display(1234567.891), display(None), display("operating", lang="en")
    ('是', '在营', '1,234,567.89', '—', 'operating')
    """
    from zhizao.data.schema import VALUE_LABELS

    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return str(value) if column is not None and column.name == "year" else f"{value:,}"
    if lang == "zh" and isinstance(value, str) and value in VALUE_LABELS:
        return VALUE_LABELS[value][0]
    return str(value)


def column_json(c: Column) -> dict:
    return {"name": c.name, "type": c.type, "unit": c.unit, "zh": c.zh, "en": c.en, "meaning": c.meaning}


def run_json(run) -> dict | None:
    if run is None:
        return None
    return {"run_id": run.run_id, "lever": run.lever, "analysis": run.analysis, "method_id": run.method_id,
            "method_version": run.method_version, "created_at": str(run.created_at)}


def _jsonable(v):
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, float) and v != v:
        return None
    return v


def page_json(page, *, synthetic: bool | None = None) -> dict:
    """A ``zhizao.services.paging.Page`` as the API's list answer."""
    return {"columns": [column_json(c) for c in page.columns],
            "rows": [{k: _jsonable(v) for k, v in r.items()} for r in page.rows],
            "total": page.total, "page": page.page, "page_size": page.page_size, "pages": page.pages,
            "run": run_json(page.run), "notes": list(page.notes), "synthetic": synthetic}


def _csv_lines(columns: Sequence[Column], batches: Iterable[list[dict]], lang: str, note: str | None) -> Iterator[bytes]:
    buf = io.StringIO()
    w = csv.writer(buf)
    yield "\ufeff".encode()                               # Excel opens UTF-8 CSV with a BOM correctly
    if note:
        w.writerow([neutralise(note)])
    w.writerow([header(c, lang) for c in columns])
    for batch in batches:
        for r in batch:
            w.writerow([neutralise(_jsonable(r.get(c.name))) if r.get(c.name) is not None else "" for c in columns])
        yield buf.getvalue().encode()
        buf.seek(0)
        buf.truncate()
    rest = buf.getvalue()
    if rest:
        yield rest.encode()


def _filename(stem: str, ext: str) -> dict:
    from urllib.parse import quote

    name = f"{stem}.{ext}"
    return {"Content-Disposition": f"attachment; filename=\"download.{ext}\"; filename*=UTF-8''{quote(name)}"}


def csv_response(stem: str, columns: Sequence[Column], batches: Iterable[list[dict]], *, lang: str = "zh",
                 note: str | None = None) -> StreamingResponse:
    """Every row as a CSV stream (UTF-8 with BOM, Chinese headers)."""
    return StreamingResponse(_csv_lines(columns, batches, lang, note), media_type="text/csv; charset=utf-8",
                             headers=_filename(stem, "csv"))


def xlsx_response(stem: str, columns: Sequence[Column], batches: Iterable[list[dict]], *, lang: str = "zh",
                  note: str | None = None, title: str = "data") -> StreamingResponse:
    """Every row as an XLSX file, written row by row (openpyxl's write-only mode) to a spooled
    temporary file and streamed."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "data")
    if note:
        ws.append([neutralise(note)])
    ws.append([header(c, lang) for c in columns])
    for batch in batches:
        for r in batch:
            ws.append([neutralise(_jsonable(r.get(c.name))) for c in columns])
    tmp = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    wb.save(tmp)
    tmp.seek(0)

    def chunks():
        try:
            while True:
                b = tmp.read(64 * 1024)
                if not b:
                    break
                yield b
        finally:
            tmp.close()

    return StreamingResponse(chunks(), headers=_filename(stem, "xlsx"),
                             media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
