"""Target versus achieved: how a generated province compares with its calibration.

:func:`calibration_report` recomputes every calibrated figure from the tables alone (as a user of
the warehouse would), so it also works on a province that was generated elsewhere or edited.
Ratios are ratios of sums over the 规上 registry of the last year, like the county averages
they are compared with; land per enterprise is the area of the parcels it holds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhizao.data.synth.calibration import Calibration, Target

_HANGZHOU = "330100"


@dataclass(frozen=True)
class CalibrationRow:
    """One calibrated figure: the target (with tolerance or bound) and what the tables show."""

    name: str
    target: float
    tolerance: float
    achieved: float | None
    ok: bool
    source: str
    status: str
    unit: str = ""
    bound: str = "within"
    note: str = ""

    @property
    def target_text(self) -> str:
        """The target as text: ``0.100 ± 0.020``, ``≥ 2.00``, ``26.00万 ± 2.50万``."""
        if self.bound == "at_least":
            return f"≥ {_fmt(self.target, self.unit)}"
        if self.bound == "at_most":
            return f"≤ {_fmt(self.target, self.unit)}"
        return f"{_fmt(self.target, self.unit)} ± {_fmt(self.tolerance, self.unit)}"

    @property
    def achieved_text(self) -> str:
        return _fmt(self.achieved, self.unit)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["target_text"] = self.target_text
        d["achieved_text"] = self.achieved_text
        return d


def _num(t: pa.Table, col: str) -> np.ndarray:
    return t.column(col).to_numpy(zero_copy_only=False).astype(np.float64)


def _index_in(values: pa.ChunkedArray, value_set: pa.ChunkedArray) -> np.ndarray:
    """Position of each value in ``value_set``; -1 where it is absent."""
    return pc.fill_null(pc.index_in(values, value_set=value_set), -1).to_numpy(zero_copy_only=False)


def _prefix(codes: pa.ChunkedArray, n: int, pad: str = "") -> np.ndarray:
    """The first ``n`` characters of each code, plus ``pad`` (object array)."""
    head = pc.utf8_slice_codeunits(codes, 0, n)
    return (pc.binary_join_element_wise(head, pad, "") if pad else head).to_numpy(zero_copy_only=False)


def _ratio(num: np.ndarray, den: np.ndarray, mask: np.ndarray) -> float | None:
    ok = mask & np.isfinite(num) & np.isfinite(den)
    d = den[ok].sum()
    return float(num[ok].sum() / d) if d > 0 else None


def calibration_report(tables: dict[str, pa.Table], calibration: Calibration) -> list[CalibrationRow]:
    """Every calibrated figure of ``calibration`` as target vs achieved in ``tables``."""
    tg = calibration.targets
    ent, ind, parcels = tables["enterprises"], tables["indicators"], tables["parcels"]
    y = int(pc.max(ind.column("year")).as_py())
    last = ind.filter(pc.equal(ind.column("year"), y))
    prev = ind.filter(pc.equal(ind.column("year"), y - 1))
    above = last.column("above_scale").to_numpy(zero_copy_only=False).astype(bool)
    rev = _num(last, "revenue")
    main = _num(last, "main_revenue")
    go = _num(last, "gross_output")
    va = _num(last, "value_added")
    tax = _num(last, "taxes")
    emp = _num(last, "employees")
    energy = _num(last, "energy_tce")
    emis = _num(last, "emissions_t")
    rd = _num(last, "rd_expenditure")
    profit = _num(last, "profit")
    assets = _num(last, "total_assets")
    liab = _num(last, "total_liabilities")
    everyone = np.ones(len(rev), dtype=bool)

    # land held per enterprise, aligned to the last year's rows
    held = parcels.filter(pc.is_valid(parcels.column("holder_uscc")))
    by = held.group_by("holder_uscc").aggregate([("area_mu", "sum")])
    idx = _index_in(last.column("uscc"), by.column("holder_uscc"))
    area = by.column("area_mu_sum").to_numpy()
    land = np.where(idx < 0, 0.0, area[np.maximum(idx, 0)]) if len(area) else np.zeros(len(rev))
    holds = land > 0

    # enterprise attributes aligned to the last year's rows
    e_idx = pc.index_in(last.column("uscc"), value_set=ent.column("uscc")).to_numpy(zero_copy_only=False).astype(np.int64)
    high_tech = ent.column("is_high_tech").to_numpy(zero_copy_only=False)[e_idx].astype(bool)
    tiers = np.asarray(ent.column("certified_tier").to_pylist(), dtype=object)
    region = np.asarray(ent.column("region_code").to_pylist(), dtype=object)
    industry = np.asarray(ent.column("industry_code").to_pylist(), dtype=object)
    prefecture = _prefix(ent.column("region_code"), 4, "00")
    division = _prefix(ent.column("industry_code"), 2)
    n_above = int(above.sum())

    rows: list[CalibrationRow] = []

    def add(name: str, t: Target, achieved: float | None, *, value: float | None = None,
            tolerance: float | None = None, source: str | None = None, status: str | None = None,
            unit: str | None = None) -> None:
        target = t.value if value is None else value
        tol = t.tolerance if tolerance is None else tolerance
        probe = Target(value=target, tolerance=tol, bound=t.bound, source=t.source, status=t.status)
        rows.append(CalibrationRow(
            name=name, target=target, tolerance=tol, achieved=achieved, ok=probe.check(achieved),
            source=source or t.source, status=status or t.status, unit=unit if unit is not None else t.unit,
            bound=t.bound, note=t.note))

    add("above_scale_share", tg.above_scale_share, float(above.mean()) if len(above) else None)
    add("above_scale_revenue_share", tg.above_scale_revenue_share, _ratio(rev * above, rev, everyone))
    big = rev > 1e9
    add("over_1bn_share_of_above_scale", tg.over_1bn_share_of_above_scale,
        float(big[above].mean()) if n_above else None)
    add("over_1bn_revenue_share_of_above_scale", tg.over_1bn_revenue_share_of_above_scale,
        _ratio(rev * big, rev, above))
    add("above_scale_mean_revenue", tg.above_scale_mean_revenue, float(rev[above].mean()) if n_above else None)
    add("above_scale_median_revenue", tg.above_scale_median_revenue, float(np.median(rev[above])) if n_above else None)
    add("below_scale_mean_revenue", tg.below_scale_mean_revenue,
        float(rev[~above].mean()) if (~above).any() else None)
    add("tax_per_mu", tg.tax_per_mu, _ratio(tax, land, above & holds))
    add("va_per_mu", tg.va_per_mu, _ratio(va, land, above & holds))
    add("va_rate", tg.va_rate, _ratio(va, go, above))
    add("tax_to_va", tg.tax_to_va, _ratio(tax, va, above))
    add("va_per_worker", tg.va_per_worker, _ratio(va, emp, above))
    add("va_per_tce", tg.va_per_tce, _ratio(va, energy, above))
    add("va_per_emission_t", tg.va_per_emission_t, _ratio(va, emis, above))
    add("rd_to_main_revenue", tg.rd_to_main_revenue, _ratio(rd, main, above))
    add("profit_margin", tg.profit_margin, _ratio(profit, rev, above))
    add("debt_ratio", tg.debt_ratio, _ratio(liab, assets, above))
    add("above_scale_land_mean", tg.above_scale_land_mean,
        float(land[above & holds].mean()) if (above & holds).any() else None)
    add("above_scale_land_median", tg.above_scale_land_median,
        float(np.median(land[above & holds])) if (above & holds).any() else None)
    add("below_scale_land_ge3_share", tg.below_scale_land_ge3_share,
        float((land[~above] >= 3).mean()) if (~above).any() else None)
    evaluated = ~above & (land >= 3)  # the 规下 firms 亩均 evaluation covers
    add("below_scale_land_ge3_mean", tg.below_scale_land_ge3_mean,
        float(land[evaluated].mean()) if evaluated.any() else None)
    add("below_scale_tax_per_mu", tg.below_scale_tax_per_mu, _ratio(tax, land, evaluated))
    add("below_scale_tax_to_revenue", tg.below_scale_tax_to_revenue, _ratio(tax, rev, ~above))
    add("below_scale_evaluated_tax_to_revenue", tg.below_scale_evaluated_tax_to_revenue,
        _ratio(tax, rev, evaluated))
    add("high_tech_share_of_above_scale", tg.high_tech_share_of_above_scale,
        float(high_tech[above].mean()) if n_above else None)
    n_lg = int((tiers == "little_giant").sum())
    n_sp = int((tiers == "specialized").sum())
    add("little_giant_share_of_above_scale", tg.little_giant_share_of_above_scale,
        n_lg / n_above if n_above else None)
    add("specialized_per_little_giant", tg.specialized_per_little_giant, n_sp / n_lg if n_lg else None)
    lg_hz = (prefecture[tiers == "little_giant"] == _HANGZHOU).astype(bool)
    add("little_giant_share_hangzhou", tg.little_giant_share_hangzhou, float(lg_hz.mean()) if n_lg else None)
    # same-firm nominal growth
    p_idx = _index_in(last.column("uscc"), prev.column("uscc"))
    has_p = p_idx >= 0
    prev_rev = _num(prev, "revenue")
    growth = None
    if has_p.any():
        pr = prev_rev[np.maximum(p_idx, 0)]
        growth = float(rev[has_p].sum() / pr[has_p].sum() - 1)
    add("nominal_growth", tg.nominal_growth, growth)
    div_num = division.astype(np.int64)
    manuf = (div_num >= 13) & (div_num <= 43)
    add("manufacturing_share", tg.manufacturing_share, float(manuf.mean()))

    # clusters
    l_region = region[e_idx]
    l_class = industry[e_idx]
    prov_go = go[above].sum()
    for c in calibration.clusters:
        in_k = np.isin(l_class, list(c.classes))
        in_c = l_region == c.county
        county_go = go[above & in_c].sum()
        share = float(go[above & in_c & in_k].sum() / county_go) if county_go > 0 else None
        prov_share = go[above & in_k].sum() / prov_go if prov_go > 0 else 0.0
        lq = float(share / prov_share) if share is not None and prov_share > 0 else None
        add(f"cluster {c.id}: output share", tg.cluster_output_share, share, value=c.output_share,
            source=c.source, status=c.status)
        add(f"cluster {c.id}: location quotient", tg.cluster_location_quotient, lq)
        if c.big_not_strong:
            prov_vpw = _ratio(va, emp, above)
            cl_vpw = _ratio(va, emp, above & in_c & in_k)
            add(f"cluster {c.id}: VA per worker ÷ province (大而不强)", tg.big_not_strong_productivity,
                cl_vpw / prov_vpw if cl_vpw and prov_vpw else None)

    # divisions
    dshares = calibration.industry.revenue_share
    dtol = tg.division_revenue_share_tolerance
    l_div = division[e_idx]
    above_rev = rev[above].sum()
    for code, target in dshares.value.items():
        got = float(rev[above & (l_div == code)].sum() / above_rev) if above_rev > 0 else None
        add(f"division {code}: share of 规上 revenue", dtol, got, value=target, tolerance=dtol.tolerance,
            source=dshares.source, status=dshares.status, unit="share of 规上 revenue")

    # prefectures
    shares = calibration.geography.prefecture_output_share
    pref = prefecture[e_idx]
    tol = tg.prefecture_output_share_tolerance
    for code, target in shares.value.items():
        got = float(go[above & (pref == code)].sum() / prov_go) if prov_go > 0 else None
        add(f"prefecture {code}: share of 规上 output", tol, got, value=target,
            tolerance=tol.tolerance, source=shares.source, status=shares.status,
            unit="share of 规上 gross output")
    return rows


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if "yuan" in unit and abs(v) >= 1e4:
        if abs(v) >= 1e8:
            return f"{v / 1e8:,.2f}亿"
        return f"{v / 1e4:,.2f}万"
    if abs(v) < 1:
        return f"{v:.3f}"
    return f"{v:,.2f}"


def render_calibration_table(rows: list[CalibrationRow], *, enterprises: int | None = None,
                             seed: int | None = None) -> str:
    """A Markdown table of target vs achieved (for docs/synthetic.md)."""
    head = []
    if enterprises is not None:
        head.append(f"Generated province: {enterprises:,} enterprises"
                    + (f", seed {seed}" if seed is not None else "") + ".\n")
    lines = ["| figure | target | achieved | ok | unit | status | source |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        src = r.source.replace("|", "/")
        lines.append(f"| {r.name} | {r.target_text} | {r.achieved_text} | {'yes' if r.ok else '**no**'} "
                     f"| {r.unit} | {r.status} | {src} |")
    return "\n".join(head + lines) + "\n"


def render_cluster_table(calibration: Calibration) -> str:
    """A Markdown table of the clusters planted by a calibration (for docs/synthetic.md)."""
    from zhizao.codes import regions

    lines = ["| cluster | county | classes | share of county 规上 output | local sourcing | 大而不强 | status | note |",
             "|---|---|---|---|---|---|---|---|"]
    for c in calibration.clusters:
        county = f"{c.county} {regions.region(c.county).name}"
        lines.append(f"| {c.name_zh} (`{c.id}`) | {county} | {', '.join(c.classes)} | {c.output_share:.0%} "
                     f"| {c.local_sourcing:.0%} | {'yes' if c.big_not_strong else ''} | {c.status} "
                     f"| {c.note.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
