"""The viewer's own account: who am I, my scope, password change, API tokens, logout."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from zhizao.web.api.common import Ctx, ctx
from zhizao.web.auth import SESSION_COOKIE, client_ip

router = APIRouter(tags=["account 账户"])


def user_json(u) -> dict:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "jurisdiction": list(u.jurisdiction), "uscc": u.uscc, "provider_id": u.provider_id,
            "disabled": u.disabled}


@router.get("/me", summary="Who am I / 当前用户")
def me(c: Ctx = Depends(ctx)):
    return {**user_json(c.viewer.user), "scope_zh": c.scope.describe("zh"), "scope_en": c.scope.describe("en"),
            "via": c.viewer.via}


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


@router.post("/me/password", summary="Change my password (ends every session) / 修改密码")
def change_password(body: PasswordChange, response: Response, c: Ctx = Depends(ctx)):
    c.platform.accounts.change_password(c.viewer.user, body.old_password, body.new_password,
                                        ip=client_ip(c.request))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    days: int | None = Field(None, ge=1, le=3650)


def token_json(t) -> dict:
    return {k: (str(v) if v is not None and k.endswith("_at") else v) for k, v in vars(t).items()} \
        if not hasattr(t, "__dataclass_fields__") else \
        {k: (str(getattr(t, k)) if getattr(t, k) is not None and k.endswith("_at") else getattr(t, k))
         for k in t.__dataclass_fields__}


@router.get("/me/tokens", summary="My API tokens / 我的 API 令牌")
def list_tokens(c: Ctx = Depends(ctx)):
    return [token_json(t) for t in c.platform.accounts.list_tokens(c.viewer.user.username)]


@router.post("/me/tokens", summary="Create an API token (shown once) / 创建 API 令牌", status_code=201)
def create_token(body: TokenCreate, c: Ctx = Depends(ctx)):
    plain, info = c.platform.accounts.create_token(c.viewer.user.username, body.name, days=body.days,
                                                   actor=c.viewer.user, ip=client_ip(c.request))
    return {"token": plain, **token_json(info)}


@router.delete("/me/tokens/{token_id}", summary="Revoke an API token / 吊销令牌")
def revoke_token(token_id: int = Path(ge=1, le=2**53), c: Ctx = Depends(ctx)):
    c.platform.accounts.revoke_token(token_id, actor=c.viewer.user, ip=client_ip(c.request))
    return {"ok": True}


@router.post("/logout", summary="End this session / 退出登录")
def logout(response: Response, c: Ctx = Depends(ctx)):
    if c.viewer.session_token:
        c.platform.accounts.logout(c.viewer.session_token, ip=client_ip(c.request))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}
