"""产业集群 (industrial clusters): the cluster definitions, the indices of the region × industry
matrix, the tiers and 大而不强 diagnosis, one cluster's profile and the candidates — for
administrators, officials and auditors; cluster figures and cells outside the viewer's scope
under disclosure control, leading firms named only inside it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, Query

from zhizao.services import clusters_reads
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, download, listing
from zhizao.web.api.land import json_safe
from zhizao.web.auth import require_role
from zhizao.web.tables import page_json, run_json

router = APIRouter(tags=["clusters 产业集群"])

READERS = ("admin", "official", "auditor")
YearQ = Query(None, ge=1990, le=2100, description="year (default: the latest) / 年度")
RegionQ = Query(None, max_length=12, description="GB/T 2260 code (any level) / 区划代码")
Measure = Literal["employees", "gross_output", "value_added", "revenue", "firms"]
Regions = Literal["county", "prefecture"]
Industries = Literal["division", "group", "class"]


def _kp(c: Ctx) -> dict:
    return {"k": c.settings.disclosure_k, "p": c.settings.disclosure_p}


@router.get("/clusters", summary="Cluster definitions / 集群名录")
def list_clusters(c: Ctx = Depends(ctx), q: str | None = Query(None, max_length=60), region: str | None = RegionQ,
                  page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"q": q, "region": region}
    if format != "json":
        cols, batches = c.call(clusters_reads.clusters_rows, c.scope, **filters)
        return download(c, format, "clusters", cols, batches, what="clusters.list", filters=filters,
                        synthetic=c.synthetic)
    return page_json(c.call(clusters_reads.clusters_page, c.scope, **filters, page=page, page_size=page_size),
                     synthetic=c.synthetic)


@router.get("/clusters/indices", summary="Region × industry indices / 地区产业指标")
def indices(c: Ctx = Depends(ctx), year: int | None = YearQ, measure: Measure = "employees",
            regions: Regions = "county", industries: Industries = "division",
            table: Literal["cells", "regions", "industries"] = "cells", region: str | None = RegionQ,
            industry: str | None = Query(None, max_length=4), page: int = PageQ, page_size: int = SizeQ,
            format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "measure": measure, "regions": regions, "industries": industries, "table": table,
               "region": region, "industry": industry}
    if format != "json":
        cols, batches = c.call(clusters_reads.indices_rows, c.scope, **filters, **_kp(c))
        return download(c, format, f"cluster-{table}", cols, batches, what="clusters.indices", filters=filters,
                        synthetic=c.synthetic)
    got = c.call(clusters_reads.indices_page, c.scope, **filters, **_kp(c), page=page, page_size=page_size)
    return page_json(got, synthetic=c.synthetic)


@router.get("/clusters/diagnosis", summary="Tiers and 大而不强 diagnosis / 集群梯度与诊断")
def diagnosis(c: Ctx = Depends(ctx), year: int | None = YearQ, tier: str | None = Query(None, max_length=30),
              verdict: str | None = Query(None, max_length=30), page: int = PageQ, page_size: int = SizeQ,
              format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "tier": tier, "verdict": verdict}
    return listing(c, format, page_fn=clusters_reads.diagnosis_page,
                   rows_fn=clusters_reads.diagnosis_rows,
                   stem="cluster-diagnosis", what="clusters.diagnosis",
                   filters=filters, page=page, page_size=page_size, extra=_kp(c))


@router.get("/clusters/candidates", summary="Detected clusters and new stars / 集群候选与新星产业")
def candidates(c: Ctx = Depends(ctx), year: int | None = YearQ, kind: Literal["detected", "new_stars"] = "detected",
               measure: Measure = "employees", regions: Regions = "county", industries: Industries = "group",
               region: str | None = RegionQ, page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "kind": kind, "measure": measure, "regions": regions, "industries": industries,
               "region": region}
    if format != "json":
        cols, batches = c.call(clusters_reads.candidates_rows, c.scope, **filters, **_kp(c))
        return download(c, format, f"cluster-{kind}", cols, batches, what="clusters.candidates", filters=filters,
                        synthetic=c.synthetic)
    got = c.call(clusters_reads.candidates_page, c.scope, **filters, **_kp(c), page=page, page_size=page_size)
    return page_json(got, synthetic=c.synthetic)


@router.get("/clusters/{cluster_id}", summary="One cluster / 单个集群画像")
def profile(cluster_id: str, c: Ctx = Depends(ctx), year: int | None = YearQ):
    require_role(c.viewer, *READERS)
    got = c.call(clusters_reads.profile, c.scope, cluster_id, year=year, lang=c.lang, **_kp(c))
    out = asdict(got)
    out["run"] = run_json(got.run)
    return json_safe(out)
