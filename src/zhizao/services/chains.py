"""The supply-chain operations users run (产业链供应链): local sourcing, chokepoints, chain
leaders, cluster resilience and shock propagation, on the year's supply network.

Each function takes a ``Service`` and plain values and returns a frozen dataclass that the CLI,
the web app and the reports render without computing: the stored tables (pyarrow, each with
``year`` and ``synthetic`` columns), the rows a page shows (sorted, cut, with enterprise names),
the year, whether the data is synthetic and the ``Run`` of what was stored. Errors are
``zhizao.errors``: a warehouse without links, a county without firms, a firm not in the network,
a product no outside supplier delivers.

The network of a year (``zhizao.chains.build_network``) is built once per (year, level) and
warehouse generation in the service; the cluster set comes from ``zhizao.services.clusters``
(its one ``--clusters`` default: the synthetic clusters on synthetic data, else zhejiang-415x).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from zhizao.chains.results import TABLES
from zhizao.errors import InvalidInput, NoData, NotFound
from zhizao.services import runs
from zhizao.services.clusters import cluster_set
from zhizao.services.registry import Lever, LeverRun

__all__ = ["LEVER", "LEVELS", "LOCALS", "GROUP_BYS", "RATIONINGS", "RECOVERIES", "SYNTHETIC_NOTE", "network",
           "SourcingResult", "ChokepointsResult", "LeadersResult", "ResilienceResult", "ShockOutcome", "sourcing",
           "chokepoints", "leaders", "resilience", "shock", "standard_run"]

LEVER_NAME = "chains"
Progress = Callable[[str, float], None]

LEVELS = ("class", "group", "division")
LOCALS = ("county", "prefecture", "province")
GROUP_BYS = ("cluster", "division", "county", "prefecture")
RATIONINGS = ("proportional", "soothing")
RECOVERIES = ("none", "linear", "exponential")

#: What a page or a file says beside synthetic figures.
SYNTHETIC_NOTE = "合成数据（非真实企业） / synthetic data, not real enterprises"
CURVE_DAYS = (1, 3, 7, 14, 30)    # days of the loss curve shown (with the last day and the lowest)


def _quiet(stage: str, fraction: float) -> None:
    pass


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        one_of = ", ".join(allowed)
        raise InvalidInput(f"{option} {value!r}：应为 {one_of} 之一", f"{option} {value!r}: expected one of {one_of}",
                           where=option)
    return value


# --- the network -----------------------------------------------------------------------------------
def network(svc, year: int | None = None, level: str = "class"):
    """(year, the supply network of the year at ``level``), built once per (year, level) in a warm
    service; ``NoData`` when the warehouse has no links (or none that year)."""
    from zhizao.chains import build_network

    _choice("--level", level, LEVELS)
    year, _ = svc.resolve_year(year)
    if not svc.wh.has_table("links"):
        raise NoData("数据仓库中没有供应链关系表 links：请导入供应链关系或运行 `zhizao synth`",
                     "the warehouse has no links table: import supply links (供应链关系) or run `zhizao synth`",
                     where="links")
    net = svc.memo(("chains.network", year, level), lambda: build_network(svc.tables(), year=year, level=level),
                   data_only=True)
    if net.n_links == 0:
        raise NoData(f"数据仓库中没有 {year} 年的供应链关系", f"no supply links for {year} in the warehouse",
                     where="links")
    return year, net


def _groups(svc, net, by: str, clusters):
    from zhizao.chains.measures import firm_groups

    cs = cluster_set(svc, clusters) if by == "cluster" else None
    try:
        return firm_groups(net, by, clusters=cs), cs
    except ValueError as e:       # cluster codes finer than the network's level
        raise InvalidInput(f"--level：集群的行业代码比供应网络的层级更细，请使用 --level class（{e}）",
                           f"--level: {e}", where="--level") from None


def _stamp(table: pa.Table, year: int, synthetic: bool, **meta) -> pa.Table:
    """Add ``year``, ``synthetic`` and any text metadata as constant columns."""
    n = table.num_rows
    table = table.append_column("year", pa.array(np.full(n, year, dtype=np.int64)))
    table = table.append_column("synthetic", pa.array(np.full(n, synthetic, dtype=bool)))
    for k, v in meta.items():
        table = table.append_column(k, pa.array([str(v)] * n, pa.string()))
    return table


def _names(svc, usccs) -> dict[str, str]:
    """Enterprise names by USCC (those the warehouse has)."""
    usccs = [u for u in dict.fromkeys(usccs) if u]
    if not usccs:
        return {}
    e = svc.tables()["enterprises"]
    rows = e.filter(e.uscc.isin(usccs)).select("uscc", "name").to_pyarrow().to_pylist()
    return {r["uscc"]: r["name"] for r in rows}


def _record(svc, analysis: str, tables: dict, *, year: int, method=None, key: dict, parameters: dict):
    return runs.record(svc, lever=LEVER_NAME, analysis=analysis, tables=tables, method=method, years=[year],
                       parameters={**key, **parameters}, key=key)


# --- sourcing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourcingResult:
    """Local sourcing per group (``groups``: result_chain_sourcing) and per group × input product
    (``products``: result_chain_sourcing_products); ``rows``: the groups by purchases, largest first
    (``top``)."""

    year: int
    by: str
    local: str
    level: str
    cluster_set_id: str | None
    groups: pa.Table
    products: pa.Table
    rows: tuple[dict, ...]
    synthetic: bool
    run: runs.Run


def sourcing(svc, *, year: int | None = None, by: str = "cluster", local: str = "county", clusters=None,
             level: str = "class", top: int = 20, progress: Progress | None = None) -> SourcingResult:
    """Local sourcing ratio (本地配套率), outside-province share and supplier concentration of each
    group's purchases; stored as one run of ``chains.sourcing`` (the cluster set its method when
    ``by`` is cluster)."""
    from zhizao.chains.measures import sourcing as _sourcing
    from zhizao.chains.measures import sourcing_products

    _choice("--by", by, GROUP_BYS)
    _choice("--local", local, LOCALS)
    cb = progress or _quiet
    cb("network", 0.1)
    year, net = network(svc, year, level)
    synthetic = svc.is_synthetic()
    cb("groups", 0.4)
    groups, cs = _groups(svc, net, by, clusters)
    cb("sourcing", 0.6)
    summary = _stamp(_sourcing(net, groups, local=local), year, synthetic)
    products = _stamp(sourcing_products(net, groups, local=local), year, synthetic, group_by=by)
    run = _record(svc, "chains.sourcing", {"chain_sourcing": summary, "chain_sourcing_products": products},
                  year=year, method=cs, key={"year": year, "by": by, "local": local, "level": level}, parameters={})
    rows = sorted(summary.to_pylist(), key=lambda r: -(r["purchases"] or 0))[:top]
    cb("done", 1.0)
    return SourcingResult(year, by, local, level, cs.id if cs else None, summary, products, tuple(rows), synthetic,
                          run)


# --- chokepoints -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChokepointsResult:
    """Every input product class with its flags and dependent output (``products``:
    result_chain_chokepoints), the province's buyers of each chokepoint (``buyers``); ``rows``: the
    chokepoints by rank (``top``), ``n_chokepoints`` of them in all."""

    year: int
    level: str
    max_suppliers: int
    outside_only: bool
    hops: int
    products: pa.Table
    buyers: pa.Table
    rows: tuple[dict, ...]
    n_chokepoints: int
    synthetic: bool
    run: runs.Run


def chokepoints(svc, *, year: int | None = None, max_suppliers: int = 1, outside_only: bool = True, hops: int = 3,
                level: str = "class", top: int = 15, progress: Progress | None = None) -> ChokepointsResult:
    """Chokepoints (卡脖子): input products with one or very few suppliers, or only from outside the
    province, ranked by the downstream output that depends on them; one run of ``chains.chokepoints``."""
    from zhizao.chains.measures import chokepoints as _chokepoints

    cb = progress or _quiet
    cb("network", 0.1)
    year, net = network(svc, year, level)
    synthetic = svc.is_synthetic()
    cb("dependence", 0.4)
    res = _chokepoints(net, max_suppliers=max_suppliers, hops=hops, include_outside_only=outside_only)
    products, buyers = _stamp(res.products, year, synthetic), _stamp(res.buyers, year, synthetic)
    run = _record(svc, "chains.chokepoints", {"chain_chokepoints": products, "chain_chokepoint_buyers": buyers},
                  year=year, key={"year": year, "level": level},
                  parameters={"max_suppliers": max_suppliers, "outside_only": outside_only, "hops": hops})
    import pyarrow.compute as pc

    flagged = res.products.filter(pc.equal(res.products.column("chokepoint"), True)).sort_by("rank").to_pylist()
    cb("done", 1.0)
    return ChokepointsResult(year, level, max_suppliers, outside_only, hops, products, buyers, tuple(flagged[:top]),
                             len(flagged), synthetic, run)


# --- leaders ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeadersResult:
    """Every firm of the province ranked (``firms``: result_chain_leaders), the clusters they anchor
    (``anchors``: result_chain_leader_clusters); ``rows``: the first ``top`` with ``name``."""

    year: int
    level: str
    hops: int
    anchor_min: float
    cluster_set_id: str
    firms: pa.Table
    anchors: pa.Table
    rows: tuple[dict, ...]
    synthetic: bool
    run: runs.Run


def leaders(svc, *, year: int | None = None, hops: int = 3, clusters=None, anchor_min: float = 0.05,
            level: str = "class", top: int = 20, progress: Progress | None = None) -> LeadersResult:
    """Chain leaders (链主): the province's firms by size, reach and PageRank, with the clusters they
    anchor; one run of ``chains.leaders`` (the cluster set its method)."""
    from zhizao.chains.leaders import anchored_clusters
    from zhizao.chains.leaders import leaders as _leaders

    cb = progress or _quiet
    cb("network", 0.1)
    year, net = network(svc, year, level)
    synthetic = svc.is_synthetic()
    cb("clusters", 0.3)
    groups, cs = _groups(svc, net, "cluster", clusters)
    cb("centrality", 0.5)
    table = _stamp(_leaders(net, hops=hops, clusters=groups), year, synthetic)
    anchors = _stamp(anchored_clusters(net, groups, np.flatnonzero(net.inside), anchor_min=anchor_min), year,
                     synthetic)
    run = _record(svc, "chains.leaders", {"chain_leaders": table, "chain_leader_clusters": anchors}, year=year,
                  method=cs, key={"year": year, "level": level},
                  parameters={"hops": hops, "anchor_min": anchor_min})
    shown = table.slice(0, top).to_pylist()
    names = _names(svc, [r["uscc"] for r in shown])
    cb("done", 1.0)
    return LeadersResult(year, level, hops, anchor_min, cs.id, table, anchors,
                         tuple({**r, "name": names.get(r["uscc"])} for r in shown), synthetic, run)


# --- resilience ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResilienceResult:
    """Resilience of each cluster (``clusters``: result_chain_resilience); ``rows``: by rank."""

    year: int
    level: str
    local: str
    days: int
    cluster_set_id: str
    clusters: pa.Table
    rows: tuple[dict, ...]
    synthetic: bool
    run: runs.Run


def resilience(svc, *, year: int | None = None, clusters=None, local: str = "county", remove_share: float = 0.05,
               top_suppliers: int = 3, supplier_capacity: float = 0.0, days: int = 60, level: str = "class",
               progress: Progress | None = None) -> ResilienceResult:
    """Resilience of each cluster (拆不散、搬不走、压不垮): cohesion, embeddedness and shock absorption
    in two standard scenarios; one run of ``chains.resilience`` (the cluster set its method)."""
    from zhizao.chains.resilience import resilience as _resilience

    _choice("--local", local, LOCALS)
    cb = progress or _quiet
    cb("network", 0.1)
    year, net = network(svc, year, level)
    synthetic = svc.is_synthetic()
    groups, cs = _groups(svc, net, "cluster", clusters)
    res = _resilience(net, groups, local=local, remove_share=remove_share, top_suppliers=top_suppliers,
                      supplier_capacity=supplier_capacity, params=_params(days=days),
                      progress=lambda stage, f: cb(f"shocks: {stage}", 0.2 + 0.7 * f))
    table = _stamp(res, year, synthetic)
    run = _record(svc, "chains.resilience", {"chain_resilience": table}, year=year, method=cs,
                  key={"year": year, "level": level},
                  parameters={"local": local, "remove_share": remove_share, "top_suppliers": top_suppliers,
                              "supplier_capacity": supplier_capacity, "days": days})
    rows = sorted(res.to_pylist(), key=lambda r: (r["rank"] is None, r["rank"] or 0))
    cb("done", 1.0)
    return ResilienceResult(year, level, local, days, cs.id, table, tuple(rows), synthetic, run)


def _params(**kw):
    from zhizao.chains.shock import ShockParams

    try:
        return ShockParams(**kw)
    except ValueError as e:
        raise InvalidInput(f"冲击模拟参数有误：{e}", f"shock parameters: {e}", where="--days") from None


# --- shock -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShockOutcome:
    """A simulated shock, bounded: the daily curve (``curve``: day, total_output, output_share,
    loss, inside_output), the marked days of it (``curve_marks``: day, output share, whether it
    is the lowest), the totals, the ``top`` most affected firms (with ``name``) and counties."""

    year: int
    level: str
    scenario: str
    days: int
    params: dict
    total_loss: float          # yuan over the days
    loss_share: float | None   # of the baseline output over the days
    direct_loss: float
    indirect_loss: float
    recovery_day: int | None
    curve: pa.Table
    curve_marks: tuple[tuple[int, float, bool], ...]
    firms: tuple[dict, ...]
    counties: tuple[dict, ...]
    firm_rows: int             # rows stored in result_chain_shock_firms
    synthetic: bool
    run: runs.Run

    def to_dict(self) -> dict:
        """What ``zhizao chains shock --json`` writes."""
        return {"year": self.year, "scenario": self.scenario, "synthetic": self.synthetic,
                "note": SYNTHETIC_NOTE if self.synthetic else "", "params": dict(self.params),
                "total_loss": self.total_loss, "loss_share": self.loss_share, "direct_loss": self.direct_loss,
                "indirect_loss": self.indirect_loss, "recovery_day": self.recovery_day,
                "curve": self.curve.select(["day", "total_output", "output_share"]).to_pylist(),
                "firms": [dict(r) for r in self.firms], "counties": [dict(r) for r in self.counties]}


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


def _curve_marks(curve: pa.Table, days: int) -> tuple[tuple[int, float, bool], ...]:
    share = curve.column("output_share").to_numpy(zero_copy_only=False)
    low = int(np.nanargmin(share)) if len(share) and not np.all(np.isnan(share)) else 0
    marks = sorted({d for d in (*CURVE_DAYS, days, low) if 0 <= d <= days})
    return tuple((d, float(share[d]), d == low) for d in marks)


def shock(svc, *, county: str | None = None, capacity: float = 0.5, firms: Sequence[str] = (),
          outside_products: Sequence[str] = (), days: int = 60, rationing: str = "proportional",
          recovery: str = "linear", recovery_days: float = 30.0, seed: int = 0, year: int | None = None,
          level: str = "class", top: int = 10, progress: Progress | None = None) -> ShockOutcome:
    """Simulate a shock through the supply network (Inoue & Todo 2019): damage a county's firms,
    chosen firms, or cut the out-of-province suppliers of products; follow output day by day.
    One run of ``chains.shock`` per scenario (result_chain_shock, result_chain_shock_firms).

    ``InvalidInput`` when nothing is hit, a county has no firm of the network, or no outside
    supplier delivers a product; ``NotFound`` for a firm not in the network."""
    from zhizao.chains.shock import Shock, shock_county, shock_firms, shock_outside_suppliers, simulate

    _choice("--rationing", rationing, RATIONINGS)
    _choice("--recovery", recovery, RECOVERIES)
    firms, outside_products = list(firms or ()), list(outside_products or ())
    if not county and not firms and not outside_products:
        raise InvalidInput("请指明冲击对象：--county、--firm 或 --outside-product",
                           "say what is hit: --county, --firm or --outside-product", where="--county")
    params = _params(days=days, rationing=rationing, recovery=recovery, recovery_days=recovery_days, seed=seed)
    cb = progress or _quiet
    cb("network", 0.1)
    year, net = network(svc, year, level)
    synthetic = svc.is_synthetic()
    parts = []
    if county:
        if not np.any(np.char.startswith(net.region[net.inside], county)):
            raise InvalidInput(f"--county {county}：供应网络中没有位于该地区的企业",
                               f"--county {county}: no firm of the network lies there", where="--county")
        parts.append(shock_county(net, county, capacity))
    if firms:
        idx = net.index(firms)
        if np.any(idx < 0):
            missing = ", ".join(np.asarray(firms)[idx < 0][:5])
            raise NotFound(f"--firm：{year} 年的供应网络中没有：{missing}",
                           f"--firm: not in the {year} network: {missing}", where="--firm")
        parts.append(shock_firms(net, idx, capacity))
    for code in outside_products:
        s = shock_outside_suppliers(net, code)
        if s.cut_links is None or not s.cut_links.any():
            raise InvalidInput(f"--outside-product {code}：{year} 年没有省外供应商供应该产品",
                               f"--outside-product {code}: no out-of-province supplier delivers it in {year}",
                               where="--outside-product")
        parts.append(s)
    cap = np.minimum.reduce([p.capacity for p in parts])
    cuts = [p.cut_links for p in parts if p.cut_links is not None]
    label = "; ".join(p.label for p in parts)
    hit = Shock(capacity=cap, cut_links=np.logical_or.reduce(cuts) if cuts else None, label=label)
    cb("simulate", 0.3)
    res = simulate(net, hit, params)
    cb("write", 0.9)
    curve, firms_t, counties = _shock_tables(net, res)
    meta = {"scenario": label, "rationing": rationing, "recovery": recovery}
    run = _record(svc, "chains.shock", {"chain_shock": _stamp(curve, year, synthetic, **meta),
                                        "chain_shock_firms": _stamp(firms_t, year, synthetic, **meta)},
                  year=year, key={"year": year, "level": level, "scenario": label},
                  parameters={"county": county, "capacity": capacity, "firms": firms,
                              "outside_products": outside_products, "days": days, "rationing": rationing,
                              "recovery": recovery, "recovery_days": recovery_days, "seed": seed})
    top_firms = firms_t.slice(0, top).to_pylist()
    names = _names(svc, [r["uscc"] for r in top_firms])
    total = float(res.loss.sum())
    base = float(res.baseline.sum()) * days
    cb("done", 1.0)
    return ShockOutcome(
        year, level, label, days,
        {"days": days, "rationing": rationing, "recovery": recovery, "recovery_days": recovery_days,
         "capacity": capacity, "seed": seed, "tau": params.tau, "inventory_mean": params.inventory_mean},
        total, total / base if base > 0 else None, float(res.direct_loss), float(res.indirect_loss),
        res.recovery_day, curve, _curve_marks(curve, days),
        tuple({**r, "name": names.get(r["uscc"])} for r in top_firms), tuple(counties[:top]), firms_t.num_rows,
        synthetic, run)


# --- the lever -------------------------------------------------------------------------------------
def standard_run(svc, year: int) -> LeverRun:
    """What the demo runs for supply chains: the chokepoints of the province and the resilience of
    the default cluster set (two runs); summaries: chain_top_chokepoints, chain_cluster_resilience."""
    cp = chokepoints(svc, year=year, top=10)
    rs = resilience(svc, year=year)
    top = pa.Table.from_pylist([{k: r[k] for k in ("product", "suppliers", "outside_suppliers", "outside_only",
                                                   "dependent_output", "rank")} for r in cp.rows],
                               schema=cp.products.select(["product", "suppliers", "outside_suppliers", "outside_only",
                                                          "dependent_output", "rank"]).schema)
    res = rs.clusters.select(["group_id", "name", "cohesion", "embeddedness", "absorption", "resilience", "rank"])
    ranked = [r for r in rs.rows if r["rank"] is not None]
    weakest = ranked[-1] if ranked else None
    zh = f"{year} 供应链：卡脖子环节 {cp.n_chokepoints} 个"
    en = f"{year} supply chains: {cp.n_chokepoints} chokepoints"
    if cp.rows:
        zh += f"，首位产品 {cp.rows[0]['product']}（{cp.rows[0]['suppliers']} 家供应商）"
        en += f", first: product class {cp.rows[0]['product']} ({cp.rows[0]['suppliers']} supplier(s))"
    if weakest:
        zh += f"；韧性最弱的集群：{weakest['name']}"
        en += f"; least resilient cluster: {weakest['group_id']}"
    return LeverRun(runs=[cp.run, rs.run], summaries={"chain_top_chokepoints": top, "chain_cluster_resilience": res},
                    findings=[f"{zh} / {en}"])


LEVER = Lever(name=LEVER_NAME, zh="产业链供应链", en="supply chains", tables=TABLES, standard_run=standard_run)
