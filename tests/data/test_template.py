"""The XLSX import template and docs/data-format.md (zhizao.data.template)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from zhizao.data import schema
from zhizao.data.ingest import REASONS, import_files
from zhizao.data.template import README_SHEET, render_data_format_md, write_template

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-format.md"


@pytest.fixture(scope="module")
def template_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "模板.xlsx"
    write_template(path)
    return path


def test_template_has_the_readme_first_then_one_sheet_per_data_table(template_path):
    wb = openpyxl.load_workbook(template_path)
    assert wb.sheetnames == [README_SHEET, *(t.zh for t in schema.DATA_TABLES)]


def test_readme_sheet_says_the_data_is_the_users_own(template_path):
    text = "\n".join(str(c.value) for c in openpyxl.load_workbook(template_path)[README_SHEET]["A"] if c.value)
    assert "自有数据" in text and "your own" in text


@pytest.mark.parametrize("table", schema.DATA_TABLES, ids=lambda t: t.name)
def test_header_row_has_every_column_with_its_canonical_unit(template_path, table):
    ws = openpyxl.load_workbook(template_path)[table.zh]
    assert [c.value for c in ws[1]] == [c.header_zh for c in table.columns]


@pytest.mark.parametrize("table", schema.DATA_TABLES, ids=lambda t: t.name)
def test_notes_row_says_required_or_optional_and_is_styled_apart(template_path, table):
    ws = openpyxl.load_workbook(template_path)[table.zh]
    notes = [c.value for c in ws[2]]
    assert [n.split("；")[0] for n in notes] == ["必填" if c.required else "选填" for c in table.columns]
    assert ws.cell(row=2, column=1).font.i and not ws.cell(row=1, column=1).font.i
    assert ws.freeze_panes == "B3"


def test_notes_state_units_allowed_values_and_code_tables(template_path):
    ws = openpyxl.load_workbook(template_path)["企业年度指标"]
    notes = {h.value: n.value for h, n in zip(ws[1], ws[2], strict=True)}
    assert "单位：元" in notes["营业收入（元）"] and "万元" in notes["营业收入（元）"]
    ent = openpyxl.load_workbook(template_path)["企业名录"]
    notes = {h.value: n.value for h, n in zip(ent[1], ent[2], strict=True)}
    assert "GB/T 4754-2017" in notes["行业代码"]
    assert "国家级(national)" in notes["研发机构级别"]


def test_filled_in_template_imports_back_cleanly(ingest_wh, template_path, tmp_path, ingest_usccs, ingest_now):
    wb = openpyxl.load_workbook(template_path)
    u = ingest_usccs

    def fill(table: str, rows: list[dict]) -> None:  # by column name; the header is the template's
        t = schema.TABLES[table]
        ws = wb[t.zh]
        headers = [c.value for c in ws[1]]
        for i, row in enumerate(rows, start=3):
            for name, value in row.items():
                ws.cell(row=i, column=headers.index(t.column(name).header_zh) + 1, value=value)

    fill("enterprises", [{"uscc": u[i], "name": f"（合成）企业{i}", "region_code": "330481", "industry_code": "3311",
                          "rd_institution_level": "省级", "is_sme": "是", "certified_tier": "专精特新"}
                         for i in range(3)])
    fill("indicators", [{"uscc": u[i], "year": 2024, "revenue": 5_000_000 + i, "employees": 30} for i in range(3)])
    fill("parcels", [{"parcel_id": "HN-001", "holder_uscc": u[0], "region_code": "330481", "area_mu": 25.5,
                      "developed_share": "80%", "status": "已投产"}])
    path = tmp_path / "填好的模板.xlsx"
    wb.save(path)
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert report.ok and report.totals["quarantined"] == 0, report.summary_lines()
    counts = ingest_wh.counts()
    assert (counts["enterprises"], counts["indicators"], counts["parcels"]) == (3, 3, 1)
    parcel = ingest_wh.to_arrow("parcels").to_pylist()[0]
    assert (parcel["developed_share"], parcel["status"]) == (0.8, "producing")
    assert ingest_wh.to_arrow("enterprises").column("certified_tier").to_pylist() == ["specialized"] * 3


def test_every_allowed_value_has_a_chinese_label():
    allowed = {v for t in schema.DATA_TABLES for c in t.columns for v in (c.allowed or ())}
    assert allowed <= set(schema.VALUE_LABELS)


def test_docs_data_format_matches_the_schema():
    # regenerate:
    # python -c 'from zhizao.data.template import render_data_format_md as r; print(r(), end="")' \
    #     > docs/data-format.md
    assert DOC.read_text(encoding="utf-8") == render_data_format_md()


def test_docs_describe_every_column_and_reason_code():
    text = render_data_format_md()
    for t in schema.DATA_TABLES:
        for c in t.columns:
            assert f"| `{c.name}` | {c.header_zh} |" in text
    for code in REASONS:
        assert f"| `{code}` |" in text
