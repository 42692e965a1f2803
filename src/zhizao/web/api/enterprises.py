"""Enterprises: search (paged, filtered, downloadable) and one enterprise's profile (一企一档)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query

from zhizao.services import enterprises as svc_enterprises
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, download
from zhizao.web.tables import page_json

router = APIRouter(tags=["enterprises 企业"])


@router.get("/enterprises", summary="Search enterprises / 企业检索")
def search(c: Ctx = Depends(ctx), q: str | None = Query(None, max_length=100, description="name or USCC prefix"),
           region: str | None = Query(None, max_length=12, description="GB/T 2260 code (any level)"),
           industry: str | None = Query(None, max_length=4, description="GB/T 4754 prefix"),
           status: str | None = Query(None, max_length=20), tier: str | None = Query(None, max_length=20),
           page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    filters = {"q": q, "region": region, "industry": industry, "status": status, "tier": tier}
    if format != "json":
        cols, batches = c.call(svc_enterprises.search_rows, c.scope, **filters)
        return download(c, format, "enterprises", cols, batches, what="enterprises", filters=filters,
                        synthetic=c.synthetic)
    got = c.call(svc_enterprises.search, c.scope, **filters, page=page, page_size=page_size)
    return page_json(got, synthetic=c.synthetic)


@router.get("/enterprises/{uscc}", summary="One enterprise's profile / 一企一档")
def profile(uscc: str, c: Ctx = Depends(ctx), year: int | None = Query(None, ge=1990, le=2100)):
    p = c.call(svc_enterprises.profile, c.scope, uscc, year=year)
    out = asdict(p)
    out["indicators"] = page_json(p.indicators)
    return out
