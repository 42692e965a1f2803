"""Background jobs: state, progress and result of a long operation the viewer started."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from zhizao.web.api.common import Ctx, ctx

router = APIRouter(tags=["jobs 后台任务"])


@router.get("/jobs/{job_id}", summary="A background job / 后台任务")
def get_job(job_id: str, c: Ctx = Depends(ctx)):
    owner = None if c.viewer.role == "admin" else c.viewer.id
    job = c.platform.jobs.get(job_id, owner)
    out = job.to_dict()
    if job.state == "done":
        out["result"] = job.result
    return out
