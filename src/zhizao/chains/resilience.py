"""Cluster resilience (产业集群韧性): 拆不散、搬不走、压不垮 — three components, each 0..1.

Jiangsu's aim for its clusters — "cannot be broken apart, cannot be moved away, cannot be
crushed" (拆不散、搬不走、压不垮; 江苏省“产业强链”三年行动计划 2023–2025, and the 产业链韧性 of the
14th five-year plan) — measured per cluster on the supply network:

* **Cohesion** (拆不散): the cluster's network is its members and the province's firms they trade
  with (links with a member at one end and both ends inside the province), undirected. Remove its
  ``remove_share`` largest firms by trade (at least ``min_remove``); ``cohesion = |largest
  connected component after| / (nodes − removed)`` (``scipy.sparse.csgraph.connected_components``).
  The targeted-removal robustness of Albert, Jeong & Barabási (2000, Nature 406) — the giant
  component's share when the hubs go.
* **Embeddedness** (搬不走): ``(local_share + local_sales_share) / 2`` — the share of the members'
  purchases from suppliers, and of their sales to customers, in their own ``local`` region
  (``zhizao.chains.measures.sourcing``): a firm that buys and sells locally is costly to move.
* **Shock absorption** (压不垮): ``1 − mean(loss share)`` over two standard scenarios run with the
  Inoue–Todo model (``zhizao.chains.shock.simulate``): (a) the cluster's ``top_suppliers`` largest
  suppliers (by sales to its members) lose ``supplier_capacity`` of their capacity
  (``shock_firms``); (b) every out-of-province supplier of the cluster's largest out-of-province
  input class is cut (``shock_outside_suppliers``; no such input → no loss). Loss share = the
  members' output lost over the horizon (the members not hit directly) ÷ their pre-shock output
  over the horizon. A cluster that buys nothing on the links has no scenario (NaN).

``resilience = mean of the components present`` (a component is NaN when it cannot be measured:
a cluster with no links has no network).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from zhizao.chains.measures import Groups, LocalLevel, outside_province_mask, sourcing
from zhizao.chains.network import Network, network_from_arrays  # noqa: F401  (doctests)

__all__ = ["cohesion", "resilience", "shock_absorption"]


def _undirected(net: Network, keep: np.ndarray) -> sp.csr_matrix:
    n = net.n_firms
    s, b, a = net.supplier[keep], net.buyer[keep], net.amount[keep]
    m = sp.csr_matrix((np.concatenate([a, a]), (np.concatenate([s, b]), np.concatenate([b, s]))), shape=(n, n))
    m.sum_duplicates()
    return m


def _lcc(adj: sp.csr_matrix) -> int:
    if adj.shape[0] == 0:
        return 0
    _, lab = connected_components(adj, directed=False)
    return int(np.bincount(lab).max())


def cohesion(net: Network, groups: Groups, *, remove_share: float = 0.05, min_remove: int = 1) -> pa.Table:
    """拆不散 per group: ``nodes``, ``removed``, ``lcc_before`` / ``lcc_after`` (shares of the nodes
    present), ``cohesion`` (= ``lcc_after``).

    >>> # a star: hub 0 trades with 1, 2, 3 (all in the cluster); removing the hub leaves 3 singletons
    >>> net = network_from_arrays([1, 2, 3], [0, 0, 0], [5.0, 5.0, 5.0])
    >>> g = Groups("cluster", ("c",), ("c",), sp.csr_matrix(np.ones((1, 4))))
    >>> r = cohesion(net, g).to_pylist()[0]
    >>> r["nodes"], r["removed"], r["lcc_before"], round(r["cohesion"], 4)
    (4, 1, 1.0, 0.3333)
    """
    n = net.n_firms
    member = groups.members.tocsr()
    both_in = net.inside[net.supplier] & net.inside[net.buyer]
    rows = {"nodes": [], "removed": [], "lcc_before": [], "cohesion": []}
    for g in range(len(groups.ids)):                 # a loop over clusters
        mem = np.zeros(n, dtype=bool)
        mem[member.indices[member.indptr[g]:member.indptr[g + 1]]] = True
        keep = both_in & (mem[net.supplier] | mem[net.buyer])
        adj = _undirected(net, keep)
        nodes = np.flatnonzero(np.diff(adj.indptr) > 0)
        k = len(nodes)
        if k == 0:
            for key, v in (("nodes", 0), ("removed", 0), ("lcc_before", math.nan), ("cohesion", math.nan)):
                rows[key].append(v)
            continue
        sub = adj[nodes][:, nodes]
        strength = np.asarray(sub.sum(axis=1)).ravel()
        r = min(k - 1, max(min_remove, math.ceil(remove_share * k))) if k > 1 else 0
        order = np.lexsort((net.firms[nodes], -strength))
        stay = np.sort(order[r:])
        rows["nodes"].append(k)
        rows["removed"].append(r)
        rows["lcc_before"].append(_lcc(sub) / k)
        rows["cohesion"].append(_lcc(sub[stay][:, stay]) / len(stay))
    return pa.table({"group_id": pa.array(groups.ids, pa.string()),
                     "nodes": pa.array(rows["nodes"], pa.int64()), "removed": pa.array(rows["removed"], pa.int64()),
                     "lcc_before": pa.array(rows["lcc_before"], pa.float64()),
                     "cohesion": pa.array(rows["cohesion"], pa.float64())})


def _scenarios(net: Network, groups: Groups, top_suppliers: int):
    """Per group: its top suppliers (indices, by sales to members) and its largest out-of-province
    input class (``""`` none)."""
    member = groups.members.tocsr()
    out = outside_province_mask(net)
    p_n = len(net.products)
    tops, prods = [], []
    for g in range(len(groups.ids)):                 # a loop over clusters
        mem = np.zeros(net.n_firms, dtype=bool)
        mem[member.indices[member.indptr[g]:member.indptr[g + 1]]] = True
        into = mem[net.buyer] & ~mem[net.supplier]
        sold = np.bincount(net.supplier[into], weights=net.amount[into], minlength=net.n_firms)
        cand = np.flatnonzero(sold > 0)
        cand = cand[np.lexsort((net.firms[cand], -sold[cand]))][:top_suppliers]
        tops.append(cand)
        o = mem[net.buyer] & out
        by_p = np.bincount(net.product[o], weights=net.amount[o], minlength=p_n)
        prods.append(net.products[int(np.argmax(by_p))] if by_p.max(initial=0) > 0 else "")
    return tops, prods


def shock_absorption(net: Network, groups: Groups, *, top_suppliers: int = 3, supplier_capacity: float = 0.0,
                     params=None, progress: Callable[[str, float], None] | None = None) -> pa.Table:
    """压不垮 per group: the two standard scenarios' loss shares and ``absorption``.

    Columns ``top_suppliers`` (``;``-joined USCCs), ``loss_top_suppliers``, ``outside_product``,
    ``loss_outside_input``, ``absorption``. ``params``: ``zhizao.chains.shock.ShockParams``.
    """
    from zhizao.chains.shock import ShockParams, shock_firms, shock_outside_suppliers, simulate

    params = params or ShockParams()
    member = groups.members.tocsr()
    tops, prods = _scenarios(net, groups, top_suppliers)
    g_n = len(groups.ids)
    loss_a, loss_b = np.full(g_n, np.nan), np.full(g_n, np.nan)
    for g in range(g_n):                             # a loop over clusters × 2 scenarios
        if progress is not None:
            progress(groups.ids[g], g / max(g_n, 1))
        mem = np.zeros(net.n_firms, dtype=bool)
        mem[member.indices[member.indptr[g]:member.indptr[g + 1]]] = True
        if not len(tops[g]):
            continue                                 # buys nothing on the links: nothing to measure
        loss_a[g] = _loss_share(simulate(net, shock_firms(net, tops[g], supplier_capacity), params), mem,
                                params.days)
        loss_b[g] = (_loss_share(simulate(net, shock_outside_suppliers(net, prods[g]), params), mem, params.days)
                     if prods[g] else 0.0)
    absorption = 1.0 - _nanmean(np.vstack([loss_a, loss_b]))
    return pa.table({
        "group_id": pa.array(groups.ids, pa.string()),
        "top_suppliers": pa.array([";".join(net.firms[t].tolist()) for t in tops], pa.string()),
        "loss_top_suppliers": pa.array(loss_a),
        "outside_product": pa.array(prods, pa.string()),
        "loss_outside_input": pa.array(loss_b),
        "absorption": pa.array(absorption),
    })


def _loss_share(res, mem: np.ndarray, days: int) -> float:
    """Output lost by the members not hit directly ÷ their pre-shock output over the horizon."""
    who = mem & ~np.asarray(res.hit, dtype=bool)
    base = float(res.baseline[who].sum()) * days
    return float(res.loss[who].sum()) / base if base > 0 else math.nan


def _nanmean(rows: np.ndarray) -> np.ndarray:
    """Column means over the non-NaN entries (NaN where a column has none)."""
    ok = ~np.isnan(rows)
    cnt = ok.sum(axis=0)
    return np.where(cnt > 0, np.where(ok, rows, 0.0).sum(axis=0) / np.maximum(cnt, 1), np.nan)


def resilience(net: Network, groups: Groups, *, local: LocalLevel = "county", remove_share: float = 0.05,
               min_remove: int = 1, top_suppliers: int = 3, supplier_capacity: float = 0.0, params=None,
               progress: Callable[[str, float], None] | None = None) -> pa.Table:
    """Resilience per cluster (group) with its three components and their inputs.

    Columns: ``group_id``, ``name``, ``firms``, ``nodes``, ``removed``, ``lcc_before``,
    ``cohesion``, ``local_share``, ``local_sales_share``, ``embeddedness``, ``top_suppliers``,
    ``loss_top_suppliers``, ``outside_product``, ``loss_outside_input``, ``absorption``,
    ``resilience``, ``rank`` (1 = most resilient), ``local``.
    """
    coh = cohesion(net, groups, remove_share=remove_share, min_remove=min_remove)
    src = sourcing(net, groups, local=local)
    ls = src.column("local_share").to_numpy(zero_copy_only=False)
    lss = src.column("local_sales_share").to_numpy(zero_copy_only=False)
    emb = _nanmean(np.vstack([ls, lss]))
    absn = shock_absorption(net, groups, top_suppliers=top_suppliers, supplier_capacity=supplier_capacity,
                            params=params, progress=progress)
    c = coh.column("cohesion").to_numpy(zero_copy_only=False)
    a = absn.column("absorption").to_numpy(zero_copy_only=False)
    score = _nanmean(np.vstack([c, emb, a]))
    order = np.lexsort((np.asarray(groups.ids), -np.nan_to_num(score, nan=-np.inf)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return pa.table({
        "group_id": pa.array(groups.ids, pa.string()),
        "name": pa.array(groups.names, pa.string()),
        "firms": pa.array(groups.sizes()),
        "nodes": coh.column("nodes"), "removed": coh.column("removed"), "lcc_before": coh.column("lcc_before"),
        "cohesion": coh.column("cohesion"),
        "local_share": pa.array(ls), "local_sales_share": pa.array(lss), "embeddedness": pa.array(emb),
        "top_suppliers": absn.column("top_suppliers"), "loss_top_suppliers": absn.column("loss_top_suppliers"),
        "outside_product": absn.column("outside_product"), "loss_outside_input": absn.column("loss_outside_input"),
        "absorption": absn.column("absorption"),
        "resilience": pa.array(score),
        "rank": pa.array(rank),
        "local": pa.array([local] * len(groups.ids), pa.string()),
    })

