"""Yearly indicators (企业年度指标) for every enterprise and year it reports.

Each figure is built from the firm's size that year, its division profile and its persistent
traits, then scaled once so that the 规上 ratios of the last year hit the calibration targets
(VA rate, tax ÷ VA, VA per worker, VA per tce, VA per t of emissions, R&D ÷ main revenue, profit
margin, debt ratio). The same scale applies to every year and every firm, so year-on-year and
firm-to-firm differences are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import IndustryCatalog
from zhizao.data.synth.population import Population
from zhizao.data.synth.traits import TIER_LITTLE_GIANT, TIER_SPECIALIZED, Traits


@dataclass
class Panel:
    firm: np.ndarray      # enterprise index of each row
    year_idx: np.ndarray  # window index of each row
    cols: dict[str, np.ndarray]
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # True = null

    def __len__(self) -> int:
        return len(self.firm)


def _ratio_scale(num: np.ndarray, den: np.ndarray, ref: np.ndarray, target: float) -> float:
    """Factor on ``num`` so that sum(num[ref]) / sum(den[ref]) equals ``target``."""
    s_num = float(num[ref].sum())
    s_den = float(den[ref].sum())
    if s_num <= 0 or s_den <= 0:
        return 1.0
    return target * s_den / s_num


def build_panel(pop: Population, tr: Traits, cat: IndustryCatalog, cal: Calibration,
                rng: np.random.Generator) -> Panel:
    tg = cal.targets
    threshold = cal.size.above_scale_threshold.value
    sd = cal.dynamics.ratio_noise_sd.value
    act = pop.window(pop.active)
    firm, yi = np.nonzero(act)
    m = len(firm)
    d = pop.division[firm]
    h = pop.hidden
    last_year = yi == len(pop.years) - 1
    above = pop.registry[firm, yi]
    ref = above & last_year
    # which figures each firm leaves unreported, drawn first: a ratio is scaled over the 规上 rows
    # that report both of its figures, as the report (and a statistician) can only use those
    masks = _missing(firm, above, tr, cal, rng)
    no_mask = np.zeros(m, dtype=bool)

    def reporting(*cols: str) -> np.ndarray:
        out = ref
        for c in cols:
            out = out & ~masks.get(c, no_mask)
        return out

    def noise(s: float = sd) -> np.ndarray:
        return np.exp(rng.normal(0.0, s, m))

    main_revenue = pop.main_rev[firm, yi + h]
    revenue = main_revenue / tr.main_share[firm]
    gross_output = revenue * np.exp(rng.normal(0.0, cal.size.output_to_revenue_sd.value, m))

    # value added
    va_rate = cat.div_param(cal.industry.va_rate.value, 0.25)[d] * tr.va_eff[firm] * tr.prof_va[firm] * noise()
    va_rate = np.clip(va_rate, 0.04, 0.7)
    va_rate *= _ratio_scale(gross_output * va_rate, gross_output, ref, tg.va_rate.value)
    value_added = gross_output * np.clip(va_rate, 0.03, 0.8)

    # taxes: a general VAT taxpayer (一般纳税人: every firm above the 小规模纳税人 line, and some below
    # it by choice) pays close to the 规上 rate; a small-scale taxpayer (小规模纳税人) pays a low
    # rate on sales (and 小微 preferences), lower still for the smallest firms
    size_ratio = np.minimum(main_revenue / threshold, 1.0)
    rt = cal.ratios
    line = rt.general_taxpayer_line.value
    general = (main_revenue >= line) | (rng.random(pop.n) < rt.voluntary_general_taxpayer_share.value)[firm]
    small_factor, small_k = rt.small_taxpayer_tax.value
    size_factor = np.where(general, size_ratio ** rt.below_scale_tax_elasticity.value,
                           small_factor * np.minimum(main_revenue / line, 1.0) ** small_k)
    tax_rate = (cat.div_param(cal.industry.tax_to_va.value, 0.18)[d] * tr.tax_eff[firm] * tr.prof_tax[firm]
                * size_factor * noise())
    taxes = value_added * np.clip(tax_rate, 0.0, 0.9)
    taxes *= _ratio_scale(taxes, value_added, ref, tg.tax_to_va.value)

    # employees: VA ÷ productivity
    prod = (tr.prod_eff[firm] * tr.prof_productivity[firm]
            * size_ratio ** cal.ratios.below_scale_productivity_elasticity.value * noise(0.05))
    emp = value_added / prod
    emp *= _ratio_scale(emp, value_added, reporting("employees"), 1.0 / tg.va_per_worker.value)
    employees = np.maximum(np.rint(emp), 1).astype(np.int64)

    # energy, electricity, emissions
    energy = value_added / (cat.div_param(cal.industry.energy_efficiency.value, 1.0)[d] * tr.energy_eff[firm] * noise())
    energy *= _ratio_scale(energy, value_added, reporting("energy_tce"), 1.0 / tg.va_per_tce.value)
    electricity = energy * tr.elec_share[firm] * noise(0.05) / cal.ratios.electricity_tce_per_kwh.value
    emissions = value_added * cat.div_param(cal.industry.emission_intensity.value, 1.0)[d] * tr.emis_eff[firm] * noise()
    emissions *= _ratio_scale(emissions, value_added, reporting("emissions_t"), 1.0 / tg.va_per_emission_t.value)

    # R&D: compliant certified / high-tech firms keep their floors; the rest is scaled
    rd_ratio = np.where(tr.has_rd[firm], tr.rd_ratio[firm] * noise(0.1), 0.0)
    floor = tr.rd_floor[firm] * noise(0.03)
    floored = floor > rd_ratio
    rd_ratio = np.maximum(rd_ratio, floor)
    fixed = float((main_revenue * rd_ratio)[ref & floored].sum())
    free = float((main_revenue * rd_ratio)[ref & ~floored].sum())
    want = tg.rd_to_main_revenue.value * float(main_revenue[ref].sum())
    s = max((want - fixed) / free, 0.05) if free > 0 else 1.0
    rd_ratio = np.where(floored, rd_ratio, np.minimum(rd_ratio * s, 0.35))
    rd = main_revenue * rd_ratio
    lg = (tr.tier[firm] == TIER_LITTLE_GIANT) & tr.compliant[firm] & (main_revenue < 5e7)
    rd = np.where(lg, np.maximum(rd, 3e6), rd)
    sp = (tr.tier[firm] >= TIER_SPECIALIZED) & tr.compliant[firm]
    rd = np.where(sp, np.maximum(rd, 1.05e6), rd)
    rd_staff = np.where(rd > 0, np.maximum(np.rint(employees * np.clip(rd_ratio * 3.5 * noise(0.3), 0.01, 0.6)), 1), 0)
    rd_staff = np.minimum(rd_staff, employees).astype(np.int64)

    # profit, assets, liabilities
    margin = (cat.div_param(cal.industry.profit_margin.value, 0.06)[d] * tr.prof_profit[firm]
              + tr.margin_eff[firm] + rng.normal(0.0, 0.025, m))
    margin += tg.profit_margin.value - float((revenue * margin)[ref].sum() / revenue[ref].sum())
    profit = revenue * margin
    rates = cal.ratios.income_tax_rate.value
    itr = np.where(tr.high_tech[firm], rates["high_tech"], np.where(main_revenue < 5e7, rates["small"], rates["standard"]))
    net_profit = profit - np.maximum(profit, 0.0) * itr
    total_assets = revenue * tr.assets_to_revenue[firm] * noise(0.05)
    debt = np.clip(tr.debt[firm] + rng.normal(0.0, 0.03, m), 0.02, 1.4)
    debt *= _ratio_scale(total_assets * debt, total_assets, ref, tg.debt_ratio.value)
    debt = np.where(tr.compliant[firm], np.minimum(debt, 0.69), np.clip(debt, 0.02, 1.4))
    total_liabilities = total_assets * debt

    exports = gross_output * tr.export_share[firm] * np.clip(noise(0.1), 0, 1.02)
    exports = np.minimum(exports, gross_output * 0.98)
    new_product_revenue = np.minimum(revenue * tr.new_product_share[firm] * noise(0.1), revenue)
    equity_hit = rng.random(m) < tr.equity_rate[firm]
    new_equity = np.where(equity_hit, np.round(np.exp(rng.normal(np.log(3e7), 0.9, m)), -4), 0.0)

    ip = _ip_stocks(pop, tr, cat, cal, rd, firm, yi, rng)

    cols = dict(
        above_scale=above, revenue=revenue, main_revenue=main_revenue, gross_output=gross_output,
        value_added=value_added, taxes=taxes, profit=profit, net_profit=net_profit,
        total_assets=total_assets, total_liabilities=total_liabilities, rd_expenditure=rd,
        rd_staff=rd_staff, employees=employees, energy_tce=energy, electricity_kwh=electricity,
        emissions_t=emissions, exports=exports, new_product_revenue=new_product_revenue,
        new_equity_financing=new_equity, **ip,
    )
    for k in ("revenue", "main_revenue", "gross_output", "value_added", "taxes", "profit", "net_profit",
              "total_assets", "total_liabilities", "rd_expenditure", "energy_tce", "electricity_kwh",
              "emissions_t", "exports", "new_product_revenue"):
        cols[k] = np.round(cols[k], 2)
    return Panel(firm=firm, year_idx=yi, cols=cols, masks=masks)


def _ip_stocks(pop: Population, tr: Traits, cat: IndustryCatalog, cal: Calibration, rd: np.ndarray, firm: np.ndarray,
               yi: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Valid IP counts (stocks): drawn for the last year, thinned backwards so they never fall."""
    n = pop.n
    nyw = len(pop.years)
    rd_last = np.zeros(n)
    last_rows = yi == tr.last[firm]
    rd_last[firm[last_rows]] = rd[last_rows]
    hi = cat.class_high_tech[pop.cls]
    per_m = cal.ratios.invention_patents_per_million_rd.value
    lam = per_m * (rd_last / 1e6) ** 0.8 * np.where(hi, 1.6, 1.0) + np.where(tr.high_tech, 1.5, 0.0)
    inv = rng.poisson(lam)
    extra = rng.poisson(0.08 * lam)
    cls2 = rng.poisson(2.5 * lam + np.where(tr.above_last, 0.8, 0.15))
    lgc = (tr.tier == TIER_LITTLE_GIANT) & tr.compliant
    inv = np.where(lgc, np.maximum(inv, 2 + rng.poisson(2.0, n)), inv)
    spc = (tr.tier == TIER_SPECIALIZED) & tr.compliant
    inv = np.where(spc & (rng.random(n) < 0.8), np.maximum(inv, 1), inv)
    hv_share = np.where(tr.tier >= TIER_SPECIALIZED, 0.35, 0.15)
    out = {k: np.zeros((n, nyw), dtype=np.int64) for k in ("inv", "c1", "c2")}
    cur_inv, cur_extra, cur_c2 = inv, extra, cls2
    for j in range(nyw - 1, -1, -1):
        # stocks at the end of year j; earlier years keep a binomial share of the later stock
        out["inv"][:, j] = cur_inv
        out["c1"][:, j] = cur_inv + cur_extra
        out["c2"][:, j] = cur_c2
        cur_inv = rng.binomial(cur_inv, 0.86)
        cur_extra = rng.binomial(cur_extra, 0.9)
        cur_c2 = rng.binomial(cur_c2, 0.85)
    # shift so that a firm's last reported year holds the drawn stock
    shift = (nyw - 1) - tr.last
    res: dict[str, np.ndarray] = {}
    for key, name in (("inv", "invention_patents"), ("c1", "ip_class1"), ("c2", "ip_class2")):
        res[name] = out[key][firm, np.minimum(yi + shift[firm], nyw - 1)]
    # a fixed share per firm keeps high-value counts ≤ class I and never falling over time
    hv = np.clip(rng.beta(2.0, 6.0, n) * hv_share / 0.25, 0.0, 1.0)
    res["ip_class1_high_value"] = np.floor(res["ip_class1"] * hv[firm] + 0.5 * (hv[firm] > 0.5)).astype(np.int64)
    res["ip_class1_high_value"] = np.minimum(res["ip_class1_high_value"], res["ip_class1"])
    return res


def add_water_gas(panel: Panel, cal: Calibration, rng: np.random.Generator) -> None:
    """Water (用水量) and natural gas (用气量) use per firm-year, in place.

    Water: value added (万元) × the province's water per 万元 VA × a firm factor (log-normal,
    σ 0.6, drawn once per firm) × yearly noise; gas: 55 % of firms use gas, for
    ``gas_share_of_energy`` of their energy (a firm factor again), converted with GB/T 2589's
    kgce per m³. Missing wherever the firm's energy figure is missing. Drawn from an rng of its own
    (``generate`` passes one), so the rest of the province is unchanged by these columns.
    """
    r = cal.ratios
    firm = panel.firm
    n_firms = int(firm.max()) + 1 if len(firm) else 0
    water_eff = rng.lognormal(-0.18, 0.6, n_firms)          # mean ≈ 1
    uses_gas = rng.random(n_firms) < 0.55
    gas_eff = rng.lognormal(-0.32, 0.8, n_firms)            # mean ≈ 1
    m = len(firm)
    va = np.maximum(panel.cols["value_added"], 0.0)
    water = va / 1e4 * r.water_m3_per_10k_va.value * water_eff[firm] * rng.lognormal(0.0, 0.08, m)
    energy = panel.cols["energy_tce"]
    gas = np.where(uses_gas[firm], energy * r.gas_share_of_energy.value / 0.55 * gas_eff[firm]
                   * rng.lognormal(0.0, 0.08, m) / r.gas_tce_per_m3.value, 0.0)
    panel.cols["water_m3"] = np.round(water, 1)
    panel.cols["gas_m3"] = np.round(gas, 1)
    if "energy_tce" in panel.masks:
        panel.masks["water_m3"] = panel.masks["energy_tce"].copy()
        panel.masks["gas_m3"] = panel.masks["energy_tce"].copy()


def _missing(firm: np.ndarray, above: np.ndarray, tr: Traits, cal: Calibration,
             rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Null masks: real registers have gaps, more for 规下 firms (no 一套表 report)."""
    miss = cal.attributes.missing.value
    m = len(firm)
    # a firm misses a figure in every year or in none (persistent gaps), keyed by a firm draw
    masks: dict[str, np.ndarray] = {}
    groups = {
        "below": ~above,
        "above": above,
        "any": np.ones(m, dtype=bool),
    }
    cols_for = {
        "rd_expenditure": ["rd_expenditure"], "rd_staff": ["rd_staff"], "energy_tce": ["energy_tce"],
        "emissions_t": ["emissions_t"], "value_added": ["value_added"], "gross_output": ["gross_output"],
        "new_product_revenue": ["new_product_revenue"], "total_assets": ["total_assets", "total_liabilities"],
        "net_profit": ["net_profit"], "exports": ["exports"],
        "ip": ["ip_class1", "ip_class1_high_value", "ip_class2", "invention_patents"],
        "electricity_kwh": ["electricity_kwh"], "employees": ["employees"],
        "new_equity_financing": ["new_equity_financing"],
    }
    for key, share in miss.items():
        if "." not in key:
            continue
        grp, col = key.split(".", 1)
        firm_draw = rng.random(len(tr.last))
        hit = groups[grp] & (firm_draw[firm] < share)
        for c in cols_for[col]:
            masks[c] = masks.get(c, np.zeros(m, dtype=bool)) | hit
    return masks
