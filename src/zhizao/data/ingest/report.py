"""What an import did (导入报告), and the XLSX error report of rejected rows (``--errors``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from zhizao.data.ingest.reasons import REASONS
from zhizao.data.schema import QUARANTINE, TABLES, arrow_schema


@dataclass
class SheetReport:
    """One file/sheet of an import. ``quarantined`` counts rows; ``by_reason`` counts entries
    (one per row, column and reason)."""

    file: str
    source_file: str  # identity in quarantine / import_log: "name#sha256[:8]"
    sheet: str
    table: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    unknown_headers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the file/sheet could not be imported at all ("中文 / English")
    skipped: str | None = None  # not a data sheet (e.g. the template's 说明 sheet)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def label(self) -> str:
        return f"{self.file}" + (f" [{self.sheet}]" if self.sheet else "")


@dataclass
class ImportReport:
    sheets: list[SheetReport] = field(default_factory=list)
    run_id: str = ""
    strict: bool = False
    rejected: bool = False  # --strict found a problem: nothing was written
    quarantine: pa.Table = field(default_factory=lambda: arrow_schema(QUARANTINE).empty_table())

    @property
    def errors(self) -> list[str]:
        return [f"{s.error}" for s in self.sheets if s.error]

    @property
    def ok(self) -> bool:
        """No file-level error and nothing rejected by ``--strict`` (rows may be quarantined)."""
        return not self.rejected and not self.errors

    @property
    def failed(self) -> bool:
        """True when the CLI should exit non-zero (a file-level error, or ``--strict`` rejected)."""
        return not self.ok

    def quarantined_rows(self, wh=None) -> pa.Table:
        """The quarantine entries this run produced (also when ``--strict`` wrote nothing)."""
        return self.quarantine

    @property
    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "inserted", "updated", "unchanged", "quarantined")
        return {k: sum(getattr(s, k) for s in self.sheets) for k in keys}

    @property
    def by_reason(self) -> dict[str, int]:
        c: Counter[str] = Counter()
        for s in self.sheets:
            c.update(s.by_reason)
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict:
        """The report as plain data (for JSON output), the same figures as ``summary_lines``."""
        sheets = []
        for s in self.sheets:
            sheets.append({k: getattr(s, k) for k in (
                "file", "source_file", "sheet", "table", "rows_read", "inserted", "updated", "unchanged",
                "quarantined", "by_reason", "unknown_headers", "notes", "error", "skipped")})
        return {"run_id": self.run_id, "strict": self.strict, "rejected": self.rejected, "ok": self.ok,
                "totals": self.totals, "by_reason": self.by_reason, "sheets": sheets}

    def summary_lines(self) -> list[str]:
        """Plain-text summary, each line "中文 / English"."""
        lines = []
        for s in self.sheets:
            if s.skipped:
                lines.append(f"{s.label}: 跳过 / skipped — {s.skipped}")
                continue
            if s.error:
                lines.append(f"{s.label}: 错误 / error — {s.error}")
                continue
            if not s.rows_read:
                lines.append(f"{s.label} → {s.table}: 无数据行 / no data rows")
                continue
            lines.append(
                f"{s.label} → {s.table}: 读取 {s.rows_read}，新增 {s.inserted}，更新 {s.updated}，未变 {s.unchanged}，"
                f"隔离 {s.quarantined} / read {s.rows_read}, inserted {s.inserted}, updated {s.updated}, "
                f"unchanged {s.unchanged}, quarantined {s.quarantined}")
            if s.unknown_headers:
                lines.append(f"  未识别的列（未导入） / unrecognised columns (not imported): {', '.join(s.unknown_headers)}")
            for note in s.notes:
                lines.append(f"  {note}")
        t = self.totals
        lines.append(
            f"合计：读取 {t['rows_read']}，新增 {t['inserted']}，更新 {t['updated']}，未变 {t['unchanged']}，隔离 {t['quarantined']} / "
            f"total: read {t['rows_read']}, inserted {t['inserted']}, updated {t['updated']}, "
            f"unchanged {t['unchanged']}, quarantined {t['quarantined']}")
        for code, n in self.by_reason.items():
            r = REASONS[code]
            lines.append(f"  {code}: {n} — {r.zh} / {r.en}")
        if self.rejected:
            lines.append("严格模式：发现问题，未写入任何数据 / strict mode: problems found, nothing was written")
        return lines


def write_error_report(quarantine_rows: pa.Table, path: Path) -> None:
    """Write rejected rows to an XLSX the user can fix from (``zhizao import --errors``).

    Sheet "错误明细" has one line per problem: file, sheet, row, column (name and Chinese
    header), value, reason code, reason zh/en, then the raw row's columns. Sheet "汇总" counts
    problems by reason.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    rows = quarantine_rows.to_pylist()
    rows.sort(key=lambda r: (r["source_file"], r["sheet"], r["row_number"], r["column"], r["reason_code"]))
    raw_cols: list[str] = []
    seen: set[str] = set()
    raws = []
    for r in rows:
        raw = json.loads(r["row_json"]) if r.get("row_json") else {}
        raws.append(raw)
        for k in raw:
            if k not in seen:
                seen.add(k)
                raw_cols.append(k)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误明细")
    fixed = ["文件 file", "工作表 sheet", "行号 row", "列 column", "列名 header", "值 value", "原因代码 reason code",
             "原因 reason", "reason (en)", "目标表 table"]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FDE9D9")
    from openpyxl.cell import WriteOnlyCell

    def head(v: str, raw: bool = False) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=v)
        c.font = bold
        if raw:
            c.fill = fill
        return c

    ws.freeze_panes = "A2"
    ws.append([head(h) for h in fixed] + [head(_safe(f"原始 raw: {c}"), raw=True) for c in raw_cols])
    limit = 1_048_575
    for r, raw in zip(rows[:limit], raws, strict=False):
        table = TABLES.get(r.get("target_table") or "")
        zh = ""
        if table is not None:
            names = [n for n in str(r["column"]).split("+") if n in table.column_names]
            zh = "+".join(table.column(n).header_zh for n in names)
        ws.append([_safe(v) for v in (r["source_file"], r["sheet"], r["row_number"], r["column"], zh, r.get("value"),
                                      r["reason_code"], r["reason_zh"], r["reason_en"], r.get("target_table"))]
                  + [_cell(raw.get(c)) for c in raw_cols])
    summary = wb.create_sheet("汇总")
    summary.append([head("原因代码 reason code"), head("条数 entries"), head("行数 rows"), head("原因 reason"),
                    head("reason (en)")])
    entries: Counter[str] = Counter(r["reason_code"] for r in rows)
    row_sets: dict[str, set] = {}
    for r in rows:
        row_sets.setdefault(r["reason_code"], set()).add((r["source_file"], r["sheet"], r["row_number"]))
    for code, n in sorted(entries.items(), key=lambda kv: -kv[1]):
        summary.append([code, n, len(row_sets[code]), REASONS[code].zh if code in REASONS else "",
                        REASONS[code].en if code in REASONS else ""])
    if len(rows) > limit:
        summary.append([f"只写出前 {limit} 条 / only the first {limit} entries are written"])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _cell(v: object) -> object:
    if v is None or isinstance(v, str | int | float | bool):
        return _safe(v)
    return _safe(json.dumps(v, ensure_ascii=False))


#: Text a spreadsheet would run as a formula is written with a leading apostrophe (OWASP's CSV
#: injection advice) — the rule of ``zhizao.report.safe_cells.neutralise``, which this core module
#: may not import (tests/report/test_safe_cells.py checks that the two agree).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(v: object) -> object:
    """``v`` as a spreadsheet cell that is never a formula; numbers stay numbers.

    >>> _safe("=1+1"), _safe("@SUM(A1)"), _safe(-5), _safe("浙江")
    ("'=1+1", "'@SUM(A1)", -5, '浙江')
    """
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v
