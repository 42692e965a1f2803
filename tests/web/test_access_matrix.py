"""The access matrix: every role × every API operation × objects inside and outside the role's
scope. The expected status of each cell is written out below (``MATRIX``), and a test checks that
every operation of the OpenAPI schema is in it — a new endpoint must be classified here before
the suite passes.

Roles (tests/web/conftest.py): admin; province (official of the province); county (official of
COUNTY); other_county (official of another county); enterprise (bound to an enterprise of
COUNTY); provider; auditor (the province, read only); anonymous. ``in`` / ``out`` name an
enterprise inside / outside COUNTY.
"""

from __future__ import annotations

import pytest

ROLES = ("admin", "province", "county", "other_county", "enterprise", "provider", "auditor", "anonymous")
OFFICIALS = ("admin", "province", "county", "other_county", "auditor")
LOGGED_IN = ROLES[:-1]


def _row(ok=LOGGED_IN, ok_status=200, forbidden=(), not_found=(), **special):
    """Expected status by role: ``ok`` roles get ``ok_status``, ``forbidden`` 403, ``not_found``
    404, anonymous 401 (unless listed), ``special`` overrides."""
    out = {r: 401 for r in ROLES}
    out.update({r: ok_status for r in ok})
    out.update({r: 403 for r in forbidden})
    out.update({r: 404 for r in not_found})
    out.update(special)
    return out


READERS = dict(ok=OFFICIALS, forbidden=("enterprise", "provider"))

#: (method, path template, variant) → role → status. Path parameters: {uscc} is the enterprise
#: named by the variant (``in`` / ``out``), {policy_id} specialized_sme, {run_id} a stored run,
#: {cluster_id} a shipped cluster, unknown ids otherwise.
MATRIX = {
    ("get", "/api/v1/health", ""): _row(ok=ROLES),
    ("get", "/api/v1/me", ""): _row(),
    ("get", "/api/v1/me/tokens", ""): _row(),
    ("get", "/api/v1/enterprises", ""): _row(),
    ("get", "/api/v1/enterprises/{uscc}", "in"): _row(ok=("admin", "province", "county", "enterprise", "auditor"),
                                                     not_found=("other_county", "provider")),
    ("get", "/api/v1/enterprises/{uscc}", "out"): _row(ok=("admin", "province", "other_county", "auditor"),
                                                      not_found=("county", "enterprise", "provider")),
    ("get", "/api/v1/regions/aggregates", ""): _row(),
    ("get", "/api/v1/regions/indicators", ""): _row(),
    ("get", "/api/v1/runs", ""): _row(),
    ("get", "/api/v1/runs/{run_id}", ""): _row(),
    ("get", "/api/v1/jobs/{job_id}", ""): _row(ok=(), not_found=LOGGED_IN),
    ("get", "/api/v1/imports", ""): _row(**READERS),
    ("get", "/api/v1/imports/{batch}", ""): _row(ok=(), not_found=OFFICIALS, forbidden=("enterprise", "provider")),
    ("get", "/api/v1/quarantine", ""): _row(**READERS),
    ("get", "/api/v1/uploads/{upload_id}", ""): _row(ok=(), not_found=OFFICIALS, forbidden=("enterprise", "provider")),
    ("get", "/api/v1/uploads/{upload_id}/quarantine", ""): _row(ok=(), not_found=OFFICIALS,
                                                                forbidden=("enterprise", "provider")),
    ("get", "/api/v1/policies", ""): _row(),
    ("get", "/api/v1/policies/{policy_id}", ""): _row(),
    ("get", "/api/v1/policies/{policy_id}/counts", ""): _row(**READERS),
    ("get", "/api/v1/policies/{policy_id}/push", ""): _row(**READERS),
    ("get", "/api/v1/policies/{policy_id}/explain/{uscc}", "in"): _row(
        ok=("admin", "province", "county", "enterprise", "auditor"), not_found=("other_county",),
        forbidden=("provider",)),
    ("get", "/api/v1/policies/{policy_id}/explain/{uscc}", "out"): _row(
        ok=("admin", "province", "other_county", "auditor"), not_found=("county", "enterprise"),
        forbidden=("provider",)),
    ("get", "/api/v1/policies/{policy_id}/calculator", ""): _row(),
    ("get", "/api/v1/land/classes", ""): _row(**READERS),
    ("get", "/api/v1/land/distribution", ""): _row(**READERS),
    ("get", "/api/v1/land/lowland", ""): _row(**READERS),
    ("get", "/api/v1/land/progress", ""): _row(**READERS),
    ("get", "/api/v1/clusters", ""): _row(**READERS),
    ("get", "/api/v1/clusters/indices", ""): _row(**READERS),
    ("get", "/api/v1/clusters/diagnosis", ""): _row(**READERS),
    ("get", "/api/v1/clusters/candidates", ""): _row(**READERS),
    ("get", "/api/v1/clusters/{cluster_id}", ""): _row(**READERS),
    ("get", "/api/v1/chains/chokepoints", ""): _row(**READERS),
    ("get", "/api/v1/chains/chokepoints/buyers", ""): _row(**READERS),
    ("get", "/api/v1/chains/leaders", ""): _row(**READERS),
    ("get", "/api/v1/chains/resilience", ""): _row(**READERS),
    ("get", "/api/v1/users", ""): _row(ok=("admin",), forbidden=LOGGED_IN[1:]),
    ("get", "/api/v1/audit", ""): _row(ok=("admin", "auditor"),
                                       forbidden=("province", "county", "other_county", "enterprise", "provider")),
}

#: Unsafe operations: anonymous → 401, a session call without the CSRF token → 403 (for every
#: role), and who may not do it at all (with the token) → 403. Each body is valid, so an allowed
#: role would act: the allowed roles are exercised by the area's own tests, not here.
UNSAFE = {
    ("post", "/api/v1/me/password"): ({"old_password": "x", "new_password": "yyyyyyyy"}, ()),
    ("post", "/api/v1/me/tokens"): ({"name": "matrix"}, ()),
    ("delete", "/api/v1/me/tokens/{token_id}"): (None, ()),
    ("post", "/api/v1/logout"): (None, ()),
    ("post", "/api/v1/imports"): (None, ("enterprise", "provider", "auditor")),
    ("post", "/api/v1/policies/{policy_id}/calculate"): ({"figures": {}}, ()),
    ("post", "/api/v1/chains/shock"): ({"capacity": 0.5, "days": 10}, ("enterprise", "provider")),
    ("post", "/api/v1/users"): ({"username": "matrixuser", "password": "matrix-pass-1", "role": "admin"},
                                ("province", "county", "other_county", "enterprise", "provider", "auditor")),
    ("post", "/api/v1/users/{username}/disable"): (None, ("province", "county", "other_county", "enterprise",
                                                          "provider", "auditor")),
}


@pytest.fixture(scope="module")
def ids(clients, web_places):
    admin = clients["admin"]
    run_id = admin.get("/api/v1/runs").json()["rows"][0]["run_id"]
    clusters = admin.get("/api/v1/clusters").json()
    rows = clusters["rows"] if isinstance(clusters, dict) else clusters
    cluster_id = (rows[0].get("cluster_id") or rows[0].get("id")) if rows else "none"
    return {"run_id": run_id, "cluster_id": cluster_id, "policy_id": "specialized_sme", "job_id": "nojob000",
            "batch": "nobatch", "upload_id": "noupload", "token_id": "999999", "username": "admin",
            "in": web_places["enterprise"], "out": web_places["outside"]}


def _path(template: str, ids: dict, variant: str) -> str:
    out = template.replace("{uscc}", ids.get(variant, ids["in"]))
    for k, v in ids.items():
        out = out.replace("{" + k + "}", str(v))
    return out


def test_every_api_operation_is_in_the_matrix(web_app):
    app, _ = web_app
    ops = {(m, p) for p, item in app.openapi()["paths"].items() for m in item}
    listed = {(m, p) for m, p, _ in MATRIX} | set(UNSAFE)
    assert ops - listed == set(), f"operations missing from the access matrix: {sorted(ops - listed)}"
    assert listed - ops == set(), f"matrix rows without an operation: {sorted(listed - ops)}"


@pytest.mark.parametrize("key", list(MATRIX), ids=lambda k: f"{k[1]}{'[' + k[2] + ']' if k[2] else ''}")
def test_read_access(clients, ids, key):
    method, template, variant = key
    path = _path(template, ids, variant)
    wrong = {}
    for role in ROLES:
        r = clients[role].request(method.upper(), path)
        if r.status_code != MATRIX[key][role]:
            wrong[role] = (r.status_code, MATRIX[key][role], r.text[:160])
    assert not wrong, f"{path}: role → (got, expected, body): {wrong}"


@pytest.mark.parametrize("key", list(UNSAFE), ids=lambda k: f"{k[0]} {k[1]}")
def test_unsafe_calls_need_login_csrf_and_the_role(clients, ids, key):
    from tests.web.conftest import csrf_of

    method, template = key
    body, forbidden = UNSAFE[key]
    path = _path(template, ids, "")
    kw = {"json": body} if body is not None else {}
    assert clients["anonymous"].request(method.upper(), path, **kw).status_code == 401
    for role in LOGGED_IN:
        r = clients[role].request(method.upper(), path, **kw)
        assert r.status_code == 403, (role, "without CSRF", r.status_code, r.text[:200])
    for role in forbidden:
        c = clients[role]
        r = c.request(method.upper(), path, headers={"X-CSRF-Token": csrf_of(c)}, **kw)
        assert r.status_code == 403, (role, "role", r.status_code, r.text[:200])


@pytest.mark.parametrize("path", ["/", "/enterprises", "/regions", "/runs", "/account", "/admin/users",
                                  "/admin/audit", "/policies", "/data"])
def test_pages_redirect_anonymous_to_login(clients, path):
    r = clients["anonymous"].get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.parametrize("role, path, status", [
    ("county", "/admin/users", 403), ("auditor", "/admin/users", 403), ("auditor", "/admin/audit", 200),
    ("admin", "/admin/users", 200), ("enterprise", "/enterprises/{out}", 404), ("county", "/enterprises/{out}", 404),
    ("province", "/enterprises/{out}", 200), ("enterprise", "/enterprises/{in}", 200),
])
def test_page_access(clients, ids, role, path, status):
    r = clients[role].get(path.replace("{out}", ids["out"]).replace("{in}", ids["in"]))
    assert r.status_code == status
