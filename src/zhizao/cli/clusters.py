"""`zhizao clusters …`: cluster analytics (产业集群分析) commands.

Shell only: each command parses its arguments, calls one operation of
``zhizao.services.clusters`` (which computes and stores the results as runs of
``result_cluster_…`` tables) and prints the result with Rich in Chinese and English, with the
run the figures came from. Domain errors go to stderr with their exit code. ``zhizao.cli`` adds
``clusters_app`` as ``zhizao clusters``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, fmt, handled, out, progress_bar, service
from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_label

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
                       "province's 15 county clusters) or a YAML file. Default: synthetic when the warehouse "
                       "holds synthetic data, else zhejiang-415x.")]
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

REGION_COLUMNS = 6    # regions of a cluster shown beside its total in `show`


def _note(synthetic: bool) -> str:
    return f" ({SYNTHETIC_NOTE})" if synthetic else ""


def _run_line(run) -> None:
    """The last line under a result: the run its figures came from."""
    if run is not None:
        out.print(f"批次 run: {run.label}", highlight=False)


def _region(code) -> str:
    if code in (None, ""):
        return "—"
    return "全省 all" if code == "all" else region_label(code)


def _industry(code) -> str:
    return f"{code} {industry_name(code)}"


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
    from zhizao.services import clusters as ops

    with service(db) as svc, progress_bar("集群指标 indices") as cb:
        r = ops.indices(svc, year=year, base_year=base_year, measure=measure, regions=regions,
                        industries=industries, above_scale_only=above_scale_only, progress=cb)
    tt = RichTable(title=f"{r.year} 最专业化的地区产业 strongest specialisations (≥ 5 % of the industry, "
                         f"≥ {r.min_firms_shown} firms){_note(r.synthetic)}")
    for c in ("地区 region", "行业 industry", f"{r.measure}", "区位商 LQ", "占全行业 share", "关联密度 density",
              "企业 firms", "前4位 top-4"):
        tt.add_column(c, justify="left" if c.startswith(("地区", "行业")) else "right")
    for c in r.top_specialisations:
        tt.add_row(_region(c["region_code"]), _industry(c["industry_code"]), fmt(c["value"], ",.0f"), fmt(c["lq"]),
                   fmt(c["share_of_industry"], ".1%"), fmt(c["density"], ".2f"), fmt(c.get("firms"), ",.0f"),
                   fmt(c.get("top4_share"), ".0%"))
    out.print(tt)
    rt = RichTable(title=f"{r.year} 经济复杂度最高的地区 most complex regions (ECI)")
    for c in ("地区 region", "多样性 diversity", "ECI", "COI", "克鲁格曼 Krugman", "熵 entropy"):
        rt.add_column(c, justify="left" if c.startswith("地区") else "right")
    for g in r.most_complex:
        rt.add_row(_region(g["region_code"]), fmt(g["diversity"], ".0f"), fmt(g["eci"]), fmt(g["coi"]),
                   fmt(g["krugman"]), fmt(g["entropy"]))
    out.print(rt)
    out.print(f"{r.n_regions} regions × {r.n_industries} {r.industry_level}s × {len(r.years)} years "
              f"({', '.join(map(str, r.years))}) → result_cluster_cells ({r.cells.num_rows:,} rows), "
              "result_cluster_regions, result_cluster_industries, result_cluster_relatedness")
    if xlsx is not None:
        from zhizao.report.clusters_xlsx import write_indices_xlsx

        write_indices_xlsx(r, xlsx)
        out.print(f"已写出 written: {xlsx}")
    _run_line(r.run)


@contextmanager
def _optional_service(db: Path | None):
    """The --db warehouse when one is named (read only), else none."""
    if db is None:
        with handled():
            yield None
    else:
        with service(db, read_only=True) as svc:
            yield svc


@clusters_app.command("list")
def list_cmd(
    clusters: ClustersOption = None,
    db: Annotated[Optional[Path], typer.Option(
        "--db", help="Warehouse file (DuckDB) whose data decides the default --clusters (synthetic or not). "
                     "Default: none, so the default is zhejiang-415x.", envvar="ZHIZAO_DB",
        show_envvar=False)] = None,
) -> None:
    """List the clusters of a definition file: id, name, regions, GB/T 4754 codes and the tier they
    officially hold."""
    from zhizao.services import clusters as ops

    with _optional_service(db) as svc:
        r = ops.list_clusters(svc, clusters=clusters)
    t = RichTable(title=f"{r.name_zh} {r.name_en} — {len(r.clusters)} clusters")
    for c in ("id", "名称 name", "地区 regions", "行业代码 industry codes", "官方梯度 tier", "可信度 conf."):
        t.add_column(c)
    for c in r.clusters:
        t.add_row(c.id, c.name_zh, "、".join(_region(code) for code in c.regions),
                  ", ".join(c.industry_codes) or "(unmapped)", c.tier_claimed or "—", c.confidence)
    out.print(t)
    out.print(f"source: {r.source}")


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
    productivity, profitability and high-tech share, with its tier (and the rule) and diagnosis.

    Uses the stored diagnosis of the cluster set (`zhizao clusters diagnose`, default tier criteria
    and settings) when it matches, else computes it and stores it.
    """
    from zhizao.services import clusters as ops

    with service(db) as svc, progress_bar("集群画像 profile") as cb:
        r = ops.show(svc, cluster_id, year=year, base_year=base_year, clusters=clusters, lang=lang, progress=cb)
    p = r.profile
    t = RichTable(title=f"{r.year} {r.name_zh} {r.name_en or ''} ({r.cluster_id})"
                  + (f" — {SYNTHETIC_NOTE}" if r.synthetic else ""))
    t.add_column("指标 metric")
    t.add_column("全部 all", justify="right")
    regional = r.regional[:REGION_COLUMNS]
    for g in regional:
        t.add_column(_region(g["region_code"]), justify="right")
    for key, zh, en in r.metrics:
        t.add_row(zh if r.lang == "zh" else en, *(_metric(key, row.get(key)) for row in (p, *regional)))
    out.print(t)
    out.print(f"龙头企业 leading firms: {r.leading_firms or '—'}")
    if r.tier is not None:
        out.print(f"梯度 tier: {r.tier['tier_zh']} ({r.tier['tier_en']}); "
                  f"rule: {r.tier['rule'] or '—'} — {r.tier['evidence'] or ''}")
        if r.tier.get("next_tier"):
            out.print(f"  距上一梯度 to reach {r.tier['next_tier']}: {r.tier['next_tier_missing'] or '—'}")
    out.print(r.diagnosis_text)
    _run_line(r.run)


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
    from zhizao.services import clusters as ops

    with service(db) as svc, progress_bar("集群诊断 diagnose") as cb:
        r = ops.diagnose(svc, year=year, base_year=base_year, clusters=clusters, tiers=tiers, settings=settings,
                         lang=lang, progress=cb)
    t = RichTable(title=f"{r.year} 集群梯度与诊断 tiers and diagnosis — {r.cluster_set_zh}{_note(r.synthetic)}")
    for c in ("集群 cluster", "规上营收 revenue (亿)", "增长 growth", "区位商 LQ", "梯度 tier", "规模分位 scale",
              "强度分位 strength", "诊断 verdict", "短板 weak"):
        t.add_column(c, justify="left" if c.startswith(("集群", "梯度", "诊断", "短板")) else "right")
    for d in r.rows:
        t.add_row(d.name_zh, fmt((d.above_scale_revenue or 0) / 1e8), fmt(d.revenue_cagr, ".1%"), fmt(d.lq),
                  d.tier_zh, fmt(d.scale_percentile, ".0f"), fmt(d.strength_percentile, ".0f"), d.verdict or "—",
                  "、".join(d.weak_dimensions))
    out.print(t)
    for text in r.weak_texts:
        out.print(text)
    out.print("→ result_cluster_profiles, result_cluster_tiers, result_cluster_diagnosis, result_cluster_weaknesses")
    if xlsx is not None:
        from zhizao.report.clusters_xlsx import write_diagnosis_xlsx

        write_diagnosis_xlsx(r, xlsx)
        out.print(f"已写出 written: {xlsx}")
    _run_line(r.run)


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
    from zhizao.services import clusters as ops

    with service(db) as svc, progress_bar("集群候选 candidates") as cb:
        r = ops.candidates(svc, year=year, measure=measure, regions=regions, industries=industries, region=region,
                           top=top, progress=cb)
    t = RichTable(title=f"{r.year} 数据识别的集群 detected clusters{_note(r.synthetic)}")
    for c in ("地区 region", "行业 industries", "规模 value", "占全省 share", "区位商 LQ", "企业 firms"):
        t.add_column(c, justify="left" if c.startswith(("地区", "行业")) else "right")
    for d in r.detected_shown:
        t.add_row(_region(d["region"]), "、".join(_industry(c) for c in d["industry_codes"]), fmt(d["value"], ",.0f"),
                  fmt(d["province_share"], ".1%"), fmt(d["lq"]), fmt(d["firms"], ",.0f"))
    out.print(t)
    st = RichTable(title=f"{r.year} 新星候选 new-star candidates (high relatedness density, RCA < 1; by COG)")
    for c in ("地区 region", "名次 rank", "行业 industry", "RCA", "关联密度 density", "COG", "PCI"):
        st.add_column(c, justify="left" if c.startswith(("地区", "行业")) else "right")
    for s in r.stars_shown:
        st.add_row(_region(s["region"]), str(s["rank"]), _industry(s["industry"]), fmt(s["rca"]),
                   fmt(s["density"], ".2f"), fmt(s["cog"]), fmt(s["pci"]))
    out.print(st)
    out.print(f"{r.detected.num_rows} detected clusters → result_cluster_candidates; {r.new_stars.num_rows} new-star "
              "candidates → result_cluster_new_stars")
    _run_line(r.run)


__all__ = ["clusters_app"]
