"""The supply-chain pages (产业链): chokepoints and their buyers, chain leaders, cluster resilience
(administrators, officials, auditors), and the shock simulation (administrators and officials):
a form (POST with the session's CSRF token) that queues a background job, then the job's page,
refreshed by ``<meta http-equiv="refresh">`` (no script: the CSP allows none inline) until the
result is there."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhizao.errors import NotFound
from zhizao.services import chains_reads
from zhizao.web.api.chains import READERS, SHOCKERS, submit_shock
from zhizao.web.api.common import Ctx
from zhizao.web.auth import Viewer, check_csrf, lang_of, page_viewer, require_role
from zhizao.web.render import render
from zhizao.web.views.land import PAGE_SIZE, REGION, YEAR, Field, as_int, clean, page_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

REFRESH_S = 2
TABS = (("/chains/chokepoints", "卡脖子环节", "Chokepoints"), ("/chains/chokepoints/buyers", "卡脖子产品买方", "Buyers"),
        ("/chains/leaders", "链主候选", "Chain leaders"), ("/chains/resilience", "集群韧性", "Resilience"),
        ("/chains/shock", "冲击模拟", "Shock simulation"))


def _kp(request):
    s = request.app.state.platform.settings
    return {"k": s.disclosure_k, "p": s.disclosure_p}


@router.get("/chains", response_class=HTMLResponse)
def chains_home(viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *READERS)
    return RedirectResponse("/chains/chokepoints", status_code=303)


@router.get("/chains/chokepoints", response_class=HTMLResponse)
def chokepoints(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
                product: str | None = Query(None, max_length=4), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "product": product})
    got = request.app.state.platform.call(chains_reads.chokepoints_page, viewer.scope,
                                          **{**values, "year": as_int(values["year"], "year")}, **_kp(request),
                                          page=page, page_size=PAGE_SIZE)
    return page_of(request, viewer, title=("卡脖子环节", "Chokepoints"), tabs=TABS, table=got,
                   fields=(YEAR, Field("product", "产品代码", "Product", maxlength=4, size=5)), values=values,
                   api="/api/v1/chains/chokepoints", links={"product": "/chains/chokepoints/buyers?product="},
                   controlled=not viewer.scope.all_regions)


@router.get("/chains/chokepoints/buyers", response_class=HTMLResponse)
def chokepoint_buyers(request: Request, viewer: Viewer = Depends(page_viewer),
                      year: str | None = Query(None, max_length=6), product: str | None = Query(None, max_length=4),
                      region: str | None = Query(None, max_length=12), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "product": product, "region": region})
    got = request.app.state.platform.call(chains_reads.chokepoint_buyers_page, viewer.scope,
                                          **{**values, "year": as_int(values["year"], "year")}, page=page,
                                          page_size=PAGE_SIZE)
    return page_of(request, viewer, title=("卡脖子产品买方（辖区内）", "Buyers of the chokepoints (in your scope)"),
                   tabs=TABS, table=got, fields=(YEAR, Field("product", "产品代码", "Product", maxlength=4, size=5),
                                                 REGION),
                   values=values, api="/api/v1/chains/chokepoints/buyers", links={"buyer_uscc": "/enterprises/"})


@router.get("/chains/leaders", response_class=HTMLResponse)
def leaders(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
            region: str | None = Query(None, max_length=12), cluster: str | None = Query(None, max_length=60),
            sector: str | None = Query(None, max_length=4), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "region": region, "cluster": cluster, "sector": sector})
    got = request.app.state.platform.call(chains_reads.leaders_page, viewer.scope,
                                          **{**values, "year": as_int(values["year"], "year")}, page=page,
                                          page_size=PAGE_SIZE)
    fields = (YEAR, REGION, Field("cluster", "集群", "Cluster", maxlength=60, size=14),
              Field("sector", "行业代码", "Sector", maxlength=4, size=5))
    return page_of(request, viewer, title=("链主候选（辖区内）", "Chain-leader candidates (in your scope)"), tabs=TABS,
                   table=got, fields=fields, values=values, api="/api/v1/chains/leaders",
                   links={"uscc": "/enterprises/", "cluster": "/clusters/"})


@router.get("/chains/resilience", response_class=HTMLResponse)
def resilience(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
               page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year})
    got = request.app.state.platform.call(chains_reads.resilience_page, viewer.scope,
                                          year=as_int(values["year"], "year"), **_kp(request), page=page,
                                          page_size=PAGE_SIZE)
    return page_of(request, viewer, title=("集群韧性（拆不散、搬不走、压不垮）", "Cluster resilience"), tabs=TABS,
                   table=got, fields=(YEAR,), values=values, api="/api/v1/chains/resilience",
                   links={"group_id": "/clusters/"}, controlled=not viewer.scope.all_regions)


# --- the shock ---------------------------------------------------------------------------------------
@router.get("/chains/shock", response_class=HTMLResponse)
def shock_form(request: Request, viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *READERS)
    return render(request, "chains_shock.html", viewer, tabs=TABS, can_run=viewer.role in SHOCKERS,
                  max_firms=chains_reads.MAX_SHOCK_FIRMS, max_days=chains_reads.MAX_SHOCK_DAYS)


@router.post("/chains/shock")
def shock_submit(request: Request, viewer: Viewer = Depends(page_viewer), csrf_token: str = Form("", max_length=100),
                 county: str = Form("", max_length=6), firms: str = Form("", max_length=8000),
                 capacity: float = Form(0.5, gt=0, le=1), days: int = Form(60, ge=1, le=365),
                 rationing: str = Form("proportional", max_length=20)):
    require_role(viewer, *SHOCKERS)
    check_csrf(viewer, csrf_token)
    listed = [f for f in re.split(r"[\s,;，；、]+", firms) if f]
    job = submit_shock(Ctx(request, viewer, lang_of(request)), county=county.strip() or None, firms=listed,
                       capacity=capacity, days=days, rationing=rationing)
    return RedirectResponse(f"/chains/shock/jobs/{job.id}", status_code=303)


@router.get("/chains/shock/jobs/{job_id}", response_class=HTMLResponse)
def shock_job(request: Request, job_id: str, viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *READERS)
    job = request.app.state.platform.jobs.get(job_id[:40], None if viewer.role == "admin" else viewer.id)
    if job.kind != "chains.shock":
        raise NotFound(f"没有冲击模拟任务 {job_id}", f"no shock job {job_id}", where=job_id)
    running = job.state in ("queued", "running")
    result = job.result if job.state == "done" else None
    marks = ()
    if result and result.get("curve"):
        days = {1, 3, 7, 14, 30, 60, 90, 180, 365, result["days"]}
        marks = tuple(x for x in result["curve"] if x["day"] in days)
    return render(request, "chains_shock_job.html", viewer, tabs=TABS, job=job, running=running, refresh=REFRESH_S,
                  result=result, marks=marks, error=job.error)
