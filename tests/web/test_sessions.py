"""Sessions, tokens and throttling as the browser and a machine client meet them: logout and a
password change end the session, an expired session sends the browser back to the login page,
a revoked token stops working, repeated failed logins answer 429 with Retry-After, the login
form without its CSRF cookie is refused, redirects after login stay on this site, and cookies
carry HttpOnly and SameSite. Each test has its own app (they change accounts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_of, login


@pytest.fixture
def app_acc(make_app, web_db):
    return make_app(web_db, login_max_failures=3)


def test_session_cookie_is_httponly_and_samesite(app_acc):
    app, _ = app_acc
    c = TestClient(app)
    r = login(c, "county")
    cookie = r.headers["set-cookie"]
    assert "zhizao_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie                        # plain http in the test
    c2 = TestClient(app, base_url="https://testserver")
    assert "Secure" in login(c2, "county").headers["set-cookie"]


def test_logout_ends_the_session(app_acc):
    app, _ = app_acc
    c = TestClient(app)
    login(c, "county")
    cookie = c.cookies.get("zhizao_session")
    r = c.post("/logout", data={"csrf_token": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303
    again = TestClient(app, cookies={"zhizao_session": cookie})
    assert again.get("/api/v1/me").status_code == 401


def test_logout_form_without_csrf_is_refused(app_acc):
    app, _ = app_acc
    c = TestClient(app)
    login(c, "county")
    r = c.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert c.get("/api/v1/me").status_code == 200


def test_password_change_ends_every_session(app_acc):
    app, _ = app_acc
    a, b = TestClient(app), TestClient(app)
    login(a, "province")
    login(b, "province")
    r = a.post("/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "another-pass-99"},
               headers={"X-CSRF-Token": csrf_of(a)})
    assert r.status_code == 200
    assert a.get("/api/v1/me").status_code == 401 and b.get("/api/v1/me").status_code == 401
    assert login(TestClient(app), "province", "another-pass-99").status_code == 303


def test_expired_session_redirects_to_login(make_app, web_db):
    from datetime import UTC, datetime

    app, acc = make_app(web_db, session_ttl_s=60)
    c = TestClient(app)
    login(c, "county")
    assert c.get("/").status_code == 200
    real = acc._clock
    acc._clock = lambda: datetime.now(UTC) + timedelta(seconds=3601 * 24)
    try:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert c.get("/api/v1/me").status_code == 401
    finally:
        acc._clock = real


def test_revoked_token_stops_working(app_acc):
    app, _ = app_acc
    c = TestClient(app)
    login(c, "admin")
    h = {"X-CSRF-Token": csrf_of(c)}
    made = c.post("/api/v1/me/tokens", json={"name": "bot"}, headers=h).json()
    bot = {"Authorization": f"Bearer {made['token']}"}
    assert TestClient(app).get("/api/v1/me", headers=bot).status_code == 200
    assert c.delete(f"/api/v1/me/tokens/{made['id']}", headers=h).status_code == 200
    assert TestClient(app).get("/api/v1/me", headers=bot).status_code == 401


def test_someone_elses_token_cannot_be_revoked(app_acc):
    app, _ = app_acc
    admin, county = TestClient(app), TestClient(app)
    login(admin, "admin")
    login(county, "county")
    made = admin.post("/api/v1/me/tokens", json={"name": "a"}, headers={"X-CSRF-Token": csrf_of(admin)}).json()
    r = county.delete(f"/api/v1/me/tokens/{made['id']}", headers={"X-CSRF-Token": csrf_of(county)})
    assert r.status_code in (403, 404)


def test_failed_logins_are_throttled_even_with_the_right_password(app_acc):
    app, acc = app_acc
    c = TestClient(app)
    for _ in range(3):
        assert login(c, "county", "wrong-password").status_code == 401
    r = login(c, "county")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    failed = [e for e in acc.list_audit(action="login_failed") if e.object == "user:county"]
    assert len(failed) == 3 and all(e.ip for e in failed)


def test_login_without_the_form_cookie_is_refused(app_acc):
    app, _ = app_acc
    c = TestClient(app)
    page = c.get("/login")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    c.cookies.clear()
    r = c.post("/login", data={"username": "county", "password": PASSWORD, "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_redirect_after_login_stays_on_this_site(app_acc, target):
    import re

    app, _ = app_acc
    c = TestClient(app)
    page = c.get("/login", params={"next": target})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": "county", "password": PASSWORD, "csrf_token": token, "next": target},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_disabled_user_loses_sessions_and_tokens(app_acc):
    app, acc = app_acc
    c, admin = TestClient(app), TestClient(app)
    login(c, "county")
    login(admin, "admin")
    tok = c.post("/api/v1/me/tokens", json={"name": "t"}, headers={"X-CSRF-Token": csrf_of(c)}).json()["token"]
    r = admin.post("/api/v1/users/county/disable", headers={"X-CSRF-Token": csrf_of(admin)})
    assert r.status_code == 200
    assert c.get("/api/v1/me").status_code == 401
    assert TestClient(app).get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 401


@pytest.mark.pg
def test_oltp_on_postgresql(web_db, pg_oltp_url):
    """The platform with its accounts on PostgreSQL (marker pg; ZHIZAO_TEST_PG_URL)."""
    from zhizao.accounts.passwords import cheap_hasher
    from zhizao.accounts.service import Accounts
    from zhizao.settings import Settings
    from zhizao.web.app import create_app

    settings = Settings(db_path=web_db, oltp_url_=pg_oltp_url)
    acc = Accounts.open(settings, hasher=cheap_hasher())
    acc.add_user("pgadmin", PASSWORD, "admin")
    app = create_app(settings, accounts=acc)
    try:
        c = TestClient(app)
        assert login(c, "pgadmin").status_code == 303
        assert c.get("/api/v1/me").json()["username"] == "pgadmin"
        assert c.get("/api/v1/enterprises").json()["total"] > 0
        assert any(e.action == "login" for e in acc.list_audit(username="pgadmin"))
    finally:
        app.state.platform.close()
        acc.close()
