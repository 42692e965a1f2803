"""Evaluation (亩均效益综合评价): warehouse tables + a method → one row per enterprise and year.

Pure Ibis, one lazy expression; runs unchanged on DuckDB and PySpark. The steps, each with its
source in the method file:

1. **Land** (用地面积): a parcel counts unless it is under construction and its contractual
   production date (约定投产日期) is on or after the end of the evaluation year. Its area is split
   among its holder and its tenants (``land.tenant_allocation``: equal shares, or by employees).
   Own land = the held share; leased land = the shares of parcels rented.
2. **Units**: one enterprise, or (``land.combine_shared_parcels``) all occupants of a shared
   parcel together (unit ``P:<smallest shared parcel id>``, figures summed).
3. **Exemptions** (不参评): utilities (divisions 44–46), start-ups, land under construction, no land,
   an item with missing rule ``exclude`` (``no_data``).
4. **Segment**: 规上 registry flag → ``above_scale``; else own land ≥ ``land_threshold_mu`` →
   ``below_scale_large``; own land > 0 → ``below_scale_small``; only leased land → ``tenant``.
   (A combined unit is ``above_scale`` if any member is, and its whole area counts as own land.)
5. **Benchmarks** per county × segment: county average = Σ numerator ÷ Σ denominator over the graded
   units with data (a ratio of sums, as Huangyan computes it), county median, or fixed.
6. **Item scores**: x/b × w (reverse: (2 − x/b) × w, ≥ 0), capped at cap × w, floored; missing →
   segment average item score, zero, or excluded.
7. **Total** = Σ items + bonus − penalty; rank within county × segment (1 = best; ties share the
   better rank); class by quota (rank/ranked ≤ cumulative share) or score band (score ≥ band);
   a veto item sends the unit to its class.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from zhizao import sqlgen  # noqa: F401 - unfused SELECTs: each stage below is computed once
from zhizao.land.method import INDICATORS, LandMethod

_EPS = 1e-9
FIGURES = ("taxes", "value_added", "revenue", "main_revenue", "rd_expenditure", "energy_tce", "emissions_t",
           "electricity_kwh", "water_m3", "gas_m3")


def _cases(pairs, default=None):
    """CASE WHEN … over (condition, value) pairs; just the default when there are none."""
    pairs = list(pairs)
    if not pairs:
        return ibis.literal(default) if not isinstance(default, ir.Expr) else default
    return ibis.cases(*pairs, else_=default)


def _by_item(segs, indicator: str) -> list[tuple]:
    """The distinct item definitions of ``indicator`` with the segments using each (one CASE branch each)."""
    out: dict = {}
    for s, seg in segs.items():
        for it in seg.items:
            if it.id == indicator:
                out.setdefault(it.model_dump_json(), (it, []))[1].append(s)
    return list(out.values())


def _land(tables: dict, method: LandMethod, ind: ir.Table, year: int) -> ir.Table:
    """Per enterprise: own area, leased area, parcels under construction (and, when combining, the
    smallest shared parcel). Tenants come from an Ibis unnest of the split ``tenant_usccs`` list."""
    p = tables["parcels"]
    year_end = ibis.date(date(year, 12, 31))
    counts = ~((p.status == "under_construction") & p.contract_production_date.notnull()
               & (p.contract_production_date >= year_end))
    if not method.exemptions.under_construction:
        counts = ibis.literal(True)
    p = p.mutate(counts=counts)
    holders = p.filter(p.holder_uscc.notnull()).select(
        "parcel_id", "area_mu", "counts", uscc=p.holder_uscc, is_holder=ibis.literal(True))
    t = p.filter(p.tenant_usccs.notnull() & (p.tenant_usccs.strip() != ""))
    t = t.select("parcel_id", "area_mu", "counts", tenant=t.tenant_usccs.split(";").unnest())
    tenants = t.select("parcel_id", "area_mu", "counts", uscc=t.tenant.strip(), is_holder=ibis.literal(False))
    occ = holders.union(tenants)
    occ = occ.filter(occ.uscc != "")
    w = ibis.window(group_by="parcel_id")
    if method.land.tenant_allocation == "employees":
        emp = ind.select("uscc", emp=ind.employees.cast("float64"))
        occ = occ.left_join(emp, "uscc").drop("uscc_right")
        e = occ.emp.fill_null(0)
        tot = e.sum().over(w)
        occ = occ.mutate(e=e, tot=tot, n_occ=occ.count().over(w))  # one window pass
        a = (occ.tot > 0).ifelse(occ.area_mu * occ.e / occ.tot.nullif(0.0), occ.area_mu / occ.n_occ.cast("float64"))
    else:
        occ = occ.mutate(n_occ=occ.count().over(w))  # one window, used below (not inlined twice)
        a = occ.area_mu / occ.n_occ.cast("float64")
    shared = (occ.n_occ > 1) & occ.counts
    extra = {"shared_parcel": shared.ifelse(occ.parcel_id, ibis.null("string")).min()} \
        if method.land.combine_shared_parcels else {}
    return occ.group_by("uscc").aggregate(
        own_area=(occ.counts & occ.is_holder).ifelse(a, 0.0).sum(),
        leased_area=(occ.counts & ~occ.is_holder).ifelse(a, 0.0).sum(),
        uc_parcels=(~occ.counts & occ.is_holder).cast("int64").sum(),
        **extra,
    )


def _base(tables: dict, method: LandMethod, year: int) -> ir.Table:
    ent, ind = tables["enterprises"], tables["indicators"]
    ind = ind.filter(ind.year == year)
    land = _land(tables, method, ind, year)
    flags = sorted({a.flag for a in method.adjustments})
    e = ent.select("uscc", "name", "region_code", "park", "industry_code", "registered_on", *flags)
    b = ind.select("uscc", "above_scale", "employees", *FIGURES).join(e, "uscc")
    b = b.left_join(land, "uscc").drop("uscc_right")
    division = b.industry_code.substr(0, 2)
    ex = method.exemptions
    reasons = [(division.isin(ex.utility_divisions), "utility")] if ex.utility_divisions else []
    if ex.startup_years:
        reasons.append((b.registered_on.notnull() & (year - b.registered_on.year() < ex.startup_years), "startup"))
    return b.mutate(
        division=division,
        own_area=b.own_area.fill_null(0.0), leased_area=b.leased_area.fill_null(0.0),
        uc_parcels=b.uc_parcels.fill_null(0),
        member_exempt=_cases(reasons, ibis.null("string")),
    )


def _units(b: ir.Table, method: LandMethod) -> ir.Table:
    """Combine the occupants of shared parcels into one unit (when the method says so)."""
    flags = sorted({a.flag for a in method.adjustments})
    if not method.land.combine_shared_parcels:
        return b.mutate(unit_id=b.uscc, n_members=ibis.literal(1, "int64"), is_rep=ibis.literal(True),
                        above=b.above_scale.fill_null(False), area_mu=b.own_area + b.leased_area,
                        shared=ibis.literal(False))
    unit_id = (b.shared_parcel.notnull() & b.member_exempt.isnull()).ifelse("P:" + b.shared_parcel, b.uscc)
    b = b.mutate(unit_id=unit_id)
    agg = b.group_by("unit_id").aggregate(
        **{f: b[f].sum() for f in FIGURES},
        employees_u=b.employees.sum(),
        above=b.above_scale.fill_null(False).any(),
        own_u=b.own_area.sum(), leased_u=b.leased_area.sum(), uc_u=b.uc_parcels.sum(),
        n_members=b.uscc.count(),
        region_u=b.region_code.min(), first_uscc=b.uscc.min(),
        **{f"{f}_u": b[f].fill_null(False).any() for f in flags},
    )
    keep = b.drop(*FIGURES, "employees", *flags)
    j = keep.join(agg, "unit_id")
    shared = j.unit_id.startswith("P:")
    j = j.mutate(
        employees=j.employees_u, uc_parcels=j.uc_u, shared=shared,
        own_area=shared.ifelse(j.own_u + j.leased_u, j.own_u), leased_area=shared.ifelse(0.0, j.leased_u),
        area_mu=j.own_u + j.leased_u, rank_region=j.region_u,
        is_rep=j.uscc == j.first_uscc,
        **{f: j[f"{f}_u"] for f in flags},
    )
    return j


def evaluate(tables: dict, method: LandMethod, *, year: int) -> ir.Table:
    """The evaluation table for ``year`` (one row per enterprise with indicators that year).

    Columns: see docs/land.md and the contract — year, uscc, name, unit_id, region_code, park,
    division, industry_code, segment, area_mu and the figures, total_score, rank, rank_of,
    percentile, land_class, graded, exempt_reason, flags, and ``<id>_value``, ``<id>_benchmark``,
    ``<id>_score`` for the eight standard indicators (plus any other the method uses).
    """
    if not method.covers(year):
        raise ValueError(f"method {method.id} is valid {method.valid_from}–{method.valid_to or '…'}, not for {year}")
    segs = method.segments
    b = _base(tables, method, year)
    u = _units(b, method)
    if "rank_region" not in u.columns:
        u = u.mutate(rank_region=u.region_code, employees_f=u.employees.cast("float64"))
    else:
        u = u.mutate(employees_f=u.employees.cast("float64"))

    # segment and land-based exemptions
    seg_raw = _cases([(u.above, "above_scale"), (u.own_area >= method.land_threshold_mu, "below_scale_large"),
                      (u.own_area > 0, "below_scale_small")], "tenant")
    reason = _cases([
        (u.member_exempt.notnull(), u.member_exempt),
        ((u.area_mu <= 0) & (u.uc_parcels > 0), "under_construction"),
        (u.area_mu <= 0, "no_land"),
        (~seg_raw.isin(list(segs)), "not_in_scope"),
    ], ibis.null("string"))
    u = u.mutate(seg_raw=seg_raw, reason0=reason)

    # indicator values (null = missing: no numerator, or a zero / missing denominator)
    ids = method.indicator_ids
    vals = {}
    for i in ids:
        d = INDICATORS[i]
        num = u[d.numerator]
        den = u.employees_f if d.denominator == "employees" else u[d.denominator]
        ok = num.notnull() & den.notnull() & (den > 0)
        vals[f"{i}_value"] = ok.ifelse(num / den.nullif(0), ibis.null("float64"))
    u = u.mutate(**vals)

    def in_seg(i, pred=lambda it: True):
        return [s for s, seg in segs.items() for it in seg.items if it.id == i and pred(it)]

    excl = [u.seg_raw.isin(in_seg(i, lambda it: it.missing == "exclude")) & u[f"{i}_value"].isnull() for i in ids
            if in_seg(i, lambda it: it.missing == "exclude")]
    no_data = ibis.literal(False)
    for c in excl:
        no_data = no_data | c
    reason = u.reason0.isnull().ifelse(no_data.ifelse("no_data", ibis.null("string")), u.reason0)
    # one projection (each mutate is a SELECT layer Ibis must merge when compiling)
    u = u.mutate(exempt_reason=reason, graded=reason.isnull(), segment=reason.isnull().ifelse(u.seg_raw, "exempt"))

    # benchmarks per county × segment (graded units with data only)
    need_avg = [i for i in ids if in_seg(i, lambda it: it.benchmark.kind == "county_average")]
    need_med = [i for i in ids if in_seg(i, lambda it: it.benchmark.kind == "county_median")]
    keys = ["rank_region", "segment"]
    if need_avg or need_med:
        aggs = {}
        for i in need_avg:
            ok = u[f"{i}_value"].notnull()
            d = INDICATORS[i]
            num = u[d.numerator]
            den = (u.employees_f if d.denominator == "employees" else u[d.denominator]).cast("float64")
            aggs[f"{i}__avg"] = ok.ifelse(num, 0.0).sum() / ok.ifelse(den, 0.0).sum().nullif(0.0)
        for i in need_med:
            aggs[f"{i}__med"] = u[f"{i}_value"].median()
        bm = u.filter(u.graded & u.is_rep).group_by(keys).aggregate(**aggs)
        u = u.left_join(bm, keys).drop(*[f"{k}_right" for k in keys])

    # item scores
    flag_parts = []
    cols = {}
    for i in ids:
        x = u[f"{i}_value"]
        bench_pairs = []
        for it, seg_ids in _by_item(segs, i):
            if it.benchmark.kind == "fixed":
                bv = ibis.literal(it.benchmark_value, "float64")
            elif it.benchmark.kind == "county_average":
                bv = u[f"{i}__avg"]
            else:
                bv = u[f"{i}__med"]
            bench_pairs.append((u.segment.isin(seg_ids), bv))
        bench = _cases(bench_pairs, ibis.null("float64"))
        cols[f"{i}_benchmark"] = bench
    u = u.mutate(**cols)
    # raw score, cap and floor once per item (each is used several times below: keep them columns)
    cols = {}
    for i in ids:
        x, bench = u[f"{i}_value"], u[f"{i}_benchmark"]
        raw_pairs, cap_pairs, floor_pairs = [], [], []
        for it, seg_ids in _by_item(segs, i):
            r = x / bench.nullif(0.0)
            raw = (r * it.weight) if it.direction == "higher_is_better" else ibis.greatest((2.0 - r) * it.weight, 0.0)
            cond = u.segment.isin(seg_ids)
            raw_pairs.append((cond, raw))
            cap_pairs.append((cond, ibis.literal(it.cap * it.weight if it.cap else None, "float64")))
            floor_pairs.append((cond, ibis.literal(it.floor, "float64")))
        cols[f"{i}__raw"] = _cases(raw_pairs, ibis.null("float64"))
        cols[f"{i}__cap"] = _cases(cap_pairs, ibis.null("float64"))
        cols[f"{i}__flo"] = _cases(floor_pairs, ibis.null("float64"))
        cols[f"{i}__in"] = u.segment.isin(in_seg(i))
    u = u.mutate(**cols)
    cols = {}
    for i in ids:
        x, bench = u[f"{i}_value"], u[f"{i}_benchmark"]
        raw, cap, flo = u[f"{i}__raw"], u[f"{i}__cap"], u[f"{i}__flo"]
        capped = cap.notnull() & (raw > cap)
        floored = raw < flo
        cols[f"{i}__capped"] = capped.fill_null(False)
        cols[f"{i}__floored"] = floored.fill_null(False)
        cols[f"{i}__s"] = capped.ifelse(cap, floored.ifelse(flo, raw))
        cols[f"{i}__nobench"] = u[f"{i}__in"] & x.notnull() & (bench.isnull() | (bench <= 0))
        cols[f"{i}__miss"] = u[f"{i}__in"] & x.isnull()
    u = u.mutate(**cols)

    # missing data: segment average item score (over units with data) or zero
    avg_ids = [i for i in ids if in_seg(i, lambda it: it.missing == "segment_average_score")]
    if avg_ids:
        sa = u.filter(u.graded & u.is_rep).group_by(keys).aggregate(
            **{f"{i}__segavg": u[f"{i}__s"].mean() for i in avg_ids})
        u = u.left_join(sa, keys).drop(*[f"{k}_right" for k in keys])
    cols = {}
    for i in ids:
        miss = u[f"{i}__miss"]
        avg_segs = in_seg(i, lambda it: it.missing == "segment_average_score")
        use_avg = (miss & u.segment.isin(avg_segs)) if avg_segs else None
        s = u[f"{i}__s"]
        score = _cases([(~u[f"{i}__in"], ibis.null("float64"))]
                       + ([(use_avg, u[f"{i}__segavg"])] if avg_segs else [])
                       + [(miss | u[f"{i}__nobench"], 0.0)], s)
        cols[f"{i}_score"] = score
        # flag pieces whose condition is false by construction are left out (same text)
        if avg_segs:
            cols[f"{i}__useavg"] = use_avg
            flag_parts += [(f"{i}__useavg", f"missing_{i}_avg_score"),
                           (lambda t, i=i: t[f"{i}__miss"] & ~t[f"{i}__useavg"], f"missing_{i}_zero")]
        else:
            flag_parts.append((f"{i}__miss", f"missing_{i}_zero"))
        flag_parts += [
            (f"{i}__nobench", f"no_benchmark:{i}"),
            (lambda t, i=i: ~t[f"{i}__miss"] & t[f"{i}__capped"], f"capped:{i}"),
            (lambda t, i=i: ~t[f"{i}__miss"] & t[f"{i}__floored"], f"floored:{i}"),
        ]
    u = u.mutate(**cols)

    # total with bonus / penalty; vetoes
    total = ibis.literal(0.0)
    for i in ids:
        total = total + u[f"{i}_score"].fill_null(0.0)
    veto_pairs = []
    for a in method.adjustments:
        hit = u[a.flag].fill_null(False)
        if a.kind == "bonus":
            total = total + hit.ifelse(a.points, 0.0)
            flag_parts.append((hit & u.graded, f"bonus:{a.id}"))
        elif a.kind == "penalty":
            total = total - hit.ifelse(a.points, 0.0)
            flag_parts.append((hit & u.graded, f"penalty:{a.id}"))
        else:
            veto_pairs.append((hit, a.to_class))
            flag_parts.append((hit & u.graded, f"veto:{a.id}"))
    flag_parts.append((u.shared, "shared_parcel"))
    flag_parts.append((u.graded & (u.leased_area > 0), "leased_area_allocated"))
    u = u.mutate(total_score=u.graded.ifelse(total, ibis.null("float64")),
                 veto_class=_cases(veto_pairs, ibis.null("string")))

    # narrow first: only the output columns travel on (the rank window then sorts a narrow table)
    def _cond(c):
        return u[c] if isinstance(c, str) else c(u) if callable(c) else c

    flags = ibis.literal(";").join([_cond(cond).ifelse(code, ibis.null("string")) for cond, code in flag_parts])
    g = u.graded
    out = {
        "year": ibis.literal(year, "int64"), "uscc": u.uscc, "name": u.name, "unit_id": u.unit_id,
        "region_code": u.region_code, "park": u.park, "division": u.division, "industry_code": u.industry_code,
        "segment": u.segment, "area_mu": u.area_mu.cast("float64"),
        "taxes": u.taxes, "value_added": u.value_added, "revenue": u.revenue, "main_revenue": u.main_revenue,
        "employees": u.employees.cast("int64"), "energy_tce": u.energy_tce, "emissions_t": u.emissions_t,
        "electricity_kwh": u.electricity_kwh, "water_m3": u.water_m3, "gas_m3": u.gas_m3,
        "total_score": u.total_score,
    }
    tail = {"graded": g, "exempt_reason": u.exempt_reason, "flags": flags}
    inds = {}
    for i in method.output_indicator_ids:
        for suf in ("value", "benchmark", "score"):
            col = f"{i}_{suf}"
            if i in ids:
                v = u[col] if suf == "score" else u[f"{i}__in"].ifelse(u[col], ibis.null("float64"))
                inds[col] = g.ifelse(v, ibis.null("float64")).cast("float64")
            else:
                inds[col] = ibis.null("float64")
    v = u.select(**out, **tail, **inds, _zz_region=u.rank_region, _zz_veto=u.veto_class, _zz_rep=u.is_rep)

    # rank and class within county × segment (units, not member rows, when parcels are combined)
    rkeys = ["_zz_region", "segment"]
    w = ibis.window(group_by=rkeys, order_by=ibis.desc("total_score"))
    wn = ibis.window(group_by=rkeys)
    reps = v.filter(v._zz_rep) if method.land.combine_shared_parcels else v
    reps = reps.select("unit_id", *rkeys, "total_score")
    reps = reps.select("unit_id", _zz_rank=ibis.rank().over(w) + 1, _zz_n=reps.count().over(wn))
    v = v.join(reps, "unit_id")
    pct = v._zz_rank.cast("float64") / v._zz_n.cast("float64")
    class_pairs = []
    by_classing: dict = {}
    for s, seg in segs.items():
        by_classing.setdefault(seg.classing.model_dump_json(), (seg.classing, []))[1].append(s)
    for c, seg_ids in by_classing.values():
        if c.kind == "quota":
            cum, pairs = 0.0, []
            for code, share in c.shares.items():
                cum += share
                pairs.append((pct <= cum + _EPS, code))
            cls = _cases(pairs[:-1], pairs[-1][1])
        else:
            items = list(c.bands.items())
            cls = _cases([(v.total_score >= b - _EPS, code) for code, b in items[:-1]], items[-1][0])
        class_pairs.append((v.segment.isin(seg_ids), cls))
    land_class = v._zz_veto.coalesce(_cases(class_pairs, ibis.null("string")))
    g = v.graded
    ranks = {
        "rank": g.ifelse(v._zz_rank.cast("int64"), ibis.null("int64")),
        "rank_of": g.ifelse(v._zz_n.cast("int64"), ibis.null("int64")),
        "percentile": g.ifelse(pct, ibis.null("float64")),
        "land_class": g.ifelse(land_class, ibis.null("string")),
    }
    return v.select(*out, *tail, *inds, **ranks).select(*out, *ranks, *tail, *inds)


def evaluate_years(tables: dict, method: LandMethod, *, years) -> ir.Table:
    """The evaluation tables of several years, stacked (for consecutive-years rules)."""
    parts = [evaluate(tables, method, year=int(y)) for y in years]
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out
