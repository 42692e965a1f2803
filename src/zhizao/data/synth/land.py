"""Industrial land parcels (工业用地): holders, tenants, dates, development progress, status.

Land per 规上 holder rises less than proportionally with value added and is scaled so that the
规上 亩均增加值 of the last year is the calibrated figure (亩均税收 follows from tax ÷ VA). 规下
firms: a calibrated share hold ≥3 亩 (the evaluation cut) — the largest 规下 firms, close to the
2,000万 line, growing, or fallen back from 规上 — on small plots scaled so that their 亩均税收 is
the published 规下 figure; some hold plots under 3 亩; the rest rent, some of them recorded as
tenants on another holder's parcel.

Recent parcels are projects at some stage; their dates and progress obey the idle-land rule of
《闲置土地处置办法》 (国土资源部令第53号; articles not checked against the text [U]), with the reference date the
last day of the last generated year:

* ``idle``: not started ≥ 1 year after the contractual start date, or started with developed
  share < 1/3 or invested share < 25 % and stopped for ≥ 1 year;
* ``supplied``: not started, contractual start less than a year ago (or still ahead);
* ``stopped``: work stopped less than a year ago (or production stopped: closed holders);
* ``approved``: approved but not supplied (批而未供), no holder yet.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhizao.data import schema
from zhizao.data.synth._util import (
    GroupedSampler,
    date_array,
    day,
    float_array,
    lpad_numbers,
    take_strings,
    year_start_days,
)
from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import Geography, IndustryCatalog
from zhizao.data.synth.panel import Panel
from zhizao.data.synth.population import CLOSED, OPERATING, Population
from zhizao.data.synth.traits import Traits

M2_PER_MU = 10_000.0 / 15.0
STAGES = ("supplied", "idle_unstarted", "under_construction", "idle_stalled", "stopped", "producing")
# status per kind of parcel row
S_APPROVED, S_SUPPLIED, S_UC, S_PRODUCING, S_STOPPED, S_IDLE, S_REDEVELOPING, S_REDEVELOPED, S_REVIVED = (
    schema.PARCEL_STATUS.index(s) for s in
    ("approved", "supplied", "under_construction", "producing", "stopped", "idle", "redeveloping",
     "redeveloped", "revived"))


def firm_land(pop: Population, tr: Traits, panel: Panel, cal: Calibration,
              rng: np.random.Generator) -> np.ndarray:
    """Land (亩) each enterprise holds; 0 = none."""
    n = pop.n
    lp = cal.land
    land = np.zeros(n)
    last_rows = panel.year_idx == tr.last[panel.firm]
    va_last = np.zeros(n)
    va_last[panel.firm[last_rows]] = panel.cols["value_added"][last_rows]
    active_last = pop.window(pop.active)[:, -1]

    above = tr.above_last
    holder = above & (rng.random(n) >= lp.above_scale_without_land.value)
    raw = np.maximum(va_last, 1e5) ** lp.above_scale_land_elasticity.value * np.exp(
        rng.normal(0.0, lp.above_scale_land_noise_sd.value, n))
    ref = holder & active_last & pop.registry[:, -1]
    if ref.any():
        scale = va_last[ref].sum() / cal.targets.va_per_mu.value / raw[ref].sum()
    else:
        scale = 1.0
    land[holder] = np.maximum(raw[holder] * scale, 0.3)

    # 规下 land. Own land of ≥ 3 亩 (the 亩均 evaluation cut) sits with the largest 规下 firms: close
    # to the 2,000万 line, growing (小升规 candidates) or just fallen back from 规上 (they keep their
    # plant); their plots are small (3–8 亩). Most 规下 firms rent (some recorded as tenants on a
    # holder's parcel) or hold a plot under 3 亩.
    below = ~above
    below_active = below & active_last
    share = cal.targets.below_scale_land_ge3_share.value
    cand = np.flatnonzero(below_active)
    k = int(round(share * len(cand)))
    mr = pop.window(pop.main_rev)
    prev = mr[np.arange(n), np.maximum(tr.last - 1, 0)]
    growth = np.where((tr.last > 0) & (prev > 0), np.log(np.maximum(tr.size_last, 1.0) / np.maximum(prev, 1.0)), 0.0)
    was_above = pop.registry_before | pop.registry[:, :-1].any(axis=1)
    ls = np.log(np.maximum(tr.size_last, 1e4))
    sel = lp.below_scale_land_selection.value
    key = (ls + sel["growth"] * np.clip(growth, -1.0, 1.0) + sel["was_above"] * was_above
           + rng.normal(0.0, sel["noise_sd"], n))
    ge3 = np.zeros(n, dtype=bool)
    ge3[cand[np.argsort(-key[cand], kind="stable")[:k]]] = True
    # closed 规下 firms: the same share, the larger ones
    gone = np.flatnonzero(below & ~active_last)
    ge3[gone[np.argsort(-key[gone], kind="stable")[:int(round(share * len(gone)))]]] = True
    # plot size above 3 亩 rises with the firm's size; the level is then scaled so that 规下 亩均税收
    # (taxes of the last year ÷ land, over the active 规下 firms holding ≥ 3 亩) is the calibrated
    # figure, as 规上 land is scaled to 亩均增加值
    med, sdv = lp.below_scale_land_over3.value
    lz = (ls - ls[ge3].mean()) / max(ls[ge3].std(), 1e-9) if ge3.any() else ls * 0
    eps = 0.5 * lz + np.sqrt(0.75) * rng.standard_normal(n)
    over = np.where(ge3, med * np.exp(sdv * eps), 0.0)
    tax_last = np.zeros(n)
    tax_last[panel.firm[last_rows]] = panel.cols["taxes"][last_rows]
    ev = ge3 & below_active
    lo_s, hi_s = lp.below_scale_land_scale_bounds.value
    if ev.any() and over[ev].sum() > 0:
        want = tax_last[ev].sum() / cal.targets.below_scale_tax_per_mu.value - 3.0 * ev.sum()
        s_over = float(np.clip(want / over[ev].sum(), lo_s, hi_s))
    else:
        s_over = 1.0
    land[ge3] = 3.0 + over[ge3] * s_over
    p_small = lp.below_scale_small_land_share.value / max(1 - share, 1e-9)
    small = below & ~ge3 & (rng.random(n) < p_small)
    land[small] = rng.uniform(0.3, 2.95, int(small.sum()))
    return np.round(land, 2)


def build_parcels(uscc: pa.Array, park: pa.Array, land: np.ndarray, pop: Population, tr: Traits,
                  geo: Geography, cat: IndustryCatalog, cal: Calibration,
                  rng: np.random.Generator) -> pa.Table:
    lp = cal.land
    y_last = pop.years[-1]
    ref = day(y_last, 12, 31)
    holders = np.flatnonzero(land > 0)
    nh = len(holders)
    above = tr.above_last[holders]
    pp = lp.parcels_per_holder.value
    u = rng.random(nh)
    nparc = 1 + (u < np.where(above, pp["above_second"], pp["below_second"])) + (above & (u < pp["above_third"]))
    new_firm = pop.reg_year[holders] >= y_last - 1
    ex = lp.expansion_share.value
    expansion = ~new_firm & (rng.random(nh) < np.where(above, ex["above"], ex["below"]))
    nparc = nparc + expansion
    # one row per parcel
    owner = np.repeat(np.arange(nh), nparc)
    pos = np.arange(len(owner)) - np.repeat(np.cumsum(nparc) - nparc, nparc)
    is_last = pos == nparc[owner] - 1
    project = (expansion[owner] & is_last) | new_firm[owner]
    w = rng.gamma(2.0, 1.0, len(owner)) * np.where(project & ~new_firm[owner], 0.6, 1.0)
    share = w / np.bincount(owner, weights=w)[owner]
    area = np.maximum(np.round(land[holders][owner] * share, 2), 0.01)
    # keep each holder's total exact after rounding: put the difference on its first parcel
    diff = np.round(land[holders] - np.bincount(owner, weights=area, minlength=nh), 2)
    first = pos == 0
    area[first] = np.maximum(np.round(area[first] + diff[owner[first]], 2), 0.01)
    firm = holders[owner]
    m = len(firm)

    # --- stage and status -------------------------------------------------------------------
    st = lp.project_stage.value
    probs = np.array([st[s] for s in STAGES])
    stage = np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(m), side="right").clip(0, 5)
    new_probs = np.array([0.45, 0.0, 0.45, 0.0, 0.0, 0.10])
    stage_new = np.searchsorted(np.cumsum(new_probs), rng.random(m), side="right").clip(0, 5)
    stage = np.where(new_firm[owner], stage_new, stage)
    status = np.full(m, S_PRODUCING, dtype=np.int64)
    U = rng.random((8, m))

    def span(i: int, lo: float, hi: float) -> np.ndarray:
        return (lo + U[i] * (hi - lo)).astype(np.int64)

    # old producing parcels (default)
    lo = np.maximum(pop.reg_day[firm] - 180, day(1993, 1, 1))
    hi = np.maximum(lo + 30, ref - 3 * 365)
    supplied = lo + (U[0] * (hi - lo)).astype(np.int64)
    c_start = supplied + span(1, 60, 270)
    c_prod = c_start + span(2, 365, 730)
    a_start = c_start + np.rint(rng.normal(20, 60, m)).astype(np.int64)
    a_start = np.maximum(a_start, supplied + 15)
    prod = a_start + span(3, 300, 800)
    late = np.maximum(prod - (ref - 30), 0)
    supplied, c_start, c_prod, a_start, prod = supplied - late, c_start - late, c_prod - late, a_start - late, prod - late
    stopped = np.full(m, -1, dtype=np.int64)
    developed = np.where(U[4] < 0.1, 0.85 + 0.15 * U[5], 1.0)
    invested = np.where(U[6] < 0.1, 0.8 + 0.2 * U[7], 1.0)

    # projects
    def setp(mask: np.ndarray, **vals: np.ndarray) -> None:
        for k, v in vals.items():
            arr = locals_[k]
            arr[mask] = v[mask] if isinstance(v, np.ndarray) else v

    locals_ = {"supplied": supplied, "c_start": c_start, "c_prod": c_prod, "a_start": a_start,
               "prod": prod, "stopped": stopped, "developed": developed, "invested": invested,
               "status": status}
    s_sup = ref - span(0, 30, 380)
    s_idle = ref - span(0, 760, 1400)
    s_uc = ref - span(0, 300, 1000)
    s_st = ref - span(0, 950, 1600)
    s_pr = ref - span(0, 760, 1300)
    for k, s_day in enumerate((s_sup, s_idle, s_uc, s_st, s_st, s_pr)):
        mk = project & (stage == k)
        cs = s_day + span(1, 90, 270)
        setp(mk, supplied=s_day, c_start=cs, c_prod=cs + span(2, 365, 730))
    never = np.full(m, -1, dtype=np.int64)
    # supplied, not started, not yet overdue
    mk = project & (stage == 0)
    setp(mk, a_start=never, prod=never, developed=np.zeros(m), invested=0.05 * U[3], status=np.full(m, S_SUPPLIED))
    # not started ≥ 1 year after the contractual start → idle
    mk = project & (stage == 1)
    setp(mk, a_start=never, prod=never, developed=np.zeros(m), invested=0.1 * U[3], status=np.full(m, S_IDLE))
    # under construction
    mk = project & (stage == 2)
    setp(mk, a_start=np.minimum(c_start + span(4, 0, 120), ref - 10), prod=never,
         developed=0.3 + 0.65 * U[5], invested=0.3 + 0.65 * U[6], status=np.full(m, S_UC))
    # started, < 1/3 developed or < 25 % invested, stopped ≥ 1 year → idle
    mk = project & (stage == 3)
    a = c_start + span(4, 0, 90)
    setp(mk, a_start=a, prod=never, stopped=np.minimum(a + span(5, 60, 300), ref - 400),
         developed=0.05 + 0.27 * U[6], invested=0.05 + 0.19 * U[7], status=np.full(m, S_IDLE))
    # stopped less than a year ago
    mk = project & (stage == 4)
    setp(mk, a_start=a, prod=never, stopped=ref - span(5, 10, 330),
         developed=0.1 + 0.5 * U[6], invested=0.1 + 0.5 * U[7], status=np.full(m, S_STOPPED))
    # finished and producing
    mk = project & (stage == 5)
    a5 = c_start + span(4, 0, 60)
    setp(mk, a_start=a5, prod=np.minimum(a5 + span(5, 300, 500), ref - 10), developed=np.ones(m),
         invested=np.ones(m), status=np.full(m, S_PRODUCING))

    # redevelopment of older producing parcels
    old = ~project
    rd = lp.redevelopment.value
    r = rng.random(m)
    redeveloping = old & (r < rd["redeveloping"])
    redeveloped = old & (r >= rd["redeveloping"]) & (r < rd["redeveloping"] + rd["redeveloped"])
    revived = old & (r >= rd["redeveloping"] + rd["redeveloped"]) & (r < sum(rd.values()))
    status[redeveloping] = S_REDEVELOPING
    status[redeveloped] = S_REDEVELOPED
    status[revived] = S_REVIVED
    # revived: production restarted in the last two years after a stop
    prod = np.where(revived, ref - span(6, 30, 700), prod)
    # closed or suspended holders: production stopped
    gone = (pop.status[firm] != OPERATING) & (status == S_PRODUCING) & old
    stop_day = np.where(pop.status[firm] == CLOSED,
                        year_start_days(np.minimum(pop.exit_year[firm], y_last + 1)) - span(7, 1, 180),
                        ref - span(7, 10, 300))
    stopped = np.where(gone, np.minimum(stop_day, ref), stopped)
    status[gone] = S_STOPPED

    approved = supplied - span(7, 30, 400)

    # --- floor-area ratio and use ----------------------------------------------------------------
    far_min = cat.div_param(cal.industry.far_minimum.value, 1.0)[pop.division[firm]]
    below_min = old & (rng.random(m) < lp.below_far_minimum_share.value)
    far = np.where(below_min, far_min * rng.uniform(0.45, 0.95, m), far_min * np.exp(np.abs(rng.normal(0.15, 0.25, m))))
    far = np.round(far, 2)
    lu = lp.land_use.value
    use_names = list(schema.LAND_USE)
    use_p = np.array([lu.get(x, 0.0) for x in use_names])
    use = np.searchsorted(np.cumsum(use_p / use_p.sum()), rng.random(m), side="right").clip(0, len(use_names) - 1)

    # --- approved but not supplied (批而未供): no holder yet -----------------------------------
    k = int(round(lp.approved_not_supplied.value * m))
    a_county = np.searchsorted(np.cumsum(geo.county_prob), rng.random(k), side="right").clip(0, geo.n - 1)
    a_area = np.round(np.exp(rng.normal(np.log(30.0), 0.8, k)), 2)
    a_far = np.round(rng.uniform(1.0, 2.0, k), 2)
    a_approved = ref - (rng.random(k) * 1500 + 100).astype(np.int64)

    # --- tenants ---------------------------------------------------------------------------------
    tenant_usccs = _tenants(uscc, land, pop, cal, firm, area, status, m, rng)

    county = np.concatenate([pop.county[firm], a_county])
    total = m + k
    none_k = np.full(k, -1, dtype=np.int64)

    def dates(x: np.ndarray, extra: np.ndarray = none_k) -> pa.Array:
        v = np.concatenate([x, extra])
        return date_array(np.maximum(v, 0), v < 0)

    order_ids = lpad_numbers(np.arange(1, total + 1), 7)
    pid = pc.binary_join_element_wise(pa.array(np.full(total, "SYN-")), take_strings(list(geo.counties), county),
                                      pa.array(np.full(total, "-")), order_ids, "")
    holder = pa.concat_arrays([uscc.take(pa.array(firm)), pa.nulls(k, pa.string())])
    parks = pa.concat_arrays([park.take(pa.array(firm)), pa.nulls(k, pa.string())])
    dev = np.concatenate([developed, np.zeros(k)])
    far_all = np.concatenate([far, a_far])
    area_all = np.concatenate([area, a_area])
    cols = {
        "parcel_id": pid,
        "holder_uscc": holder,
        "tenant_usccs": pa.concat_arrays([tenant_usccs, pa.nulls(k, pa.string())]),
        "region_code": take_strings(list(geo.counties), county),
        "park": parks,
        "area_mu": float_array(area_all),
        "floor_area_ratio": float_array(far_all),
        "building_area_m2": float_array(np.round(area_all * M2_PER_MU * far_all * dev, 1)),
        "land_use": take_strings(use_names, np.concatenate([use, np.zeros(k, dtype=np.int64)])),
        "approved_on": dates(approved, a_approved),
        "supplied_on": dates(supplied),
        "contract_start_date": dates(c_start),
        "contract_production_date": dates(c_prod),
        "actual_start_date": dates(a_start),
        "production_date": dates(prod),
        "developed_share": float_array(np.round(dev, 3)),
        "invested_share": float_array(np.round(np.concatenate([invested, np.zeros(k)]), 3)),
        "stopped_since": dates(stopped),
        "status": take_strings(list(schema.PARCEL_STATUS), np.concatenate([status, np.full(k, S_APPROVED)])),
    }
    return pa.table(cols, schema=schema.arrow_schema(schema.PARCELS))


def _tenants(uscc: pa.Array, land: np.ndarray, pop: Population, cal: Calibration, firm: np.ndarray,
             area: np.ndarray, status: np.ndarray, m: int, rng: np.random.Generator) -> pa.Array:
    """Semicolon-separated USCCs of land-less firms renting space on producing parcels."""
    n = pop.n
    active_any = pop.window(pop.active).any(axis=1)
    tenant = (land <= 0) & active_any & (rng.random(n) < cal.land.tenant_on_parcel_share.value)
    t_idx = np.flatnonzero(tenant)
    host_ok = (status == S_PRODUCING) & (area >= 8.0)
    hosts = np.flatnonzero(host_ok)
    if len(hosts) == 0 or len(t_idx) == 0:
        return pa.nulls(m, pa.string())
    sampler = GroupedSampler(pop.county[firm[hosts]], area[hosts])
    pick = sampler.sample(pop.county[t_idx], rng.random(len(t_idx)))
    ok = pick >= 0
    parcel = hosts[pick[ok]]
    who = t_idx[ok]
    order = np.argsort(parcel, kind="stable")
    parcel, who = parcel[order], who[order]
    counts = np.bincount(parcel, minlength=m)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), uscc.take(pa.array(who)))
    joined = pc.binary_join(lists, ";")
    return pc.if_else(pa.array(counts > 0), joined, pa.scalar(None, pa.string()))


def build_status_history(parcels: pa.Table, y_last: int, rng: np.random.Generator) -> pa.Table:
    """Dated status changes (地块状态变更) for the parcels on the redevelopment path.

    Derived from the parcels' current status and dates, the reference date being 31 December of
    ``y_last`` (all dates at or before it):

    * ``idle`` / ``stopped``: one row on the day it became so (``stopped_since``, else one year
      after the contractual start — the Order 53 idle date), then ``flagged`` 30–180 days later
      when that is still before the reference date;
    * ``redeveloping``: ``flagged`` then ``redeveloping`` 60–360 days later, the start within
      the last 600 days;
    * ``redeveloped``: ``flagged`` → ``redeveloping`` (120–540 days before completion) →
      ``redeveloped``, completed within the last 730 days (about half in the last year, so the
      demo's progress has something to count);
    * ``revived``: ``stopped`` 180–720 days before its production date, then ``revived`` on it.

    One rng stream of its own, so adding this table changed nothing else the generator draws.
    """
    ref = day(y_last, 12, 31)
    n = parcels.num_rows
    status = np.asarray(pc.fill_null(parcels.column("status"), "").to_numpy(zero_copy_only=False), dtype=object)

    def days(col: str) -> np.ndarray:
        a = parcels.column(col).cast(pa.int32()).to_numpy(zero_copy_only=False)
        return np.where(np.isnan(a.astype(float)), -1, a).astype(np.int64)

    stopped, c_start, prod = days("stopped_since"), days("contract_start_date"), days("production_date")
    U = rng.random((4, n))

    def between(i: int, lo: float, hi: float) -> np.ndarray:
        return (lo + U[i] * (hi - lo)).astype(np.int64)

    pieces: list[tuple[np.ndarray, np.ndarray, str]] = []   # (parcel rows, dates, status)

    def add(mask: np.ndarray, when: np.ndarray, st: str) -> None:
        ok = mask & (when >= 0) & (when <= ref)
        pieces.append((np.flatnonzero(ok), when[ok], st))

    for st in ("idle", "stopped"):
        m = status == st
        went = np.where(stopped >= 0, stopped, np.where(c_start >= 0, c_start + 365, -1))
        went = np.where(m & (went > ref), ref, went)
        add(m, went, st)
        add(m, went + between(0, 30, 180), "flagged")
    m = status == "redeveloping"
    start = ref - between(0, 30, 600)
    add(m, start, "redeveloping")
    add(m, start - between(1, 60, 360), "flagged")
    m = status == "redeveloped"
    done = ref - between(0, 0, 730)
    began = done - between(1, 120, 540)
    add(m, done, "redeveloped")
    add(m, began, "redeveloping")
    add(m, began - between(2, 60, 360), "flagged")
    m = status == "revived"
    revived = np.where(prod >= 0, prod, ref - between(0, 30, 700))
    add(m, revived, "revived")
    add(m, revived - between(3, 180, 720), "stopped")

    rows = np.concatenate([p[0] for p in pieces])
    when = np.concatenate([p[1] for p in pieces])
    labels = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(pieces)])
    order = np.lexsort((when, rows))
    rows, when, labels = rows[order], when[order], labels[order]
    names = [p[2] for p in pieces]
    return pa.table({
        "parcel_id": parcels.column("parcel_id").take(pa.array(rows)),
        "changed_on": date_array(when),
        "status": take_strings(names, labels),
        "note": pa.nulls(len(rows), pa.string()),
    }, schema=schema.arrow_schema(schema.PARCEL_STATUS_HISTORY))
