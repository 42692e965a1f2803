"""`zhizao chains …`: supply-chain (产业链供应链) commands.

Shell only: each command parses its arguments, calls one operation of ``zhizao.services.chains``
(which builds the year's supply network, runs one kernel of ``zhizao.chains`` and stores the
results as runs of ``result_chain_…`` tables, with ``year`` and ``synthetic`` columns) and prints
the result with Rich in Chinese and English, with the run the figures came from. Domain errors go
to stderr with their exit code. ``zhizao.cli`` adds ``chains_app`` as ``zhizao chains``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, fmt, out, progress_bar, service
from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_label

chains_app = typer.Typer(
    name="chains",
    help="产业链供应链 (supply chains) on the links table: local sourcing (本地配套率), chokepoints (卡脖子), "
         "chain leaders (链主), cluster resilience (拆不散、搬不走、压不垮) and shock propagation.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

YearOption = Annotated[Optional[int], typer.Option(
    "--year", help="Year of the links. Default: the latest year with indicators in the warehouse.")]
LevelOption = Annotated[str, typer.Option(
    "--level", help="GB/T 4754 level of products and sectors: class (小类), group (中类) or division (大类).")]
ClustersOption = Annotated[Optional[str], typer.Option(
    "--clusters", help="Cluster definitions: a shipped set (zhejiang-415x, jiangsu), 'synthetic' (the demo "
                       "province's 15 county clusters) or a YAML file. Default: synthetic when the warehouse "
                       "holds synthetic data, else zhejiang-415x.")]
LocalOption = Annotated[str, typer.Option(
    "--local", help="What counts as local: the buyer's county, prefecture or province.")]
HopsOption = Annotated[int, typer.Option(
    "--hops", min=1, help="Links downstream (or upstream) that count in the reach: 1 = direct partners only.")]
TopOption = Annotated[int, typer.Option("--top", min=1, help="Rows shown (all rows are written).")]


def _yi(v) -> str:
    return fmt(None if v is None else v / 1e8, ",.2f")


def _note(synthetic: bool) -> str:
    return f" ({SYNTHETIC_NOTE})" if synthetic else ""


def _region(code) -> str:
    return region_label(code) if code else "—"


def _run_line(run) -> None:
    """The last line under a result: the run its figures came from."""
    if run is not None:
        out.print(f"批次 run: {run.label}", highlight=False)


# --- commands --------------------------------------------------------------------------------
@chains_app.command("sourcing")
def sourcing_cmd(
    year: YearOption = None,
    by: Annotated[str, typer.Option("--by", help="Groups: cluster, division (行业大类), county or prefecture.")]
        = "cluster",
    local: LocalOption = "county",
    clusters: ClustersOption = None,
    level: LevelOption = "class",
    top: TopOption = 20,
    db: DbOption = None,
) -> None:
    """Local sourcing ratio (本地配套率), outside-province share and supplier concentration (HHI over
    suppliers by input product class) of each group's purchases on the links.

    Writes result_chain_sourcing (one row per group) and result_chain_sourcing_products (one row per
    group and input product class).
    """
    from zhizao.services import chains as ops

    with service(db) as svc, progress_bar("本地配套 sourcing") as cb:
        r = ops.sourcing(svc, year=year, by=by, local=local, clusters=clusters, level=level, top=top, progress=cb)
    t = RichTable(title=f"{r.year} 本地配套率 local sourcing by {r.by} (local = same {r.local}){_note(r.synthetic)}")
    for c in ("组 group", "企业 firms", "采购额 purchases (亿)", "本地配套率 local", "省内 province", "省外 outside",
              "供应商HHI supplier HHI", "本地客户 local sales"):
        t.add_column(c, justify="left" if c.startswith("组") else "right")
    regions = r.by in ("county", "prefecture")
    for g in r.rows:
        t.add_row(region_label(g["group_id"]) if regions else f"{g['group_id']} {g['name']}", f"{g['firms']:,}",
                  _yi(g["purchases"]), fmt(g["local_share"], ".1%"), fmt(g["province_share"], ".1%"),
                  fmt(g["outside_share"], ".1%"), fmt(g["supplier_hhi"], ".3f"), fmt(g["local_sales_share"], ".1%"))
    out.print(t)
    out.print(f"{r.groups.num_rows} groups → result_chain_sourcing; {r.products.num_rows:,} group × product rows → "
              "result_chain_sourcing_products")
    _run_line(r.run)


@chains_app.command("chokepoints")
def chokepoints_cmd(
    year: YearOption = None,
    max_suppliers: Annotated[int, typer.Option("--max-suppliers", min=1, help="A product bought from at most "
                                               "this many suppliers is a chokepoint.")] = 1,
    outside_only: Annotated[bool, typer.Option("--outside-only/--no-outside-only", help="Also flag products bought "
                                               "only from outside the province, however many suppliers.")] = True,
    hops: HopsOption = 3,
    level: LevelOption = "class",
    top: TopOption = 15,
    db: DbOption = None,
) -> None:
    """Chokepoints (卡脖子): input product classes with one or very few suppliers, or only from outside
    the province, ranked by the downstream output that depends on them (firms within --hops links,
    weighted by their input shares).

    Writes result_chain_chokepoints (every input product class, flags, dependent output, rank) and
    result_chain_chokepoint_buyers (the province's buyers of each chokepoint).
    """
    from zhizao.services import chains as ops

    with service(db) as svc, progress_bar("卡脖子 chokepoints") as cb:
        r = ops.chokepoints(svc, year=year, max_suppliers=max_suppliers, outside_only=outside_only, hops=hops,
                            level=level, top=top, progress=cb)
    t = RichTable(title=f"{r.year} 卡脖子环节 chokepoints, by dependent output ({r.hops} hops){_note(r.synthetic)}")
    for c in ("名次 rank", "产品 product", "供应商 suppliers", "省外 outside", "直接买方 buyers",
              "采购额 purchases (亿)", "依赖产出 dependent output (亿)", "波及企业 firms reached"):
        t.add_column(c, justify="left" if c.startswith("产品") else "right")
    for p in r.rows:
        sup = f"{p['suppliers']}" + (" (全部省外 all outside)" if p["outside_only"] else "")
        t.add_row(str(p["rank"]), f"{p['product']} {industry_name(p['product'], '')}", sup,
                  fmt(p["outside_share"], ".0%"), f"{p['buyers']:,}", _yi(p["purchases"]), _yi(p["dependent_output"]),
                  f"{p['reach_firms']:,}")
    out.print(t)
    out.print(f"{r.n_chokepoints} chokepoints of {r.products.num_rows} input classes → result_chain_chokepoints; "
              f"{r.buyers.num_rows:,} buyer rows → result_chain_chokepoint_buyers")
    _run_line(r.run)


@chains_app.command("leaders")
def leaders_cmd(
    year: YearOption = None,
    hops: HopsOption = 3,
    clusters: ClustersOption = None,
    anchor_min: Annotated[float, typer.Option("--anchor-min", min=0.0, max=1.0, help="Share of a cluster's trade "
                                              "with a firm from which the firm anchors the cluster.")] = 0.05,
    level: LevelOption = "class",
    top: TopOption = 20,
    db: DbOption = None,
) -> None:
    """Chain leaders (链主): the province's firms ranked by size, downstream and upstream reach, and
    amount-weighted PageRank, with the clusters they anchor.

    Writes result_chain_leaders (every firm of the province, ranked) and result_chain_leader_clusters
    (firm × cluster: the share of the cluster's trade with the firm, for shares ≥ --anchor-min and
    the firm's own clusters).
    """
    from zhizao.services import chains as ops

    with service(db) as svc, progress_bar("链主 leaders") as cb:
        r = ops.leaders(svc, year=year, hops=hops, clusters=clusters, anchor_min=anchor_min, level=level, top=top,
                        progress=cb)
    t = RichTable(title=f"{r.year} 链主候选 chain-leader candidates{_note(r.synthetic)}")
    for c in ("名次 rank", "企业 firm", "地区 county", "行业 sector", "产出 output (亿)", "下游辐射 downstream (亿)",
              "上游带动 upstream (亿)", "PageRank ×1000", "得分 score", "锚定集群 anchors"):
        t.add_column(c, justify="left" if c.startswith(("企业", "地区", "行业", "锚定")) else "right")
    for f in r.rows:
        anchor = f"{f['anchor_cluster']} {f['anchor_share']:.0%}" if f.get("anchor_cluster") else "—"
        t.add_row(str(f["rank"]), f["name"] or f["uscc"], _region(f["region_code"]),
                  f"{f['sector']} {industry_name(f['sector'], '')}", _yi(f["output"]), _yi(f["downstream_reach"]),
                  _yi(f["upstream_reach"]), fmt((f["pagerank_supply"] + f["pagerank_demand"]) * 1000, ".2f"),
                  fmt(f["leader_score"], ".3f"), anchor)
    out.print(t)
    out.print(f"{r.firms.num_rows:,} firms → result_chain_leaders; {r.anchors.num_rows:,} firm × cluster rows → "
              "result_chain_leader_clusters")
    _run_line(r.run)


@chains_app.command("resilience")
def resilience_cmd(
    year: YearOption = None,
    clusters: ClustersOption = None,
    local: LocalOption = "county",
    remove_share: Annotated[float, typer.Option("--remove-share", min=0.0, max=1.0, help="Share of a cluster "
                                                "network's largest firms removed for cohesion (拆不散).")] = 0.05,
    top_suppliers: Annotated[int, typer.Option("--top-suppliers", min=1, help="The cluster's largest suppliers "
                                               "hit in the supplier scenario (压不垮).")] = 3,
    supplier_capacity: Annotated[float, typer.Option("--supplier-capacity", min=0.0, max=1.0, help="Capacity "
                                                     "share those suppliers keep (0 = closed).")] = 0.0,
    days: Annotated[int, typer.Option("--days", min=1, help="Days simulated per scenario.")] = 60,
    level: LevelOption = "class",
    db: DbOption = None,
) -> None:
    """Resilience of each cluster (拆不散、搬不走、压不垮): cohesion when its largest firms are removed,
    embeddedness (local sourcing and local customers), and shock absorption in two standard
    scenarios (its top suppliers closed; its main out-of-province input cut), simulated with the
    Inoue–Todo model.

    Writes result_chain_resilience (one row per cluster with the components and their inputs).
    """
    from zhizao.services import chains as ops

    with service(db) as svc, progress_bar("韧性 resilience") as cb:
        r = ops.resilience(svc, year=year, clusters=clusters, local=local, remove_share=remove_share,
                           top_suppliers=top_suppliers, supplier_capacity=supplier_capacity, days=days, level=level,
                           progress=cb)
    t = RichTable(title=f"{r.year} 集群韧性 cluster resilience{_note(r.synthetic)}")
    for c in ("名次 rank", "集群 cluster", "企业 firms", "拆不散 cohesion", "搬不走 embeddedness", "压不垮 absorption",
              "韧性 resilience", "供应商冲击损失 supplier-shock loss", "断供损失 import-cut loss"):
        t.add_column(c, justify="left" if c.startswith("集群") else "right")
    for g in r.rows:
        t.add_row(fmt(g["rank"], "d"), f"{g['group_id']} {g['name']}", f"{g['firms']:,}", fmt(g["cohesion"], ".3f"),
                  fmt(g["embeddedness"], ".3f"), fmt(g["absorption"], ".3f"), fmt(g["resilience"], ".3f"),
                  fmt(g["loss_top_suppliers"], ".2%"),
                  fmt(g["loss_outside_input"], ".2%") + (f" ({g['outside_product']})" if g["outside_product"] else ""))
    out.print(t)
    out.print(f"{r.clusters.num_rows} clusters → result_chain_resilience")
    _run_line(r.run)


@chains_app.command("shock")
def shock_cmd(
    county: Annotated[Optional[str], typer.Option("--county", help="Damage every firm of this GB/T 2260 region "
                                                   "(a shorter code is a prefix: 3304 = a prefecture).")] = None,
    capacity: Annotated[float, typer.Option("--capacity", min=0.0, max=1.0, help="Capacity share the damaged "
                                            "firms keep on day 1 (0 = closed).")] = 0.5,
    firm: Annotated[Optional[list[str]], typer.Option("--firm", help="Damage this firm (USCC); repeat for "
                                                      "several.")] = None,
    outside_product: Annotated[Optional[list[str]], typer.Option("--outside-product", help="Cut every "
                                                                 "out-of-province supplier of this product class; "
                                                                 "repeat for several.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Days simulated.")] = 60,
    rationing: Annotated[str, typer.Option("--rationing", help="How a short supplier shares out its output: "
                                           "proportional (ARIO) or soothing (Inoue–Todo).")] = "proportional",
    recovery: Annotated[str, typer.Option("--recovery", help="How capacity comes back: none, linear or "
                                          "exponential.")] = "linear",
    recovery_days: Annotated[float, typer.Option("--recovery-days", min=0.001, help="Days to full recovery "
                                                 "(linear) or the time constant (exponential).")] = 30.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the target-inventory draw.")] = 0,
    year: YearOption = None,
    level: LevelOption = "class",
    top: TopOption = 10,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the result to this JSON file.")] = None,
    db: DbOption = None,
) -> None:
    """Simulate a shock through the supply network (Inoue & Todo 2019): damage a county's firms,
    chosen firms, or cut out-of-province suppliers of a product, and follow output day by day.

    Prints the loss curve, the total, direct and indirect loss, the most affected firms and
    counties and the recovery day. Writes result_chain_shock (the daily curve) and
    result_chain_shock_firms (per firm: baseline, loss, lowest output).
    """
    from zhizao.services import chains as ops

    with service(db) as svc, progress_bar("冲击 shock") as cb:
        r = ops.shock(svc, county=county, capacity=capacity, firms=firm or (), outside_products=outside_product or (),
                      days=days, rationing=rationing, recovery=recovery, recovery_days=recovery_days, seed=seed,
                      year=year, level=level, top=top, progress=cb)
    out.print(f"[bold]{r.year} 冲击 shock: {r.scenario}[/bold]{_note(r.synthetic)}")
    recovered = f"day {r.recovery_day}" if r.recovery_day is not None else f"not within {r.days} days"
    out.print(f"总损失 total loss {r.total_loss / 1e8:,.2f} 亿 ({fmt(r.loss_share, '.2%')} of output over {r.days} days) — "
              f"直接 direct {r.direct_loss / 1e8:,.2f} 亿, 间接 indirect {r.indirect_loss / 1e8:,.2f} 亿; "
              f"恢复 recovery: {recovered}")
    ct = RichTable(title="损失曲线 loss curve (total output, % of pre-shock)")
    for day, _, lowest in r.curve_marks:
        ct.add_column(f"day {day}" + (" (min)" if lowest else ""), justify="right")
    ct.add_row(*[f"{share:.2%}" for _, share, _ in r.curve_marks])
    out.print(ct)
    ft = RichTable(title="受影响最大的企业 most affected firms")
    for c in ("企业 firm", "地区 county", "直接受损 hit", "损失 loss (万)", "占产出 share", "最低日产出 lowest"):
        ft.add_column(c, justify="left" if c.startswith(("企业", "地区")) else "right")
    for f in r.firms:
        ft.add_row(f["name"] or f["uscc"], _region(f["region_code"]), "是" if f["hit"] else "",
                   fmt(f["loss"] / 1e4, ",.1f"), fmt(f["loss_share"], ".1%"), fmt(f["lowest_output_share"], ".0%"))
    out.print(ft)
    rt = RichTable(title="受影响最大的区县 most affected counties")
    for c in ("区县 county", "损失 loss (亿)", "占产出 share", "间接 indirect (亿)"):
        rt.add_column(c, justify="left" if c.startswith("区县") else "right")
    for c in r.counties:
        rt.add_row(_region(c["region_code"]), _yi(c["loss"]), fmt(c["loss_share"], ".2%"), _yi(c["indirect_loss"]))
    out.print(rt)
    out.print(f"→ result_chain_shock ({r.curve.num_rows} days), result_chain_shock_firms ({r.firm_rows:,} firms)")
    if json_out is not None:
        json_out.write_text(json.dumps(r.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        out.print(f"已写出 written: {json_out}")
    _run_line(r.run)


__all__ = ["chains_app"]
