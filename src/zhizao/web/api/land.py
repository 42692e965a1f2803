"""亩均效益 (per-mu performance): the evaluation's classes, the class distribution by county or
industry (disclosure-controlled outside the scope), low-efficiency parcels and redevelopment
progress — for administrators, officials and auditors, within their scope."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query

from zhizao.services import land_reads
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, download, listing
from zhizao.web.auth import require_role
from zhizao.web.tables import page_json, run_json

router = APIRouter(tags=["land 亩均效益"])

#: who may read the area (an enterprise sees its own class in its profile; a provider nothing)
READERS = ("admin", "official", "auditor")

YearQ = Query(None, ge=1990, le=2100, description="evaluation year (default: the latest) / 年度")
MethodQ = Query(None, max_length=60, description="a shipped land method id (default: Zhejiang county) / 评价方法")
RegionQ = Query(None, max_length=12, description="GB/T 2260 code (any level) / 区划代码")


def json_safe(v):
    """``v`` with NaN as None (JSON has no NaN; a ratio over nothing is NaN in the results)."""
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


@router.get("/land/classes", summary="Evaluation rows and classes / 亩均效益评价结果")
def classes(c: Ctx = Depends(ctx), year: int | None = YearQ, method: str | None = MethodQ,
            region: str | None = RegionQ,
            land_class: str | None = Query(None, max_length=8, description="A–D, or none (not graded) / 等级"),
            segment: str | None = Query(None, max_length=30, description="above_scale, below_scale_large … / 分类"),
            industry: str | None = Query(None, max_length=4, description="GB/T 4754 prefix / 行业代码"),
            page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "method": method, "region": region, "land_class": land_class, "segment": segment,
               "industry": industry}
    return listing(c, format, page_fn=land_reads.classes_page,
                   rows_fn=land_reads.classes_rows,
                   stem="land-classes", what="land.classes", filters=filters, page=page, page_size=page_size)


@router.get("/land/distribution", summary="Classes by county or industry / 等级分布（披露控制）")
def distribution(c: Ctx = Depends(ctx), year: int | None = YearQ, method: str | None = MethodQ,
                 by: Literal["county", "industry"] = "county", region: str | None = RegionQ,
                 segment: str | None = Query(None, max_length=30), format: Format = "json"):
    require_role(c.viewer, *READERS)
    s = c.settings
    kw = {"year": year, "method": method, "by": by, "region": region, "segment": segment,
          "k": s.disclosure_k, "p": s.disclosure_p}
    if format != "json":
        cols, batches = c.call(land_reads.distribution_rows, c.scope, **kw)
        return download(c, format, "land-distribution", cols, batches, what="land.distribution",
                        filters={k: v for k, v in kw.items() if k not in ("k", "p")}, synthetic=c.synthetic)
    got = c.call(land_reads.distribution, c.scope, **kw)
    out = asdict(got)
    out["run"] = run_json(got.run)
    return json_safe(out)


@router.get("/land/lowland", summary="Low-efficiency parcels / 低效用地")
def lowland(c: Ctx = Depends(ctx), year: int | None = YearQ, method: str | None = MethodQ,
            region: str | None = RegionQ,
            reason: str | None = Query(None, max_length=40, description="reason code (d_class, low_far …) / 认定理由"),
            five_type: str | None = Query(None, max_length=40, description="one of the five types / 五类低效用地"),
            page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "method": method, "region": region, "reason": reason, "five_type": five_type}
    return listing(c, format, page_fn=land_reads.lowland_page,
                   rows_fn=land_reads.lowland_rows,
                   stem="land-lowland", what="land.lowland", filters=filters, page=page, page_size=page_size)


@router.get("/land/progress", summary="Redevelopment progress / 低效用地再开发进度")
def progress(c: Ctx = Depends(ctx), as_of: date | None = Query(None, description="reference date / 基准日"),
             target: str | None = Query(None, max_length=40), region: str | None = RegionQ,
             page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"as_of": as_of, "target": target, "region": region}
    if format != "json":
        cols, batches = c.call(land_reads.progress_rows, c.scope, **filters)
        return download(c, format, "land-progress", cols, batches, what="land.progress",
                        filters={k: (str(v) if v is not None else None) for k, v in filters.items()},
                        synthetic=c.synthetic)
    got = c.call(land_reads.progress, c.scope, **filters, page=page, page_size=page_size)
    return json_safe({"as_of": got.as_of, "whole_province": got.whole_province, "targets": list(got.targets),
                      "scope_totals": list(got.scope_totals), "counties": page_json(got.counties),
                      "run": run_json(got.run)})
