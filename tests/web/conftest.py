"""Fixtures of the web tests: one app per test session over a copy of the shared synthetic province
(with its land evaluation stored as a run), an operational SQLite database with one account per
role, and a logged-in ``TestClient`` per role.

Roles and their scope (``ROLES``): ``admin`` (everything), ``province`` (an official of the
province), ``county`` (an official of one county: ``COUNTY``), ``other_county`` (an official of
another county), ``enterprise`` (bound to ``ENTERPRISE``, an enterprise of ``COUNTY``),
``provider`` (a service provider: no enterprise data), ``auditor`` (the province, read only).
``OUTSIDE`` is an enterprise outside ``COUNTY``. Tests that write to the warehouse or change
accounts build their own app (``make_app``).
"""

from __future__ import annotations

import re
import shutil
import warnings

import pytest

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

PASSWORD = "demo-pass-2026"
ROLE_NAMES = ("admin", "province", "county", "other_county", "enterprise", "provider", "auditor")


@pytest.fixture(scope="session")
def web_places(province):
    """(province code, county, another county, an enterprise of the county, one outside it)."""
    import pyarrow.compute as pc

    e = province["enterprises"]
    counts = {}
    for code in e.column("region_code").to_pylist():
        counts[code] = counts.get(code, 0) + 1
    big = sorted(counts, key=lambda c: -counts[c])
    county, other = big[0], big[1]
    inside = e.filter(pc.equal(e.column("region_code"), county)).column("uscc").to_pylist()
    outside = e.filter(pc.equal(e.column("region_code"), other)).column("uscc").to_pylist()
    return {"province": county[:2] + "0000", "county": county, "other_county": other,
            "enterprise": sorted(inside)[0], "outside": sorted(outside)[0]}


@pytest.fixture(scope="session")
def web_db(province_db, tmp_path_factory):
    """A copy of the shared province with the land evaluation stored (one run)."""
    from zhizao.services import Service
    from zhizao.services import land as land_svc

    path = tmp_path_factory.mktemp("web") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as svc:
        land_svc.evaluate(svc)
    return path


def _make_accounts(settings, places):
    from zhizao.accounts.passwords import cheap_hasher
    from zhizao.accounts.service import Accounts

    acc = Accounts.open(settings, hasher=cheap_hasher())
    acc.add_user("admin", PASSWORD, "admin")
    acc.add_user("province", PASSWORD, "official", jurisdiction=(places["province"],))
    acc.add_user("county", PASSWORD, "official", jurisdiction=(places["county"],))
    acc.add_user("other_county", PASSWORD, "official", jurisdiction=(places["other_county"],))
    acc.add_user("enterprise", PASSWORD, "enterprise", uscc=places["enterprise"])
    acc.add_user("provider", PASSWORD, "provider", provider_id="p1")
    acc.add_user("auditor", PASSWORD, "auditor", jurisdiction=(places["province"],))
    return acc


@pytest.fixture(scope="session")
def make_app(web_places, tmp_path_factory):
    """``make_app(db_path, **settings)`` → (app, accounts): an app over ``db_path`` with its own
    operational database and the accounts of ``ROLE_NAMES``."""
    from zhizao.settings import Settings
    from zhizao.web.app import create_app

    made = []

    def make(db_path, **overrides):
        oltp = tmp_path_factory.mktemp("oltp") / "oltp.sqlite"
        settings = Settings(db_path=db_path, oltp_url_=f"sqlite:///{oltp}", **overrides)
        acc = _make_accounts(settings, web_places)
        app = create_app(settings, accounts=acc)
        made.append(app)
        return app, acc

    yield make
    for app in made:
        app.state.platform.close()


@pytest.fixture(scope="session")
def web_app(make_app, web_db):
    """The shared app (read-only tests): (app, accounts)."""
    return make_app(web_db)


def login(client, username: str, password: str = PASSWORD):
    """Log ``client`` in through the login form (with its CSRF cookie); returns the response."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/"}, follow_redirects=False)


def csrf_of(client) -> str:
    """The session's CSRF token, read from a page's logout form."""
    page = client.get("/account")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture(scope="session")
def clients(web_app):
    """A logged-in TestClient per role name (session cookies), plus ``anonymous``."""
    from fastapi.testclient import TestClient

    app, _acc = web_app
    out = {"anonymous": TestClient(app)}
    for name in ROLE_NAMES:
        c = TestClient(app)
        r = login(c, name)
        assert r.status_code == 303, (name, r.status_code, r.text[:300])
        out[name] = c
    return out


@pytest.fixture
def pg_oltp_url():
    """A PostgreSQL URL (``ZHIZAO_TEST_PG_URL``) whose search_path is a fresh schema of its own,
    dropped afterwards; skipped where the variable is unset (marker ``pg``)."""
    import os
    import uuid
    from urllib.parse import quote

    url = os.environ.get("ZHIZAO_TEST_PG_URL")
    if not url:
        pytest.skip("ZHIZAO_TEST_PG_URL is not set")
    import psycopg

    schema = f"zz_web_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
