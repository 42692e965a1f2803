"""Rendering pages: the Jinja2 environment, the base context every page gets (language, viewer,
navigation by role, the synthetic-data banner, the CSRF token) and the error page."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from zhizao.errors import ZhizaoError
from zhizao.web.auth import LANG_COOKIE, ROLE_ZH, Viewer, cookie_secure, lang_of, viewer_or_none
from zhizao.web.nav import NAV
from zhizao.web.tables import display, header, unit_label

__all__ = ["render", "error_page", "templates", "safe_next"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["header"] = header
templates.env.filters["cell"] = display
templates.env.filters["unit"] = unit_label


def _verdict(v, lang: str = "zh") -> str:
    from zhizao.policy.explain import VERDICT_EN, VERDICT_ZH

    if v is None:
        return "—"
    return (VERDICT_ZH if lang == "zh" else VERDICT_EN).get(v, v)


_SECTION = {"applies": ("适用", "applies"), "other_region": ("其他地区政策", "another region's"),
            "needs_run": ("需先计算", "needs a run"), "errors": ("出错", "error")}
templates.env.filters["verdict"] = _verdict
templates.env.filters["section"] = lambda s, lang="zh": _SECTION.get(s, (s, s))[0 if lang == "zh" else 1]


def safe_next(url: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //) may be a redirect target."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


def render(request: Request, name: str, viewer: Viewer | None = None, status_code: int = 200, **ctx):
    lang = lang_of(request)
    platform = request.app.state.platform
    synthetic = False
    if viewer is not None:
        try:
            synthetic = platform.synthetic()
        except ZhizaoError:
            synthetic = False
    nav = [(p, zh if lang == "zh" else en) for p, zh, en, roles in NAV if viewer is not None and viewer.role in roles]
    resp = templates.TemplateResponse(request, name, {
        "lang": lang, "zh": lang == "zh", "viewer": viewer, "nav": nav, "synthetic": synthetic,
        "role_name": (ROLE_ZH.get(viewer.role, viewer.role) if lang == "zh" else viewer.role) if viewer else None,
        "csrf": viewer.csrf if viewer else None, "path": request.url.path, **ctx}, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        resp.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax",
                        secure=cookie_secure(request))
    return resp


def error_page(request: Request, status: int, zh: str, en: str, headers: dict | None = None):
    try:
        viewer = viewer_or_none(request)
    except ZhizaoError:
        viewer = None
    resp = render(request, "error.html", viewer, status_code=status, status=status, message_zh=zh, message_en=en,
                  request_id=getattr(request.state, "request_id", None))
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


