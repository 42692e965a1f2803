"""The pages (Jinja2): login and logout, the base layout (Chinese by default with an English
switch, the synthetic-data banner, navigation by role) and a plain page per area that lists what
the API returns as tables. The dashboard's maps and charts come in the next step on this layout
(``base.html`` has the blocks for them).

Pages call the same services as the API (through ``Platform.call``) and render; every form
carries the session's CSRF token.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhizao.web.auth import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    check_csrf,
    check_login_csrf,
    client_ip,
    cookie_secure,
    lang_of,
    new_login_csrf,
    page_viewer,
)
from zhizao.web.render import error_page, render, safe_next

__all__ = ["router", "error_page"]

router = APIRouter(include_in_schema=False)


# --- login and logout --------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, error: str | None = None):
    token = new_login_csrf()
    resp = render(request, "login.html", None, login_csrf=token, next=safe_next(next), error=error)
    resp.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request),
                    max_age=3600, path="/login")
    return resp


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=64), password: str = Form(..., max_length=200),
          csrf_token: str = Form("", max_length=100), next: str = Form("/", max_length=500)):
    from zhizao.errors import Throttled, Unauthorized

    check_login_csrf(request, csrf_token)
    platform = request.app.state.platform
    try:
        got = platform.accounts.login(username, password, ip=client_ip(request),
                                      user_agent=request.headers.get("user-agent"))
    except (Unauthorized, Throttled) as e:
        lang = lang_of(request)
        msg = e.zh if lang == "zh" else e.en
        token = new_login_csrf()
        resp = render(request, "login.html", None, status_code=e.http_status, login_csrf=token,
                      next=safe_next(next), error=msg)
        resp.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request),
                        max_age=3600, path="/login")
        if isinstance(e, Throttled):
            resp.headers["Retry-After"] = str(e.retry_after)
        return resp
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, got.session_token, httponly=True, samesite="lax", secure=cookie_secure(request),
                    max_age=platform.settings.session_ttl_s, path="/")
    resp.delete_cookie(PRE_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
def logout(request: Request, viewer: Viewer = Depends(page_viewer), csrf_token: str = Form("", max_length=100)):
    check_csrf(viewer, csrf_token)
    if viewer.session_token:
        request.app.state.platform.accounts.logout(viewer.session_token, ip=client_ip(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# --- areas -----------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: Viewer = Depends(page_viewer)):
    from zhizao.services.data import tables as data_tables

    counts = request.app.state.platform.call(data_tables) if viewer.role in ("admin", "official", "auditor") else None
    return render(request, "home.html", viewer, counts=counts)


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises(request: Request, viewer: Viewer = Depends(page_viewer), q: str | None = Query(None, max_length=100),
                region: str | None = Query(None, max_length=12), page: int = Query(1, ge=1, le=100_000)):
    from zhizao.services import enterprises as svc

    got = request.app.state.platform.call(svc.search, viewer.scope, q=q, region=region, page=page, page_size=50)
    return render(request, "table.html", viewer, title=("企业", "Enterprises"), table=got, q=q, region=region,
                  link_col="uscc", link_prefix="/enterprises/", download="/api/v1/enterprises",
                  query=f"q={quote(q or '')}&region={quote(region or '')}", search=True)


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
def enterprise(request: Request, uscc: str, viewer: Viewer = Depends(page_viewer)):
    from zhizao.services import enterprises as svc

    got = request.app.state.platform.call(svc.profile, viewer.scope, uscc)
    return render(request, "enterprise.html", viewer, p=got)


@router.get("/regions", response_class=HTMLResponse)
def regions(request: Request, viewer: Viewer = Depends(page_viewer),
            level: str = Query("county", max_length=12), indicator: str = Query("revenue", max_length=20),
            year: int | None = Query(None, ge=1990, le=2100), within: str | None = Query(None, max_length=12)):
    from zhizao.services import regions as svc

    s = request.app.state.platform.settings
    got = request.app.state.platform.call(svc.aggregates, viewer.scope, level=level, indicator=indicator, year=year,
                                          within=within, k=s.disclosure_k, p=s.disclosure_p)
    return render(request, "regions.html", viewer, a=got, indicators=svc.INDICATORS, levels=list(svc.LEVELS))


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, viewer: Viewer = Depends(page_viewer)):
    from zhizao.services import runs as svc

    got = request.app.state.platform.call(svc.list_runs)
    return render(request, "runs.html", viewer, runs=got)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, viewer: Viewer = Depends(page_viewer), created: str | None = None):
    tokens = request.app.state.platform.accounts.list_tokens(viewer.user.username)
    return render(request, "account.html", viewer, tokens=tokens, message=None)


@router.post("/account/password", response_class=HTMLResponse)
def account_password(request: Request, viewer: Viewer = Depends(page_viewer),
                     csrf_token: str = Form("", max_length=100), old_password: str = Form(..., max_length=200),
                     new_password: str = Form(..., max_length=200)):
    check_csrf(viewer, csrf_token)
    request.app.state.platform.accounts.change_password(viewer.user, old_password, new_password,
                                                       ip=client_ip(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token(request: Request, viewer: Viewer = Depends(page_viewer),
                  csrf_token: str = Form("", max_length=100), name: str = Form(..., min_length=1, max_length=80)):
    check_csrf(viewer, csrf_token)
    acc = request.app.state.platform.accounts
    plain, _info = acc.create_token(viewer.user.username, name, actor=viewer.user, ip=client_ip(request))
    return render(request, "account.html", viewer, tokens=acc.list_tokens(viewer.user.username), new_token=plain)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def account_token_revoke(request: Request, token_id: int = Path(ge=1, le=2**53), viewer: Viewer = Depends(page_viewer),
                         csrf_token: str = Form("", max_length=100)):
    check_csrf(viewer, csrf_token)
    request.app.state.platform.accounts.revoke_token(token_id, actor=viewer.user, ip=client_ip(request))
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, viewer: Viewer = Depends(page_viewer)):
    from zhizao.web.auth import require_role

    require_role(viewer, "admin")
    return render(request, "users.html", viewer, users=request.app.state.platform.accounts.list_users())


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(request: Request, viewer: Viewer = Depends(page_viewer), page: int = Query(1, ge=1, le=100_000)):
    from zhizao.web.auth import require_role

    require_role(viewer, "admin", "auditor")
    rows = request.app.state.platform.accounts.list_audit(limit=100, offset=(page - 1) * 100)
    return render(request, "audit.html", viewer, rows=rows, page=page)
