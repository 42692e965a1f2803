"""Administration: users (administrators) and the audit log (administrators and auditors)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from zhizao.web.api.account import user_json
from zhizao.web.api.common import Ctx, PageQ, SizeQ, ctx
from zhizao.web.auth import client_ip, require_role

router = APIRouter(tags=["admin 管理"])


@router.get("/users", summary="Users / 用户列表")
def users(c: Ctx = Depends(ctx)):
    require_role(c.viewer, "admin")
    return [user_json(u) for u in c.platform.accounts.list_users()]


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Literal["admin", "official", "enterprise", "provider", "auditor"]
    display_name: str | None = Field(None, max_length=100)
    jurisdiction: list[str] = Field(default_factory=list, max_length=200)
    uscc: str | None = Field(None, max_length=18)
    provider_id: str | None = Field(None, max_length=64)


@router.post("/users", summary="Add a user / 新增用户", status_code=201)
def add_user(body: UserCreate, c: Ctx = Depends(ctx)):
    require_role(c.viewer, "admin")
    u = c.platform.accounts.add_user(body.username, body.password, body.role, display_name=body.display_name,
                                     jurisdiction=tuple(body.jurisdiction), uscc=body.uscc,
                                     provider_id=body.provider_id, actor=c.viewer.user, ip=client_ip(c.request))
    return user_json(u)


@router.post("/users/{username}/disable", summary="Disable a user / 停用用户")
def disable_user(username: str, c: Ctx = Depends(ctx)):
    require_role(c.viewer, "admin")
    c.platform.accounts.disable_user(username, actor=c.viewer.user, ip=client_ip(c.request))
    return {"ok": True}


@router.get("/audit", summary="Audit log / 审计日志")
def audit(c: Ctx = Depends(ctx), action: str | None = Query(None, max_length=40),
          username: str | None = Query(None, max_length=64), since: datetime | None = None,
          page: int = PageQ, page_size: int = SizeQ):
    require_role(c.viewer, "admin", "auditor")
    rows = c.platform.accounts.list_audit(action=action, username=username, since=since, limit=page_size,
                                          offset=(page - 1) * page_size)
    return {"rows": [{k: (str(getattr(e, k)) if k == "at" else getattr(e, k)) for k in e.__dataclass_fields__}
                     for e in rows], "page": page, "page_size": page_size}
