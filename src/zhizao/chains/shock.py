"""Firm-level shock propagation (供应链冲击传播): the dynamic model of Inoue & Todo (2019).

A damaged supplier, a county in lockdown or an import cut lowers output far beyond the firms
hit (间接损失 indirect loss) because customers run out of inputs, and suppliers lose orders. The
model is the firm-level adaptive regional input–output model of Hallegatte (2008) and
Henriet–Hallegatte (2008) as adapted by Inoue & Todo ("Firm-level propagation of shocks through
supply-chain networks", Nature Sustainability 2, 841–847, 2019), checked equation by equation
against the authors' C++ simulator (HiroyasuInoue/ProductionNetworkSimulator, ``proNet.cpp``).

Units: the network's amounts and outputs are yuan per year; the model runs in days, so every flow
is divided by 365 (``DAYS_PER_YEAR``). Day 0 is the pre-shock steady state; the shock acts from
day 1. Per day ``t`` (firm ``i``, link ``ℓ = j→i`` from supplier ``j`` with product ``p``):

1. inventory (库存) ``S_ℓ ← S_ℓ − U_ℓ(t−1) + Z*_ℓ(t−1)``: yesterday's deliveries in, yesterday's
   use out; the use of a product pool ``A_i,p · P_i(t−1)/P⁰_i`` is drawn from the pool's links in
   proportion to their stock (substitutes within a product class);
2. orders (订单) ``O_ℓ = max(0, A_ℓ·P_i(t−1)/P⁰_i + (n_i·A_ℓ·P_i(t−1)/P⁰_i − S_ℓ)/τ)``: replace
   what is used and close ``1/τ`` of the gap to a target stock of ``n_i`` days;
3. demand ``D_j = Σ_ℓ∈out(j) O_ℓ·(1 − cut_ℓ(t)) + c_j(t)`` (orders on links that still deliver,
   plus final demand ``c_j(t) = c⁰_j·m_j``);
4. production ``P_i = min(κ_i(t)·P⁰_i, min_p S_i,p/A_i,p·P⁰_i, D_i)``: damaged capacity, the input
   constraint with stocks pooled per input product class (Leontief complements across classes),
   demand;
5. rationing (配给) when ``P_j < D_j``: ``"proportional"`` (ARIO; every order and final demand
   scaled by ``P_j/D_j``) or ``"soothing"`` (Inoue–Todo: water-filling on the ratio of current
   to pre-shock orders, so customers whose orders fell most are served in full first; final
   demand takes part with ratio ``m_j``); the deliveries ``Z*_ℓ`` arrive tomorrow.

Everything is a NumPy pass over the firm or link arrays (links kept sorted by buyer and product,
so pools and buyers are contiguous segments for ``np.add.reduceat``; supplier sums are
``np.bincount``; the soothing rule sorts only the links of the suppliers that ration, by
supplier and ratio, and water-fills each supplier with segmented cumulative sums). The only
Python loop is over days. Deterministic: the target inventories are drawn once from
``numpy.random.default_rng(seed)``.

Outside the province (``Network.inside`` false) a firm's capacity is unlimited and its inputs do
not constrain it (we do not see its other suppliers) unless it is hit (capacity share < 1).
Firms with zero output order a fixed ``A_ℓ`` every day (the C++ simulator's rule for
``Pini = 0``): buyers outside the province act like a constant export demand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "DAYS_PER_YEAR",
    "DayState",
    "Shock",
    "ShockParams",
    "ShockResult",
    "SteadyState",
    "iterate",
    "shock_county",
    "shock_firms",
    "shock_outside_suppliers",
    "simulate",
    "steady_state",
]

DAYS_PER_YEAR = 365.0
RECOVERY_BAND = 1e-3          # recovery_day: total output back within 0.1 % of the baseline


@dataclass(frozen=True)
class ShockParams:
    """Parameters of a simulation (defaults from the Inoue–Todo simulator and paper).

    Attributes
    ----------
    days
        Simulated days after the shock.
    tau
        Inventory adjustment time τ in days (``proNet.cpp``: ``tau=6``).
    inventory_mean, inventory_min
        Target inventory ``n_i`` in days of use, drawn per firm from Poisson(``inventory_mean``)
        and raised to at least ``inventory_min`` (Inoue & Todo 2019: Poisson(15), at least 2;
        the C++ simulator's ``inventoryN=15`` is the same for every firm).
    rationing
        ``"proportional"`` (ARIO, ``proNet -R 0``) or ``"soothing"`` (Inoue–Todo, ``-R 2``).
    recovery
        How damaged capacity (and cut links) come back: ``"none"``; ``"linear"`` (full capacity
        after ``recovery_days``); ``"exponential"`` (the damage shrinks by ``e`` every
        ``recovery_days``).
    recovery_days
        Time scale of ``recovery``.
    seed
        Seed of the inventory draws.
    """

    days: int = 60
    tau: float = 6.0
    inventory_mean: float = 15.0
    inventory_min: float = 2.0
    rationing: Literal["proportional", "soothing"] = "proportional"
    recovery: Literal["none", "linear", "exponential"] = "linear"
    recovery_days: float = 30.0
    seed: int = 0

    def __post_init__(self):
        if self.rationing not in ("proportional", "soothing"):
            raise ValueError(f"rationing must be 'proportional' or 'soothing', not {self.rationing!r}")
        if self.recovery not in ("none", "linear", "exponential"):
            raise ValueError(f"recovery must be 'none', 'linear' or 'exponential', not {self.recovery!r}")
        if self.days < 0 or self.tau <= 0 or self.recovery_days <= 0 or self.inventory_min < 0:
            raise ValueError("days ≥ 0, tau > 0, recovery_days > 0 and inventory_min ≥ 0 are required")


@dataclass(frozen=True)
class Shock:
    """What is hit.

    Attributes
    ----------
    capacity
        (N,) capacity share on day 1 (1 = undamaged, 0 = closed). Shares above 1 are spare
        capacity (``np.inf``: unlimited) and are not touched by the recovery schedule; firms with a
        share below 1 are the directly hit firms.
    final_demand_change
        (N,) permanent multiplier on each firm's final demand from day 1 (None: unchanged).
    cut_links
        (L,) bool: links that stop delivering (an import cut); they come back on the recovery
        schedule like a capacity share of 0 (``recovery="none"``: never within the horizon).
    label
        Free text for reports.
    """

    capacity: np.ndarray
    final_demand_change: np.ndarray | None = None
    cut_links: np.ndarray | None = None
    label: str = ""


@dataclass(frozen=True)
class SteadyState:
    """The pre-shock flows (all per day, yuan).

    Attributes
    ----------
    output
        (N,) ``P⁰``: ``max(output, Σ sales on links) / 365``.
    final_demand
        (N,) ``c⁰ = P⁰ − Σ sales`` (≥ 0): the part of output not sold on links.
    flow
        (L,) ``A_ℓ = amount / 365`` (0 for links with amount ≤ 0, which the model ignores).
    coefficient
        (L,) input coefficient ``A_ℓ / P⁰_buyer`` (NaN where the buyer's output is 0).
    inventory_days
        (N,) target inventory ``n_i`` in days.
    inventory
        (L,) pre-shock stock ``n_buyer · A_ℓ``.
    """

    output: np.ndarray
    final_demand: np.ndarray
    flow: np.ndarray
    coefficient: np.ndarray
    inventory_days: np.ndarray
    inventory: np.ndarray


@dataclass(frozen=True)
class ShockResult:
    """Outcome of :func:`simulate` (flows in yuan per day, losses in yuan).

    Attributes
    ----------
    output
        (days+1, N) daily production; row 0 is the pre-shock steady state (float64: 61 × 1,000,000
        firms is 488 MB).
    total_output
        (days+1,) Σ output per day.
    loss
        (N,) output lost per firm over days 1..days, ``Σ_t (P⁰_i − P_i(t))`` (negative: gained).
    direct_loss
        Σ loss of the directly hit firms (capacity share < 1).
    indirect_loss
        Σ loss of everyone else.
    recovery_day
        First day from which total output stays within 0.1 % of the baseline to the end of the
        horizon (0 if it never left the band; None if it is outside the band on the last day).
    baseline
        (N,) pre-shock daily output ``P⁰``.
    hit
        (N,) bool: the directly hit firms.
    """

    output: np.ndarray
    total_output: np.ndarray
    loss: np.ndarray
    direct_loss: float
    indirect_loss: float
    recovery_day: int | None
    baseline: np.ndarray
    hit: np.ndarray


@dataclass(frozen=True)
class DayState:
    """One simulated day, as yielded by :func:`iterate` (arrays are reused: copy what you keep).

    Link arrays are in the network's link order.

    Attributes
    ----------
    day
        1, 2, … (the shock acts from day 1).
    output, capacity, input_limit, demand
        (N,) production ``P``, capacity ``κ·P⁰`` (inf: unlimited), what the inventories allow
        (inf: no input constraint), demand ``D`` (orders still delivered plus final demand).
    final_demand, final_served
        (N,) final demand ``c(t)`` and the part of it served.
    inventory
        (L,) stock at the start of the day (what production was limited by).
    orders, delivered
        (L,) orders placed today and what the supplier ships (arrives tomorrow).
    """

    day: int
    output: np.ndarray
    capacity: np.ndarray
    input_limit: np.ndarray
    demand: np.ndarray
    final_demand: np.ndarray
    final_served: np.ndarray
    inventory: np.ndarray
    orders: np.ndarray
    delivered: np.ndarray


# --------------------------------------------------------------------------- scenarios

def _n_firms(net) -> int:
    return len(net.firms)


def shock_firms(net, firm_idx, capacity=0.0, *, label: str = "") -> Shock:
    """Damage chosen firms: ``firm_idx`` are indices into ``net.firms`` or firm ids (USCC).

    ``capacity`` is the remaining share (scalar or one per firm chosen).

    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(firms=np.array(["a", "b", "c"]))
    >>> shock_firms(net, ["b"], 0.5).capacity.tolist()
    [1.0, 0.5, 1.0]
    """
    idx = np.atleast_1d(np.asarray(firm_idx))
    n = _n_firms(net)
    if idx.dtype.kind in "USO":
        firms = np.asarray(net.firms).astype(str)
        order = np.argsort(firms, kind="stable")
        pos = np.searchsorted(firms, idx.astype(str), sorter=order)
        pos = np.minimum(pos, n - 1) if n else pos
        found = n > 0 and firms[order[pos]] == idx.astype(str)
        if not np.all(found):
            missing = idx[~np.asarray(found, dtype=bool)] if n else idx
            raise KeyError(f"firms not in the network: {missing[:5].tolist()}")
        idx = order[pos]
    idx = idx.astype(np.int64)
    cap = np.ones(n)
    cap[idx] = capacity
    return Shock(capacity=cap, label=label or f"{len(np.unique(idx))} firms at capacity {capacity}")


def shock_county(net, county_code: str, capacity=0.5, *, label: str = "") -> Shock:
    """Damage every firm of a region (GB/T 2260 code; a code shorter than 6 digits is a prefix).

    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(firms=np.array(["a", "b", "c"]), region=np.array(["330481", "330402", "330481"]))
    >>> shock_county(net, "330481", 0.5).capacity.tolist()
    [0.5, 1.0, 0.5]
    """
    region = np.asarray(net.region).astype(str)
    code = str(county_code)
    mask = np.char.startswith(region, code) if len(code) < 6 else region == code
    cap = np.where(mask, float(capacity), 1.0)
    return Shock(capacity=cap, label=label or f"county {code} at capacity {capacity}")


def shock_outside_suppliers(net, product_code: str, *, label: str = "") -> Shock:
    """Cut every link on which a supplier outside the province delivers ``product_code``.

    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(firms=np.array(["x", "a", "b"]), inside=np.array([False, True, True]),
    ...     supplier=np.array([0, 1, 0]), buyer=np.array([1, 2, 2]), product=np.array([0, 1, 1]),
    ...     products=("3985", "3311"))
    >>> shock_outside_suppliers(net, "3985").cut_links.tolist()
    [True, False, False]
    """
    products = np.asarray(net.products).astype(str)
    hit = np.flatnonzero(products == str(product_code))
    product = np.asarray(net.product)
    outside = ~np.asarray(net.inside, dtype=bool)
    cut = outside[np.asarray(net.supplier, dtype=np.int64)] & np.isin(product, hit)
    return Shock(capacity=np.ones(_n_firms(net)), cut_links=cut,
                 label=label or f"outside suppliers of {product_code} cut")


# --------------------------------------------------------------------------- steady state

def _inventory_days(n: int, params: ShockParams) -> np.ndarray:
    rng = np.random.default_rng(params.seed)
    days = rng.poisson(params.inventory_mean, n).astype(np.float64)
    return np.maximum(days, params.inventory_min)


def steady_state(net, params: ShockParams = ShockParams()) -> SteadyState:
    """The pre-shock state: daily output, final demand, link flows, target and actual inventories.

    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(firms=np.array(["a", "b"]), output=np.array([730.0, 365.0]),
    ...     supplier=np.array([0]), buyer=np.array([1]), amount=np.array([292.0]))
    >>> ss = steady_state(net)
    >>> ss.output.tolist(), ss.final_demand.tolist(), ss.flow.tolist(), ss.coefficient.tolist()
    ([2.0, 1.0], [1.2, 1.0], [0.8], [0.8])
    """
    n = _n_firms(net)
    sup = np.asarray(net.supplier, dtype=np.int64)
    buy = np.asarray(net.buyer, dtype=np.int64)
    amount = np.asarray(net.amount, dtype=np.float64)
    flow = np.where(amount > 0, amount, 0.0) / DAYS_PER_YEAR
    sales = np.bincount(sup, flow, minlength=n)
    out = np.nan_to_num(np.asarray(net.output, dtype=np.float64), nan=0.0) / DAYS_PER_YEAR
    p0 = np.maximum(out, sales)
    c0 = np.maximum(p0 - sales, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(p0[buy] > 0, flow / p0[buy], np.nan)
    ndays = _inventory_days(n, params)
    return SteadyState(output=p0, final_demand=c0, flow=flow, coefficient=coef,
                       inventory_days=ndays, inventory=ndays[buy] * flow)


# --------------------------------------------------------------------------- the model

def _capacity_share(share0: np.ndarray, day: int, params: ShockParams) -> np.ndarray:
    """Capacity share on ``day`` (1-based) under the recovery schedule; shares ≥ 1 stay."""
    dmg = np.clip(1.0 - share0, 0.0, None)
    k = day - 1
    if params.recovery == "linear":
        dmg = dmg * max(0.0, 1.0 - k / params.recovery_days)
    elif params.recovery == "exponential":
        dmg = dmg * np.exp(-k / params.recovery_days)
    return np.where(share0 >= 1.0, share0, 1.0 - dmg)


class _Model:
    """The state of one simulation; links are held sorted by (buyer, product)."""

    def __init__(self, net, shock: Shock, params: ShockParams):
        self.params = params
        ss = steady_state(net, params)
        self.ss = ss
        n = _n_firms(net)
        self.n = n
        sup_all = np.asarray(net.supplier, dtype=np.int64)
        buy_all = np.asarray(net.buyer, dtype=np.int64)
        prod_all = np.asarray(net.product, dtype=np.int64)
        self.n_links = len(sup_all)
        keep = np.flatnonzero(ss.flow > 0)
        order = keep[np.lexsort((prod_all[keep], buy_all[keep]))]
        self.perm = order                                   # sorted position → network link index
        self.sup = sup_all[order]
        self.buy = buy_all[order]
        self.A = ss.flow[order]
        m = len(order)
        prod = prod_all[order]
        # product pools: contiguous runs of equal (buyer, product)
        new_pool = np.ones(m, dtype=bool)
        if m:
            new_pool[1:] = (self.buy[1:] != self.buy[:-1]) | (prod[1:] != prod[:-1])
        self.pool_start = np.flatnonzero(new_pool)
        self.pool_size = np.diff(np.append(self.pool_start, m))
        self.pool_buyer = self.buy[self.pool_start] if m else np.zeros(0, np.int64)
        self.A_pool = np.add.reduceat(self.A, self.pool_start) if m else np.zeros(0)
        # buyers: contiguous runs of pools, and of links
        new_buyer = np.ones(len(self.pool_start), dtype=bool)
        new_buyer[1:] = self.pool_buyer[1:] != self.pool_buyer[:-1]
        self.buyer_pool_start = np.flatnonzero(new_buyer)
        self.buyers = self.pool_buyer[self.buyer_pool_start]
        self.buyer_links = np.bincount(self.buy, minlength=n)[self.buyers]

        self.P0 = ss.output
        self.c0 = ss.final_demand
        self.inside = np.asarray(net.inside, dtype=bool)
        self.sink = self.P0 <= 0
        self.rel_ok = ~self.sink
        ndays = ss.inventory_days
        nb = ndays[self.buy]
        self.order_coef = self.A * (1.0 + nb / params.tau)   # A·(1 + n/τ)
        self.sink_links = np.flatnonzero(self.sink[self.buy])
        self.by_supplier = np.argsort(self.sup, kind="stable") if params.rationing == "soothing" else None
        self.sup_sorted = self.sup[self.by_supplier] if params.rationing == "soothing" else None
        self.A_sorted = self.A[self.by_supplier] if params.rationing == "soothing" else None
        self.P0_pool = self.P0[self.pool_buyer]
        # inside, producing firms are input-constrained (outside ones are not)
        self.constrained_buyer = self.inside[self.buyers] & ~self.sink[self.buyers]

        cap0 = np.asarray(shock.capacity, dtype=np.float64)
        if cap0.shape != (n,):
            raise ValueError(f"shock.capacity must have shape ({n},), not {cap0.shape}")
        if np.any(np.isnan(cap0)) or np.any(cap0 < 0):
            raise ValueError("capacity shares must be ≥ 0")
        self.cap0 = cap0
        self.hit = cap0 < 1.0
        fdc = shock.final_demand_change
        self.c_t = self.c0 * (np.asarray(fdc, dtype=np.float64) if fdc is not None else 1.0)
        if shock.cut_links is not None:
            cut = np.asarray(shock.cut_links, dtype=bool)
            if cut.shape != (self.n_links,):
                raise ValueError(f"shock.cut_links must have shape ({self.n_links},)")
            self.cut = cut[order]
            self.any_cut = bool(self.cut.any())
        else:
            self.cut = None
            self.any_cut = False

        # state
        self.S = nb * self.A
        self.P = self.P0.copy()
        self.delivered = self.A.copy()
        self.final_served = self.c0.copy()
        self.orders = self.A.copy()
        self.D = self.P0.copy()
        self.cap = np.where(self.inside, self.P0, np.inf)
        self.input_limit = np.full(n, np.inf)

    def _rel(self, P: np.ndarray) -> np.ndarray:
        rel = np.zeros(self.n)
        np.divide(P, self.P0, out=rel, where=self.rel_ok)
        return rel

    def step(self, day: int) -> None:
        p = self.params
        rel_prev = self._rel(self.P)
        # 1. inventory: minus yesterday's use (pooled, pro rata to stock), plus yesterday's deliveries
        if len(self.A):
            S_pool = np.add.reduceat(self.S, self.pool_start)
            use_pool = self.A_pool * rel_prev[self.pool_buyer]
            frac = np.zeros_like(S_pool)
            with np.errstate(over="ignore"):
                np.divide(use_pool, S_pool, out=frac, where=S_pool > 0)
            np.minimum(frac, 1.0, out=frac)
            S = self.S - self.S * np.repeat(frac, self.pool_size)
            S += self.delivered
            np.maximum(S, 0.0, out=S)
            if len(self.sink_links):                   # proNet: S constant where Pini = 0
                S[self.sink_links] = self.S[self.sink_links]
            self.S = S
        # 2. orders
        rel_links = np.repeat(rel_prev[self.buyers], self.buyer_links)
        O = self.order_coef * rel_links
        O -= self.S / p.tau
        np.maximum(O, 0.0, out=O)
        O[self.sink_links] = self.A[self.sink_links]
        self.orders = O
        # cut links: their share that does not deliver
        if self.any_cut:
            live = 1.0 - (1.0 - _capacity_share(np.zeros(1), day, p)[0]) * self.cut
            O_eff = O * live
        else:
            O_eff = O
        # 3. demand
        D = np.bincount(self.sup, O_eff, minlength=self.n) + self.c_t
        # 4. production
        share = _capacity_share(self.cap0, day, p)
        share = np.where(~self.inside & (share >= 1.0), np.inf, share)
        with np.errstate(invalid="ignore"):
            cap = np.where(np.isinf(share), np.inf, share * self.P0)
        limit = np.full(self.n, np.inf)
        if len(self.A):
            S_pool = np.add.reduceat(self.S, self.pool_start)
            prop = S_pool / self.A_pool * self.P0_pool
            per_buyer = np.minimum.reduceat(prop, self.buyer_pool_start)
            limit[self.buyers[self.constrained_buyer]] = per_buyer[self.constrained_buyer]
        P = np.minimum(np.minimum(cap, limit), D)
        P[self.sink] = 0.0
        # 5. rationing
        if p.rationing == "proportional":
            ratio = np.ones(self.n)
            np.divide(P, D, out=ratio, where=D > 0)
            np.minimum(ratio, 1.0, out=ratio)
            delivered = O_eff * ratio[self.sup]
            final_served = self.c_t * ratio
        else:
            delivered, final_served = self._soothing(P, D, O_eff)
        self.P, self.D, self.cap, self.input_limit = P, D, cap, limit
        self.delivered, self.final_served = delivered, final_served

    def _soothing(self, P, D, O_eff):
        """Inoue–Todo water-filling over the rationing suppliers (``proNet -R 2``).

        Per rationing supplier, entries ``k`` (its customer links and its final demand) with
        pre-shock orders ``w_k``, current orders ``d_k`` and ratios ``r_k = d_k / w_k``: find the
        level ``x`` with ``Σ_k w_k·min(r_k, x) = P`` and deliver ``w_k·min(r_k, x)``. Entries are
        sorted by (supplier, ratio) with one ``argsort`` of a packed 64-bit key: the supplier
        index in the high bits, the ratio's IEEE-754 bits (monotone for r ≥ 0) truncated below;
        ratios closer than ~2⁻³² relative may come in either order, which moves a delivery by at
        most that fraction and never above the order.
        """
        delivered = O_eff.copy()
        final_served = self.c_t.copy()
        short = P < D * (1.0 - 1e-12)
        if not short.any():
            return delivered, final_served
        at = np.flatnonzero(short[self.sup_sorted])                    # positions in supplier order
        links = self.by_supplier[at]
        firms = np.flatnonzero(short & (self.c0 > 0))
        key = np.concatenate([self.sup_sorted[at], firms])
        w = np.concatenate([self.A_sorted[at], self.c0[firms]])        # pre-shock orders
        d = np.concatenate([O_eff[links], self.c_t[firms]])            # current orders
        r = d / w
        bits = max(int(self.n).bit_length(), 1)
        packed = (key.astype(np.uint64) << np.uint64(63 - bits)) | (r.view(np.uint64) >> np.uint64(bits))
        srt = np.argsort(packed)
        key, w, d, r = key[srt], w[srt], d[srt], r[srt]
        new = np.empty(len(key), dtype=bool)
        new[0] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
        start = np.flatnonzero(new)
        seg = np.cumsum(new) - 1
        W = np.add.reduceat(w, start)
        inv = (1.0 / W)[seg]
        cw = np.cumsum(w * inv)                                        # normalised: Σ = 1 per supplier
        cd = np.cumsum(d * inv)
        off_w = np.r_[0.0, cw[start[1:] - 1]]
        off_d = np.r_[0.0, cd[start[1:] - 1]]
        cw -= off_w[seg]
        cd -= off_d[seg]
        Pn = P[key[start]] / W
        F = cd + r * (1.0 - cw)                                        # delivered if the level were r_k
        full = F <= Pn[seg] * (1.0 + 1e-12)
        k = np.add.reduceat(full.astype(np.int64), start)
        last = np.maximum(start + k - 1, 0)
        cd_k = np.where(k > 0, cd[last], 0.0)
        cw_k = np.where(k > 0, cw[last], 0.0)
        rest = 1.0 - cw_k
        level = np.full(len(start), np.inf)
        np.divide(Pn - cd_k, rest, out=level, where=rest > 1e-15)
        np.maximum(level, 0.0, out=level)
        # the first k entries of a supplier are served in full, the rest at the level
        served = np.arange(len(key)) < (start + k)[seg]
        got = np.where(served, d, np.minimum(d, w * level[seg]))
        back = np.empty_like(got)
        back[srt] = got
        nl = len(links)
        delivered[links] = back[:nl]
        final_served[firms] = back[nl:]
        return delivered, final_served

    def to_network_order(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n_links)
        out[self.perm] = x
        return out


def _check(net, shock: Shock) -> None:
    n = _n_firms(net)
    for name in ("region", "sector", "inside", "output"):
        if len(getattr(net, name)) != n:
            raise ValueError(f"net.{name} must have one entry per firm")
    if shock.final_demand_change is not None and np.shape(shock.final_demand_change) != (n,):
        raise ValueError(f"shock.final_demand_change must have shape ({n},)")


def iterate(net, shock: Shock, params: ShockParams = ShockParams()) -> Iterator[DayState]:
    """Run the model day by day, yielding every day's state (for checks and dashboards).

    Link arrays come back in the network's link order, firm arrays are the model's own (copy what
    you keep). :func:`simulate` is the same loop without the per-day copies.
    """
    _check(net, shock)
    model = _Model(net, shock, params)
    for day in range(1, params.days + 1):
        model.step(day)
        yield DayState(day=day, output=model.P, capacity=model.cap, input_limit=model.input_limit,
                       demand=model.D, final_demand=model.c_t, final_served=model.final_served,
                       inventory=model.to_network_order(model.S), orders=model.to_network_order(model.orders),
                       delivered=model.to_network_order(model.delivered))


def _recovery_day(total: np.ndarray) -> int | None:
    base = total[0]
    off = np.abs(total[1:] - base) > RECOVERY_BAND * abs(base)
    if not off.any():
        return 0
    if off[-1]:
        return None
    return int(np.flatnonzero(off)[-1] + 2)


def simulate(net, shock: Shock, params: ShockParams = ShockParams()) -> ShockResult:
    """Simulate ``params.days`` days after ``shock`` on ``net`` (a ``zhizao.chains.network.Network``).

    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(firms=np.array(["s", "b"]), region=np.array(["1", "1"]),
    ...     sector=np.array([0, 1]), inside=np.array([True, True]), output=np.array([365.0, 730.0]),
    ...     supplier=np.array([0]), buyer=np.array([1]), product=np.array([0]), amount=np.array([365.0]))
    >>> r = simulate(net, shock_firms(net, [0], 0.0), ShockParams(days=30, recovery="none",
    ...                                                    inventory_mean=0, inventory_min=5))
    >>> r.output[:, 1].round(2).tolist()[:8]   # b holds 5 days of input (Poisson(0) → the minimum)
    [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0, 0.0]
    >>> round(r.direct_loss), round(r.indirect_loss), r.recovery_day
    (30, 50, None)
    """
    _check(net, shock)
    model = _Model(net, shock, params)
    out = np.empty((params.days + 1, model.n))
    out[0] = model.P0
    for day in range(1, params.days + 1):
        model.step(day)
        out[day] = model.P
    total = out.sum(axis=1)
    loss = model.P0 * params.days - out[1:].sum(axis=0)
    direct = float(loss[model.hit].sum())
    indirect = float(loss[~model.hit].sum())
    return ShockResult(output=out, total_output=total, loss=loss, direct_loss=direct,
                       indirect_loss=indirect, recovery_day=_recovery_day(total),
                       baseline=model.P0, hit=model.hit)
