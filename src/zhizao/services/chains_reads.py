"""Scoped reads of the supply-chain results (产业链供应链查询) for the web platform: chokepoints and
their buyers, chain leaders, cluster resilience, and the shock simulation as a bounded job —
over the stored run of each analysis (computed and recorded by ``services.chains`` only when none
matches).

Access and disclosure control (``zhizao.disclosure``, thresholds ``k`` and ``p``):

* **Chokepoints** (``chokepoints_page``): one row per input product, summed over the province's
  buyers. For a viewer without every region, a product with a buyer outside the scope needs
  control: ``protect_1d`` over the chokepoints with counts = buyers, values = purchases and top1 =
  the largest buyer's purchase; a suppressed product has its purchases, buyer counts and
  dependent / reached output null. The chokepoint ranking (``rank``) and the supply structure
  (suppliers, HHI, outside share) stay published.
* **Chokepoint buyers** and **chain leaders** are firm rows: only firms inside the scope are
  listed (the scope filter in the query, on the buyer's / firm's county).
* **Resilience** (per cluster): controlled as the clusters are
  (``clusters_reads.cluster_control``); the suppliers it names are only those inside the scope.
* **Shock** (``check_shock`` then ``shock_job``): the firms hit must be visible (else
  ``NotFound``, exactly as for an unknown USCC); any county of the network may be hit (a county
  official may ask what a neighbour's lockdown does to them). The result: the loss curve and
  totals of the whole network (published when the network's output passes the k / p rules), the
  loss by county (``protect_1d`` over counties: counts = the county's firms, values = loss, top1
  = the largest firm's loss; counties outside the scope need control) and the most affected
  firms inside the scope.

Suppressed figures are ``None`` and marked (``suppressed`` and the reason), never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa

from zhizao.chains.results import CHOKEPOINT_BUYERS, CHOKEPOINTS, LEADERS, RESILIENCE
from zhizao.contract import Column
from zhizao.errors import InvalidInput, NotFound
from zhizao.services import runs
from zhizao.services.labels import region_label as _region_label
from zhizao.services.land_reads import (
    SUPPRESSED,
    SUPPRESSION_REASON,
    null_where,
    region_prefix_of,
    stored_run,
    web_fields,
)
from zhizao.services.paging import Page, batches, check_paging, paginate

__all__ = ["chokepoints_page", "chokepoints_rows", "chokepoint_buyers_page", "chokepoint_buyers_rows",
           "leaders_page", "leaders_rows", "resilience_page", "resilience_rows", "check_shock", "shock_job",
           "ShockRequest", "ShockView", "ShockCounty", "MAX_SHOCK_FIRMS", "MAX_SHOCK_DAYS", "RATIONINGS"]

LEVEL = "class"
MAX_SHOCK_FIRMS = 200
MAX_SHOCK_DAYS = 365
RATIONINGS = ("proportional", "soothing")
NAME = Column("name", "string", "企业名称", "enterprise", "the enterprise's registered name")


def _year(svc, year):
    with web_fields():
        return svc.resolve_year(year)[0]


def _cols(decl, names: Sequence[str]) -> tuple[Column, ...]:
    return tuple(decl.column(n) for n in names)


def _named(svc, t, uscc_col: str = "uscc"):
    """``t`` with the enterprise's ``name`` (a left join inside the query)."""
    e = svc.tables()["enterprises"]
    e = e.select(_nu=e.uscc, name=e.name)
    return t.left_join(e, t[uscc_col] == e._nu).drop("_nu")


# --- chokepoints -----------------------------------------------------------------------------------
CHOKEPOINT_COLUMNS = ("rank", "product", "purchases", "buyers", "suppliers", "inside_suppliers", "outside_suppliers",
                      "supplier_hhi", "outside_share", "few_suppliers", "outside_only", "direct_buyer_output",
                      "dependent_output", "reach_firms", "reach_output", "year")
_CHOKE_HIDDEN = ("purchases", "buyers", "direct_buyer_output", "dependent_output", "reach_firms", "reach_output")
BUYER_COLUMNS = ("product", "rank", "buyer_uscc", "buyer_region_code", "buyer_sector", "amount", "input_share",
                 "suppliers", "outside_suppliers", "buyer_output", "dependence", "year")


def _chokepoints_run(svc, year):
    from zhizao.services import chains

    y = _year(svc, year)
    key = {"year": y, "level": LEVEL}

    def compute():
        with web_fields():
            return chains.chokepoints(svc, year=y).run

    run = stored_run(svc, "chains.chokepoints", compute=compute, key=key,
                     parameters={**key, "max_suppliers": 1, "outside_only": True, "hops": 3}, years=[y])
    return run, y


def _buyers(svc, run):
    """The chokepoint buyers with the buyer as ``uscc`` / ``region_code`` (so the scope applies)."""
    b = runs.rows(svc, run, "result_chain_chokepoint_buyers")
    return b.mutate(uscc=b.buyer_uscc, region_code=b.buyer_region_code)


def _chokepoints_expr(svc, scope, *, year=None, product=None, k=3, p=85.0):
    import ibis

    from zhizao import disclosure

    run, y = _chokepoints_run(svc, year)
    t = runs.rows(svc, run, "result_chain_chokepoints")
    t = t.filter(t.chokepoint == True)   # noqa: E712 (an Ibis predicate)
    if product:
        t = t.filter(t.product.startswith(str(product)))
    controlled = not scope.all_regions
    cols = _cols(CHOKEPOINTS, CHOKEPOINT_COLUMNS) + ((SUPPRESSED, SUPPRESSION_REASON) if controlled else ())
    if controlled:
        b = _buyers(svc, run)
        b = b.mutate(_out=(~scope.predicate(b)).cast("int64"))
        per = b.group_by("product").aggregate(_top=b.amount.abs().max(), _n_out=b._out.sum(),
                                              _n_b=b.uscc.nunique())
        allp = runs.rows(svc, run, "result_chain_chokepoints")
        allp = allp.filter(allp.chokepoint == True)   # noqa: E712
        j = allp.left_join(per, allp.product == per.product)
        got = j.select(product=allp.product, buyers=allp.buyers, purchases=allp.purchases, top=per._top,
                       n_out=per._n_out, n_b=per._n_b).order_by("product").to_pyarrow().to_pylist()
        if got:
            # deny by default: a buyer outside the scope, or buyers the table does not list
            need = [bool((r["n_out"] or 0) > 0 or (r["n_b"] or 0) < (r["buyers"] or 0)) for r in got]
            prot = disclosure.protect_1d([r["buyers"] or 0 for r in got], [r["purchases"] or 0.0 for r in got],
                                         [r["top"] or 0.0 for r in got], k=k, p=p, needs_control=need)
            supp, reason = prot.suppressed[:-1], prot.reason[:-1]
        else:
            supp, reason = np.zeros(0, dtype=bool), np.zeros(0, dtype=object)
        flags = pa.table({"_p": pa.array([r["product"] for r in got], pa.string()),
                          "_s": pa.array(supp.astype(bool)),
                          "_r": pa.array([(x or None) if s else None for x, s in zip(reason, supp)], pa.string())})
        m = ibis.memtable(flags)
        t = t.left_join(m, t.product == m._p)
        t = t.mutate(suppressed=t._s.fill_null(False), suppression_reason=t._r)
        t = null_where(t, "suppressed", _CHOKE_HIDDEN)
    return t.select([c.name for c in cols]), cols, run


def chokepoints_page(svc, scope, *, year: int | None = None, product: str | None = None, k: int = 3,
                     p: float = 85.0, page: int = 1, page_size: int = 50) -> Page:
    """The chokepoints (卡脖子) of ``year`` ranked by dependent output (the stored
    ``chains.chokepoints`` run, else computed and recorded), their sums under disclosure control
    for a viewer without every region."""
    check_paging(page, page_size)
    t, cols, run = _chokepoints_expr(svc, scope, year=year, product=product, k=k, p=p)
    return paginate(t, cols, page=page, page_size=page_size, order_by=("rank", "product"), run=run)


def chokepoints_rows(svc, scope, **filters):
    t, cols, _run = _chokepoints_expr(svc, scope, **filters)
    return cols, batches(t, cols, order_by=("rank", "product"))


def _buyers_expr(svc, scope, *, year=None, product=None, region=None):
    run, _y = _chokepoints_run(svc, year)
    b = scope.filter(_buyers(svc, run))
    if product:
        b = b.filter(b.product == str(product))
    prefix = region_prefix_of(region)
    if prefix:
        b = b.filter(b.region_code.startswith(prefix))
    b = _named(svc, b)
    cols = _cols(CHOKEPOINT_BUYERS, BUYER_COLUMNS[:3]) + (NAME,) + _cols(CHOKEPOINT_BUYERS, BUYER_COLUMNS[3:])
    return b.select([c.name for c in cols]), cols, run


def chokepoint_buyers_page(svc, scope, *, year: int | None = None, product: str | None = None,
                           region: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """The buyers of the chokepoints (of ``product``) that lie inside the scope, by rank and
    dependence."""
    check_paging(page, page_size)
    t, cols, run = _buyers_expr(svc, scope, year=year, product=product, region=region)
    return paginate(t, cols, page=page, page_size=page_size, order_by=("rank", "buyer_uscc"), run=run)


def chokepoint_buyers_rows(svc, scope, **filters):
    t, cols, _run = _buyers_expr(svc, scope, **filters)
    return cols, batches(t, cols, order_by=("rank", "buyer_uscc"))


# --- leaders ---------------------------------------------------------------------------------------
LEADER_COLUMNS = ("rank", "uscc", "region_code", "sector", "output", "sales", "purchases", "suppliers", "customers",
                  "downstream_reach", "upstream_reach", "size_pct", "reach_pct", "influence_pct", "leader_score",
                  "cluster", "anchor_cluster", "anchor_share", "year")


def _cluster_set(svc):
    from zhizao.services.clusters import cluster_set

    return cluster_set(svc)


def _leaders_expr(svc, scope, *, year=None, region=None, cluster=None, sector=None):
    from zhizao.services import chains

    y = _year(svc, year)
    key = {"year": y, "level": LEVEL}

    def compute():
        with web_fields():
            return chains.leaders(svc, year=y).run

    run = stored_run(svc, "chains.leaders", compute=compute, key=key,
                     parameters={**key, "hops": 3, "anchor_min": 0.05}, years=[y], method=_cluster_set(svc))
    t = scope.filter(runs.rows(svc, run, "result_chain_leaders"))
    prefix = region_prefix_of(region)
    if prefix:
        t = t.filter(t.region_code.startswith(prefix))
    if cluster:
        t = t.filter((t.cluster == str(cluster)) | (t.anchor_cluster == str(cluster)))
    if sector:
        if not str(sector).isdigit():
            raise InvalidInput(f"行业代码 {sector} 无效（GB/T 4754 数字代码）",
                               f"sector {sector} is not valid (GB/T 4754 digits)", where="sector")
        t = t.filter(t.sector.startswith(str(sector)))
    t = _named(svc, t)
    cols = _cols(LEADERS, LEADER_COLUMNS[:2]) + (NAME,) + _cols(LEADERS, LEADER_COLUMNS[2:])
    return t.select([c.name for c in cols]), cols, run


def leaders_page(svc, scope, *, year: int | None = None, region: str | None = None, cluster: str | None = None,
                 sector: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """Chain-leader candidates (链主) inside the scope, by the province-wide rank (the stored
    ``chains.leaders`` run, else computed and recorded)."""
    check_paging(page, page_size)
    t, cols, run = _leaders_expr(svc, scope, year=year, region=region, cluster=cluster, sector=sector)
    return paginate(t, cols, page=page, page_size=page_size, order_by=("rank", "uscc"), run=run)


def leaders_rows(svc, scope, **filters):
    t, cols, _run = _leaders_expr(svc, scope, **filters)
    return cols, batches(t, cols, order_by=("rank", "uscc"))


# --- resilience ------------------------------------------------------------------------------------
RESILIENCE_COLUMNS = ("rank", "group_id", "name", "firms", "nodes", "removed", "lcc_before", "cohesion",
                      "local_share", "local_sales_share", "embeddedness", "top_suppliers", "loss_top_suppliers",
                      "outside_product", "loss_outside_input", "absorption", "resilience", "local", "year")
_RES_HIDDEN = ("rank", "firms", "nodes", "removed", "lcc_before", "cohesion", "local_share", "local_sales_share",
               "embeddedness", "top_suppliers", "loss_top_suppliers", "loss_outside_input", "absorption",
               "resilience")


def _resilience_expr(svc, scope, *, year=None, k=3, p=85.0):
    from zhizao.services import chains
    from zhizao.services.clusters_reads import cluster_control

    y = _year(svc, year)
    key = {"year": y, "level": LEVEL}

    def compute():
        with web_fields():
            return chains.resilience(svc, year=y).run

    run = stored_run(svc, "chains.resilience", compute=compute, key=key,
                     parameters={**key, "local": "county", "remove_share": 0.05, "top_suppliers": 3,
                                 "supplier_capacity": 0.0, "days": 60}, years=[y], method=_cluster_set(svc))
    t = runs.rows(svc, run, "result_chain_resilience")
    controlled = not scope.all_regions
    cols = _cols(RESILIENCE, RESILIENCE_COLUMNS) + ((SUPPRESSED, SUPPRESSION_REASON) if controlled else ())
    if controlled:
        ctl = cluster_control(svc, scope, year=y, k=k, p=p)
        m = ctl.table()
        t = t.left_join(m, t.group_id == m._cid)
        # deny by default: a cluster the control does not know (not profiled) is hidden
        t = t.mutate(suppressed=t._s.fill_null(True), suppression_reason=t._r)
        t = null_where(t, "suppressed", _RES_HIDDEN)
    return t.select([c.name for c in cols]), cols, run, controlled


def _visible_suppliers(svc, scope, rows: list[dict]) -> list[dict]:
    """``top_suppliers`` of each row cut to the suppliers inside the scope (a scoped query)."""
    ids = sorted({u for r in rows for u in str(r.get("top_suppliers") or "").split(";") if u})
    if not ids:
        return rows
    e = scope.filter(svc.tables()["enterprises"])
    seen = set(e.filter(e.uscc.isin(ids)).select("uscc").to_pyarrow().column("uscc").to_pylist())
    out = []
    for r in rows:
        if r.get("top_suppliers"):
            kept = [u for u in str(r["top_suppliers"]).split(";") if u in seen]
            r = {**r, "top_suppliers": ";".join(kept) or None}
        out.append(r)
    return out


def resilience_page(svc, scope, *, year: int | None = None, k: int = 3, p: float = 85.0, page: int = 1,
                    page_size: int = 50) -> Page:
    """Resilience of each cluster (拆不散、搬不走、压不垮) of the stored ``chains.resilience`` run
    (else computed and recorded), under the clusters' disclosure control."""
    check_paging(page, page_size)
    t, cols, run, controlled = _resilience_expr(svc, scope, year=year, k=k, p=p)
    got = paginate(t, cols, page=page, page_size=page_size, order_by=("group_id",), run=run)
    if scope.all_regions:
        return got
    return Page(got.columns, _visible_suppliers(svc, scope, got.rows), got.total, got.page, got.page_size, got.run,
                got.notes)


def resilience_rows(svc, scope, **filters):
    t, cols, _run, _c = _resilience_expr(svc, scope, **filters)
    stream = batches(t, cols, order_by=("group_id",))
    if scope.all_regions:
        return cols, stream
    rows = [r for b in stream for r in b]          # one row per cluster: small
    return cols, iter([_visible_suppliers(svc, scope, rows)])


# --- shock -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShockRequest:
    """A validated shock: the county and / or the firms hit, their capacity share, the days."""

    county: str | None
    firms: tuple[str, ...]
    capacity: float
    days: int
    rationing: str = "proportional"


def check_shock(svc, scope, *, county: str | None = None, firms: Sequence[str] = (), capacity: float = 0.5,
                days: int = 60, rationing: str = "proportional") -> ShockRequest:
    """The shock a viewer asked for, checked before it is queued: ``capacity`` in (0, 1], ``days``
    1–365, at most 200 firms, each inside the scope (``NotFound`` otherwise, as for an unknown
    USCC), a county code of GB/T 2260; ``InvalidInput`` naming the field."""
    try:
        capacity = float(capacity)
    except (TypeError, ValueError):
        raise InvalidInput("capacity 应为数字", "capacity must be a number", where="capacity") from None
    if not 0.0 < capacity <= 1.0:
        raise InvalidInput(f"capacity {capacity} 应在 (0, 1] 之间（剩余产能比例）",
                           f"capacity {capacity} must be in (0, 1] (the share of capacity left)", where="capacity")
    if not isinstance(days, int) or not 1 <= days <= MAX_SHOCK_DAYS:
        raise InvalidInput(f"days {days} 应在 1–{MAX_SHOCK_DAYS} 之间", f"days {days} must be 1–{MAX_SHOCK_DAYS}",
                           where="days")
    if rationing not in RATIONINGS:
        raise InvalidInput(f"rationing {rationing!r} 应为 {', '.join(RATIONINGS)} 之一",
                           f"rationing {rationing!r} must be one of {', '.join(RATIONINGS)}", where="rationing")
    wanted = tuple(dict.fromkeys(str(f).strip().upper() for f in (firms or ()) if str(f).strip()))
    if len(wanted) > MAX_SHOCK_FIRMS:
        raise InvalidInput(f"最多 {MAX_SHOCK_FIRMS} 家企业（收到 {len(wanted)} 家）",
                           f"at most {MAX_SHOCK_FIRMS} firms (got {len(wanted)})", where="firms")
    county = str(county).strip() if county is not None and str(county).strip() else None
    if county is not None:
        if not (county.isdigit() and len(county) == 6):
            raise InvalidInput(f"区县代码 {county} 无效（6 位 GB/T 2260 代码）",
                               f"county code {county} is not valid (6 digits of GB/T 2260)", where="county")
        region_prefix_of(county, where="county")
    if county is None and not wanted:
        raise InvalidInput("请指明冲击对象：county 或 firms", "say what is hit: county or firms", where="county")
    if wanted:
        e = scope.filter(svc.tables()["enterprises"])
        seen = set(e.filter(e.uscc.isin(list(wanted))).select("uscc").to_pyarrow().column("uscc").to_pylist())
        missing = [u for u in wanted if u not in seen]
        if missing:
            u = missing[0]
            raise NotFound(f"没有统一社会信用代码为 {u} 的企业（或不在您的权限范围内）",
                           f"no enterprise with USCC {u} (or it is outside your scope)", where="firms")
    return ShockRequest(county, wanted, capacity, int(days), rationing)


@dataclass(frozen=True)
class ShockCounty:
    """One county's loss over the days; figures None when suppressed."""

    region_code: str
    name: str
    firms: int | None
    loss: float | None             # yuan
    loss_share: float | None
    indirect_loss: float | None
    suppressed: bool
    reason: str | None
    in_scope: bool


@dataclass(frozen=True)
class ShockView:
    """The simulated shock as a viewer may see it. ``curve`` (day, output share, total output)
    and the totals are None when the network's output is itself sensitive (``network_suppressed``);
    ``counties``: every county of the network, the published ones by loss (largest first), then the
    suppressed ones by code; ``firms``: the most affected firms inside the scope."""

    year: int
    scenario: str
    days: int
    params: dict
    total_loss: float | None
    loss_share: float | None
    direct_loss: float | None
    indirect_loss: float | None
    recovery_day: int | None
    curve: tuple[dict, ...] | None
    network_suppressed: bool
    counties: tuple[ShockCounty, ...]
    firms: tuple[dict, ...]
    k: int
    p: float
    synthetic: bool
    run: runs.Run

    def to_dict(self) -> dict:
        """JSON-able (the background job's result): NaN (a firm without output) becomes None."""
        d = asdict(self)
        d["run"] = self.run.to_dict()
        return _json_safe(d)


def _json_safe(v):
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    return v


def shock_job(svc, scope, request: ShockRequest, *, k: int = 3, p: float = 85.0, top: int = 10) -> ShockView:
    """Run the shock (``services.chains.shock``: one recorded run of ``chains.shock``) and give what
    ``scope`` may see of it (see the module's note). Meant for a background job."""
    from zhizao import disclosure
    from zhizao.services import chains

    with web_fields():
        got = chains.shock(svc, county=request.county, capacity=request.capacity, firms=list(request.firms),
                           days=request.days, rationing=request.rationing, top=top)
    days = got.days
    f = runs.rows(svc, got.run, "result_chain_shock_firms")
    whole = f.aggregate(n=f.count(), base=f.baseline_output.sum(), top=f.baseline_output.abs().max()) \
        .to_pyarrow().to_pylist()[0]
    inside = f.filter(f.inside & f.region_code.notnull() & (f.region_code != ""))
    per = inside.group_by("region_code").aggregate(
        n=inside.count(), loss=inside.loss.sum(), top=inside.loss.abs().max(), base=inside.baseline_output.sum(),
        indirect=(inside.loss * (~inside.hit).cast("float64")).sum())
    rows = per.order_by("region_code").to_pyarrow().to_pylist()
    controlled = not scope.all_regions
    net_hidden = False
    if controlled:
        net = disclosure.protect_1d([whole["n"] or 0], [whole["base"] or 0.0], [whole["top"] or 0.0], k=k, p=p)
        net_hidden = bool(net.suppressed[0])
    need = [controlled and not scope.allows_region(r["region_code"]) for r in rows]
    if rows and any(need):
        prot = disclosure.protect_1d([r["n"] for r in rows], [r["loss"] or 0.0 for r in rows],
                                     [r["top"] or 0.0 for r in rows], k=k, p=p, needs_control=need)
        supp, reason = prot.suppressed[:-1], prot.reason[:-1]
    else:
        supp, reason = np.zeros(len(rows), dtype=bool), np.full(len(rows), "", dtype=object)
    counties = []
    for i, r in enumerate(rows):
        s = bool(supp[i])
        base = (r["base"] or 0.0) * days
        counties.append(ShockCounty(r["region_code"], _region_label(r["region_code"]), None if s else int(r["n"]),
                                    None if s else float(r["loss"] or 0.0),
                                    None if s or base <= 0 else float((r["loss"] or 0.0) / base),
                                    None if s else float(r["indirect"] or 0.0), s, (reason[i] or None) if s else None,
                                    not need[i]))
    shown = sorted((c for c in counties if not c.suppressed), key=lambda c: (-(c.loss or 0.0), c.region_code))
    hidden = sorted((c for c in counties if c.suppressed), key=lambda c: c.region_code)
    mine = scope.filter(f.filter(f.region_code.notnull() & (f.region_code != "")))
    mine = _named(svc, mine)
    firms = mine.select("uscc", "name", "region_code", "sector", "hit", "baseline_output", "loss", "loss_share",
                        "lowest_output_share").order_by([mine.loss.desc(), mine.uscc]).limit(int(top))
    firm_rows = tuple(firms.to_pyarrow().to_pylist())
    curve = None if net_hidden else tuple(
        got.curve.select(["day", "output_share", "total_output"]).to_pylist())

    def net(v):
        return None if net_hidden else v

    return ShockView(got.year, got.scenario, days, dict(got.params), net(got.total_loss), net(got.loss_share),
                     net(got.direct_loss), net(got.indirect_loss), got.recovery_day, curve, net_hidden,
                     tuple(shown + hidden), firm_rows, int(k), float(p), got.synthetic, got.run)
