"""Persistent firm traits: innovation, 高新技术企业 status, certified tiers, ratio effects.

Traits are fixed per enterprise over the generated years (persistent firm effects); the yearly
indicators add small noise around them. Certified tiers (创新型 / 专精特新 / 小巨人) go to the
firms that score best on R&D and size, with 小巨人 over-represented in Hangzhou as in the 2024
batch (浙商 magazine count, wzs.org.cn/sjzs/news?id=18217); most certified firms still meet their tier's numeric criteria
(``ratios.compliance_share``), some have fallen behind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import Geography, IndustryCatalog
from zhizao.data.synth.population import Population

TIER_NONE, TIER_INNOVATIVE, TIER_SPECIALIZED, TIER_LITTLE_GIANT = 0, 1, 2, 3


@dataclass
class Traits:
    last: np.ndarray            # window index of the last year with indicators
    size_last: np.ndarray       # main revenue that year
    above_last: np.ndarray      # on the 规上 registry that year
    has_rd: np.ndarray
    rd_ratio: np.ndarray        # R&D ÷ main revenue before calibration
    high_tech: np.ndarray
    tier: np.ndarray
    tier_year: np.ndarray
    compliant: np.ndarray       # certified firm that still meets its numeric criteria
    rd_floor: np.ndarray        # minimum R&D ÷ main revenue for compliant firms (0 = none)
    va_eff: np.ndarray
    tax_eff: np.ndarray
    prod_eff: np.ndarray
    energy_eff: np.ndarray
    emis_eff: np.ndarray
    elec_share: np.ndarray
    margin_eff: np.ndarray
    debt: np.ndarray
    assets_to_revenue: np.ndarray
    main_share: np.ndarray
    export_share: np.ndarray
    new_product_share: np.ndarray
    equity_rate: np.ndarray
    # cluster profile multipliers (1 outside clusters)
    prof_productivity: np.ndarray
    prof_rd: np.ndarray
    prof_profit: np.ndarray
    prof_va: np.ndarray
    prof_tax: np.ndarray


def _top_k(rng: np.random.Generator, cand: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    if k <= 0 or len(cand) == 0:
        return cand[:0]
    key = score + rng.gumbel(0.0, 1.0, len(cand))
    return cand[np.argsort(-key, kind="stable")[:k]]


def build_traits(pop: Population, geo: Geography, cat: IndustryCatalog, cal: Calibration,
                 rng: np.random.Generator) -> Traits:
    n = pop.n
    ratios = cal.ratios
    act = pop.window(pop.active)
    nyw = act.shape[1]
    last = nyw - 1 - np.argmax(act[:, ::-1], axis=1)
    size_last = pop.window(pop.main_rev)[np.arange(n), last]
    above_last = pop.registry[np.arange(n), last]
    div = pop.division

    # cluster profiles
    def prof(attr: str) -> np.ndarray:
        vals = np.array([getattr(c.profile, attr) for c in cal.clusters] + [1.0])
        return vals[pop.cluster]  # index -1 → the trailing 1.0

    prof_rd = prof("rd")

    # --- R&D -------------------------------------------------------------------------------------
    rd_div = cat.div_param(cal.industry.rd_intensity.value, 1.0)[div]
    rep = ratios.rd_reporting_share.value
    p_rd = np.where(above_last, rep["above"], rep["below"]) * np.clip(rd_div, 0.4, 1.5)
    has_rd = rng.random(n) < np.clip(p_rd, 0.02, 0.97)
    rd_ratio = cal.targets.rd_to_main_revenue.value * rd_div * prof_rd * np.exp(rng.normal(-0.2, 0.7, n))

    # --- 高新技术企业 -------------------------------------------------------------------------------
    prop = cat.div_param(cal.industry.high_tech_propensity.value, 0.5)[div]
    prop = prop * np.where(cat.class_high_tech[pop.cls], 1.5, 1.0) * prof("high_tech")
    score = np.log(prop) + 0.8 * np.log(rd_ratio) + 0.3 * pop.z + 1.5 * has_rd
    n_above = int(above_last.sum())
    cand_above = np.flatnonzero(above_last)
    cand_below = np.flatnonzero(~above_last)
    k_above = int(round(cal.targets.high_tech_share_of_above_scale.value * n_above))
    k_below = int(round(ratios.below_scale_high_tech_share.value * len(cand_below)))
    high_tech = np.zeros(n, dtype=bool)
    high_tech[_top_k(rng, cand_above, score[cand_above], k_above)] = True
    high_tech[_top_k(rng, cand_below, score[cand_below], k_below)] = True
    has_rd |= high_tech

    # --- certified tiers -------------------------------------------------------------------------
    counts = cal.geography.little_giant_city_counts.value
    pref_share = geo.prefecture_share
    lg = np.array([counts.get(p, 0.0) for p in geo.prefectures], dtype=np.float64)
    bias = (lg / lg.sum()) / pref_share if lg.sum() > 0 else np.ones(len(geo.prefectures))
    city_bias = np.log(np.maximum(bias, 0.05))[geo.prefecture_of_county[pop.county]]
    tscore = 1.2 * np.log(rd_ratio) + 0.5 * pop.z + 1.0 * high_tech + 3.0 * has_rd
    tier = np.zeros(n, dtype=np.int8)
    # 小巨人: a quota per prefecture in proportion to the 2024 batch, best scores first
    k_lg = int(round(cal.targets.little_giant_share_of_above_scale.value * n_above))
    elig = has_rd & (size_last >= 3e7) & (size_last <= 2e9)
    firm_pref = geo.prefecture_of_county[pop.county]
    weights = lg if lg.sum() > 0 else pref_share
    quota = np.floor(k_lg * weights / weights.sum()).astype(np.int64)
    rem = k_lg - quota.sum()
    quota[np.argsort(-(k_lg * weights / weights.sum() - quota), kind="stable")[:rem]] += 1
    for p in range(len(geo.prefectures)):
        cand = np.flatnonzero(elig & (firm_pref == p))
        tier[_top_k(rng, cand, tscore[cand], int(quota[p]))] = TIER_LITTLE_GIANT
    k_sp = int(round(cal.targets.specialized_per_little_giant.value * k_lg))
    elig = np.flatnonzero(has_rd & (size_last >= 1e7) & (size_last <= 4e9) & (tier == 0))
    tier[_top_k(rng, elig, 0.7 * city_bias[elig] + tscore[elig], k_sp)] = TIER_SPECIALIZED
    k_in = int(round(ratios.innovative_per_specialized.value * k_sp))
    elig = np.flatnonzero(has_rd & (tier == 0) & (size_last <= 4e9))
    tier[_top_k(rng, elig, tscore[elig], k_in)] = TIER_INNOVATIVE
    y_last = pop.years[-1]
    first = np.array([2019, 2019, 2020, 2019])[tier]
    first = np.maximum(first, pop.reg_year + 3)
    span = np.maximum(y_last - first + 1, 1)
    tier_year = np.where(tier > 0, np.minimum(first + (rng.random(n) * span).astype(np.int64), y_last), -1)
    tier_year = np.where(tier > 0, np.maximum(tier_year, np.minimum(pop.reg_year + 1, y_last)), -1)

    # --- compliance floors -----------------------------------------------------------------------
    compliant = (tier > 0) & (rng.random(n) < ratios.compliance_share.value)
    rd_floor = np.zeros(n)
    ht_compliant = high_tech & (rng.random(n) < ratios.compliance_share.value)
    bands = ratios.high_tech_rd_floor.value
    upto = np.array([b[0] for b in bands])
    floors = np.array([b[1] for b in bands])
    ht_floor = floors[np.minimum(np.searchsorted(upto, size_last, side="left"), len(floors) - 1)]
    rd_floor = np.where(ht_compliant, ht_floor, rd_floor)
    lg_floor = np.where(size_last >= 1e8, 0.03, 0.06)
    rd_floor = np.where(compliant & (tier == TIER_LITTLE_GIANT), np.maximum(rd_floor, lg_floor), rd_floor)
    rd_floor = np.where(compliant & (tier == TIER_SPECIALIZED), np.maximum(rd_floor, 0.03), rd_floor)
    rd_floor = np.where(rd_floor > 0, rd_floor * np.exp(np.abs(rng.normal(0.0, 0.25, n))) + 0.001, 0.0)
    has_rd |= rd_floor > 0

    # --- ratio effects -----------------------------------------------------------------------------
    sdr = cal.ratios.loss_share_sd.value
    mean_share, conc = cal.size.main_revenue_share.value
    main_share = np.clip(rng.beta(mean_share * conc, (1 - mean_share) * conc, n), 0.45, 1.0)
    main_share = np.where(compliant, np.maximum(main_share, 0.82), main_share)
    exp_share = ratios.exporter_share.value
    exporter = rng.random(n) < np.where(above_last, exp_share["above"], exp_share["below"]) * np.clip(
        cat.div_param(cal.industry.export_share.value)[div] * 3.0, 0.0, 1.0)
    ex_mean = np.clip(cat.div_param(cal.industry.export_share.value)[div] * 1.6, 0.02, 0.8)
    export_share = np.where(exporter, np.clip(rng.beta(2.0, 2.0, n) * 2 * ex_mean, 0.0, 0.97), 0.0)
    npr = np.where(high_tech, 0.35, np.where(tier > 0, 0.3, 0.15))
    new_product_share = np.where(has_rd, np.clip(rng.beta(1.5, 4.0, n) * npr / 0.27, 0.0, 0.95), 0.0)
    eq = ratios.equity_financing_rate.value
    equity_rate = np.where(tier >= TIER_SPECIALIZED, eq["certified"], np.where(high_tech, eq["high_tech"], eq["other"]))
    debt = np.clip(rng.beta(5.0, 4.0, n), 0.03, 0.98)
    debt = np.where(compliant, np.minimum(debt, 0.68), debt)

    return Traits(
        last=last, size_last=size_last, above_last=above_last, has_rd=has_rd, rd_ratio=rd_ratio,
        high_tech=high_tech, tier=tier, tier_year=tier_year, compliant=compliant, rd_floor=rd_floor,
        va_eff=np.exp(rng.normal(0.0, 0.22, n)),
        tax_eff=np.exp(rng.normal(0.0, 0.35, n)),
        prod_eff=np.exp(rng.normal(0.0, 0.4, n)),
        energy_eff=np.exp(rng.normal(0.0, 0.6, n)),
        emis_eff=np.exp(rng.normal(0.0, 0.7, n)),
        elec_share=np.clip(cat.div_param(cal.industry.electricity_share.value, 0.7)[div]
                           * np.exp(rng.normal(0.0, 0.2, n)), 0.02, 1.0),
        margin_eff=rng.normal(0.0, sdr, n) + np.where(high_tech, 0.01, 0.0),
        debt=debt,
        assets_to_revenue=cal.ratios.assets_to_revenue.value * np.exp(rng.normal(-0.08, 0.4, n)),
        main_share=main_share,
        export_share=export_share,
        new_product_share=new_product_share,
        equity_rate=equity_rate,
        prof_productivity=prof("productivity"), prof_rd=prof_rd, prof_profit=prof("profit"),
        prof_va=prof("va_rate"), prof_tax=prof("tax"),
    )
