"""Benchmark: one 60-day Inoue–Todo shock simulation on a million-firm supply network.

    python benchmarks/chains.py --quick     # 100,000 firms, 500,000 links
    python benchmarks/chains.py             # 1,000,000 firms, 5,000,000 links

The network is synthetic (``synthetic_network``: lognormal firm sizes, suppliers drawn in
proportion to size, so a few firms have thousands of customers; 100 products, 100 counties, 5 %
of the firms outside the province). The shock: every firm of one county at half capacity,
recovering linearly over 30 days (``shock_county``), proportional rationing, default parameters
(τ = 6, inventories Poisson(15) ≥ 2 days). Timed: ``zhizao.chains.shock.simulate`` (steady state,
sorting of the links and the 60 days); the soothing rule is timed as well
(``soothing_seconds``).

Baseline: a straightforward NetworkX implementation of the same model (a ``MultiDiGraph`` with the
state on nodes and edges, Python loops over firms and their in- and out-edges each day) on a
10,000-firm sample — a network of the same generator with 10,000 firms and 50,000 links, the same
density — since the loops would take hours at a million firms. Its outputs are checked against
``simulate`` on that sample (``networkx_max_rel_diff``). ``networkx_ratio`` compares time per
(firm + link) × day: ``(t_nx / ((n + l)·days)) / (t_zhizao / ((N + L)·days))``, the NetworkX
sample against the full zhizao run; ``networkx_ratio_same_network`` is the plain ratio on the
sample.

Last stdout line: JSON with firms, links, days, seconds, networkx_ratio (plus soothing_seconds,
networkx_seconds, sample sizes, networkx_max_rel_diff, loss figures).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

import numpy as np


def synthetic_network(n: int, m: int, *, seed: int = 0, n_products: int = 100, n_regions: int = 100):
    """A random supply network of ``n`` firms and about ``m`` links (vectorised)."""
    from zhizao.chains.network import network_from_arrays

    rng = np.random.default_rng(seed)
    sector = rng.integers(0, n_products, n)
    size = rng.lognormal(0.0, 1.5, n)
    sup = rng.choice(n, m, p=size / size.sum())
    buy = rng.integers(0, n, m)
    keep = sup != buy
    sup, buy = sup[keep], buy[keep]
    amount = rng.lognormal(10.0, 1.0, len(sup))
    sales = np.bincount(sup, amount, minlength=n)
    purchases = np.bincount(buy, amount, minlength=n)
    output = 1.25 * np.maximum(sales, purchases) + 1e5
    region = np.char.add("33", (1000 + rng.integers(0, n_regions, n)).astype(str))
    inside = rng.random(n) > 0.05
    return network_from_arrays(sup, buy, amount, region=region, sector=sector,
                               sectors=[f"{1300 + s}" for s in range(n_products)], inside=inside, output=output)


def networkx_simulate(net, capacity, params):
    """The same model written plainly over a NetworkX graph (proportional rationing only)."""
    import networkx as nx

    from zhizao.chains.shock import DAYS_PER_YEAR

    rng = np.random.default_rng(params.seed)
    ndays = np.maximum(rng.poisson(params.inventory_mean, net.n_firms).astype(float), params.inventory_min)
    G = nx.MultiDiGraph()
    for i in range(net.n_firms):
        G.add_node(i, inside=bool(net.inside[i]), cap0=float(capacity[i]), n=float(ndays[i]), sales=0.0)
    for k in range(net.n_links):
        u, v, a = int(net.supplier[k]), int(net.buyer[k]), float(net.amount[k]) / DAYS_PER_YEAR
        if a > 0:
            G.add_edge(u, v, key=k, A=a, product=int(net.product[k]))
            G.nodes[u]["sales"] += a
    for i, d in G.nodes(data=True):
        d["P0"] = max(float(net.output[i]) / DAYS_PER_YEAR, d["sales"])
        d["c0"] = max(d["P0"] - d["sales"], 0.0)
        d["P"] = d["P0"]
    for u, v, e in G.edges(data=True):
        e["S"] = G.nodes[v]["n"] * e["A"]
        e["delivered"] = e["A"]
    out = [[G.nodes[i]["P0"] for i in range(net.n_firms)]]
    for day in range(1, params.days + 1):
        k = day - 1
        rel = {i: (d["P"] / d["P0"] if d["P0"] > 0 else 0.0) for i, d in G.nodes(data=True)}
        for i, d in G.nodes(data=True):
            pools = defaultdict(list)
            for _, _, e in G.in_edges(i, data=True):
                pools[e["product"]].append(e)
            for edges in pools.values():
                s_pool = sum(e["S"] for e in edges)
                use = sum(e["A"] for e in edges) * rel[i]
                frac = min(1.0, use / s_pool) if s_pool > 0 else 0.0
                for e in edges:
                    if d["P0"] > 0:
                        e["S"] = max(e["S"] - e["S"] * frac + e["delivered"], 0.0)
        for u, v, e in G.edges(data=True):
            nd = G.nodes[v]
            if nd["P0"] > 0:
                e["O"] = max(e["A"] * rel[v] + (nd["n"] * e["A"] * rel[v] - e["S"]) / params.tau, 0.0)
            else:
                e["O"] = e["A"]
        for i, d in G.nodes(data=True):
            d["D"] = d["c0"] + sum(e["O"] for _, _, e in G.out_edges(i, data=True))
            dmg = max(0.0, 1.0 - d["cap0"])
            if params.recovery == "linear":
                dmg *= max(0.0, 1.0 - k / params.recovery_days)
            elif params.recovery == "exponential":
                dmg *= float(np.exp(-k / params.recovery_days))
            share = d["cap0"] if d["cap0"] >= 1 else 1.0 - dmg
            cap = float("inf") if (not d["inside"] and share >= 1) else share * d["P0"]
            limit = float("inf")
            if d["inside"] and d["P0"] > 0:
                pools = defaultdict(lambda: [0.0, 0.0])
                for _, _, e in G.in_edges(i, data=True):
                    pools[e["product"]][0] += e["S"]
                    pools[e["product"]][1] += e["A"]
                for s_pool, a_pool in pools.values():
                    limit = min(limit, s_pool / a_pool * d["P0"])
            d["P"] = 0.0 if d["P0"] <= 0 else min(cap, limit, d["D"])
        for u, v, e in G.edges(data=True):
            du = G.nodes[u]
            ratio = min(1.0, du["P"] / du["D"]) if du["D"] > 0 else 1.0
            e["delivered"] = e["O"] * ratio
        out.append([G.nodes[i]["P"] for i in range(net.n_firms)])
    return np.array(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 firms and 500,000 links instead of 1,000,000 / 5,000,000")
    ap.add_argument("--firms", type=int, default=None)
    ap.add_argument("--links-per-firm", type=int, default=5)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--sample", type=int, default=10_000, help="firms in the NetworkX sample")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    n = args.firms or (100_000 if args.quick else 1_000_000)

    from zhizao.chains.shock import ShockParams, shock_county, simulate

    t0 = time.perf_counter()
    net = synthetic_network(n, args.links_per_firm * n, seed=0)
    print(f"network of {net.n_firms:,} firms and {net.n_links:,} links made in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    shock = shock_county(net, net.region[0], 0.5)
    params = ShockParams(days=args.days)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = simulate(net, shock, params)
        times.append(time.perf_counter() - t0)
    seconds = min(times)
    t0 = time.perf_counter()
    simulate(net, shock, ShockParams(days=args.days, rationing="soothing"))
    soothing = time.perf_counter() - t0
    print(f"zhizao: {seconds:.2f} s (soothing {soothing:.2f} s); loss direct {res.direct_loss:.4g}, "
          f"indirect {res.indirect_loss:.4g} yuan, recovery day {res.recovery_day}", file=sys.stderr)

    small = synthetic_network(args.sample, args.links_per_firm * args.sample, seed=1)
    s_shock = shock_county(small, small.region[0], 0.5)
    t0 = time.perf_counter()
    ours = simulate(small, s_shock, params)
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = networkx_simulate(small, s_shock.capacity, params)
    t_nx = time.perf_counter() - t0
    diff = float(np.max(np.abs(theirs - ours.output) / np.maximum(ours.baseline, 1e-300)))
    per_ours = seconds / ((net.n_firms + net.n_links) * args.days)
    per_nx = t_nx / ((small.n_firms + small.n_links) * args.days)
    out = {"firms": net.n_firms, "links": net.n_links, "days": args.days, "seconds": round(seconds, 3),
           "networkx_ratio": round(per_nx / per_ours, 1), "soothing_seconds": round(soothing, 3),
           "networkx_seconds": round(t_nx, 3), "networkx_firms": small.n_firms, "networkx_links": small.n_links,
           "sample_zhizao_seconds": round(t_small, 4), "networkx_ratio_same_network": round(t_nx / t_small, 1),
           "networkx_max_rel_diff": diff, "direct_loss": round(res.direct_loss), "indirect_loss": round(res.indirect_loss),
           "recovery_day": res.recovery_day}
    print(f"NetworkX on {small.n_firms:,} firms: {t_nx:.2f} s (zhizao {t_small:.3f} s on the same network); "
          f"per firm-link-day ratio {out['networkx_ratio']}; max relative difference {diff:.2e}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
