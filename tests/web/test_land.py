"""The 亩均 area of the platform: evaluation rows scoped in the query, the class distribution under
disclosure control outside the scope, low-efficiency parcels, redevelopment progress, downloads,
roles and pages."""

from __future__ import annotations

import pytest

API = "/api/v1/land"


def test_classes_are_scoped_to_the_county(clients, web_places):
    got = clients["county"].get(f"{API}/classes", params={"page_size": 500})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] > 0 and body["run"]["run_id"] and body["synthetic"] is True
    assert {r["region_code"] for r in body["rows"]} == {web_places["county"]}
    everything = clients["province"].get(f"{API}/classes", params={"page_size": 1}).json()
    assert everything["total"] > body["total"]
    assert everything["run"]["run_id"] == body["run"]["run_id"]           # the stored evaluation run
    assert [c["zh"] for c in body["columns"][:3]] == ["年度", "统一社会信用代码", "企业名称"]


def test_classes_filters(clients, web_places):
    c = clients["province"]
    a = c.get(f"{API}/classes", params={"land_class": "A", "page_size": 500}).json()
    assert a["total"] > 0 and {r["land_class"] for r in a["rows"]} == {"A"}
    none = c.get(f"{API}/classes", params={"land_class": "none", "page_size": 50}).json()
    assert none["total"] > 0 and all(r["land_class"] is None for r in none["rows"])
    mine = c.get(f"{API}/classes", params={"region": web_places["county"], "segment": "above_scale"}).json()
    assert all(r["segment"] == "above_scale" and r["region_code"] == web_places["county"] for r in mine["rows"])
    assert c.get(f"{API}/classes", params={"page": 2, "page_size": 10}).json()["page"] == 2


@pytest.mark.parametrize("params, field", [({"land_class": "Z"}, "land_class"), ({"segment": "big"}, "segment"),
                                           ({"method": "../../etc/passwd"}, "method"), ({"year": 1999}, "year"),
                                           ({"region": "999999"}, "region"), ({"page_size": 501}, "page_size")])
def test_bad_input_answers_422_naming_the_field(clients, params, field):
    r = clients["county"].get(f"{API}/classes", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["where"] == field and r.json()["message_zh"] and r.json()["message_en"]


@pytest.mark.parametrize("who, status", [("enterprise", 403), ("provider", 403), ("anonymous", 401)])
@pytest.mark.parametrize("path", ["classes", "distribution", "lowland", "progress"])
def test_enterprise_and_provider_are_refused(clients, who, status, path):
    r = clients[who].get(f"{API}/{path}")
    assert r.status_code == status
    if status == 403:
        assert r.json()["error"] == "forbidden"


def _cells(d):
    return {(r["code"], c): cell for r in d["rows"] for c, cell in zip([x[0] for x in d["classes"]], r["cells"])}


def test_distribution_suppresses_small_cells_outside_the_scope(clients, web_places):
    whole = clients["admin"].get(f"{API}/distribution").json()
    assert whole["controlled"] is False and not any(c["suppressed"] for c in _cells(whole).values())
    mine = clients["county"].get(f"{API}/distribution").json()
    assert mine["controlled"] is True and mine["k"] == 3 and mine["run"]["run_id"]
    full, seen = _cells(whole), _cells(mine)
    small = [key for key, c in full.items() if key[0] != web_places["county"] and 1 <= c["count"] < mine["k"]]
    assert small, "the province has cells of 1–2 firms outside the county"
    for key in small:
        assert seen[key]["suppressed"] is True and seen[key]["count"] is None and seen[key]["reason"] == "k"
    own = [c for (code, _), c in seen.items() if code == web_places["county"]]
    assert own and all(not c["suppressed"] and c["count"] == full[(web_places["county"], k)]["count"]
                       for (code, k), c in seen.items() if code == web_places["county"])
    assert all(c["count"] is None for c in seen.values() if c["suppressed"])      # hidden: None, never 0
    row = next(r for r in mine["rows"] if r["code"] == web_places["county"])
    assert row["in_scope"] is True


def test_distribution_by_industry_is_controlled_unless_inside_the_scope(clients, web_places):
    c = clients["county"]
    everywhere = c.get(f"{API}/distribution", params={"by": "industry"}).json()
    assert everywhere["controlled"] is True and any(x["suppressed"] for x in _cells(everywhere).values())
    mine = c.get(f"{API}/distribution", params={"by": "industry", "region": web_places["county"]}).json()
    assert mine["controlled"] is False and not any(x["suppressed"] for x in _cells(mine).values())
    assert c.get(f"{API}/distribution", params={"by": "park"}).status_code == 422


def test_distribution_download_leaves_hidden_cells_empty(clients):
    r = clients["county"].get(f"{API}/distribution", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("区县或行业代码,名称,A类企业数（个）")
    assert any(",," in line for line in lines[2:])                         # a suppressed cell: empty, not 0


def test_lowland_is_scoped_by_the_parcel_county(clients, web_places):
    mine = clients["county"].get(f"{API}/lowland", params={"page_size": 500}).json()
    assert mine["run"]["analysis"] == "land.lowland"
    assert all(r["region_code"] == web_places["county"] for r in mine["rows"])
    whole = clients["admin"].get(f"{API}/lowland", params={"page_size": 1}).json()
    assert whole["total"] > mine["total"]
    d = clients["admin"].get(f"{API}/lowland", params={"reason": "d_class", "page_size": 500}).json()
    assert d["total"] > 0 and all("d_class" in r["reasons"].split(";") for r in d["rows"])
    assert clients["admin"].get(f"{API}/lowland", params={"reason": "ugly"}).json()["where"] == "reason"


def test_progress_whole_province_only_for_all_regions(clients, web_places):
    admin = clients["admin"].get(f"{API}/progress").json()
    assert admin["whole_province"] is True and admin["targets"] and admin["run"]["analysis"] == "land.progress"
    mine = clients["county"].get(f"{API}/progress", params={"page_size": 500}).json()
    assert mine["whole_province"] is False and mine["targets"] == []
    assert all(r["region_code"].startswith(web_places["county"]) for r in mine["counties"]["rows"])
    assert mine["run"]["run_id"] == admin["run"]["run_id"]


def test_downloads_have_chinese_headers_and_are_audited(web_app, clients, web_places):
    _app, acc = web_app
    r = clients["county"].get(f"{API}/classes", params={"format": "csv"})
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").splitlines()
    assert "合成数据" in lines[0]
    assert lines[1].startswith("年度,统一社会信用代码,企业名称") and "亩均效益等级" in lines[1]
    assert all(web_places["county"] in line for line in lines[2:])
    x = clients["county"].get(f"{API}/lowland", params={"format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert any(e.object == "land.classes" and e.username == "county" for e in acc.list_audit(action="export"))


@pytest.mark.parametrize("path", ["/land/classes", "/land/distribution", "/land/distribution?by=industry",
                                  "/land/lowland", "/land/progress", "/land/classes?land_class=A&page=2"])
def test_pages_render_in_both_languages(clients, path):
    c = clients["county"]
    zh = c.get(path, params={"lang": "zh"})
    assert zh.status_code == 200, zh.text[:500]
    assert "合成数据" in zh.text and "亩均" in zh.text and "<script" not in zh.text
    en = c.get(path, params={"lang": "en"})
    assert en.status_code == 200 and "synthetic data" in en.text
    c.get("/", params={"lang": "zh"})


def test_distribution_page_marks_hidden_cells(clients):
    page = clients["county"].get("/land/distribution", params={"lang": "zh"})
    assert 'class="supp"' in page.text and "披露控制" in page.text


def test_pages_refuse_enterprise_and_keep_empty_filters(clients):
    assert clients["enterprise"].get("/land/classes").status_code == 403
    r = clients["county"].get("/land/classes", params={"year": "", "region": "", "land_class": ""})
    assert r.status_code == 200
    assert clients["county"].get("/land/classes", params={"year": "abc"}).status_code == 422
