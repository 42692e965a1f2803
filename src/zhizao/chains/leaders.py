"""Chain leaders (链主企业): firms central to the supply network and large.

Three components, each a vector over the network's firms, computed with SciPy sparse matrices:

* **Reach** (辐射带动): ``downstream_reach_i = Σ_{h=1..hops} (Sʰ y)_i`` with ``S[i, c] = a_ic / Σ_b
  a_bc`` (c's input share from i) and ``y`` the output of the province's firms: the output of the
  firms within ``hops`` links downstream of ``i``, each weighted by the chain of input shares that
  ties it to ``i`` (the same dependence as ``zhizao.chains.measures.chokepoints``, without the cap
  at 1). ``upstream_reach`` is the mirror with sales shares (``B[i, s] = a_si / Σ_c a_sc``): the
  output of the suppliers that depend on ``i`` as a customer — what a 链主 that "pulls" its chain
  holds together.
* **Influence**: PageRank (Brin & Page 1998) on the amount-weighted network, by power iteration
  (damping 0.85, dangling firms' mass spread evenly): ``pagerank_supply`` follows the money
  (each buyer passes its score to its suppliers in proportion to what it buys from them: a
  supplier is central when central firms depend on it), ``pagerank_demand`` follows the goods
  (each supplier passes its score to its buyers in proportion to its sales: an integrator fed by
  central suppliers). Weighted PageRank on input–output networks: e.g. McNerney et al. (2013),
  "Network structure of inter-industry flows", Physica A 392.
* **Size**: output (yuan).

``leader_score = (pct(output) + pct(downstream_reach + upstream_reach) + pct(pagerank_supply +
pagerank_demand)) / 3`` with ``pct`` the percentile rank (average ranks ÷ count, 0..1] among the
province's firms. The 链主 practice (e.g. 上海“工赋链主”, 浙江“链长+链主”) names large firms
that organise many suppliers and customers; the score puts size and network position on one scale.

The clusters a leader anchors: per cluster, the share of the cluster members' trade on the links
(purchases + sales) that is with the leader (``anchor_share``; for a member, the share of the other
members' trade); :func:`anchored_clusters` lists the
clusters where it is ≥ ``anchor_min`` (and those the leader belongs to).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from scipy.stats import rankdata

from zhizao.chains.measures import Groups
from zhizao.chains.network import Network, network_from_arrays  # noqa: F401  (doctests)

__all__ = ["anchored_clusters", "downstream_reach", "leaders", "pagerank", "upstream_reach"]


def _shares(net: Network, *, by: str) -> sp.csr_matrix:
    """``S`` (by="buyer": column c = c's input shares) or ``B`` (by="supplier": column s = s's
    sales shares), rows the other end of the link."""
    n = net.n_firms
    if by == "buyer":
        tot = net.purchases()
        val = net.amount / np.where(tot > 0, tot, 1.0)[net.buyer]
        m = sp.csr_matrix((val, (net.supplier, net.buyer)), shape=(n, n))
    else:
        tot = net.sales()
        val = net.amount / np.where(tot > 0, tot, 1.0)[net.supplier]
        m = sp.csr_matrix((val, (net.buyer, net.supplier)), shape=(n, n))
    m.sum_duplicates()
    return m


def _reach(m: sp.csr_matrix, y: np.ndarray, hops: int) -> np.ndarray:
    if hops < 1:
        raise ValueError("hops must be ≥ 1")
    total = np.zeros_like(y)
    v = y
    for _ in range(hops):                            # a loop over hops
        v = m @ v
        total += v
    return total


def downstream_reach(net: Network, *, hops: int = 3) -> np.ndarray:
    """(N,) output of the province's firms within ``hops`` links downstream, input-share weighted.

    >>> # a chain 0 → 1 → 2 (each buys all its inputs from the one before)
    >>> net = network_from_arrays([0, 1], [1, 2], [10.0, 20.0], output=[10.0, 40.0, 100.0])
    >>> downstream_reach(net, hops=2).tolist()
    [140.0, 100.0, 0.0]
    """
    return _reach(_shares(net, by="buyer"), np.where(net.inside, net.output, 0.0), hops)


def upstream_reach(net: Network, *, hops: int = 3) -> np.ndarray:
    """(N,) output of the province's firms within ``hops`` links upstream, sales-share weighted.

    >>> net = network_from_arrays([0, 1], [1, 2], [10.0, 20.0], output=[10.0, 40.0, 100.0])
    >>> upstream_reach(net, hops=2).tolist()
    [0.0, 10.0, 50.0]
    """
    return _reach(_shares(net, by="supplier"), np.where(net.inside, net.output, 0.0), hops)


def pagerank(net: Network, *, direction: str = "supply", damping: float = 0.85, tol: float = 1e-12,
             max_iter: int = 1000) -> np.ndarray:
    """(N,) amount-weighted PageRank by power iteration; sums to 1.

    ``direction="supply"``: edges buyer → supplier (score follows the money); ``"demand"``: supplier
    → buyer. ``x ← d·P x + (d·Σ_dangling x + 1 − d)/N``, ``P[v, u] = w_uv / Σ_v w_uv``.

    >>> # buyers 0, 1 buy only from supplier 2 (dangling); d = 0.5: x0 = x1 = (0.5·x2 + 0.5)/3 and
    >>> # x2 = 0.5·(x0 + x1) + x0 = 2·x0, so 4·x0 = 1
    >>> net = network_from_arrays([2, 2], [0, 1], [1.0, 1.0])
    >>> pagerank(net, damping=0.5).round(6).tolist()
    [0.25, 0.25, 0.5]
    """
    n = net.n_firms
    if n == 0:
        return np.zeros(0)
    src, dst = (net.buyer, net.supplier) if direction == "supply" else (net.supplier, net.buyer)
    if direction not in ("supply", "demand"):
        raise ValueError("direction must be supply or demand")
    strength = np.bincount(src, weights=net.amount, minlength=n)
    w = net.amount / np.where(strength > 0, strength, 1.0)[src]
    p = sp.csr_matrix((w, (dst, src)), shape=(n, n))
    p.sum_duplicates()
    dangling = strength <= 0
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):                        # power iteration
        nxt = damping * (p @ x) + (damping * x[dangling].sum() + 1.0 - damping) / n
        nxt /= nxt.sum()
        if np.abs(nxt - x).sum() < tol:
            return nxt
        x = nxt
    return x


def _pct(x: np.ndarray) -> np.ndarray:
    return rankdata(x, method="average") / max(len(x), 1)


def leaders(net: Network, *, hops: int = 3, damping: float = 0.85, clusters: Groups | None = None,
            top: int | None = None) -> pa.Table:
    """Chain-leader (链主) candidates: the province's firms ranked by ``leader_score``.

    Returns one row per inside firm (or the ``top`` first): ``rank``, ``uscc``, ``region_code``,
    ``sector``, ``output``, ``sales``, ``purchases``, ``suppliers``, ``customers`` (distinct),
    ``downstream_reach``, ``upstream_reach``, ``pagerank_supply``, ``pagerank_demand``,
    ``size_pct``, ``reach_pct``, ``influence_pct``, ``leader_score``, and with ``clusters``:
    ``cluster`` (a cluster the firm belongs to, ``""`` none), ``anchor_cluster`` (the cluster whose
    trade is most with the firm) and ``anchor_share`` (that share); :func:`anchored_clusters`
    gives every cluster a leader anchors.

    >>> net = network_from_arrays([0, 1, 3], [1, 2, 1], [10.0, 20.0, 5.0], output=[10.0, 40.0, 100.0, 5.0])
    >>> leaders(net, hops=2).column("uscc").to_pylist()[:2]
    ['F1', 'F2']
    """
    n = net.n_firms
    inside = np.flatnonzero(net.inside)
    down = downstream_reach(net, hops=hops)
    up = upstream_reach(net, hops=hops)
    pr_s = pagerank(net, direction="supply", damping=damping)
    pr_d = pagerank(net, direction="demand", damping=damping)
    sup_n = np.bincount(np.unique(net.buyer * n + net.supplier) // n, minlength=n) if net.n_links else np.zeros(n, int)
    cus_n = np.bincount(np.unique(net.supplier * n + net.buyer) // n, minlength=n) if net.n_links else np.zeros(n, int)
    size_p = _pct(net.output[inside])
    reach_p = _pct((down + up)[inside])
    infl_p = _pct((pr_s + pr_d)[inside])
    score = (size_p + reach_p + infl_p) / 3.0
    # ties (to 12 decimals: sums of percentiles) go to the larger firm, then the USCC
    order = np.lexsort((net.firms[inside], -net.output[inside], -np.round(score, 12)))
    if top is not None:
        order = order[:top]
    idx = inside[order]
    cols = {
        "rank": pa.array(np.arange(1, len(idx) + 1, dtype=np.int64)),
        "uscc": pa.array(net.firms[idx].tolist(), pa.string()),
        "region_code": pa.array(net.region[idx].tolist(), pa.string()),
        "sector": pa.array(net.sector_codes()[idx].tolist() if len(idx) else [], pa.string()),
        "output": pa.array(net.output[idx]),
        "sales": pa.array(net.sales()[idx]),
        "purchases": pa.array(net.purchases()[idx]),
        "suppliers": pa.array(sup_n[idx].astype(np.int64)),
        "customers": pa.array(cus_n[idx].astype(np.int64)),
        "downstream_reach": pa.array(down[idx]),
        "upstream_reach": pa.array(up[idx]),
        "pagerank_supply": pa.array(pr_s[idx]),
        "pagerank_demand": pa.array(pr_d[idx]),
        "size_pct": pa.array(size_p[order]),
        "reach_pct": pa.array(reach_p[order]),
        "influence_pct": pa.array(infl_p[order]),
        "leader_score": pa.array(score[order]),
    }
    if clusters is not None:
        share, member = _anchor_shares(net, clusters)
        ids = np.asarray(clusters.ids + ("",), dtype=object)
        sub, mem = share[:, idx], member[:, idx]
        best = np.asarray(sub.max(axis=0).toarray()).ravel() if len(clusters.ids) else np.zeros(len(idx))
        arg = np.asarray(sub.argmax(axis=0)).ravel() if len(clusters.ids) else np.full(len(idx), -1)
        own = np.asarray(mem.argmax(axis=0)).ravel() if len(clusters.ids) else np.full(len(idx), -1)
        is_member = np.asarray(mem.max(axis=0).toarray()).ravel() > 0 if len(clusters.ids) else np.zeros(len(idx), bool)
        cols.update(cluster=pa.array(ids[np.where(is_member, own, -1)].tolist(), pa.string()),
                    anchor_cluster=pa.array(ids[np.where(best > 0, arg, -1)].tolist(), pa.string()),
                    anchor_share=pa.array(best))
    cols["hops"] = pa.array(np.full(len(idx), hops, dtype=np.int64))
    return pa.table(cols)


def _anchor_shares(net: Network, groups: Groups) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(G, N) sparse: the share of each cluster's trade on the links (its members' purchases +
    sales) that is with each firm — for a member, of the other members' trade; and the (G, N)
    membership (0/1)."""
    n = net.n_firms
    trade = sp.csr_matrix((np.concatenate([net.amount, net.amount]),
                           (np.concatenate([net.supplier, net.buyer]), np.concatenate([net.buyer, net.supplier]))),
                          shape=(n, n))
    trade.sum_duplicates()
    m = groups.members.tocsr()
    strength = np.asarray(trade.sum(axis=1)).ravel()
    with_firm = (m @ trade).tocoo()                              # (G, N) members' trade with each firm
    total = m @ strength                                         # each cluster's trade
    own = np.asarray(m[with_firm.row, with_firm.col]).ravel() * strength[with_firm.col] if with_firm.nnz else 0.0
    denom = total[with_firm.row] - own
    share = sp.csr_matrix((with_firm.data / np.where(denom > 0, denom, 1.0), (with_firm.row, with_firm.col)),
                          shape=with_firm.shape)
    return share, m


def anchored_clusters(net: Network, groups: Groups, firms: np.ndarray, *, anchor_min: float = 0.05) -> pa.Table:
    """The clusters each of ``firms`` (indices) anchors: one row per firm × cluster whose trade is
    ≥ ``anchor_min`` with the firm (``anchor_share``), or of which the firm is a member.

    >>> from zhizao.chains.measures import Groups
    >>> net = network_from_arrays([0, 1], [1, 2], [10.0, 30.0])
    >>> g = Groups("cluster", ("c",), ("c",), sp.csr_matrix(np.array([[0.0, 1.0, 1.0]])))
    >>> anchored_clusters(net, g, np.array([0, 1])).to_pylist()[0]
    {'uscc': 'F0', 'cluster_id': 'c', 'anchor_share': 0.14285714285714285, 'member': False}
    """
    share, member = _anchor_shares(net, groups)
    sub = share[:, firms].tocoo()
    mem = member[:, firms].tocoo()
    keys = np.concatenate([sub.col.astype(np.int64) * (len(groups.ids) + 1) + sub.row,
                           mem.col.astype(np.int64) * (len(groups.ids) + 1) + mem.row])
    vals = np.concatenate([sub.data, np.zeros(len(mem.data))])
    is_mem = np.concatenate([np.zeros(len(sub.data), bool), np.ones(len(mem.data), bool)])
    u, inv = np.unique(keys, return_inverse=True)
    sh = np.bincount(inv, weights=vals, minlength=len(u))
    mm = np.bincount(inv, weights=is_mem, minlength=len(u)) > 0
    keep = (sh >= anchor_min) | mm
    u, sh, mm = u[keep], sh[keep], mm[keep]
    k, g = u // (len(groups.ids) + 1), u % (len(groups.ids) + 1)
    order = np.lexsort((-sh, k))
    k, g, sh, mm = k[order], g[order], sh[order], mm[order]
    return pa.table({
        "uscc": pa.array(net.firms[firms[k]].tolist(), pa.string()),
        "cluster_id": pa.array(np.asarray(groups.ids, dtype=object)[g].tolist(), pa.string()),
        "anchor_share": pa.array(sh),
        "member": pa.array(mm),
    })
