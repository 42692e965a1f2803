"""Liveness: answers without a login and without touching the warehouse (load balancers, the
benchmark's floor)."""

from __future__ import annotations

from fastapi import APIRouter

import zhizao

router = APIRouter(tags=["health 状态"])


@router.get("/health", summary="Liveness / 运行状态")
def health():
    return {"ok": True, "version": zhizao.__version__}
