"""Region aggregates for maps: one indicator by province, prefecture or county, with disclosure
control on the cells the viewer may not see the enterprises of."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, Query

from zhizao.services import regions as svc_regions
from zhizao.web.api.common import Ctx, ctx

router = APIRouter(tags=["regions 区域"])

Indicator = Literal[tuple(svc_regions.INDICATORS)]   # type: ignore[valid-type]


@router.get("/regions/aggregates", summary="Indicator by region / 区域汇总（地图）")
def aggregates(c: Ctx = Depends(ctx), level: Literal["province", "prefecture", "county"] = "county",
               indicator: Indicator = "revenue", year: int | None = Query(None, ge=1990, le=2100),
               within: str | None = Query(None, max_length=12, description="drill down into this region")):
    s = c.settings
    got = c.call(svc_regions.aggregates, c.scope, level=level, indicator=indicator, year=year, within=within,
                 k=s.disclosure_k, p=s.disclosure_p)
    return asdict(got)


@router.get("/regions/indicators", summary="Indicators a map can show / 可选指标")
def indicators(c: Ctx = Depends(ctx)):
    return [{"id": k, "zh": v[0], "en": v[1], "unit": v[2], "controlled": v[4]}
            for k, v in svc_regions.INDICATORS.items()]
