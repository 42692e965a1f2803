"""Formula-safe cells: text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is
written with a leading apostrophe by every XLSX / CSV writer of the platform — the report
workbooks, the import's error report and the web downloads — and read back as text, never as a
formula; numbers stay numbers."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from zhizao.report.safe_cells import FORMULA_START, neutralise, neutralise_row, neutralise_workbook

HYPERLINK = '=HYPERLINK("http://x","y")'
SUM = "@SUM(A1)"
HOSTILE = (HYPERLINK, SUM)


def cells(path_or_bytes):
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    wb = load_workbook(src)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def assert_safe(path_or_bytes, expected=HOSTILE):
    got = cells(path_or_bytes)
    assert not [c.coordinate for c in got if c.data_type == "f"], "a cell was read back as a formula"
    texts = [c.value for c in got if isinstance(c.value, str)]
    for text in expected:
        assert "'" + text in texts, f"{text!r} not written as the text '{text}"
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]


def test_neutralise_values_and_rows():
    assert neutralise(HYPERLINK) == "'" + HYPERLINK and neutralise(SUM) == "'@SUM(A1)"
    assert neutralise("+1") == "'+1" and neutralise("-1") == "'-1" and neutralise("\tx") == "'\tx"
    assert neutralise(-1) == -1 and neutralise(1.5) == 1.5 and neutralise(None) is None and neutralise("a=b") == "a=b"
    assert neutralise_row([HYPERLINK, 3]) == ["'" + HYPERLINK, 3]


def test_the_core_error_report_applies_the_same_rule():
    from zhizao.data.ingest import report

    assert report._FORMULA_START == FORMULA_START
    for v in (HYPERLINK, SUM, "+86", "-5", -5, 2.5, None, "浙江", "\rx", "a-b", True):
        assert report._safe(v) == neutralise(v)


def test_neutralise_workbook_turns_formula_cells_into_text(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([HYPERLINK, SUM, -3, "ok"])
    assert wb.active["A1"].data_type == "f"
    assert neutralise_workbook(wb) == 2
    wb.save(tmp_path / "x.xlsx")
    assert_safe(tmp_path / "x.xlsx")
    assert load_workbook(tmp_path / "x.xlsx").active["C1"].value == -3


def test_tables_xlsx(tmp_path):
    from zhizao.report.tables_xlsx import write_tables_xlsx

    t = pa.table({"name": list(HOSTILE), "amount": [-5.0, 3.0]})
    path = write_tables_xlsx(tmp_path / "t.xlsx", {"表": t}, synthetic=True)
    assert_safe(path)
    assert [c.value for c in cells(path) if isinstance(c.value, int | float)] == [-5, 3]


def test_land_xlsx(tmp_path, c_arrow):
    from zhizao.land.method import load_method
    from zhizao.report.land_xlsx import write_land_xlsx

    rows = [{"uscc": "A1", "name": HYPERLINK, "rank": 1, "rank_of": 2, "land_class": "A", "total_score": 110.0},
            {"uscc": "A2", "name": SUM, "rank": 2, "rank_of": 2, "land_class": "B", "total_score": 90.0}]
    path = write_land_xlsx(c_arrow(rows), tmp_path / "land.xlsx", method=load_method("zhejiang-county-default"),
                           synthetic=True)
    assert_safe(path)


def test_policy_push_xlsx(tmp_path):
    import pyarrow.compute as pc

    from tests.policy.fixtures_p3 import YEAR, p3_library, p3_tables
    from zhizao.policy import evaluate
    from zhizao.report.policy_xlsx import write_push_xlsx

    lib = p3_library()
    ev = evaluate(p3_tables(), lib["p3_grant"], year=YEAR, library=lib).to_pyarrow()
    eligible = pc.and_(pc.equal(ev.column("verdict"), "eligible"), pc.equal(ev.column("year"), YEAR))
    n = pc.sum(eligible.cast(pa.int64())).as_py()
    assert n >= 2
    names = [HOSTILE[i % 2] for i in range(ev.num_rows)]
    ev = ev.set_column(ev.schema.get_field_index("name"), "name", pa.array(names, pa.string())) \
        if "name" in ev.column_names else ev.append_column("name", pa.array(names, pa.string()))
    path = write_push_xlsx(ev, tmp_path / "push.xlsx", policy=lib["p3_grant"], year=YEAR, synthetic=True)
    assert_safe(path)


def test_clusters_xlsx(tmp_path):
    from zhizao.report.clusters_xlsx import write_diagnosis_xlsx, write_indices_xlsx

    cells_t = pa.table({"year": [2024, 2024], "region_code": ["all", "all"], "industry_code": list(HOSTILE),
                        "value": [-1.5, 2.0]})
    res = SimpleNamespace(meta={"measure": "revenue", "region_level": "county", "industry_level": "class"},
                          cells=cells_t, regions=pa.table({"year": [2024], "region_code": ["all"], "total": [1.0]}),
                          industries=pa.table({"year": [2024], "industry_code": [HYPERLINK], "total": [1.0]}),
                          year=2024, run=None, synthetic=True)
    assert_safe(write_indices_xlsx(res, tmp_path / "i.xlsx"))
    diag = SimpleNamespace(
        cluster_set_zh="测试", cluster_set_id="t", year=2024, run=None, synthetic=False,
        profiles=pa.table({"cluster_id": ["c1"], "name_zh": [HYPERLINK], "leading_firms": [SUM]}),
        tiers=pa.table({"cluster_id": ["c1"], "name_zh": [HYPERLINK], "rule": ["-x"]}),
        diagnosis=pa.table({"cluster_id": ["c1"], "name_zh": [SUM], "weak_dimensions": [""]}),
        weaknesses=pa.table({"cluster_id": ["c1"], "dimension_zh": ["规模"], "metric": ["revenue"], "value": [-2.0]}),
        dimension_names={})
    assert_safe(write_diagnosis_xlsx(diag, tmp_path / "d.xlsx"), expected=(HYPERLINK, SUM, "-x"))


def test_import_error_report(tmp_path):
    import json
    from datetime import datetime

    from zhizao.data.ingest import write_error_report
    from zhizao.data.schema import QUARANTINE, arrow_schema

    row = {"source_file": "=evil.csv#12345678", "sheet": "", "row_number": 2, "column": "name",
           "reason_code": "bad_number", "target_table": "enterprises", "value": HYPERLINK, "reason_zh": "x",
           "reason_en": "x", "row_json": json.dumps({"@名称": SUM, "金额": -5}), "imported_at": datetime(2025, 1, 1)}
    write_error_report(pa.Table.from_pylist([row], schema=arrow_schema(QUARANTINE)), tmp_path / "e.xlsx")
    assert_safe(tmp_path / "e.xlsx", expected=(HYPERLINK, SUM, "=evil.csv#12345678"))
    assert -5 in [c.value for c in cells(tmp_path / "e.xlsx")]


def _drain(response) -> bytes:
    async def go():
        return b"".join([c if isinstance(c, bytes) else c.encode() async for c in response.body_iterator])

    return asyncio.run(go())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_web_downloads(fmt):
    from zhizao.contract import Column
    from zhizao.web.tables import csv_response, xlsx_response

    cols = (Column("name", "string", "名称", "name", "name"), Column("n", "float64", "数", "n", "n"))
    rows = [[{"name": HYPERLINK, "n": -1.0}, {"name": SUM, "n": 2.0}]]
    if fmt == "csv":
        text = _drain(csv_response("x", cols, iter(rows))).decode("utf-8-sig")
        assert "'" + SUM in text and "\n@SUM" not in text and "-1.0" in text
        assert '"\'=HYPERLINK(""http://x"",""y"")"' in text
    else:
        assert_safe(_drain(xlsx_response("x", cols, iter(rows))))
