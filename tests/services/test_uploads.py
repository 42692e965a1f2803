"""zhizao.services.uploads: type by content, the kept upload, the import with the uploader's
jurisdiction as a row check, and the lists (history, batch, quarantine) scoped by uploader."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from zhizao.accounts.scope import Scope
from zhizao.errors import InvalidInput, NotFound
from zhizao.services import Service, uploads
from zhizao.services.uploads import UploadTooLarge, check_upload, safe_name, save_upload

HEADER = "统一社会信用代码,企业名称,行政区划代码,行业代码"
COUNTY, OTHER = "330481", "330482"          # 海宁市, 桐乡市
MAX = 1 << 20


@pytest.fixture(scope="module")
def u() -> list[str]:
    from zhizao.codes.uscc import generate_usccs

    here = generate_usccs(6, rng=np.random.default_rng(5), region_codes=[COUNTY])
    there = generate_usccs(2, rng=np.random.default_rng(6), region_codes=[OTHER])
    return [str(x) for x in (*here, *there)]


@pytest.fixture
def svc(tmp_path):
    with Service.open(tmp_path / "w.duckdb") as s:
        yield s


def xlsx(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    b = io.BytesIO()
    wb.save(b)
    return b.getvalue()


def check_file(tmp_path, name: str, data: bytes, max_bytes: int = MAX) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return check_upload(name, data[:8192], len(data), max_bytes=max_bytes, path=p)


def refused(tmp_path, name: str, data: bytes, **kw) -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        check_file(tmp_path, name, data, **kw)
    assert e.value.where == "file" and name in e.value.zh and name in e.value.en
    return e.value


# -- type by content ---------------------------------------------------------------------------------
def test_csv_in_every_accepted_encoding(tmp_path):
    text = f"{HEADER}\n913304810000000000,（合成）甲,330481,3311\n"
    assert check_file(tmp_path, "a.csv", text.encode("utf-8")) == "csv"
    assert check_file(tmp_path, "b.csv", b"\xef\xbb\xbf" + text.encode("utf-8")) == "csv"
    assert check_file(tmp_path, "c.csv", text.encode("gbk")) == "csv"
    assert check_file(tmp_path, "d.tsv", text.replace(",", "\t").encode("gb18030")) == "csv"
    assert check_file(tmp_path, "e.txt", text.encode("utf-16")) == "csv"          # BOM: NULs allowed


def test_text_that_is_not_text(tmp_path):
    assert "NUL" in refused(tmp_path, "a.csv", b"a,b\n1,2\n" + b"\x00" * 3).en
    assert "NUL" in refused(tmp_path, "b.csv", b"a,b\n" + b"x" * 9000 + b"\x00").en    # past the head
    e = refused(tmp_path, "c.csv", "甲乙丙丁戊己庚辛壬癸".encode() * 2 + "企业".encode("gbk"))
    assert "cannot decode" in e.en or "mix" in e.en


@pytest.mark.parametrize("head, what", [(b"PK\x03\x04", "ZIP archive"), (b"MZ\x90\x00", "Windows executable"),
                                        (b"\x7fELF", "ELF executable"), (b"%PDF-1.7", "PDF"),
                                        (b"\x89PNG\r\n", "PNG"), (b"PAR1", "Parquet file")])
def test_binary_named_csv(tmp_path, head, what):
    e = refused(tmp_path, "x.csv", head + b"\x00" * 64)
    assert what in e.en and "extension is .csv" in e.en and e.http_status == 422


def test_xlsx(tmp_path):
    good = xlsx([HEADER.split(","), ["a", "b", COUNTY, "3311"]])
    assert check_file(tmp_path, "a.xlsx", good) == "xlsx"
    assert "truncated" in refused(tmp_path, "b.xlsx", good[:-100]).en
    assert "truncated" in refused(tmp_path, "c.xlsx", good[: len(good) // 3]).en
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("word/document.xml", "<x/>")
    e = refused(tmp_path, "d.xlsx", b.getvalue())
    assert "[Content_Types].xml" in e.en and "xl/workbook.xml" in e.en
    assert "not an XLSX workbook" in refused(tmp_path, "e.xlsx", HEADER.encode()).en
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 99
    assert "save a legacy .xls as .xlsx" in refused(tmp_path, "f.xlsx", ole2).en


def test_zip_bomb_is_refused(tmp_path):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/workbook.xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (3 << 20))
    assert "expands" in refused(tmp_path, "bomb.xlsx", b.getvalue(), max_bytes=20_000).en


def test_parquet(tmp_path):
    pq.write_table(pa.table({"uscc": ["x"]}), tmp_path / "p.parquet")
    data = (tmp_path / "p.parquet").read_bytes()
    assert check_file(tmp_path, "q.parquet", data) == "parquet"
    assert "truncated" in refused(tmp_path, "r.parquet", data[:-10]).en
    assert "not a Parquet file" in refused(tmp_path, "s.pq", b"uscc\nx\n").en


def test_extension_size_and_empty(tmp_path):
    assert "unsupported extension '.exe'" in refused(tmp_path, "a.exe", b"MZ").en
    assert "unsupported extension '(none)'" in refused(tmp_path, "noext", b"a,b").en
    assert "empty" in refused(tmp_path, "e.csv", b"").en
    with pytest.raises(UploadTooLarge) as e:
        check_upload("big.csv", b"a", 2001, max_bytes=2000)
    assert e.value.http_status == 413 and e.value.kind == "too_large" and "big.csv" in e.value.zh


def test_safe_names():
    assert safe_name("../../x/企业名录.csv") == "企业名录.csv"
    assert safe_name("C:\\Users\\me\\Desktop\\指标 2024.xlsx") == "指标_2024.xlsx"
    assert safe_name("x\x00y\r\n.csv") == "xy.csv"
    assert safe_name("@SUM(A1).csv") == "_SUM(A1).csv"
    assert safe_name("a" * 300 + ".csv").endswith(".csv") and len(safe_name("a" * 300 + ".csv")) == 120
    assert safe_name(None) == "upload"


# -- the kept upload ----------------------------------------------------------------------------------
def test_save_upload_keeps_the_file_with_its_hash_and_owner(tmp_path):
    data = f"{HEADER}\n913304810000000000,（合成）甲,330481,3311\n".encode()
    up = save_upload(tmp_path / "up", "/home/someone/企业.csv", io.BytesIO(data), max_bytes=MAX, owner_id=7,
                     owner="county", role="official", scope=Scope.of_regions([COUNTY]), strict=True,
                     table="企业名录")
    assert up.path == tmp_path / "up" / up.id / "企业.csv" and up.path.read_bytes() == data
    assert up.sha256 == hashlib.sha256(data).hexdigest() and up.size == len(data) and up.kind == "csv"
    assert up.jurisdiction == (COUNTY,) and up.strict and up.table == "enterprises"
    assert up.source_id == f"企业.csv#{up.sha256[:8]}"
    meta = json.loads((up.dir / "upload.json").read_text(encoding="utf-8"))
    assert meta["owner"] == "county" and "home" not in json.dumps(meta) and "dir" not in meta
    assert uploads.load_upload(tmp_path / "up", up.id) == up
    assert [x.id for x in uploads.list_uploads(tmp_path / "up")] == [up.id]
    with pytest.raises(NotFound):
        uploads.load_upload(tmp_path / "up", "../../etc")


def test_save_upload_keeps_nothing_of_a_refused_file(tmp_path):
    with pytest.raises(UploadTooLarge):
        save_upload(tmp_path / "up", "a.csv", iter([b"a,b\n"] * 100), max_bytes=50)
    with pytest.raises(InvalidInput):
        save_upload(tmp_path / "up", "b.csv", b"PK\x03\x04" + b"\x00" * 50, max_bytes=MAX)
    with pytest.raises(InvalidInput):
        save_upload(tmp_path / "up", "c.xlsx", b"nope", max_bytes=MAX, table="no such table")
    assert not list((tmp_path / "up").glob("*/*"))


# -- the import with the jurisdiction ------------------------------------------------------------------
def ents(rows) -> bytes:
    return ("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n").encode()


def save(tmp_path, name, data, scope, **kw):
    return save_upload(tmp_path / "up", name, data, max_bytes=MAX, owner="o", role="official", scope=scope, **kw)


def test_rows_outside_the_jurisdiction_are_quarantined(svc, tmp_path, u):
    county = Scope.of_regions([COUNTY])
    up = save(tmp_path, "e.csv", ents([(u[0], "（合成）本县", COUNTY, "3311"), (u[6], "（合成）外县", OTHER, "3311")]), county)
    r = uploads.run_import(svc, up.path, scope=county, quarantine_out=up.dir / "q.parquet")
    assert r.scope_checked and r.ok and r.written and r.totals["inserted"] == 1 and r.quarantined_rows == 1
    assert [(p["row_number"], p["column"], p["reason_code"]) for p in r.preview] == [(3, "region_code", "out_of_scope")]
    assert r.preview[0]["reason_zh"].startswith("超出上传者的辖区") and "330481" in r.preview[0]["reason_en"]
    assert pq.read_table(up.dir / "q.parquet").num_rows == 1 and r.quarantine_in_warehouse
    # the province imports the other county's enterprise; the county may not touch it afterwards
    prov = Scope.of_regions(["330000"])
    up2 = save(tmp_path, "f.csv", ents([(u[6], "（合成）外县", OTHER, "3311"), (u[7], "（合成）外县二", OTHER, "3311")]), prov)
    assert uploads.run_import(svc, up2.path, scope=prov).totals["inserted"] == 2
    up3 = save(tmp_path, "g.csv", ents([(u[6], "（合成）迁入本县", COUNTY, "3311")]), county)
    r = uploads.run_import(svc, up3.path, scope=county)
    assert r.totals["imported"] == 0
    assert [(p["column"], p["reason_code"]) for p in r.preview] == [("uscc", "out_of_scope")]
    ind = f"统一社会信用代码,年度,营业收入（万元）\n{u[6]},2024,100\n{u[0]},2024,100\n".encode()
    r = uploads.run_import(svc, save(tmp_path, "i.csv", ind, county).path, scope=county)
    assert r.totals["inserted"] == 1 and r.preview[0]["row_number"] == 2 and r.preview[0]["column"] == "uscc"
    links = ("供应商信用代码,采购方信用代码,年度,产品行业代码,交易金额（元）\n"
             f"{u[6]},{u[7]},2024,3311,100\n{u[6]},{u[0]},2024,3311,100\n").encode()
    r = uploads.run_import(svc, save(tmp_path, "l.csv", links, county).path, scope=county)
    assert r.totals["inserted"] == 1 and [p["row_number"] for p in r.preview] == [2]
    stored = {r["uscc"]: r for r in svc.wh.to_arrow("enterprises").to_pylist()}
    assert stored[u[6]]["region_code"] == OTHER and stored[u[6]]["name"] == "（合成）外县"     # not moved


def test_an_invalid_region_is_one_problem_not_two(svc, tmp_path, u):
    county = Scope.of_regions([COUNTY])
    r = uploads.run_import(svc, save(tmp_path, "e.csv", ents([(u[1], "（合成）坏区划", "999999", "3311")]), county).path,
                           scope=county)
    assert [p["reason_code"] for p in r.preview] == ["unknown_region"]


def test_strict_with_a_row_outside_writes_nothing(svc, tmp_path, u):
    county = Scope.of_regions([COUNTY])
    up = save(tmp_path, "s.csv", ents([(u[2], "（合成）甲", COUNTY, "3311"), (u[7], "（合成）乙", OTHER, "3311")]), county)
    r = uploads.run_import(svc, up.path, strict=True, scope=county, quarantine_out=up.dir / "q.parquet")
    assert r.rejected and not r.written and not r.quarantine_in_warehouse and r.quarantined_entries == 1
    assert svc.wh.counts()["enterprises"] == 0 and svc.wh.counts()["quarantine"] == 0
    assert svc.wh.counts()["import_log"] == 0
    assert pq.read_table(up.dir / "q.parquet").num_rows == 1          # kept with the upload to fix from


def test_an_official_without_jurisdiction_imports_nothing(svc, tmp_path, u):
    r = uploads.run_import(svc, save(tmp_path, "e.csv", ents([(u[3], "（合成）甲", COUNTY, "3311")]), Scope.none()).path,
                           scope=Scope.none())
    assert r.totals["imported"] == 0 and r.by_reason == {"out_of_scope": 1}


def test_everything_scope_checks_nothing(svc, tmp_path, u):
    r = uploads.run_import(svc, save(tmp_path, "e.csv", ents([(u[3], "（合成）甲", OTHER, "3311")]),
                                     Scope.everything()).path, scope=Scope.everything())
    assert not r.scope_checked and r.totals["inserted"] == 1


# -- lists ------------------------------------------------------------------------------------------------
def test_history_detail_and_quarantine_are_scoped_by_uploader(svc, tmp_path, u):
    county, other = Scope.of_regions([COUNTY]), Scope.of_regions([OTHER])
    up = save(tmp_path, "e.csv", ents([(u[4], "（合成）甲", COUNTY, "3311"), ("bad", "（合成）乙", COUNTY, "3311")]), county)
    r = uploads.run_import(svc, up.path, scope=county, quarantine_out=up.dir / "quarantine.parquet")
    uploads.record_result(up, r)
    # an import from the command line: only the administrator sees it
    cli = tmp_path / "cli.csv"
    cli.write_bytes(ents([(u[5], "（合成）丙", COUNTY, "3311"), ("bad2", "（合成）丁", COUNTY, "3311")]))
    uploads.run_import(svc, cli)
    d = tmp_path / "up"
    assert uploads.import_history(svc, Scope.everything(), uploads_dir=d).total == 2
    mine = uploads.import_history(svc, county, uploads_dir=d)
    assert [x["run_id"] for x in mine.rows] == [r.batch] and mine.rows[0]["uploaded_by"] == "o"
    assert uploads.import_history(svc, Scope.of_regions(["330000"]), uploads_dir=d).total == 1
    assert uploads.import_history(svc, other, uploads_dir=d).total == 0
    cols, batches = uploads.import_history_rows(svc, county, uploads_dir=d)
    assert [x["run_id"] for b in batches for x in b] == [r.batch] and cols[0].zh == "批次"
    detail = uploads.import_detail(svc, county, r.batch, uploads_dir=d)
    assert detail.totals["rows_inserted"] == 1 and detail.by_reason[0]["reason_code"] == "bad_uscc"
    assert detail.upload["owner"] == "o"
    with pytest.raises(NotFound):
        uploads.import_detail(svc, other, r.batch, uploads_dir=d)
    with pytest.raises(NotFound):
        uploads.import_detail(svc, Scope.everything(), "nope", uploads_dir=d)
    q = uploads.quarantine_page(svc, county, uploads_dir=d)
    assert q.total == 1 and q.rows[0]["reason_en"].startswith("invalid USCC") and q.rows[0]["reason_zh"]
    assert uploads.quarantine_page(svc, Scope.everything(), uploads_dir=d).total == 2
    assert uploads.quarantine_page(svc, Scope.everything(), uploads_dir=d, batch=r.batch).total == 1
    assert uploads.quarantine_page(svc, Scope.everything(), uploads_dir=d, file="cli.csv").total == 1
    assert uploads.quarantine_page(svc, other, uploads_dir=d).total == 0
    cols, batches = uploads.quarantine_rows(svc, county, uploads_dir=d)
    assert [x["row_number"] for b in batches for x in b] == [3] and [c.name for c in cols][:3] == [
        "source_file", "sheet", "row_number"]
    assert uploads.upload_quarantine_page(d, county, up.id).total == 1
    with pytest.raises(NotFound):
        uploads.upload_record(d, other, up.id)
    assert uploads.upload_record(d, county, up.id).batch == r.batch
