"""Policies (政策): the library, one policy, its verdict counts and push list within the caller's
scope, one enterprise's explanation, and the policy calculator for a hypothetical enterprise.

Roles: every logged-in role reads the library and uses the calculator; counts and the push list
are for administrators, officials and auditors (others: 403); an explanation is for those and for
an enterprise account (its own enterprise — the scope decides; others answer 404 like an unknown
USCC); a service provider holds no enterprise data (403).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.services import policy_reads as svc_policies
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, download
from zhizao.web.auth import require_role
from zhizao.web.tables import page_json, run_json

router = APIRouter(tags=["policies 政策"])

#: who sees verdict counts and push lists (of the enterprises in their scope)
READERS = ("admin", "official", "auditor")
#: who may ask for an enterprise's explanation (within their scope)
EXPLAINERS = (*READERS, "enterprise")

PolicyId = Annotated[str, Path(max_length=64, description="policy id (see GET /policies) / 政策编号")]
Uscc = Annotated[str, Path(max_length=40, description="the enterprise's USCC / 统一社会信用代码")]
YearQ = Query(None, ge=1990, le=2100, description="evaluation year (default: the latest) / 评价年度")
RegionQ = Query(None, max_length=12, description="GB/T 2260 code (any level) / 区划代码")


def _texts(tree, gap) -> dict:
    from zhizao.policy.explain import render
    from zhizao.policy.gap import render_gap

    return {"text_zh": render(tree, "zh"), "text_en": render(tree, "en"),
            "gap_text_zh": render_gap(gap, "zh") if gap else None,
            "gap_text_en": render_gap(gap, "en") if gap else None}


@router.get("/policies", summary="The policy library / 政策库")
def library(c: Ctx = Depends(ctx), q: str | None = Query(None, max_length=100, description="id or name contains"),
            applies_in: str | None = Query(None, max_length=12, description="policies that apply in this region"),
            page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    if format != "json":
        cols, batches = c.call(svc_policies.library_rows, q=q, applies_in=applies_in)
        return download(c, format, "policies", cols, batches, what="policies",
                        filters={"q": q, "applies_in": applies_in}, synthetic=False)
    return page_json(c.call(svc_policies.library_page, q=q, applies_in=applies_in, page=page, page_size=page_size))


@router.get("/policies/{policy_id}", summary="One policy: rules, clauses, what it reads / 政策详情")
def detail(policy_id: PolicyId, c: Ctx = Depends(ctx), year: int | None = YearQ):
    return asdict(c.call(svc_policies.detail, policy_id, year=year))


@router.get("/policies/{policy_id}/counts", summary="Verdict counts in your scope / 政策符合情况统计")
def counts(policy_id: PolicyId, c: Ctx = Depends(ctx), year: int | None = YearQ, region: str | None = RegionQ,
           by_county: bool = Query(True, description="add the per-county comparison / 分区县对比")):
    require_role(c.viewer, *READERS)
    s = c.settings
    got = c.call(svc_policies.counts, c.scope, policy_id, year=year, region=region, k=s.disclosure_k,
                 p=s.disclosure_p, by_county=by_county)
    out = asdict(got)
    out["run"] = run_json(got.run)
    return out


@router.get("/policies/{policy_id}/push", summary="Push list (免申即享) in your scope / 免申即享推送名单")
def push(policy_id: PolicyId, c: Ctx = Depends(ctx), year: int | None = YearQ, region: str | None = RegionQ,
         q: str | None = Query(None, max_length=100, description="name contains or USCC prefix"),
         route: str | None = Query(None, max_length=64, description="route id"),
         page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READERS)
    filters = {"year": year, "region": region, "q": q, "route": route}
    if format != "json":
        cols, batches = c.call(svc_policies.push_rows, c.scope, policy_id, **filters)
        return download(c, format, f"policy_{policy_id}_push", cols, batches, what=f"policy push {policy_id}",
                        filters=filters, synthetic=c.synthetic)
    got = c.call(svc_policies.push_page, c.scope, policy_id, **filters, page=page, page_size=page_size)
    return page_json(got, synthetic=c.synthetic)


@router.get("/policies/{policy_id}/explain/{uscc}", summary="Why an enterprise is (not) eligible / 政策适用说明")
def explain(policy_id: PolicyId, uscc: Uscc, c: Ctx = Depends(ctx), year: int | None = YearQ):
    require_role(c.viewer, *EXPLAINERS)
    got = c.call(svc_policies.explain, c.scope, policy_id, uscc, year=year)
    return {**asdict(got), **_texts(got.tree, got.gap)}


@router.get("/policies/{policy_id}/calculator", summary="The calculator's inputs for a policy / 政策计算器输入项")
def calculator(policy_id: PolicyId, c: Ctx = Depends(ctx), year: int | None = YearQ,
               uscc: str | None = Query(None, max_length=40, description="prefill with this enterprise's figures "
                                                                          "(in your scope)")):
    got = c.call(svc_policies.calculator_form, c.scope, policy_id, year=year, uscc=uscc)
    return {k: v for k, v in asdict(got).items() if k not in ("policies", "result")}


FigureName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
FigureValue = float | int | Annotated[str, StringConstraints(max_length=200)] | bool | None


class CalculateBody(BaseModel):
    """A hypothetical enterprise: ``figures`` maps warehouse column names (``enterprises`` and
    ``indicators``; an indicator of an earlier year as ``main_revenue@-1``) to values."""

    model_config = ConfigDict(extra="forbid")

    figures: dict[FigureName, FigureValue] = Field(default_factory=dict, max_length=svc_policies.MAX_FIGURES)
    year: int | None = Field(None, ge=1990, le=2100)
    region_code: str | None = Field(None, max_length=12)
    industry_code: str | None = Field(None, max_length=8)


@router.post("/policies/{policy_id}/calculate", summary="Policy calculator (hypothetical enterprise) / 政策计算器")
def calculate(policy_id: PolicyId, body: CalculateBody, c: Ctx = Depends(ctx)):
    got = c.call(svc_policies.calculate, policy_id, dict(body.figures), year=body.year, region_code=body.region_code,
                 industry_code=body.industry_code)
    return {**asdict(got), **_texts(got.tree, got.gap)}
