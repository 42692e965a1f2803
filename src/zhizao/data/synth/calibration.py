"""Calibration parameters of the synthetic province (合成省份校准参数).

The parameters live in ``src/zhizao/methods/synth/<name>.yaml`` (methods are data,
docs/architecture.md principle 2). Each one carries its ``source`` and a ``status``:

* ``published`` — read in a stored public source (named in its ``source``);
* ``derived`` — computed from published figures;
* ``assumption`` — a judgement where nothing was found.

The models are frozen and reject unknown keys, so a typo in the YAML fails loudly.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import model_validator

from zhizao import methodfile
from zhizao.methodfile import MethodModel

Status = Literal["published", "derived", "assumption"]
Bound = Literal["within", "at_least", "at_most"]
T = TypeVar("T")


class _Frozen(MethodModel):
    pass


class Param(_Frozen, Generic[T]):
    """One calibration parameter: a value with its unit, source and status."""

    value: T
    unit: str | list[str] = ""
    source: str
    status: Status
    note: str = ""


class Target(_Frozen):
    """A figure the generated province must show: ``value ± tolerance`` or a one-sided bound."""

    value: float
    tolerance: float = 0.0
    bound: Bound = "within"
    unit: str = ""
    source: str
    status: Status
    note: str = ""

    def check(self, achieved: float | None) -> bool:
        if achieved is None or achieved != achieved:  # None or NaN
            return False
        if self.bound == "at_least":
            return achieved >= self.value
        if self.bound == "at_most":
            return achieved <= self.value
        return abs(achieved - self.value) <= self.tolerance + 1e-12


class Targets(_Frozen):
    above_scale_share: Target
    above_scale_revenue_share: Target
    over_1bn_share_of_above_scale: Target
    over_1bn_revenue_share_of_above_scale: Target
    above_scale_mean_revenue: Target
    above_scale_median_revenue: Target
    below_scale_mean_revenue: Target
    tax_per_mu: Target
    va_per_mu: Target
    va_rate: Target
    tax_to_va: Target
    va_per_worker: Target
    va_per_tce: Target
    va_per_emission_t: Target
    rd_to_main_revenue: Target
    profit_margin: Target
    debt_ratio: Target
    above_scale_land_mean: Target
    above_scale_land_median: Target
    below_scale_land_ge3_share: Target
    below_scale_land_ge3_mean: Target
    below_scale_tax_per_mu: Target
    below_scale_tax_to_revenue: Target
    below_scale_evaluated_tax_to_revenue: Target
    high_tech_share_of_above_scale: Target
    little_giant_share_of_above_scale: Target
    specialized_per_little_giant: Target
    little_giant_share_hangzhou: Target
    nominal_growth: Target
    manufacturing_share: Target
    cluster_output_share: Target
    cluster_location_quotient: Target
    big_not_strong_productivity: Target
    prefecture_output_share_tolerance: Target
    division_revenue_share_tolerance: Target


class SizeParams(_Frozen):
    above_scale_threshold: Param[float]
    revenue_quantiles: Param[list[tuple[float, float]]]
    tail_index: Param[tuple[float, float]]
    tail_revenue_share: Param[float]
    max_revenue: Param[float]
    max_revenue_share: Param[float]
    main_revenue_share: Param[tuple[float, float]]
    output_to_revenue_sd: Param[float]

    @model_validator(mode="after")
    def _quantiles_increase(self) -> SizeParams:
        knots = self.revenue_quantiles.value
        ps = [p for p, _ in knots]
        vs = [v for _, v in knots]
        if ps[0] != 0.0 or any(b <= a for a, b in zip(ps, ps[1:])) or ps[-1] >= 1.0:
            raise ValueError("revenue_quantiles: p must start at 0, increase, and stay below 1")
        if any(v <= 0 for v in vs) or any(b <= a for a, b in zip(vs, vs[1:])):
            raise ValueError("revenue_quantiles: revenues must be positive and increase")
        return self


class DynamicsParams(_Frozen):
    firm_effect_rho: Param[float]
    firm_effect_sd_small: Param[float]
    firm_effect_sd_large: Param[float]
    ratio_noise_sd: Param[float]
    firm_age_mean: Param[float]
    new_firm_share_per_year: Param[float]
    exit_share_per_year: Param[float]
    suspended_share: Param[float]
    new_firm_size_shift: Param[float]
    registry_lag_share: Param[float]
    registry_stay_share: Param[float]
    new_build_entry_share: Param[float]
    division_growth: Param[dict[str, float]]


class GeographyParams(_Frozen):
    prefecture_output_share: Param[dict[str, float]]
    county_weight: Param[dict[str, float]]
    county_noise_sd: Param[float]
    county_division_noise_sd: Param[float]
    location_jitter_deg: Param[float]
    little_giant_city_counts: Param[dict[str, float]]


class IndustryParams(_Frozen):
    count_weight: Param[dict[str, float]]
    revenue_share: Param[dict[str, float]]
    size_shift: Param[dict[str, float]]
    va_rate: Param[dict[str, float]]
    tax_to_va: Param[dict[str, float]]
    rd_intensity: Param[dict[str, float]]
    energy_efficiency: Param[dict[str, float]]
    electricity_share: Param[dict[str, float]]
    emission_intensity: Param[dict[str, float]]
    export_share: Param[dict[str, float]]
    profit_margin: Param[dict[str, float]]
    far_minimum: Param[dict[str, float]]
    price_drift: Param[dict[str, float]]
    high_tech_propensity: Param[dict[str, float]]
    input_divisions: Param[dict[str, dict[str, float]]]

    @model_validator(mode="after")
    def _profiles_cover_divisions(self) -> IndustryParams:
        need = set(self.count_weight.value)
        for name in ("size_shift", "va_rate", "tax_to_va", "rd_intensity", "energy_efficiency",
                     "electricity_share", "emission_intensity", "export_share", "profit_margin",
                     "far_minimum", "input_divisions"):
            missing = sorted(need - set(getattr(self, name).value))
            if missing:
                raise ValueError(f"industry.{name} lacks divisions {missing}")
        return self


class RatioParams(_Frozen):
    below_scale_tax_elasticity: Param[float]
    general_taxpayer_line: Param[float]
    voluntary_general_taxpayer_share: Param[float]
    small_taxpayer_tax: Param[tuple[float, float]]
    below_scale_productivity_elasticity: Param[float]
    loss_share_sd: Param[float]
    income_tax_rate: Param[dict[str, float]]
    assets_to_revenue: Param[float]
    electricity_tce_per_kwh: Param[float]
    water_m3_per_10k_va: Param[float]
    gas_share_of_energy: Param[float]
    gas_tce_per_m3: Param[float]
    purchases_on_invoices: Param[float]
    supplier_capacity: Param[float]
    high_tech_rd_floor: Param[list[tuple[float, float]]]
    compliance_share: Param[float]
    below_scale_high_tech_share: Param[float]
    innovative_per_specialized: Param[float]
    rd_reporting_share: Param[dict[str, float]]
    exporter_share: Param[dict[str, float]]
    equity_financing_rate: Param[dict[str, float]]
    invention_patents_per_million_rd: Param[float]
    registered_capital_to_revenue: Param[tuple[float, float]]


class LandParams(_Frozen):
    above_scale_land_elasticity: Param[float]
    above_scale_land_noise_sd: Param[float]
    above_scale_without_land: Param[float]
    below_scale_small_land_share: Param[float]
    below_scale_land_over3: Param[tuple[float, float]]
    below_scale_land_selection: Param[dict[str, float]]
    below_scale_land_scale_bounds: Param[tuple[float, float]]
    tenant_on_parcel_share: Param[float]
    parcels_per_holder: Param[dict[str, float]]
    expansion_share: Param[dict[str, float]]
    project_stage: Param[dict[str, float]]
    redevelopment: Param[dict[str, float]]
    approved_not_supplied: Param[float]
    below_far_minimum_share: Param[float]
    land_use: Param[dict[str, float]]


class SingleSource(_Frozen):
    product_class: str
    supplier_region: str
    buyer_divisions: tuple[str, ...]
    share_of_buyers: float


class LinkParams(_Frozen):
    suppliers_above_scale: Param[tuple[int, float, int]]
    buyer_share_below_scale: Param[float]
    suppliers_below_scale: Param[tuple[int, float, int]]
    sourcing_default: Param[dict[str, float]]
    outside_pool_share: Param[float]
    outside_regions: Param[dict[str, float]]
    single_source: Param[list[SingleSource]]


class MonthlyParams(_Frozen):
    month_weights: Param[tuple[float, ...]]
    spring_festival_dip: Param[float]
    spring_festival: Param[dict[str, str]]
    cell_noise_sd: Param[float]

    @model_validator(mode="after")
    def _twelve_months(self) -> MonthlyParams:
        if len(self.month_weights.value) != 12:
            raise ValueError("monthly.month_weights needs 12 values")
        return self


class AttributeParams(_Frozen):
    ownership: Param[dict[str, dict[str, float]]]
    park_share: Param[dict[str, float]]
    digital_level: Param[dict[str, tuple[float, float, float, float]]]
    certification_rates: Param[dict[str, tuple[float, float]]]
    abnormal_list_share: Param[float]
    major_incident_share: Param[float]
    missing: Param[dict[str, float]]


class ClusterProfile(_Frozen):
    """Multipliers on the cluster firms' ratios (1 = like their industry elsewhere)."""

    productivity: float = 1.0
    rd: float = 1.0
    profit: float = 1.0
    va_rate: float = 1.0
    high_tech: float = 1.0
    tax: float = 1.0


class Cluster(_Frozen):
    """A county industrial cluster (产业集群) planted in the synthetic province."""

    id: str
    name_zh: str
    county: str
    classes: tuple[str, ...]
    output_share: float
    small_firm_share: float
    local_sourcing: float
    size_bias: float = 0.0
    big_not_strong: bool = False
    profile: ClusterProfile = ClusterProfile()
    source: str
    status: Status
    note: str = ""


class Calibration(_Frozen):
    """The whole calibration of a synthetic province (one YAML file)."""

    name: str
    province: str
    description: str = ""
    targets: Targets
    size: SizeParams
    dynamics: DynamicsParams
    geography: GeographyParams
    industry: IndustryParams
    ratios: RatioParams
    land: LandParams
    links: LinkParams
    monthly: MonthlyParams
    attributes: AttributeParams
    clusters: tuple[Cluster, ...]

    @model_validator(mode="after")
    def _codes_exist(self) -> Calibration:
        from zhizao.codes import industries, regions

        problems: list[str] = []
        for c in self.clusters:
            if regions.check_region_code(c.county, level="county"):
                problems.append(f"cluster {c.id}: county {c.county} is not a county code")
            for k in c.classes:
                if industries.check_industry_code(k, level="class"):
                    problems.append(f"cluster {c.id}: {k} is not a GB/T 4754-2017 class")
        for s in self.links.single_source.value:
            if industries.check_industry_code(s.product_class, level="class"):
                problems.append(f"single_source: {s.product_class} is not a class")
            if regions.check_region_code(s.supplier_region, level="county"):
                problems.append(f"single_source: {s.supplier_region} is not a county code")
            if s.supplier_region[:2] == self.province[:2]:
                problems.append(f"single_source: {s.supplier_region} lies inside the province")
        for code in self.links.outside_regions.value:
            if regions.check_region_code(code, level="county") or code[:2] == self.province[:2]:
                problems.append(f"outside_regions: {code} is not a county outside the province")
        ids = [c.id for c in self.clusters]
        if len(set(ids)) != len(ids):
            problems.append("cluster ids must be distinct")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def parameters(self) -> list[tuple[str, Any]]:
        """Every parameter and target as ``(dotted name, Param | Target | Cluster)``."""
        out: list[tuple[str, Any]] = []
        for section in ("targets", "size", "dynamics", "geography", "industry", "ratios", "land",
                        "links", "monthly", "attributes"):
            block = getattr(self, section)
            for name in type(block).model_fields:
                out.append((f"{section}.{name}", getattr(block, name)))
        out.extend((f"clusters.{c.id}", c) for c in self.clusters)
        return out


def default_calibration_path() -> Path:
    """The shipped Zhejiang calibration, ``zhizao/methods/synth/zhejiang.yaml``."""
    return Path(str(importlib.resources.files("zhizao") / "methods" / "synth" / "zhejiang.yaml"))


def load_calibration(path: Path | str | None = None) -> Calibration:
    """Read and validate a calibration: a YAML path or a shipped id (default: the shipped Zhejiang
    file, ``zhejiang``; read once); ``MethodError`` with the file, line and what was expected."""
    return methodfile.load("calibration", path)
