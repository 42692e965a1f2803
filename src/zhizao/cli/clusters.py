"""`zhizao clusters …`: cluster analytics (产业集群分析) commands.

Shell only: each command parses its arguments, calls ``zhizao.clusters``, writes the results as
warehouse tables (``result_cluster_…``) and prints a Rich summary in Chinese and English; errors
go to stderr with exit 1. ``zhizao.cli`` adds ``clusters_app`` as ``zhizao clusters``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_name
from zhizao.cli._shell import (
    SYNTHETIC_NOTE,
    DbOption,
    choice,
    err,
    fail,
    fmt,
    indicator_years,
    open_db,
    out,
    progress_bar,
    resolve_year,
    warehouse_is_synthetic,
)

clusters_app = typer.Typer(
    name="clusters",
    help="产业集群 (industrial clusters): specialisation, concentration, relatedness and complexity "
         "indices; cluster profiles, 415X-style tiers, the 大而不强 diagnosis, and where new clusters can grow.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

YearOption = Annotated[Optional[int], typer.Option(
    "--year", help="Year of the analysis. Default: the latest year with indicators in the warehouse.")]
BaseYearOption = Annotated[Optional[int], typer.Option(
    "--base-year", help="Year growth, shift-share and entry/exit are measured from. Default: the earliest "
                        "year in the warehouse (none when it is the analysis year).")]
ClustersOption = Annotated[Optional[str], typer.Option(
    "--clusters", help="Cluster definitions: a shipped set (zhejiang-415x, jiangsu), 'synthetic' (the demo "
                       "province's 15 county clusters) or a YAML file. Default: zhejiang-415x.")]
MeasureOption = Annotated[str, typer.Option(
    "--measure", help="What the region × industry matrix counts: employees, gross_output, value_added, "
                      "revenue or firms.")]
RegionLevelOption = Annotated[str, typer.Option(
    "--regions", help="Regions of the matrix: county (区县) or prefecture (地市).")]
IndustryLevelOption = Annotated[str, typer.Option(
    "--industries", help="Industries of the matrix: GB/T 4754 division (大类), group (中类) or class (小类).")]
XlsxOption = Annotated[Optional[Path], typer.Option(
    "--xlsx", help="Also write the results to this Excel workbook (Chinese headers).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the written diagnosis: zh or en.")]

MIN_FIRMS_SHOWN = 5   # the summary table skips one-firm "specialisations" (all cells are written)
MEASURES = ("employees", "gross_output", "value_added", "revenue", "firms")
REGION_LEVELS = ("county", "prefecture")
INDUSTRY_LEVELS = ("division", "group", "class")


# --- helpers ---------------------------------------------------------------------------------
def _load_clusters(spec: str | None):
    from zhizao.clusters.method import MethodError, clusters_from_synth, load_clusters

    try:
        return clusters_from_synth() if spec == "synthetic" else load_clusters(spec or "zhejiang-415x")
    except (MethodError, OSError) as e:
        fail(str(e))


def _years(wh, year: int | None, base_year: int | None) -> tuple[int, int | None, list[int]]:
    """(year, base year or None, the years from base to year present in the warehouse)."""
    year, _ = resolve_year(wh, year)
    have = indicator_years(wh)
    if base_year is None:
        base_year = have[0] if have[0] < year else None
    elif base_year not in have:
        fail(f"--base-year {base_year}: no indicators for it (years present: {', '.join(map(str, have))})")
    elif base_year >= year:
        fail(f"--base-year {base_year} must be before --year {year}")
    first = base_year if base_year is not None else year
    return year, base_year, [y for y in have if first <= y <= year]


def _profiles(wh, clusters, year: int, base_year: int | None, cb):
    from zhizao.clusters.profile import cluster_profiles

    cb("profiles", 0.1)
    try:
        return cluster_profiles(wh.tables(), clusters, year=year, base_year=base_year)
    except ValueError as e:
        fail(str(e))


# --- commands --------------------------------------------------------------------------------
@clusters_app.command("indices")
def indices_cmd(
    year: YearOption = None,
    base_year: BaseYearOption = None,
    measure: MeasureOption = "employees",
    regions: RegionLevelOption = "county",
    industries: IndustryLevelOption = "division",
    above_scale_only: Annotated[bool, typer.Option("--above-scale-only", help="Only 规上 enterprises.")] = False,
    xlsx: XlsxOption = None,
    db: DbOption = None,
) -> None:
    """Specialisation, concentration, growth, relatedness and complexity indices of the region ×
    industry matrix, for every year from --base-year to --year in one call.

    Writes result_cluster_cells (LQ, RCA, Mcp, density, COG, shift-share, entry/exit, and the
    concentration of firms — HHI, top-1 and top-4 shares — per region × industry × year),
    result_cluster_regions (diversity, ECI, COI, Krugman, HHI, entropy, related/unrelated
    variety, coherence), result_cluster_industries (ubiquity, PCI, Gini, locational Gini,
    Hoover) and result_cluster_relatedness (industry pairs of --year: co-occurrence, proximity,
    probability, association strength, cosine, Jaccard).
    """
    choice("--measure", measure, MEASURES)
    choice("--regions", regions, REGION_LEVELS)
    choice("--industries", industries, INDUSTRY_LEVELS)
    from zhizao.clusters.indices import indices_tables, relatedness_pairs
    from zhizao.clusters.matrix import build_matrix, firm_cells

    with open_db(db) as wh:
        year, base_year, years = _years(wh, year, base_year)
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("集群指标 indices") as cb:
            cb("matrix", 0.1)
            m = build_matrix(wh.tables(), years=years, measure=measure, region_level=regions,
                             industry_level=industries, above_scale_only=above_scale_only)
            if not m.regions or not m.industries:
                fail(f"no {measure} in {years}: nothing to index")
            cb("firms", 0.3)
            # firm concentration on the same measure (a count of firms has no shares: revenue then)
            firm_measure = "revenue" if measure == "firms" else measure
            firms = {y: firm_cells(wh.tables(), year=y, measure=firm_measure, region_level=regions,
                                   industry_level=industries, above_scale_only=above_scale_only, matrix=m)
                     for y in m.years}
            cb("indices", 0.6)
            t = indices_tables(m, base_year=base_year, firms=firms)
            pairs = relatedness_pairs(m, year=year)
            cb("write", 0.9)
            meta = {"measure": measure, "region_level": regions, "industry_level": industries}
            for name, table in (("cells", t.cells), ("regions", t.regions), ("industries", t.industries),
                                ("relatedness", pairs)):
                wh.write_result(f"cluster_{name}", table)
            cb("done", 1.0)
    _print_indices(t, m, year, synthetic)
    if xlsx is not None:
        from zhizao.report.clusters_xlsx import write_indices_xlsx

        write_indices_xlsx(t, xlsx, year=year, meta=meta, synthetic=synthetic)
        out.print(f"已写出 written: {xlsx}")


def _print_indices(t, m, year: int, synthetic: bool) -> None:
    import pyarrow.compute as pc

    cells = t.cells.filter(pc.equal(t.cells.column("year"), year))
    big = cells.filter(pc.and_(pc.and_(pc.greater_equal(cells.column("lq"), 1.0),
                                       pc.greater_equal(cells.column("share_of_industry"), 0.05)),
                               pc.greater_equal(cells.column("firms"), MIN_FIRMS_SHOWN)))
    top = big.sort_by([("lq", "descending")]).slice(0, 12).to_pylist()
    note = f" ({SYNTHETIC_NOTE})" if synthetic else ""
    tt = RichTable(title=f"{year} 最专业化的地区产业 strongest specialisations (≥ 5 % of the industry, "
                         f"≥ {MIN_FIRMS_SHOWN} firms){note}")
    for c in ("地区 region", "行业 industry", f"{m.measure}", "区位商 LQ", "占全行业 share", "关联密度 density",
              "企业 firms", "前4位 top-4"):
        tt.add_column(c, justify="left" if c.startswith(("地区", "行业")) else "right")
    for r in top:
        tt.add_row(f"{r['region_code']} {region_name(r['region_code'])}",
                   f"{r['industry_code']} {industry_name(r['industry_code'])}", fmt(r["value"], ",.0f"),
                   fmt(r["lq"]), fmt(r["share_of_industry"], ".1%"), fmt(r["density"], ".2f"),
                   fmt(r.get("firms"), ",.0f"), fmt(r.get("top4_share"), ".0%"))
    out.print(tt)
    regs = t.regions.filter(pc.equal(t.regions.column("year"), year)).sort_by([("eci", "descending")])
    rt = RichTable(title=f"{year} 经济复杂度最高的地区 most complex regions (ECI)")
    for c in ("地区 region", "多样性 diversity", "ECI", "COI", "克鲁格曼 Krugman", "熵 entropy"):
        rt.add_column(c, justify="left" if c.startswith("地区") else "right")
    for r in regs.slice(0, 8).to_pylist():
        rt.add_row(f"{r['region_code']} {region_name(r['region_code'])}", fmt(r["diversity"], ".0f"),
                   fmt(r["eci"]), fmt(r["coi"]), fmt(r["krugman"]), fmt(r["entropy"]))
    out.print(rt)
    out.print(f"{len(m.regions)} regions × {len(m.industries)} {m.industry_level}s × {len(m.years)} years "
              f"({', '.join(map(str, m.years))}) → result_cluster_cells ({t.cells.num_rows:,} rows), "
              "result_cluster_regions, result_cluster_industries, result_cluster_relatedness")


@clusters_app.command("list")
def list_cmd(clusters: ClustersOption = None) -> None:
    """List the clusters of a definition file: id, name, regions, GB/T 4754 codes and the tier they
    officially hold."""
    cs = _load_clusters(clusters)
    t = RichTable(title=f"{cs.name_zh} {cs.name_en} — {len(cs.clusters)} clusters")
    for c in ("id", "名称 name", "地区 regions", "行业代码 industry codes", "官方梯度 tier", "可信度 conf."):
        t.add_column(c)
    for c in cs.clusters:
        codes = ", ".join(m.code for m in c.industries) or "(unmapped)"
        regions = ", ".join(c.regions) if isinstance(c.regions, (list, tuple)) else str(c.regions)
        t.add_row(c.id, c.name_zh, regions, codes, c.tier_claimed or "—", c.confidence)
    out.print(t)
    out.print(f"source: {cs.source}")


@clusters_app.command("show")
def show_cmd(
    cluster_id: Annotated[str, typer.Argument(help="The cluster id (see `zhizao clusters list`).")],
    year: YearOption = None,
    base_year: BaseYearOption = None,
    clusters: ClustersOption = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """One cluster's profile: size, growth, specialisation, concentration, leading firms, innovation,
    productivity, profitability and high-tech share, with its tier (and the rule) and diagnosis."""
    choice("--lang", lang, ("zh", "en"))
    cs = _load_clusters(clusters)
    ids = [c.id for c in cs.clusters]
    if cluster_id not in ids:
        fail(f"no cluster {cluster_id!r} in {cs.id}; clusters: {', '.join(ids)}")
    from zhizao.clusters.diagnosis import diagnose, render
    from zhizao.clusters.method import METRIC_LABELS
    from zhizao.clusters.tiers import assign_tiers

    with open_db(db) as wh:
        year, base_year, _ = _years(wh, year, base_year)
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("集群画像 profile") as cb:
            prof = _profiles(wh, cs, year, base_year, cb)
            cb("tiers", 0.7)
            tiers = assign_tiers(prof)
            diag = diagnose(prof)
            cb("done", 1.0)
    rows = [r for r in prof.to_pylist() if r["cluster_id"] == cluster_id]
    if not rows:
        fail(f"cluster {cluster_id!r} has no industry codes mapped: nothing to profile")
    main = next(r for r in rows if r["scope"] == "cluster")
    zh = lang == "zh"
    t = RichTable(title=f"{year} {main['name_zh']} {main['name_en'] or ''} ({cluster_id})"
                  + (f" — {SYNTHETIC_NOTE}" if synthetic else ""))
    t.add_column("指标 metric")
    t.add_column("全部 all", justify="right")
    regional = [r for r in rows if r["scope"] == "region"]
    for r in regional[:6]:
        t.add_column(f"{r['region_code']} {region_name(r['region_code'])}", justify="right")
    for key in ("firms", "above_scale_firms", "employees", "revenue", "output", "value_added", "revenue_growth",
                "revenue_cagr", "lq", "hhi", "top4_share", "rd_intensity", "invention_patents_per_10k",
                "new_product_share", "va_per_employee", "profit_margin", "high_tech_share"):
        label = METRIC_LABELS.get(key, (key, key))[0 if zh else 1]
        t.add_row(label, *(_metric(key, r.get(key)) for r in [main, *regional[:6]]))
    out.print(t)
    out.print(f"龙头企业 leading firms: {main.get('leading_firms') or '—'}")
    tier = next((r for r in tiers.to_pylist() if r["cluster_id"] == cluster_id), None)
    if tier is not None:
        out.print(f"梯度 tier: {tier['tier_zh']} ({tier['tier_en']}); "
                  f"rule: {tier['rule'] or '—'} — {tier['evidence'] or ''}")
        if tier.get("next_tier"):
            out.print(f"  距上一梯度 to reach {tier['next_tier']}: {tier['next_tier_missing'] or '—'}")
    out.print(render(diag, lang=lang, cluster_id=cluster_id))


def _metric(key: str, v) -> str:
    if v is None:
        return "—"
    if key in ("revenue_growth", "revenue_cagr", "top4_share", "rd_intensity", "new_product_share",
               "profit_margin", "high_tech_share"):
        return f"{v:.1%}"
    if key in ("revenue", "output", "value_added"):
        return f"{v / 1e8:,.2f} 亿"
    if key == "va_per_employee":
        return f"{v / 1e4:,.2f} 万/人"
    if key in ("firms", "above_scale_firms", "employees"):
        return f"{v:,.0f}"
    return f"{v:,.2f}"


@clusters_app.command("diagnose")
def diagnose_cmd(
    year: YearOption = None,
    base_year: BaseYearOption = None,
    clusters: ClustersOption = None,
    tiers: Annotated[Optional[str], typer.Option("--tiers", help="Tier criteria: shipped id or YAML file. "
                                                  "Default: tiers-zhejiang (415X).")] = None,
    settings: Annotated[Optional[str], typer.Option("--settings", help="Diagnosis settings: shipped id or YAML "
                                                     "file. Default: diagnosis-default.")] = None,
    lang: LangOption = "zh",
    xlsx: XlsxOption = None,
    db: DbOption = None,
) -> None:
    """Profile every cluster, place it in a tier (world-class / provincial / new star) with the rule
    that placed it, and diagnose 大而不强 (big but not strong): scale against strength percentiles,
    the weak dimensions with their values against the provincial benchmark.

    Writes result_cluster_profiles, result_cluster_tiers, result_cluster_diagnosis and
    result_cluster_weaknesses.
    """
    choice("--lang", lang, ("zh", "en"))
    cs = _load_clusters(clusters)
    from zhizao.clusters.diagnosis import diagnose, render
    from zhizao.clusters.method import MethodError, load_diagnosis_settings, load_tier_criteria
    from zhizao.clusters.tiers import assign_tiers

    try:
        crit = load_tier_criteria(tiers or "tiers-zhejiang")
        sett = load_diagnosis_settings(settings or "diagnosis-default")
    except (MethodError, OSError) as e:
        fail(str(e))
    with open_db(db) as wh:
        year, base_year, _ = _years(wh, year, base_year)
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("集群诊断 diagnose") as cb:
            prof = _profiles(wh, cs, year, base_year, cb)
            cb("tiers", 0.6)
            tier_t = assign_tiers(prof, crit)
            cb("diagnosis", 0.8)
            diag = diagnose(prof, sett)
            for name, table in (("profiles", prof), ("tiers", tier_t), ("diagnosis", diag.clusters),
                                ("weaknesses", diag.weaknesses)):
                wh.write_result(f"cluster_{name}", table)
            cb("done", 1.0)
    verdicts = {r["cluster_id"]: r for r in diag.clusters.to_pylist()}
    t = RichTable(title=f"{year} 集群梯度与诊断 tiers and diagnosis — {cs.name_zh}"
                  + (f" ({SYNTHETIC_NOTE})" if synthetic else ""))
    for c in ("集群 cluster", "规上营收 revenue (亿)", "增长 growth", "区位商 LQ", "梯度 tier", "规模分位 scale",
              "强度分位 strength", "诊断 verdict", "短板 weak"):
        t.add_column(c, justify="left" if c.startswith(("集群", "梯度", "诊断", "短板")) else "right")
    prof_rows = {r["cluster_id"]: r for r in prof.to_pylist() if r["scope"] == "cluster"}
    dim_names = {k: (d.name_zh if lang == "zh" else d.name_en) for k, d in sett.dimensions.items()}

    def weak_names(s: str | None) -> str:
        return "、".join(dim_names.get(k, k) for k in (s or "").split(";") if k)

    for tr in tier_t.to_pylist():
        cid = tr["cluster_id"]
        p, d = prof_rows.get(cid, {}), verdicts.get(cid, {})
        t.add_row(f"{p.get('name_zh', cid)}", fmt((p.get("above_scale_revenue") or 0) / 1e8),
                  fmt(p.get("revenue_cagr"), ".1%"), fmt(p.get("lq")), tr["tier_zh"],
                  fmt(d.get("scale_percentile"), ".0f"), fmt(d.get("strength_percentile"), ".0f"),
                  d.get("verdict") or "—", weak_names(d.get("weak_dimensions")))
    out.print(t)
    weak = [cid for cid, d in verdicts.items() if d.get("verdict") == "大而不强"]
    for cid in weak:
        out.print(render(diag, lang=lang, cluster_id=cid))
    out.print("→ result_cluster_profiles, result_cluster_tiers, result_cluster_diagnosis, result_cluster_weaknesses")
    if xlsx is not None:
        from zhizao.report.clusters_xlsx import write_diagnosis_xlsx

        write_diagnosis_xlsx(prof, tier_t, diag, xlsx, year=year, cluster_set=cs, synthetic=synthetic)
        out.print(f"已写出 written: {xlsx}")


@clusters_app.command("candidates")
def candidates_cmd(
    year: YearOption = None,
    measure: MeasureOption = "employees",
    regions: RegionLevelOption = "county",
    industries: IndustryLevelOption = "group",
    region: Annotated[Optional[str], typer.Option("--region", help="Show the new-star candidates of this region "
                                                   "code only (all regions are written).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="New-star candidates kept per region.")] = 10,
    db: DbOption = None,
) -> None:
    """Where clusters are and where new ones can grow: (a) cluster candidates detected from the data
    (industries with a high location quotient and enough scale in a region, merged by relatedness);
    (b) new-star candidates: industries where a region's relatedness density is high and its RCA
    still below 1, ranked by complexity outlook gain.

    Writes result_cluster_candidates and result_cluster_new_stars.
    """
    choice("--measure", measure, MEASURES)
    choice("--regions", regions, REGION_LEVELS)
    choice("--industries", industries, INDUSTRY_LEVELS)
    from zhizao.clusters.candidates import detect_clusters, new_star_candidates
    from zhizao.clusters.matrix import build_matrix

    with open_db(db) as wh:
        year, _, _ = _years(wh, year, None)
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("集群候选 candidates") as cb:
            cb("matrix", 0.1)
            tables = wh.tables()
            m = build_matrix(tables, years=[year], measure=measure, region_level=regions, industry_level=industries)
            firms = build_matrix(tables, years=[year], measure="firms", region_level=regions,
                                 industry_level=industries) if measure != "firms" else m
            if not m.regions:
                fail(f"no {measure} in {year}")
            cb("detect", 0.4)
            found = detect_clusters(m, year=year, firms=_aligned(firms, m))
            cb("new stars", 0.7)
            stars = new_star_candidates(m, year=year, top=top)
            wh.write_result("cluster_candidates", found)
            wh.write_result("cluster_new_stars", stars)
            cb("done", 1.0)
    if region is not None and region not in m.regions:
        fail(f"--region {region}: not a region of the matrix ({len(m.regions)} {regions} codes)")
    note = f" ({SYNTHETIC_NOTE})" if synthetic else ""
    t = RichTable(title=f"{year} 数据识别的集群 detected clusters{note}")
    for c in ("地区 region", "行业 industries", "规模 value", "占全省 share", "区位商 LQ", "企业 firms"):
        t.add_column(c, justify="left" if c.startswith(("地区", "行业")) else "right")
    for r in found.sort_by([("value", "descending")]).slice(0, 15).to_pylist():
        names = "、".join(f"{c} {industry_name(c)}" for c in r["industries"].split(";"))
        t.add_row(f"{r['region']} {region_name(r['region'])}", names, fmt(r["value"], ",.0f"),
                  fmt(r["province_share"], ".1%"), fmt(r["lq"]), fmt(r["firms"], ",.0f"))
    out.print(t)
    s_rows = stars.to_pylist()
    if region is not None:
        s_rows = [r for r in s_rows if r["region"] == region]
    st = RichTable(title=f"{year} 新星候选 new-star candidates (high relatedness density, RCA < 1; by COG)")
    for c in ("地区 region", "名次 rank", "行业 industry", "RCA", "关联密度 density", "COG", "PCI"):
        st.add_column(c, justify="left" if c.startswith(("地区", "行业")) else "right")
    for r in s_rows[: (top if region else 20)]:
        st.add_row(f"{r['region']} {region_name(r['region'])}", str(r["rank"]),
                   f"{r['industry']} {industry_name(r['industry'])}", fmt(r["rca"]), fmt(r["density"], ".2f"),
                   fmt(r["cog"]), fmt(r["pci"]))
    out.print(st)
    out.print(f"{found.num_rows} detected clusters → result_cluster_candidates; {stars.num_rows} new-star "
              "candidates → result_cluster_new_stars")


def _aligned(firms, m):
    """The firm-count matrix on ``m``'s axes (a region or industry with no firms is 0)."""
    from dataclasses import replace

    import numpy as np

    if firms is m:
        return m
    out_ = np.zeros(m.values.shape[1:])
    r_idx = {c: i for i, c in enumerate(m.regions)}
    i_idx = {c: i for i, c in enumerate(m.industries)}
    rs = np.array([r_idx.get(c, -1) for c in firms.regions])
    is_ = np.array([i_idx.get(c, -1) for c in firms.industries])
    ok_r, ok_i = rs >= 0, is_ >= 0
    out_[np.ix_(rs[ok_r], is_[ok_i])] = firms.values[0][np.ix_(ok_r, ok_i)]
    return replace(m, values=out_[np.newaxis], measure="firms")


__all__ = ["clusters_app", "err"]
