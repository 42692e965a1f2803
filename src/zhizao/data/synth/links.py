"""Supply links (供应链关系): supplier → buyer flows per year, as from VAT e-invoices.

Each buyer draws several suppliers: the input division from its division's input mix, the
supplier's place from the buyer's sourcing profile (same county, rest of the province, outside),
the supplier within that pool in proportion to its size. Cluster firms source locally more often.
Some input classes (``links.single_source``) have exactly one supplier, outside the province and
absent from ``enterprises``. Amounts split the buyer's purchases (gross output − VA, the share
bought on invoices), and no supplier sells more than a set share of its own revenue.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from zhizao.codes.uscc import generate_usccs
from zhizao.data import schema
from zhizao.data.synth._util import GroupedSampler, float_array, int_array, take_strings
from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import Geography, IndustryCatalog
from zhizao.data.synth.panel import Panel
from zhizao.data.synth.population import Population
from zhizao.data.synth.traits import Traits


def build_links(uscc: pa.Array, pop: Population, tr: Traits, panel: Panel, geo: Geography,
                cat: IndustryCatalog, cal: Calibration, rng: np.random.Generator) -> pa.Table:
    lk = cal.links
    n = pop.n
    nd = len(cat.divisions)
    nyw = len(pop.years)
    act = pop.window(pop.active)

    # --- buyers and how many suppliers each -----------------------------------------------------
    above = tr.above_last
    lo_a, mean_a, hi_a = lk.suppliers_above_scale.value
    lo_b, mean_b, hi_b = lk.suppliers_below_scale.value
    k_a = np.minimum(lo_a + rng.poisson(mean_a, n), hi_a)
    k_b = np.minimum(lo_b + rng.poisson(mean_b, n), hi_b)
    buys = above | (rng.random(n) < lk.buyer_share_below_scale.value)
    k = np.where(buys, np.where(above, k_a, k_b), 0).astype(np.int64)
    buyer = np.repeat(np.arange(n), k)
    r = len(buyer)

    # --- input division of each slot ------------------------------------------------------------
    inputs = cal.industry.input_divisions.value
    mat = np.zeros((nd, nd))
    for i, d in enumerate(cat.divisions):
        for s, w in inputs.get(d, {d: 1.0}).items():
            if s in cat.divisions:
                mat[i, cat.division_index(s)] = w
        if mat[i].sum() == 0:
            mat[i, i] = 1.0
    cum = np.cumsum(mat / mat.sum(axis=1, keepdims=True), axis=1)
    bdiv = pop.division[buyer]
    u = rng.random(r)
    sdiv = np.minimum((cum[bdiv] < u[:, None]).sum(axis=1), nd - 1)

    # --- where the supplier is ----------------------------------------------------------------
    src = lk.sourcing_default.value
    local_share = np.full(n, src["local"])
    for ci, cl in enumerate(cal.clusters):
        local_share[pop.cluster == ci] = cl.local_sourcing
    outside_share = src["outside"] * (1 - local_share) / max(1 - src["local"], 1e-9)
    lsh = local_share[buyer]
    osh = outside_share[buyer]
    v = rng.random(r)
    where = np.where(v < lsh, 0, np.where(v < lsh + osh, 2, 1))  # 0 local, 1 province, 2 outside

    size = np.maximum(pop.main_rev[:, -1], pop.main_rev.max(axis=1) * 0.5) ** 0.7
    alive = act.any(axis=1)
    cand = np.flatnonzero(alive)
    local_sampler = GroupedSampler(pop.county[cand] * nd + pop.division[cand], size[cand])
    prov_sampler = GroupedSampler(pop.division[cand], size[cand])
    sup = np.full(r, -1, dtype=np.int64)
    m0 = where == 0
    got = local_sampler.sample(pop.county[buyer[m0]] * nd + sdiv[m0], rng.random(int(m0.sum())))
    sup[np.flatnonzero(m0)] = np.where(got >= 0, cand[np.maximum(got, 0)], -1)
    m1 = (where == 1) | ((where == 0) & (sup < 0))
    got = prov_sampler.sample(sdiv[m1], rng.random(int(m1.sum())))
    sup[np.flatnonzero(m1)] = np.where(got >= 0, cand[np.maximum(got, 0)], -1)

    # --- outside suppliers: a pool of out-of-province firms (not in enterprises) ----------------
    prov2 = geo.province[:2]
    regions_out = [c for c in lk.outside_regions.value if c[:2] != prov2]
    if not regions_out:
        raise ValueError("links.outside_regions has no county outside the province")
    rw = np.array([lk.outside_regions.value[c] for c in regions_out], dtype=np.float64)
    n_out = max(50, int(round(lk.outside_pool_share.value * n)))
    o_region = np.searchsorted(np.cumsum(rw / rw.sum()), rng.random(n_out), side="right").clip(0, len(rw) - 1)
    o_div = np.searchsorted(np.cumsum(cat.division_weight), rng.random(n_out), side="right").clip(0, nd - 1)
    o_cls = GroupedSampler(cat.class_division, cat.class_weight).sample(o_div, rng.random(n_out))
    o_size = np.exp(rng.normal(0.0, 1.0, n_out))
    out_sampler = GroupedSampler(o_div, o_size)
    m2 = sup < 0
    got = out_sampler.sample(sdiv[m2], rng.random(int(m2.sum())))
    out_sup = np.full(r, -1, dtype=np.int64)
    out_sup[np.flatnonzero(m2)] = got
    # a division with no supplier anywhere: drop the slot
    keep = (sup >= 0) | (out_sup >= 0)
    buyer, sup, out_sup = buyer[keep], sup[keep], out_sup[keep]

    # --- single-source inputs -------------------------------------------------------------------
    ss = [s for s in lk.single_source.value if s.supplier_region[:2] != prov2]
    ss_cls = np.array([cat.class_index(s.product_class) for s in ss], dtype=np.int64)
    ss_region = [s.supplier_region for s in ss]
    ss_b: list[np.ndarray] = []
    ss_s: list[np.ndarray] = []
    for j, s in enumerate(ss):
        divs = [cat.division_index(d) for d in s.buyer_divisions if d in cat.divisions]
        cand_b = np.flatnonzero(above & np.isin(pop.division, divs) & alive)
        pick = cand_b[rng.random(len(cand_b)) < s.share_of_buyers]
        ss_b.append(pick)
        ss_s.append(np.full(len(pick), n_out + j, dtype=np.int64))

    o_uscc = generate_usccs(n_out + len(ss), rng=rng,
                            region_codes=np.array([regions_out[i] for i in o_region] + ss_region))
    o_region_code = [regions_out[i] for i in o_region] + ss_region
    o_class = np.concatenate([o_cls, ss_cls])

    # combine: internal suppliers are 0..n-1, outside ones n + index
    supplier = np.where(sup >= 0, sup, n + out_sup)
    supplier = np.concatenate([supplier, *[n + x for x in ss_s]])
    buyer = np.concatenate([buyer, *ss_b])
    # drop self-links and duplicate pairs
    ok = supplier != buyer
    supplier, buyer = supplier[ok], buyer[ok]
    pair = supplier.astype(np.int64) * (n + 1) + buyer
    _, first = np.unique(pair, return_index=True)
    first.sort()
    supplier, buyer = supplier[first], buyer[first]
    rel = len(buyer)
    internal = supplier < n

    # --- yearly amounts -------------------------------------------------------------------------
    go = np.zeros((n, nyw))
    va = np.zeros((n, nyw))
    rev = np.zeros((n, nyw))
    go[panel.firm, panel.year_idx] = panel.cols["gross_output"]
    va[panel.firm, panel.year_idx] = panel.cols["value_added"]
    rev[panel.firm, panel.year_idx] = panel.cols["revenue"]
    purchases = np.maximum(go - va, 0.0) * cal.ratios.purchases_on_invoices.value
    weight = rng.gamma(1.2, 1.0, rel)
    rows_rel, rows_year = [], []
    for j in range(nyw):
        live = act[buyer, j] & np.where(internal, act[np.minimum(supplier, n - 1), j], True)
        idx = np.flatnonzero(live)
        rows_rel.append(idx)
        rows_year.append(np.full(len(idx), j, dtype=np.int64))
    rr = np.concatenate(rows_rel)
    ry = np.concatenate(rows_year)
    w = weight[rr] * np.exp(rng.normal(0.0, 0.15, len(rr)))
    key = buyer[rr] * nyw + ry
    tot = np.bincount(key, weights=w, minlength=n * nyw)
    amount = purchases[buyer[rr], ry] * w / tot[key]
    # a supplier cannot sell more than a share of its revenue on these links
    s_int = internal[rr]
    skey = np.where(s_int, supplier[rr] * nyw + ry, 0)
    sold = np.bincount(skey[s_int], weights=amount[s_int], minlength=n * nyw)
    cap = cal.ratios.supplier_capacity.value * rev.reshape(-1)
    factor = np.where(sold > cap, cap / np.maximum(sold, 1e-9), 1.0)
    amount = np.where(s_int, amount * factor[skey], amount)
    amount = np.round(amount, 2)
    pos = amount > 0
    rr, ry, amount = rr[pos], ry[pos], amount[pos]

    sup_r = supplier[rr]
    buy_r = buyer[rr]
    int_r = sup_r < n
    o_idx = np.where(int_r, 0, sup_r - n)
    all_uscc = pa.concat_arrays([uscc, pa.array(o_uscc, pa.string())])
    product = np.where(int_r, pop.cls[np.minimum(sup_r, n - 1)], o_class[o_idx])
    county_codes = list(geo.counties)
    sup_region = pa.concat_arrays([take_strings(county_codes, pop.county), pa.array(o_region_code, pa.string())])
    years = np.array(pop.years)
    table = pa.table({
        "supplier_uscc": all_uscc.take(pa.array(sup_r)),
        "buyer_uscc": uscc.take(pa.array(buy_r)),
        "year": int_array(years[ry]),
        "product_class": take_strings(list(cat.classes), product),
        "amount": float_array(amount),
        "supplier_region_code": sup_region.take(pa.array(sup_r)),
        "buyer_region_code": take_strings(county_codes, pop.county[buy_r]),
    }, schema=schema.arrow_schema(schema.LINKS))
    return table
