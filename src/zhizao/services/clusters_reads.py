"""Scoped reads of the cluster results (产业集群查询) for the web platform: the cluster definitions,
the indices of the region × industry matrix, the tiers and 大而不强 diagnosis, one cluster's
profile and the candidates — over the stored run of each analysis (computed and recorded by
``services.clusters`` only when none matches).

What is disclosure-controlled, and how (``zhizao.disclosure``, thresholds ``k`` and ``p``):

* **Definitions** (``clusters_page``) are not confidential: everyone who may read the area sees
  them all.
* **Cluster figures** (profile, diagnosis, tiers): a cluster is a sum over firms. For a viewer
  without every region, a cluster whose regions do not all lie inside the scope needs control:
  ``protect_1d`` over the set's clusters with counts = firms, values = revenue and top1 = the
  largest firm's revenue (the first of its leading firms). A suppressed cluster has its size and
  money figures (``SIZE_METRICS``), the tier rule's evidence (which quotes them) and the written
  diagnosis hidden; percentiles, tiers and verdicts (ranks among clusters) stay. The regions of a
  multi-region cluster are protected the same way among themselves (all hidden outside the
  scope when the cluster is).
* **Leading firms** inside a cluster are named only when they lie inside the scope (a query on
  the scoped ``enterprises``).
* **Indices** (region × industry cells) and **candidates**: the year's region × industry matrix
  of the measure is protected as a two-dimensional table (``protect_2d``: counts = firms, values
  = the measure, top1 = the largest firm's, from the lever's ``firm_cells``) with the cells of
  regions outside the scope needing control; its margins protect the regions' and industries'
  totals. A suppressed cell has its size figures (value, shares, LQ/RCA, growth, shift-share,
  firm concentration, firms) null; relatedness, complexity and specialisation flags stay. The
  base year's matrix is protected alike for the base-year figures. A detected candidate is
  hidden when any of its member cells is; a new star when its cell is.

Suppressed rows carry ``suppressed`` true and the reason; hidden figures are ``None``, never 0.
A viewer with every region (``Scope.all_regions``) sees everything unprotected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from zhizao.clusters.results import CANDIDATES, CELLS, INDUSTRIES, NEW_STARS, REGIONS
from zhizao.contract import Column
from zhizao.errors import InvalidInput
from zhizao.services import runs
from zhizao.services.land_reads import (
    SUPPRESSED,
    SUPPRESSION_REASON,
    null_where,
    region_prefix_of,
    stored_run,
    web_fields,
)
from zhizao.services.paging import Page, batches, check_paging, paginate

__all__ = ["clusters_page", "clusters_rows", "indices_page", "indices_rows", "diagnosis_page", "diagnosis_rows",
           "profile", "candidates_page", "candidates_rows", "cluster_control", "ClusterControl", "ClusterProfileView",
           "MetricValue", "SIZE_METRICS", "INDEX_TABLES", "CANDIDATE_KINDS", "LIST_COLUMNS", "DIAGNOSIS_COLUMNS"]

#: Profile metrics that are sizes or money (or reveal them with published totals): hidden for a
#: suppressed cluster.
SIZE_METRICS = ("firms", "above_scale_firms", "employees", "revenue", "above_scale_revenue", "output", "value_added",
                "profit", "revenue_share", "revenue_base", "output_base", "employees_base", "top5_revenue_mean",
                "lq", "lq_employees", "specialised_firms", "firms_over_1bn")
_CELL_SIZE = ("value", "share_of_region", "share_of_industry", "lq", "rca", "firms", "firm_hhi", "top1_share",
              "top4_share")
_CELL_BASE = ("value_base", "growth", "ss_national", "ss_industry_mix", "ss_competitive")
INDEX_TABLES = ("cells", "regions", "industries")
CANDIDATE_KINDS = ("detected", "new_stars")
_MATRIX_ARGS = {"measure": ("employees", "gross_output", "value_added", "revenue", "firms"),
                "regions": ("county", "prefecture"), "industries": ("division", "group", "class")}


def _quiet(stage: str, fraction: float) -> None:
    pass


def _choice(field: str, value, allowed) -> None:
    if value not in allowed:
        raise InvalidInput(f"{field} {value!r} 无效，应为 {', '.join(allowed)} 之一",
                           f"{field} {value!r} is not one of {', '.join(allowed)}", where=field)


# --- definitions -----------------------------------------------------------------------------------
LIST_COLUMNS = (
    Column("id", "string", "集群编号", "cluster id", "id in the cluster set"),
    Column("name_zh", "string", "集群", "cluster", "Chinese name"),
    Column("name_en", "string", "集群（英文）", "cluster (English)", "English name"),
    Column("regions", "string", "地区", "regions", "GB/T 2260 codes, ;-joined, or all (the set's province)"),
    Column("industry_codes", "string", "行业代码", "industry codes", "GB/T 4754-2017 prefixes, ;-joined"),
    Column("tier_claimed", "string", "官方梯度", "official tier", "the tier the cluster officially holds"),
    Column("confidence", "string", "可信度", "confidence", "C: confirmed in a source; U: unconfirmed"),
)


def _list_expr(svc, *, q=None, region=None):
    import ibis

    from zhizao.services import clusters as cl

    listing = cl.list_clusters(svc)
    rows = [{"id": c.id, "name_zh": c.name_zh, "name_en": c.name_en, "regions": ";".join(c.regions),
             "industry_codes": ";".join(c.industry_codes), "tier_claimed": c.tier_claimed,
             "confidence": c.confidence} for c in listing.clusters]
    schema = pa.schema([(c.name, pa.string()) for c in LIST_COLUMNS])
    t = ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
    if q is not None and str(q).strip():
        s = str(q).strip()
        t = t.filter(t.name_zh.contains(s) | t.name_en.lower().contains(s.lower()) | t.id.contains(s.lower()))
    prefix = region_prefix_of(region)
    if prefix:
        t = t.filter((";" + t.regions).contains(";" + prefix) | (t.regions == "all"))
    return t, listing


def clusters_page(svc, scope, *, q: str | None = None, region: str | None = None, page: int = 1,
                  page_size: int = 50) -> Page:
    """The clusters of the default set (definitions are not confidential: ``scope`` is not
    applied), filtered by name (``q``) and by a region they cover."""
    check_paging(page, page_size)
    t, listing = _list_expr(svc, q=q, region=region)
    return paginate(t, LIST_COLUMNS, page=page, page_size=page_size, order_by=("id",),
                    notes=(f"{listing.id} · {listing.name_zh} / {listing.name_en}",))


def clusters_rows(svc, scope, **filters):
    t, _ = _list_expr(svc, **filters)
    return LIST_COLUMNS, batches(t, LIST_COLUMNS, order_by=("id",))


# --- the diagnosis run and the control of cluster figures ----------------------------------------
def _diagnosis(svc, year=None):
    """(cluster set, years, the stored diagnosis run's tables) — the run ``services.clusters.show``
    reads, computed and recorded only when none matches."""
    from zhizao.services import clusters as cl

    cs = cl.cluster_set(svc)
    crit, sett = cl.tier_criteria(svc), cl.diagnosis_settings(svc)
    with web_fields():
        span = cl.resolve_years(svc, year, None)
    params, key = cl._diagnosis_args(cs, crit, sett, span)
    got = runs.stored_or_compute(svc, lever="clusters", analysis=cl.DIAGNOSE,
                                 compute=lambda: cl._diagnosis_parts(svc, cs, crit, sett, span, _quiet), method=cs,
                                 years=span.years, parameters=params, key=key)
    return cs, span, got


@dataclass(frozen=True)
class ClusterControl:
    """Disclosure control of the clusters of a set for one viewer: per cluster id whether it
    needs control (not all its regions in the scope), is suppressed, and why."""

    needs_control: dict
    suppressed: dict
    reason: dict
    k: int
    p: float

    @property
    def controlled(self) -> bool:
        return any(self.needs_control.values())

    def table(self):
        """(cluster_id, _s, _r) as an Ibis memtable, to join inside a query."""
        import ibis

        ids = list(self.suppressed)
        return ibis.memtable(pa.table({"_cid": pa.array(ids, pa.string()),
                                       "_s": pa.array([self.suppressed[i] for i in ids], pa.bool_()),
                                       "_r": pa.array([self.reason[i] for i in ids], pa.string())}))


def _regions_of(cs, regions) -> list[str]:
    if isinstance(regions, str):
        regions = [regions]
    return [cs.province if r == "all" else str(r) for r in regions]


def _largest(svc, year: int, usccs_by_row: dict) -> dict:
    """The largest revenue of each row's leading firms (its first is the largest), in one query."""
    wanted = sorted({u for us in usccs_by_row.values() for u in us})
    if not wanted:
        return {k: 0.0 for k in usccs_by_row}
    ind = svc.tables()["indicators"]
    got = ind.filter((ind.year == year) & ind.uscc.isin(wanted)).select("uscc", "revenue").to_pyarrow().to_pylist()
    rev = {r["uscc"]: abs(r["revenue"] or 0.0) for r in got}
    return {k: max((rev.get(u, 0.0) for u in us), default=0.0) for k, us in usccs_by_row.items()}


def _split(s) -> list[str]:
    return [u for u in str(s or "").replace(";", "；").split("；") if u]


def cluster_control(svc, scope, *, year: int | None = None, k: int = 3, p: float = 85.0) -> ClusterControl:
    """The disclosure control of the default set's clusters for ``scope`` in ``year`` (see the
    module's note): ``protect_1d`` over the clusters' revenue."""
    from zhizao import disclosure

    cs, span, got = _diagnosis(svc, year)
    prof = got["cluster_profiles"]
    rows = prof.filter(prof.scope == "cluster").select("cluster_id", "firms", "revenue", "leading_usccs") \
        .order_by("cluster_id").to_pyarrow().to_pylist()
    regions = {c.id: _regions_of(cs, c.regions) for c in cs.clusters}
    ids = [r["cluster_id"] for r in rows]
    need = {i: (not scope.all_regions) and not all(scope.allows_region(x) for x in regions.get(i, ["?"]))
            for i in ids}
    if not any(need.values()):
        return ClusterControl(need, {i: False for i in ids}, {i: None for i in ids}, int(k), float(p))
    top = _largest(svc, span.year, {r["cluster_id"]: _split(r["leading_usccs"]) for r in rows})
    prot = disclosure.protect_1d([r["firms"] or 0 for r in rows], [r["revenue"] or 0.0 for r in rows],
                                 [top[i] for i in ids], k=k, p=p, needs_control=[need[i] for i in ids])
    supp, reason = prot.suppressed, prot.reason
    return ClusterControl(need, {i: bool(supp[n]) for n, i in enumerate(ids)},
                          {i: (reason[n] or None) if supp[n] else None for n, i in enumerate(ids)}, int(k), float(p))


# --- diagnosis -------------------------------------------------------------------------------------
def _c(name, typ, zh, en, meaning, unit=None):
    return Column(name, typ, zh, en, meaning, unit)


DIAGNOSIS_COLUMNS = (
    _c("cluster_id", "string", "集群编号", "cluster id", "id in the cluster set"),
    _c("name_zh", "string", "集群", "cluster", "Chinese name"),
    _c("name_en", "string", "集群（英文）", "cluster (English)", "English name"),
    _c("region_code", "string", "地区代码", "region code", "GB/T 2260 code(s) of the cluster, ;-joined, or all"),
    _c("firms", "int64", "企业数", "firms", "enterprises of the cluster with indicators in the year", "count"),
    _c("above_scale_revenue", "float64", "规上营业收入", "above-scale revenue", "revenue of the 规上 firms", "yuan"),
    _c("revenue_cagr", "float64", "营业收入年均增速", "revenue growth per year", "annualised revenue growth", "share"),
    _c("lq", "float64", "区位商", "location quotient", "the cluster's revenue LQ"),
    _c("tier", "string", "测算梯度", "tier", "world_class, national, provincial, new_star or none"),
    _c("tier_zh", "string", "梯度", "tier (Chinese)", "the tier's Chinese name"),
    _c("tier_en", "string", "梯度（英文）", "tier (English)", "the tier's English name"),
    _c("rule", "string", "判定规则", "rule", "id of the rule that placed it"),
    _c("evidence", "string", "判定依据", "evidence", "each condition of the rule (hidden when suppressed)"),
    _c("next_tier", "string", "上一梯度", "next tier", "the tier just above"),
    _c("next_tier_missing", "string", "距上一梯度差距", "missing for the next tier",
       "conditions missed for the next tier (hidden when suppressed)"),
    _c("scale_percentile", "float64", "规模百分位", "scale percentile", "among the set's clusters", "percentile"),
    _c("strength_percentile", "float64", "综合实力百分位", "strength percentile", "among the set's clusters",
       "percentile"),
    _c("verdict", "string", "诊断结论", "verdict", "大而强, 大而不强, 小而强 or 小而弱"),
    _c("verdict_en", "string", "诊断结论（英文）", "verdict (English)", "the verdict in English"),
    _c("weak_dimensions", "string", "短板维度", "weak dimensions", "ids of the weak dimensions, ;-joined"),
    SUPPRESSED, SUPPRESSION_REASON,
)
_DIAG_HIDDEN = ("firms", "above_scale_revenue", "lq", "evidence", "next_tier_missing")


def _diagnosis_expr(svc, scope, *, year=None, tier=None, verdict=None, k=3, p=85.0):
    cs, span, got = _diagnosis(svc, year)
    ctl = cluster_control(svc, scope, year=span.year, k=k, p=p)
    tiers, diag, prof = got["cluster_tiers"], got["cluster_diagnosis"], got["cluster_profiles"]
    prof = prof.filter(prof.scope == "cluster")
    t = tiers.select("cluster_id", "name_zh", "name_en", "region_code", "tier", "tier_zh", "tier_en", "rule",
                     "evidence", "next_tier", "next_tier_missing")
    d = diag.select(_did=diag.cluster_id, scale_percentile=diag.scale_percentile,
                    strength_percentile=diag.strength_percentile, verdict=diag.verdict, verdict_en=diag.verdict_en,
                    weak_dimensions=diag.weak_dimensions)
    pr = prof.select(_pid=prof.cluster_id, firms=prof.firms, above_scale_revenue=prof.above_scale_revenue,
                     revenue_cagr=prof.revenue_cagr, lq=prof.lq)
    ctl_t = ctl.table()
    j = t.left_join(d, t.cluster_id == d._did)
    j = j.left_join(pr, j.cluster_id == pr._pid)
    j = j.left_join(ctl_t, j.cluster_id == ctl_t._cid)
    j = j.mutate(suppressed=j._s.fill_null(True), suppression_reason=j._r)   # unknown to the control: hidden
    j = null_where(j, "suppressed", _DIAG_HIDDEN)
    if tier is not None:
        j = j.filter(j.tier == str(tier))
    if verdict is not None:
        j = j.filter((j.verdict == str(verdict)) | (j.verdict_en == str(verdict)))
    j = j.select([c.name for c in DIAGNOSIS_COLUMNS])
    return j, got.run, span, ctl


def diagnosis_page(svc, scope, *, year: int | None = None, tier: str | None = None, verdict: str | None = None,
                   k: int = 3, p: float = 85.0, page: int = 1, page_size: int = 50) -> Page:
    """Tiers and the 大而不强 diagnosis of every cluster of the default set, with the cluster
    figures under disclosure control for clusters outside the scope."""
    check_paging(page, page_size)
    j, run, span, ctl = _diagnosis_expr(svc, scope, year=year, tier=tier, verdict=verdict, k=k, p=p)
    notes = (f"{span.year}",) + (("controlled",) if ctl.controlled else ())
    return paginate(j, DIAGNOSIS_COLUMNS, page=page, page_size=page_size, order_by=("cluster_id",), run=run,
                    notes=notes)


def diagnosis_rows(svc, scope, **filters):
    j, _run, _span, _ctl = _diagnosis_expr(svc, scope, **filters)
    return DIAGNOSIS_COLUMNS, batches(j, DIAGNOSIS_COLUMNS, order_by=("cluster_id",))


# --- one cluster -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricValue:
    key: str
    zh: str
    en: str
    value: float | None
    suppressed: bool


@dataclass(frozen=True)
class ClusterProfileView:
    """One cluster as a viewer may see it: the metrics (size and money hidden when the cluster is
    suppressed), its regions (protected among themselves), the leading firms inside the scope,
    tier and diagnosis, and the written diagnosis (None when suppressed)."""

    cluster_id: str
    name_zh: str
    name_en: str | None
    year: int
    base_year: int | None
    cluster_set_id: str
    regions: tuple[str, ...]
    metrics: tuple[MetricValue, ...]
    regional: tuple[dict, ...]
    leading_firms: tuple[dict, ...]          # uscc, name, region_code — inside the scope only
    leading_hidden: int                      # leading firms not named (outside the scope)
    tier: dict | None
    diagnosis: dict | None
    weaknesses: tuple[dict, ...]
    diagnosis_text: str | None
    suppressed: bool
    suppression_reason: str | None
    controlled: bool
    k: int
    p: float
    synthetic: bool
    run: runs.Run | None


def _visible_firms(svc, scope, usccs: Sequence[str]) -> list[dict]:
    """The firms of ``usccs`` inside ``scope`` (a scoped query), in the given order."""
    if not usccs:
        return []
    e = scope.filter(svc.tables()["enterprises"])
    got = e.filter(e.uscc.isin(list(usccs))).select("uscc", "name", "region_code").to_pyarrow().to_pylist()
    by = {r["uscc"]: r for r in got}
    return [by[u] for u in usccs if u in by]


def profile(svc, scope, cluster_id: str, *, year: int | None = None, k: int = 3, p: float = 85.0,
            lang: str = "zh") -> ClusterProfileView:
    """One cluster's profile, tier and diagnosis (``services.clusters.show`` over the stored
    diagnosis run), under disclosure control for a cluster outside the scope. ``NotFound`` for a
    cluster the set lacks (definitions are public, so this says the known ids)."""
    from zhizao import disclosure
    from zhizao.services import clusters as cl

    _choice("lang", lang, ("zh", "en"))
    with web_fields():
        s = cl.show(svc, cluster_id, year=year, lang=lang)
    ctl = cluster_control(svc, scope, year=s.year, k=k, p=p)
    hidden = bool(ctl.suppressed.get(cluster_id, False))
    cs = cl.cluster_set(svc)
    regions = tuple(_regions_of(cs, cs.get(cluster_id).regions))
    metrics = tuple(MetricValue(key, zh, en, None if hidden and key in SIZE_METRICS else s.profile.get(key),
                                hidden and key in SIZE_METRICS) for key, zh, en in s.metrics)
    # the regions of a multi-region cluster
    regional = [dict(r) for r in s.regional]
    if regional and ctl.needs_control.get(cluster_id):
        need = [not scope.allows_region(r.get("region_code")) for r in regional]
        if hidden:
            supp = np.array(need, dtype=bool)
            reason = ["secondary" if x else "" for x in need]
        else:
            top = _largest(svc, s.year, {i: _split(r.get("leading_usccs")) for i, r in enumerate(regional)})
            prot = disclosure.protect_1d([r.get("firms") or 0 for r in regional],
                                         [r.get("revenue") or 0.0 for r in regional],
                                         [top[i] for i in range(len(regional))], k=k, p=p, needs_control=need)
            supp, reason = prot.suppressed[:-1], list(prot.reason[:-1])
        for i, r in enumerate(regional):
            r["suppressed"] = bool(supp[i])
            r["suppression_reason"] = (reason[i] or None) if supp[i] else None
            if supp[i]:
                for key in SIZE_METRICS:
                    if key in r:
                        r[key] = None
    for r in regional:
        r.setdefault("suppressed", False)
        r.setdefault("suppression_reason", None)
        r.pop("leading_firms", None)
        r.pop("leading_usccs", None)
    leading = _split(s.profile.get("leading_usccs"))
    shown = _visible_firms(svc, scope, leading)
    tier = dict(s.tier) if s.tier else None
    if tier and hidden:
        tier.update(evidence=None, next_tier_missing=None)
    weak = []
    for w in s.weaknesses:
        w = dict(w)
        if hidden and w.get("metric") in SIZE_METRICS:
            w.update(value=None, ratio_to_province=None, ratio_to_national=None)
        weak.append(w)
    return ClusterProfileView(
        s.cluster_id, s.name_zh, s.name_en, s.year, s.base_year, s.cluster_set_id, regions, metrics,
        tuple(regional), tuple(shown), len(leading) - len(shown), tier, s.diagnosis, tuple(weak),
        None if hidden else s.diagnosis_text, hidden, ctl.reason.get(cluster_id), ctl.controlled, int(k), float(p),
        s.synthetic, s.run)


# --- the region × industry matrix under control ----------------------------------------------------
def _matrix_control(svc, scope, *, year: int, measure: str, regions: str, industries: str, k: int, p: float):
    """The year's region × industry matrix of ``measure`` protected for ``scope``
    (``protect_2d``; cells of regions outside the scope need control): (cells, region margins,
    industry margins) as pyarrow tables with ``_s`` (suppressed) and ``_r`` (reason). Kept in the
    service per data generation."""
    from zhizao import disclosure
    from zhizao.clusters.matrix import firm_cells

    def compute():
        fc = firm_cells(svc.tables(), year=year, measure=measure, region_level=regions, industry_level=industries)
        n_r, n_i = len(fc.regions), len(fc.industries)
        n = n_r * n_i
        vals = np.ones(len(fc.values)) if measure == "firms" else np.asarray(fc.values, dtype=np.float64)
        counts = np.bincount(fc.cell, minlength=n).reshape(n_r, n_i)
        value = np.bincount(fc.cell, weights=vals, minlength=n).reshape(n_r, n_i)
        top = np.zeros(n)
        np.maximum.at(top, fc.cell, np.abs(vals))
        need = np.array([not scope.allows_region(str(r).ljust(6, "0")) for r in fc.regions], dtype=bool)
        control = np.repeat(need[:, None], n_i, axis=1)
        if n and control.any():
            prot = disclosure.protect_2d(counts, value, top.reshape(n_r, n_i), k=k, p=p, needs_control=control)
            supp, reason = prot.suppressed, prot.reason
        else:
            supp = np.zeros((n_r + 1, n_i + 1), dtype=bool)
            reason = np.full((n_r + 1, n_i + 1), "", dtype=object)
        rr = np.repeat(np.array(fc.regions, dtype=object), n_i)
        ii = np.tile(np.array(fc.industries, dtype=object), n_r)

        def reasons(a):
            return pa.array([x or None for x in np.asarray(a, dtype=object).ravel().tolist()], pa.string())

        cells = pa.table({"_rc": pa.array(rr.tolist(), pa.string()), "_ic": pa.array(ii.tolist(), pa.string()),
                          "_s": pa.array(supp[:n_r, :n_i].ravel()), "_r": reasons(reason[:n_r, :n_i])})
        rows = pa.table({"_rc": pa.array(list(fc.regions), pa.string()), "_s": pa.array(supp[:n_r, n_i]),
                         "_r": reasons(reason[:n_r, n_i])})
        cols = pa.table({"_ic": pa.array(list(fc.industries), pa.string()), "_s": pa.array(supp[n_r, :n_i]),
                         "_r": reasons(reason[n_r, :n_i])})
        return cells, rows, cols

    key = ("clusters_reads.matrix", year, measure, regions, industries, scope.all_regions, scope.prefixes,
           scope.uscc, int(k), float(p))
    return svc.memo(key, compute, data_only=True)


def _matrix_args(measure, regions, industries):
    for name, value in (("measure", measure), ("regions", regions), ("industries", industries)):
        _choice(name, value, _MATRIX_ARGS[name])


def _indices_run(svc, *, year, measure, regions, industries):
    from zhizao.services import clusters as cl

    _matrix_args(measure, regions, industries)
    with web_fields():
        span = cl.resolve_years(svc, year, None)
    key = {"year": span.year, "measure": measure, "regions": regions, "industries": industries,
           "above_scale_only": False}

    def compute():
        with web_fields():
            return cl.indices(svc, year=span.year, measure=measure, regions=regions, industries=industries).run

    run = stored_run(svc, "clusters.indices", compute=compute, key=key,
                     parameters={**key, "base_year": span.base_year}, years=span.years)
    return run, span


_INDEX_DECL = {"cells": (CELLS, "result_cluster_cells"), "regions": (REGIONS, "result_cluster_regions"),
               "industries": (INDUSTRIES, "result_cluster_industries")}
_INDEX_ORDER = {"cells": ("region_code", "industry_code"), "regions": ("region_code",),
                "industries": ("industry_code",)}


def _index_columns(table: str, controlled: bool) -> tuple[Column, ...]:
    decl, _ = _INDEX_DECL[table]
    cols = tuple(c for c in decl.columns if not c.is_pattern and c.name not in ("measure", "region_level",
                                                                                "industry_level"))
    return cols + ((SUPPRESSED, SUPPRESSION_REASON) if controlled else ())


def _indices_expr(svc, scope, *, year=None, measure="employees", regions="county", industries="division",
                  table="cells", region=None, industry=None, k=3, p=85.0):
    import ibis

    _choice("table", table, INDEX_TABLES)
    run, span = _indices_run(svc, year=year, measure=measure, regions=regions, industries=industries)
    decl, name = _INDEX_DECL[table]
    t = runs.rows(svc, run, name)
    t = t.filter(t.year == span.year)
    prefix = region_prefix_of(region)
    if prefix and "region_code" in t.columns:
        t = t.filter(t.region_code.startswith(prefix))
    if industry:
        if not str(industry).isdigit():
            raise InvalidInput(f"行业代码 {industry} 无效（GB/T 4754 数字代码）",
                               f"industry code {industry} is not valid (GB/T 4754 digits)", where="industry")
        if "industry_code" in t.columns:
            t = t.filter(t.industry_code.startswith(str(industry)))
    controlled = not scope.all_regions
    if controlled:
        cells, rows, cols = _matrix_control(svc, scope, year=span.year, measure=measure, regions=regions,
                                            industries=industries, k=k, p=p)
        # a row the protected matrix does not know is hidden when it may hold a firm outside the
        # scope (deny by default; in practice only empty cells are missing)
        if table == "cells":
            m = ibis.memtable(cells)
            t = t.left_join(m, (t.region_code == m._rc) & (t.industry_code == m._ic))
            unknown = (t.firms.fill_null(1) > 0) & ~scope.predicate(t)
            hide = _CELL_SIZE
        elif table == "regions":
            m = ibis.memtable(rows)
            t = t.left_join(m, t.region_code == m._rc)
            unknown = ~scope.predicate(t)
            hide = ("total",)
        else:
            m = ibis.memtable(cols)
            t = t.left_join(m, t.industry_code == m._ic)
            unknown = t.total.fill_null(1) != 0
            hide = ("total",)
        t = t.mutate(suppressed=t._s.fill_null(unknown), suppression_reason=t._r)
        t = null_where(t, "suppressed", hide)
        if table == "cells" and span.base_year is not None:
            base, _, _ = _matrix_control(svc, scope, year=span.base_year, measure=measure, regions=regions,
                                         industries=industries, k=k, p=p)
            b = ibis.memtable(base.rename_columns(["_brc", "_bic", "_bs", "_br"]))
            t = t.left_join(b, (t.region_code == b._brc) & (t.industry_code == b._bic))
            t = t.mutate(_base_hidden=t._bs.fill_null(t.value_base.fill_null(1) != 0) | t.suppressed)
            t = null_where(t, "_base_hidden", _CELL_BASE)
    cols = _index_columns(table, controlled)
    return t.select([c.name for c in cols]), cols, run, span


def indices_page(svc, scope, *, year: int | None = None, measure: str = "employees", regions: str = "county",
                 industries: str = "division", table: str = "cells", region: str | None = None,
                 industry: str | None = None, k: int = 3, p: float = 85.0, page: int = 1,
                 page_size: int = 50) -> Page:
    """One table of the indices of the region × industry matrix in ``year`` (the stored run of
    ``clusters.indices`` with these settings, else computed and recorded): ``cells`` (region ×
    industry), ``regions`` or ``industries``; size figures of regions outside the scope under
    disclosure control (see the module's note)."""
    check_paging(page, page_size)
    t, cols, run, span = _indices_expr(svc, scope, year=year, measure=measure, regions=regions,
                                       industries=industries, table=table, region=region, industry=industry, k=k,
                                       p=p)
    notes = (f"{span.year} · {measure} · {regions} × {industries}",)
    return paginate(t, cols, page=page, page_size=page_size, order_by=_INDEX_ORDER[table], run=run, notes=notes)


def indices_rows(svc, scope, **filters):
    t, cols, _run, _span = _indices_expr(svc, scope, **filters)
    return cols, batches(t, cols, order_by=_INDEX_ORDER[filters.get("table", "cells")])


# --- candidates ------------------------------------------------------------------------------------
_CAND_HIDDEN = {"detected": ("value", "province_share", "lq", "lq_min", "lq_max", "firms"),
                "new_stars": ("value", "rca")}
_CAND_DECL = {"detected": (CANDIDATES, "result_cluster_candidates", ("region", "candidate_id")),
              "new_stars": (NEW_STARS, "result_cluster_new_stars", ("region", "rank", "industry"))}
CANDIDATES_TOP = 10


def _candidates_expr(svc, scope, *, year=None, measure="employees", regions="county", industries="group",
                     kind="detected", region=None, k=3, p=85.0):
    import ibis

    from zhizao.services import clusters as cl

    _choice("kind", kind, CANDIDATE_KINDS)
    _matrix_args(measure, regions, industries)
    with web_fields():
        y = cl.resolve_years(svc, year, None).year
    key = {"year": y, "measure": measure, "regions": regions, "industries": industries}

    def compute():
        with web_fields():
            return cl.candidates(svc, year=y, measure=measure, regions=regions, industries=industries,
                                 top=CANDIDATES_TOP).run

    run = stored_run(svc, "clusters.candidates", compute=compute, key=key,
                     parameters={**key, "top": CANDIDATES_TOP}, years=[y])
    decl, name, order = _CAND_DECL[kind]
    t = runs.rows(svc, run, name)
    prefix = region_prefix_of(region)
    if prefix:
        t = t.filter(t.region.startswith(prefix))
    controlled = not scope.all_regions
    base = tuple(c for c in decl.columns if not c.is_pattern)
    cols = base + ((SUPPRESSED, SUPPRESSION_REASON) if controlled else ())
    if controlled:
        cells, _, _ = _matrix_control(svc, scope, year=y, measure=measure, regions=regions, industries=industries,
                                      k=k, p=p)
        if kind == "new_stars":
            m = ibis.memtable(cells)
            t = t.left_join(m, (t.region == m._rc) & (t.industry == m._ic))
            t = t.mutate(region_code=t.region)
            t = t.mutate(_s=t._s.fill_null(~scope.predicate(t)))
        else:
            # a candidate is hidden when any of its member cells is (its value is their sum)
            hidden = {(r, i): (s, why) for r, i, s, why in zip(*(cells.column(c).to_pylist()
                                                                 for c in ("_rc", "_ic", "_s", "_r")))}
            cand = runs.rows(svc, run, name).select("candidate_id", "region", "industries").to_pyarrow().to_pylist()
            flags = []
            for c in cand:
                unknown = (not scope.allows_region(str(c["region"]).ljust(6, "0")), None)   # deny by default
                members = [hidden.get((c["region"], i), unknown) for i in _split(c["industries"])]
                why = next((w for s, w in members if s), None)
                flags.append({"_cid": c["candidate_id"], "_s": any(s for s, _ in members), "_r": why})
            m = ibis.memtable(pa.Table.from_pylist(flags, schema=pa.schema([("_cid", pa.string()), ("_s", pa.bool_()),
                                                                             ("_r", pa.string())])))
            t = t.left_join(m, t.candidate_id == m._cid)
        t = t.mutate(suppressed=t._s.fill_null(True), suppression_reason=t._r)
        t = null_where(t, "suppressed", _CAND_HIDDEN[kind])
    return t.select([c.name for c in cols]), cols, run, order


def candidates_page(svc, scope, *, year: int | None = None, measure: str = "employees", regions: str = "county",
                    industries: str = "group", kind: str = "detected", region: str | None = None, k: int = 3,
                    p: float = 85.0, page: int = 1, page_size: int = 50) -> Page:
    """Clusters detected from the data (``kind='detected'``) or new-star industries
    (``'new_stars'``) of the stored ``clusters.candidates`` run (else computed and recorded), by
    region; sizes of regions outside the scope under disclosure control."""
    check_paging(page, page_size)
    t, cols, run, order = _candidates_expr(svc, scope, year=year, measure=measure, regions=regions,
                                           industries=industries, kind=kind, region=region, k=k, p=p)
    return paginate(t, cols, page=page, page_size=page_size, order_by=order, run=run)


def candidates_rows(svc, scope, **filters):
    t, cols, _run, order = _candidates_expr(svc, scope, **filters)
    return cols, batches(t, cols, order_by=order)
