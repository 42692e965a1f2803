"""The data pages (数据): upload a file (administrators and officials), watch its import, read the
result; the import history, one batch and the quarantine (administrators, officials, auditors —
an auditor reads, it does not upload).

* ``GET /data`` — the upload form (with the session's CSRF token and the strict checkbox), the
  import history, a link to the quarantine; ``POST /data`` — the form's target: it starts the
  import (the same code as ``POST /api/v1/imports``) and redirects to the job's page.
* ``GET /data/jobs/{id}`` — the import's progress, refreshed by ``<meta http-equiv="refresh">``
  (no script: the CSP allows none inline) until it is done; then what was imported, the
  quarantined rows with their reasons and the download links.
* ``GET /data/imports/{batch}`` — one batch; ``GET /data/quarantine`` — the quarantined rows.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from zhizao.errors import NotFound
from zhizao.services import uploads
from zhizao.web.api.imports import IMPORT_ROLES, READ_ROLES, receive_form, start_import
from zhizao.web.auth import Viewer, check_csrf, page_viewer, require_role
from zhizao.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

REFRESH_S = 2


def _tables():
    from zhizao.data.schema import DATA_TABLES

    return [(t.name, t.zh, t.en) for t in DATA_TABLES]


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, viewer: Viewer = Depends(page_viewer), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READ_ROLES)
    platform = request.app.state.platform
    s = platform.settings
    history = platform.call(uploads.import_history, viewer.scope, uploads_dir=s.uploads, page=page, page_size=20)
    return render(request, "data_index.html", viewer, history=history, can_upload=viewer.role in IMPORT_ROLES,
                  tables=_tables(), max_mb=s.upload_max_bytes / 1024 / 1024,
                  accept=",".join(x for sfx in uploads.UPLOAD_SUFFIXES.values() for x in sfx))


@router.post("/data")
async def data_upload(request: Request, viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *IMPORT_ROLES)                     # before a byte of the body is read
    platform = request.app.state.platform
    form = await receive_form(request, platform.settings.upload_max_bytes)
    try:
        check_csrf(viewer, form.get("csrf_token") if isinstance(form.get("csrf_token"), str) else None)
        out = await run_in_threadpool(start_import, platform, viewer, request, form)
    finally:
        await form.close()
    return RedirectResponse(f"/data/jobs/{out['job_id']}", status_code=303)


@router.get("/data/jobs/{job_id}", response_class=HTMLResponse)
def data_job(request: Request, job_id: str, viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *READ_ROLES)
    platform = request.app.state.platform
    job = platform.jobs.get(job_id[:40], None if viewer.role == "admin" else viewer.id)
    if job.kind != "import":
        raise NotFound(f"没有导入任务 {job_id}", f"no import job {job_id}", where=job_id)
    running = job.state in ("queued", "running")
    return render(request, "data_job.html", viewer, job=job, running=running, refresh=REFRESH_S,
                  result=job.result if job.state == "done" else None, error=job.error)


@router.get("/data/imports/{batch}", response_class=HTMLResponse)
def data_batch(request: Request, batch: str, viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *READ_ROLES)
    platform = request.app.state.platform
    d = platform.call(uploads.import_detail, viewer.scope, batch[:80], uploads_dir=platform.settings.uploads)
    return render(request, "data_batch.html", viewer, d=d)


@router.get("/data/quarantine", response_class=HTMLResponse)
def data_quarantine(request: Request, viewer: Viewer = Depends(page_viewer),
                    file: str | None = Query(None, max_length=300), batch: str | None = Query(None, max_length=80),
                    page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READ_ROLES)
    platform = request.app.state.platform
    got = platform.call(uploads.quarantine_page, viewer.scope, uploads_dir=platform.settings.uploads, file=file or None,
                        batch=batch or None, page=page, page_size=50)
    query = f"file={quote(file or '')}&batch={quote(batch or '')}"
    return render(request, "data_quarantine.html", viewer, table=got, file=file, batch=batch, query=query)
