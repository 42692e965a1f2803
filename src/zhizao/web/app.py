"""The web platform (``zhizao serve``): ``create_app(settings)`` builds the FastAPI app — the JSON API
under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``) and the pages — over one warm service and
the account service.

Every route parses, calls one service (through ``Platform.call``, under the warehouse lock) and
renders; nothing is computed in a route. Errors: a domain error answers its status with
``{error, message_zh, message_en, where, request_id}``; a request that does not validate answers
422 naming the field; anything else answers 500 with only the request id, and the trace goes to
the server log under that id. No stack trace, SQL or path reaches a client.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhizao.errors import Throttled, Unauthorized, ZhizaoError
from zhizao.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("zhizao.web")

API = "/api/v1"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(API) and "text/html" in request.headers.get("accept", "text/html")


def _error_body(request: Request, body: dict) -> dict:
    return {**body, "request_id": getattr(request.state, "request_id", None)}


def _validation_message(errors: list) -> tuple[str, str, str]:
    first = errors[0] if errors else {}
    loc = ".".join(str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path"))
    msg = first.get("msg", "invalid")
    return (f"参数 {loc} 无效：{msg}", f"parameter {loc} is not valid: {msg}", loc)


def create_app(settings: Settings | None = None, *, service=None, accounts=None) -> FastAPI:
    """The app over ``settings.db_path`` (and ``settings.oltp_url`` for accounts); ``service`` /
    ``accounts`` may be given already open (tests share one province)."""
    from zhizao.web.auth import LoginRequired
    from zhizao.web.platform import Platform

    settings = settings or Settings.from_env()
    platform = Platform(settings, service=service, accounts=accounts)
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        yield
        platform.close()

    app = FastAPI(title="zhizao 智造 API", version="1", openapi_url=f"{API}/openapi.json", docs_url=None,
                  redoc_url=None, lifespan=lifespan,
                  description="区域制造业政策平台 API：企业、区域汇总、亩均、集群、产业链、政策、批次与导入。"
                              " Regional manufacturing-policy platform: every list is paged, scoped to the "
                              "caller and downloadable (format=csv|xlsx).")
    app.state.platform = platform
    if settings.warm_on_start:
        from zhizao.services import policy as policy_service

        platform.jobs.submit("warm", 0, lambda progress: platform.call(policy_service.warm))

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        rid = request.headers.get("x-request-id")
        request.state.request_id = rid if rid and len(rid) <= 64 and rid.isalnum() else uuid.uuid4().hex[:16]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(API):
            response.headers.setdefault("Content-Security-Policy",
                                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                        "script-src 'self'; frame-ancestors 'none'")
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(ZhizaoError)
    async def domain_error(request: Request, exc: ZhizaoError):
        headers = {}
        if isinstance(exc, Throttled):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Unauthorized) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if exc.http_status >= 500:
            log.error("request %s: %s", getattr(request.state, "request_id", "-"), exc.message)
        if _wants_html(request):
            from zhizao.web.render import error_page

            return error_page(request, exc.http_status, exc.zh, exc.en, headers=headers)
        return JSONResponse(_error_body(request, exc.to_dict()), status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        zh, en, where = _validation_message(exc.errors())
        if _wants_html(request):
            from zhizao.web.render import error_page

            return error_page(request, 422, zh, en)
        return JSONResponse(_error_body(request, {"error": "invalid_input", "message_zh": zh, "message_en": en,
                                                  "where": where}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        zh = {404: "没有这个地址", 405: "不支持此请求方法"}.get(exc.status_code, "请求无效")
        en = {404: "no such address", 405: "method not allowed"}.get(exc.status_code, "bad request")
        if _wants_html(request):
            from zhizao.web.render import error_page

            return error_page(request, exc.status_code, zh, en)
        return JSONResponse(_error_body(request, {"error": "http", "message_zh": zh, "message_en": en,
                                                  "where": request.url.path}), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        rid = getattr(request.state, "request_id", "-")
        log.exception("request %s failed: %s %s", rid, request.method, request.url.path)
        body = {"error": "internal", "message_zh": f"服务器内部错误（请求编号 {rid}）",
                "message_en": f"internal server error (request id {rid})", "where": None}
        return JSONResponse(_error_body(request, body), status_code=500, headers={"X-Request-ID": str(rid)})

    from zhizao.web.api import router as api_router
    from zhizao.web.pages import router as pages_router

    app.include_router(api_router, prefix=API)
    app.include_router(pages_router)
    import importlib

    from zhizao.web.views import AREAS

    for area in AREAS:
        app.include_router(importlib.import_module(f"zhizao.web.views.{area}").router)

    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    return app
