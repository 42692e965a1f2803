"""The XLSX import template (导入模板) and docs/data-format.md, both generated from ``schema.py``.

``write_template(path)`` writes one sheet per data table (sheet name = the table's Chinese
name), a header row with the canonical units, a notes row under it (required/optional, type,
unit, allowed values, code table) that import skips, and a "说明" sheet first. The filled-in
template imports back cleanly.

``render_data_format_md()`` returns the text of docs/data-format.md; a test keeps the file
equal to it, so the documentation cannot drift from the schema.
"""

from __future__ import annotations

from pathlib import Path

from zhizao.data import schema
from zhizao.data.ingest.reasons import FALSE_TOKENS, NULL_TOKENS, REASONS, TRUE_TOKENS
from zhizao.data.ingest.validate import PLAUSIBILITY
from zhizao.data.schema import DATA_TABLES, IMPORT_LOG, QUARANTINE, Column, Table
from zhizao.data.units import UNIT_KINDS

README_SHEET = "说明"

_TYPE_ZH = {"string": "文本", "int64": "整数", "float64": "数值", "bool": "是/否", "date": "日期",
            "timestamp": "日期时间"}
_TYPE_EN = {"string": "text", "int64": "integer", "float64": "number", "bool": "yes/no", "date": "date",
            "timestamp": "date-time"}
_CODE_ZH = {
    "uscc": "统一社会信用代码，18 位（GB 32100-2015，含校验位）",
    "uscc_list": "多个统一社会信用代码，用分号分隔",
    "industry_class": "国民经济行业小类代码，4 位（GB/T 4754-2017）",
    "industry_division": "国民经济行业大类代码，2 位（GB/T 4754-2017）",
    "region": "行政区划代码，6 位（GB/T 2260，省、市或县级）",
    "region_county": "县级行政区划代码，6 位（GB/T 2260）",
}
_CODE_EN = {
    "uscc": "USCC, 18 characters (GB 32100-2015, check characters verified)",
    "uscc_list": "USCCs separated by semicolons",
    "industry_class": "GB/T 4754-2017 class, 4 digits",
    "industry_division": "GB/T 4754-2017 division, 2 digits",
    "region": "GB/T 2260 region code, 6 digits (province, prefecture or county)",
    "region_county": "GB/T 2260 county-level code, 6 digits",
}


def _num(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}"


def _range(col: Column) -> str:
    lo, hi = col.min, col.max
    if col.unit == "money":  # the ±10¹² money bounds are only sanity bounds
        hi = None if hi is not None and hi >= 1e12 else hi
        lo = None if lo is not None and lo <= -1e12 else lo
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f"≥ {_num(lo)}"
    if lo is None:
        return f"≤ {_num(hi)}"
    return f"{_num(lo)}–{_num(hi)}"


def _allowed_zh(col: Column) -> str:
    labels = schema.VALUE_LABELS
    return "、".join(f"{labels[c][0]}({c})" if c in labels else c for c in col.allowed or ())


def _other_units(col: Column) -> list[str]:
    if not col.unit or col.unit in ("plain", "count"):
        return []
    kind = UNIT_KINDS[col.unit]
    return [u for u, f in kind.factors.items() if f != 1 and not u.isascii()][:4]


def column_note(table: Table, col: Column) -> str:
    """The template's notes cell for ``col`` (starts with 必填/选填 so import skips the row)."""
    parts = ["必填" if col.required else "选填", _TYPE_ZH[col.dtype]]
    if col.name in table.key:
        parts.append("主键之一" if len(table.key) > 1 else "主键")
    if col.code:
        parts.append(_CODE_ZH[col.code])
    if col.name == "period":
        parts.append("格式 YYYY-MM，如 2024-03")
    if col.dtype == "date":
        parts.append("如 2023-01-05")
    if col.dtype == "bool":
        parts.append("填 是 或 否")
    if col.unit and col.unit not in ("plain", "count") and col.canonical_unit_zh:
        other = _other_units(col)
        parts.append(f"单位：{col.canonical_unit_zh}" + (f"（表头可改为{'/'.join(other)}）" if other else ""))
    if col.unit == "share":
        parts.append("0–1 之间的小数，或写作 85%")
    elif rng := _range(col):
        parts.append(f"范围 {rng}")
    if col.allowed:
        parts.append(f"可选：{_allowed_zh(col)}")
    return "；".join(parts)


def _readme_lines() -> list[tuple[str, str]]:
    lines = [
        ("智造 zhizao 数据导入模板", "title"),
        ("Data import template of the zhizao (智造) manufacturing-policy platform", "subtitle"),
        ("", ""),
        ("本模板不含任何数据。您填入的数据属于贵单位自有数据，只保存在您自己的数据仓库中。", "bold"),
        ("The template contains no data. The data you enter is your own and stays in your own warehouse.", "bold"),
        ("", ""),
        ("用法 / How to use", "h"),
        ("1. 每张工作表对应一类数据，工作表名称请勿修改；不需要的工作表可以留空或删除。", ""),
        ("   Each sheet is one kind of data; keep the sheet names. Sheets you do not need may stay empty or be "
         "deleted.", ""),
        ("2. 第 1 行是表头（含计量单位），第 2 行是填写说明（导入时自动跳过），从第 3 行起每行填一条记录。", ""),
        ("   Row 1 is the header (with units), row 2 the notes (skipped on import); enter one record per row "
         "from row 3.", ""),
        ("3. 金额以“元”为单位；如需以“万元”填报，把表头改为例如“营业收入（万元）”，导入时自动换算。", ""),
        ("   Money is in yuan; to enter 万元, change the header, e.g. 营业收入（万元）, and import converts it.", ""),
        ("4. 代码类列（信用代码、行业代码、区划代码）请按文本填写，保留前导 0。", ""),
        ("   Enter codes (USCC, industry, region) as text, keeping leading zeros.", ""),
        ("5. 导入：zhizao import 本文件.xlsx；有问题的行不导入，进入隔离区并可用 --errors 导出错误清单。", ""),
        ("   Import with `zhizao import file.xlsx`; rows with problems are quarantined; --errors writes a list "
         "to fix.", ""),
        ("6. 重复导入同一文件不会产生重复数据：按主键更新。", ""),
        ("   Importing the same file again creates no duplicates: rows are updated by their key.", ""),
        ("", ""),
        ("工作表 / Sheets", "h"),
    ]
    for t in DATA_TABLES:
        req = "、".join(t.column(c).zh for c in t.required)
        lines.append((f"{t.zh}（{t.en}）：{t.description}", ""))
        lines.append((f"    主键 key：{' + '.join(t.column(k).zh for k in t.key)}；必填 required：{req}", ""))
    lines += [("", ""), ("详细的列说明见 docs/data-format.md / Every column is described in docs/data-format.md.", "")]
    return lines


def write_template(path: Path) -> None:
    """Write the import template XLSX to ``path`` (see module docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    styles = {"title": Font(bold=True, size=16), "subtitle": Font(italic=True, size=11, color="555555"),
              "bold": Font(bold=True, color="C00000"), "h": Font(bold=True, size=12)}
    for i, (text, style) in enumerate(_readme_lines(), start=1):
        cell = readme.cell(row=i, column=1, value=text or None)
        if style:
            cell.font = styles[style]
    readme.column_dimensions["A"].width = 120

    thin = Side(style="thin", color="BBBBBB")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    req_fill = PatternFill("solid", fgColor="F4B183")
    opt_fill = PatternFill("solid", fgColor="BDD7EE")
    note_fill = PatternFill("solid", fgColor="F2F2F2")
    for table in DATA_TABLES:
        ws = wb.create_sheet(table.zh)
        for j, col in enumerate(table.columns, start=1):
            h = ws.cell(row=1, column=j, value=col.header_zh)
            h.font = Font(bold=True)
            h.fill = req_fill if col.required else opt_fill
            h.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            h.border = border
            note = ws.cell(row=2, column=j, value=column_note(table, col))
            note.font = Font(italic=True, size=9, color="595959")
            note.fill = note_fill
            note.alignment = Alignment(vertical="top", wrap_text=True)
            note.border = border
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(14, min(36, 2.2 * len(col.header_zh) + 2))
            if col.dtype == "string":
                for r in range(3, 203):  # text format keeps leading zeros of codes
                    ws.cell(row=r, column=j).number_format = "@"
            elif col.dtype == "date":
                for r in range(3, 203):
                    ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
            choices = None
            if col.allowed:
                choices = [schema.VALUE_LABELS.get(c, (c,))[0] for c in col.allowed]
            elif col.dtype == "bool":
                choices = ["是", "否"]
            if choices and len(",".join(choices)) < 250:
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                    showErrorMessage=False)
                dv.add(f"{letter}3:{letter}5000")
                ws.add_data_validation(dv)
        ws.row_dimensions[1].height = 32
        ws.row_dimensions[2].height = 90
        ws.freeze_panes = "B3"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


# --------------------------------------------------------------------------------------------
# docs/data-format.md


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _column_row(table: Table, col: Column) -> str:
    unit = col.canonical_unit_zh if col.unit and col.unit not in ("plain",) else ""
    if col.unit == "count":
        unit = ""
    if col.unit:
        unit = f"{unit} ({col.canonical_unit})" if unit and col.canonical_unit not in (unit, "") else unit
    req = "**key**" if col.name in table.key else ("yes" if col.required else "")
    rules = []
    if rng := _range(col):
        rules.append(rng)
    if col.allowed:
        labels = (f"`{c}` {schema.VALUE_LABELS.get(c, ('',))[0]}".strip() for c in col.allowed)
        rules.append("one of " + ", ".join(labels))
    if col.code:
        rules.append(_CODE_EN[col.code])
    if col.name == "period":
        rules.append("YYYY-MM")
    aliases = ", ".join(f"{a}" for a in (col.en, *col.aliases) if a)
    return (f"| `{col.name}` | {col.header_zh} | {_TYPE_EN[col.dtype]} | {unit} | {req} | "
            f"{_md_escape('; '.join(rules))} | {_md_escape(aliases)} | {_md_escape(col.description)} |")


def _table_section(table: Table, *, data: bool = True) -> list[str]:
    out = [f"### `{table.name}` — {table.zh} ({table.en})", ""]
    if table.description:
        out += [table.description, ""]
    out.append(f"Natural key: {' + '.join(f'`{k}`' for k in table.key)}.")
    if data:
        names = ", ".join([table.zh, table.en, *table.sheet_aliases])
        out.append(f"Sheet names that select this table: {names}.")
    out += ["", "| column | 中文表头 (template header) | type | canonical unit | required | range / values / code table "
                "| other accepted headers | description |",
            "|---|---|---|---|---|---|---|---|"]
    out += [_column_row(table, c) for c in table.columns]
    out.append("")
    return out


def render_data_format_md() -> str:
    """The text of docs/data-format.md, generated from the schema and the import rules."""
    units = []
    for k in UNIT_KINDS.values():
        if k.name == "plain":
            continue
        spell = ", ".join(f"{u} ×{_num(f) if f >= 1 else f'{f:g}'}" for u, f in k.factors.items())
        units.append(f"| {k.name} | {k.canonical_zh} ({k.canonical}) | {spell} |")
    reasons = [f"| `{r.code}` | {r.zh} | {r.en} | {r.explain} |" for r in REASONS.values()]
    plaus = []
    for tname, rules in PLAUSIBILITY.items():
        for col, other, factor, zh, en in rules:
            plaus.append(f"- `{tname}.{col}` > `{other}` × {_num(factor) if factor >= 1 else factor}: {zh} / {en}")
    lines = [
        "# 数据格式 / Data format",
        "",
        "<!-- Generated by zhizao.data.template.render_data_format_md() from src/zhizao/data/schema.py;",
        "     do not edit by hand: tests/data/test_template.py checks that this file matches. -->",
        "",
        "This page describes the files `zhizao import` reads, how it reads them, what it checks, and every",
        "column of every table. `zhizao template 模板.xlsx` writes an XLSX template with the same columns.",
        "All data you import is your own; the warehouse is a DuckDB file on your machine.",
        "",
        "## Files",
        "",
        "- **CSV** (`.csv`, `.txt`, `.tsv`): UTF-8, UTF-8 with BOM (Excel's \"CSV UTF-8\"), GBK/GB18030 "
        "(Excel's \"CSV\" on Chinese Windows) and UTF-16 with BOM (Excel's \"Unicode text\"). The encoding is "
        "detected: a file that decodes strictly as UTF-8 is UTF-8, otherwise it must decode strictly as GB18030 "
        "(a superset of GBK and GB2312). A file that is neither, or that mixes UTF-8 and GBK, is rejected with "
        "the byte offset and line where decoding failed; nothing is decoded by guesswork. "
        "`import_files(..., encoding=...)` forces an encoding.",
        "- The CSV delimiter (comma, tab, semicolon or `|`) is the one under which the header is recognised.",
        "- **Excel** (`.xlsx`, `.xlsm`, `.xls`): every visible sheet is imported; hidden sheets and sheets "
        "without a recognisable header (such as the template's 说明 sheet) are skipped and listed in the summary. "
        "Cells are read with their types: dates, numbers and text; codes stored as numbers lose their `.0`.",
        "- **Parquet** (`.parquet`): column names are the header; row numbers are 1-based record numbers.",
        "- Large CSV files are streamed in batches and parsed column by column (pyarrow); "
        "1,000,000 rows import in seconds (see `benchmarks/import_bench.py`).",
        "",
        "## Headers and units",
        "",
        "- Which table: the sheet name (for example 企业名录, 年度指标, 工业用地, see each table below), else the "
        "table whose required columns the header matches best; `--table` overrides both.",
        "- The header row is the first of the first 20 rows that names at least two columns of the table, "
        "including its whole natural key. Title rows and merged title cells above it are ignored.",
        "- Headers are matched by any of the names listed for a column (Chinese or English), ignoring "
        "spaces, case, full-width/half-width forms, a leading 其中： and `*` markers.",
        "- A unit in brackets or after a slash in the header (`营业收入（万元）`, `用地面积(公顷)`, `能耗/万吨标准煤`) "
        "converts the values to the canonical unit. A line such as `单位：万元` above the header, or a units "
        "row right under it, sets the unit of every column whose header names none. A header without a unit "
        "means the canonical unit: a bare `营业收入` is read in **元**.",
        "- A notes row right under the header (the template's row starting 必填/选填), a units row, or a "
        "column-number row (甲 乙 1 2 3) is skipped.",
        "- Headers that name no column are listed in the summary as unrecognised and are not imported; they "
        "are kept in the raw row of quarantined rows.",
        "- Sheet-level errors (the sheet is not imported; in normal mode the other sheets and files are): "
        "a required column is missing (the message names the file, the sheet and the column's Chinese header), "
        "two headers name the same column, or a header's unit does not fit the column (`营业收入（吨）`).",
        "",
        "| unit kind | canonical unit | accepted header units (× factor to canonical) |",
        "|---|---|---|",
        *units,
        "",
        "## Cell values",
        "",
        f"- Empty: an empty cell or one of {', '.join(f'`{t}`' for t in NULL_TOKENS if t)} (surrounding spaces, "
        "including full-width ones, are ignored) — except where the spelling is a value of the column: `none` "
        "(无) is a level of the award, R&D-institution and tier columns and means \"no certificate\" in "
        "`certifications` (also `无`, `没有`, `未认证`), and there it is kept.",
        "- Numbers: `1234.5`, `1,234.5`, full-width digits (`１２３`), `¥1,200`, `(1,234)` (negative), "
        "`1.2e5`. A percentage `3.5%` is 0.035 in a share column and 3.5 in a percent column; elsewhere it is "
        "`bad_number`. Integer columns accept `12` and `12.0`, not `12.5`. Values are converted to the canonical "
        "unit and rounded to 6 decimals when a conversion applies.",
        "- Dates: `2023-01-05`, `2023/1/5`, `2023.1.5`, `20230105`, `2023年1月5日`, Excel dates and date-times "
        "(the time is dropped) and Excel serial numbers (10000–80000). A date that does not exist "
        "(`2023-02-30`) is `bad_date`.",
        f"- Yes/no: yes = {', '.join(f'`{t}`' for t in TRUE_TOKENS)}; no = {', '.join(f'`{t}`' for t in FALSE_TOKENS)} "
        "(case-insensitive).",
        "- Allowed values: the English code or its Chinese label (for example `national` or 国家级), "
        "case-insensitive; stored as the code.",
        "- Codes are text: leading zeros are kept. USCCs are upper-cased with spaces and full-width forms "
        "removed; industry codes accept a section letter (`C3311`); region codes accept Excel's `330481.0` and "
        "12-digit statistical codes. Years accept `2023年`. Months (`period`) accept `2024-03`, `2024/3`, "
        "`2024年3月`, `202403` and dates.",
        "",
        "## Import rules",
        "",
        "- **Upsert by natural key.** A row whose key is not in the warehouse is inserted; a row whose key "
        "exists updates it (counted as *updated* if any value changed, *unchanged* otherwise). Only the "
        "columns the file has are written: a tax file with `统一社会信用代码, 年度, 实缴税金` updates taxes and "
        "keeps revenue from the statistics file. An empty cell in a column the file has clears the value.",
        "- **Nothing is dropped silently.** A row with any problem is not imported. Every problem is recorded "
        "in `quarantine`: one entry per (row, column, reason), with the file, sheet, row number, the cell's "
        "text, the reason in Chinese and English and the whole raw row as JSON. Empty rows are skipped.",
        "- **Row numbers** are those a user sees in Excel or a text editor: 1-based, counting title, header "
        "and notes rows (Parquet: record numbers).",
        "- **File identity.** `source_file` is the file name plus the first 8 hex digits of the SHA-256 of its "
        "content (`指标.csv#1a2b3c4d`): the same content imported again, from any folder, maps to the same "
        "quarantine entries; an edited file is a new source and its entries are kept apart from the old ones.",
        "- **Re-import is idempotent.** Importing the same file again inserts and updates nothing (all rows "
        "*unchanged*) and adds no quarantine entries (the quarantine key is (source_file, sheet, row_number, "
        "column, reason_code)). Each run adds one `import_log` row per file/sheet.",
        "- **Duplicates in a file.** When a natural key appears more than once in a file (also across its "
        "sheets), the first row is imported (if it has no other problem) and every later copy is quarantined "
        "as `duplicate_in_file`, naming the first row; the detail says whether the copy is exact or differs.",
        "- **Order.** Sheets are imported in table order (enterprises, indicators, parcels, links, monthly "
        "statistics), so an indicator row may refer to an enterprise from another sheet or file of the same "
        "import. A row whose enterprise is neither in the warehouse nor imported is `unknown_enterprise` "
        "(indicators: `uscc`; parcels: `holder_uscc`; links: when neither supplier nor buyer is known).",
        "- **Normal mode** imports sheet by sheet, each in its own transaction: good rows are written, bad rows "
        "quarantined, and a file-level error skips only that file or sheet.",
        "- **`--strict`** imports everything in one transaction and rolls it back if any file has an error or "
        "any row a problem: the warehouse, quarantine included, is left exactly as it was. The problems are "
        "still reported (and written by `--errors`).",
        "- **`--errors report.xlsx`** writes the quarantined rows of the run: file, sheet, row, column, value, "
        "reason zh/en and the raw row's columns, plus a summary by reason.",
        "",
        "## Reason codes",
        "",
        "| code | 原因 | reason | when |",
        "|---|---|---|---|",
        *reasons,
        "",
        "## Plausibility checks",
        "",
        "A row that passes its column rules can still be `implausible`:",
        "",
        *plaus,
        "- `year` after the current year.",
        "- A share (0–1) column holding a value between 1 and 100: probably a percentage written without `%`.",
        "- `monthly_stats.period` that is not a month (`YYYY-MM`).",
        "",
        "## Tables",
        "",
        "Types: text, integer, number (float), yes/no, date. *key* columns are required and form the natural "
        "key. Money is stored in 元, land in 亩, energy in 吨标准煤, electricity in 千瓦时.",
        "",
    ]
    for t in DATA_TABLES:
        lines += _table_section(t)
    lines += ["## Warehouse-only tables", "",
              "Written by import, not imported from files.", ""]
    for t in (QUARANTINE, IMPORT_LOG):
        lines += _table_section(t, data=False)
    return "\n".join(lines).rstrip() + "\n"
