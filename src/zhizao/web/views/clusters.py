"""The cluster pages (产业集群): the cluster definitions, the indices of the region × industry
matrix, tiers and the 大而不强 diagnosis, candidates and new stars, one cluster's profile —
administrators, officials and auditors; cluster figures and cells outside the viewer's scope
under disclosure control (marked ※), leading firms named only inside it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from zhizao.services import clusters_reads
from zhizao.web.api.clusters import READERS
from zhizao.web.auth import Viewer, lang_of, page_viewer, require_role
from zhizao.web.render import render
from zhizao.web.views.land import PAGE_SIZE, REGION, YEAR, Field, as_int, clean, page_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

TABS = (("/clusters", "集群名录", "Clusters"), ("/clusters/indices", "地区产业指标", "Indices"),
        ("/clusters/diagnosis", "梯度与诊断", "Tiers and diagnosis"),
        ("/clusters/candidates", "候选与新星", "Candidates"))
MEASURES = (("employees", "从业人员", "employees"), ("gross_output", "工业总产值", "gross output"),
            ("value_added", "工业增加值", "value added"), ("revenue", "营业收入", "revenue"), ("firms", "企业数", "firms"))
REGION_LEVELS = (("county", "区县", "county"), ("prefecture", "地市", "prefecture"))
INDUSTRY_LEVELS = (("division", "大类", "division"), ("group", "中类", "group"), ("class", "小类", "class"))


def _kp(request):
    s = request.app.state.platform.settings
    return {"k": s.disclosure_k, "p": s.disclosure_p}


@router.get("/clusters", response_class=HTMLResponse)
def clusters(request: Request, viewer: Viewer = Depends(page_viewer), q: str | None = Query(None, max_length=60),
             region: str | None = Query(None, max_length=12), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"q": q, "region": region})
    got = request.app.state.platform.call(clusters_reads.clusters_page, viewer.scope, **values, page=page,
                                          page_size=PAGE_SIZE)
    return page_of(request, viewer, title=("产业集群名录", "Industrial clusters"), tabs=TABS, table=got,
                   fields=(Field("q", "名称", "Name", maxlength=60, size=14), REGION), values=values,
                   api="/api/v1/clusters", links={"id": "/clusters/"},
                   intro=(got.notes[0] if got.notes else "", got.notes[0] if got.notes else ""))


@router.get("/clusters/indices", response_class=HTMLResponse)
def indices(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
            measure: str | None = Query(None, max_length=20), regions: str | None = Query(None, max_length=20),
            industries: str | None = Query(None, max_length=20), table: str | None = Query(None, max_length=20),
            region: str | None = Query(None, max_length=12), industry: str | None = Query(None, max_length=4),
            page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "measure": measure, "regions": regions, "industries": industries, "table": table,
                    "region": region, "industry": industry})
    args = {"year": as_int(values["year"], "year"), "measure": values["measure"] or "employees",
            "regions": values["regions"] or "county", "industries": values["industries"] or "division",
            "table": values["table"] or "cells", "region": values["region"], "industry": values["industry"]}
    got = request.app.state.platform.call(clusters_reads.indices_page, viewer.scope, **args, **_kp(request),
                                          page=page, page_size=PAGE_SIZE)
    fields = (YEAR, Field("table", "表", "Table", (("cells", "地区×行业", "cells"), ("regions", "地区", "regions"),
                                                  ("industries", "行业", "industries")), True),
              Field("measure", "规模口径", "Measure", MEASURES, True),
              Field("regions", "地区层级", "Regions", REGION_LEVELS, True),
              Field("industries", "行业层级", "Industries", INDUSTRY_LEVELS, True), REGION,
              Field("industry", "行业代码", "Industry", maxlength=4, size=5))
    return page_of(request, viewer, title=("地区产业指标", "Region × industry indices"), tabs=TABS, table=got,
                   fields=fields, values=values, api="/api/v1/clusters/indices",
                   controlled=not viewer.scope.all_regions)


@router.get("/clusters/diagnosis", response_class=HTMLResponse)
def diagnosis(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
              tier: str | None = Query(None, max_length=30), verdict: str | None = Query(None, max_length=30),
              page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "tier": tier, "verdict": verdict})
    got = request.app.state.platform.call(clusters_reads.diagnosis_page, viewer.scope,
                                          **{**values, "year": as_int(values["year"], "year")}, **_kp(request),
                                          page=page, page_size=PAGE_SIZE)
    tiers = (("world_class", "世界级", "world class"), ("national", "国家级", "national"),
             ("provincial", "省级", "provincial"), ("new_star", "新星", "new star"), ("none", "未入梯度", "none"))
    verdicts = tuple((v, v, e) for v, e in (("大而强", "big and strong"), ("大而不强", "big but not strong"),
                                           ("小而强", "small but strong"), ("小而弱", "small and weak")))
    fields = (YEAR, Field("tier", "梯度", "Tier", tiers), Field("verdict", "诊断结论", "Verdict", verdicts))
    return page_of(request, viewer, title=("集群梯度与大而不强诊断", "Cluster tiers and diagnosis"), tabs=TABS, table=got,
                   fields=fields, values=values, api="/api/v1/clusters/diagnosis",
                   links={"cluster_id": "/clusters/"}, controlled=not viewer.scope.all_regions)


@router.get("/clusters/candidates", response_class=HTMLResponse)
def candidates(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
               kind: str | None = Query(None, max_length=20), measure: str | None = Query(None, max_length=20),
               regions: str | None = Query(None, max_length=20), industries: str | None = Query(None, max_length=20),
               region: str | None = Query(None, max_length=12), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "kind": kind, "measure": measure, "regions": regions, "industries": industries,
                    "region": region})
    args = {"year": as_int(values["year"], "year"), "kind": values["kind"] or "detected",
            "measure": values["measure"] or "employees", "regions": values["regions"] or "county",
            "industries": values["industries"] or "group", "region": values["region"]}
    got = request.app.state.platform.call(clusters_reads.candidates_page, viewer.scope, **args, **_kp(request),
                                          page=page, page_size=PAGE_SIZE)
    fields = (YEAR, Field("kind", "类别", "Kind", (("detected", "数据识别的集群", "detected clusters"),
                                                 ("new_stars", "新星产业", "new stars")), True),
              Field("measure", "规模口径", "Measure", MEASURES, True),
              Field("regions", "地区层级", "Regions", REGION_LEVELS, True),
              Field("industries", "行业层级", "Industries", INDUSTRY_LEVELS, True), REGION)
    return page_of(request, viewer, title=("集群候选与新星产业", "Cluster candidates and new stars"), tabs=TABS,
                   table=got, fields=fields, values=values, api="/api/v1/clusters/candidates",
                   controlled=not viewer.scope.all_regions)


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: str, viewer: Viewer = Depends(page_viewer),
            year: str | None = Query(None, max_length=6)):
    require_role(viewer, *READERS)
    got = request.app.state.platform.call(clusters_reads.profile, viewer.scope, cluster_id[:80],
                                          year=as_int(clean({"y": year})["y"], "year"), lang=lang_of(request),
                                          **_kp(request))
    return render(request, "clusters_profile.html", viewer, c=got, tabs=TABS)
