"""The cluster operations users run (产业集群分析): the indices of the region × industry matrix,
the clusters of a definition file, one cluster's profile, the tiers and the 大而不强 diagnosis of
every cluster, and where clusters are and could grow.

Each function takes a ``Service`` and plain values and returns a frozen dataclass that the CLI,
the web app and the reports render without computing: the stored tables (pyarrow), the rows a
page shows (already sorted, filtered and cut), the year(s), whether the data is synthetic and the
``Run`` of what was stored (``zhizao.services.runs``). Errors are ``zhizao.errors``.

The cluster set, the tier criteria and the diagnosis settings are loaded through the lever's
loaders (``zhizao.clusters.method``) once per service. When ``clusters`` is not given,
``default_cluster_set`` decides for every command (clusters and chains alike): the synthetic
province's own clusters on synthetic data, else ``zhejiang-415x``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from zhizao.clusters.results import TABLES
from zhizao.errors import InvalidInput, NoData, NotFound
from zhizao.services import runs
from zhizao.services.registry import Lever, LeverRun

__all__ = ["LEVER", "MEASURES", "REGION_LEVELS", "INDUSTRY_LEVELS", "SYNTHETIC_SET", "DEFAULT_SET", "YearSpan",
           "IndicesResult", "ClusterEntry", "ClusterListing", "ClusterShow", "DiagnosisRow", "DiagnoseResult",
           "CandidatesResult", "default_cluster_set", "cluster_set", "tier_criteria", "diagnosis_settings",
           "resolve_years", "indices", "list_clusters", "show", "diagnose", "candidates", "standard_run"]

LEVER_NAME = "clusters"
Progress = Callable[[str, float], None]

MEASURES = ("employees", "gross_output", "value_added", "revenue", "firms")
REGION_LEVELS = ("county", "prefecture")
INDUSTRY_LEVELS = ("division", "group", "class")
LANGS = ("zh", "en")

SYNTHETIC_SET = "synthetic"          # the synthetic province's 15 county clusters
DEFAULT_SET = "zhejiang-415x"
DEFAULT_TIERS = "tiers-zhejiang"
DEFAULT_SETTINGS = "diagnosis-default"

MIN_FIRMS_SHOWN = 5       # the strongest specialisations skip cells of fewer firms (all cells are stored)
SPECIALISATIONS_SHOWN = 12
COMPLEX_REGIONS_SHOWN = 8
DETECTED_SHOWN = 15
NEW_STARS_SHOWN = 20      # over all regions; one region shows its --top

#: The metrics of one cluster's profile, in the order ``show`` gives them.
SHOW_METRICS = ("firms", "above_scale_firms", "employees", "revenue", "output", "value_added", "revenue_growth",
                "revenue_cagr", "lq", "hhi", "top4_share", "rd_intensity", "invention_patents_per_10k",
                "new_product_share", "va_per_employee", "profit_margin", "high_tech_share")


def _quiet(stage: str, fraction: float) -> None:
    pass


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        one_of = ", ".join(allowed)
        raise InvalidInput(f"{option} {value!r}：应为 {one_of} 之一", f"{option} {value!r}: expected one of {one_of}",
                           where=option)
    return value


# --- methods ---------------------------------------------------------------------------------------
def _file_key(arg) -> Hashable:
    """A file by its path and modification time (an edited file is read again), an id by itself."""
    p = Path(str(arg))
    try:
        if p.suffix in (".yaml", ".yml") and p.is_file():
            return (str(p.resolve()), p.stat().st_mtime_ns)
    except OSError:
        pass
    return str(arg)


def _memo(svc, key, load):
    return load() if svc is None else svc.memo(key, load)


def default_cluster_set(svc) -> str:
    """The ``--clusters`` default of every command: ``synthetic`` (the synthetic province's own
    county clusters) when the warehouse holds synthetic data, else ``zhejiang-415x``; without a
    warehouse (``svc`` None) ``zhejiang-415x``."""
    return SYNTHETIC_SET if svc is not None and svc.is_synthetic() else DEFAULT_SET


def cluster_set(svc, clusters=None):
    """The cluster set ``clusters`` names (a shipped id, a YAML file, ``synthetic``, or a
    ``ClusterSet``; default ``default_cluster_set``), loaded once per service."""
    from zhizao.clusters.method import ClusterSet, clusters_from_synth, load_clusters

    if isinstance(clusters, ClusterSet):
        return clusters
    spec = str(clusters) if clusters else default_cluster_set(svc)
    if spec == SYNTHETIC_SET:
        from zhizao.data.synth import load_calibration

        return _memo(svc, ("clusters.set", SYNTHETIC_SET), lambda: clusters_from_synth(load_calibration()))
    return _memo(svc, ("clusters.set", _file_key(spec)), lambda: load_clusters(spec))


def tier_criteria(svc, tiers=None):
    """Tier criteria (a shipped id or a YAML file; default ``tiers-zhejiang``), loaded once per service."""
    from zhizao.clusters.method import TierCriteria, load_tier_criteria

    if isinstance(tiers, TierCriteria):
        return tiers
    spec = str(tiers or DEFAULT_TIERS)
    return _memo(svc, ("clusters.tiers", _file_key(spec)), lambda: load_tier_criteria(spec))


def diagnosis_settings(svc, settings=None):
    """Diagnosis settings (a shipped id or a YAML file; default ``diagnosis-default``), loaded once
    per service."""
    from zhizao.clusters.method import DiagnosisSettings, load_diagnosis_settings

    if isinstance(settings, DiagnosisSettings):
        return settings
    spec = str(settings or DEFAULT_SETTINGS)
    return _memo(svc, ("clusters.settings", _file_key(spec)), lambda: load_diagnosis_settings(spec))


def _method_ref(method) -> dict:
    from zhizao.methodfile import fingerprint

    fp = fingerprint(method)
    return {"id": fp.id, "version": fp.version, "sha256": fp.sha256}


# --- years -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class YearSpan:
    """The analysis year, the base year (None: no growth measured) and the years from base to year."""

    year: int
    base_year: int | None
    years: tuple[int, ...]


def resolve_years(svc, year: int | None = None, base_year: int | None = None) -> YearSpan:
    """``year`` (default: the latest with indicators) and ``base_year`` (default: the earliest
    year, none when that is the analysis year); ``InvalidInput`` naming ``--year`` / ``--base-year``
    for a year the warehouse lacks or a base year not before the year."""
    year, _ = svc.resolve_year(year)
    have = svc.years()
    listed = ", ".join(map(str, have))
    if base_year is None:
        base_year = have[0] if have[0] < year else None
    elif int(base_year) not in have:
        raise InvalidInput(f"--base-year {base_year}：数据仓库中没有该年的指标（现有年份：{listed}）",
                           f"--base-year {base_year}: no indicators for it (years present: {listed})",
                           where="--base-year")
    elif int(base_year) >= year:
        raise InvalidInput(f"--base-year {base_year} 必须早于 --year {year}",
                           f"--base-year {base_year} must be before --year {year}", where="--base-year")
    first = year if base_year is None else int(base_year)
    return YearSpan(year, None if base_year is None else int(base_year),
                    tuple(y for y in have if first <= y <= year))


# --- indices ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicesResult:
    """The indices of one region × industry matrix for every year from the base year to ``year``.

    ``cells`` / ``regions`` / ``industries`` / ``relatedness``: the stored tables;
    ``top_specialisations``: the strongest specialisations of ``year`` (LQ ≥ 1, ≥ 5 % of the
    industry, ≥ ``min_firms_shown`` firms; by LQ); ``most_complex``: the regions of ``year`` by ECI."""

    year: int
    base_year: int | None
    years: tuple[int, ...]
    measure: str
    region_level: str
    industry_level: str
    above_scale_only: bool
    n_regions: int
    n_industries: int
    cells: pa.Table
    regions: pa.Table
    industries: pa.Table
    relatedness: pa.Table
    top_specialisations: tuple[dict, ...]
    most_complex: tuple[dict, ...]
    min_firms_shown: int
    synthetic: bool
    run: runs.Run

    @property
    def meta(self) -> dict:
        """What the matrix counts (the workbook's header)."""
        return {"measure": self.measure, "region_level": self.region_level, "industry_level": self.industry_level}


def _year_rows(t: pa.Table, year: int) -> pa.Table:
    import pyarrow.compute as pc

    return t.filter(pc.equal(t.column("year"), year))


def indices(svc, *, year: int | None = None, base_year: int | None = None, measure: str = "employees",
            regions: str = "county", industries: str = "division", above_scale_only: bool = False,
            progress: Progress | None = None) -> IndicesResult:
    """Specialisation, concentration, growth, relatedness and complexity indices of the region ×
    industry matrix, for every year from ``base_year`` to ``year``; stored as one run of
    ``clusters.indices`` (result_cluster_cells, _regions, _industries, _relatedness)."""
    import pyarrow.compute as pc

    from zhizao.clusters.indices import indices_tables, relatedness_pairs
    from zhizao.clusters.matrix import build_matrix, firm_cells

    _choice("--measure", measure, MEASURES)
    _choice("--regions", regions, REGION_LEVELS)
    _choice("--industries", industries, INDUSTRY_LEVELS)
    cb = progress or _quiet
    span = resolve_years(svc, year, base_year)
    tables = svc.tables()
    cb("matrix", 0.1)
    m = build_matrix(tables, years=list(span.years), measure=measure, region_level=regions,
                     industry_level=industries, above_scale_only=above_scale_only)
    if not m.regions or not m.industries or not m.values.any():
        listed = ", ".join(map(str, span.years))
        raise NoData(f"{listed} 年没有 {measure} 数据：无可计算的指标",
                     f"no {measure} in {listed}: nothing to index", where="--measure")
    cb("firms", 0.3)
    # firm concentration on the same measure (a count of firms has no shares: revenue then)
    firm_measure = "revenue" if measure == "firms" else measure
    firms = {y: firm_cells(tables, year=y, measure=firm_measure, region_level=regions, industry_level=industries,
                           above_scale_only=above_scale_only, matrix=m) for y in m.years}
    cb("indices", 0.6)
    t = indices_tables(m, base_year=span.base_year, firms=firms)
    pairs = relatedness_pairs(m, year=span.year)
    cb("write", 0.9)
    key = {"year": span.year, "measure": measure, "regions": regions, "industries": industries,
           "above_scale_only": above_scale_only}
    run = runs.record(svc, lever=LEVER_NAME, analysis="clusters.indices",
                      tables={"cluster_cells": t.cells, "cluster_regions": t.regions,
                              "cluster_industries": t.industries, "cluster_relatedness": pairs},
                      years=span.years, parameters={**key, "base_year": span.base_year}, key=key)
    cells = _year_rows(t.cells, span.year)
    big = cells.filter(pc.and_(pc.and_(pc.greater_equal(cells.column("lq"), 1.0),
                                       pc.greater_equal(cells.column("share_of_industry"), 0.05)),
                               pc.greater_equal(cells.column("firms"), MIN_FIRMS_SHOWN)))
    top = big.sort_by([("lq", "descending")]).slice(0, SPECIALISATIONS_SHOWN).to_pylist()
    regs = _year_rows(t.regions, span.year).sort_by([("eci", "descending")]).slice(0, COMPLEX_REGIONS_SHOWN)
    cb("done", 1.0)
    return IndicesResult(span.year, span.base_year, tuple(m.years), measure, regions, industries, above_scale_only,
                         len(m.regions), len(m.industries), t.cells, t.regions, t.industries, pairs, tuple(top),
                         tuple(regs.to_pylist()), MIN_FIRMS_SHOWN, svc.is_synthetic(), run)


# --- list ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterEntry:
    """One cluster of a definition file."""

    id: str
    name_zh: str
    name_en: str
    regions: tuple[str, ...]          # GB/T 2260 codes, or ("all",): the set's province
    industry_codes: tuple[str, ...]   # GB/T 4754 prefixes; empty: unmapped
    tier_claimed: str | None
    confidence: str
    unmapped: str | None


@dataclass(frozen=True)
class ClusterListing:
    """The contents of a cluster definition file (nothing is computed or stored)."""

    spec: str
    id: str
    name_zh: str
    name_en: str
    province: str
    source: str
    clusters: tuple[ClusterEntry, ...]


def list_clusters(svc=None, *, clusters=None) -> ClusterListing:
    """The clusters of a definition file: id, names, regions, industry codes, the tier each
    officially holds. ``svc`` (optional) only decides the default set (``default_cluster_set``)."""
    cs = cluster_set(svc, clusters)
    spec = str(clusters) if clusters else default_cluster_set(svc)
    entries = tuple(ClusterEntry(c.id, c.name_zh, c.name_en,
                                 tuple(c.regions) if isinstance(c.regions, (list, tuple)) else (str(c.regions),),
                                 tuple(m.code for m in c.industries), c.tier_claimed, c.confidence, c.unmapped)
                    for c in cs.clusters)
    return ClusterListing(spec, cs.id, cs.name_zh, cs.name_en, cs.province, cs.source, entries)


# --- diagnose and show -----------------------------------------------------------------------------
DIAGNOSE = "clusters.diagnose"


def _stamp_year(t: pa.Table, year: int) -> pa.Table:
    if "year" in t.column_names:
        return t
    return t.add_column(0, "year", pa.array([year] * t.num_rows, pa.int64()))


def _arrow(ibis_table) -> pa.Table:
    t = ibis_table.to_pyarrow()
    return t.drop_columns(["run_id"]) if "run_id" in t.column_names else t


def _diagnosis_parts(svc, cs, crit, sett, span: YearSpan, progress: Progress) -> dict[str, pa.Table]:
    from zhizao.clusters.diagnosis import diagnose as _diagnose
    from zhizao.clusters.profile import cluster_profiles
    from zhizao.clusters.tiers import assign_tiers

    progress("profiles", 0.1)
    try:
        prof = cluster_profiles(svc.tables(), cs, year=span.year, base_year=span.base_year)
    except ValueError as e:
        raise NoData(f"无法为 {cs.id} 的集群画像：{e}", f"cannot profile the clusters of {cs.id}: {e}",
                     where="--clusters") from None
    progress("tiers", 0.6)
    tiers = assign_tiers(prof, crit)
    progress("diagnosis", 0.8)
    diag = _diagnose(prof, sett)
    return {"cluster_profiles": prof, "cluster_tiers": _stamp_year(tiers, span.year),
            "cluster_diagnosis": _stamp_year(diag.clusters, span.year),
            "cluster_weaknesses": _stamp_year(diag.weaknesses, span.year)}


def _diagnosis_args(cs, crit, sett, span: YearSpan) -> tuple[dict, dict]:
    """(parameters, key) of a diagnosis run: the cluster set is the run's method; the tier criteria
    and diagnosis settings are recorded by id and hash."""
    t, s = _method_ref(crit), _method_ref(sett)
    params = {"year": span.year, "base_year": span.base_year, "tiers": t["id"], "tiers_sha256": t["sha256"],
              "settings": s["id"], "settings_sha256": s["sha256"]}
    return params, {"year": span.year}


@dataclass(frozen=True)
class DiagnosisRow:
    """One row of the tiers-and-diagnosis table."""

    cluster_id: str
    name_zh: str
    name_en: str | None
    above_scale_revenue: float | None   # yuan
    revenue_cagr: float | None
    lq: float | None
    tier: str
    tier_zh: str
    tier_en: str
    scale_percentile: float | None
    strength_percentile: float | None
    verdict: str | None
    verdict_en: str | None
    weak_dimensions: tuple[str, ...]    # names in the result's language


@dataclass(frozen=True)
class DiagnoseResult:
    """Profiles, tiers and the 大而不强 diagnosis of every cluster of a set.

    ``rows``: one per tiered cluster, in the tier table's order; ``weak_texts``: the written
    diagnosis (``lang``) of each 大而不强 cluster; ``dimension_names``: dimension → (zh, en)."""

    year: int
    base_year: int | None
    cluster_set_id: str
    cluster_set_zh: str
    cluster_set_en: str
    tiers_id: str | None
    settings_id: str | None
    lang: str
    profiles: pa.Table
    tiers: pa.Table
    diagnosis: pa.Table
    weaknesses: pa.Table
    rows: tuple[DiagnosisRow, ...]
    weak_texts: tuple[str, ...]
    dimension_names: dict
    synthetic: bool
    run: runs.Run


def _lang(lang: str) -> str:
    return _choice("--lang", lang, LANGS)


def _diagnosis_result(svc, cs, crit, sett, span: YearSpan, tables: dict[str, pa.Table], lang: str,
                      run) -> DiagnoseResult:
    from zhizao.clusters.diagnosis import DiagnosisResult, render

    prof, tiers = tables["cluster_profiles"], tables["cluster_tiers"]
    diag, weak = tables["cluster_diagnosis"], tables["cluster_weaknesses"]
    dims = {k: (d.name_zh, d.name_en) for k, d in sett.dimensions.items()}
    zh = lang == "zh"
    verdicts = {r["cluster_id"]: r for r in diag.to_pylist()}
    prof_rows = {r["cluster_id"]: r for r in prof.to_pylist() if r["scope"] == "cluster"}
    rows = []
    for tr in tiers.to_pylist():
        cid = tr["cluster_id"]
        p, d = prof_rows.get(cid, {}), verdicts.get(cid, {})
        weak_keys = [k for k in (d.get("weak_dimensions") or "").split(";") if k]
        rows.append(DiagnosisRow(cid, p.get("name_zh", tr.get("name_zh") or cid), p.get("name_en"),
                                 p.get("above_scale_revenue"), p.get("revenue_cagr"), p.get("lq"), tr["tier"],
                                 tr["tier_zh"], tr["tier_en"], d.get("scale_percentile"),
                                 d.get("strength_percentile"), d.get("verdict"), d.get("verdict_en"),
                                 tuple(dims.get(k, (k, k))[0 if zh else 1] for k in weak_keys)))
    dr = DiagnosisResult(diag, weak, sett)
    texts = tuple(render(dr, lang=lang, cluster_id=cid) for cid, d in verdicts.items() if d.get("verdict") == "大而不强")
    return DiagnoseResult(span.year, span.base_year, cs.id, cs.name_zh, cs.name_en, _method_ref(crit)["id"],
                          _method_ref(sett)["id"], lang, prof, tiers, diag, weak, tuple(rows), texts, dims,
                          svc.is_synthetic(), run)


def diagnose(svc, *, year: int | None = None, base_year: int | None = None, clusters=None, tiers=None,
             settings=None, lang: str = "zh", progress: Progress | None = None) -> DiagnoseResult:
    """Profile every cluster of the set, place it in a tier with the rule that placed it and
    diagnose 大而不强; stored as one run of ``clusters.diagnose`` (result_cluster_profiles,
    _tiers, _diagnosis, _weaknesses), the cluster set as its method."""
    _lang(lang)
    cs = cluster_set(svc, clusters)
    crit, sett = tier_criteria(svc, tiers), diagnosis_settings(svc, settings)
    span = resolve_years(svc, year, base_year)
    cb = progress or _quiet
    tables = _diagnosis_parts(svc, cs, crit, sett, span, cb)
    params, key = _diagnosis_args(cs, crit, sett, span)
    run = runs.record(svc, lever=LEVER_NAME, analysis=DIAGNOSE, tables=tables, method=cs, years=span.years,
                      parameters=params, key=key)
    cb("done", 1.0)
    return _diagnosis_result(svc, cs, crit, sett, span, tables, lang, run)


@dataclass(frozen=True)
class ClusterShow:
    """One cluster: its profile (``profile``: the whole cluster; ``regional``: one row per region
    of it), the metrics in the order shown (key, zh label, en label), its tier row and rule, its
    diagnosis row and weak points, and the written diagnosis in ``lang``."""

    cluster_id: str
    name_zh: str
    name_en: str | None
    year: int
    base_year: int | None
    cluster_set_id: str
    lang: str
    profile: dict
    regional: tuple[dict, ...]
    metrics: tuple[tuple[str, str, str], ...]
    leading_firms: str | None
    tier: dict | None
    diagnosis: dict | None
    weaknesses: tuple[dict, ...]
    diagnosis_text: str
    synthetic: bool
    run: runs.Run | None


def show(svc, cluster_id: str, *, year: int | None = None, base_year: int | None = None, clusters=None,
         lang: str = "zh", progress: Progress | None = None) -> ClusterShow:
    """One cluster's profile, tier (and the rule) and diagnosis. Uses the stored diagnosis run of
    the set (default tier criteria and settings) when one matches, else computes and stores it.
    ``NotFound`` (with the known ids) for a cluster the set lacks."""
    from zhizao.clusters.diagnosis import DiagnosisResult, render
    from zhizao.clusters.method import METRIC_LABELS

    _lang(lang)
    cs = cluster_set(svc, clusters)
    ids = [c.id for c in cs.clusters]
    if cluster_id not in ids:
        raise NotFound(f"{cs.id} 中没有集群 {cluster_id!r}；集群：{', '.join(ids)}",
                       f"no cluster {cluster_id!r} in {cs.id}; clusters: {', '.join(ids)}", where=cluster_id)
    if not cs.get(cluster_id).profiled:
        raise NoData(f"集群 {cluster_id!r} 没有对应的行业代码：无法画像",
                     f"cluster {cluster_id!r} has no industry codes mapped: nothing to profile", where=cluster_id)
    crit, sett = tier_criteria(svc), diagnosis_settings(svc)
    span = resolve_years(svc, year, base_year)
    cb = progress or _quiet
    params, key = _diagnosis_args(cs, crit, sett, span)
    got = runs.stored_or_compute(svc, lever=LEVER_NAME, analysis=DIAGNOSE,
                                 compute=lambda: _diagnosis_parts(svc, cs, crit, sett, span, cb), method=cs,
                                 years=span.years, parameters=params, key=key)
    tables = {n: _arrow(t) for n, t in got.tables.items()}
    cb("done", 1.0)
    d = _diagnosis_result(svc, cs, crit, sett, span, tables, lang, got.run)
    rows = [r for r in d.profiles.to_pylist() if r["cluster_id"] == cluster_id]
    if not rows:
        raise NoData(f"集群 {cluster_id!r} 在 {span.year} 年没有企业：无法画像",
                     f"cluster {cluster_id!r} has no firms in {span.year}: nothing to profile", where=cluster_id)
    main = next(r for r in rows if r["scope"] == "cluster")
    text = render(DiagnosisResult(d.diagnosis, d.weaknesses, sett), lang=lang, cluster_id=cluster_id)
    metrics = tuple((k, *METRIC_LABELS.get(k, (k, k))[:2]) for k in SHOW_METRICS)
    return ClusterShow(cluster_id, main["name_zh"], main.get("name_en"), span.year, span.base_year, cs.id, lang, main,
                       tuple(r for r in rows if r["scope"] == "region"), metrics, main.get("leading_firms"),
                       next((r for r in d.tiers.to_pylist() if r["cluster_id"] == cluster_id), None),
                       next((r for r in d.diagnosis.to_pylist() if r["cluster_id"] == cluster_id), None),
                       tuple(r for r in d.weaknesses.to_pylist() if r["cluster_id"] == cluster_id), text,
                       d.synthetic, got.run)


# --- candidates ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CandidatesResult:
    """Clusters detected from the data (``detected``) and new-star candidates (``new_stars``), both
    stored; ``detected_shown``: the largest detected clusters (``industry_codes`` split out);
    ``stars_shown``: the new stars of ``region`` (its ``top``), or the first over all regions."""

    year: int
    measure: str
    region_level: str
    industry_level: str
    region: str | None
    top: int
    n_regions: int
    detected: pa.Table
    new_stars: pa.Table
    detected_shown: tuple[dict, ...]
    stars_shown: tuple[dict, ...]
    synthetic: bool
    run: runs.Run


def _aligned(firms, m):
    """The firm-count matrix on ``m``'s axes (a region or industry with no firms is 0)."""
    from dataclasses import replace

    import numpy as np

    if firms is m:
        return m
    out = np.zeros(m.values.shape[1:])
    r_idx = {c: i for i, c in enumerate(m.regions)}
    i_idx = {c: i for i, c in enumerate(m.industries)}
    rs = np.array([r_idx.get(c, -1) for c in firms.regions], dtype=np.int64)
    is_ = np.array([i_idx.get(c, -1) for c in firms.industries], dtype=np.int64)
    ok_r, ok_i = rs >= 0, is_ >= 0
    out[np.ix_(rs[ok_r], is_[ok_i])] = firms.values[0][np.ix_(ok_r, ok_i)]
    return replace(m, values=out[np.newaxis], measure="firms")


def candidates(svc, *, year: int | None = None, measure: str = "employees", regions: str = "county",
               industries: str = "group", region: str | None = None, top: int = 10,
               progress: Progress | None = None) -> CandidatesResult:
    """Where clusters are (candidates detected from the data) and where new ones can grow
    (new-star candidates); stored as one run of ``clusters.candidates`` (result_cluster_candidates,
    result_cluster_new_stars). ``region`` only chooses the new stars shown; ``InvalidInput`` when
    it is not a region of the matrix."""
    import pyarrow.compute as pc

    from zhizao.clusters.candidates import detect_clusters, new_star_candidates
    from zhizao.clusters.matrix import build_matrix

    _choice("--measure", measure, MEASURES)
    _choice("--regions", regions, REGION_LEVELS)
    _choice("--industries", industries, INDUSTRY_LEVELS)
    if int(top) < 1:
        raise InvalidInput(f"--top {top} 应至少为 1", f"--top {top}: expected at least 1", where="--top")
    cb = progress or _quiet
    year = resolve_years(svc, year, None).year
    tables = svc.tables()
    cb("matrix", 0.1)
    m = build_matrix(tables, years=[year], measure=measure, region_level=regions, industry_level=industries)
    if not m.regions:
        raise NoData(f"{year} 年没有 {measure} 数据", f"no {measure} in {year}", where="--measure")
    if region is not None and region not in m.regions:
        raise InvalidInput(f"--region {region}：不是矩阵中的地区（{len(m.regions)} 个{regions}代码）",
                           f"--region {region}: not a region of the matrix ({len(m.regions)} {regions} codes)",
                           where="--region")
    firms = m if measure == "firms" else build_matrix(tables, years=[year], measure="firms", region_level=regions,
                                                      industry_level=industries)
    cb("detect", 0.4)
    found = detect_clusters(m, year=year, firms=_aligned(firms, m))
    cb("new stars", 0.7)
    stars = new_star_candidates(m, year=year, top=top)
    key = {"year": year, "measure": measure, "regions": regions, "industries": industries}
    run = runs.record(svc, lever=LEVER_NAME, analysis="clusters.candidates",
                      tables={"cluster_candidates": found, "cluster_new_stars": stars}, years=[year],
                      parameters={**key, "top": int(top)}, key=key)
    shown = found.sort_by([("value", "descending")]).slice(0, DETECTED_SHOWN).to_pylist()
    for r in shown:
        r["industry_codes"] = tuple(c for c in (r["industries"] or "").split(";") if c)
    if region is not None:
        s = stars.filter(pc.equal(stars.column("region"), region)).slice(0, int(top))
    else:
        s = stars.slice(0, NEW_STARS_SHOWN)
    cb("done", 1.0)
    return CandidatesResult(year, measure, regions, industries, region, int(top), len(m.regions), found, stars,
                            tuple(shown), tuple(s.to_pylist()), svc.is_synthetic(), run)


# --- the lever -------------------------------------------------------------------------------------
def standard_run(svc, year: int) -> LeverRun:
    """What the demo runs for clusters: the indices of the county × division matrix (employees,
    all years up to ``year``) and the profiles, tiers and 大而不强 diagnosis of the default cluster
    set (two runs); summaries: cluster_diagnosis, cluster_tiers, cluster_top_specialisations."""
    import pyarrow.compute as pc

    idx = indices(svc, year=year)
    d = diagnose(svc, year=year)
    summary = d.diagnosis.select(["cluster_id", "name_zh", "scale_percentile", "strength_percentile", "verdict",
                                  "weak_dimensions"])
    tier_of = dict(zip(d.tiers.column("cluster_id").to_pylist(), d.tiers.column("tier_zh").to_pylist()))
    ids = summary.column("cluster_id").to_pylist()
    summary = summary.append_column("tier_zh", pa.array([tier_of.get(c) for c in ids], pa.string()))
    cells = _year_rows(idx.cells, year)
    top = cells.filter(pc.greater_equal(cells.column("share_of_industry"), 0.05)).sort_by([("lq", "descending")])
    tiers = d.tiers.drop_columns(["year"]) if "year" in d.tiers.column_names else d.tiers
    weak = [r.name_zh for r in d.rows if r.verdict == "大而不强"]
    n = len(d.rows)
    finding = (f"{year} 产业集群：{n} 个集群画像，大而不强：{'、'.join(weak) or '无'} / "
               f"{year} clusters: {n} profiled ({d.cluster_set_id}); big but not strong: "
               f"{', '.join(r.name_en or r.cluster_id for r in d.rows if r.verdict == '大而不强') or 'none'}")
    top = top.select(["region_code", "industry_code", "value", "lq", "share_of_industry", "density"]).slice(0, 10)
    return LeverRun(runs=[idx.run, d.run],
                    summaries={"cluster_diagnosis": summary, "cluster_tiers": tiers, "cluster_top_specialisations": top},
                    findings=[finding])


LEVER = Lever(name=LEVER_NAME, zh="产业集群", en="industrial clusters", tables=TABLES, standard_run=standard_run)
