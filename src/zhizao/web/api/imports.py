"""Imports (数据导入): upload a CSV / XLSX / Parquet file, import it in the background with
progress, and list what imports did — the history, one batch, the quarantined rows.

* ``POST /imports`` (administrators and officials): multipart ``file`` (+ ``strict``, ``table``).
  The role is checked before a byte of the body is read; the body is read with a byte counter
  and refused with 413 as soon as it passes ``settings.upload_max_bytes`` (plus a small margin
  for the form itself; a ``Content-Length`` above that is refused before reading); the file is
  kept under ``settings.uploads`` with its SHA-256 and checked by content
  (``zhizao.services.uploads.check_upload``: 422 naming the file); the import runs as a
  background job (``kind="import"``) under the warehouse lock; the answer is 202 with the job.
* ``GET /imports`` — the import history; ``GET /imports/{batch}`` — one batch;
  ``GET /quarantine`` — quarantined rows (filter by file / batch); ``GET /uploads/{id}`` and
  ``GET /uploads/{id}/quarantine`` — one upload and the rows its import quarantined (also those of
  a strict import that wrote nothing). Lists page and download as CSV / XLSX (Chinese headers,
  formula cells neutralised, logged). Administrators, officials and auditors; each sees the
  imports of uploaders inside its jurisdiction (an administrator: all).

The page form (``POST /data``, ``zhizao.web.views.imports``) uses the same reading and starting
code (:func:`receive_form`, :func:`start_import`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhizao.errors import InvalidInput, ZhizaoError
from zhizao.services import uploads
from zhizao.web.api.common import Ctx, Format, PageQ, SizeQ, ctx, download
from zhizao.web.auth import Viewer, client_ip, require_role
from zhizao.web.tables import page_json

__all__ = ["router", "receive_form", "start_import", "IMPORT_ROLES", "READ_ROLES", "FORM_MARGIN"]

router = APIRouter(tags=["imports 数据导入"])

#: who may upload, and who may read the history and the quarantine
IMPORT_ROLES = ("admin", "official")
READ_ROLES = ("admin", "official", "auditor")
#: bytes the multipart form may carry beyond the file itself (boundaries, headers, small fields)
FORM_MARGIN = 64 * 1024
_TRUE = ("1", "true", "on", "yes", "是")


class _BodyTooLarge(Exception):
    pass


async def receive_form(request: Request, max_bytes: int):
    """The multipart form of ``request``, read with a byte counter: ``UploadTooLarge`` (413) as
    soon as the body passes ``max_bytes`` + :data:`FORM_MARGIN` (or its ``Content-Length`` says
    it will), ``InvalidInput`` (422, where="file") for a body that is not a multipart form."""
    limit = max_bytes + FORM_MARGIN
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise uploads.too_large(None, max_bytes)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidInput("上传须为 multipart/form-data 表单（文件字段 file）",
                           "an upload must be a multipart/form-data form (file field: file)", where="file")
    seen = 0
    receive = request.receive

    async def counted():
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge()
        return message

    limited = Request(request.scope, counted)
    try:
        return await limited.form(max_files=1, max_fields=8, max_part_size=FORM_MARGIN)
    except _BodyTooLarge:
        raise uploads.too_large(None, max_bytes) from None
    except StarletteHTTPException as e:                     # a malformed multipart body
        raise InvalidInput(f"上传表单无法解析：{e.detail}", f"the upload form cannot be read: {e.detail}",
                           where="file") from None


def form_flag(value) -> bool:
    return str(value or "").strip().lower() in _TRUE


def _audit(platform, viewer: Viewer, request: Request, action: str, obj: str | None, detail: dict) -> None:
    platform.accounts.audit(action, actor=viewer.user, object=obj, detail=detail, ip=client_ip(request),
                            user_agent=request.headers.get("user-agent"))


def start_import(platform, viewer: Viewer, request: Request, form) -> dict:
    """Keep the form's ``file`` (checked by content), log the upload in the audit log and start
    the import as a background job; returns what ``POST /imports`` answers (202). Blocking: run
    it in the thread pool."""
    file = form.get("file")
    if file is None or isinstance(file, str) or not hasattr(file, "file"):
        raise InvalidInput("缺少上传文件（表单字段 file）", "no file uploaded (form field file)", where="file")
    strict = form_flag(form.get("strict"))
    table = form.get("table") if isinstance(form.get("table"), str) else None
    s = platform.settings
    try:
        up = uploads.save_upload(s.uploads, file.filename, file.file, max_bytes=s.upload_max_bytes,
                                 owner_id=viewer.id, owner=viewer.user.username, role=viewer.role, scope=viewer.scope,
                                 strict=strict, table=table)
    except ZhizaoError as e:
        _audit(platform, viewer, request, "import_refused", uploads.safe_name(file.filename),
               {"error": e.kind, "message": e.en})
        raise
    _audit(platform, viewer, request, "import", up.name,
           {"upload": up.id, "sha256": up.sha256, "size": up.size, "kind": up.kind, "strict": up.strict,
            "table": up.table})
    scope = viewer.scope

    def work(progress):
        progress("排队 / queued", 0.0)
        try:
            result = platform.call(uploads.run_import, up.path, strict=up.strict, table=up.table, progress=progress,
                                   scope=scope, quarantine_out=up.dir / "quarantine.parquet")
        except ZhizaoError as e:
            uploads.record_result(up, {"batch": None, "error": e.to_dict()})
            raise
        done = uploads.record_result(up, result)
        return {"upload": done.to_dict(), **done.result, "links": _links(up, job_id=None, batch=result.batch)}

    job = platform.jobs.submit("import", viewer.id, work)
    return {"job_id": job.id, "state": job.state, "upload": up.to_dict(), "links": _links(up, job.id)}


def _links(up, job_id: str | None, batch: str | None = None) -> dict:
    out = {"upload": f"/api/v1/uploads/{up.id}",
           "quarantine_csv": f"/api/v1/uploads/{up.id}/quarantine?format=csv",
           "quarantine_xlsx": f"/api/v1/uploads/{up.id}/quarantine?format=xlsx"}
    if job_id:
        out |= {"job": f"/api/v1/jobs/{job_id}", "page": f"/data/jobs/{job_id}"}
    if batch:
        out["batch"] = f"/api/v1/imports/{batch}"
    return out


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "CSV (UTF-8/GBK/GB18030/UTF-16), XLSX or Parquet; type checked by content"},
        "strict": {"type": "boolean", "default": False,
                   "description": "严格模式：任何一行有问题则整个文件不写入 / strict: one bad row and nothing is written"},
        "table": {"type": "string", "description": "import every sheet into this table (name or Chinese name)"}}}}}}}


@router.post("/imports", summary="Upload and import a file / 上传并导入文件", status_code=202,
             openapi_extra=_UPLOAD_BODY,
             responses={202: {"description": "the import job started"}, 403: {"description": "not admin/official"},
                        413: {"description": "larger than the upload limit"},
                        422: {"description": "wrong type, truncated, empty or unreadable file"}})
async def post_import(request: Request, c: Ctx = Depends(ctx)):
    require_role(c.viewer, *IMPORT_ROLES)                  # before a byte of the body is read
    form = await receive_form(request, c.settings.upload_max_bytes)
    try:
        out = await run_in_threadpool(start_import, c.platform, c.viewer, request, form)
    finally:
        await form.close()
    return JSONResponse(out, status_code=202)


@router.get("/imports", summary="Import history / 导入记录")
def history(c: Ctx = Depends(ctx), page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READ_ROLES)
    if format != "json":
        cols, batches = c.call(uploads.import_history_rows, c.scope, uploads_dir=c.settings.uploads)
        return download(c, format, "imports", cols, batches, what="imports", filters={}, synthetic=False)
    return page_json(c.call(uploads.import_history, c.scope, uploads_dir=c.settings.uploads, page=page,
                            page_size=page_size))


@router.get("/imports/{batch}", summary="One import batch / 导入批次详情")
def batch_detail(batch: str, c: Ctx = Depends(ctx)):
    require_role(c.viewer, *READ_ROLES)
    from dataclasses import asdict

    d = c.call(uploads.import_detail, c.scope, batch[:80], uploads_dir=c.settings.uploads)
    return {**asdict(d), "links": {"quarantine": f"/api/v1/quarantine?batch={d.batch}",
                                   "quarantine_xlsx": f"/api/v1/quarantine?batch={d.batch}&format=xlsx"}}


@router.get("/quarantine", summary="Quarantined rows / 隔离区")
def quarantine(c: Ctx = Depends(ctx), file: str | None = Query(None, max_length=300, description="file name (with "
                                                                "or without #hash)"),
               batch: str | None = Query(None, max_length=80, description="import batch (run id)"),
               page: int = PageQ, page_size: int = SizeQ, format: Format = "json"):
    require_role(c.viewer, *READ_ROLES)
    filters = {"file": file, "batch": batch}
    if format != "json":
        cols, batches = c.call(uploads.quarantine_rows, c.scope, uploads_dir=c.settings.uploads, **filters)
        return download(c, format, "quarantine", cols, batches, what="quarantine", filters=filters, synthetic=False)
    return page_json(c.call(uploads.quarantine_page, c.scope, uploads_dir=c.settings.uploads, **filters, page=page,
                            page_size=page_size))


@router.get("/uploads/{upload_id}", summary="One upload and its import result / 上传记录")
def upload(upload_id: str, c: Ctx = Depends(ctx)):
    require_role(c.viewer, *READ_ROLES)
    up = uploads.upload_record(c.settings.uploads, c.scope, upload_id)
    return {**up.to_dict(), "result": up.result, "links": _links(up, None, up.batch)}


@router.get("/uploads/{upload_id}/quarantine", summary="Rows an upload's import quarantined / 本次上传的隔离行")
def upload_quarantine(upload_id: str, c: Ctx = Depends(ctx), page: int = PageQ, page_size: int = SizeQ,
                      format: Format = "json"):
    require_role(c.viewer, *READ_ROLES)
    if format != "json":
        cols, batches = uploads.upload_quarantine_rows(c.settings.uploads, c.scope, upload_id)
        return download(c, format, f"quarantine-{upload_id}", cols, batches, what="quarantine",
                        filters={"upload": upload_id}, synthetic=False)
    return page_json(uploads.upload_quarantine_page(c.settings.uploads, c.scope, upload_id, page=page,
                                                    page_size=page_size))
