"""Scoped reads of the 亩均效益 results (亩均效益查询) for the web platform: the evaluation's rows,
the class distribution by county or industry, the low-efficiency parcels and the redevelopment
progress — each restricted to the viewer's ``Scope`` inside the Ibis query.

Every read goes through the stored run of its analysis, computing (and recording) it only when
none matches (``services.land``'s own ``runs.stored_or_compute`` for the evaluation; for the
low-efficiency land and the progress the matching current run, else the service's own call). No
figure is computed a second way here.

Access:

* evaluation rows, low-efficiency parcels (by the parcel's ``region_code``) and the redevelopment
  progress by county are filtered by the scope inside the query;
* the class distribution (``distribution``) counts enterprises per county (or division) and
  class: a count of 1 or 2 tells which class a firm is in, so every cell the viewer may not see
  the enterprises of goes through disclosure control (``zhizao.disclosure.protect_2d``: counts
  are the values, each firm contributes 1); suppressed cells are ``None`` and marked, never 0;
* the province-wide progress against the plan's targets is given to a viewer with every region;
  others get the totals of their own counties (summed in the query).

This module also holds the few helpers the three area reads (``land_reads``, ``clusters_reads``,
``chains_reads``) share: field names for errors, the suppression columns, nulling hidden figures
inside a query, and "the matching stored run, else the service's own call".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from zhizao.contract import Column
from zhizao.errors import InvalidInput, ZhizaoError
from zhizao.land.results import (
    EVALUATION,
    LOWLAND_PARCELS,
    REDEVELOPMENT_BY_COUNTY,
    SEGMENT_LABELS,
)
from zhizao.services import runs
from zhizao.services.labels import industry_label as _industry_label
from zhizao.services.labels import region_label as _region_label
from zhizao.services.paging import Page, batches, check_paging, paginate

__all__ = ["classes_page", "classes_rows", "distribution", "distribution_rows", "lowland_page", "lowland_rows",
           "progress", "progress_rows", "ClassDistribution", "DistributionRow", "DistributionCell",
           "LandProgressView", "CLASS_COLUMNS", "LOWLAND_COLUMNS", "BY", "SUPPRESSED", "SUPPRESSION_REASON",
           "web_fields", "region_prefix_of", "null_where", "stored_run"]

# --- shared by the area reads ----------------------------------------------------------------------
SUPPRESSED = Column("suppressed", "boolean", "已隐去", "suppressed",
                    "the row's sensitive figures are hidden by disclosure control (shown empty, never 0)")
SUPPRESSION_REASON = Column("suppression_reason", "string", "隐去原因", "suppression reason",
                            "k: fewer than k enterprises; p: one enterprise dominates; secondary: hidden so that "
                            "another hidden figure cannot be recomputed")
_OPTION_FIELDS = {"firm": "firms", "outside_product": "outside_products"}


@contextmanager
def web_fields():
    """Domain errors raised by the command-line oriented services name their option
    (``--year``); re-raised naming the request field (``year``)."""
    try:
        yield
    except ZhizaoError as e:
        if isinstance(e.where, str) and e.where.startswith("--"):
            name = e.where[2:].replace("-", "_")
            e.where = _OPTION_FIELDS.get(name, name)
        raise


def region_prefix_of(code: str | None, where: str = "region") -> str | None:
    """The GB/T 2260 prefix of ``code`` (any level); ``InvalidInput`` naming ``where``."""
    if code is None or str(code).strip() == "":
        return None
    from zhizao.codes.regions import UnknownRegionCode, region_prefix

    try:
        return region_prefix(str(code).strip())
    except (UnknownRegionCode, ValueError) as e:
        raise InvalidInput(f"区划代码 {code} 无效：{e}", f"region code {code} is not valid: {e}", where=where) from None


def null_where(t, flag: str, names: Sequence[str]):
    """``t`` with the columns ``names`` null where the boolean column ``flag`` is true (inside the
    query: hidden figures never leave the warehouse)."""
    import ibis

    present = [n for n in names if n in t.columns]
    return t.mutate(**{n: ibis.ifelse(t[flag], ibis.null().cast(t[n].type()), t[n]) for n in present})


def stored_run(svc, analysis: str, *, compute: Callable[[], runs.Run], key: Mapping, parameters: Mapping,
               years: Sequence[int] = (), method=None) -> runs.Run:
    """The current run of ``analysis`` recorded with exactly ``key``, ``parameters`` and ``method``
    (what the service records when called with its defaults), else ``compute()`` — the service's
    own call, which records it (so the next read finds it)."""
    found = runs.find(svc, analysis, method=method, parameters=parameters, years=years, key=key)
    if found is not None and all(svc.wh.has_table(t) for t in found.tables):
        return found
    return compute()


def _cols(decl, names: Sequence[str]) -> tuple[Column, ...]:
    return tuple(decl.column(n) for n in names)


# --- the evaluation ----------------------------------------------------------------------------------
CLASS_COLUMNS = ("year", "uscc", "name", "region_code", "park", "division", "industry_code", "segment", "area_mu",
                 "taxes", "value_added", "revenue", "employees", "total_score", "rank", "rank_of", "land_class",
                 "graded", "exempt_reason", "method_id")
NOT_GRADED = "none"
BY = ("county", "industry")


def _method(svc, method):
    """A shipped land method (a web user never names a file on the server)."""
    from zhizao import land
    from zhizao.services import land as land_svc

    if method is not None and method not in land.available_methods():
        shipped = ", ".join(land.available_methods())
        raise InvalidInput(f"亩均评价方法 {method!r} 不存在；可选：{shipped}",
                           f"no land method {method!r}; shipped: {shipped}", where="method")
    return land_svc.load_method(svc, method)


def _evaluation(svc, year, method):
    """(method, year, the stored evaluation — or the one computed and recorded now)."""
    from zhizao.services import land as land_svc

    m = _method(svc, method)
    with web_fields():
        year, years = svc.resolve_year(year)
        years = land_svc._covered_years(m, year, years)
        got = land_svc._evaluation(svc, m, years, store=True)
    return m, year, got


def _classes_expr(svc, scope, *, year=None, method=None, region=None, land_class=None, segment=None,
                  industry=None):
    m, year, got = _evaluation(svc, year, method)
    ev = got["land_evaluation"]
    t = scope.filter(ev.filter(ev.year == year))
    prefix = region_prefix_of(region)
    if prefix:
        t = t.filter(t.region_code.startswith(prefix))
    if land_class is not None:
        allowed = (*m.classes, NOT_GRADED)
        if land_class not in allowed:
            raise InvalidInput(f"等级 {land_class!r} 无效，应为 {', '.join(allowed)} 之一",
                               f"class {land_class!r} is not one of {', '.join(allowed)}", where="land_class")
        t = t.filter(t.land_class.isnull() if land_class == NOT_GRADED else t.land_class == land_class)
    if segment is not None:
        if segment not in SEGMENT_LABELS:
            raise InvalidInput(f"分类 {segment!r} 无效，应为 {', '.join(SEGMENT_LABELS)} 之一",
                               f"segment {segment!r} is not one of {', '.join(SEGMENT_LABELS)}", where="segment")
        t = t.filter(t.segment == segment)
    if industry:
        if not (str(industry).isdigit() and 2 <= len(str(industry)) <= 4):
            raise InvalidInput(f"行业代码 {industry} 无效（GB/T 4754 的 2–4 位数字）",
                               f"industry code {industry} is not valid (2–4 digits of GB/T 4754)", where="industry")
        t = t.filter(t.industry_code.startswith(str(industry)))
    return t, got.run, m, year


def classes_page(svc, scope, *, year: int | None = None, method: str | None = None, region: str | None = None,
                 land_class: str | None = None, segment: str | None = None, industry: str | None = None,
                 page: int = 1, page_size: int = 50) -> Page:
    """The evaluation rows of ``year`` (default: the latest) under ``method`` (a shipped id;
    default the Zhejiang county method) of the enterprises in ``scope``, by county, segment and
    rank; ``land_class`` ``none`` lists those not graded. The page carries the run."""
    check_paging(page, page_size)
    t, run, m, year = _classes_expr(svc, scope, year=year, method=method, region=region, land_class=land_class,
                                    segment=segment, industry=industry)
    notes = (f"{year} · {m.id}",)
    return paginate(t, _cols(EVALUATION, CLASS_COLUMNS), page=page, page_size=page_size,
                    order_by=("region_code", "segment", "rank", "uscc"), run=run, notes=notes)


def classes_rows(svc, scope, **filters):
    """Every row ``classes_page`` would list (for a download): (columns, batches)."""
    t, _run, _m, _y = _classes_expr(svc, scope, **filters)
    cols = _cols(EVALUATION, CLASS_COLUMNS)
    return cols, batches(t, cols, order_by=("region_code", "segment", "rank", "uscc"))


# --- the class distribution --------------------------------------------------------------------------
@dataclass(frozen=True)
class DistributionCell:
    """Firms of one class (or the row's graded firms); ``count`` None when suppressed."""

    count: int | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class DistributionRow:
    code: str                               # county code, or GB/T 4754 division; "total" for the totals
    name: str
    cells: tuple[DistributionCell, ...]     # one per class, in the method's order
    total: DistributionCell                 # graded firms of the row
    in_scope: bool


@dataclass(frozen=True)
class ClassDistribution:
    """Graded firms by county (or division) and class in ``year``, under disclosure control where
    the viewer may not see the enterprises (``controlled``)."""

    year: int
    method_id: str
    by: str
    region: str | None
    segment: str | None
    classes: tuple[tuple[str, str], ...]    # (code, Chinese name) in the method's order
    rows: tuple[DistributionRow, ...]
    total: DistributionRow                  # column totals and the grand total
    k: int
    p: float
    controlled: bool
    run: runs.Run | None
    synthetic: bool


def distribution(svc, scope, *, year: int | None = None, method: str | None = None, by: str = "county",
                 region: str | None = None, segment: str | None = None, k: int = 3,
                 p: float = 85.0) -> ClassDistribution:
    """Graded enterprises by county (``by='county'``) or GB/T 4754 division (``by='industry'``) and
    class, inside ``region`` (default: everywhere). A cell the viewer may not see the enterprises
    of — a county outside the scope; for divisions, every cell unless ``region`` (or the province)
    lies inside the scope — is published under disclosure control with the margins."""
    import numpy as np

    from zhizao import disclosure

    if by not in BY:
        raise InvalidInput(f"by {by!r} 无效，应为 county 或 industry", f"by {by!r} must be county or industry",
                           where="by")
    if segment is not None and segment not in SEGMENT_LABELS:
        raise InvalidInput(f"分类 {segment!r} 无效，应为 {', '.join(SEGMENT_LABELS)} 之一",
                           f"segment {segment!r} is not one of {', '.join(SEGMENT_LABELS)}", where="segment")
    m, year, got = _evaluation(svc, year, method)
    prefix = region_prefix_of(region)
    ev = got["land_evaluation"]
    t = ev.filter((ev.year == year) & ev.land_class.notnull())
    if prefix:
        t = t.filter(t.region_code.startswith(prefix))
    if segment:
        t = t.filter(t.segment == segment)
    key = "region_code" if by == "county" else "division"
    g = t.group_by([t[key].name("code"), t.land_class]).aggregate(n=t.count())
    counted = g.to_pyarrow().to_pylist()
    classes = list(m.classes)
    codes = sorted({r["code"] for r in counted if r["code"] is not None})
    ri, ci = {c: i for i, c in enumerate(codes)}, {c: j for j, c in enumerate(classes)}
    counts = np.zeros((len(codes), len(classes)), dtype=np.int64)
    for r in counted:
        if r["code"] in ri and r["land_class"] in ci:
            counts[ri[r["code"]], ci[r["land_class"]]] = r["n"]
    if by == "county":
        in_scope = np.array([scope.allows_region(c) for c in codes], dtype=bool)
    else:
        whole = str(region).strip() if region else _province_of(svc)
        in_scope = np.full(len(codes), bool(scope.allows_region(whole)) if whole else bool(scope.all_regions))
    control = np.repeat(~in_scope[:, None], len(classes), axis=1)
    controlled = bool(control.any())
    r_n, c_n = counts.shape
    if controlled and counts.size:
        prot = disclosure.protect_2d(counts, counts.astype(np.float64), np.minimum(counts, 1).astype(np.float64),
                                     k=k, p=p, needs_control=control)
        supp, reason = prot.suppressed, prot.reason
        full = prot.counts
    else:
        full = np.zeros((r_n + 1, c_n + 1), dtype=np.int64)
        full[:r_n, :c_n] = counts
        full[:r_n, c_n] = counts.sum(axis=1)
        full[r_n, :c_n] = counts.sum(axis=0)
        full[r_n, c_n] = counts.sum()
        supp = np.zeros(full.shape, dtype=bool)
        reason = np.full(full.shape, "", dtype=object)

    def cell(i, j):
        s = bool(supp[i, j])
        return DistributionCell(None if s else int(full[i, j]), s, (reason[i, j] or None) if s else None)

    name = (lambda c: _region_label(c)) if by == "county" else (lambda c: _industry_label(c))
    rows = tuple(DistributionRow(c, name(c), tuple(cell(i, j) for j in range(c_n)), cell(i, c_n), bool(in_scope[i]))
                 for i, c in enumerate(codes))
    total = DistributionRow("total", "合计", tuple(cell(r_n, j) for j in range(c_n)), cell(r_n, c_n),
                            bool(in_scope.all()) if len(codes) else True)
    return ClassDistribution(year, m.id, by, region, segment, tuple((c, m.classes[c].name_zh) for c in classes),
                             rows, total, int(k), float(p), controlled, got.run, svc.is_synthetic())


def _province_of(svc) -> str | None:
    """The province of the warehouse's enterprises (its code), for the scope of a table over all
    of it."""
    def read():
        e = svc.tables()["enterprises"]
        rows = e.select(p=e.region_code.substr(0, 2)).distinct().limit(2).to_pyarrow().column("p").to_pylist()
        return (rows[0] + "0000") if len(rows) == 1 and rows[0] else None

    return svc.memo(("land_reads.province",), read, data_only=True)


def distribution_rows(svc, scope, **kw):
    """``distribution`` as rows for a download: (columns, batches) — one row per county (or
    division) and the totals, one column per class; suppressed counts are empty."""
    d = distribution(svc, scope, **kw)
    cols = (Column("code", "string", "区县或行业代码" if d.by == "county" else "行业大类", "code",
                   "GB/T 2260 county code or GB/T 4754 division"),
            Column("name", "string", "名称", "name", "county or division name"),
            *(Column(f"class_{c}", "int64", f"{c}类企业数", f"class {c} firms", f"graded firms in class {c}", "count")
              for c, _ in d.classes),
            Column("total", "int64", "参评企业数", "graded firms", "graded firms of the row", "count"),
            Column("in_scope", "boolean", "辖区内", "in scope", "the viewer may see the enterprises of the row"))

    def row(r: DistributionRow) -> dict:
        out = {"code": r.code, "name": r.name, "total": r.total.count, "in_scope": r.in_scope}
        out.update({f"class_{c}": x.count for (c, _), x in zip(d.classes, r.cells)})
        return out

    return cols, iter([[row(r) for r in (*d.rows, d.total)]])


# --- low-efficiency land -----------------------------------------------------------------------------
LOWLAND_COLUMNS = ("parcel_id", "region_code", "park", "area_mu", "holder_uscc", "status", "land_class", "d_years",
                   "tax_per_mu", "tax_per_mu_line", "floor_area_ratio", "far_minimum", "reasons", "n_reasons",
                   "five_type", "five_type_zh", "not_assessable", "idle_since", "year")


def _lowland_run(svc, year, method) -> tuple[runs.Run, int]:
    """The stored low-efficiency-land run of ``year`` made from the current evaluation run (the
    shipped rules), else the service's own ``lowland`` call, which records it."""
    from zhizao.methodfile import fingerprint
    from zhizao.services import land as land_svc

    m, year, got = _evaluation(svc, year, method)
    rules = land_svc._load_rules(svc)
    params = {"year": year, "rules": rules.id, "rules_sha256": fingerprint(rules).sha256,
              "evaluation_run": got.run.run_id if got.run else None}

    def compute():
        with web_fields():
            return land_svc.lowland(svc, year=year, method=m).run

    run = stored_run(svc, "land.lowland", compute=compute, key={"rules": rules.id}, parameters=params,
                     years=[year], method=m)
    return run, year


def _lowland_expr(svc, scope, *, year=None, method=None, region=None, reason=None, five_type=None):
    from zhizao.land.lowland import FIVE_TYPES, REASON_ZH

    run, year = _lowland_run(svc, year, method)
    t = scope.filter(runs.rows(svc, run, "result_land_lowland_parcels"))
    prefix = region_prefix_of(region)
    if prefix:
        t = t.filter(t.region_code.startswith(prefix))
    if reason is not None:
        if reason not in REASON_ZH:
            raise InvalidInput(f"认定理由 {reason!r} 无效，应为 {', '.join(REASON_ZH)} 之一",
                               f"reason {reason!r} is not one of {', '.join(REASON_ZH)}", where="reason")
        t = t.filter((";" + t.reasons.fill_null("") + ";").contains(f";{reason};"))
    if five_type is not None:
        if five_type not in FIVE_TYPES:
            raise InvalidInput(f"五类类型 {five_type!r} 无效，应为 {', '.join(FIVE_TYPES)} 之一",
                               f"five type {five_type!r} is not one of {', '.join(FIVE_TYPES)}", where="five_type")
        t = t.filter((";" + t.five_types.fill_null("") + ";").contains(f";{five_type};"))
    return t, run


def lowland_page(svc, scope, *, year: int | None = None, method: str | None = None, region: str | None = None,
                 reason: str | None = None, five_type: str | None = None, page: int = 1,
                 page_size: int = 50) -> Page:
    """Low-efficiency parcels (低效用地) of ``year`` lying in ``scope`` (by the parcel's county),
    with every reason that applies; filtered by ``reason`` (a reason code) and ``five_type``."""
    check_paging(page, page_size)
    t, run = _lowland_expr(svc, scope, year=year, method=method, region=region, reason=reason, five_type=five_type)
    return paginate(t, _cols(LOWLAND_PARCELS, LOWLAND_COLUMNS), page=page, page_size=page_size,
                    order_by=("region_code", "parcel_id"), run=run)


def lowland_rows(svc, scope, **filters):
    """Every parcel ``lowland_page`` would list: (columns, batches)."""
    t, _run = _lowland_expr(svc, scope, **filters)
    cols = _cols(LOWLAND_PARCELS, LOWLAND_COLUMNS)
    return cols, batches(t, cols, order_by=("region_code", "parcel_id"))


# --- redevelopment progress --------------------------------------------------------------------------
PROGRESS_COLUMNS = ("target", "region_code", "done_mu", "parcels", "as_of")
_TARGET_COLUMNS = ("target", "name_zh", "target_mu", "done_mu", "share_of_target", "elapsed_share", "projected_mu",
                   "projected_share", "remaining_mu", "on_track")


@dataclass(frozen=True)
class LandProgressView:
    """Redevelopment progress as of ``as_of``: the plan's targets for the whole province
    (``targets``, only for a viewer with every region), the totals of the viewer's counties per
    target (``scope_totals``) and the counties' rows in the scope (``counties``, paged)."""

    as_of: date | None
    targets: tuple[dict, ...]
    scope_totals: tuple[dict, ...]
    counties: Page
    whole_province: bool
    run: runs.Run


def _progress_run(svc, as_of) -> runs.Run:
    """The current progress run of the shipped plan (as of ``as_of`` when given), else the
    service's own ``progress`` call, which records it."""
    from zhizao.methodfile import fingerprint
    from zhizao.services import land as land_svc

    plan = land_svc._load_targets(svc)
    sha = fingerprint(plan).sha256
    for r in runs.list_runs(svc, analysis="land.progress"):
        if r.method_hash != sha or r.parameters.get("share") != plan.share:
            continue
        if as_of is not None and r.parameters.get("as_of") != as_of.isoformat():
            continue
        if all(svc.wh.has_table(t) for t in r.tables):
            return r
    with web_fields():
        return land_svc.progress(svc, as_of=as_of).run


def _progress_expr(svc, scope, *, as_of=None, target=None, region=None):
    run = _progress_run(svc, as_of)
    t = scope.filter(runs.rows(svc, run, "result_land_redevelopment_by_county"))
    prefix = region_prefix_of(region)
    if prefix:
        t = t.filter(t.region_code.startswith(prefix))
    if target is not None:
        t = t.filter(t.target == str(target))
    return t, run


def progress(svc, scope, *, as_of: date | None = None, target: str | None = None, region: str | None = None,
             page: int = 1, page_size: int = 50) -> LandProgressView:
    """Redevelopment (低效用地再开发) and revival progress against the plan (the stored run, else
    computed as of ``as_of``, default today), by county inside ``scope``."""
    check_paging(page, page_size)
    t, run = _progress_expr(svc, scope, as_of=as_of, target=target, region=region)
    counties = paginate(t, _cols(REDEVELOPMENT_BY_COUNTY, PROGRESS_COLUMNS), page=page, page_size=page_size,
                        order_by=("target", "region_code"), run=run)
    whole = bool(scope.all_regions)
    tp = runs.rows(svc, run, "result_land_redevelopment_progress")
    targets = tuple(tp.select(*_TARGET_COLUMNS).order_by("target").to_pyarrow().to_pylist()) if whole else ()
    mine = scope.filter(runs.rows(svc, run, "result_land_redevelopment_by_county"))
    names = tp.select("target", "name_zh")
    sums = mine.group_by("target").aggregate(done_mu=mine.done_mu.sum(), parcels=mine.parcels.sum())
    sums = sums.left_join(names, "target").select("target", "name_zh", "done_mu", "parcels")
    totals = tuple(sums.order_by("target").to_pyarrow().to_pylist())
    as_of_v = run.parameters.get("as_of")
    return LandProgressView(date.fromisoformat(as_of_v) if as_of_v else None, targets, totals, counties, whole, run)


def progress_rows(svc, scope, **filters):
    """Every county row ``progress`` would list: (columns, batches)."""
    t, _run = _progress_expr(svc, scope, **filters)
    cols = _cols(REDEVELOPMENT_BY_COUNTY, PROGRESS_COLUMNS)
    return cols, batches(t, cols, order_by=("target", "region_code"))
