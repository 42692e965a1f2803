"""Sourcing measures and chokepoints (本地配套率、供应商集中度、卡脖子环节) on a :class:`Network`.

* **Groups** (:func:`firm_groups`): the province's firms by county (区县), prefecture (地市), GB/T
  4754 division (行业大类) or cluster (产业集群, from a ``zhizao.clusters.method.ClusterSet``); a
  sparse ``(G, N)`` 0/1 membership matrix, so a firm may sit in several clusters.
* **Local sourcing ratio** (本地配套率, :func:`sourcing`): the share of a group's purchases on the
  links bought from suppliers in the buyer's own county / prefecture / province (``local``),
  ``local_share = Σ amount(supplier region ≡ buyer region) / Σ amount``; the share bought outside
  the province (``outside_share``: supplier's GB/T 2260 province differs, or an unknown region
  outside ``enterprises``); the mirror on the sales side (``local_sales_share``, local customers).
  Source: the 本地配套率 of provincial industrial-chain plans (e.g. 浙江省“链长制” 2019 and
  江苏省“产业强链”三年行动计划 2023 report it as the share of supporting purchases made locally).
* **Supplier concentration** (供应商集中度): per group and input product class ``p``, the
  Herfindahl–Hirschman index over suppliers ``HHI_gp = Σ_s (a_gps / a_gp)²`` (Hirschman 1964;
  the US DOJ/FTC horizontal merger guidelines use the same index on market shares); per group the
  purchase-weighted mean ``Σ_p (a_gp / a_g) HHI_gp``.
* **Chokepoints** (卡脖子, :func:`chokepoints`): input product classes supplied to the province by at
  most ``max_suppliers`` suppliers, or only from outside the province; ranked by the downstream
  output that depends on them: with ``s_bc = a_bc / Σ_b a_bc`` (c's input share from b) and
  ``d⁰_c`` = c's input share of the product, ``d = min(1, Σ_{h<hops} (Sᵀ)ʰ d⁰)`` and
  ``dependent_output = Σ_{c inside} output_c d_c`` (the input-share-weighted output of the firms
  within ``hops`` links downstream; cf. the "downstream exposure" of Acemoglu et al. 2012 and the
  supply-chain criticality screens of the EU's 2021 strategic-dependency review, which flag
  products by supplier concentration and import dependence).

All kernels are vectorised over firms and links (sparse matrices, ``bincount``, ``unique``); the
only Python loops run over groups' definitions (clusters × codes) and propagation hops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from zhizao.chains.network import Network, network_from_arrays  # noqa: F401  (doctests)

__all__ = ["LOCAL_LEVELS", "ChokepointResult", "Groups", "chokepoints", "firm_groups", "input_shares",
           "local_mask", "outside_province_mask", "sourcing", "sourcing_products"]

LocalLevel = Literal["county", "prefecture", "province"]
LOCAL_LEVELS: dict[str, int] = {"county": 6, "prefecture": 4, "province": 2}
GroupBy = Literal["county", "prefecture", "division", "cluster"]


@dataclass(frozen=True)
class Groups:
    """Firm groups: ``members[g, i] = 1`` when firm ``i`` belongs to group ``ids[g]``."""

    by: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    members: sp.csr_matrix          # (G, N)

    def sizes(self) -> np.ndarray:
        return np.asarray(self.members.sum(axis=1)).ravel().astype(np.int64)


def _prefix(codes: np.ndarray, k: int) -> np.ndarray:
    """Codes cut to their first ``k`` characters (``""`` stays ``""``)."""
    return np.asarray(codes, dtype=f"<U{k}")


def _membership(n: int, group: np.ndarray, valid: np.ndarray, g: int) -> sp.csr_matrix:
    idx = np.flatnonzero(valid)
    return sp.csr_matrix((np.ones(len(idx)), (group[idx], idx)), shape=(g, n))


def firm_groups(net: Network, by: GroupBy = "county", *, clusters=None) -> Groups:
    """The province's firms (``inside``) grouped by county, prefecture, division or cluster.

    Parameters
    ----------
    by
        ``county`` (the firm's GB/T 2260 code), ``prefecture`` (its first 4 digits + ``00``),
        ``division`` (the first 2 digits of its GB/T 4754 code) or ``cluster``.
    clusters
        For ``by="cluster"``: a ``ClusterSet`` (``zhizao.clusters.method``); a firm belongs to a
        cluster when its region code starts with one of the cluster's region prefixes and its
        industry code with one of the cluster's codes (the network must be at a level at least as
        fine as those codes: ``class`` for the 4-digit ones). Clusters without codes are left out.

    >>> net = network_from_arrays([0, 1], [1, 2], [1.0, 1.0], region=["330681", "330681", "330102"],
    ...                           sector=[0, 1, 1], sectors=["1763", "3451"])
    >>> g = firm_groups(net, "county")
    >>> g.ids, g.members.toarray().tolist()
    (('330102', '330681'), [[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    """
    n = net.n_firms
    inside = net.inside & (net.region != "")
    if by in ("county", "prefecture"):
        key = net.region if by == "county" else np.char.add(_prefix(net.region, 4), "00")
        ids, inv = np.unique(np.where(inside, key, ""), return_inverse=True)
        valid = inside
        m = _membership(n, inv, valid, len(ids))
        keep = np.asarray(m.sum(axis=1)).ravel() > 0
        ids = ids[keep]
        return Groups(by, tuple(ids.tolist()), tuple(_region_names(ids)), m[np.flatnonzero(keep)].tocsr())
    if by == "division":
        codes = net.sector_codes()
        valid = net.inside & (np.char.str_len(codes) >= 2)
        key = _prefix(codes, 2)
        ids, inv = np.unique(np.where(valid, key, ""), return_inverse=True)
        m = _membership(n, inv, valid, len(ids))
        keep = np.asarray(m.sum(axis=1)).ravel() > 0
        ids = ids[keep]
        return Groups(by, tuple(ids.tolist()), tuple(_industry_names(ids)), m[np.flatnonzero(keep)].tocsr())
    if by == "cluster":
        if clusters is None:
            raise ValueError("by='cluster' needs clusters= (a ClusterSet)")
        from zhizao.clusters.method import cluster_table

        ct = cluster_table(clusters)
        codes = net.sector_codes()
        width = max((len(c) for c in net.sectors), default=0)
        rows = [r for r in ct.to_pylist() if r["scope"] == "cluster"]
        too_fine = sorted({r["industry_prefix"] for r in rows if len(r["industry_prefix"]) > width})
        if too_fine:
            raise ValueError(f"cluster codes {too_fine[:5]} are finer than the network's codes: "
                             "build the network at class level")
        ids = list(dict.fromkeys(r["cluster_id"] for r in rows))
        names = {r["cluster_id"]: r["name_zh"] for r in rows}
        pos = {c: i for i, c in enumerate(ids)}
        mat = np.zeros((len(ids), n), dtype=bool) if n * len(ids) <= 50_000_000 else None
        parts_r, parts_c = [], []
        for r in rows:                                   # a loop over cluster definitions, not firms
            hit = net.inside & np.char.startswith(net.region, r["region_prefix"]) \
                & np.char.startswith(codes, r["industry_prefix"])
            if mat is not None:
                mat[pos[r["cluster_id"]]] |= hit
            else:
                idx = np.flatnonzero(hit)
                parts_r.append(np.full(len(idx), pos[r["cluster_id"]]))
                parts_c.append(idx)
        if mat is not None:
            m = sp.csr_matrix(mat.astype(np.float64))
        else:
            rr, cc = np.concatenate(parts_r or [np.zeros(0, int)]), np.concatenate(parts_c or [np.zeros(0, int)])
            m = sp.csr_matrix((np.ones(len(rr)), (rr, cc)), shape=(len(ids), n))
            m.data[:] = 1.0
        return Groups(by, tuple(ids), tuple(names[i] for i in ids), m)
    raise ValueError(f"by: {by!r} is not county, prefecture, division or cluster")


def _region_names(codes) -> list[str]:
    from zhizao.codes.regions import region

    out = []
    for c in codes:
        try:
            out.append(region(c).name)
        except (KeyError, ValueError):
            out.append("")
    return out


def _industry_names(codes) -> list[str]:
    from zhizao.codes.industries import industry

    out = []
    for c in codes:
        try:
            out.append(industry(c).name_zh)
        except (KeyError, ValueError):
            out.append("")
    return out


def local_mask(net: Network, local: LocalLevel = "county") -> np.ndarray:
    """(L,) whether each link's supplier lies in its buyer's county / prefecture / province
    (GB/T 2260 codes compared on their first 6 / 4 / 2 digits; an unknown region is not local)."""
    if local not in LOCAL_LEVELS:
        raise ValueError(f"local: {local!r} is not one of {tuple(LOCAL_LEVELS)}")
    k = LOCAL_LEVELS[local]
    rs, rb = net.region[net.supplier], net.region[net.buyer]
    return (rs != "") & (rb != "") & (_prefix(rs, k) == _prefix(rb, k))


def outside_province_mask(net: Network) -> np.ndarray:
    """(L,) whether each link's supplier lies outside its buyer's province: different GB/T 2260
    province codes, or (region unknown) a supplier not in ``enterprises``."""
    rs, rb = net.region[net.supplier], net.region[net.buyer]
    known = (rs != "") & (rb != "")
    return np.where(known, _prefix(rs, 2) != _prefix(rb, 2), ~net.inside[net.supplier])


def _expand(groups: Groups, firm_of_link: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(link index, group index) pairs: each link once per group of ``firm_of_link``'s firm."""
    mt = groups.members.T.tocsr()
    mt.sum_duplicates()
    start, stop = mt.indptr[firm_of_link], mt.indptr[firm_of_link + 1]
    count = stop - start
    link = np.repeat(np.arange(len(firm_of_link)), count)
    offs = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return link, mt.indices[np.repeat(start, count) + offs].astype(np.int64)


def sourcing(net: Network, groups: Groups, *, local: LocalLevel = "county") -> pa.Table:
    """Local sourcing (本地配套率), outside-province sourcing and supplier concentration per group.

    One row per group: ``group_id``, ``name``, ``firms`` (members), ``buyers`` (members buying on
    the links), ``purchases`` (yuan), ``local_share`` (bought from suppliers in the buyer's own
    ``local`` region), ``province_share`` (from suppliers in the buyer's province),
    ``outside_share`` (= from outside the province), ``supplier_hhi`` (purchase-weighted mean over
    input product classes of the supplier HHI), ``sales`` (members' sales on the links),
    ``local_sales_share`` (sold to buyers in the seller's own ``local`` region), ``local``.

    >>> net = network_from_arrays([0, 1, 2], [2, 2, 3], [30.0, 10.0, 50.0],
    ...                           region=["330681", "310115", "330681", "330681"], inside=[1, 0, 1, 1])
    >>> r = sourcing(net, firm_groups(net, "county")).to_pylist()[0]
    >>> r["purchases"], r["local_share"], r["outside_share"]
    (90.0, 0.8888888888888888, 0.1111111111111111)
    """
    g = len(groups.ids)
    loc = local_mask(net, local)
    prov = local_mask(net, "province")
    out = outside_province_mask(net)
    a = net.amount
    link, grp = _expand(groups, net.buyer)
    purchases = np.bincount(grp, weights=a[link], minlength=g)
    local_p = np.bincount(grp, weights=(a * loc)[link], minlength=g)
    prov_p = np.bincount(grp, weights=(a * prov)[link], minlength=g)
    out_p = np.bincount(grp, weights=(a * out)[link], minlength=g)
    buyers = np.asarray((groups.members @ sp.csr_matrix((net.purchases() > 0).astype(np.float64)[:, None]))
                        .toarray()).ravel()
    slink, sgrp = _expand(groups, net.supplier)
    sales = np.bincount(sgrp, weights=a[slink], minlength=g)
    local_s = np.bincount(sgrp, weights=(a * loc)[slink], minlength=g)
    hhi_gp, gp_group, gp_amount = _hhi(net, link, grp)
    w_hhi = np.bincount(gp_group, weights=gp_amount * hhi_gp, minlength=g)
    with np.errstate(invalid="ignore", divide="ignore"):
        div = lambda x, y: np.where(y > 0, x / np.where(y > 0, y, 1.0), np.nan)  # noqa: E731
        return pa.table({
            "group_id": pa.array(groups.ids, pa.string()),
            "name": pa.array(groups.names, pa.string()),
            "group_by": pa.array([groups.by] * g, pa.string()),
            "firms": pa.array(groups.sizes()),
            "buyers": pa.array(buyers.astype(np.int64)),
            "purchases": pa.array(purchases),
            "local_share": pa.array(div(local_p, purchases)),
            "province_share": pa.array(div(prov_p, purchases)),
            "outside_share": pa.array(div(out_p, purchases)),
            "supplier_hhi": pa.array(div(w_hhi, purchases)),
            "sales": pa.array(sales),
            "local_sales_share": pa.array(div(local_s, sales)),
            "local": pa.array([local] * g, pa.string()),
        })


def _hhi(net: Network, link: np.ndarray, grp: np.ndarray):
    """Per (group, product) cell present: HHI over suppliers, the group of the cell, its amount;
    plus (via ``_hhi_cells``) the cell keys."""
    cells = _hhi_cells(net, link, grp)
    return cells["hhi"], cells["group"], cells["amount"]


def _hhi_cells(net: Network, link: np.ndarray, grp: np.ndarray) -> dict:
    p_n, f_n = len(net.products), net.n_firms
    a = net.amount[link]
    gp = grp * p_n + net.product[link]
    key = gp * f_n + net.supplier[link]
    u_key, inv = np.unique(key, return_inverse=True)
    amt_gps = np.bincount(inv, weights=a)
    gp_of = u_key // f_n
    u_gp, inv_gp = np.unique(gp_of, return_inverse=True)
    amt_gp = np.bincount(inv_gp, weights=amt_gps)
    share = np.divide(amt_gps, amt_gp[inv_gp], out=np.zeros_like(amt_gps), where=amt_gp[inv_gp] > 0)
    hhi = np.bincount(inv_gp, weights=share ** 2)
    top = np.zeros(len(u_gp))
    np.maximum.at(top, inv_gp, share)
    n_sup = np.bincount(inv_gp)
    out_sup = np.bincount(inv_gp, weights=(~net.inside[u_key % f_n]).astype(np.float64))
    return {"group": (u_gp // p_n).astype(np.int64), "product": (u_gp % p_n).astype(np.int64), "amount": amt_gp,
            "hhi": hhi, "top_share": top, "suppliers": n_sup.astype(np.int64),
            "outside_suppliers": out_sup.astype(np.int64)}


def sourcing_products(net: Network, groups: Groups, *, local: LocalLevel = "county") -> pa.Table:
    """Per group and input product class: ``purchases``, ``share_of_group`` (of the group's
    purchases), ``suppliers``, ``outside_suppliers`` (not in ``enterprises``), ``supplier_hhi``,
    ``top_supplier_share``, ``local_share`` and ``outside_share``.

    >>> net = network_from_arrays([0, 1, 2], [3, 3, 3], [60.0, 20.0, 20.0], product=[0, 0, 1],
    ...                           products=["3973", "3562"], region=["310115", "330681", "330681", "330681"],
    ...                           inside=[False, True, True, True])
    >>> [(r["product"], r["suppliers"], r["supplier_hhi"]) for r in
    ...  sourcing_products(net, firm_groups(net, "county")).to_pylist()]
    [('3973', 2, 0.625), ('3562', 1, 1.0)]
    """
    link, grp = _expand(groups, net.buyer)
    cells = _hhi_cells(net, link, grp)
    p_n = len(net.products)
    gp = grp * p_n + net.product[link]
    u_gp = cells["group"] * p_n + cells["product"]
    pos = np.searchsorted(u_gp, gp)
    a = net.amount[link]
    loc = np.bincount(pos, weights=a * local_mask(net, local)[link], minlength=len(u_gp))
    out = np.bincount(pos, weights=a * outside_province_mask(net)[link], minlength=len(u_gp))
    g_tot = np.bincount(cells["group"], weights=cells["amount"], minlength=len(groups.ids))
    amt = cells["amount"]
    safe = np.where(amt > 0, amt, 1.0)
    order = np.lexsort((-amt, cells["group"]))
    take = lambda x: x[order]  # noqa: E731
    ids = np.asarray(groups.ids, dtype=object)
    prods = np.asarray(net.products, dtype=object)
    return pa.table({
        "group_id": pa.array(take(ids[cells["group"]]).tolist(), pa.string()),
        "product": pa.array(take(prods[cells["product"]]).tolist(), pa.string()),
        "purchases": pa.array(take(amt)),
        "share_of_group": pa.array(take(amt / np.where(g_tot > 0, g_tot, 1.0)[cells["group"]])),
        "suppliers": pa.array(take(cells["suppliers"])),
        "outside_suppliers": pa.array(take(cells["outside_suppliers"])),
        "supplier_hhi": pa.array(take(cells["hhi"])),
        "top_supplier_share": pa.array(take(cells["top_share"])),
        "local_share": pa.array(take(loc / safe)),
        "outside_share": pa.array(take(out / safe)),
        "local": pa.array([local] * len(amt), pa.string()),
    })


# --- chokepoints -------------------------------------------------------------------------------

def input_shares(net: Network) -> sp.csr_matrix:
    """``Sᵀ`` as an (N, N) CSR matrix: row ``c`` (a buyer), column ``b`` (a supplier), value
    ``s_bc = a_bc / Σ_b a_bc`` — c's input share from b. Rows of firms that buy nothing are empty.

    >>> input_shares(network_from_arrays([0, 1], [2, 2], [3.0, 1.0])).toarray()[2].tolist()
    [0.75, 0.25, 0.0]
    """
    purchases = net.purchases()
    share = net.amount / np.where(purchases > 0, purchases, 1.0)[net.buyer]
    m = sp.csr_matrix((share, (net.buyer, net.supplier)), shape=(net.n_firms, net.n_firms))
    m.sum_duplicates()
    return m


@dataclass(frozen=True)
class ChokepointResult:
    """``products``: one row per input product class bought by the province's firms, with its
    supply structure, its flags and (for the chokepoints) the dependent output and rank;
    ``buyers``: one row per chokepoint × buyer in the province (who needs it); ``dependence``:
    (N, C) the firms' dependence ``d`` on each chokepoint (columns in ``products``' rank order)."""

    products: pa.Table
    buyers: pa.Table
    dependence: np.ndarray
    chokepoints: tuple[str, ...]


def chokepoints(net: Network, *, max_suppliers: int = 1, hops: int = 3, include_outside_only: bool = True,
                max_dependence: float = 1.0) -> ChokepointResult:
    """Chokepoint input classes (卡脖子): few suppliers or only from outside, ranked by dependent output.

    Parameters
    ----------
    max_suppliers
        A product bought by the province's firms from at most this many distinct suppliers is a
        chokepoint (``few_suppliers``).
    hops
        Links downstream of the product's suppliers that count: 1 = the direct buyers only.
    include_outside_only
        Also flag products all of whose suppliers lie outside the province (``outside_only``),
        however many they are.
    max_dependence
        Cap on a firm's dependence (1: a firm cannot lose more than all its output).

    Returns
    -------
    ChokepointResult
        ``products`` columns: ``product``, ``purchases`` (by the province's firms), ``buyers``,
        ``suppliers``, ``inside_suppliers``, ``outside_suppliers``, ``supplier_hhi``,
        ``outside_share``, ``few_suppliers``, ``outside_only``, ``chokepoint``,
        ``direct_buyer_output`` (the buyers' output), ``dependent_output`` (Σ output × d over the
        province's firms), ``reach_firms`` (firms with d > 0), ``reach_output`` (their output,
        unweighted; ``dependent_output`` and ``reach_output`` are null when not a chokepoint), ``rank`` (1 = most dependent output; null when not a chokepoint).

    >>> # 0 (outside) → 1 → 2: firm 1 buys all its inputs of product "A" from 0; 2 buys from 1
    >>> net = network_from_arrays([0, 1], [1, 2], [10.0, 20.0], product=[0, 1], products=["A", "B"],
    ...                           inside=[False, True, True], output=[10.0, 40.0, 100.0])
    >>> r = chokepoints(net, hops=2)
    >>> [(p["product"], p["dependent_output"], p["rank"]) for p in r.products.to_pylist()]
    [('A', 140.0, 1), ('B', 100.0, 2)]
    """
    if hops < 1:
        raise ValueError("hops must be ≥ 1")
    p_n, n = len(net.products), net.n_firms
    into = net.inside[net.buyer]                     # purchases by the province's firms
    s, b, p, a = net.supplier[into], net.buyer[into], net.product[into], net.amount[into]
    purchases = np.bincount(p, weights=a, minlength=p_n)
    # distinct suppliers and buyers per product
    u_sp = np.unique(p * n + s)
    sp_p, sp_s = u_sp // n, u_sp % n
    suppliers = np.bincount(sp_p, minlength=p_n)
    inside_sup = np.bincount(sp_p, weights=net.inside[sp_s].astype(np.float64), minlength=p_n).astype(np.int64)
    u_bp = np.unique(p * n + b)
    bp_p, bp_b = u_bp // n, u_bp % n
    buyers = np.bincount(bp_p, minlength=p_n)
    direct_out = np.bincount(bp_p, weights=net.output[bp_b], minlength=p_n)
    amt_sp = np.bincount(np.searchsorted(u_sp, p * n + s), weights=a, minlength=len(u_sp))
    hhi = np.bincount(sp_p, weights=(amt_sp / np.where(purchases > 0, purchases, 1.0)[sp_p]) ** 2, minlength=p_n)
    full_out = outside_province_mask(net)[into]
    out_share = np.bincount(p, weights=a * full_out, minlength=p_n) / np.where(purchases > 0, purchases, 1.0)
    bought = purchases > 0
    few = bought & (suppliers <= max_suppliers)
    outside_only = bought & (inside_sup == 0)
    flag = few | (outside_only if include_outside_only else False)
    cand = np.flatnonzero(flag)

    # dependence: d⁰ (N, C) = each firm's input share of the candidate product, propagated downstream
    st = input_shares(net)
    col = np.full(p_n, -1, dtype=np.int64)
    col[cand] = np.arange(len(cand))
    tot_purch = net.purchases()
    sel = flag[net.product]
    d0 = np.zeros((n, len(cand)))
    np.add.at(d0, (net.buyer[sel], col[net.product[sel]]),
              net.amount[sel] / np.where(tot_purch > 0, tot_purch, 1.0)[net.buyer[sel]])
    dep = d0.copy()
    step = d0
    for _ in range(hops - 1):                        # a loop over hops
        step = st @ step
        dep += step
    np.minimum(dep, max_dependence, out=dep)
    w = np.where(net.inside, net.output, 0.0)
    dependent = w @ dep
    reached = (dep > 0) & net.inside[:, None]
    reach_firms = reached.sum(axis=0)
    reach_out = w @ reached

    dep_out = np.full(p_n, np.nan)
    dep_out[cand] = dependent
    r_firms = np.zeros(p_n, dtype=np.int64)
    r_firms[cand] = reach_firms
    r_out = np.full(p_n, np.nan)
    r_out[cand] = reach_out
    order_c = np.lexsort((np.asarray(net.products, dtype=object)[cand].astype(str), -dependent))
    rank = np.zeros(p_n, dtype=np.int64)
    rank[cand[order_c]] = np.arange(1, len(cand) + 1)
    # rows: chokepoints by rank, then the other bought products by purchases
    others = np.flatnonzero(bought & ~flag)
    others = others[np.argsort(-purchases[others], kind="stable")]
    rows = np.concatenate([cand[order_c], others])
    prods = np.asarray(net.products, dtype=object)
    products = pa.table({
        "product": pa.array(prods[rows].astype(str).tolist(), pa.string()),
        "purchases": pa.array(purchases[rows]),
        "buyers": pa.array(buyers[rows].astype(np.int64)),
        "suppliers": pa.array(suppliers[rows].astype(np.int64)),
        "inside_suppliers": pa.array(inside_sup[rows]),
        "outside_suppliers": pa.array((suppliers - inside_sup)[rows].astype(np.int64)),
        "supplier_hhi": pa.array(hhi[rows]),
        "outside_share": pa.array(out_share[rows]),
        "few_suppliers": pa.array(few[rows]),
        "outside_only": pa.array(outside_only[rows]),
        "chokepoint": pa.array(flag[rows]),
        "direct_buyer_output": pa.array(direct_out[rows]),
        "dependent_output": pa.array(dep_out[rows], mask=np.isnan(dep_out[rows])),
        "reach_firms": pa.array(r_firms[rows]),
        "reach_output": pa.array(r_out[rows], mask=np.isnan(r_out[rows])),
        "rank": pa.array(np.where(rank[rows] > 0, rank[rows], 0), mask=rank[rows] == 0),
        "max_suppliers": pa.array(np.full(len(rows), max_suppliers, dtype=np.int64)),
        "hops": pa.array(np.full(len(rows), hops, dtype=np.int64)),
    })
    dependence = dep[:, order_c]
    buyers_t = _chokepoint_buyers(net, cand[order_c], dependence, tot_purch)
    return ChokepointResult(products, buyers_t, dependence, tuple(prods[cand[order_c]].astype(str).tolist()))


def _chokepoint_buyers(net: Network, cand: np.ndarray, dependence: np.ndarray, tot_purch: np.ndarray) -> pa.Table:
    """One row per (chokepoint, buyer in the province): what it buys, from how many, its dependence."""
    n = net.n_firms
    rank_of = np.full(len(net.products), -1, dtype=np.int64)
    rank_of[cand] = np.arange(len(cand))
    sel = (rank_of[net.product] >= 0) & net.inside[net.buyer]
    r, b, s, a = rank_of[net.product[sel]], net.buyer[sel], net.supplier[sel], net.amount[sel]
    key = r * n + b
    u, inv = np.unique(key, return_inverse=True)
    amt = np.bincount(inv, weights=a)
    u_s = np.unique(key * n + s)
    n_sup = np.bincount(np.searchsorted(u, u_s // n), minlength=len(u))
    out_sup = np.bincount(np.searchsorted(u, u_s // n), weights=(~net.inside[u_s % n]).astype(np.float64),
                          minlength=len(u))
    ur, ub = u // n, u % n
    order = np.lexsort((-net.output[ub], ur))
    ur, ub, amt, n_sup, out_sup = ur[order], ub[order], amt[order], n_sup[order], out_sup[order]
    prods = np.asarray(net.products, dtype=object)[cand]
    return pa.table({
        "product": pa.array(prods[ur].astype(str).tolist() if len(ur) else [], pa.string()),
        "rank": pa.array((ur + 1).astype(np.int64)),
        "buyer_uscc": pa.array(net.firms[ub].tolist(), pa.string()),
        "buyer_region_code": pa.array(net.region[ub].tolist(), pa.string()),
        "buyer_sector": pa.array(net.sector_codes()[ub].tolist() if len(ub) else [], pa.string()),
        "amount": pa.array(amt),
        "input_share": pa.array(amt / np.where(tot_purch[ub] > 0, tot_purch[ub], 1.0)),
        "suppliers": pa.array(n_sup.astype(np.int64)),
        "outside_suppliers": pa.array(out_sup.astype(np.int64)),
        "buyer_output": pa.array(net.output[ub]),
        "dependence": pa.array(dependence[ub, ur] if len(ub) else np.zeros(0)),
    })

