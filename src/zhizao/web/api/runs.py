"""Runs: where a figure came from (lever, method and its hash, years, parameters, rows, when)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query

from zhizao.services import runs as svc_runs
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, download
from zhizao.web.tables import page_json

router = APIRouter(tags=["runs 计算批次"])


def _run(r) -> dict:
    d = asdict(r)
    return {k: (str(v) if k == "created_at" else v) for k, v in d.items()}


@router.get("/runs", summary="Recorded result runs / 计算批次")
def list_runs(c: Ctx = Depends(ctx), lever: str | None = Query(None, max_length=30),
              current: bool = True, page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    if format != "json":
        got = c.call(svc_runs.runs_page, lever=lever, current=current, page_size=0)
        return download(c, format, "runs", got.columns, iter([got.rows]), what="runs",
                        filters={"lever": lever, "current": current}, synthetic=False)
    return page_json(c.call(svc_runs.runs_page, lever=lever, current=current, page=page, page_size=page_size))


@router.get("/runs/{run_id}", summary="One run / 单个批次")
def get_run(run_id: str, c: Ctx = Depends(ctx)):
    return _run(c.call(svc_runs.get, run_id))
