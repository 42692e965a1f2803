"""The policy pages (政策): the library, one policy (its rules and clauses; for administrators,
officials and auditors also the verdict counts and the push list of their scope), one enterprise's
explanation, and the policy calculator (a form generated from what the policy reads, prefilled
from an enterprise in the viewer's scope on request; POST with the session's CSRF token).

Each route calls one operation of ``zhizao.services.policy_reads`` and renders it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from zhizao.services import policy_reads as svc
from zhizao.web.auth import Viewer, check_csrf, page_viewer, require_role
from zhizao.web.render import render

router = APIRouter(include_in_schema=False)

READERS = ("admin", "official", "auditor")
EXPLAINERS = (*READERS, "enterprise")
#: prefix of the calculator form's figure fields (``fig:main_revenue``)
FIG = "fig:"


def _helpers() -> dict:
    """What the templates format the explanation tree and the gap with (renderers only)."""
    from zhizao.policy.explain import VERDICT_EN, VERDICT_ZH, format_value
    from zhizao.policy.gap import render_gap

    return {"fmt": format_value, "verdict_zh": VERDICT_ZH, "verdict_en": VERDICT_EN, "render_gap": render_gap}


def _call(request: Request, fn, *args, **kwargs):
    return request.app.state.platform.call(fn, *args, **kwargs)


@router.get("/policies", response_class=HTMLResponse)
def library(request: Request, viewer: Viewer = Depends(page_viewer), q: str | None = Query(None, max_length=100),
            applies_in: str | None = Query(None, max_length=12), page: int = Query(1, ge=1, le=100_000)):
    got = _call(request, svc.library_page, q=q, applies_in=applies_in, page=page, page_size=100)
    query = f"q={quote(q or '')}&applies_in={quote(applies_in or '')}"
    return render(request, "policies_library.html", viewer, table=got, q=q, applies_in=applies_in, query=query)


@router.get("/policies/calculator", response_class=HTMLResponse)
def calculator(request: Request, viewer: Viewer = Depends(page_viewer),
               policy: str | None = Query(None, max_length=64), year: int | None = Query(None, ge=1990, le=2100),
               uscc: str | None = Query(None, max_length=40)):
    got = _call(request, svc.calculator_form, viewer.scope, policy or None, year=year, uscc=uscc or None)
    return render(request, "policies_calculator.html", viewer, form=got, fig=FIG, **_helpers())


def _submitted(request: Request, viewer: Viewer, data: dict):
    policy = str(data.get("policy") or "")[:64]
    year_text = str(data.get("year") or "").strip()
    year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
    figures = {k[len(FIG):]: v for k, v in data.items() if k.startswith(FIG) and isinstance(v, str)}
    got = _call(request, svc.calculator_submit, viewer.scope, policy, figures, year=year)
    status = 422 if got.error_zh else 200
    return render(request, "policies_calculator.html", viewer, status_code=status, form=got, fig=FIG, **_helpers())


@router.post("/policies/calculator", response_class=HTMLResponse)
async def calculator_post(request: Request, viewer: Viewer = Depends(page_viewer)):
    form = await request.form(max_files=0, max_fields=svc.MAX_FIGURES + 10, max_part_size=64 * 1024)
    data = {k: v for k, v in form.items()}
    check_csrf(viewer, data.get("csrf_token") if isinstance(data.get("csrf_token"), str) else None)
    return await run_in_threadpool(_submitted, request, viewer, data)


@router.get("/policies/{policy_id}", response_class=HTMLResponse)
def policy_page(request: Request, policy_id: str, viewer: Viewer = Depends(page_viewer),
                year: int | None = Query(None, ge=1990, le=2100), region: str | None = Query(None, max_length=12),
                page: int = Query(1, ge=1, le=100_000)):
    s = request.app.state.platform.settings
    got = _call(request, svc.overview, viewer.scope, policy_id, year=year, region=region or None,
                with_counts=viewer.role in READERS, page=page, page_size=50, k=s.disclosure_k, p=s.disclosure_p)
    query = f"year={year or ''}&region={quote(region or '')}"
    return render(request, "policies_detail.html", viewer, o=got, region=region, year=year, query=query,
                  **_helpers())


@router.get("/policies/{policy_id}/explain/{uscc}", response_class=HTMLResponse)
def explain_page(request: Request, policy_id: str, uscc: str, viewer: Viewer = Depends(page_viewer),
                 year: int | None = Query(None, ge=1990, le=2100)):
    require_role(viewer, *EXPLAINERS)
    got = _call(request, svc.explain, viewer.scope, policy_id, uscc, year=year)
    return render(request, "policies_explain.html", viewer, e=got, **_helpers())
