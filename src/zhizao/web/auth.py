"""Who is asking (登录与权限): the viewer of a request, from its session cookie or its API token, with
the scope the services apply to every query made for it.

* Browser: the ``zhizao_session`` cookie (HttpOnly, SameSite=Lax, Secure over https) names a
  session of the account service; every unsafe request (POST, PUT, PATCH, DELETE) must carry the
  session's CSRF token, as the form field ``csrf_token`` or the ``X-CSRF-Token`` header —
  otherwise 403. The login form, before any session, is protected by a double-submit cookie.
* Machine clients: ``Authorization: Bearer zz_…`` (an API token); no cookie, so no CSRF.

No viewer: the API answers 401, a page redirects to the login page.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request

from zhizao.accounts.scope import Scope
from zhizao.errors import Forbidden, Unauthorized

__all__ = ["Viewer", "viewer_or_none", "api_viewer", "page_viewer", "LoginRequired", "require_role",
           "check_csrf", "SESSION_COOKIE", "PRE_CSRF_COOKIE", "UNSAFE"]

SESSION_COOKIE = "zhizao_session"
PRE_CSRF_COOKIE = "zhizao_login_csrf"
LANG_COOKIE = "zhizao_lang"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ROLE_ZH = {"admin": "管理员", "official": "政府用户", "enterprise": "企业用户", "provider": "服务机构",
           "auditor": "审计员"}


@dataclass(frozen=True)
class Viewer:
    user: object                 # zhizao.accounts.service.UserInfo
    scope: Scope
    csrf: str | None             # None for token clients
    via: str                     # "session" | "token"
    session_token: str | None = None

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def id(self) -> int:
        return self.user.id


class LoginRequired(Exception):
    """A page asked for without a login: the app redirects to ``/login?next=…``."""

    def __init__(self, next_url: str):
        self.next_url = next_url


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def viewer_or_none(request: Request) -> Viewer | None:
    """The request's viewer (cached on the request), or None without a valid login."""
    if hasattr(request.state, "viewer"):
        return request.state.viewer
    platform = request.app.state.platform
    viewer = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
        user = platform.accounts.token_user(token) if token else None
        if user is None:
            raise Unauthorized("API 令牌无效、已过期或已吊销", "the API token is invalid, expired or revoked",
                               where="Authorization")
        viewer = Viewer(user, user.scope, None, "token")
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            got = platform.accounts.session_user(token)
            if got is not None:
                user, csrf = got
                viewer = Viewer(user, user.scope, csrf, "session", token)
    request.state.viewer = viewer
    return viewer


def api_viewer(request: Request) -> Viewer:
    """FastAPI dependency of every API route: the viewer, else 401; CSRF checked on unsafe calls
    made with a session cookie."""
    v = viewer_or_none(request)
    if v is None:
        raise Unauthorized("请先登录（会话 Cookie 或 API 令牌）", "log in first (a session cookie or an API token)",
                           where="Authorization")
    if request.method in UNSAFE and v.via == "session":
        check_csrf(v, request.headers.get("x-csrf-token"))
    return v


def page_viewer(request: Request) -> Viewer:
    """Dependency of every page: the viewer, else a redirect to the login page."""
    v = viewer_or_none(request)
    if v is None:
        raise LoginRequired(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    return v


def check_csrf(viewer: Viewer, token: str | None) -> None:
    if viewer.via != "session":
        return
    if not token or not viewer.csrf or not hmac.compare_digest(str(token), viewer.csrf):
        raise Forbidden("缺少或错误的 CSRF 令牌：请刷新页面后重试",
                        "missing or wrong CSRF token: reload the page and try again", where="csrf_token")


def require_role(viewer: Viewer, *roles: str) -> None:
    """``Forbidden`` unless the viewer has one of ``roles``."""
    if viewer.role not in roles:
        need = "、".join(ROLE_ZH.get(r, r) for r in roles)
        raise Forbidden(f"此操作需要以下角色之一：{need}", f"this needs one of the roles: {', '.join(roles)}",
                        where=viewer.role)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, form_token: str | None) -> None:
    cookie = request.cookies.get(PRE_CSRF_COOKIE)
    if not cookie or not form_token or not hmac.compare_digest(cookie, str(form_token)):
        raise Forbidden("登录表单已过期（CSRF）：请刷新页面后重试", "the login form expired (CSRF): reload and try again",
                        where="csrf_token")


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("zh", "en") else "zh"


def cookie_secure(request: Request) -> bool:
    s = request.app.state.platform.settings.cookie_secure
    if s is not None:
        return bool(s)
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
