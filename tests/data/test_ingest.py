"""Import of messy real-format files (zhizao.data.ingest): one behaviour per test.

Every test writes to a fresh DuckDB warehouse (``ingest_wh``). Input files are written by the
tests themselves, byte for byte, so the exact expected quarantine is visible next to the data.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhizao.data.ingest import ImportFailed, import_files, write_error_report
from zhizao.data.ingest.parse import clean_text, parse_bools, parse_dates, parse_numbers
from zhizao.data.schema import TABLES

# -- helpers -----------------------------------------------------------------------------------


def bad_checksum(uscc: str) -> str:
    return uscc[:-1] + ("1" if uscc[-1] != "1" else "2")


def problems(report, sheet: str | None = None) -> set[tuple[int, str, str]]:
    q = report.quarantine
    rows = q.to_pylist()
    return {(r["row_number"], r["column"], r["reason_code"]) for r in rows if sheet is None or r["sheet"] == sheet}


def stored(wh, table: str, key: str = "uscc") -> dict:
    t = wh.to_arrow(table).to_pylist()
    return {r[key] if isinstance(key, str) else tuple(r[k] for k in key): r for r in t}


def write_enterprises_csv(path: Path, usccs: list[str]) -> Path:
    lines = ["统一社会信用代码,企业名称,行政区划代码,行业代码"]
    lines += [f"{u},（合成）企业{i},330481,3311" for i, u in enumerate(usccs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def messy_gbk_indicators(path: Path, u: list[str]) -> Path:
    """Statistics-bureau style: title line, Chinese headers in 万元, GBK, every kind of problem."""
    rows = [
        "2024年规上工业企业主要指标（合成数据）",                   # line 1: title
        "统一社会信用代码,年度,营业收入（万元）,利润总额（万元）,年平均职工人数,备注",  # line 2: header
        f'{u[0]},2023,"1,234.5",100,50,',                            # 3 ok
        f"{u[1]},2023,abc,10,20,",                                   # 4 text in a number column
        f"{u[2]},2023,-5,1,1,",                                      # 5 negative revenue
        f'{u[0]},2023,"1,234.5",100,50,',                            # 6 exact copy of line 3
        f"{u[1]},2023,99,10,20,",                                    # 7 same key as line 4, other values
        f"{bad_checksum(u[3])},2023,1,1,1,",                         # 8 bad USCC check character
        f"{u[9]},2023,1,1,1,",                                       # 9 enterprise not in the register
        f"{u[3]},2022,１２３,—,1,补报",                               # 10 ok: full-width digits, — is empty
    ]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    return path


MESSY_GBK_PROBLEMS = {
    (4, "revenue", "bad_number"),
    (5, "revenue", "out_of_range"),
    (6, "uscc+year", "duplicate_in_file"),
    (7, "uscc+year", "duplicate_in_file"),
    (8, "uscc", "bad_uscc"),
    (9, "uscc", "unknown_enterprise"),
}


def import_messy(wh, tmp_path: Path, u: list[str], now, **kw):
    ent = write_enterprises_csv(tmp_path / "企业.csv", u[:4])
    ind = messy_gbk_indicators(tmp_path / "指标.csv", u)
    return import_files(wh, [ind, ent], now=now, **kw)


# -- CSV -----------------------------------------------------------------------------------------


def test_gbk_csv_quarantines_exactly_the_bad_rows(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    assert problems(report) == MESSY_GBK_PROBLEMS
    assert report.ok


def test_gbk_csv_values_in_wan_yuan_are_stored_in_yuan(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    ind = stored(ingest_wh, "indicators", ("uscc", "year"))
    u = ingest_usccs
    assert set(ind) == {(u[0], 2023), (u[3], 2022)}
    assert ind[(u[0], 2023)]["revenue"] == 12_345_000.0
    assert ind[(u[0], 2023)]["profit"] == 1_000_000.0
    assert ind[(u[0], 2023)]["employees"] == 50
    assert ind[(u[3], 2022)]["revenue"] == 1_230_000.0  # full-width digits
    assert ind[(u[3], 2022)]["profit"] is None  # "—" is empty


def test_summary_counts_read_imported_and_quarantined_rows(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    sheet = next(s for s in report.sheets if s.table == "indicators")
    assert (sheet.rows_read, sheet.inserted, sheet.updated, sheet.quarantined) == (8, 2, 0, 6)
    assert sheet.by_reason["duplicate_in_file"] == 2
    assert sheet.unknown_headers == ["备注"]
    assert any("备注" in line for line in report.summary_lines())


def test_quarantine_entry_has_value_reason_texts_and_raw_row(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    entry = next(r for r in report.quarantine.to_pylist() if r["row_number"] == 4)
    assert entry["value"] == "abc"
    assert entry["reason_zh"].startswith("不是有效数字") and entry["reason_en"] == "not a valid number"
    assert entry["source_file"].startswith("指标.csv#") and entry["sheet"] == ""
    assert entry["target_table"] == "indicators"
    raw = json.loads(entry["row_json"])
    assert raw["营业收入（万元）"] == "abc" and raw["统一社会信用代码"] == ingest_usccs[1]
    assert ingest_wh.counts()["quarantine"] == len(MESSY_GBK_PROBLEMS)


def test_duplicate_rows_name_the_first_row(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    dup = {r["row_number"]: r for r in report.quarantine.to_pylist() if r["reason_code"] == "duplicate_in_file"}
    assert "第 3 行完全相同" in dup[6]["reason_zh"] and "exact copy of row 3" in dup[6]["reason_en"]
    assert "第 4 行" in dup[7]["reason_zh"] and "different values" in dup[7]["reason_en"]


def test_utf8_bom_csv_with_wrong_codes_quarantines_each_problem(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    rows = [
        "统一社会信用代码,企业名称,行政区划代码,行业代码,成立日期,是否高新技术企业",
        f"{u[0]},甲公司,330481,3311,2020-01-05,是",
        f"{u[1]},乙公司,330499,3311,2020/1/5,否",            # 3: no such county
        f"{u[2]},丙公司,330481,3319,20200105,Y",             # 4: no such industry class
        f"{bad_checksum(u[3])},丁公司,330481,3311,2020年1月5日,N",  # 5: bad USCC
        f"{u[4].lower()},戊公司,330481.0,C3311,45000,1",     # 6: ok after normalising
        f"{u[5]},,330481,3311,2020-02-30,maybe",             # 7: three problems in one row
    ]
    path = tmp_path / "企业名录.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert problems(report) == {
        (3, "region_code", "unknown_region"),
        (4, "industry_code", "unknown_industry"),
        (5, "uscc", "bad_uscc"),
        (7, "name", "missing_required"),
        (7, "registered_on", "bad_date"),
        (7, "is_high_tech", "bad_bool"),
    }
    ent = stored(ingest_wh, "enterprises")
    assert set(ent) == {u[0], u[4]}
    assert (ent[u[4]]["region_code"], ent[u[4]]["industry_code"]) == ("330481", "3311")
    assert ent[u[4]]["registered_on"] == date(2023, 3, 15)  # Excel serial 45000
    assert ent[u[0]]["is_high_tech"] is True


def test_bad_uscc_reason_comes_from_the_checksum_check(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    entry = next(r for r in report.quarantine.to_pylist() if r["reason_code"] == "bad_uscc")
    assert "校验码" in entry["reason_zh"] and "check character" in entry["reason_en"]


@pytest.mark.parametrize("space", ["\u2028", "\x0b", "\u0085", " ", "\u3000"])
def test_uscc_with_inner_unicode_whitespace_is_stored_without_it(ingest_wh, tmp_path, ingest_usccs, ingest_now,
                                                                 space):
    # regression: the vectorised normalisation used a regex \s that misses U+2028 and friends,
    # so a code that passed the check was stored with the invisible character in it
    u = ingest_usccs[0]
    path = write_enterprises_csv(tmp_path / "企业.csv", [u[:9] + space + u[9:].lower()])
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert problems(report) == set()
    assert set(stored(ingest_wh, "enterprises")) == {u}


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_delimiters_are_detected(ingest_wh, tmp_path, ingest_usccs, ingest_now, delimiter):
    path = tmp_path / "企业.txt"
    lines = [delimiter.join(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])]
    lines += [delimiter.join([u, f"企业,{i}", "330481", "3311"]) for i, u in enumerate(ingest_usccs[:3])]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert report.sheets[0].inserted == 3
    assert stored(ingest_wh, "enterprises")[ingest_usccs[1]]["name"] == "企业,1"


def test_gbk_file_with_undecodable_bytes_is_rejected_naming_the_byte_offset(ingest_wh, tmp_path, ingest_usccs):
    head = "统一社会信用代码,企业名称,行政区划代码,行业代码\n".encode("gbk")
    body = f"{ingest_usccs[0]},".encode() + "企业".encode("gbk") + b"\xff\xff,330481,3311\n"
    path = tmp_path / "坏编码.csv"
    path.write_bytes(head + body)
    report = import_files(ingest_wh, [path])
    offset = len(head) + len(f"{ingest_usccs[0]},") + len("企业".encode("gbk"))
    assert not report.ok
    assert "坏编码.csv" in report.errors[0] and f"byte offset {offset}" in report.errors[0]
    assert ingest_wh.counts()["enterprises"] == 0


def test_file_mixing_utf8_and_gbk_is_rejected(ingest_wh, tmp_path, ingest_usccs):
    utf8 = "统一社会信用代码,企业名称,行政区划代码,行业代码\n" + f"{ingest_usccs[0]},浙江合成制造有限公司,330481,3311\n"
    gbk = f"{ingest_usccs[1]},杭州合成机械有限公司,330481,3311\n".encode("gbk")
    path = tmp_path / "混合.csv"
    path.write_bytes(utf8.encode("utf-8") + gbk)
    report = import_files(ingest_wh, [path])
    assert "mix two encodings" in report.errors[0]


def test_csv_record_with_extra_fields_is_quarantined_on_its_own_line(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    path = tmp_path / "企业.csv"
    path.write_text("\n".join([
        "统一社会信用代码,企业名称,行政区划代码,行业代码",
        f"{u[0]},甲,330481,3311",
        f"{u[1]},乙,330481,3311,多出来的",   # 3: extra field
        f"{u[2]},丙",                        # 4: short record: missing columns are empty
        f"{u[3]},丁,330481,3311",
    ]), encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert problems(report) == {(3, "*", "bad_row"), (4, "region_code", "missing_required"),
                                (4, "industry_code", "missing_required")}
    assert set(stored(ingest_wh, "enterprises")) == {u[0], u[3]}


def test_unreadable_csv_record_is_a_file_error_naming_file_record_and_line(ingest_wh, tmp_path, ingest_usccs,
                                                                           ingest_now):
    # regression: on the record-by-record path a field over the csv module's size limit raised a
    # bare csv.Error that stopped the whole import without naming the file or the line
    u = ingest_usccs
    ent = write_enterprises_csv(tmp_path / "企业.csv", u[:2])
    path = tmp_path / "大字段.csv"
    path.write_text("\n".join([
        "统一社会信用代码,企业名称,行政区划代码,行业代码",
        f"{u[2]},甲,330481,3311,多出来的",   # 2: extra field: read record by record
        f"{u[3]},{'乙' * 200_000},330481,3311",  # 3: one field over 131,072 characters
    ]), encoding="utf-8")
    report = import_files(ingest_wh, [path, ent], now=ingest_now)
    (error,) = report.errors
    assert "大字段.csv" in error and "record 3 (line 3)" in error and "第 3 条记录" in error
    assert set(stored(ingest_wh, "enterprises")) == {u[0], u[1]}  # the other file is imported


def test_units_row_under_the_header_is_skipped_and_sets_units(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    write_enterprises_csv(tmp_path / "e.csv", ingest_usccs[:1])
    path = tmp_path / "指标.csv"
    path.write_text("统一社会信用代码,年度,营业收入,综合能耗\n计量单位,,亿元,万吨标准煤\n"
                    f"{ingest_usccs[0]},2023,1.5,2\n{ingest_usccs[0]},20x3,1,1\n", encoding="utf-8")
    report = import_files(ingest_wh, [tmp_path / "e.csv", path], now=ingest_now)
    row = stored(ingest_wh, "indicators", ("uscc", "year"))[(ingest_usccs[0], 2023)]
    assert (row["revenue"], row["energy_tce"]) == (150_000_000.0, 20_000.0)
    assert problems(report) == {(4, "year", "bad_number")}  # line 4: rows counted with the units row


def test_missing_required_column_is_an_error_naming_file_and_column(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    bad = tmp_path / "缺列.csv"
    bad.write_text(f"统一社会信用代码,企业名称,行业代码\n{ingest_usccs[0]},甲,3311\n", encoding="utf-8")
    good = write_enterprises_csv(tmp_path / "好.csv", ingest_usccs[1:3])
    report = import_files(ingest_wh, [bad, good], now=ingest_now)
    assert len(report.errors) == 1
    message = report.errors[0]
    assert "缺列.csv" in message and "行政区划代码" in message and "region_code" in message
    assert ingest_wh.counts()["enterprises"] == 2  # the other file still imports
    assert report.failed


def test_partial_file_updates_only_its_columns(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs[0]
    write_enterprises_csv(tmp_path / "e.csv", [u])
    stats = tmp_path / "统计.csv"
    stats.write_text(f"统一社会信用代码,年度,营业收入（万元）,实缴税金（万元）\n{u},2023,500,10\n", encoding="utf-8")
    tax = tmp_path / "税务.csv"
    tax.write_text(f"统一社会信用代码,年度,实缴税金（万元）\n{u},2023,12\n", encoding="utf-8")
    import_files(ingest_wh, [tmp_path / "e.csv", stats], now=ingest_now)
    report = import_files(ingest_wh, [tax], now=ingest_now)
    row = stored(ingest_wh, "indicators", ("uscc", "year"))[(u, 2023)]
    assert (row["revenue"], row["taxes"]) == (5_000_000.0, 120_000.0)
    assert report.sheets[0].updated == 1


# -- Excel ---------------------------------------------------------------------------------------


def write_messy_workbook(path: Path, u: list[str]) -> Path:
    wb = openpyxl.Workbook()
    ind = wb.active
    ind.title = "年度指标"  # indicators come first: import still loads the enterprises before them
    ind["A1"] = "2024年企业年度指标（合成数据）"
    ind.merge_cells("A1:F1")
    ind["A2"] = "单位：万元"
    ind.append(["统一社会信用代码", "年度", "营业收入", "主营业务收入", "工业总产值", "工业增加值"])  # row 3
    ind.append([u[0], 2023, 100, 90, 80, 70])              # 4 ok
    ind.append([u[1], 2023, 100, 200, 80, 70])             # 5 main revenue > revenue
    ind.append([u[5], 2023, 1, 1, 1, 1])                   # 6 unknown enterprise
    ind.append([u[1], 2030, 1, 1, 1, 1])                   # 7 year in the future
    ind.append([u[0], 2024, "—", None, 1000, 1200.5])      # 8 value added > gross output
    ind.append([])
    ind.append([u[1], 2022.0, "1,000", "900", 800, 100])   # 10 ok (a blank row 9 is skipped)
    ent = wb.create_sheet("企业名录")
    ent["B2"] = "企业名录"
    ent.merge_cells("B2:E2")
    ent.append([None, "统一社会信用代码", "企业名称", "区县代码", "国民经济行业代码"])  # row 3
    ent.append([None, u[0], "（合成）甲", 330481, 3311])     # 4 codes typed as numbers
    ent.append([None, u[1], "（合成）乙", "330481", "3311"])  # 5
    ent.append([None, bad_checksum(u[2]), "（合成）丙", "330481", "3311"])  # 6
    notes = wb.create_sheet("备注")
    notes["A1"] = "本表仅供说明"
    wb.save(path)
    return path


def test_xlsx_with_title_rows_and_two_sheets_quarantines_exactly(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_files(ingest_wh, [write_messy_workbook(tmp_path / "企业数据.xlsx", ingest_usccs)], now=ingest_now)
    assert problems(report, "企业名录") == {(6, "uscc", "bad_uscc")}
    assert problems(report, "年度指标") == {(5, "main_revenue", "implausible"), (6, "uscc", "unknown_enterprise"),
                                            (7, "year", "implausible"), (8, "value_added", "implausible")}


def test_xlsx_sheets_are_imported_with_units_from_the_unit_line(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    report = import_files(ingest_wh, [write_messy_workbook(tmp_path / "企业数据.xlsx", u)], now=ingest_now)
    ent = stored(ingest_wh, "enterprises")
    assert set(ent) == {u[0], u[1]} and ent[u[0]]["region_code"] == "330481"
    ind = stored(ingest_wh, "indicators", ("uscc", "year"))
    assert set(ind) == {(u[0], 2023), (u[1], 2022)}
    assert ind[(u[1], 2022)]["revenue"] == 10_000_000.0
    assert {s.sheet: s.skipped is not None for s in report.sheets}["备注"]


def test_table_option_overrides_the_sheet_name(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["USCC", "name", "region code", "industry code", "status"])
    ws.append([ingest_usccs[0], "Synthetic Co.", "330481", "3311", "在营"])
    wb.save(tmp_path / "x.xlsx")
    report = import_files(ingest_wh, [tmp_path / "x.xlsx"], table="企业名录", now=ingest_now)
    assert report.sheets[0].table == "enterprises"
    assert stored(ingest_wh, "enterprises")[ingest_usccs[0]]["status"] == "operating"


def test_unknown_table_option_fails_before_importing(ingest_wh, tmp_path):
    with pytest.raises(ImportFailed):
        import_files(ingest_wh, [tmp_path / "x.csv"], table="nonsense")


# -- Parquet ---------------------------------------------------------------------------------------


def test_parquet_file_imports_and_numbers_its_records(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    write_enterprises_csv(tmp_path / "e.csv", u[:2])
    pq.write_table(pa.table({
        "uscc": [u[0], u[1], u[0]],
        "year": pa.array([2023, 2023, 2022], pa.int64()),
        "revenue": [1.5e6, -1.0, 2e6],
        "above_scale": [True, False, None],
    }), tmp_path / "指标.parquet")
    report = import_files(ingest_wh, [tmp_path / "e.csv", tmp_path / "指标.parquet"], now=ingest_now)
    assert problems(report) == {(2, "revenue", "out_of_range")}
    ind = stored(ingest_wh, "indicators", ("uscc", "year"))
    assert ind[(u[0], 2023)]["revenue"] == 1.5e6 and ind[(u[0], 2023)]["above_scale"] is True


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_the_value_none_of_a_level_column_is_kept_not_read_as_empty(ingest_wh, tmp_path, ingest_usccs, ingest_now,
                                                                   suffix):
    # `none` (无: no award, no R&D institution, no tier) is an allowed value of these columns; read
    # as an empty cell it would turn "has none" into "unknown" (the demo's policy verdicts did)
    u = ingest_usccs
    cells = ["none", "NONE", "无", "", "-", "provincial"]
    want = ["none", "none", "none", None, None, "provincial"]
    rows = {"统一社会信用代码": u[:6], "企业名称": [f"（合成）企业{i}" for i in range(6)],
            "行政区划代码": ["330481"] * 6, "行业代码": ["3311"] * 6,
            "近三年科技奖励级别": cells, "研发机构级别": cells, "质量奖级别": cells}
    path = tmp_path / f"企业.{suffix}"
    if suffix == "csv":
        lines = [",".join(rows)] + [",".join(str(rows[k][i]) for k in rows) for i in range(6)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        pq.write_table(pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()}), path)
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert problems(report) == set()
    ent = stored(ingest_wh, "enterprises")
    for col in ("st_award_level", "rd_institution_level", "quality_award_level"):
        assert [ent[x][col] for x in u[:6]] == want, col


def test_no_certification_is_a_value_and_an_empty_cell_is_unknown(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    cells = ["none", "无", " None ", "", "ISO9001;ISO14001", "-"]
    want = ["none", "none", "none", None, "ISO9001;ISO14001", None]
    lines = ["统一社会信用代码,企业名称,行政区划代码,行业代码,管理体系认证"]
    lines += [f"{u[i]},（合成）企业{i},330481,3311,{c}" for i, c in enumerate(cells)]
    path = tmp_path / "企业.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert problems(report) == set()
    ent = stored(ingest_wh, "enterprises")
    assert [ent[x]["certifications"] for x in u[:6]] == want


def test_empty_spellings_still_empty_other_text_columns():
    assert clean_text(pa.array(["none", " - ", "x"])).to_pylist() == [None, None, "x"]
    assert clean_text(pa.array(["none", " - ", "x"]), frozenset({"none"})).to_pylist() == ["none", None, "x"]


# -- upsert semantics ------------------------------------------------------------------------------


def test_reimporting_the_same_files_changes_nothing(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    before = ingest_wh.counts()
    again = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    t = again.totals
    assert (t["inserted"], t["updated"], t["unchanged"]) == (0, 0, 6)  # 4 enterprises + 2 indicators
    after = ingest_wh.counts()
    assert after["quarantine"] == before["quarantine"] == len(MESSY_GBK_PROBLEMS)
    assert after["import_log"] == before["import_log"] + 2


def test_changed_value_is_counted_as_an_update(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    path = write_enterprises_csv(tmp_path / "e.csv", ingest_usccs[:3])
    import_files(ingest_wh, [path], now=ingest_now)
    path.write_text(path.read_text(encoding="utf-8").replace("（合成）企业1", "（合成）新名称"), encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert (report.sheets[0].inserted, report.sheets[0].updated, report.sheets[0].unchanged) == (0, 1, 2)
    assert stored(ingest_wh, "enterprises")[ingest_usccs[1]]["name"] == "（合成）新名称"


def test_strict_import_with_problems_leaves_the_store_unchanged(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    import_files(ingest_wh, [write_enterprises_csv(tmp_path / "old.csv", ingest_usccs[6:8])], now=ingest_now)
    before = ingest_wh.counts()
    quarantine_before = ingest_wh.to_arrow("quarantine")
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now, strict=True)
    assert report.rejected and report.failed
    assert report.totals["inserted"] == 0
    assert problems(report) == MESSY_GBK_PROBLEMS  # still reported, for --errors
    assert ingest_wh.counts() == before
    assert ingest_wh.to_arrow("quarantine").equals(quarantine_before)


def test_strict_import_without_problems_is_committed(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_files(ingest_wh, [write_enterprises_csv(tmp_path / "e.csv", ingest_usccs[:3])], strict=True,
                          now=ingest_now)
    assert not report.rejected and ingest_wh.counts()["enterprises"] == 3


def test_import_log_has_a_row_per_file_and_sheet(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    log = ingest_wh.to_arrow("import_log").to_pylist()
    by_table = {r["target_table"]: r for r in log}
    assert len(log) == 2 and {r["run_id"] for r in log} == {report.run_id}
    assert (by_table["indicators"]["rows_read"], by_table["indicators"]["rows_quarantined"]) == (8, 6)


def test_links_where_neither_side_is_known_are_unknown_enterprise(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    write_enterprises_csv(tmp_path / "e.csv", u[:1])
    links = tmp_path / "供应链.csv"
    links.write_text("销方信用代码,购方信用代码,年度,产品行业代码,交易金额（万元）\n"
                     f"{u[0]},{u[5]},2023,3311,10\n{u[5]},{u[6]},2023,3311,10\n", encoding="utf-8")
    report = import_files(ingest_wh, [tmp_path / "e.csv", links], now=ingest_now)
    assert problems(report) == {(3, "supplier_uscc", "unknown_enterprise"), (3, "buyer_uscc", "unknown_enterprise")}
    assert ingest_wh.counts()["links"] == 1


def test_month_that_is_not_yyyy_mm_is_implausible(ingest_wh, tmp_path, ingest_now):
    path = tmp_path / "月报.csv"
    path.write_text("地区代码,行业大类代码,月份,现价工业增加值（亿元）\n330481,33,2024年3月,1.2\n330481,34,2024-13,1\n",
                    encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert problems(report) == {(3, "period", "implausible")}
    row = ingest_wh.to_arrow("monthly_stats").to_pylist()[0]
    assert (row["period"], row["value_added_current"]) == ("2024-03", 120_000_000.0)


# -- error report ----------------------------------------------------------------------------------


def test_error_report_lists_every_quarantined_entry_with_its_raw_row(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    out = tmp_path / "errors.xlsx"
    write_error_report(report.quarantined_rows(ingest_wh), out)
    wb = openpyxl.load_workbook(out)
    rows = list(wb["错误明细"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("文件 file", "工作表 sheet", "行号 row", "列 column")
    assert "原始 raw: 营业收入（万元）" in header
    assert {(r[2], r[3], r[6]) for r in body} == MESSY_GBK_PROBLEMS
    bad_number = next(r for r in body if r[6] == "bad_number")
    assert bad_number[4] == TABLES["indicators"].column("revenue").header_zh and bad_number[5] == "abc"
    assert bad_number[header.index("原始 raw: 营业收入（万元）")] == "abc"
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["duplicate_in_file"] == 2


# -- cell parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("1,234.5", 1234.5), ("１２３", 123.0), ("(1,000)", -1000.0), ("¥1,200", 1200.0), ("1.2e3", 1200.0),
    (" 42 ", 42.0), ("—", None), ("-", None), ("", None),
])
def test_number_spellings_are_read(text, value):
    v, bad, _pct = parse_numbers(clean_text(pa.array([text, "1"])))
    assert v[0].as_py() == value and not bad[0].as_py()


@pytest.mark.parametrize("text", ["3,5", "1,23,456", "12万", "abc", "1.2.3", "inf"])
def test_text_that_is_not_a_number_is_bad(text):
    v, bad, _pct = parse_numbers(clean_text(pa.array([text, "1,000"])))
    assert v[0].as_py() is None and bad.to_pylist() == [True, False]


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_numbers_with_thousands_separators_read_back(x):
    v, bad, _pct = parse_numbers(clean_text(pa.array([f"{x:,.2f}", "x"])))
    assert v[0].as_py() == float(f"{x:.2f}") and not bad[0].as_py()


def test_percent_strings_are_flagged_as_percentages():
    v, bad, pct = parse_numbers(clean_text(pa.array(["3.5%", "7"])))
    assert v.to_pylist() == [3.5, 7.0] and pct.to_pylist() == [True, False]


@pytest.mark.parametrize("text", ["2023-01-05", "2023/1/5", "20230105", "2023年1月5日", "2023.01.05",
                                  "2023-01-05 10:30:00", "44931"])
def test_date_spellings_are_read(text):
    col = TABLES["enterprises"].column("registered_on")
    v, issues = parse_dates(col, clean_text(pa.array([text])))
    assert v[0].as_py() == date(2023, 1, 5) and not issues


@pytest.mark.parametrize(("text", "value"), [("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True),
                                             ("0", False), ("1.0", True), ("√", True), ("×", False)])
def test_yes_no_spellings_are_read(text, value):
    col = TABLES["enterprises"].column("is_sme")
    v, issues = parse_bools(col, clean_text(pa.array([text])))
    assert v[0].as_py() is value and not issues


def test_share_columns_read_percent_strings_as_fractions(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    path = tmp_path / "企业.csv"
    u = ingest_usccs
    path.write_text("统一社会信用代码,企业名称,行政区划代码,行业代码,细分市场占有率\n"
                    f"{u[0]},甲,330481,3311,35%\n{u[1]},乙,330481,3311,0.2\n{u[2]},丙,330481,3311,35\n", encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    shares = pc.round(ingest_wh.to_arrow("enterprises").sort_by("uscc").column("niche_market_share"), 6)
    assert sorted(shares.to_pylist()) == [0.2, 0.35]
    assert problems(report) == {(4, "niche_market_share", "implausible")}  # 35 without % in a 0–1 share


# -- more behaviours ---------------------------------------------------------------------------------


def test_same_key_in_two_sheets_of_one_workbook_is_a_duplicate(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    u = ingest_usccs
    write_enterprises_csv(tmp_path / "e.csv", u[:2])
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "2023年指标"
    second = wb.create_sheet("补充指标")
    for ws in (first, second):
        ws.append(["统一社会信用代码", "年度", "营业收入（万元）"])
    first.append([u[0], 2023, 10])
    second.append([u[1], 2023, 20])
    second.append([u[0], 2023, 11])  # row 3: already in sheet 2023年指标, row 2
    wb.save(tmp_path / "指标.xlsx")
    report = import_files(ingest_wh, [tmp_path / "e.csv", tmp_path / "指标.xlsx"], now=ingest_now)
    assert problems(report) == {(3, "uscc+year", "duplicate_in_file")}
    assert "2023年指标" in report.quarantine.column("reason_zh")[0].as_py()


def test_hidden_sheets_are_skipped_and_reported(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    wb = openpyxl.Workbook()
    wb.active.title = "企业名录"
    wb.active.append(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
    wb.active.append([ingest_usccs[0], "甲", "330481", "3311"])
    hidden = wb.create_sheet("旧名录")
    hidden.append(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
    hidden.append([ingest_usccs[1], "乙", "330481", "3311"])
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "e.xlsx")
    report = import_files(ingest_wh, [tmp_path / "e.xlsx"], now=ingest_now)
    assert {s.sheet: s.skipped for s in report.sheets}["旧名录"] is not None
    assert set(stored(ingest_wh, "enterprises")) == {ingest_usccs[0]}


def test_the_same_file_given_twice_is_imported_once(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    path = write_enterprises_csv(tmp_path / "e.csv", ingest_usccs[:2])
    report = import_files(ingest_wh, [path, path], now=ingest_now)
    assert report.totals["inserted"] == 2 and report.totals["quarantined"] == 0
    assert report.sheets[1].skipped


def test_encoding_can_be_forced(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    path = tmp_path / "e.csv"
    path.write_bytes(f"统一社会信用代码,企业名称,行政区划代码,行业代码\n{ingest_usccs[0]},甲,330481,3311\n".encode("gb18030"))
    report = import_files(ingest_wh, [path], encoding="gb18030", now=ingest_now)
    assert report.ok and stored(ingest_wh, "enterprises")[ingest_usccs[0]]["name"] == "甲"


def test_progress_is_reported_up_to_the_whole_import(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    calls = []
    import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now,
                 progress=lambda stage, done: calls.append((stage, done)))
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("指标.csv" in stage for stage, _ in calls)


def test_unknown_headers_are_kept_in_the_raw_row(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    report = import_messy(ingest_wh, tmp_path, ingest_usccs, ingest_now)
    raw = json.loads(next(r for r in report.quarantine.to_pylist() if r["row_number"] == 4)["row_json"])
    assert "备注" in raw
    assert set(stored(ingest_wh, "indicators", ("uscc", "year"))[(ingest_usccs[0], 2023)]) == set(
        TABLES["indicators"].column_names)


def test_workbook_without_any_recognisable_header_is_an_error(ingest_wh, tmp_path, ingest_now):
    wb = openpyxl.Workbook()
    wb.active.append(["名称", "数量"])
    wb.active.append(["甲", 1])
    wb.save(tmp_path / "杂表.xlsx")
    report = import_files(ingest_wh, [tmp_path / "杂表.xlsx"], now=ingest_now)
    assert report.failed and "杂表.xlsx" in report.errors[0]


def test_header_with_a_unit_of_the_wrong_kind_is_an_error(ingest_wh, tmp_path, ingest_usccs, ingest_now):
    path = tmp_path / "e.csv"
    path.write_text("统一社会信用代码,企业名称（盖章）,行政区划代码,行业代码,注册资本（吨）\n"
                    f"{ingest_usccs[0]},甲,330481,3311,1\n", encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    assert "注册资本（吨）" in report.errors[0] and ingest_wh.counts()["enterprises"] == 0


def test_report_as_data_carries_the_same_totals_as_the_summary(ingest_wh, tmp_path, ingest_usccs):

    path = tmp_path / "ent.csv"
    path.write_text("统一社会信用代码,企业名称,行政区划代码,行业代码\n"
                    f"{ingest_usccs[0]},（合成）甲,330481,1761\n"
                    f"{ingest_usccs[1]},（合成）乙,330481,9999\n", encoding="utf-8")
    report = import_files(ingest_wh, [path])
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["totals"] == report.totals
    assert data["totals"]["inserted"] == 1 and data["totals"]["quarantined"] == 1
    assert data["by_reason"] == {"unknown_industry": 1}
    assert data["sheets"][0]["table"] == "enterprises"


def test_parcel_status_ledger_in_chinese_is_recognised_and_bad_statuses_quarantined(ingest_wh, tmp_path, ingest_now):
    # a county's 低效用地再开发台账: dated status changes, Chinese headers and values
    path = tmp_path / "再开发台账.csv"
    path.write_text("地块编号,变更日期,地块状态,备注\n"
                    "P-1,2024-03-01,认定低效,列入年度计划\n"
                    "P-1,2024-05-20,改造中,\n"
                    "P-1,2024-11-30,已改造,验收\n"
                    "P-2,2024-13-01,已盘活,\n"        # no month 13
                    "P-3,2024-06-01,拆迁,\n",          # not a status
                    encoding="utf-8")
    report = import_files(ingest_wh, [path], now=ingest_now)
    sheet = report.sheets[0]
    assert sheet.table == "parcel_status"
    assert (sheet.rows_read, sheet.inserted, sheet.quarantined) == (5, 3, 2)
    rows = ingest_wh.to_arrow("parcel_status").sort_by("changed_on").to_pylist()
    assert [(r["parcel_id"], r["changed_on"].isoformat(), r["status"]) for r in rows] == [
        ("P-1", "2024-03-01", "flagged"), ("P-1", "2024-05-20", "redeveloping"), ("P-1", "2024-11-30", "redeveloped")]
    q = ingest_wh.to_arrow("quarantine").to_pylist()
    assert {(r["row_number"], r["column"]) for r in q} == {(5, "changed_on"), (6, "status")}
