"""The clusters area of the platform: definitions for every reader, indices and candidates with the
region × industry matrix under disclosure control outside the scope, cluster figures controlled,
leading firms named only inside the scope, roles, downloads and pages."""

from __future__ import annotations

from dataclasses import replace

import pytest

API = "/api/v1/clusters"


@pytest.fixture(scope="module")
def own_cluster(clients, web_places):
    """A cluster of the county official's county and one of another county."""
    rows = clients["admin"].get(API, params={"page_size": 500}).json()["rows"]
    mine = [r["id"] for r in rows if r["regions"] == web_places["county"]]
    other = [r["id"] for r in rows if r["regions"] not in (web_places["county"], "all")]
    assert other
    return (mine[0] if mine else None), other[0]


def test_definitions_are_listed_for_every_reader(clients, web_places):
    for who in ("admin", "county", "auditor"):
        body = clients[who].get(API).json()
        assert body["total"] == 15 and body["columns"][0]["zh"] == "集群编号"
    one = clients["county"].get(API, params={"region": web_places["county"]}).json()
    assert all(r["regions"] in (web_places["county"], "all") for r in one["rows"])


@pytest.mark.parametrize("who, status", [("enterprise", 403), ("provider", 403), ("anonymous", 401)])
@pytest.mark.parametrize("path", ["", "/indices", "/diagnosis", "/candidates", "/xinchang_bearings"])
def test_enterprise_and_provider_are_refused(clients, who, status, path):
    assert clients[who].get(f"{API}{path}").status_code == status


def test_indices_cells_outside_the_scope_are_controlled(clients, web_places):
    q = {"page_size": 500, "industry": "3"}                      # GB/T 4754 divisions 30–39
    admin = clients["admin"].get(f"{API}/indices", params=q).json()
    assert admin["run"]["analysis"] == "clusters.indices" and "suppressed" not in admin["columns"][-1]["name"]
    total = admin["total"]
    full = {}
    for page in range(1, admin["pages"] + 1):
        for r in clients["admin"].get(f"{API}/indices", params={**q, "page": page}).json()["rows"]:
            full[(r["region_code"], r["industry_code"])] = r
    assert len(full) == total
    seen = {}
    for page in range(1, admin["pages"] + 1):
        got = clients["county"].get(f"{API}/indices", params={**q, "page": page}).json()
        assert got["run"]["run_id"] == admin["run"]["run_id"]                 # one stored run, reused
        for r in got["rows"]:
            seen[(r["region_code"], r["industry_code"])] = r
    small = [k for k, r in full.items() if k[0] != web_places["county"] and 1 <= r["firms"] < 3]
    assert small
    for k in small:
        assert seen[k]["suppressed"] is True and seen[k]["value"] is None and seen[k]["firms"] is None
        assert seen[k]["lq"] is None and seen[k]["suppression_reason"] in ("k", "p")
        assert seen[k]["density"] == full[k]["density"]                      # relatedness stays
    own = [k for k in full if k[0] == web_places["county"]]
    assert own and all(not seen[k]["suppressed"] and seen[k]["value"] == full[k]["value"] for k in own)


def test_indices_region_and_industry_tables(clients):
    regions = clients["county"].get(f"{API}/indices", params={"table": "regions", "page_size": 500}).json()
    assert regions["columns"][-2]["name"] == "suppressed" and regions["total"] > 10
    industries = clients["admin"].get(f"{API}/indices", params={"table": "industries"}).json()
    assert industries["rows"][0]["total"] is not None
    bad = clients["county"].get(f"{API}/indices", params={"measure": "height"})
    assert bad.status_code == 422 and bad.json()["where"] == "measure"


def test_diagnosis_controls_clusters_outside_the_scope(clients, web_places, own_cluster):
    admin = clients["admin"].get(f"{API}/diagnosis").json()
    assert admin["total"] == 15 and admin["run"]["analysis"] == "clusters.diagnose"
    assert not any(r["suppressed"] for r in admin["rows"])
    mine = clients["county"].get(f"{API}/diagnosis").json()
    for r in mine["rows"]:
        if r["suppressed"]:
            assert r["above_scale_revenue"] is None and r["firms"] is None and r["evidence"] is None
            assert r["suppression_reason"] in ("k", "p", "secondary")
        assert r["verdict"] is not None and r["tier"] is not None                # ranks and tiers stay
    if own_cluster[0]:
        row = next(r for r in mine["rows"] if r["cluster_id"] == own_cluster[0])
        assert row["suppressed"] is False and row["firms"] is not None


def test_control_of_a_small_cluster(web_app, clients, monkeypatch):
    """With k above every cluster's firms, each cluster outside the scope is hidden (None, never 0)."""
    app, _ = web_app
    monkeypatch.setattr(app.state.platform, "settings", replace(app.state.platform.settings, disclosure_k=10_000))
    mine = clients["county"].get(f"{API}/diagnosis").json()
    outside = [r for r in mine["rows"] if r["suppressed"]]
    assert outside and all(r["above_scale_revenue"] is None and r["firms"] is None for r in outside)
    assert {r["suppression_reason"] for r in outside} <= {"k", "secondary"}


def test_profile_names_only_leading_firms_inside_the_scope(clients, web_places, own_cluster):
    mine_id, other_id = own_cluster
    admin = clients["admin"].get(f"{API}/{other_id}").json()
    assert admin["leading_firms"] and admin["leading_hidden"] == 0 and admin["run"]["run_id"]
    county = clients["county"].get(f"{API}/{other_id}").json()
    assert county["leading_firms"] == [] and county["leading_hidden"] == len(admin["leading_firms"])
    assert county["controlled"] is True
    if mine_id:
        own = clients["county"].get(f"{API}/{mine_id}").json()
        assert own["leading_firms"] and all(f["region_code"] == web_places["county"] for f in own["leading_firms"])
        assert own["suppressed"] is False
    missing = clients["county"].get(f"{API}/no_such_cluster")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_every_cluster_profile_answers(clients):
    ids = [r["id"] for r in clients["admin"].get(API).json()["rows"]]
    for who in ("admin", "county"):
        for cid in ids:
            r = clients[who].get(f"{API}/{cid}")
            assert r.status_code == 200, (who, cid, r.text[:300])
            assert r.json()["cluster_id"] == cid and len(r.json()["metrics"]) > 10


def test_candidates_are_controlled_outside_the_scope(clients, web_places):
    det = clients["county"].get(f"{API}/candidates", params={"page_size": 500}).json()
    assert det["run"]["analysis"] == "clusters.candidates"
    for r in det["rows"]:
        if r["suppressed"]:
            assert r["value"] is None and r["firms"] is None and r["region"] != web_places["county"]
        if r["region"] == web_places["county"]:
            assert r["suppressed"] is False
    assert any(r["suppressed"] for r in det["rows"])
    stars = clients["county"].get(f"{API}/candidates", params={"kind": "new_stars", "page_size": 20}).json()
    assert stars["total"] > 0 and "rca" in {c["name"] for c in stars["columns"]}
    assert clients["admin"].get(f"{API}/candidates", params={"kind": "old"}).status_code == 422


def test_downloads_with_chinese_headers(clients):
    r = clients["county"].get(f"{API}/diagnosis", params={"format": "csv"})
    lines = r.content.decode("utf-8-sig").splitlines()
    assert r.status_code == 200 and lines[1].startswith("集群编号,集群,集群（英文）") and "已隐去" in lines[1]
    x = clients["county"].get(f"{API}/indices", params={"format": "xlsx", "table": "regions"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    c = clients["county"].get(API, params={"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert c[1].startswith("集群编号,集群") and len(c) == 17


@pytest.mark.parametrize("path", ["/clusters", "/clusters/indices", "/clusters/indices?table=regions",
                                  "/clusters/diagnosis", "/clusters/candidates?kind=new_stars",
                                  "/clusters/xinchang_bearings"])
def test_pages_render_in_both_languages(clients, path):
    c = clients["county"]
    zh = c.get(path, params={"lang": "zh"})
    assert zh.status_code == 200, zh.text[:500]
    assert "合成数据" in zh.text and "集群" in zh.text and "<script" not in zh.text
    en = c.get(path, params={"lang": "en"})
    assert en.status_code == 200 and "synthetic data" in en.text
    c.get("/", params={"lang": "zh"})
