"""Monthly industrial statistics (月度工业统计): county × division × month, 规上 only.

Each county × division × year's 规上 value added (the firms on the registry that year) is spread
over the months with a seasonal profile (a dip in the month that holds 春节, which moves between
January and February) and a little noise; the twelve months add up to the annual figure exactly.
Constant prices divide by a small division price index. Growth rates are computed, as the NBS
does, at constant prices on a comparable set (同口径): this year's 规上 firms against their own
value added a year earlier. January is not published on its own (1—2月 are released together),
so January's growth columns are null and February's are the January–February figures.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhizao.data import schema
from zhizao.data.synth._util import float_array, lpad_numbers, take_strings
from zhizao.data.synth.calibration import Calibration
from zhizao.data.synth.catalog import Geography, IndustryCatalog
from zhizao.data.synth.panel import Panel
from zhizao.data.synth.population import Population


def _month_weights(year: int, cal: Calibration) -> np.ndarray:
    w = np.array(cal.monthly.month_weights.value, dtype=np.float64)
    sf = cal.monthly.spring_festival.value.get(str(year))
    dip = cal.monthly.spring_festival_dip.value
    if sf is not None:
        month, d = (int(x) for x in sf.split("-"))
        # the holiday week straddles the date; split the dip by where it falls
        share_first = np.clip((d + 3) / 10.0, 0.0, 1.0) if month == 1 else 0.0
        if month == 1:
            w[0] *= 1 - dip * share_first
            w[1] *= 1 - dip * (1 - share_first) * 0.6
        else:
            w[1] *= 1 - dip
            w[0] *= 1 - dip * 0.25 * np.clip((10 - d) / 10.0, 0.0, 1.0)
    return w / w.sum()


def build_monthly(pop: Population, panel: Panel, geo: Geography, cat: IndustryCatalog,
                  cal: Calibration, rng: np.random.Generator) -> pa.Table:
    nd = len(cat.divisions)
    nyw = len(pop.years)
    ncell = geo.n * nd
    firm, yi = panel.firm, panel.year_idx
    above = panel.cols["above_scale"]
    va = panel.cols["value_added"]
    go = panel.cols["gross_output"]
    cell = pop.county[firm] * nd + pop.division[firm]

    # annual 规上 VA and output per cell and year; the comparable set's VA a year earlier
    year_cell = yi * ncell + cell

    def by_year_cell(mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Sum of ``weights`` over the rows in ``mask``, as a (year, cell) matrix."""
        return np.bincount(year_cell[mask], weights=weights[mask], minlength=nyw * ncell).reshape(nyw, ncell)

    va_y = by_year_cell(above, va)
    go_y = by_year_cell(above, go)
    # prior-year VA of firm i: from the panel, or (first year) back-cast from revenue
    prev_va = np.zeros(len(firm))
    key = firm * nyw + yi
    lookup = np.full(pop.n * nyw, np.nan)
    lookup[key] = va
    has_prev = yi > 0
    prev_va[has_prev] = lookup[(firm * nyw + yi - 1)[has_prev]]
    first = yi == 0
    h = pop.hidden
    prev_main = pop.main_rev[firm, yi + h - 1]
    main = np.maximum(panel.cols["main_revenue"], 1.0)
    prev_va[first] = (va * prev_main / main)[first]
    prev_va = np.nan_to_num(prev_va, nan=0.0)
    comparable = above & (prev_va > 0)
    cur_c = by_year_cell(comparable, va)
    prev_c = by_year_cell(comparable, prev_va)

    # division price index by month (1 at the start of the year before the first)
    drift = cat.div_param(cal.industry.price_drift.value, 0.0)
    t = (np.arange(-12, nyw * 12) + 0.5) / 12.0 + 1.0          # years since the base, by month
    price = np.exp(np.log1p(drift)[:, None] * t[None, :])       # division × month (incl. prior year)

    cells = np.flatnonzero((va_y > 0).any(axis=0))
    nc = len(cells)
    sd = cal.monthly.cell_noise_sd.value
    out = {k: [] for k in ("cell", "year", "month", "vac", "vak", "go", "yoy", "cum")}
    div_of_cell = cells % nd
    for j, year in enumerate(pop.years):
        w = _month_weights(year, cal)[None, :] * np.exp(rng.normal(0.0, sd, (nc, 12)))
        w /= w.sum(axis=1, keepdims=True)
        w_prev = _month_weights(year - 1, cal)[None, :] * np.ones((nc, 1))
        vac = va_y[j, cells][:, None] * w
        vac[:, 11] = va_y[j, cells] - vac[:, :11].sum(axis=1)   # months add up to the year exactly
        goc = go_y[j, cells][:, None] * w
        goc[:, 11] = go_y[j, cells] - goc[:, :11].sum(axis=1)
        p_now = price[div_of_cell][:, 12 * (j + 1): 12 * (j + 2)]
        p_prev = price[div_of_cell][:, 12 * j: 12 * (j + 1)]
        vak = vac / p_now
        # comparable set at constant prices, this year and a year earlier, month by month
        c_now = cur_c[j, cells][:, None] * w / p_now
        c_prev = prev_c[j, cells][:, None] * w_prev / p_prev
        with np.errstate(divide="ignore", invalid="ignore"):
            yoy = (c_now / c_prev - 1.0) * 100.0
            cum = (np.cumsum(c_now, axis=1) / np.cumsum(c_prev, axis=1) - 1.0) * 100.0
        yoy[:, 1] = cum[:, 1]          # 1—2月 published together
        yoy[:, 0] = np.nan
        cum[:, 0] = np.nan
        out["cell"].append(np.repeat(cells, 12))
        out["year"].append(np.full(nc * 12, year))
        out["month"].append(np.tile(np.arange(1, 13), nc))
        out["vac"].append(vac.reshape(-1))
        out["vak"].append(vak.reshape(-1))
        out["go"].append(goc.reshape(-1))
        out["yoy"].append(yoy.reshape(-1))
        out["cum"].append(cum.reshape(-1))
    col = {k: np.concatenate(v) for k, v in out.items()}
    keep = va_y[np.searchsorted(np.array(pop.years), col["year"]), col["cell"]] > 0
    col = {k: v[keep] for k, v in col.items()}
    yoy, cum = col["yoy"], col["cum"]
    bad_y = ~np.isfinite(yoy) | (yoy < -100) | (yoy > 1000)
    bad_c = ~np.isfinite(cum) | (cum < -100) | (cum > 1000)
    period = pc.binary_join_element_wise(
        pc.cast(pa.array(col["year"]), pa.string()), lpad_numbers(col["month"], 2), "-")
    return pa.table({
        "region_code": take_strings(list(geo.counties), col["cell"] // nd),
        "division": take_strings(list(cat.divisions), col["cell"] % nd),
        "period": period,
        "value_added_current": float_array(col["vac"]),
        "value_added_constant": float_array(col["vak"]),
        "gross_output": float_array(np.round(np.maximum(col["go"], 0.0), 2)),
        "va_growth_yoy": float_array(np.round(np.where(bad_y, 0.0, yoy), 2), bad_y),
        "va_growth_cumulative": float_array(np.round(np.where(bad_c, 0.0, cum), 2), bad_c),
    }, schema=schema.arrow_schema(schema.MONTHLY_STATS))
