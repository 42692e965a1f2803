"""What every API module shares: the request context (platform, viewer, language), the download
format parameter and the audit of exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, Query, Request

from zhizao.web.auth import Viewer, api_viewer, client_ip, lang_of

__all__ = ["Ctx", "ctx", "Format", "PageQ", "SizeQ", "download", "listing"]

Format = Literal["json", "csv", "xlsx"]
PageQ = Query(1, ge=1, le=100_000, description="page number, from 1 / 页码")
SizeQ = Query(50, ge=1, le=500, description="rows per page (1–500) / 每页条数")


@dataclass
class Ctx:
    request: Request
    viewer: Viewer
    lang: str

    @property
    def platform(self):
        return self.request.app.state.platform

    @property
    def scope(self):
        return self.viewer.scope

    @property
    def settings(self):
        return self.platform.settings

    @property
    def synthetic(self) -> bool:
        return self.platform.synthetic()

    def call(self, fn, *args, **kwargs):
        return self.platform.call(fn, *args, **kwargs)

    def audit(self, action: str, object: str | None = None, detail: dict | None = None) -> None:
        self.platform.accounts.audit(action, actor=self.viewer.user, object=object, detail=detail,
                                     ip=client_ip(self.request), user_agent=self.request.headers.get("user-agent"))


def ctx(request: Request, viewer: Viewer = Depends(api_viewer)) -> Ctx:
    return Ctx(request, viewer, lang_of(request))


def download(c: Ctx, fmt: str, stem: str, columns, batches, *, what: str, filters: dict, synthetic: bool):
    """A streamed CSV/XLSX of every row, with the synthetic-data note, recorded in the audit log."""
    from zhizao.web.tables import csv_response, xlsx_response

    c.audit("export", what, {"format": fmt, "filters": {k: v for k, v in filters.items() if v is not None}})
    note = ("本数据为合成数据（演示用），非真实企业数据 / synthetic data (demo), not real enterprises"
            if synthetic else None)
    if fmt == "csv":
        return csv_response(stem, columns, batches, lang=c.lang, note=note)
    return xlsx_response(stem, columns, batches, lang=c.lang, note=note, title=stem)


def listing(c: Ctx, fmt: str, *, page_fn, rows_fn, stem: str, what: str, filters: dict, page: int, page_size: int,
            extra: dict | None = None):
    """A list as the API answers it: one page as JSON, or with ``format=csv|xlsx`` every row as a
    streamed, audited download. ``page_fn(svc, scope, **filters, **extra, page=, page_size=)``
    and ``rows_fn(svc, scope, **filters, **extra)`` are the service's two reads of the list."""
    from zhizao.web.tables import page_json

    extra = extra or {}
    if fmt != "json":
        cols, batches = c.call(rows_fn, c.scope, **filters, **extra)
        return download(c, fmt, stem, cols, batches, what=what, filters=filters, synthetic=c.synthetic)
    got = c.call(page_fn, c.scope, **filters, **extra, page=page, page_size=page_size)
    return page_json(got, synthetic=c.synthetic)
