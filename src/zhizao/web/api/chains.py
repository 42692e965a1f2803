"""产业链供应链 (supply chains): chokepoints ranked by dependent output, their buyers, chain
leaders, cluster resilience, and the shock simulation as a background job — for administrators,
officials and auditors (the shock: administrators and officials); firm rows only inside the
viewer's scope, sums over firms outside it under disclosure control."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from zhizao.services import chains_reads
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, listing
from zhizao.web.auth import require_role

router = APIRouter(tags=["chains 产业链供应链"])

READERS = ("admin", "official", "auditor")
#: who may run a shock (it records a run): not the read-only auditor
SHOCKERS = ("admin", "official")
YearQ = Query(None, ge=1990, le=2100, description="year of the supply links (default: the latest) / 年度")
RegionQ = Query(None, max_length=12, description="GB/T 2260 code (any level) / 区划代码")


def _kp(c: Ctx) -> dict:
    return {"k": c.settings.disclosure_k, "p": c.settings.disclosure_p}


@router.get("/chains/chokepoints", summary="Chokepoints / 卡脖子环节")
def chokepoints(c: Ctx = Depends(ctx), year: int | None = YearQ,
                product: str | None = Query(None, max_length=4, description="GB/T 4754 prefix / 产品"),
                page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "product": product}
    return listing(c, format, page_fn=chains_reads.chokepoints_page,
                   rows_fn=chains_reads.chokepoints_rows,
                   stem="chain-chokepoints", what="chains.chokepoints",
                   filters=filters, page=page, page_size=page_size, extra=_kp(c))


@router.get("/chains/chokepoints/buyers", summary="Buyers of the chokepoints / 卡脖子产品买方")
def chokepoint_buyers(c: Ctx = Depends(ctx), year: int | None = YearQ,
                      product: str | None = Query(None, max_length=4), region: str | None = RegionQ,
                      page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "product": product, "region": region}
    return listing(c, format, page_fn=chains_reads.chokepoint_buyers_page,
                   rows_fn=chains_reads.chokepoint_buyers_rows,
                   stem="chain-chokepoint-buyers", what="chains.chokepoint_buyers",
                   filters=filters, page=page, page_size=page_size)


@router.get("/chains/leaders", summary="Chain leaders / 链主候选")
def leaders(c: Ctx = Depends(ctx), year: int | None = YearQ, region: str | None = RegionQ,
            cluster: str | None = Query(None, max_length=60), sector: str | None = Query(None, max_length=4),
            page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "region": region, "cluster": cluster, "sector": sector}
    return listing(c, format, page_fn=chains_reads.leaders_page,
                   rows_fn=chains_reads.leaders_rows,
                   stem="chain-leaders", what="chains.leaders",
                   filters=filters, page=page, page_size=page_size)


@router.get("/chains/resilience", summary="Cluster resilience / 集群韧性")
def resilience(c: Ctx = Depends(ctx), year: int | None = YearQ, page: int = PageQ, page_size: int = SizeQ,
               format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year}
    return listing(c, format, page_fn=chains_reads.resilience_page,
                   rows_fn=chains_reads.resilience_rows,
                   stem="chain-resilience", what="chains.resilience",
                   filters=filters, page=page, page_size=page_size, extra=_kp(c))


USCC = Annotated[str, StringConstraints(min_length=1, max_length=18)]


class ShockIn(BaseModel):
    """A shock to simulate: a county and / or firms at a capacity share for some days."""

    county: str | None = Field(None, max_length=6, description="GB/T 2260 county code / 受冲击区县")
    firms: list[USCC] = Field(default_factory=list, max_length=chains_reads.MAX_SHOCK_FIRMS,
                              description="USCCs of the firms hit (inside your scope, at most 200) / 受冲击企业")
    capacity: float = Field(0.5, gt=0, le=1, description="share of capacity left, (0, 1] / 剩余产能比例")
    days: int = Field(60, ge=1, le=chains_reads.MAX_SHOCK_DAYS, description="days simulated, 1–365 / 模拟天数")
    rationing: Literal["proportional", "soothing"] = "proportional"


def submit_shock(c: Ctx, *, county, firms, capacity, days, rationing="proportional"):
    """Check the shock now (422 / 404 before anything is queued) and run it as a background job of
    the viewer: the job's function makes its warehouse calls through ``Platform.call`` (the
    lock); the result is what the viewer's scope may see."""
    require_role(c.viewer, *SHOCKERS)
    req = c.call(chains_reads.check_shock, c.scope, county=county, firms=firms, capacity=capacity, days=days,
                 rationing=rationing)
    platform, scope, kp = c.platform, c.scope, _kp(c)

    def run(progress):
        progress("simulate", 0.1)
        got = platform.call(chains_reads.shock_job, scope, req, **kp)
        progress("done", 1.0)
        return got.to_dict()

    job = platform.jobs.submit("chains.shock", c.viewer.id, run)
    c.audit("chains.shock", job.id, {"county": req.county, "firms": len(req.firms), "capacity": req.capacity,
                                     "days": req.days})
    return job


@router.post("/chains/shock", status_code=202, summary="Simulate a shock (background job) / 供应链冲击模拟")
def shock(body: ShockIn, c: Ctx = Depends(ctx)):
    job = submit_shock(c, county=body.county, firms=body.firms, capacity=body.capacity, days=body.days,
                       rationing=body.rationing)
    return JSONResponse(job.to_dict(), status_code=202, headers={"Location": f"/api/v1/jobs/{job.id}"})
