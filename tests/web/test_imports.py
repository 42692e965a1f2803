"""Uploads and imports through the platform: the import runs in the background, good rows reach
the warehouse, bad ones the quarantine (downloadable, reasons in Chinese and English), strict
uploads write nothing on a problem, hostile uploads (truncated, wrong type, oversized, formula
cells) are refused or made harmless, and an official imports only its own jurisdiction.

Every test that uploads builds its own app over a private copy of the province (``make_app`` +
``province_copy``); the read-only checks use the shared ``clients``.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from tests.web.conftest import csrf_of, login

HEADER = "统一社会信用代码,企业名称,行政区划代码,行业代码"
HYPERLINK = '=HYPERLINK("http://x","y")'


# -- helpers -------------------------------------------------------------------------------------
def usccs(n: int, region: str, seed: int = 7) -> list[str]:
    import numpy as np

    from zhizao.codes.uscc import generate_usccs

    return [str(u) for u in generate_usccs(n, rng=np.random.default_rng(seed), region_codes=[region])]


def enterprises_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER.split(","))
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    for r in rows:
        ws.append(r)
    b = io.BytesIO()
    wb.save(b)
    return b.getvalue()


@pytest.fixture
def app_of(make_app, province_copy):
    """``app_of(**settings)`` → (app, accounts, client factory) over a private copy of the province."""
    from fastapi.testclient import TestClient

    def make(**settings):
        app, acc = make_app(province_copy, **settings)

        def client(username: str):
            c = TestClient(app)
            assert login(c, username).status_code == 303
            return c

        return app, acc, client

    return make


def upload(c, name: str, data: bytes, *, strict: bool = False, table: str | None = None, csrf: bool = True):
    headers = {"X-CSRF-Token": csrf_of(c)} if csrf else {}
    form = {"strict": "true" if strict else "false"}
    if table:
        form["table"] = table
    return c.post("/api/v1/imports", files={"file": (name, data, "application/octet-stream")}, data=form,
                  headers=headers)


def wait(c, job_id: str, timeout: float = 120) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        j = c.get(f"/api/v1/jobs/{job_id}").json()
        if j["state"] in ("done", "failed"):
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def imported(c, name: str, data: bytes, **kw) -> dict:
    r = upload(c, name, data, **kw)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["links"]["job"] == f"/api/v1/jobs/{body['job_id']}" and body["upload"]["sha256"]
    j = wait(c, body["job_id"])
    assert j["state"] == "done", j
    assert j["kind"] == "import"
    return j["result"]


def warehouse_count(app, table: str) -> int:
    return app.state.platform.call(lambda s: int(s.wh.table(table).count().execute()))


def stored_enterprise(app, uscc: str) -> dict | None:
    rows = app.state.platform.call(
        lambda s: s.wh.table("enterprises").filter(lambda t: t.uscc == uscc).to_pyarrow().to_pylist())
    return rows[0] if rows else None


# -- the good path ---------------------------------------------------------------------------------
def test_good_csv_is_imported_in_the_background_and_listed_in_the_history(app_of, web_places):
    app, acc, client = app_of()
    c = client("county")
    u = usccs(3, web_places["county"])
    result = imported(c, "企业名录.csv", enterprises_csv([(x, f"（合成）新企业{i}", web_places["county"], "3311")
                                                         for i, x in enumerate(u)]))
    assert result["ok"] and result["written"] and not result["rejected"] and result["scope_checked"]
    assert result["tables"] == [{"table": "enterprises", "zh": "企业名录", "read": 3, "inserted": 3, "updated": 0,
                                 "unchanged": 0, "quarantined": 0, "imported": 3}]
    for x in u:
        assert stored_enterprise(app, x)["region_code"] == web_places["county"]
    assert c.get("/api/v1/enterprises", params={"q": u[0]}).json()["total"] == 1
    hist = c.get("/api/v1/imports").json()
    assert [r["run_id"] for r in hist["rows"]] == [result["batch"]]
    assert hist["rows"][0]["rows_inserted"] == 3 and hist["rows"][0]["uploaded_by"] == "county"
    assert hist["columns"][0]["zh"] == "批次"
    detail = c.get(f"/api/v1/imports/{result['batch']}").json()
    assert detail["totals"]["rows_inserted"] == 3 and detail["upload"]["owner"] == "county"
    # the history downloads with Chinese headers, and the upload is in the audit log with its hash
    lines = c.get("/api/v1/imports", params={"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("批次,导入时间,来源文件") and result["batch"] in lines[1]
    audit = [e for e in acc.list_audit(action="import") if e.username == "county"]
    assert audit and audit[0].object == "企业名录.csv"
    assert result["upload"]["sha256"] in str(audit[0].detail) and str(result["upload"]["size"]) in str(audit[0].detail)
    # the same file again changes nothing
    again = imported(c, "企业名录.csv", enterprises_csv([(x, f"（合成）新企业{i}", web_places["county"], "3311")
                                                        for i, x in enumerate(u)]))
    assert again["totals"]["unchanged"] == 3 and again["totals"]["inserted"] == 0


def test_other_counties_do_not_see_the_import_but_the_province_does(app_of, web_places):
    app, _acc, client = app_of()
    c = client("county")
    u = usccs(1, web_places["county"], seed=11)
    result = imported(c, "a.csv", enterprises_csv([(u[0], "（合成）甲", web_places["county"], "3311"),
                                                   ("bad", "（合成）乙", web_places["county"], "3311")]))
    for who, sees in (("other_county", False), ("auditor", True), ("province", True), ("admin", True)):
        v = client(who)
        assert (v.get("/api/v1/imports").json()["total"] > 0) is sees, who
        assert (v.get("/api/v1/quarantine").json()["total"] > 0) is sees, who
        r = v.get(f"/api/v1/imports/{result['batch']}")
        assert r.status_code == (200 if sees else 404), who
        assert v.get(result["links"]["upload"]).status_code == (200 if sees else 404), who


def test_xlsx_and_parquet_uploads_import(app_of, web_places, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    app, _acc, client = app_of()
    c = client("admin")
    u = usccs(2, web_places["county"], seed=12)
    res = imported(c, "名录.xlsx", xlsx_bytes([HEADER.split(","), [u[0], "（合成）表格企业", web_places["county"], "3311"]]))
    assert res["totals"]["inserted"] == 1 and not res["scope_checked"]           # an administrator: no scope check
    pq.write_table(pa.table({"uscc": [u[1]], "name": ["（合成）列存企业"], "region_code": [web_places["other_county"]],
                             "industry_code": ["3311"]}), tmp_path / "e.parquet")
    res = imported(c, "e.parquet", (tmp_path / "e.parquet").read_bytes())
    assert res["totals"]["inserted"] == 1
    assert stored_enterprise(app, u[1])["name"] == "（合成）列存企业"


# -- bad rows, quarantine and strict mode ------------------------------------------------------------
def test_bad_rows_are_quarantined_with_reasons_and_downloadable(app_of, web_places):
    app, acc, client = app_of()
    c = client("county")
    u = usccs(2, web_places["county"], seed=13)
    data = enterprises_csv([(u[0], "（合成）好企业", web_places["county"], "3311"),
                            (u[1][:-1] + ("1" if u[1][-1] != "1" else "2"), "（合成）坏代码", web_places["county"], "3311"),
                            (u[1], "（合成）坏行业", web_places["county"], "99ZZ")])
    before = warehouse_count(app, "quarantine")
    res = imported(c, "带错误.csv", data)
    assert res["totals"]["inserted"] == 1 and res["quarantined_rows"] == 2 and res["quarantine_in_warehouse"]
    assert {r["reason_code"] for r in res["by_reason"]} == {"bad_uscc", "unknown_industry"}
    assert {(p["row_number"], p["reason_code"]) for p in res["preview"]} == {(3, "bad_uscc"), (4, "unknown_industry")}
    assert warehouse_count(app, "quarantine") == before + 2
    q = c.get("/api/v1/quarantine", params={"batch": res["batch"]}).json()
    assert q["total"] == 2
    row = next(r for r in q["rows"] if r["reason_code"] == "bad_uscc")
    assert row["reason_zh"].startswith("统一社会信用代码无效") and row["reason_en"].startswith("invalid USCC")
    assert row["row_number"] == 3 and "（合成）坏代码" in row["row_json"]
    assert c.get("/api/v1/quarantine", params={"file": "带错误.csv"}).json()["total"] == 2
    lines = c.get("/api/v1/quarantine", params={"batch": res["batch"], "format": "csv"}).content.decode("utf-8-sig")
    head, *body = list(csv.reader(io.StringIO(lines)))
    assert head[:8] == ["来源文件", "工作表", "行号", "列", "值", "原因代码", "原因", "原因（英文）"]
    assert len(body) == 2 and any(r[6].startswith("统一社会信用代码无效") and r[7].startswith("invalid USCC") for r in body)
    wb = load_workbook(io.BytesIO(c.get(res["links"]["quarantine_xlsx"]).content))
    assert [r[5] for r in wb.active.iter_rows(min_row=2, values_only=True)] == ["bad_uscc", "unknown_industry"]
    assert any(e.action == "export" and e.object == "quarantine" for e in acc.list_audit(action="export"))


def test_strict_upload_with_one_bad_row_imports_nothing(app_of, web_places):
    app, _acc, client = app_of()
    c = client("county")
    u = usccs(3, web_places["county"], seed=14)
    before = {t: warehouse_count(app, t) for t in ("enterprises", "quarantine", "import_log")}
    res = imported(c, "严格.csv", enterprises_csv([(u[0], "（合成）一", web_places["county"], "3311"),
                                                   (u[1], "（合成）二", web_places["county"], "3311"),
                                                   (u[2], "（合成）三", web_places["county"], "abc")]), strict=True)
    assert res["strict"] and res["rejected"] and not res["written"] and not res["quarantine_in_warehouse"]
    assert res["totals"]["imported"] == 0 and res["quarantined_rows"] == 1
    assert {t: warehouse_count(app, t) for t in before} == before
    assert stored_enterprise(app, u[0]) is None
    # the rejected row is still there to fix: with the upload, not in the warehouse
    q = c.get(res["links"]["quarantine_csv"]).content.decode("utf-8-sig")
    assert "unknown_industry" in q and "（合成）三" in q
    assert c.get("/api/v1/quarantine", params={"file": "严格.csv"}).json()["total"] == 0


# -- hostile uploads ----------------------------------------------------------------------------------
def test_truncated_xlsx_is_refused_naming_the_file(app_of, web_places):
    app, _acc, client = app_of()
    c = client("county")
    good = xlsx_bytes([HEADER.split(","), ["x", "y", web_places["county"], "3311"]])
    r = upload(c, "截断.xlsx", good[: len(good) // 2])
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["where"] == "file" and "截断.xlsx" in body["message_zh"] and "截断.xlsx" in body["message_en"]
    assert "truncated" in body["message_en"]
    assert not list((app.state.platform.settings.uploads).glob("*/*.xlsx"))      # nothing kept


@pytest.mark.parametrize("name, data, found", [
    ("企业.csv", None, "ZIP archive"),
    ("企业.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "Windows executable"),
    ("企业.csv", b"a,b\n\x00\x01\x02binary", "NUL"),
    ("企业.xlsx", "统一社会信用代码,企业名称\n".encode(), "not an XLSX workbook"),
    ("企业.parquet", b"PAR1" + b"\x00" * 40, "incomplete"),
    ("企业.exe", b"MZ" + b"\x00" * 40, "unsupported extension"),
    ("企业.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "unsupported extension"),
    ("空.csv", b"", "empty"),
])
def test_wrong_type_is_refused_by_content(app_of, name, data, found):
    if data is None:                                      # a ZIP that is not even a workbook
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            z.writestr("readme.txt", "hello")
        data = b.getvalue()
    _app, _acc, client = app_of()
    r = upload(client("admin"), name, data)
    assert r.status_code == 422, r.text
    assert found in r.json()["message_en"] and name in r.json()["message_en"]


def test_oversized_upload_answers_413(app_of):
    app, _acc, client = app_of(upload_max_bytes=1000)
    c = client("admin")
    r = upload(c, "大.csv", b"a,b\n" + b"1,2\n" * 400)          # 1,604 bytes: over the file limit
    assert r.status_code == 413 and r.json()["error"] == "too_large" and "大.csv" in r.json()["message_zh"]
    r = upload(c, "巨.csv", b"a,b\n" + b"1,2\n" * 100_000)      # past the form margin: refused while reading
    assert r.status_code == 413 and r.json()["where"] == "file"
    assert not any(app.state.platform.settings.uploads.glob("*/*.csv"))
    assert upload(c, "小.csv", b"a,b\n1,2\n").status_code == 202    # under the limit is fine


def test_streamed_body_without_length_is_cut_off_at_the_limit(app_of):
    app, _acc, client = app_of(upload_max_bytes=1000)
    c = client("admin")
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\nContent-Type: text/csv\r\n\r\n'
            + b"1,2\n" * 100_000 + b"\r\n--XyZ--\r\n")
    sent = []

    def chunks():                                          # no Content-Length: chunked transfer
        for i in range(0, len(body), 8192):
            sent.append(i)
            yield body[i:i + 8192]

    r = c.post("/api/v1/imports", content=chunks(), headers={"X-CSRF-Token": csrf_of(c),
                                                              "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert r.request.headers.get("content-length") is None
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert not any(app.state.platform.settings.uploads.glob("*/s.csv"))


def test_formula_cells_are_stored_as_text_and_neutralised_in_every_download(app_of, web_places):
    app, _acc, client = app_of()
    c = client("county")
    u = usccs(3, web_places["county"], seed=15)
    res = imported(c, "公式.csv", enterprises_csv([(u[0], HYPERLINK, web_places["county"], "3311"),
                                                   (u[1], "@SUM(A1)", web_places["county"], "3311"),
                                                   (u[2], "-2+3", web_places["county"], "=1+2")]))
    assert res["totals"]["inserted"] == 2
    assert stored_enterprise(app, u[0])["name"] == HYPERLINK            # stored exactly, as text
    assert stored_enterprise(app, u[1])["name"] == "@SUM(A1)"
    # the enterprises download
    text = c.get("/api/v1/enterprises", params={"q": u[0], "format": "csv"}).content.decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text)) if r and r[0] == u[0])
    assert row[1] == "'" + HYPERLINK
    for q in (u[0], u[1]):
        wb = load_workbook(io.BytesIO(c.get("/api/v1/enterprises", params={"q": q, "format": "xlsx"}).content))
        cell = next(r[1] for r in wb.active.iter_rows() if r[0].value == q)
        assert cell.data_type != "f" and cell.value.startswith("'") and cell.value[1:] in (HYPERLINK, "@SUM(A1)")
    # the quarantine downloads (the warehouse's and the upload's)
    for url, params in (("/api/v1/quarantine", {"batch": res["batch"]}), (res["links"]["upload"] + "/quarantine", {})):
        text = c.get(url, params={**params, "format": "csv"}).content.decode("utf-8-sig")
        assert "'=1+2" in text and "\n=1+2" not in text and ",=1+2" not in text
        wb = load_workbook(io.BytesIO(c.get(url, params={**params, "format": "xlsx"}).content))
        cells = [cell for r in wb.active.iter_rows() for cell in r]
        assert not [x for x in cells if x.data_type == "f"]
        assert any(x.value == "'=1+2" for x in cells)


# -- who may upload -------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["auditor", "enterprise", "provider"])
def test_only_admin_and_official_may_upload(clients, who):
    r = upload(clients[who], "x.csv", b"a,b\n1,2\n")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_upload_without_csrf_is_refused(app_of):
    app, _acc, client = app_of()
    r = upload(client("county"), "x.csv", b"a,b\n1,2\n", csrf=False)
    assert r.status_code == 403 and r.json()["where"] == "csrf_token"
    assert not any(app.state.platform.settings.uploads.glob("*/x.csv"))


def test_api_token_uploads_without_csrf(app_of, web_places):
    from fastapi.testclient import TestClient

    app, _acc, client = app_of()
    c = client("county")
    tok = c.post("/api/v1/me/tokens", json={"name": "etl"}, headers={"X-CSRF-Token": csrf_of(c)}).json()["token"]
    bot = TestClient(app, headers={"Authorization": f"Bearer {tok}"})
    u = usccs(1, web_places["county"], seed=16)
    r = bot.post("/api/v1/imports", files={"file": ("t.csv", enterprises_csv([(u[0], "（合成）令牌", web_places["county"],
                                                                               "3311")]))})
    assert r.status_code == 202, r.text
    assert wait(bot, r.json()["job_id"])["result"]["totals"]["inserted"] == 1


def test_county_official_imports_only_its_own_county(app_of, web_places):
    app, _acc, client = app_of()
    c = client("county")
    mine, theirs = usccs(1, web_places["county"], seed=17)[0], usccs(1, web_places["other_county"], seed=18)[0]
    outside = web_places["outside"]                                   # stored in the other county
    before = stored_enterprise(app, outside)
    res = imported(c, "越界.csv", enterprises_csv([(mine, "（合成）本县", web_places["county"], "3311"),
                                                   (theirs, "（合成）外县", web_places["other_county"], "3311"),
                                                   (outside, "（合成）迁入", web_places["county"], "3311")]))
    assert res["totals"]["inserted"] == 1 and res["quarantined_rows"] == 2
    assert [r["reason_code"] for r in res["by_reason"]] == ["out_of_scope"]
    reasons = {p["row_number"]: p for p in res["preview"]}
    assert reasons[3]["column"] == "region_code" and reasons[3]["reason_zh"].startswith("超出上传者的辖区")
    assert reasons[4]["column"] == "uscc" and "registered outside" in reasons[4]["reason_en"]
    assert stored_enterprise(app, theirs) is None and stored_enterprise(app, mine) is not None
    assert stored_enterprise(app, outside) == before                   # not moved into the county
    # indicators of an enterprise of the other county are refused too
    ind = f"统一社会信用代码,年度,营业收入（万元）\n{outside},2024,100\n{mine},2024,50\n".encode()
    res = imported(c, "指标.csv", ind)
    assert res["totals"]["inserted"] == 1 and res["by_reason"][0]["reason_code"] == "out_of_scope"
    # strict: one row outside and nothing is written
    other = usccs(2, web_places["county"], seed=19)
    res = imported(c, "严格越界.csv", enterprises_csv([(other[0], "（合成）本县二", web_places["county"], "3311"),
                                                       (other[1], "（合成）外县二", web_places["other_county"], "3311")]),
                   strict=True)
    assert res["rejected"] and stored_enterprise(app, other[0]) is None


# -- pages --------------------------------------------------------------------------------------------
def test_data_page_by_role(app_of):
    _app, _acc, client = app_of()
    page = client("county").get("/data")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text and 'type="file"' in page.text
    assert 'name="strict"' in page.text and "导入记录" in page.text and 'href="/data"' in page.text
    auditor = client("auditor").get("/data?lang=en")
    assert auditor.status_code == 200 and 'type="file"' not in auditor.text and "Import history" in auditor.text
    assert client("enterprise").get("/data").status_code == 403
    assert 'href="/data"' not in client("enterprise").get("/").text


def test_upload_form_redirects_to_the_progress_page_and_shows_the_result(app_of, web_places):
    app, _acc, client = app_of()
    c = client("county")
    u = usccs(1, web_places["county"], seed=20)
    data = enterprises_csv([(u[0], "（合成）表单", web_places["county"], "3311"),
                            ("bad", "（合成）坏", web_places["county"], "3311")])
    r = c.post("/data", files={"file": ("表单.csv", data)}, data={"strict": "", "csrf_token": "wrong"},
               follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/data", files={"file": ("表单.csv", data)}, data={"csrf_token": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/data/jobs/")
    job_id = r.headers["location"].rsplit("/", 1)[1]
    wait(c, job_id)
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text
    assert "表单.csv" in page.text and "bad_uscc" in page.text and "统一社会信用代码无效" in page.text
    assert "/api/v1/uploads/" in page.text and "format=xlsx" in page.text
    assert "<script" not in page.text
    batch = wait(c, job_id)["result"]["batch"]
    assert c.get(f"/data/imports/{batch}").status_code == 200
    q = c.get("/data/quarantine", params={"batch": batch})
    assert q.status_code == 200 and "bad_uscc" in q.text


def test_progress_page_refreshes_until_the_job_is_done(app_of):
    import threading

    app, _acc, client = app_of()
    c = client("county")
    me = app.state.platform.accounts.session_user(c.cookies.get("zhizao_session"))[0]
    gate = threading.Event()
    job = app.state.platform.jobs.submit("import", me.id, lambda progress: gate.wait(30) and {})
    try:
        page = c.get(f"/data/jobs/{job.id}")
        assert page.status_code == 200 and '<meta http-equiv="refresh" content="2">' in page.text
    finally:
        gate.set()
    assert client("other_county").get(f"/data/jobs/{job.id}").status_code == 404     # another user's job
