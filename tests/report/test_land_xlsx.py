from __future__ import annotations

import pytest
from openpyxl import load_workbook

from zhizao.land.method import load_method
from zhizao.report.land_xlsx import SYNTHETIC_LINE, write_land_xlsx

METHOD = load_method("zhejiang-county-default")


def evaluation(c_evaluation_rows):
    above = [{"uscc": f"A{i}", "rank": i + 1, "rank_of": 3, "land_class": c, "total_score": 120.0 - 10 * i,
              "tax_per_mu_value": 250_000.0, "rd_ratio_value": 0.031}
             for i, c in enumerate("ABD")]
    small = [{"uscc": "S0", "segment": "below_scale_small", "rank": 1, "rank_of": 1, "land_class": "C",
              "tax_per_kwh_value": 0.25, "region_code": "330481"}]
    exempt = [{"uscc": "E0", "segment": "exempt", "land_class": None, "rank": None, "total_score": None,
               "exempt_reason": "startup"}]
    return c_evaluation_rows(above + small + exempt)


@pytest.fixture
def book(tmp_path, c_arrow):
    path = write_land_xlsx(evaluation(c_arrow), tmp_path / "land.xlsx", method=METHOD, synthetic=True)
    return load_workbook(path)


def header_row(ws):
    return next(r for r in ws.iter_rows(values_only=True) if r[0] == "排名")


def test_one_sheet_per_segment_present_plus_notes(book):
    assert book.sheetnames == ["规上企业", "规下企业（3亩以下）", "不定等级", "说明"]


def test_every_sheet_says_the_data_are_synthetic(book):
    for ws in book.worksheets:
        assert any(SYNTHETIC_LINE in str(c) for r in ws.iter_rows(max_row=8, values_only=True) for c in r if c)


def test_no_synthetic_line_for_real_data(tmp_path, c_arrow):
    wb = load_workbook(write_land_xlsx(evaluation(c_arrow), tmp_path / "x.xlsx", method=METHOD, synthetic=False))
    assert not any(SYNTHETIC_LINE in str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)
                   for c in r if c)


def test_header_block_names_the_method_its_source_and_the_year(book):
    top = [r[0] for r in book["规上企业"].iter_rows(max_row=5, values_only=True)]
    assert any(METHOD.name_zh in t for t in top)
    assert any(t.startswith("依据 source:") for t in top)
    assert "年度 year: 2024" in top


def test_above_scale_columns_are_the_published_layout_with_units(book):
    h = header_row(book["规上企业"])
    assert h[:5] == ("排名", "企业名称", "统一社会信用代码", "所在区县", "行业")
    assert "亩均税收（万元/亩）" in h and h[-2:] == ("综合得分", "等级")
    assert len(h) == 5 + len(METHOD.segments["above_scale"].items) + 2


def test_money_indicators_are_shown_in_wan_yuan_and_class_with_its_name(book):
    ws = book["规上企业"]
    h = header_row(ws)
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] == 1]
    assert rows[0][h.index("亩均税收（万元/亩）")] == pytest.approx(25.0)
    assert rows[0][h.index("等级")] == "A 优先发展"


def test_rows_are_in_rank_order_and_the_total_row_counts_them(book):
    ws = book["规上企业"]
    body = list(ws.iter_rows(values_only=True))
    start = body.index(header_row(ws))
    assert [r[0] for r in body[start + 1:start + 4]] == [1, 2, 3]
    total = body[start + 4]
    assert total[0] == "合计" and total[1].startswith("3 ")
    assert "D 1" in total[-1]


def test_exempt_sheet_gives_the_reason(book):
    ws = book["不定等级"]
    assert header_row(ws)[-1] == "不参评原因 reason"
    assert any("startup" in str(r[-1]) for r in ws.iter_rows(values_only=True))


def test_notes_sheet_lists_every_weight_of_the_method(book):
    ws = book["说明"]
    weights = [r[2] for r in ws.iter_rows(values_only=True)
               if r[0] == "规上企业" and isinstance(r[2], (int, float))]
    assert sum(weights) == pytest.approx(sum(i.weight for i in METHOD.segments["above_scale"].items))


def test_by_county_gives_one_sheet_per_county_and_segment(tmp_path, c_arrow):
    wb = load_workbook(write_land_xlsx(evaluation(c_arrow), tmp_path / "c.xlsx", method=METHOD, synthetic=True,
                                       by_county=True))
    assert "330624-规上企业" in wb.sheetnames and "330481-规下企业（3亩以下）" in wb.sheetnames
