"""The platform's core: login, the viewer's scope, errors, CSRF, request ids, enterprise search and
profile within the scope."""

from __future__ import annotations

import pytest


def test_anonymous_api_answers_401_and_pages_redirect_to_login(clients):
    c = clients["anonymous"]
    r = c.get("/api/v1/enterprises")
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized" and r.json()["request_id"]
    r = c.get("/enterprises", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/enterprises")


def test_me_reports_role_and_scope(clients, web_places):
    me = clients["county"].get("/api/v1/me").json()
    assert me["role"] == "official" and me["jurisdiction"] == [web_places["county"]]
    assert web_places["county"] in me["scope_zh"]


@pytest.mark.parametrize("who, sees_outside", [("admin", True), ("province", True), ("county", False),
                                                ("enterprise", False), ("auditor", True)])
def test_search_is_scoped_in_the_query(clients, web_places, who, sees_outside):
    c = clients[who]
    got = c.get("/api/v1/enterprises", params={"q": web_places["outside"]}).json()
    assert (got["total"] == 1) is sees_outside
    mine = c.get("/api/v1/enterprises", params={"q": web_places["enterprise"]}).json()
    assert mine["total"] == 1


def test_enterprise_sees_only_itself(clients, web_places):
    got = clients["enterprise"].get("/api/v1/enterprises", params={"page_size": 500}).json()
    assert [r["uscc"] for r in got["rows"]] == [web_places["enterprise"]]


def test_provider_sees_no_enterprise(clients):
    assert clients["provider"].get("/api/v1/enterprises").json()["total"] == 0


@pytest.mark.parametrize("who", ["county", "enterprise", "provider", "other_county"])
def test_profile_outside_scope_answers_404_like_an_unknown_uscc(clients, web_places, who):
    c = clients[who]
    target = web_places["outside"] if who != "other_county" else web_places["enterprise"]
    r = c.get(f"/api/v1/enterprises/{target}")
    assert r.status_code == 404
    unknown = c.get("/api/v1/enterprises/91330000000000000X")
    assert unknown.status_code == 404
    assert r.json()["message_en"] == unknown.json()["message_en"].replace("91330000000000000X", target)


def test_profile_inside_scope(clients, web_places):
    r = clients["county"].get(f"/api/v1/enterprises/{web_places['enterprise']}")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["enterprise"]["uscc"] == web_places["enterprise"]
    assert p["indicators"]["rows"] and p["indicators"]["columns"][0]["name"] == "year"
    assert p["land"], p["land_note"]                    # the stored land evaluation run
    assert all(row["run_id"] for row in p["land"])
    assert p["policies"] and p["synthetic"] is True


def test_unsafe_call_without_csrf_is_403_and_with_it_passes(clients):
    from tests.web.conftest import csrf_of

    c = clients["county"]
    r = c.post("/api/v1/me/tokens", json={"name": "ci"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = c.post("/api/v1/me/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 201 and r.json()["token"].startswith("zz_")


def test_api_token_works_without_cookie_and_without_csrf(web_app, clients):
    from fastapi.testclient import TestClient

    from tests.web.conftest import csrf_of

    app, _ = web_app
    c = clients["province"]
    tok = c.post("/api/v1/me/tokens", json={"name": "bot"}, headers={"X-CSRF-Token": csrf_of(c)}).json()
    bot = TestClient(app)
    h = {"Authorization": f"Bearer {tok['token']}"}
    assert bot.get("/api/v1/me", headers=h).json()["username"] == "province"
    assert bot.post("/api/v1/me/tokens", json={"name": "more"}, headers=h).status_code == 201
    assert bot.get("/api/v1/me", headers={"Authorization": "Bearer zz_wrong"}).status_code == 401


def test_validation_error_names_the_field(clients):
    r = clients["admin"].get("/api/v1/enterprises", params={"page_size": 10_000})
    assert r.status_code == 422
    body = r.json()
    assert body["where"] == "page_size" and "page_size" in body["message_en"] and body["message_zh"]


def test_no_trace_reaches_the_client_on_a_500(make_app, web_db, monkeypatch):
    from fastapi.testclient import TestClient

    from tests.web.conftest import login
    from zhizao.services import enterprises

    app, _ = make_app(web_db)
    c = TestClient(app, raise_server_exceptions=False)
    login(c, "admin")

    def boom(*a, **k):
        raise RuntimeError("SELECT secret FROM /etc/passwd")

    monkeypatch.setattr(enterprises, "search", boom)
    r = c.get("/api/v1/enterprises")
    assert r.status_code == 500
    assert "SELECT" not in r.text and "passwd" not in r.text and "Traceback" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_downloads_are_streamed_with_chinese_headers_and_logged(web_app, clients):
    app, acc = web_app
    r = clients["county"].get("/api/v1/enterprises", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert "合成数据" in lines[0] and lines[1].startswith("统一社会信用代码,企业名称")
    r = clients["county"].get("/api/v1/enterprises", params={"format": "xlsx"})
    assert r.content[:2] == b"PK"
    assert any(e.action == "export" and e.username == "county" for e in acc.list_audit(action="export"))


def test_pages_render_in_both_languages_with_the_synthetic_banner(clients, web_places):
    c = clients["county"]
    for path in ("/", "/enterprises", f"/enterprises/{web_places['enterprise']}", "/regions", "/runs", "/account"):
        zh = c.get(path, params={"lang": "zh"})
        assert zh.status_code == 200, path
        assert "合成数据" in zh.text
        en = c.get(path, params={"lang": "en"})
        assert "synthetic data" in en.text
    c.get("/", params={"lang": "zh"})


def test_a_server_warms_the_policy_evaluations_at_start(make_app, web_db):
    """With warm_on_start (zhizao serve), every policy's evaluation is computed in the background
    at start; the first profile then only reads its rows."""
    import time

    app, _ = make_app(web_db, warm_on_start=True)
    platform = app.state.platform
    jobs = [j for j in platform.jobs._jobs.values() if j.kind == "warm"]
    assert len(jobs) == 1
    for _ in range(600):
        if jobs[0].state in ("done", "failed"):
            break
        time.sleep(0.1)
    assert jobs[0].state == "done", jobs[0].error
    assert jobs[0].result >= 5
