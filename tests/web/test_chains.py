"""The supply-chain area of the platform: chokepoints under disclosure control, buyers and leaders
only inside the scope, resilience controlled as the clusters, and the shock simulation as a
bounded background job (validated before it is queued, owned by who started it)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

API = "/api/v1/chains"


def _wait(client, job_id: str, timeout: float = 60.0) -> dict:
    states = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        states.append(job["state"])
        if job["state"] in ("done", "failed"):
            job["seen"] = states
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {states[-1]} after {timeout} s")


@pytest.mark.parametrize("who, status", [("enterprise", 403), ("provider", 403), ("anonymous", 401)])
@pytest.mark.parametrize("path", ["chokepoints", "chokepoints/buyers", "leaders", "resilience"])
def test_enterprise_and_provider_are_refused(clients, who, status, path):
    assert clients[who].get(f"{API}/{path}").status_code == status


def test_chokepoints_ranked_and_controlled_outside_the_scope(web_app, clients, web_places, monkeypatch):
    admin = clients["admin"].get(f"{API}/chokepoints", params={"page_size": 500}).json()
    assert admin["run"]["analysis"] == "chains.chokepoints" and admin["total"] > 0
    assert [r["rank"] for r in admin["rows"]] == sorted(r["rank"] for r in admin["rows"])
    assert all(r["purchases"] is not None for r in admin["rows"])
    mine = clients["county"].get(f"{API}/chokepoints", params={"page_size": 500}).json()
    assert mine["run"]["run_id"] == admin["run"]["run_id"]
    full = {r["product"]: r for r in admin["rows"]}
    for r in mine["rows"]:
        if r["suppressed"]:
            assert r["purchases"] is None and r["buyers"] is None and r["dependent_output"] is None
            assert r["rank"] == full[r["product"]]["rank"]
        else:
            assert r["purchases"] == full[r["product"]]["purchases"]
    where = {}
    for page in range(1, 100):
        got = clients["admin"].get(f"{API}/chokepoints/buyers", params={"page_size": 500, "page": page}).json()
        for b in got["rows"]:
            where.setdefault(b["product"], set()).add(b["buyer_region_code"])
        if page >= got["pages"]:
            break
    few = [p for p, r in full.items() if 1 <= r["buyers"] < 3 and where.get(p, {None}) != {web_places["county"]}]
    assert few
    seen = {r["product"]: r for r in mine["rows"]}
    for p in few:                # bought by 1–2 firms of the province, one outside the county
        assert seen[p]["suppressed"] is True and seen[p]["purchases"] is None, p
    app, _ = web_app
    monkeypatch.setattr(app.state.platform, "settings", replace(app.state.platform.settings, disclosure_k=10_000))
    strict = clients["county"].get(f"{API}/chokepoints", params={"page_size": 500}).json()
    for r in strict["rows"]:              # every product with a buyer outside the county is hidden
        hidden = where.get(r["product"], {None}) != {web_places["county"]}
        assert r["suppressed"] is hidden and (r["purchases"] is None) is hidden


def test_buyers_and_leaders_only_inside_the_scope(clients, web_places):
    buyers = clients["county"].get(f"{API}/chokepoints/buyers", params={"page_size": 500}).json()
    assert buyers["total"] > 0 and all(r["buyer_region_code"] == web_places["county"] for r in buyers["rows"])
    assert all(r["name"] for r in buyers["rows"])
    assert clients["admin"].get(f"{API}/chokepoints/buyers").json()["total"] > buyers["total"]
    leaders = clients["county"].get(f"{API}/leaders", params={"page_size": 500}).json()
    assert leaders["run"]["analysis"] == "chains.leaders"
    assert leaders["total"] > 0 and {r["region_code"] for r in leaders["rows"]} == {web_places["county"]}
    other = clients["other_county"].get(f"{API}/leaders", params={"page_size": 500}).json()
    assert not {r["uscc"] for r in other["rows"]} & {r["uscc"] for r in leaders["rows"]}
    first = clients["admin"].get(f"{API}/leaders", params={"page_size": 1}).json()["rows"][0]
    assert first["rank"] == 1 and first["name"]


def test_resilience_is_controlled_as_the_clusters(clients, web_places):
    admin = clients["admin"].get(f"{API}/resilience").json()
    assert admin["run"]["analysis"] == "chains.resilience" and admin["total"] == 15
    mine = clients["county"].get(f"{API}/resilience").json()
    rows = clients["county"].get("/api/v1/clusters/diagnosis").json()["rows"]
    diag = {r["cluster_id"]: r["suppressed"] for r in rows}
    for r in mine["rows"]:
        assert r["suppressed"] == diag[r["group_id"]]
        if r["suppressed"]:
            assert r["resilience"] is None and r["firms"] is None
        for u in (r["top_suppliers"] or "").split(";"):
            assert not u or u[2:8] == web_places["county"]                      # the USCC names its county


def test_downloads_with_chinese_headers(clients):
    r = clients["county"].get(f"{API}/chokepoints", params={"format": "csv"})
    lines = r.content.decode("utf-8-sig").splitlines()
    assert r.status_code == 200 and lines[1].startswith("名次,产品,采购额（元）")
    x = clients["county"].get(f"{API}/leaders", params={"format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    res = clients["county"].get(f"{API}/resilience", params={"format": "csv"}).content.decode("utf-8-sig")
    assert "拆不散" in res.splitlines()[1]


# --- the shock ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shock_app(make_app, web_db, tmp_path_factory):
    """An app over its own copy of the province: the shock records runs."""
    import shutil

    from fastapi.testclient import TestClient

    from tests.web.conftest import csrf_of, login

    path = tmp_path_factory.mktemp("shock") / "warehouse.duckdb"
    shutil.copy(web_db, path)
    app, _ = make_app(path)
    out = {}
    for who in ("county", "other_county", "auditor", "admin"):
        c = TestClient(app)
        assert login(c, who).status_code == 303
        out[who] = (c, {"X-CSRF-Token": csrf_of(c)})
    return out


def test_shock_job_runs_to_a_result(shock_app, web_places):
    c, h = shock_app["county"]
    r = c.post(f"{API}/shock", json={"county": web_places["county"], "capacity": 0.5, "days": 30}, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running", "done") and r.headers["location"] == f"/api/v1/jobs/{job['id']}"
    done = _wait(c, job["id"])
    assert done["state"] == "done", done
    assert set(done["seen"]) <= {"queued", "running", "done"}
    res = done["result"]
    assert res["days"] == 30 and res["run"]["analysis"] == "chains.shock" and res["total_loss"] > 0
    assert len(res["curve"]) == 31 and res["curve"][0]["output_share"] == pytest.approx(1.0)
    own = next(x for x in res["counties"] if x["region_code"] == web_places["county"])
    assert own["in_scope"] and not own["suppressed"] and own["loss"] > 0
    for x in res["counties"]:
        if x["suppressed"]:
            assert x["loss"] is None and x["firms"] is None and not x["in_scope"]
    assert res["firms"] and all(f["region_code"] == web_places["county"] for f in res["firms"])


def test_shock_of_firms_outside_the_scope_is_404(shock_app, web_places):
    c, h = shock_app["other_county"]
    r = c.post(f"{API}/shock", json={"firms": [web_places["enterprise"]], "capacity": 0.2}, headers=h)
    unknown = c.post(f"{API}/shock", json={"firms": ["91330000000000000X"], "capacity": 0.2}, headers=h)
    assert r.status_code == 404 and unknown.status_code == 404
    said = unknown.json()["message_en"].replace("91330000000000000X", web_places["enterprise"])
    assert r.json()["message_en"] == said
    mine, h2 = shock_app["county"]
    ok = mine.post(f"{API}/shock", json={"firms": [web_places["enterprise"]], "capacity": 0.2, "days": 10}, headers=h2)
    assert ok.status_code == 202
    assert _wait(mine, ok.json()["id"])["state"] == "done"


@pytest.mark.parametrize("body, field", [({"county": "330000", "capacity": 0}, "capacity"),
                                         ({"county": "330000", "capacity": 1.5}, "capacity"),
                                         ({"county": "330000", "days": 366}, "days"),
                                         ({"firms": ["X"] * 201}, "firms"),
                                         ({"capacity": 0.5}, "county"),
                                         ({"county": "99x"}, "county"),
                                         ({"county": "999999"}, "county")])
def test_bad_shock_input_answers_422_naming_the_field(shock_app, body, field):
    c, h = shock_app["county"]
    r = c.post(f"{API}/shock", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["where"] == field


def test_shock_needs_csrf_and_a_role_that_may_run_it(shock_app, clients, web_places):
    c, h = shock_app["county"]
    assert c.post(f"{API}/shock", json={"county": web_places["county"]}).status_code == 403
    a, ha = shock_app["auditor"]
    r = a.post(f"{API}/shock", json={"county": web_places["county"]}, headers=ha)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_another_users_job_is_404(shock_app, web_places):
    c, h = shock_app["county"]
    job = c.post(f"{API}/shock", json={"county": web_places["county"], "days": 5}, headers=h).json()
    other, _ = shock_app["other_county"]
    assert other.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert other.get(f"/chains/shock/jobs/{job['id']}").status_code == 404
    admin, _ = shock_app["admin"]
    assert admin.get(f"/api/v1/jobs/{job['id']}").status_code == 200
    _wait(c, job["id"])


def test_shock_pages_form_to_result(shock_app, web_places):
    import re

    c, h = shock_app["county"]
    form = c.get("/chains/shock", params={"lang": "zh"})
    assert form.status_code == 200 and 'name="csrf_token"' in form.text and "<script" not in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    bad = c.post("/chains/shock", data={"county": web_places["county"], "capacity": "0.5", "days": "20"},
                 follow_redirects=False)
    assert bad.status_code == 403
    r = c.post("/chains/shock", data={"csrf_token": token, "county": web_places["county"], "capacity": "0.5",
                                      "days": "20", "firms": ""}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/chains/shock/jobs/")
    job_id = r.headers["location"].rsplit("/", 1)[1]
    page = c.get(r.headers["location"])
    assert page.status_code == 200
    if "http-equiv=\"refresh\"" in page.text:
        _wait(c, job_id)
        page = c.get(r.headers["location"])
    assert "http-equiv=\"refresh\"" not in page.text and "受影响最重的区县" in page.text
    en = c.get(r.headers["location"], params={"lang": "en"})
    assert "Hardest-hit counties" in en.text
    bad_days = c.post("/chains/shock", data={"csrf_token": token, "county": web_places["county"], "days": "999"})
    assert bad_days.status_code == 422
    c.get("/", params={"lang": "zh"})


@pytest.mark.parametrize("path", ["/chains/chokepoints", "/chains/chokepoints/buyers", "/chains/leaders",
                                  "/chains/resilience", "/chains/shock"])
def test_pages_render_in_both_languages(clients, path):
    c = clients["county"]
    zh = c.get(path, params={"lang": "zh"})
    assert zh.status_code == 200, zh.text[:500]
    assert "合成数据" in zh.text and "<script" not in zh.text
    en = c.get(path, params={"lang": "en"})
    assert en.status_code == 200 and "synthetic data" in en.text
    c.get("/", params={"lang": "zh"})
    assert clients["enterprise"].get(path).status_code == 403
