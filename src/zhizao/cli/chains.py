"""`zhizao chains …`: supply-chain (产业链供应链) commands.

Shell only: each command opens the warehouse, builds the year's supply network
(``zhizao.chains.build_network``), calls one kernel of ``zhizao.chains``, writes the results as
warehouse tables (``result_chain_…``, with ``year`` and ``synthetic`` columns) and prints a Rich
summary in Chinese and English; errors go to stderr with exit 1. ``zhizao.cli`` adds
``chains_app`` as ``zhizao chains``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import pyarrow as pa
import typer
from rich.table import Table as RichTable

from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_name
from zhizao.cli._shell import (
    SYNTHETIC_NOTE,
    DbOption,
    choice,
    fail,
    fmt,
    open_db,
    out,
    progress_bar,
    resolve_year,
    warehouse_is_synthetic,
)

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
                       "province's 15 county clusters) or a YAML file. Default: synthetic on synthetic data, "
                       "else zhejiang-415x.")]
LocalOption = Annotated[str, typer.Option(
    "--local", help="What counts as local: the buyer's county, prefecture or province.")]
HopsOption = Annotated[int, typer.Option(
    "--hops", min=1, help="Links downstream (or upstream) that count in the reach: 1 = direct partners only.")]
TopOption = Annotated[int, typer.Option("--top", min=1, help="Rows shown (all rows are written).")]

LEVELS = ("class", "group", "division")
LOCALS = ("county", "prefecture", "province")
GROUP_BYS = ("cluster", "division", "county", "prefecture")


# --- helpers ---------------------------------------------------------------------------------
def _network(wh, year: int | None, level: str, cb):
    from zhizao.chains import build_network
    from zhizao.cli._shell import has_table

    year, _ = resolve_year(wh, year)
    if not has_table(wh, "links"):
        fail("the warehouse has no links table: import supply links (供应链关系) or run `zhizao synth`")
    cb("network", 0.1)
    net = build_network(wh.tables(), year=year, level=level)
    if net.n_links == 0:
        fail(f"no supply links for {year} in the warehouse")
    return year, net


def _clusters(spec: str | None, synthetic: bool):
    from zhizao.clusters.method import MethodError, clusters_from_synth, load_clusters

    spec = spec or ("synthetic" if synthetic else "zhejiang-415x")
    try:
        return clusters_from_synth() if spec == "synthetic" else load_clusters(spec)
    except (MethodError, OSError) as e:
        fail(str(e))


def _groups(net, by: str, cluster_spec: str | None, synthetic: bool):
    from zhizao.chains.measures import firm_groups

    try:
        return firm_groups(net, by, clusters=_clusters(cluster_spec, synthetic) if by == "cluster" else None)
    except ValueError as e:
        fail(str(e))


def _stamp(table: pa.Table, year: int, synthetic: bool, **meta) -> pa.Table:
    """Add ``year``, ``synthetic`` and any text metadata as constant columns."""
    n = table.num_rows
    table = table.append_column("year", pa.array(np.full(n, year, dtype=np.int64)))
    table = table.append_column("synthetic", pa.array(np.full(n, synthetic, dtype=bool)))
    for k, v in meta.items():
        table = table.append_column(k, pa.array([str(v)] * n, pa.string()))
    return table


def _names(wh, usccs) -> dict[str, str]:
    usccs = [u for u in dict.fromkeys(usccs) if u]
    if not usccs:
        return {}
    e = wh.table("enterprises")
    rows = e.filter(e.uscc.isin(usccs)).select("uscc", "name").to_pyarrow().to_pylist()
    return {r["uscc"]: r["name"] for r in rows}


def _yi(v) -> str:
    return fmt(None if v is None else v / 1e8, ",.2f")


def _note(synthetic: bool) -> str:
    return f" ({SYNTHETIC_NOTE})" if synthetic else ""


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
    choice("--by", by, GROUP_BYS)
    choice("--local", local, LOCALS)
    choice("--level", level, LEVELS)
    from zhizao.chains.measures import sourcing, sourcing_products

    with open_db(db) as wh:
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("本地配套 sourcing") as cb:
            year, net = _network(wh, year, level, cb)
            cb("groups", 0.4)
            groups = _groups(net, by, clusters, synthetic)
            cb("sourcing", 0.6)
            summary = sourcing(net, groups, local=local)
            products = sourcing_products(net, groups, local=local)
            wh.write_result("chain_sourcing", _stamp(summary, year, synthetic))
            wh.write_result("chain_sourcing_products", _stamp(products, year, synthetic, group_by=by))
            cb("done", 1.0)
    rows = sorted(summary.to_pylist(), key=lambda r: -(r["purchases"] or 0))
    t = RichTable(title=f"{year} 本地配套率 local sourcing by {by} (local = same {local}){_note(synthetic)}")
    for c in ("组 group", "企业 firms", "采购额 purchases (亿)", "本地配套率 local", "省内 province", "省外 outside",
              "供应商HHI supplier HHI", "本地客户 local sales"):
        t.add_column(c, justify="left" if c.startswith("组") else "right")
    for r in rows[:top]:
        t.add_row(f"{r['group_id']} {r['name']}", f"{r['firms']:,}", _yi(r["purchases"]), fmt(r["local_share"], ".1%"),
                  fmt(r["province_share"], ".1%"), fmt(r["outside_share"], ".1%"), fmt(r["supplier_hhi"], ".3f"),
                  fmt(r["local_sales_share"], ".1%"))
    out.print(t)
    out.print(f"{len(rows)} groups → result_chain_sourcing; {products.num_rows:,} group × product rows → "
              "result_chain_sourcing_products")


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
    choice("--level", level, LEVELS)
    from zhizao.chains.measures import chokepoints

    with open_db(db) as wh:
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("卡脖子 chokepoints") as cb:
            year, net = _network(wh, year, level, cb)
            cb("dependence", 0.4)
            res = chokepoints(net, max_suppliers=max_suppliers, hops=hops, include_outside_only=outside_only)
            wh.write_result("chain_chokepoints", _stamp(res.products, year, synthetic))
            wh.write_result("chain_chokepoint_buyers", _stamp(res.buyers, year, synthetic))
            cb("done", 1.0)
    rows = [r for r in res.products.to_pylist() if r["chokepoint"]]
    t = RichTable(title=f"{year} 卡脖子环节 chokepoints, by dependent output ({hops} hops){_note(synthetic)}")
    for c in ("名次 rank", "产品 product", "供应商 suppliers", "省外 outside", "直接买方 buyers",
              "采购额 purchases (亿)", "依赖产出 dependent output (亿)", "波及企业 firms reached"):
        t.add_column(c, justify="left" if c.startswith("产品") else "right")
    for r in rows[:top]:
        sup = f"{r['suppliers']}" + (" (全部省外 all outside)" if r["outside_only"] else "")
        t.add_row(str(r["rank"]), f"{r['product']} {industry_name(r['product'], '')}", sup,
                  fmt(r["outside_share"], ".0%"), f"{r['buyers']:,}", _yi(r["purchases"]),
                  _yi(r["dependent_output"]), f"{r['reach_firms']:,}")
    out.print(t)
    out.print(f"{len(rows)} chokepoints of {res.products.num_rows} input classes → result_chain_chokepoints; "
              f"{res.buyers.num_rows:,} buyer rows → result_chain_chokepoint_buyers")


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
    choice("--level", level, LEVELS)
    from zhizao.chains.leaders import anchored_clusters, leaders

    with open_db(db) as wh:
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("链主 leaders") as cb:
            year, net = _network(wh, year, level, cb)
            cb("clusters", 0.3)
            groups = _groups(net, "cluster", clusters, synthetic)
            cb("centrality", 0.5)
            table = leaders(net, hops=hops, clusters=groups)
            anchors = anchored_clusters(net, groups, np.flatnonzero(net.inside), anchor_min=anchor_min)
            wh.write_result("chain_leaders", _stamp(table, year, synthetic))
            wh.write_result("chain_leader_clusters", _stamp(anchors, year, synthetic))
            names = _names(wh, table.column("uscc").to_pylist()[:top])
            cb("done", 1.0)
    shown = table.slice(0, top).to_pylist()
    t = RichTable(title=f"{year} 链主候选 chain-leader candidates{_note(synthetic)}")
    for c in ("名次 rank", "企业 firm", "地区 county", "行业 sector", "产出 output (亿)", "下游辐射 downstream (亿)",
              "上游带动 upstream (亿)", "PageRank ×1000", "得分 score", "锚定集群 anchors"):
        t.add_column(c, justify="left" if c.startswith(("企业", "地区", "行业", "锚定")) else "right")
    for r in shown:
        anchor = f"{r['anchor_cluster']} {r['anchor_share']:.0%}" if r.get("anchor_cluster") else "—"
        t.add_row(str(r["rank"]), f"{names.get(r['uscc'], r['uscc'])}", f"{r['region_code']} {region_name(r['region_code'], '')}",
                  f"{r['sector']} {industry_name(r['sector'], '')}", _yi(r["output"]), _yi(r["downstream_reach"]),
                  _yi(r["upstream_reach"]), fmt((r["pagerank_supply"] + r["pagerank_demand"]) * 1000, ".2f"),
                  fmt(r["leader_score"], ".3f"), anchor)
    out.print(t)
    out.print(f"{table.num_rows:,} firms → result_chain_leaders; {anchors.num_rows:,} firm × cluster rows → "
              "result_chain_leader_clusters")


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
    choice("--local", local, LOCALS)
    choice("--level", level, LEVELS)
    from zhizao.chains.resilience import resilience
    from zhizao.chains.shock import ShockParams

    with open_db(db) as wh:
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("韧性 resilience") as cb:
            year, net = _network(wh, year, level, cb)
            groups = _groups(net, "cluster", clusters, synthetic)
            res = resilience(net, groups, local=local, remove_share=remove_share, top_suppliers=top_suppliers,
                             supplier_capacity=supplier_capacity, params=ShockParams(days=days),
                             progress=lambda stage, f: cb(f"shocks: {stage}", 0.2 + 0.7 * f))
            wh.write_result("chain_resilience", _stamp(res, year, synthetic))
            cb("done", 1.0)
    t = RichTable(title=f"{year} 集群韧性 cluster resilience{_note(synthetic)}")
    for c in ("名次 rank", "集群 cluster", "企业 firms", "拆不散 cohesion", "搬不走 embeddedness", "压不垮 absorption",
              "韧性 resilience", "供应商冲击损失 supplier-shock loss", "断供损失 import-cut loss"):
        t.add_column(c, justify="left" if c.startswith("集群") else "right")
    for r in sorted(res.to_pylist(), key=lambda r: r["rank"]):
        t.add_row(str(r["rank"]), f"{r['group_id']} {r['name']}", f"{r['firms']:,}", fmt(r["cohesion"], ".3f"),
                  fmt(r["embeddedness"], ".3f"), fmt(r["absorption"], ".3f"), fmt(r["resilience"], ".3f"),
                  fmt(r["loss_top_suppliers"], ".2%"),
                  fmt(r["loss_outside_input"], ".2%") + (f" ({r['outside_product']})" if r["outside_product"] else ""))
    out.print(t)
    out.print(f"{res.num_rows} clusters → result_chain_resilience")


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
    choice("--rationing", rationing, ("proportional", "soothing"))
    choice("--recovery", recovery, ("none", "linear", "exponential"))
    choice("--level", level, LEVELS)
    if not county and not firm and not outside_product:
        fail("say what is hit: --county, --firm or --outside-product")
    from zhizao.chains.shock import Shock, ShockParams, shock_county, shock_firms, shock_outside_suppliers, simulate

    with open_db(db) as wh:
        synthetic = warehouse_is_synthetic(wh)
        with progress_bar("冲击 shock") as cb:
            year, net = _network(wh, year, level, cb)
            parts = []
            if county:
                if not np.any(np.char.startswith(net.region[net.inside], county)):
                    fail(f"--county {county}: no firm of the network lies there")
                parts.append(shock_county(net, county, capacity))
            if firm:
                idx = net.index(firm)
                if np.any(idx < 0):
                    fail(f"--firm: not in the {year} network: {', '.join(np.asarray(firm)[idx < 0][:5])}")
                parts.append(shock_firms(net, idx, capacity))
            for code in outside_product or []:
                s = shock_outside_suppliers(net, code)
                if s.cut_links is None or not s.cut_links.any():
                    fail(f"--outside-product {code}: no out-of-province supplier delivers it in {year}")
                parts.append(s)
            cap = np.minimum.reduce([p.capacity for p in parts])
            cuts = [p.cut_links for p in parts if p.cut_links is not None]
            label = "; ".join(p.label for p in parts)
            shock = Shock(capacity=cap, cut_links=np.logical_or.reduce(cuts) if cuts else None, label=label)
            params = ShockParams(days=days, rationing=rationing, recovery=recovery, recovery_days=recovery_days,
                                 seed=seed)
            cb("simulate", 0.3)
            res = simulate(net, shock, params)
            cb("write", 0.9)
            curve, firms_t, counties = _shock_tables(net, res)
            meta = {"scenario": label, "rationing": rationing, "recovery": recovery}
            wh.write_result("chain_shock", _stamp(curve, year, synthetic, **meta))
            wh.write_result("chain_shock_firms", _stamp(firms_t, year, synthetic, **meta))
            top_firms = firms_t.slice(0, top).to_pylist()
            names = _names(wh, [r["uscc"] for r in top_firms])
            cb("done", 1.0)
    total = float(res.loss.sum())
    base = float(res.baseline.sum()) * days
    note = _note(synthetic)
    out.print(f"[bold]{year} 冲击 shock: {label}[/bold]{note}")
    out.print(f"总损失 total loss {total / 1e8:,.2f} 亿 ({total / base:.2%} of output over {days} days) — "
              f"直接 direct {res.direct_loss / 1e8:,.2f} 亿, 间接 indirect {res.indirect_loss / 1e8:,.2f} 亿; "
              f"恢复 recovery: {'day ' + str(res.recovery_day) if res.recovery_day is not None else 'not within ' + str(days) + ' days'}")
    ct = RichTable(title="损失曲线 loss curve (total output, % of pre-shock)")
    share = curve.column("output_share").to_numpy()
    low = int(np.argmin(share))
    marks = sorted({d for d in (1, 3, 7, 14, 30, days, low) if 0 <= d <= days})
    for d in marks:
        ct.add_column(f"day {d}" + (" (min)" if d == low else ""), justify="right")
    ct.add_row(*[f"{share[d]:.2%}" for d in marks])
    out.print(ct)
    ft = RichTable(title="受影响最大的企业 most affected firms")
    for c in ("企业 firm", "地区 county", "直接受损 hit", "损失 loss (万)", "占产出 share", "最低日产出 lowest"):
        ft.add_column(c, justify="left" if c.startswith(("企业", "地区")) else "right")
    for r in top_firms:
        ft.add_row(names.get(r["uscc"], r["uscc"]), f"{r['region_code']} {region_name(r['region_code'], '')}",
                   "是" if r["hit"] else "", fmt(r["loss"] / 1e4, ",.1f"), fmt(r["loss_share"], ".1%"),
                   fmt(r["lowest_output_share"], ".0%"))
    out.print(ft)
    rt = RichTable(title="受影响最大的区县 most affected counties")
    for c in ("区县 county", "损失 loss (亿)", "占产出 share", "间接 indirect (亿)"):
        rt.add_column(c, justify="left" if c.startswith("区县") else "right")
    for r in counties[:top]:
        rt.add_row(f"{r['region_code']} {region_name(r['region_code'], '')}", _yi(r["loss"]), fmt(r["loss_share"], ".2%"),
                   _yi(r["indirect_loss"]))
    out.print(rt)
    out.print(f"→ result_chain_shock ({curve.num_rows} days), result_chain_shock_firms ({firms_t.num_rows:,} firms)")
    if json_out is not None:
        doc = {"year": year, "scenario": label, "synthetic": synthetic, "note": SYNTHETIC_NOTE if synthetic else "",
               "params": {"days": days, "rationing": rationing, "recovery": recovery, "recovery_days": recovery_days,
                          "capacity": capacity, "seed": seed, "tau": params.tau,
                          "inventory_mean": params.inventory_mean},
               "total_loss": total, "loss_share": total / base if base > 0 else None,
               "direct_loss": res.direct_loss, "indirect_loss": res.indirect_loss, "recovery_day": res.recovery_day,
               "curve": curve.select(["day", "total_output", "output_share"]).to_pylist(),
               "firms": [{**r, "name": names.get(r["uscc"])} for r in top_firms],
               "counties": counties[:top]}
        json_out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        out.print(f"已写出 written: {json_out}")


def _shock_tables(net, res):
    """The daily curve, the per-firm table (most affected first) and the county rows (inside firms)."""
    days = res.output.shape[0] - 1
    base_total = float(res.total_output[0])
    curve = pa.table({
        "day": pa.array(np.arange(days + 1, dtype=np.int64)),
        "total_output": pa.array(res.total_output),
        "output_share": pa.array(res.total_output / base_total if base_total > 0 else np.full(days + 1, np.nan)),
        "loss": pa.array(base_total - res.total_output),
        "inside_output": pa.array(res.output[:, net.inside].sum(axis=1)),
    })
    base = np.asarray(res.baseline, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        loss_share = np.where(base > 0, res.loss / (base * days), np.nan)
        lowest = np.where(base > 0, res.output[1:].min(axis=0) / base, np.nan) if days else np.ones(len(base))
    order = np.lexsort((net.firms, -res.loss))
    firms_t = pa.table({
        "uscc": pa.array(net.firms[order].tolist(), pa.string()),
        "region_code": pa.array(net.region[order].tolist(), pa.string()),
        "sector": pa.array(net.sector_codes()[order].tolist(), pa.string()),
        "inside": pa.array(net.inside[order]),
        "hit": pa.array(np.asarray(res.hit, dtype=bool)[order]),
        "baseline_output": pa.array(base[order]),
        "loss": pa.array(res.loss[order]),
        "loss_share": pa.array(loss_share[order]),
        "lowest_output_share": pa.array(lowest[order]),
    })
    inside = net.inside
    codes, inv = np.unique(net.region[inside], return_inverse=True)
    loss_c = np.bincount(inv, weights=res.loss[inside], minlength=len(codes))
    base_c = np.bincount(inv, weights=base[inside], minlength=len(codes)) * days
    ind_c = np.bincount(inv, weights=(res.loss * ~np.asarray(res.hit, dtype=bool))[inside], minlength=len(codes))
    o = np.lexsort((codes, -loss_c))
    counties = [{"region_code": str(codes[i]), "loss": float(loss_c[i]),
                 "loss_share": float(loss_c[i] / base_c[i]) if base_c[i] > 0 else None,
                 "indirect_loss": float(ind_c[i])} for i in o]
    return curve, firms_t, counties


__all__ = ["chains_app"]
