"""The 亩均效益 pages (亩均): the evaluation's classes, the class distribution by county or industry
(disclosure-controlled outside the scope), low-efficiency parcels and redevelopment progress.
Administrators, officials and auditors; each page calls the same service as its API route and
renders it, with filters, paging and download links (the API's ``format=csv|xlsx``).

``page_of`` and ``Field`` are shared by the clusters and chains pages."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhizao.errors import InvalidInput
from zhizao.services import land_reads
from zhizao.web.api.land import READERS
from zhizao.web.auth import Viewer, page_viewer, require_role
from zhizao.web.render import render

__all__ = ["router", "Field", "page_of", "clean", "as_int", "PAGE_SIZE"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
TABS = (("/land/classes", "评价结果", "Classes"), ("/land/distribution", "等级分布", "Distribution"),
        ("/land/lowland", "低效用地", "Low-efficiency land"), ("/land/progress", "再开发进度", "Redevelopment"))


@dataclass(frozen=True)
class Field:
    """One filter of a page's form: a text input, or a select over ``options`` (value, zh, en)."""

    name: str
    zh: str
    en: str
    options: tuple = ()
    required: bool = False
    maxlength: int = 20
    size: int = 10
    blank: tuple = ("（全部）", "(any)")        # the empty option of a select (not required)


def clean(values: dict) -> dict:
    """A form's values with empty strings as None (an empty input means: no filter)."""
    return {k: (None if v is None or (isinstance(v, str) and not v.strip()) else (v.strip() if isinstance(v, str)
                                                                                    else v))
            for k, v in values.items()}


def as_int(value, name: str):
    """A form's number (text, so that an empty input is allowed); ``InvalidInput`` naming it."""
    if value is None:
        return None
    if not str(value).isdigit() or len(str(value)) > 6:
        raise InvalidInput(f"{name} 应为整数（收到 {value!r}）", f"{name} must be a whole number (got {value!r})",
                           where=name)
    return int(value)


def query_of(values: dict) -> str:
    return urlencode({k: v for k, v in values.items() if v is not None})


def page_of(request: Request, viewer: Viewer, *, title, tabs, table, fields, values, api, links=None, intro=None,
            controlled=False):
    """The generic paged-table page (``land_table.html``)."""
    s = request.app.state.platform.settings
    return render(request, "land_table.html", viewer, title=title, tabs=tabs, table=table, fields=fields,
                  values=values, api=api, query=query_of(values), links=links or {}, intro=intro,
                  controlled=controlled, k=s.disclosure_k, p=s.disclosure_p)


def _methods():
    from zhizao import land

    return tuple((m, m, m) for m in land.available_methods())


def _segments():
    from zhizao.land.results import SEGMENT_LABELS

    return tuple((k, v, k) for k, v in SEGMENT_LABELS.items())


DEFAULT = ("（默认）", "(default)")
YEAR = Field("year", "年度", "Year", maxlength=4, size=5)
REGION = Field("region", "区划代码", "Region code", maxlength=12, size=8)


@router.get("/land", response_class=HTMLResponse)
def land_home(viewer: Viewer = Depends(page_viewer)):
    require_role(viewer, *READERS)
    return RedirectResponse("/land/classes", status_code=303)


@router.get("/land/classes", response_class=HTMLResponse)
def classes(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
            method: str | None = Query(None, max_length=60), region: str | None = Query(None, max_length=12),
            land_class: str | None = Query(None, max_length=8), segment: str | None = Query(None, max_length=30),
            industry: str | None = Query(None, max_length=4), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"year": year, "method": method, "region": region, "land_class": land_class, "segment": segment,
                    "industry": industry})
    got = request.app.state.platform.call(land_reads.classes_page, viewer.scope,
                                          **{**values, "year": as_int(values["year"], "year")}, page=page,
                                          page_size=PAGE_SIZE)
    classes = tuple((c, f"{c} 类", f"class {c}") for c in "ABCD") + (("none", "不定等级", "not graded"),)
    fields = (YEAR, Field("method", "评价方法", "Method", _methods(), blank=DEFAULT), REGION,
              Field("land_class", "等级", "Class", classes), Field("segment", "分类", "Segment", _segments()),
              Field("industry", "行业代码", "Industry", maxlength=4, size=5))
    return page_of(request, viewer, title=("亩均效益评价结果", "Per-mu performance evaluation"), tabs=TABS, table=got,
                   fields=fields, values=values, api="/api/v1/land/classes", links={"uscc": "/enterprises/"})


@router.get("/land/distribution", response_class=HTMLResponse)
def distribution(request: Request, viewer: Viewer = Depends(page_viewer),
                 year: str | None = Query(None, max_length=6), method: str | None = Query(None, max_length=60),
                 by: str | None = Query(None, max_length=10), region: str | None = Query(None, max_length=12),
                 segment: str | None = Query(None, max_length=30)):
    require_role(viewer, *READERS)
    platform = request.app.state.platform
    s = platform.settings
    values = clean({"year": year, "method": method, "by": by, "region": region, "segment": segment})
    got = platform.call(land_reads.distribution, viewer.scope, year=as_int(values["year"], "year"),
                        method=values["method"], by=values["by"] or "county", region=values["region"],
                        segment=values["segment"], k=s.disclosure_k, p=s.disclosure_p)
    fields = (YEAR, Field("method", "评价方法", "Method", _methods(), blank=DEFAULT),
              Field("by", "按", "By", (("county", "区县", "county"), ("industry", "行业大类", "industry")), True),
              REGION, Field("segment", "分类", "Segment", _segments()))
    return render(request, "land_distribution.html", viewer, d=got, tabs=TABS, fields=fields, values=values,
                  api="/api/v1/land/distribution", query=query_of(values))


@router.get("/land/lowland", response_class=HTMLResponse)
def lowland(request: Request, viewer: Viewer = Depends(page_viewer), year: str | None = Query(None, max_length=6),
            region: str | None = Query(None, max_length=12), reason: str | None = Query(None, max_length=40),
            five_type: str | None = Query(None, max_length=40), page: int = Query(1, ge=1, le=100_000)):
    from zhizao.land.lowland import FIVE_TYPES, REASON_ZH

    require_role(viewer, *READERS)
    values = clean({"year": year, "region": region, "reason": reason, "five_type": five_type})
    got = request.app.state.platform.call(land_reads.lowland_page, viewer.scope,
                                          **{**values, "year": as_int(values["year"], "year")}, page=page,
                                          page_size=PAGE_SIZE)
    fields = (YEAR, REGION, Field("reason", "认定理由", "Reason", tuple((k, v, k) for k, v in REASON_ZH.items())),
              Field("five_type", "五类低效用地", "Five types", tuple((k, REASON_ZH[k], k) for k in FIVE_TYPES)))
    return page_of(request, viewer, title=("低效用地", "Low-efficiency land"), tabs=TABS, table=got, fields=fields,
                   values=values, api="/api/v1/land/lowland")


@router.get("/land/progress", response_class=HTMLResponse)
def progress(request: Request, viewer: Viewer = Depends(page_viewer), region: str | None = Query(None, max_length=12),
             target: str | None = Query(None, max_length=40), page: int = Query(1, ge=1, le=100_000)):
    require_role(viewer, *READERS)
    values = clean({"region": region, "target": target})
    got = request.app.state.platform.call(land_reads.progress, viewer.scope, **values, page=page,
                                          page_size=PAGE_SIZE)
    fields = (REGION, Field("target", "目标", "Target", tuple((t["target"], t["name_zh"], t["target"])
                                                             for t in (got.targets or got.scope_totals))))
    return render(request, "land_progress.html", viewer, v=got, table=got.counties, tabs=TABS, fields=fields,
                  values=values, api="/api/v1/land/progress", query=query_of(values), links={})
