"""Cluster definitions, tier criteria and diagnosis settings (产业集群定义、梯度标准、诊断设置).

All three are data: YAML files in ``zhizao/methods/clusters/`` validated by the frozen Pydantic
models below (``extra="forbid"``); every rule carries its ``source:``. Errors name the file and the
field path, as the land methods do (``zhizao.land.method``).

* A **cluster set** (``zhejiang-415x``, ``jiangsu``): clusters, each a named set of GB/T 4754-2017
  industry codes (division 大类, group 中类 or class 小类 prefixes, each with a ``note`` on why it
  is mapped) in a set of GB/T 2260 regions (county, prefecture or province codes, or ``all`` =
  the set's province), with the tier it officially holds (``tier_claimed``) and a confidence tag
  (``C`` confirmed in a source, ``U`` unconfirmed by any source we hold). The synthetic
  province's 15 county clusters come from ``methods/synth/zhejiang.yaml`` (:func:`clusters_from_synth`).
* **Tier criteria** (``tiers-zhejiang``): tiers from the top (world-class 世界级 → provincial 省级
  特色 → new star 新星), each placed by any of its rules (a rule = conditions that must all hold);
  money thresholds may be scaled to the province in the data (a synthetic province is smaller).
* **Diagnosis settings** (``diagnosis-default``): the scale metrics, the strength dimensions
  (productivity, innovation, profitability, leading firms) and the percentile cut-offs of the
  大而不强 (big but not strong) verdict, plus national benchmarks where a file gives them.

Sources: 浙政发〔2023〕4号 (415X) and the Jiangsu sources named in ``jiangsu.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, field_validator, model_validator

from zhizao import methodfile
from zhizao.codes import industries as _ind
from zhizao.codes import regions as _reg
from zhizao.data.units import unit_factor
from zhizao.errors import MethodError
from zhizao.methodfile import FieldError, MethodModel

if TYPE_CHECKING:
    from zhizao.data.synth.calibration import Calibration

__all__ = [
    "METRIC_LABELS",
    "PROFILE_METRICS",
    "ClusterDef",
    "ClusterSet",
    "Condition",
    "DiagnosisSettings",
    "Dimension",
    "IndustryMapping",
    "MethodError",
    "TierCriteria",
    "available",
    "cluster_table",
    "clusters_from_synth",
    "format_values",
    "load_clusters",
    "load_diagnosis_settings",
    "load_tier_criteria",
    "parse_clusters",
    "parse_diagnosis_settings",
    "parse_tier_criteria",
]

TierId = Literal["world_class", "national", "provincial", "new_star"]

#: Numeric columns of ``cluster_profiles`` that criteria and settings may name → unit kind
#: (``zhizao.data.units``; thresholds in other units of the same kind are converted on load).
PROFILE_METRICS: dict[str, str] = {
    "firms": "count", "above_scale_firms": "count", "employees": "persons",
    "revenue": "money", "above_scale_revenue": "money", "output": "money", "value_added": "money",
    "profit": "money", "revenue_share": "share", "province_revenue": "money",
    "province_above_scale_revenue": "money", "revenue_growth": "share", "revenue_cagr": "share",
    "output_growth": "share", "employees_growth": "share", "lq": "plain", "lq_employees": "plain",
    "hhi": "share", "top4_share": "share", "top5_revenue_mean": "money", "rd_intensity": "share",
    "invention_patents_per_10k": "plain", "new_product_share": "share", "va_per_employee": "money_per_person",
    "profit_margin": "share", "high_tech_share": "share", "specialised_firms": "count",
    "specialised_share": "share", "firms_over_1bn": "count",
}

#: Chinese and English names of the profile metrics (reports, rendering).
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "firms": ("企业数", "firms"), "above_scale_firms": ("规上企业数", "above-scale firms"),
    "employees": ("从业人员", "employees"), "revenue": ("营业收入", "revenue"),
    "above_scale_revenue": ("规上营业收入", "above-scale revenue"), "output": ("工业总产值", "gross output"),
    "value_added": ("工业增加值", "value added"), "profit": ("利润总额", "profit"),
    "revenue_share": ("占全省营业收入比重", "share of provincial revenue"),
    "province_revenue": ("全省营业收入", "provincial revenue"),
    "province_above_scale_revenue": ("全省规上营业收入", "provincial above-scale revenue"),
    "revenue_growth": ("营业收入增长", "revenue growth"), "revenue_cagr": ("营业收入年均增速", "revenue growth per year"),
    "output_growth": ("产值增长", "output growth"), "employees_growth": ("从业人员增长", "employment growth"),
    "lq": ("区位商", "location quotient"), "lq_employees": ("区位商（从业人员）", "location quotient (employees)"),
    "hhi": ("企业赫芬达尔指数", "firm HHI"), "top4_share": ("前4位企业集中度", "top-4 share"),
    "top5_revenue_mean": ("前5位龙头企业平均营业收入", "mean revenue of the 5 leading firms"),
    "rd_intensity": ("研发投入强度", "R&D intensity"),
    "invention_patents_per_10k": ("万人发明专利拥有量", "invention patents per 10,000 employees"),
    "new_product_share": ("新产品销售收入占比", "new-product share"),
    "va_per_employee": ("全员劳动生产率", "value added per employee"), "profit_margin": ("营业收入利润率", "profit margin"),
    "high_tech_share": ("高技术制造业占比", "high-tech share"), "specialised_firms": ("专精特新企业数", "specialised firms"),
    "specialised_share": ("专精特新企业占比", "share of specialised firms"),
    "firms_over_1bn": ("营收超10亿元企业数", "firms with revenue ≥ 1 bn"),
}


def format_values(metric: str, values, *, lang: str = "zh") -> np.ndarray:
    """Display strings of a metric's values (vectorised): money in 亿元 / 100m yuan, shares in %,
    productivity in 万元/人; NaN → ``无数据`` / ``n/a``.

    >>> format_values("revenue", [2.5e9, float("nan")]).tolist()
    ['25.00亿元', '无数据']
    >>> format_values("profit_margin", [0.0421], lang="en").tolist()
    ['4.2%']
    """
    x = np.asarray(values, dtype=np.float64)
    kind = PROFILE_METRICS.get(metric, "plain")
    zh = lang == "zh"
    if kind == "money":
        s = np.char.mod("%.2f亿元" if zh else "%.2f×100m yuan", x / 1e8)
    elif kind == "money_per_person":
        s = np.char.mod("%.2f万元/人" if zh else "%.0f yuan/person", x / 1e4 if zh else x)
    elif kind == "share":
        s = np.char.mod("%.1f%%", x * 100)
    elif kind in ("count", "persons"):
        s = np.char.mod("%.0f", x)
    else:
        s = np.char.mod("%.3g", x)
    return np.where(np.isnan(x), "无数据" if zh else "n/a", s)


class _Frozen(MethodModel):
    pass


# --- cluster definitions ------------------------------------------------------------------------

class IndustryMapping(_Frozen):
    """One GB/T 4754-2017 code of a cluster (a prefix: division, group or class) and why."""

    code: str
    note: str = Field(min_length=1)
    confidence: Literal["C", "U"] = "C"

    @field_validator("code")
    @classmethod
    def _known(cls, v: str) -> str:
        if not v.isdigit() or not 2 <= len(v) <= 4:
            raise ValueError(f"{v!r}: give a GB/T 4754 division, group or class (2–4 digits)")
        reason = _ind.check_industry_code(v)
        if reason:
            raise ValueError(f"{v!r}: {reason}")
        return v


class ClusterDef(_Frozen):
    """A cluster (产业集群): industry codes in regions. ``regions: all`` means the set's province.

    ``unmapped`` says why a cluster has no industrial codes (e.g. software, GB/T 4754 division 65,
    lies outside the warehouse's sections B–D); such a cluster is listed but not profiled.
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name_zh: str
    name_en: str
    industries: list[IndustryMapping] = []
    regions: list[str] | Literal["all"] = "all"
    tier_claimed: TierId | None = None
    confidence: Literal["C", "U"] = "C"
    source: str
    note: str = ""
    unmapped: str | None = None

    @field_validator("regions")
    @classmethod
    def _regions(cls, v):
        if v == "all":
            return v
        if not v:
            raise ValueError("give at least one region code, or `all`")
        for code in v:
            reason = _reg.check_region_code(code)
            if reason:
                raise ValueError(f"{code!r}: {reason}")
        return v

    @model_validator(mode="after")
    def _mapped(self):
        if not self.industries and not self.unmapped:
            raise ValueError(f"cluster {self.id}: no industries; give `unmapped:` with the reason")
        return self

    @property
    def profiled(self) -> bool:
        return bool(self.industries)


class ClusterSet(_Frozen):
    id: str
    name_zh: str
    name_en: str
    province: str
    source: str
    clusters: list[ClusterDef]
    notes: list[str] = []

    @field_validator("province")
    @classmethod
    def _province(cls, v):
        reason = _reg.check_region_code(v, level="province")
        if reason:
            raise ValueError(f"{v!r}: {reason}")
        return v

    @model_validator(mode="after")
    def _check(self):
        ids = [c.id for c in self.clusters]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise FieldError(("clusters", ids.index(dup[0], ids.index(dup[0]) + 1)),
                             f"clusters: ids repeated {dup}: expected each cluster id once")
        for k, c in enumerate(self.clusters):
            if c.regions != "all":
                outside = [r for r in c.regions if not r.startswith(self.province[:2])]
                if outside:
                    raise FieldError(("clusters", k, "regions"),
                                     f"{outside} lie outside province {self.province}: expected regions "
                                     f"of the province (codes starting {self.province[:2]})")
        return self

    def get(self, cluster_id: str) -> ClusterDef:
        for c in self.clusters:
            if c.id == cluster_id:
                return c
        raise KeyError(f"no cluster {cluster_id!r} in {self.id}; clusters: {[c.id for c in self.clusters]}")


def _region_prefix(code: str) -> str:
    """County → its 6 digits, prefecture → 4, province → 2 (GB/T 2260 codes nest by prefix)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def cluster_table(clusters: ClusterSet) -> pa.Table:
    """Long form of the profiled clusters: one row per cluster × region entry × industry code.

    Columns ``cluster_id``, ``name_zh``, ``name_en``, ``tier_claimed``, ``confidence``,
    ``region_label`` (a region code, ``all``, or the ``;``-joined codes for a several-region
    cluster's whole), ``scope`` (``cluster`` = the whole cluster, one label per cluster;
    ``region`` = one of several regions), ``region_prefix`` (GB/T 2260 prefix; ``all`` → the
    province's 2 digits) and ``industry_prefix``.

    >>> import pyarrow.compute as pc
    >>> from zhizao.data.synth import load_calibration
    >>> t = cluster_table(clusters_from_synth(load_calibration()))
    >>> t.filter(pc.equal(t["cluster_id"], "zhuji_socks")).select(["region_label", "scope", "industry_prefix"]).to_pylist()
    [{'region_label': '330681', 'scope': 'cluster', 'industry_prefix': '1763'}]
    """
    rows = []
    for c in clusters.clusters:
        if not c.profiled:
            continue
        regs = [clusters.province] if c.regions == "all" else list(c.regions)
        whole = "all" if c.regions == "all" else ";".join(regs)
        labels = [(whole, "cluster", regs)] + ([(r, "region", [r]) for r in regs] if len(regs) > 1 else [])
        for label, scope, rs in labels:
            for r in rs:
                for m in c.industries:
                    rows.append((c.id, c.name_zh, c.name_en, c.tier_claimed, c.confidence, label, scope,
                                 _region_prefix(r), m.code))
    cols = ["cluster_id", "name_zh", "name_en", "tier_claimed", "confidence", "region_label", "scope",
            "region_prefix", "industry_prefix"]
    return pa.table({k: pa.array([r[j] for r in rows], pa.string()) for j, k in enumerate(cols)})


# --- tier criteria ------------------------------------------------------------------------------

def _threshold_factor(metric: str, unit: str | None) -> float:
    kind = PROFILE_METRICS.get(metric)
    if kind is None:
        raise ValueError(f"unknown metric {metric!r}; profile metrics: {sorted(PROFILE_METRICS)}")
    if unit is None:
        return 1.0
    if kind == "money_per_person":
        num, _, den = unit.partition("/")
        f, g = unit_factor("money", num), unit_factor("persons", den) if den else None
        if f is None or g is None:
            raise ValueError(f"unit {unit!r} of {metric}: expected money/person, e.g. 万元/人")
        return f / g
    f = unit_factor(kind, unit)
    if f is None:
        raise ValueError(f"unit {unit!r} does not fit {metric} (a {kind} figure)")
    return f


class Condition(_Frozen):
    """``metric op value`` (value in ``unit``; converted to the profile's canonical unit on load).
    ``scaled``: a money threshold multiplied by the criteria's province scaling factor."""

    metric: str
    op: Literal[">=", ">", "<=", "<"]
    value: float
    unit: str | None = None
    scaled: bool = False
    source: str

    @model_validator(mode="after")
    def _unit(self):
        _threshold_factor(self.metric, self.unit)
        if self.scaled and PROFILE_METRICS[self.metric] != "money":
            raise ValueError(f"{self.metric}: only money thresholds can be scaled")
        return self

    @property
    def threshold(self) -> float:
        """The threshold in the profile's canonical unit (before province scaling)."""
        return self.value * _threshold_factor(self.metric, self.unit)


class TierRule(_Frozen):
    id: str
    conditions: list[Condition] = Field(min_length=1)
    source: str


class Tier(_Frozen):
    id: TierId
    name_zh: str
    name_en: str
    rules: list[TierRule] = Field(min_length=1)


class Scaling(_Frozen):
    """Money thresholds × (the data's ``metric`` ÷ ``reference``): a province a tenth the size
    needs a tenth of the revenue for the same tier. ``none`` leaves thresholds as published."""

    kind: Literal["none", "province_above_scale_revenue", "province_revenue"]
    reference: float | None = None
    unit: str | None = None
    source: str

    @model_validator(mode="after")
    def _ref(self):
        if self.kind != "none":
            if self.reference is None or self.reference <= 0:
                raise ValueError("a scaling needs a positive reference")
            if unit_factor("money", self.unit or "元") is None:
                raise ValueError(f"unit {self.unit!r} is not a money unit")
        return self

    @property
    def reference_yuan(self) -> float | None:
        return None if self.reference is None else self.reference * unit_factor("money", self.unit or "元")


class TierCriteria(_Frozen):
    id: str
    name_zh: str
    name_en: str
    source: str
    scaling: Scaling
    tiers: list[Tier] = Field(min_length=1)
    none_name_zh: str = "未达梯度"
    none_name_en: str = "below the tiers"
    notes: list[str] = []

    @model_validator(mode="after")
    def _unique(self):
        ids = [t.id for t in self.tiers]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise FieldError(("tiers", ids.index(dup[0], ids.index(dup[0]) + 1), "id"),
                             f"tiers: an id appears twice {dup}: expected each tier once")
        return self


# --- diagnosis settings -------------------------------------------------------------------------

class MetricRef(_Frozen):
    column: str
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"

    @field_validator("column")
    @classmethod
    def _known(cls, v):
        if v not in PROFILE_METRICS:
            raise ValueError(f"unknown metric {v!r}; profile metrics: {sorted(PROFILE_METRICS)}")
        return v


class Dimension(_Frozen):
    """A strength dimension: its percentile is the mean of its metrics' percentiles."""

    name_zh: str
    name_en: str
    metrics: list[MetricRef] = Field(min_length=1)
    source: str


class ScaleSettings(_Frozen):
    metrics: list[MetricRef] = Field(min_length=1)
    big_percentile: float = Field(ge=0, le=100)
    source: str


class NationalBenchmark(_Frozen):
    value: float
    unit: str | None = None
    year: int | None = None
    source: str


class DiagnosisSettings(_Frozen):
    """大而不强: big = scale percentile ≥ ``scale.big_percentile``; strong = strength percentile (mean
    of the dimensions') ≥ ``strong_percentile``; a dimension below ``weak_percentile`` is named weak."""

    id: str
    name_zh: str
    name_en: str
    source: str
    scale: ScaleSettings
    dimensions: dict[str, Dimension] = Field(min_length=1)
    strong_percentile: float = Field(ge=0, le=100)
    weak_percentile: float = Field(ge=0, le=100)
    national: dict[str, NationalBenchmark] = {}
    notes: list[str] = []

    @model_validator(mode="after")
    def _national(self):
        for k, b in self.national.items():
            try:
                _threshold_factor(k, b.unit)
            except ValueError as e:
                raise FieldError(("national", k), str(e)) from None
        return self

    def national_value(self, metric: str) -> float | None:
        b = self.national.get(metric)
        return None if b is None else b.value * _threshold_factor(metric, b.unit)


# --- loading (zhizao.methodfile) -------------------------------------------------------------

def available() -> list[str]:
    """Ids of the shipped files (cluster sets, tier criteria, diagnosis settings)."""
    return sorted(methodfile.available("clusters") + methodfile.available("tiers")
                  + methodfile.available("diagnosis"))


def parse_clusters(text: str, *, origin: str = "<string>") -> ClusterSet:
    """Validate a cluster-set YAML text; ``MethodError`` names ``origin``, the line, the field path
    and what was expected."""
    return methodfile.parse("clusters", text, origin=origin)


def parse_tier_criteria(text: str, *, origin: str = "<string>") -> TierCriteria:
    return methodfile.parse("tiers", text, origin=origin)


def parse_diagnosis_settings(text: str, *, origin: str = "<string>") -> DiagnosisSettings:
    return methodfile.parse("diagnosis", text, origin=origin)


def load_clusters(path_or_id: str | Path | ClusterSet = "zhejiang-415x") -> ClusterSet:
    """A cluster set by shipped id (``zhejiang-415x``, ``jiangsu``) or path."""
    return methodfile.load("clusters", path_or_id)


def load_tier_criteria(path_or_id: str | Path | TierCriteria = "tiers-zhejiang") -> TierCriteria:
    return methodfile.load("tiers", path_or_id)


def load_diagnosis_settings(path_or_id: str | Path | DiagnosisSettings = "diagnosis-default") -> DiagnosisSettings:
    return methodfile.load("diagnosis", path_or_id)


def clusters_from_synth(calibration: Calibration) -> ClusterSet:
    """The synthetic province's county clusters (the ``clusters`` key of a calibration,
    ``zhizao.data.synth.load_calibration()``: ``methods/synth/zhejiang.yaml``).

    One cluster per planted cluster: its county, its classes (the calibration's ``note`` on the
    mapping is kept), no tier claimed.

    >>> from zhizao.data.synth import load_calibration
    >>> s = clusters_from_synth(load_calibration())
    >>> s.get("zhuji_socks").regions, [m.code for m in s.get("zhuji_socks").industries]
    (['330681'], ['1763'])
    """
    cal = calibration
    return ClusterSet(
        id=f"synthetic-{cal.name}", name_zh=f"合成省份产业集群（{cal.name}）",
        name_en=f"clusters of the synthetic province ({cal.name})", province=cal.province,
        source="src/zhizao/methods/synth/zhejiang.yaml, key clusters",
        clusters=[ClusterDef(
            id=c.id, name_zh=c.name_zh, name_en=c.id.replace("_", " "), regions=[c.county],
            industries=[IndustryMapping(code=k, note=c.note or "planted class of the synthetic cluster")
                        for k in c.classes],
            source=c.source, note=c.note, confidence="C" if c.status == "published" else "U",
        ) for c in cal.clusters],
    )
