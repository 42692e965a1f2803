"""亩均效益综合评价结果 as an XLSX workbook, in the layout counties publish.

Rendering only: the sheets (which rows, in which order, the firms per class of the 合计 row) are
laid out by ``zhizao.services.land.evaluation_sheets``; this module writes them and converts only
display units (yuan → 万元, ratio → %). Layout:

* one sheet per segment (规上 / 规下 ≥ 3 亩 / 规下 < 3 亩 / 租赁企业 / 不定等级), or per county ×
  segment with ``by_county=True``;
* on every sheet a header block — title, 评价办法 (method name), 依据 (its source), 年度 (year),
  and, for synthetic data, the line ``本表数据为合成数据 / synthetic data``;
* columns 排名, 企业名称, 统一社会信用代码, 所在区县, 行业, the segment's indicators with units
  (亩均税收（万元/亩） …), 综合得分, 等级 (code + name), then a 合计 (total) row;
* a 说明 sheet with the method's weights, benchmarks, caps, classing and class names.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_name
from zhizao.land.method import INDICATOR_DISPLAY
from zhizao.land.results import SEGMENT_LABELS
from zhizao.report.safe_cells import neutralise_workbook
from zhizao.report.xlsx_common import SYNTHETIC_LINE, write_header

__all__ = ["INDICATOR_DISPLAY", "SEGMENT_SHEETS", "SYNTHETIC_LINE", "write_land_xlsx"]


#: Sheet name per segment (Excel: ≤ 31 characters): the segments' published names.
SEGMENT_SHEETS = SEGMENT_LABELS

BENCHMARK_KINDS = {"county_average": "区县平均值", "county_median": "区县中位数", "fixed": "固定值"}
EXEMPT_REASONS = {"utility": "公用事业", "startup": "初创期", "under_construction": "在建项目",
                  "no_land": "无用地", "no_data": "数据缺失"}
FIXED_COLUMNS = ("排名", "企业名称", "统一社会信用代码", "所在区县", "行业")


def _county_name(code: str | None) -> str:
    return region_name(code) if code else ""


def _industry_name(code: str | None) -> str:
    if not code:
        return ""
    name = industry_name(code, "")
    return f"{code} {name}" if name else code


def _segment_items(method, segment: str) -> list[str]:
    seg = method.segments.get(segment) if segment in method.segments else None
    return [i.id for i in seg.items] if seg is not None else []


def _class_label(method, code: str | None) -> str:
    if code is None:
        return ""
    c = method.classes.get(code)
    return f"{code} {c.name_zh}" if c is not None else code


def _header_block(ws, *, title: str, method, year, synthetic: bool) -> int:
    """Write the header block; return the next free row."""
    lines = [title, f"评价办法 method: {method.name_zh} / {method.name_en} ({method.id})",
             f"依据 source: {' '.join(str(method.source).split())}", f"年度 year: {year}"]
    return write_header(ws, lines, synthetic=synthetic)


def _sheet(wb, sheet, *, method, year, synthetic: bool) -> None:
    from openpyxl.styles import Font

    segment, rows = sheet.segment, sheet.rows
    ws = wb.create_sheet(sheet.name[:31])
    label = SEGMENT_SHEETS.get(segment, segment)
    start = _header_block(ws, title=f"{year}年度亩均效益综合评价结果 — {label}", method=method, year=year,
                          synthetic=synthetic)
    items = _segment_items(method, segment)
    if segment == "exempt":
        headers = [*FIXED_COLUMNS, "不参评原因 reason"]
    else:
        headers = [*FIXED_COLUMNS, *(INDICATOR_DISPLAY.get(i, (i, 1.0))[0] for i in items), "综合得分", "等级"]
    for j, h in enumerate(headers, start=1):
        ws.cell(row=start, column=j, value=h).font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    r = start
    for r, row in enumerate(rows, start=start + 1):
        values = [row.get("rank"), row.get("name"), row.get("uscc"), _county_name(row.get("region_code")),
                  _industry_name(row.get("industry_code"))]
        if segment == "exempt":
            reason = row.get("exempt_reason")
            values.append(f"{EXEMPT_REASONS.get(reason, reason)} ({reason})" if reason else "")
        else:
            for i in items:
                v = row.get(f"{i}_value")
                values.append(None if v is None else round(v * INDICATOR_DISPLAY.get(i, (i, 1.0))[1], 4))
            score = row.get("total_score")
            values += [None if score is None else round(score, 2), _class_label(method, row.get("land_class"))]
        for j, v in enumerate(values, start=1):
            ws.cell(row=r, column=j, value=v)
    total = ws.cell(row=r + 1, column=1, value="合计")
    total.font = Font(bold=True)
    ws.cell(row=r + 1, column=2, value=f"{len(rows)} 家 firms")
    if segment != "exempt":
        ws.cell(row=r + 1, column=len(headers),
                value="；".join(f"{k} {sheet.class_counts.get(k, 0)}" for k in method.classes))
    for j, h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=start, column=j).column_letter].width = max(10, min(40, 2 * len(h)))


def _notes_sheet(wb, *, method, year, synthetic: bool) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet("说明")
    r = _header_block(ws, title=f"{year}年度亩均效益综合评价 — 说明 notes", method=method, year=year,
                      synthetic=synthetic)
    head = ("分类 segment", "指标 indicator", "权重 weight", "基准值 benchmark", "基准值（展示单位）",
            "封顶 cap (×weight)", "保底 floor", "方向 direction", "缺失数据 missing", "依据 source")
    for j, h in enumerate(head, start=1):
        ws.cell(row=r, column=j, value=h).font = Font(bold=True)
    for seg_id, seg in method.segments.items():
        for item in seg.items:
            r += 1
            label, factor = INDICATOR_DISPLAY.get(item.id, (item.id, 1.0))
            fixed = getattr(item, "benchmark_value", None)
            values = [SEGMENT_SHEETS.get(seg_id, seg_id), label, item.weight,
                      BENCHMARK_KINDS.get(item.benchmark.kind, item.benchmark.kind),
                      None if fixed is None else round(fixed * factor, 6), item.cap, item.floor, item.direction,
                      item.missing, item.source]
            for j, v in enumerate(values, start=1):
                ws.cell(row=r, column=j, value=v)
    r += 2
    ws.cell(row=r, column=1, value="等级划分 classing").font = Font(bold=True)
    for seg_id, seg in method.segments.items():
        r += 1
        c = seg.classing
        rule = c.shares if c.kind == "quota" else c.bands
        text = "、".join(f"{k} {v:g}" for k, v in (rule or {}).items())
        for j, v in enumerate((SEGMENT_SHEETS.get(seg_id, seg_id),
                               "比例 quota" if c.kind == "quota" else "分数段 bands", text, c.source), start=1):
            ws.cell(row=r, column=j, value=v)
    r += 2
    ws.cell(row=r, column=1, value="等级名称 classes").font = Font(bold=True)
    for code, c in method.classes.items():
        r += 1
        for j, v in enumerate((code, c.name_zh, c.name_en), start=1):
            ws.cell(row=r, column=j, value=v)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 36


def write_land_xlsx(evaluation: pa.Table, path: str | Path, *, method, synthetic: bool,
                    by_county: bool = False) -> Path:
    """Write the evaluation of one year as an XLSX workbook (see the module docstring).

    Parameters
    ----------
    evaluation
        Evaluation rows (pyarrow) of one year; if several years are given, the latest is written.
    path
        The ``.xlsx`` file to write.
    method
        The ``LandMethod`` the evaluation used (names, source, weights, benchmarks, classes).
    synthetic
        Print ``本表数据为合成数据 / synthetic data`` on every sheet.
    by_county
        One sheet per county × segment instead of one per segment.
    """
    from openpyxl import Workbook

    from zhizao.services.land import evaluation_sheets

    year, sheets = evaluation_sheets(evaluation, method, by_county=by_county)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        _sheet(wb, sheet, method=method, year=year, synthetic=synthetic)
    _notes_sheet(wb, method=method, year=year, synthetic=synthetic)
    neutralise_workbook(wb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
