"""Method model of the 亩均效益综合评价 (per-mu performance evaluation, "亩均论英雄").

A method is data: a YAML file in ``zhizao/methods/land/`` validated by the frozen Pydantic
models below (``extra="forbid"``). It states the segments (分类: 规上, 规下 ≥ 3 亩, 规下 < 3 亩,
租赁企业), each with its indicator items (weight 权重, benchmark 基准值, cap 封顶, floor 保底,
direction, missing-data rule), the exemptions (不参评 / 不定等级), bonus/penalty/one-vote-veto
items (加分 / 扣分 / 一票否决), the class assignment (quota 比例 or score band 分数段), the class
names and, optionally, the differentiated-measure schedule (差别化政策) read by
``zhizao.land.measures``.

Sources: 浙政发〔2018〕5号 and the county rules each shipped method names (every shipped parameter
cites its own ``source:``).
Benchmarks may be written in the published unit (``万元/亩``) and are converted on load to the
canonical unit of the indicator (``yuan/mu`` …) with ``zhizao.data.units``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from zhizao import methodfile
from zhizao.data.units import unit_factor
from zhizao.errors import MethodError  # noqa: F401 - zhizao.land.MethodError is the one MethodError
from zhizao.methodfile import FieldError, MethodModel

DEFAULT_METHOD = "zhejiang-county-default"
SEGMENTS = ("above_scale", "below_scale_large", "below_scale_small", "tenant")


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator: numerator ÷ denominator, with the unit kinds used to convert benchmarks."""

    id: str
    numerator: str
    denominator: str
    num_kind: str
    den_kind: str
    name_zh: str
    name_en: str
    unit: str  # canonical unit of the value


#: The indicators a method may use (黄岩 2021/2022 score calculation notes; Shandong's sales-based
#: ones: Qingdao NDRC's interpretation of 青发改规〔2020〕2号).
INDICATORS: dict[str, IndicatorDef] = {d.id: d for d in [
    IndicatorDef("tax_per_mu", "taxes", "area_mu", "money", "area", "亩均税收", "tax per mu", "yuan/mu"),
    IndicatorDef("va_per_mu", "value_added", "area_mu", "money", "area", "亩均增加值", "value added per mu", "yuan/mu"),
    IndicatorDef("labour_productivity", "value_added", "employees", "money", "persons", "全员劳动生产率",
                 "labour productivity", "yuan/person"),
    IndicatorDef("va_per_energy", "value_added", "energy_tce", "money", "energy", "单位能耗增加值",
                 "value added per tce", "yuan/tce"),
    IndicatorDef("va_per_emission", "value_added", "emissions_t", "money", "mass", "单位排放增加值",
                 "value added per t of emissions", "yuan/t"),
    IndicatorDef("rd_ratio", "rd_expenditure", "main_revenue", "money", "money", "R&D经费支出占主营业务收入之比",
                 "R&D share of main revenue", "ratio"),
    IndicatorDef("tax_per_kwh", "taxes", "electricity_kwh", "money", "electricity", "单位电耗税收",
                 "tax per kWh", "yuan/kWh"),
    IndicatorDef("revenue_per_mu", "revenue", "area_mu", "money", "area", "亩均销售收入", "revenue per mu", "yuan/mu"),
    IndicatorDef("va_per_water", "value_added", "water_m3", "money", "water", "单位用水量工业增加值",
                 "value added per m³ of water", "yuan/m3"),
    IndicatorDef("revenue_per_energy", "revenue", "energy_tce", "money", "energy", "单位能耗销售收入",
                 "revenue per tce", "yuan/tce"),
    IndicatorDef("revenue_per_emission", "revenue", "emissions_t", "money", "mass", "单位污染物排放销售收入",
                 "revenue per t of emissions", "yuan/t"),
]}
#: The indicator ids every evaluation table carries (the contract's columns), in this order.
CORE_INDICATORS = ("tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy", "va_per_emission",
                   "rd_ratio", "tax_per_kwh", "revenue_per_mu")

IndicatorId = Literal["tax_per_mu", "va_per_mu", "labour_productivity", "va_per_energy", "va_per_emission",
                      "rd_ratio", "tax_per_kwh", "revenue_per_mu", "revenue_per_energy", "revenue_per_emission",
                      "va_per_water"]
SegmentId = Literal["above_scale", "below_scale_large", "below_scale_small", "tenant"]


class _Frozen(MethodModel):
    pass


class Benchmark(_Frozen):
    """基准值: ``county_average`` = Σ numerator ÷ Σ denominator over the graded units of the same
    county × segment × year (Huangyan's county average, a ratio of sums); ``county_median`` =
    median of the units' values there; ``fixed`` = ``value`` in ``unit`` (converted on load)."""

    kind: Literal["county_average", "county_median", "fixed"]
    value: float | None = None
    unit: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _fixed_needs_value(self):
        if self.kind == "fixed" and (self.value is None or self.value <= 0):
            raise ValueError("a fixed benchmark needs a positive value")
        return self


class Item(_Frozen):
    """One scored indicator of a segment: ``score = x / benchmark × weight`` (higher is better) or
    ``(2 − x / benchmark) × weight``, 0 when x ≥ 2 × benchmark (reverse, as a non-Zhejiang comparator scores intensities),
    then ``min(score, cap × weight)`` and ``max(score, floor)``."""

    id: IndicatorId
    weight: float = Field(gt=0)
    benchmark: Benchmark
    cap: float | None = Field(default=None, gt=0, description="score ≤ cap × weight")
    floor: float = Field(default=0.0, description="score ≥ floor (points)")
    direction: Literal["higher_is_better", "reverse"] = "higher_is_better"
    missing: Literal["segment_average_score", "zero", "exclude"] = "zero"
    source: str

    @model_validator(mode="after")
    def _unit(self):
        try:
            _benchmark_factor(self.id, self.benchmark.unit)
        except ValueError as e:
            raise FieldError(("benchmark", "unit"), str(e)) from None
        return self

    @property
    def benchmark_value(self) -> float | None:
        """The fixed benchmark in the indicator's canonical unit (None for county benchmarks)."""
        b = self.benchmark
        if b.kind != "fixed":
            return None
        return b.value * _benchmark_factor(self.id, b.unit)


class UnavailableItem(_Frozen):
    """An item of the published method that the warehouse has no data for (e.g. water use)."""

    id: str
    name_zh: str
    weight: float
    treatment: Literal["dropped", "redistributed"] = "dropped"
    note: str = ""
    source: str


class Classing(_Frozen):
    """Class assignment within county × segment: ``quota`` = cumulative percentile shares in class
    order (rank / ranked ≤ cumulative share, boundaries inclusive; ties share the better rank and so
    the better class); ``bands`` = minimum total score per class (以上: score ≥ min is in the class),
    the last class takes the rest."""

    kind: Literal["quota", "bands"]
    shares: dict[str, float] | None = None
    bands: dict[str, float] | None = None
    source: str

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "quota":
            if not self.shares:
                raise ValueError("quota classing needs shares: expected `shares: {A: 0.1, B: …}`")
            if abs(sum(self.shares.values()) - 1.0) > 1e-6:
                raise FieldError(("shares",), f"quota shares must add up to 1 (they add up to "
                                              f"{sum(self.shares.values()):g})")
        elif not self.bands:
            raise ValueError("band classing needs bands: expected `bands: {A: 90, B: …}`")
        return self


class Segment(_Frozen):
    name_zh: str
    name_en: str
    items: list[Item]
    unavailable: list[UnavailableItem] = []
    classing: Classing
    source: str

    @field_validator("items")
    @classmethod
    def _unique(cls, v):
        ids = [i.id for i in v]
        if len(ids) != len(set(ids)):
            raise ValueError(f"an indicator appears twice: {sorted({i for i in ids if ids.count(i) > 1})}")
        return v


class LandRules(_Frozen):
    """用地面积: land held (holder_uscc) plus the allocated share of parcels rented.

    ``tenant_allocation``: a parcel with tenants is split among its holder and tenants in
    ``equal`` shares or in proportion to ``employees`` that year (equal shares when nobody reports
    employees). ``combine_shared_parcels``: the occupants of a shared parcel are evaluated together
    (figures summed, one result, unit ``P:<parcel_id>``; 遂昌 2023 notice)."""

    tenant_allocation: Literal["equal", "employees"] = "equal"
    combine_shared_parcels: bool = False
    source: str


class Exemptions(_Frozen):
    """不参评 / 不定等级: utilities (GB/T 4754 divisions), start-up firms (registered within
    ``startup_years`` calendar years: year − registration year < N), and land under construction
    not yet past its contractual production date (such parcels do not count as land; a firm left with
    no land because of them is exempt "under_construction")."""

    utility_divisions: list[str] = ["44", "45", "46"]
    startup_years: int | None = None
    under_construction: bool = True
    source: str


class Adjustment(_Frozen):
    """加分 / 扣分 / 一票否决 driven by a boolean enterprise column (``flag``)."""

    id: str
    flag: Literal["major_incident_3y", "on_abnormal_list", "is_high_tech", "strategic_emerging", "own_brand"]
    kind: Literal["bonus", "penalty", "veto"]
    points: float = 0.0
    to_class: str | None = None
    source: str

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "veto" and not self.to_class:
            raise ValueError("a veto needs to_class")
        return self


class ClassName(_Frozen):
    name_zh: str
    name_en: str


class ScheduleStep(_Frozen):
    min_years: int = Field(ge=1)
    amount: float


class MeasureRule(_Frozen):
    id: str
    name_zh: str
    name_en: str
    land_class: str
    resource: Literal["electricity", "water", "gas"]
    unit: Literal["yuan/kWh", "yuan/t", "yuan/m3"]
    steps: list[ScheduleStep]
    source: str


class MeasureSchedule(_Frozen):
    rules: list[MeasureRule]
    combine: Literal["highest", "sum"] = "highest"
    source: str


class LandMethod(_Frozen):
    id: str
    name_zh: str
    name_en: str
    source: str
    valid_from: date
    valid_to: date | None = None
    land_threshold_mu: float = 3.0
    land: LandRules
    segments: dict[SegmentId, Segment]
    exemptions: Exemptions
    adjustments: list[Adjustment] = []
    classes: dict[str, ClassName]
    measures: MeasureSchedule | None = None
    notes: list[str] = []

    @model_validator(mode="after")
    def _check(self):
        codes = list(self.classes)
        for seg_id, seg in self.segments.items():
            c = seg.classing
            used = list((c.shares if c.kind == "quota" else c.bands) or {})
            unknown = [k for k in used if k not in self.classes]
            if unknown:
                raise FieldError(("segments", seg_id, "classing"), f"names unknown classes {unknown}: expected "
                                                                   f"classes of `classes` ({', '.join(codes)})")
            if c.kind == "quota" and used != codes[: len(used)]:
                raise FieldError(("segments", seg_id, "classing", "shares"),
                                 f"shares must follow the class order {codes}")
        for k, a in enumerate(self.adjustments):
            if a.to_class and a.to_class not in self.classes:
                raise FieldError(("adjustments", k, "to_class"), f"adjustment {a.id}: unknown class {a.to_class!r}: "
                                                                 f"expected one of {', '.join(codes)}")
        return self

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        """Every indicator id of any segment, in ``INDICATORS`` order."""
        used = {i.id for s in self.segments.values() for i in s.items}
        return tuple(k for k in INDICATORS if k in used)

    @property
    def output_indicator_ids(self) -> tuple[str, ...]:
        """The contract's eight ids plus any other id the method uses."""
        return CORE_INDICATORS + tuple(k for k in self.indicator_ids if k not in CORE_INDICATORS)

    def covers(self, year: int) -> bool:
        return self.valid_from <= date(year, 12, 31) and (self.valid_to is None or self.valid_to >= date(year, 1, 1))


def _benchmark_factor(indicator: str, unit: str | None) -> float:
    """Factor from a benchmark unit like ``万元/亩`` to the indicator's canonical unit."""
    d = INDICATORS[indicator]
    if unit is None:
        return 1.0
    if d.id == "rd_ratio":
        f = unit_factor("share", unit)
        if f is None:
            raise ValueError(f"unknown unit {unit!r} for {indicator} (use ratio or %)")
        return f
    if "/" not in unit:
        raise ValueError(f"benchmark unit {unit!r} of {indicator} must read numerator/denominator, e.g. 万元/亩")
    num, den = unit.split("/", 1)
    fn, fd = unit_factor(d.num_kind, num), unit_factor(d.den_kind, den)
    if fn is None or fd is None:
        raise ValueError(f"unknown unit {unit!r} for {indicator} ({d.num_kind}/{d.den_kind})")
    return fn / fd


def available_methods() -> list[str]:
    """Ids of the shipped method files."""
    return methodfile.available("land")


def parse_method(text: str, *, origin: str = "<string>") -> LandMethod:
    """Validate YAML text; ``MethodError`` names ``origin`` (the file), the line, the field path
    and what was expected (``zhizao.methodfile``)."""
    return methodfile.parse("land", text, origin=origin)


def load_method(path_or_id: str | Path | LandMethod = DEFAULT_METHOD) -> LandMethod:
    """A method by shipped id (``zhejiang-county-default``, ``linhai-fixed``, ``shandong``) or path
    (shipped files are read once)."""
    return methodfile.load("land", path_or_id)


#: Indicator id → (Chinese header with display unit, factor from the canonical unit).
INDICATOR_DISPLAY: dict[str, tuple[str, float]] = {
    "tax_per_mu": ("亩均税收（万元/亩）", 1e-4),
    "va_per_mu": ("亩均增加值（万元/亩）", 1e-4),
    "labour_productivity": ("全员劳动生产率（万元/人）", 1e-4),
    "va_per_energy": ("单位能耗增加值（万元/吨标准煤）", 1e-4),
    "va_per_emission": ("单位排放增加值（万元/吨）", 1e-4),
    "rd_ratio": ("R&D经费支出占主营业务收入比重（%）", 100.0),
    "tax_per_kwh": ("单位电耗税收（元/千瓦时）", 1.0),
    "revenue_per_mu": ("亩均销售收入（万元/亩）", 1e-4),
    "revenue_per_energy": ("单位能耗销售收入（万元/吨标准煤）", 1e-4),
    "revenue_per_emission": ("单位污染物排放销售收入（万元/吨）", 1e-4),
}


def display_value(indicator: str, value: float | None) -> str:
    """A value in the unit counties publish (``98.0 万元/亩``), from the canonical unit."""
    if value is None:
        return "—"
    header, factor = INDICATOR_DISPLAY.get(indicator, (indicator, 1.0))
    unit = header[header.rfind("（") + 1:-1] if "（" in header else ""
    return f"{value * factor:,.4g} {unit}".rstrip()
