"""`zhizao demo`: synth → files → validated import → analyses → summary files.

Shell code: it writes files and a warehouse. Each later lever adds its analysis to
``ANALYSES`` (a name and a function from the warehouse to result tables), so the demo runs
every analysis that exists.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from zhizao.data import queries, store

SYNTHETIC_BANNER = "本演示数据为合成数据，不代表任何真实企业 / The demo data is synthetic: no real enterprise is shown."

Progress = Callable[[str, float], None]


def _regional_overview(wh: store.Warehouse, year: int) -> dict[str, pa.Table]:
    """Province summary, totals by prefecture and by division for the latest year."""
    t = wh.tables()
    e, i = t["enterprises"], t["indicators"]
    return {
        "province_summary": queries.province_summary(e, i, year=year).to_pyarrow(),
        "totals_by_prefecture": queries.totals_by(e, i, year=year, by=("prefecture",)).to_pyarrow(),
        "totals_by_division": queries.totals_by(e, i, year=year, by=("division",)).to_pyarrow(),
    }


def _land_evaluation(wh: store.Warehouse, year: int) -> dict[str, pa.Table]:
    """亩均效益 classes (default Zhejiang-county method) and low-efficiency land for the year."""
    from zhizao import land
    from zhizao.land import lowland, rollups

    t = wh.tables()
    method = land.load_method(land.DEFAULT_METHOD)
    years = [y for y in (year - 2, year - 1, year)
             if t["indicators"].filter(t["indicators"].year == y).count().execute() > 0]
    evaluation = land.evaluate_years(t, method, years=years).to_pyarrow()
    # as `zhizao land evaluate` stores it: with the method, so later runs and policies can tell methods apart
    evaluation = evaluation.append_column("method_id", pa.array([method.id] * evaluation.num_rows, pa.string()))
    wh.write_result("land_evaluation", evaluation)
    ev = wh.con.table("result_land_evaluation")
    latest = ev.filter(ev.year == year)
    by_segment = (latest.group_by(["segment", "land_class"]).aggregate(firms=latest.count(),
                                                                       area_mu=latest.area_mu.sum())
                  .order_by(["segment", "land_class"]))
    rules = lowland.load_lowland_rules()
    flags = lowland.flag_parcels(t["parcels"], ev, t["enterprises"], rules, year=year)
    totals = lowland.area_totals(flags, by=("reason",)).order_by("reason")
    return {
        "land_classes_by_segment": by_segment.to_pyarrow(),
        "land_class_by_county": rollups.class_rollup(latest, by=("region_code",)).to_pyarrow(),
        "land_lowland_by_reason": totals.to_pyarrow(),
    }


def _cluster_analytics(wh: store.Warehouse, year: int) -> dict[str, pa.Table]:
    """Indices of the county × division matrix (all years), and the 15 county clusters' profiles,
    tiers and 大而不强 diagnosis (the full tables go to result_cluster_*)."""
    import pyarrow.compute as pc

    from zhizao import clusters as cl

    t = wh.tables()
    years = sorted(int(y) for y in t["indicators"].select("year").distinct().to_pyarrow().column("year").to_pylist())
    base = years[0] if years[0] < year else None
    m = cl.build_matrix(t, years=years, measure="employees", region_level="county", industry_level="division")
    idx = cl.indices_tables(m, base_year=base)
    for name, table in (("cluster_cells", idx.cells), ("cluster_regions", idx.regions),
                        ("cluster_industries", idx.industries)):
        wh.write_result(name, table)
    cs = cl.clusters_from_synth()
    prof = cl.cluster_profiles(t, cs, year=year, base_year=base)
    tiers = cl.assign_tiers(prof)
    diag = cl.diagnose(prof)
    wh.write_result("cluster_profiles", prof)
    wh.write_result("cluster_weaknesses", diag.weaknesses)
    summary = diag.clusters.select(["cluster_id", "name_zh", "scale_percentile", "strength_percentile", "verdict",
                                    "weak_dimensions"])
    tier_of = dict(zip(tiers.column("cluster_id").to_pylist(), tiers.column("tier_zh").to_pylist()))
    summary = summary.append_column("tier_zh", pa.array([tier_of.get(c) for c in summary.column("cluster_id").to_pylist()]))
    cells = idx.cells.filter(pc.equal(idx.cells.column("year"), year))
    top = cells.filter(pc.greater_equal(cells.column("share_of_industry"), 0.05)).sort_by([("lq", "descending")])
    return {"cluster_diagnosis": summary, "cluster_tiers": tiers,
            "cluster_top_specialisations": top.select(["region_code", "industry_code", "value", "lq",
                                                        "share_of_industry", "density"]).slice(0, 10)}


def _supply_chains(wh: store.Warehouse, year: int) -> dict[str, pa.Table]:
    """Chokepoints (卡脖子) of the province and the resilience of the 15 county clusters
    (拆不散、搬不走、压不垮); the full tables go to result_chain_*."""
    import pyarrow.compute as pc

    from zhizao.chains import build_network
    from zhizao.chains.measures import chokepoints, firm_groups
    from zhizao.chains.resilience import resilience
    from zhizao.clusters import clusters_from_synth

    net = build_network(wh.tables(), year=year)
    cp = chokepoints(net)
    wh.write_result("chain_chokepoints", cp.products)
    groups = firm_groups(net, "cluster", clusters=clusters_from_synth())
    res = resilience(net, groups)
    wh.write_result("chain_resilience", res)
    top = cp.products.filter(pc.equal(cp.products.column("chokepoint"), True)).sort_by("rank")
    return {"chain_top_chokepoints": top.select(["product", "suppliers", "outside_suppliers", "outside_only",
                                                 "dependent_output", "rank"]).slice(0, 10),
            "chain_cluster_resilience": res.select(["group_id", "name", "cohesion", "embeddedness", "absorption",
                                                    "resilience", "rank"])}


def _policy_library(wh: store.Warehouse, year: int) -> dict[str, pa.Table]:
    """Every shipped policy valid in the year, evaluated for every enterprise (免申即享: who is
    reached without applying); the full tables go to result_policy_<id>."""
    import pyarrow.compute as pc

    from zhizao import policy
    from zhizao.land import DEFAULT_METHOD as DEFAULT_LAND_METHOD   # the method _land_evaluation used

    lib = policy.load_library()
    tables = wh.tables()
    rows = []
    for pid in sorted(lib):
        try:
            p = lib.get(pid, year=year)
        except policy.PolicyError:             # no version of it covers the year
            continue
        other = {spec.where.get("method_id") for spec in p.inputs.values()} - {None, DEFAULT_LAND_METHOD}
        if other:   # a policy over another land method's result (e.g. Shandong's surcharge)
            rows.append({"policy_id": pid, "name_zh": p.name_zh, "eligible": None, "not_eligible": None,
                         "unknown": None, "conflict": None, "benefit_yuan": None,
                         "note": f"reads the {', '.join(sorted(other))} land evaluation: run `zhizao land evaluate "
                                 f"--method {sorted(other)[0]}`, then `zhizao policy check {pid}`"})
            continue
        try:
            ev = policy.evaluate(tables, p, year=year, library=lib).to_pyarrow()
        except policy.PolicyError as e:          # e.g. a policy over another lever's result
            rows.append({"policy_id": pid, "name_zh": p.name_zh, "eligible": None, "not_eligible": None,
                         "unknown": None, "conflict": None, "benefit_yuan": None, "note": str(e).splitlines()[0]})
            continue
        wh.write_result(f"policy_{pid}", ev)
        v = ev.column("verdict")
        count = {k: int(pc.sum(pc.equal(v, k)).as_py() or 0) for k in ("eligible", "not_eligible", "unknown",
                                                                       "conflict")}
        benefit = pc.sum(ev.column("benefit_yuan")).as_py() if "benefit_yuan" in ev.column_names else None
        rows.append({"policy_id": pid, "name_zh": p.name_zh, **count, "benefit_yuan": benefit, "note": ""})
    return {"policy_reach": pa.Table.from_pylist(rows)}


#: Every analysis the demo runs, in order: (name, function(warehouse, year) -> result tables).
ANALYSES: list[tuple[str, Callable[[store.Warehouse, int], dict[str, pa.Table]]]] = [
    ("regional_overview", _regional_overview),
    ("land_evaluation", _land_evaluation),
    ("cluster_analytics", _cluster_analytics),
    ("supply_chains", _supply_chains),
    ("policy_library", _policy_library),
]


def write_synthetic_parquet(tables: dict[str, pa.Table], out_dir: Path) -> list[Path]:
    """Write synthetic tables as ``<table>.parquet``, each file's metadata saying it is synthetic."""
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        path = out_dir / f"{name}.parquet"
        meta = {**(table.schema.metadata or {}), b"zhizao.synthetic": SYNTHETIC_BANNER.encode()}
        pq.write_table(table.replace_schema_metadata(meta), path)
        paths.append(path)
    return paths


@dataclass
class DemoResult:
    out_dir: Path
    db_path: Path
    files: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def run_demo(*, out_dir: Path, db_path: Path, enterprises: int = 50_000, seed: int = 20261127,
             progress: Progress | None = None) -> DemoResult:
    """Build the demo province into ``db_path`` and write results under ``out_dir``."""
    from zhizao.data import ingest, synth, template

    progress = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    db_path = Path(db_path)
    if db_path.exists() and out_dir.resolve() not in db_path.resolve().parents:
        raise store.WarehouseError(
            f"{db_path} exists and is not the demo's own warehouse under {out_dir}: "
            "the demo only writes a fresh warehouse (use another --db)"
        )
    data_dir = out_dir / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    for p in (db_path, db_path.with_name(db_path.name + ".wal")):
        p.unlink(missing_ok=True)

    result = DemoResult(out_dir=out_dir, db_path=db_path)
    progress("synth", 0.0)
    tables = synth.generate(enterprises=enterprises, seed=seed,
                            progress=lambda s, f: progress(f"synth: {s}", 0.4 * f))
    files = write_synthetic_parquet(tables, data_dir)
    result.files += files

    progress("import", 0.45)
    with store.open_warehouse(db_path) as wh:
        report = ingest.import_files(wh, files, progress=lambda s, f: progress(f"import: {s}", 0.45 + 0.35 * f))
        year = int(queries.latest_year(wh.table("indicators")).execute())
        summaries: dict[str, list[dict]] = {}
        for k, (name, analysis) in enumerate(ANALYSES):
            progress(name, 0.8 + 0.15 * k / len(ANALYSES))
            for result_name, table in analysis(wh, year).items():
                wh.write_result(result_name, table)
                summaries[result_name] = table.to_pylist()  # analyses return summary-sized tables
        counts = wh.counts()

    calibration = synth.calibration_report(tables, synth.load_calibration())
    template_path = out_dir / "zhizao-template.xlsx"
    template.write_template(template_path)
    summary_path = out_dir / "summary.json"
    summary_path.write_text(json.dumps({
        "note": SYNTHETIC_BANNER, "year": year, "seed": seed, "counts": counts,
        "import": report.to_dict(), "calibration": [r.to_dict() for r in calibration],
        "results": summaries,
    }, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    md_path = out_dir / "summary.md"
    md_path.write_text(_summary_markdown(year, counts, summaries, calibration, report), encoding="utf-8")
    result.files += [template_path, summary_path, md_path]
    progress("done", 1.0)

    p = summaries["province_summary"][0]
    result.lines = [
        SYNTHETIC_BANNER,
        f"Province built: {counts['enterprises']:,} enterprises, {counts['indicators']:,} indicator rows, "
        f"{counts['parcels']:,} parcels, {counts['links']:,} supply links, {counts['monthly_stats']:,} monthly rows.",
        f"{year}: {p['above_scale_enterprises']:,} 规上 enterprises with "
        f"{p['above_scale_revenue'] / p['revenue']:.1%} of revenue; value added {p['value_added'] / 1e8:,.1f} 亿元.",
        f"Import: {report.totals['inserted']:,} rows inserted, {report.totals['quarantined']:,} quarantined.",
        f"Calibration: {sum(r.ok for r in calibration)}/{len(calibration)} targets met (see {md_path}).",
        _land_line(summaries),
        _cluster_line(summaries),
        _chain_line(summaries),
        _policy_line(summaries),
        "",
        "Where to look:",
    ]
    places = [(md_path, "summary tables and calibration (Markdown)"), (summary_path, "the same as JSON"),
              (data_dir, "the synthetic province as Parquet files"),
              (template_path, "the XLSX template to bring your own data"),
              (db_path, f"the warehouse: `zhizao tables --db {db_path}`")]
    width = max(len(str(p)) for p, _ in places)
    result.lines += [f"  {str(p):<{width}}  {what}" for p, what in places]
    return result


def _land_line(summaries: dict[str, list[dict]]) -> str:
    classes: dict[str, int] = {}
    for r in summaries["land_classes_by_segment"]:
        if r["land_class"]:
            classes[r["land_class"]] = classes.get(r["land_class"], 0) + r["firms"]
    lowland = next((r for r in summaries["land_lowland_by_reason"] if r["reason"] == "any"), None)
    text = "亩均效益 classes: " + " / ".join(f"{c} {n:,}" for c, n in sorted(classes.items()))
    if lowland:
        text += f"; low-efficiency land: {lowland['parcels']:,} parcels, {lowland['area_mu']:,.0f} 亩"
    return text + " (`zhizao land explain USCC` tells why)."


def _cluster_line(summaries: dict[str, list[dict]]) -> str:
    rows = summaries["cluster_diagnosis"]
    weak = [r["name_zh"] for r in rows if r["verdict"] == "大而不强"]
    return (f"Clusters: {len(rows)} county clusters profiled; 大而不强 (big but not strong): "
            f"{'、'.join(weak) or 'none'} (`zhizao clusters show zhuji_socks --clusters synthetic` tells why).")


def _chain_line(summaries: dict[str, list[dict]]) -> str:
    cps = summaries["chain_top_chokepoints"]
    res = [r for r in summaries["chain_cluster_resilience"] if r["rank"] is not None]
    weakest = max(res, key=lambda r: r["rank"]) if res else None
    text = f"Supply chains: {len(cps)} top chokepoints (卡脖子)"
    if cps:
        text += f", first: product class {cps[0]['product']} ({cps[0]['suppliers']} supplier(s))"
    if weakest:
        text += f"; least resilient cluster: {weakest['name']}"
    return text + " (`zhizao chains shock --county 330481 --capacity 0.5` simulates a shock)."


def _policy_line(summaries: dict[str, list[dict]]) -> str:
    parts = [f"{r['name_zh']} {r['eligible']:,}" for r in summaries["policy_reach"] if r["eligible"] is not None]
    return ("Policies (eligible without applying): " + "; ".join(parts)
            + " (`zhizao policy explain ID USCC` tells why; `zhizao package USCC` builds the package).")


def _summary_markdown(year, counts, summaries, calibration, report) -> str:
    lines = [f"# zhizao demo province — {year}", "", f"> {SYNTHETIC_BANNER}", "", "## Warehouse", "",
             "| table | rows |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in counts.items()]
    lines += ["", "## Import", ""] + [f"- {s}" for s in report.summary_lines()]
    lines += ["", "## Totals by prefecture (规上 = registry flag)", "",
              "| prefecture | enterprises | 规上 | revenue (亿元) | value added (亿元) | taxes (亿元) |",
              "|---|---:|---:|---:|---:|---:|"]
    from zhizao.codes import regions

    for r in summaries["totals_by_prefecture"]:
        name = regions.region(r["prefecture"]).name if r["prefecture"] else ""
        lines.append(f"| {r['prefecture']} {name} | {r['enterprises']:,} | {r['above_scale_enterprises']:,} | "
                     f"{(r['revenue'] or 0) / 1e8:,.1f} | {(r['value_added'] or 0) / 1e8:,.1f} | "
                     f"{(r['taxes'] or 0) / 1e8:,.1f} |")
    lines += ["", f"## 亩均效益 classes {year} (method zhejiang-county-default; table result_land_evaluation)", "",
              "| segment | class | firms | land (亩) |", "|---|---|---:|---:|"]
    lines += [f"| {r['segment']} | {r['land_class'] or '不定等级 not graded'} | {r['firms']:,} | {r['area_mu'] or 0:,.0f} |"
              for r in summaries["land_classes_by_segment"]]
    lines += ["", "## Low-efficiency land by reason (table result_land_lowland_by_reason)", "",
              "| reason | " + " | ".join(k for k in summaries["land_lowland_by_reason"][0] if k != "reason") + " |"
              if summaries["land_lowland_by_reason"] else "(none)"]
    if summaries["land_lowland_by_reason"]:
        keys = [k for k in summaries["land_lowland_by_reason"][0] if k != "reason"]
        lines.append("|---|" + "---:|" * len(keys))
        lines += ["| " + r["reason"] + " | " + " | ".join(
            f"{r[k]:,.0f}" if isinstance(r[k], (int, float)) else str(r[k]) for k in keys) + " |"
            for r in summaries["land_lowland_by_reason"]]
    lines += ["", f"## Clusters {year}: tiers and the 大而不强 diagnosis (tables result_cluster_*)", "",
              "| cluster | tier | scale pct | strength pct | verdict | weak dimensions |", "|---|---|---:|---:|---|---|"]
    lines += [f"| {r['name_zh']} ({r['cluster_id']}) | {r['tier_zh']} | {r['scale_percentile']:.0f} | "
              f"{r['strength_percentile']:.0f} | {r['verdict']} | {r['weak_dimensions'] or ''} |"
              for r in summaries["cluster_diagnosis"]]
    lines += ["", f"## Strongest specialisations {year} (county × division, employees; LQ, share of the industry ≥ 5 %)",
              "", "| county | division | employees | LQ | share of the industry | relatedness density |",
              "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {r['region_code']} | {r['industry_code']} | {r['value']:,.0f} | {r['lq']:.2f} | "
              f"{r['share_of_industry']:.1%} | {r['density']:.2f} |" for r in summaries["cluster_top_specialisations"]]
    lines += ["", f"## Supply chains {year}: chokepoints (卡脖子) by dependent output (table result_chain_chokepoints)",
              "", "| rank | product class | suppliers | outside the province | only outside | dependent output (亿元) |",
              "|---:|---|---:|---:|---|---:|"]
    lines += [f"| {r['rank']} | {r['product']} | {r['suppliers']} | {r['outside_suppliers']} | "
              f"{'yes' if r['outside_only'] else 'no'} | {(r['dependent_output'] or 0) / 1e8:,.2f} |"
              for r in summaries["chain_top_chokepoints"]]
    lines += ["", "## Cluster resilience (拆不散 cohesion, 搬不走 embeddedness, 压不垮 absorption; table "
              "result_chain_resilience)", "", "| rank | cluster | cohesion | embeddedness | absorption | resilience |",
              "|---:|---|---:|---:|---:|---:|"]

    def _f(v):
        return "—" if v is None else f"{v:.2f}"

    lines += [f"| {r['rank']} | {r['name']} | {_f(r['cohesion'])} | {_f(r['embeddedness'])} | {_f(r['absorption'])} | "
              f"{_f(r['resilience'])} |" for r in sorted(summaries["chain_cluster_resilience"],
                                                           key=lambda r: r["rank"] or 99)]
    lines += ["", f"## Policies {year}: who is reached without applying (免申即享; tables result_policy_<id>)", "",
              "| policy | eligible | not eligible | unknown (an input missing) | conflict | benefit (万元) |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in summaries["policy_reach"]:
        if r["eligible"] is None:
            lines.append(f"| {r['name_zh']} ({r['policy_id']}) | — | — | — | — | {r['note']} |")
            continue
        lines.append(f"| {r['name_zh']} ({r['policy_id']}) | {r['eligible']:,} | {r['not_eligible']:,} | "
                     f"{r['unknown']:,} | {r['conflict']:,} | {(r['benefit_yuan'] or 0) / 1e4:,.0f} |")
    lines += ["", "## Calibration: target and achieved", "", "| figure | target | achieved | ok | status | source |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.target_text} | {r.achieved_text} | {'✓' if r.ok else '✗'} | {r.status} | {r.source} |"
              for r in calibration]
    return "\n".join(lines) + "\n"
