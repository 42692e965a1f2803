"""The enterprise population: where firms are, what they make, how big they are, over time.

Size is drawn by rank: a latent score (industry shift + noise) is ranked and mapped through the
calibrated quantile function of main-business revenue in the last generated year, so the share of
firms above 2,000万 and the shape of the tail are what the calibration says, for any seed.
Earlier years follow backwards from there with a division trend and an AR(1) firm effect, so
some firms cross the 规上 line (小升规) and others fall back. The 规上 registry flag follows the
prior year's main revenue with the NBS annual revision ([U]: NBS practice, not confirmed in an official text), with a lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhizao.data.synth._util import GroupedSampler, categorical_rows, day, rank_uniform, year_start_days
from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import Geography, IndustryCatalog

OPERATING, CLOSED, SUSPENDED = 0, 1, 2
NEVER = 9999
# the largest firms placed one by one (division, prefecture): a share of all firms, at least a few
GIANTS_PER_FIRM = 0.001
GIANTS_MIN = 10


@dataclass
class Population:
    n: int
    years: tuple[int, ...]        # generated years
    all_years: tuple[int, ...]    # two hidden prior years + generated years
    county: np.ndarray
    division: np.ndarray
    cls: np.ndarray
    cluster: np.ndarray           # index into cal.clusters, -1 = none
    reg_day: np.ndarray
    reg_year: np.ndarray
    exit_year: np.ndarray         # first year without indicators (NEVER = still reporting)
    status: np.ndarray
    z: np.ndarray                 # latent size score
    main_rev: np.ndarray          # (n, len(all_years)); 0 where inactive
    active: np.ndarray            # (n, len(all_years))
    registry: np.ndarray          # (n, len(years)) 规上 registry flag
    registry_before: np.ndarray   # on the registry in the year before the window
    above_since: np.ndarray       # days, -1 = never

    @property
    def hidden(self) -> int:
        return len(self.all_years) - len(self.years)

    def window(self, a: np.ndarray) -> np.ndarray:
        return a[:, self.hidden:]


def revenue_quantile(p: np.ndarray, cal: Calibration, vmax: float, alpha: float) -> np.ndarray:
    """Main-business revenue at probability ``p`` of the calibrated size distribution.

    Log-linear between the ``size.revenue_quantiles`` knots; above the last knot (10亿) a Pareto
    tail of index ``alpha``, softly capped at ``vmax``.
    """
    knots = cal.size.revenue_quantiles.value
    ps = np.array([k[0] for k in knots])
    lv = np.log(np.array([k[1] for k in knots]))
    p_last, v_last = ps[-1], np.exp(lv[-1])
    body = np.exp(np.interp(np.minimum(p, p_last), ps, lv))
    tail = _pareto_tail(p, p_last, v_last, vmax, alpha)
    return np.where(p > p_last, tail, body)


def _pareto_tail(p: np.ndarray, p_last: float, v_last: float, vmax: float, alpha: float) -> np.ndarray:
    tail = v_last * ((1.0 - p_last) / np.maximum(1.0 - p, 1e-12)) ** (1.0 / alpha)
    tail = vmax * np.tanh(tail / vmax)  # soft cap: no single firm dominates a small province
    return np.maximum(tail, v_last)


def tail_index_for(p: np.ndarray, cal: Calibration, vmax: float) -> float:
    """The Pareto index at which firms above 10亿 hold ``size.tail_revenue_share`` of 规上 revenue.

    ``p`` are the firms' probabilities (a fixed grid: :func:`rank_uniform`), so the answer depends
    on the number of firms only. A sample of n firms reaches up to p = 1 − 0.5/n: with a fixed
    index the largest firms, and the tail's share of revenue, grow with the province (at α = 1.25
    the share rose from 0.47 at 50,000 firms to 0.52 at 1,000,000, the 规上 mean revenue from 1.9亿
    to 2.1亿). Solving the index per province size keeps the share, and with it the mean revenue
    and land per holder, the same at any size. Bisection in log α within ``size.tail_index``
    bounds (the lower bound where the cap leaves the share out of reach, as in a small province).
    """
    knots = cal.size.revenue_quantiles.value
    p_last, v_last = knots[-1][0], float(knots[-1][1])
    lo, hi = cal.size.tail_index.value
    threshold = cal.size.above_scale_threshold.value
    pt = p[p > p_last]
    pb = p[(p <= p_last) & (p >= _p_at(cal, threshold))]
    if len(pt) == 0 or len(pb) == 0:
        return float(lo)
    body = float(revenue_quantile(pb, cal, vmax, lo).sum())
    share = cal.size.tail_revenue_share.value
    want = share / (1.0 - share) * body  # tail revenue so that tail ÷ (tail + body) = share

    def tail_sum(a: float) -> float:
        return float(_pareto_tail(pt, p_last, v_last, vmax, a).sum())

    if tail_sum(lo) <= want:
        return float(lo)
    if tail_sum(hi) >= want:
        return float(hi)
    a, b = np.log(lo), np.log(hi)
    for _ in range(50):  # the tail sum falls as α rises
        mid = 0.5 * (a + b)
        if tail_sum(float(np.exp(mid))) > want:
            a = mid
        else:
            b = mid
    return float(np.exp(0.5 * (a + b)))


def build_population(n: int, years: tuple[int, ...], geo: Geography, cat: IndustryCatalog,
                     cal: Calibration, rng: np.random.Generator) -> Population:
    dyn = cal.dynamics
    threshold = cal.size.above_scale_threshold.value
    y0, y_last = years[0], years[-1]
    all_years = (y0 - 2, y0 - 1, *years)
    ny = len(all_years)

    # --- what: division (provincial mix), then class --------------------------------------------
    division = np.searchsorted(np.cumsum(cat.division_weight), rng.random(n) * cat.division_weight.sum(),
                               side="right").clip(0, len(cat.divisions) - 1)

    # --- when: registration ---------------------------------------------------------------------
    share_new = dyn.new_firm_share_per_year.value
    u = rng.random(n)
    reg_year = y0 - 1 - np.floor(rng.exponential(dyn.firm_age_mean.value, n)).astype(np.int64)
    reg_year = np.maximum(reg_year, 1980)
    for j, y in enumerate(years):
        reg_year[(u >= j * share_new) & (u < (j + 1) * share_new)] = y
    new_in_window = reg_year >= y0

    # --- how big: latent score → rank → calibrated quantile (last year) -------------------------
    shift = cat.div_param(cal.industry.size_shift.value)
    z = shift[division] + rng.standard_normal(n) + dyn.new_firm_size_shift.value * new_in_window
    p = rank_uniform(z)
    p_thr = _p_at(cal, threshold)
    expected_above_total = n * (1 - p_thr) * cal.targets.above_scale_mean_revenue.value
    vmax = min(cal.size.max_revenue.value, cal.size.max_revenue_share.value * expected_above_total)
    r_ref = revenue_quantile(p, cal, vmax, tail_index_for(p, cal, vmax))

    # --- the largest firms (≈1 in 1,000, so the same slice of the size distribution at any
    # province size) go one by one to the division furthest below its calibrated share of 规上
    # revenue, so the leading industries lead for any seed (the latent shifts alone leave that to
    # a handful of giants)
    targets = cal.industry.revenue_share.value
    top = min(n, max(GIANTS_MIN, int(round(GIANTS_PER_FIRM * n))))
    if targets and n:
        order = np.argsort(-r_ref, kind="stable")
        big = order[:top]
        above_ref = r_ref >= threshold
        total = r_ref[above_ref].sum()
        tgt = np.array([targets.get(d, np.nan) for d in cat.divisions])
        rest = np.zeros(n, dtype=bool)
        rest[order[top:]] = True
        cur = np.bincount(division[rest & above_ref], weights=r_ref[rest & above_ref], minlength=len(tgt))
        deficit = np.where(np.isnan(tgt), -np.inf, np.nan_to_num(tgt) * total - cur)
        for i in big:
            d = int(np.argmax(deficit))
            division[i] = d
            deficit[d] -= r_ref[i]

    # --- where: prefecture by systematic sampling along cumulative revenue (so each prefecture's
    # share of output is close to its calibrated share for any seed), county within prefecture
    # by county weight × a county-specific industry mix -----------------------------------------
    pref_share = geo.prefecture_share
    order = np.argsort(-r_ref, kind="stable")
    pos = np.cumsum(r_ref[order]) - 0.5 * r_ref[order]
    stripe = pos[-1] / 40.0 if n else 1.0
    frac = np.mod(pos / stripe + rng.random(), 1.0)
    # the largest firms go one by one to the prefecture furthest below its share; the rest are
    # laid along the adjusted shares
    pref = np.empty(n, dtype=np.int64)
    held = np.zeros(len(pref_share))
    total = pos[-1] + 0.5 * r_ref[order[-1]] if n else 0.0
    for i in order[:top]:
        k = int(np.argmax(pref_share * total - held))
        pref[i] = k
        held[k] += r_ref[i]
    rest_share = np.maximum(pref_share * total - held, 0.0)
    rest_share = rest_share / rest_share.sum() if rest_share.sum() > 0 else pref_share
    pref[order[top:]] = np.minimum(np.searchsorted(np.cumsum(rest_share), frac[top:], side="right"),
                                   len(pref_share) - 1)
    noise = np.exp(rng.normal(0.0, cal.geography.county_division_noise_sd.value, (geo.n, len(cat.divisions))))
    cw = geo.county_prob[:, None] * noise                                  # county × division
    in_pref = geo.prefecture_of_county[None, :] == np.arange(len(geo.prefectures))[:, None]
    rows = (in_pref[:, None, :] * cw.T[None, :, :]).reshape(-1, geo.n)   # (pref × division) × county
    rows = rows / np.maximum(rows.sum(axis=1, keepdims=True), 1e-300)
    county = categorical_rows(rng.random(n), np.cumsum(rows, axis=1), pref * len(cat.divisions) + division)

    # the largest firms of other industries stay out of cluster counties (a county's cluster
    # should not be swamped by one unrelated giant)
    cl_county = np.full(geo.n, False)
    cl_divs = [set() for _ in range(geo.n)]
    for cl in cal.clusters:
        if cl.county in geo.counties:
            k = geo.counties.index(cl.county)
            cl_county[k] = True
            if cl.size_bias >= 1.0:  # clusters of big plants (refineries, fibre) keep their giants
                cl_divs[k].update(cat.class_division[cat.class_index(c)] for c in cl.classes)
    allowed = np.zeros((geo.n, len(cat.divisions)), dtype=bool)
    for k in range(geo.n):
        allowed[k, list(cl_divs[k])] = True
    giant = r_ref >= np.quantile(r_ref, 0.995) if n else np.zeros(0, bool)
    huge = r_ref >= np.quantile(r_ref, 0.999) if n else np.zeros(0, bool)
    move = (giant & cl_county[county] & ~allowed[county, division]) | (huge & cl_county[county])
    if move.any():
        alt = rows.reshape(len(geo.prefectures), len(cat.divisions), geo.n).sum(axis=1) * ~cl_county[None, :]
        alt = alt / np.maximum(alt.sum(axis=1, keepdims=True), 1e-300)
        ok = alt.sum(axis=1) > 0
        mv = np.flatnonzero(move & ok[pref])
        county[mv] = categorical_rows(rng.random(len(mv)), np.cumsum(alt, axis=1), pref[mv])

    # contiguous county blocks
    perm = np.argsort(county, kind="stable")
    county, division, reg_year, z, r_ref = county[perm], division[perm], reg_year[perm], z[perm], r_ref[perm]
    counts = np.bincount(county, minlength=geo.n)
    reg_day = year_start_days(reg_year) + rng.integers(0, 365, n)
    sampler = GroupedSampler(cat.class_division, cat.class_weight)
    cls = sampler.sample(division, rng.random(n))

    # --- exits and suspensions ----------------------------------------------------------------
    exit_year = np.full(n, NEVER, dtype=np.int64)
    status = np.full(n, OPERATING, dtype=np.int8)
    k_exit = int(round(dyn.exit_share_per_year.value * n))
    for y in years[:-1]:
        cand = np.flatnonzero((reg_year <= y) & (exit_year == NEVER) & (reg_year < y))
        if len(cand) == 0 or k_exit == 0:
            continue
        key = -0.6 * z[cand] + rng.gumbel(0.0, 1.0, len(cand))
        pick = cand[np.argsort(-key, kind="stable")[:k_exit]]
        exit_year[pick] = y + 1
        status[pick] = CLOSED
    cand = np.flatnonzero((reg_year < y_last) & (exit_year == NEVER))
    k_susp = int(round(dyn.suspended_share.value * n)) if len(years) > 1 else 0
    if k_susp and len(cand):
        key = -0.6 * z[cand] + rng.gumbel(0.0, 1.0, len(cand))
        pick = cand[np.argsort(-key, kind="stable")[:k_susp]]
        exit_year[pick] = y_last
        status[pick] = SUSPENDED

    # --- clusters: re-assign classes in cluster counties, on the last year's revenue (firms that
    # closed or are suspended count for nothing, those registered that year pro rata) ------------
    part = np.clip((year_start_days(reg_year + 1) - reg_day) / 365.0, 0.05, 1.0)
    r_now = r_ref * (exit_year == NEVER) * np.where(reg_year == y_last, part, 1.0)
    cluster = np.full(n, -1, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for ci, cl in enumerate(cal.clusters):
        if cl.county not in geo.counties:
            continue
        k = geo.counties.index(cl.county)
        a, b = starts[k], starts[k + 1]
        if b <= a:
            continue
        k_cls = np.array([cat.class_index(c) for c in cl.classes])
        seg = slice(a, b)
        r = r_now[seg]
        above = r >= threshold
        in_k = np.isin(cls[seg], k_cls)
        needed = cl.output_share * r[above].sum() - r[above & in_k].sum()
        if needed > 0:
            cap = needed * (0.6 if cl.size_bias > 0 else 0.4)
            cand = np.flatnonzero(above & ~in_k & (cluster[seg] < 0) & (r <= cap))
            key = cl.size_bias * np.log(r[cand]) + rng.gumbel(0.0, 1.0, len(cand))
            cand = cand[np.argsort(-key, kind="stable")]
            after = np.cumsum(r[cand])
            take = after <= needed
            rest = cand[~take]
            if len(rest):  # top up with the one firm that best fills the remaining gap
                gap = needed - (after[take][-1] if take.any() else 0.0)
                best = int(np.argmin(np.abs(gap - r[rest])))
                if abs(gap - r[rest][best]) < gap:
                    take[np.flatnonzero(~take)[best]] = True
            pick = cand[take]
            cls[a + pick] = k_cls[rng.integers(0, len(k_cls), len(pick))]
            cluster[a + pick] = ci
        small = np.flatnonzero((r_ref[seg] < 0.6 * threshold) & (cluster[seg] < 0))
        pick = small[rng.random(len(small)) < cl.small_firm_share]
        cls[a + pick] = k_cls[rng.integers(0, len(k_cls), len(pick))]
        cluster[a + pick] = ci
        cluster[a + np.flatnonzero(in_k & (cluster[seg] < 0))] = ci
    division = cat.class_division[cls]

    # --- dynamics: backwards from the last year ------------------------------------------------
    yrs = np.array(all_years)
    active = (reg_year[:, None] <= yrs[None, :]) & (yrs[None, :] < exit_year[:, None])
    lr = np.log(r_ref)
    sd = np.interp(lr, [np.log(threshold / 10), np.log(1e9)],
                   [dyn.firm_effect_sd_small.value, dyn.firm_effect_sd_large.value])
    rho = dyn.firm_effect_rho.value
    dev = np.empty((n, ny))
    dev[:, 0] = rng.standard_normal(n)
    for t in range(1, ny):
        dev[:, t] = rho * dev[:, t - 1] + np.sqrt(1 - rho * rho) * rng.standard_normal(n)
    dev *= sd[:, None]
    growth = np.log1p(cat.div_param(dyn.division_growth.value))
    w = r_ref * (r_ref >= threshold)
    g_mean = float((growth[division] * w).sum() / max(w.sum(), 1.0))
    g = growth - g_mean + np.log1p(cal.targets.nominal_growth.value)
    lag = (ny - 1) - np.arange(ny)                                       # years before the last
    var_gap = 2 * (sd[:, None] ** 2) * (1 - rho ** lag[None, :])
    log_rev = lr[:, None] - g[division][:, None] * lag[None, :] + (dev - dev[:, -1:]) - 0.5 * var_gap
    # partial first year of new registrations
    first = (reg_year[:, None] == yrs[None, :])
    frac = np.clip((year_start_days(reg_year + 1) - reg_day) / 365.0, 0.05, 1.0)
    main_rev = np.exp(log_rev) * np.where(first, frac[:, None], 1.0)
    main_rev = np.where(active, main_rev, 0.0)

    # --- the 规上 registry ----------------------------------------------------------------------
    h = 2
    nyw = len(years)
    registry = np.zeros((n, nyw), dtype=bool)
    before = active[:, h - 2] & (main_rev[:, h - 2] >= threshold)
    before |= active[:, h - 1] & ~active[:, h - 2] & (main_rev[:, h - 1] >= threshold) & (rng.random(n) < 0.5)
    prev_reg = before
    for j in range(nyw):
        t = h + j
        existing = active[:, t - 1]
        met = existing & (main_rev[:, t - 1] >= threshold)
        uu = rng.random(n)
        stay = prev_reg & existing & ~met & (main_rev[:, t - 1] >= 0.7 * threshold) & (uu < dyn.registry_stay_share.value)
        lagged = ~prev_reg & met & (uu < dyn.registry_lag_share.value)
        newbuild = active[:, t] & ~existing & (main_rev[:, t] >= threshold) & (uu < dyn.new_build_entry_share.value)
        flag = ((met & ~lagged) | stay | newbuild) & active[:, t]
        registry[:, j] = flag
        prev_reg = flag | (prev_reg & ~active[:, t])
    registry_before = before

    # --- date the unit first entered the registry ---------------------------------------------
    above_since = np.full(n, -1, dtype=np.int64)
    any_flag = registry.any(axis=1)
    j0 = np.argmax(registry, axis=1)
    start_y0 = day(y0, 1, 1)
    lo = np.maximum(reg_day + 90, day(1998, 1, 1))
    pre = registry_before & (lo < start_y0)
    above_since[pre] = lo[pre] + (rng.random(int(pre.sum())) * (start_y0 - lo[pre])).astype(np.int64)
    inw = any_flag & ~pre
    ys = np.array(years)[j0]
    revision_day = year_start_days(ys)
    was_active_before = active[np.arange(n), h + j0 - 1]
    build_day = np.minimum(reg_day + rng.integers(60, 240, n), year_start_days(ys + 1) - 31)
    build_day = np.maximum(np.maximum(build_day, revision_day), reg_day)
    above_since[inw] = np.where(was_active_before, revision_day, build_day)[inw]

    return Population(
        n=n, years=tuple(years), all_years=all_years, county=county, division=division, cls=cls,
        cluster=cluster, reg_day=reg_day, reg_year=reg_year, exit_year=exit_year, status=status,
        z=z, main_rev=main_rev, active=active, registry=registry, registry_before=registry_before,
        above_since=above_since,
    )


def _p_at(cal: Calibration, value: float) -> float:
    knots = cal.size.revenue_quantiles.value
    ps = np.array([k[0] for k in knots])
    lv = np.log(np.array([k[1] for k in knots]))
    return float(np.interp(np.log(value), lv, ps))
