"""Low-efficiency industrial land (低效工业用地) and idle land (闲置土地): which parcels, and why.

Pure Ibis: parcels, the 亩均 evaluation table (one row per enterprise and year, the contract in
docs/land.md) and enterprises in; lazy tables out. A parcel is flagged with every reason that
applies; each reason is decided only where the data tells. A rule whose inputs are missing for a
parcel is *not assessable* there, and that is visible (a ``not_assessable:<rule>`` row in
:func:`flag_parcels`, the ``not_assessable`` list in :func:`lowland_parcels`), never guessed.

Reasons (codes; Chinese names in :data:`REASON_ZH`; rules and sources in
``methods/land/lowland/zhejiang.yaml`` and docs/land-lowland.md):

* ``d_class`` — the holder is class D (整治提升类) in the year; ``d_class_consecutive`` — D for at
  least N consecutive years, counted over the evaluation table's ``year`` column;
* ``low_tax_per_mu`` — the holder's 亩均税收 (taxes ÷ evaluated area) is below a line: an absolute
  yuan/mu, or a share of the county × segment average (ratio of sums over evaluated firms), or a
  share of the county × segment median (the middle firm: not pulled up by a few large payers);
* ``low_far`` — the parcel's 容积率 is below the minimum of 《工业项目建设用地控制指标》 for the
  holder's GB/T 4754 division (built parcels only);
* ``idle_not_started`` / ``idle_stopped`` — 闲置土地 under 《闲置土地处置办法》 (国土资源部令第53号);
* Zhejiang's five types (五类低效用地): ``approved_not_supplied`` 批而未供, ``supplied_not_used``
  供而未用, ``used_not_fully`` 用而未尽, ``built_not_producing`` 建而未投, ``producing_below_standard``
  投而未达标.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import reduce
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from zhizao import methodfile
from zhizao.methodfile import MethodModel

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "methods" / "land" / "lowland" / "zhejiang.yaml"

#: Reason codes in the order they are listed (the five types in lifecycle order at the end).
FIVE_TYPES = ("approved_not_supplied", "supplied_not_used", "built_not_producing", "used_not_fully",
              "producing_below_standard")
REASONS = ("d_class", "d_class_consecutive", "low_tax_per_mu", "low_far", "idle_not_started",
           "idle_stopped", *FIVE_TYPES)
REASON_ZH = {
    "d_class": "D类企业用地", "d_class_consecutive": "连续D类企业用地", "low_tax_per_mu": "亩均税收低于标准",
    "low_far": "容积率低于行业下限", "idle_not_started": "闲置土地（超期未动工）",
    "idle_stopped": "闲置土地（开发不足且停建）", "approved_not_supplied": "批而未供",
    "supplied_not_used": "供而未用", "used_not_fully": "用而未尽", "built_not_producing": "建而未投",
    "producing_below_standard": "投而未达标",
}
#: Parcel statuses (schema.PARCEL_STATUS) read as "built and in use" for the plot-ratio rule.
BUILT_STATUSES = ("producing", "stopped", "revived", "redeveloped")
#: Statuses read as "in production" (用而未尽, 投而未达标).
PRODUCING_STATUSES = ("producing", "revived")
#: Statuses under which a parcel with no (or a future) actual start date counts as not started.
NOT_STARTED_STATUSES = ("supplied", "idle")
#: Statuses of started, unfinished projects (idle_stopped, 建而未投).
UNFINISHED_STATUSES = ("under_construction", "stopped", "idle")


class _Rule(MethodModel):
    enabled: bool = True
    source: str


class DClassRule(_Rule):
    land_class: str = "D"
    consecutive_years: int = Field(2, ge=1)


class TaxPerMuRule(_Rule):
    kind: Literal["absolute", "county_average_share", "county_median_share"]
    value: float = Field(gt=0)  # yuan/mu (absolute) or share of the county average / median
    segments: tuple[str, ...] = ("above_scale", "below_scale_large", "below_scale_small")


class FarRule(_Rule):
    edition: str
    minimum_by_division: dict[str, float]


class IdleRule(_Rule):
    not_started_years: int = Field(1, ge=1)
    developed_share_below: float = Field(1 / 3, gt=0, le=1)
    invested_share_below: float = Field(0.25, gt=0, le=1)
    stopped_years: int = Field(1, ge=1)
    fee_after_years: int = Field(1, ge=1)
    fee_share_of_land_price: float = Field(0.2, ge=0, le=1)
    recovery_after_years: int = Field(2, ge=1)


class FiveTypesRule(_Rule):
    pass


class LowlandRules(MethodModel):
    """The rules that flag low-efficiency land (低效用地认定规则); one YAML file per region."""

    id: str
    name_zh: str
    name_en: str
    source: str
    d_class: DClassRule
    low_tax_per_mu: TaxPerMuRule
    low_far: FarRule
    idle: IdleRule
    five_types: FiveTypesRule

    def enabled_reasons(self) -> tuple[str, ...]:
        on = {"d_class": self.d_class.enabled, "d_class_consecutive": self.d_class.enabled,
              "low_tax_per_mu": self.low_tax_per_mu.enabled, "low_far": self.low_far.enabled,
              "idle_not_started": self.idle.enabled, "idle_stopped": self.idle.enabled}
        return tuple(r for r in REASONS if on.get(r, self.five_types.enabled))

    def source_of(self, reason: str) -> str:
        rule = {"d_class": self.d_class, "d_class_consecutive": self.d_class,
                "low_tax_per_mu": self.low_tax_per_mu, "low_far": self.low_far,
                "idle_not_started": self.idle, "idle_stopped": self.idle}.get(reason, self.five_types)
        return rule.source


def load_lowland_rules(path: str | Path | None = None) -> LowlandRules:
    """Read and validate a rules file: a YAML path or a shipped id (default: the shipped Zhejiang
    file, ``zhejiang``); ``MethodError`` with the file, line and what was expected."""
    return methodfile.load("lowland", path)


def years_before(d: date, n: int) -> date:
    """``d`` minus ``n`` calendar years (29 February → 28 February)."""
    try:
        return d.replace(year=d.year - n)
    except ValueError:
        return d.replace(year=d.year - n, day=28)


_NULL_BOOL = ibis.null("boolean")


def _holders(evaluation: ir.Table, rules: LowlandRules, *, year: int) -> ir.Table:
    """One row per enterprise evaluated in ``year`` with what the parcel rules read about it."""
    ev = evaluation
    ey = ev.filter(ev.year == year)
    base = ey.filter((ey.segment != "exempt") & (ey.area_mu > 0) & ey.taxes.notnull())
    if rules.low_tax_per_mu.kind == "county_median_share":   # the middle firm's 亩均税收
        county = (base.taxes / base.area_mu).median()
    else:                                                    # ratio of sums (as the evaluation's benchmark)
        county = base.taxes.sum() / base.area_mu.sum()
    avg = base.group_by([base.region_code.name("a_region"), base.segment.name("a_segment")]).aggregate(
        county_tax_per_mu=county)
    h = ey.select(h_uscc=ey.uscc, h_region=ey.region_code, h_segment=ey.segment, h_area=ey.area_mu,
                  h_taxes=ey.taxes, h_va=ey.value_added, land_class=ey.land_class)
    # consecutive D years ending in `year` (gaps and islands over the years present)
    d = ev.filter((ev.land_class == rules.d_class.land_class) & (ev.year <= year)).select("uscc", "year")
    d = d.mutate(grp=d.year - ibis.row_number().over(group_by=d.uscc, order_by=d.year))
    runs = d.group_by([d.uscc.name("s_uscc"), "grp"]).aggregate(d_years=d.year.count(), last=d.year.max())
    streak = runs.filter(runs.last == year).select("s_uscc", "d_years")
    h = h.left_join(avg, [h.h_region == avg.a_region, h.h_segment == avg.a_segment]).left_join(
        streak, h.h_uscc == streak.s_uscc)
    h = h.select(*[c for c in h.columns if c not in ("a_region", "a_segment", "s_uscc")])
    h = h.mutate(d_years=h.d_years.fill_null(0).cast("int64"))
    # is the year before the streak in the evaluation table? (if not, a short streak is unknown)
    prev = ev.select(p_uscc=ev.uscc, p_year=ev.year).distinct()
    h = h.left_join(prev, [h.h_uscc == prev.p_uscc, prev.p_year == ibis.literal(year) - h.d_years])
    h = h.mutate(prev_known=h.p_uscc.notnull()).drop("p_uscc", "p_year")
    return h


def _assess(parcels: ir.Table, evaluation: ir.Table, enterprises: ir.Table, rules: LowlandRules, *,
            year: int, as_of: date | None) -> ir.Table:
    """Parcels with one nullable boolean column per reason (True / False / NULL = not assessable)."""
    as_of = as_of or date(year, 12, 31)
    lit_as_of = ibis.literal(as_of)
    h = _holders(evaluation, rules, year=year)
    ent = enterprises.select(e_uscc=enterprises.uscc, division=enterprises.industry_code.substr(0, 2))
    table = rules.low_far.minimum_by_division
    if table:  # the minimum plot ratio as a column of the enterprise (a join, not a long CASE)
        mins = ibis.memtable({"m_division": list(table), "far_minimum": [float(v) for v in table.values()]})
        ent = ent.left_join(mins, ent.division == mins.m_division).drop("m_division")
    else:
        ent = ent.mutate(far_minimum=ibis.null("float64"))
    p = parcels.left_join(h, parcels.holder_uscc == h.h_uscc).left_join(ent, parcels.holder_uscc == ent.e_uscc)
    p = p.drop("e_uscc")
    p = p.mutate(in_eval=p.h_uscc.notnull()).drop("h_uscc")

    has_holder = p.holder_uscc.notnull()
    in_eval = p.in_eval
    status = p.status.fill_null("")
    started = p.actual_start_date.notnull() & (p.actual_start_date <= lit_as_of)
    producing_date = p.production_date.notnull() & (p.production_date <= lit_as_of)
    producing = status.isin(PRODUCING_STATUSES)
    dr, tr, ir_ = rules.d_class, rules.low_tax_per_mu, rules.idle

    # D class
    is_d = p.land_class.fill_null("") == dr.land_class
    d_class = ibis.cases((~has_holder, False), (~in_eval, _NULL_BOOL), else_=is_d)
    d_consec = ibis.cases((~has_holder, False), (~in_eval, _NULL_BOOL), (~is_d, False),
                          (p.d_years >= dr.consecutive_years, True), (p.prev_known, False),
                          else_=_NULL_BOOL)
    # tax per mu
    tpm = ibis.ifelse(p.h_area > 0, p.h_taxes / p.h_area, ibis.null("float64"))
    if tr.kind == "absolute":
        line = ibis.literal(float(tr.value))
    else:
        line = p.county_tax_per_mu * tr.value
    seg_in = p.h_segment.isin(list(tr.segments)).fill_null(False)
    low_tax = ibis.cases((~has_holder, False), (~in_eval, _NULL_BOOL), (~seg_in, False),
                         (tpm.isnull() | line.isnull(), _NULL_BOOL), else_=tpm < line)
    # plot ratio
    far_min = p.far_minimum
    far_low_raw = p.floor_area_ratio < far_min  # NULL where either is unknown
    built = status.isin(BUILT_STATUSES)
    low_far = ibis.cases((~has_holder | ~built, False), (far_min.isnull() | p.floor_area_ratio.isnull(), _NULL_BOOL),
                         else_=far_low_raw)
    # idle land (闲置土地处置办法 art. 2)
    not_started_scope = has_holder & ~started & status.isin(NOT_STARTED_STATUSES)
    idle_ns = ibis.cases((~not_started_scope, False), (p.contract_start_date.isnull(), _NULL_BOOL),
                         else_=p.contract_start_date <= ibis.literal(years_before(as_of, ir_.not_started_years)))
    unfinished = status.isin(UNFINISHED_STATUSES) & ~producing_date
    stopped_scope = has_holder & unfinished & (started | status.isin(("under_construction", "stopped")))
    low_progress = (p.developed_share < ir_.developed_share_below) | (p.invested_share < ir_.invested_share_below)
    stop_met = p.stopped_since <= ibis.literal(years_before(as_of, ir_.stopped_years))
    idle_st = ibis.cases((~stopped_scope, False),
                         (p.stopped_since.isnull() & (status == "under_construction"), False),
                         else_=stop_met & low_progress)
    # Zhejiang five types
    approved_ns = (status == "approved") & p.supplied_on.isnull()
    supplied_nu = not_started_scope
    used_nf = ibis.cases((~producing, False), else_=(p.developed_share < 1) | far_low_raw)
    built_np = ibis.cases((~stopped_scope, False), (p.contract_production_date.isnull(), _NULL_BOOL),
                          else_=p.contract_production_date < lit_as_of)
    below_std = ibis.cases((~producing, False), else_=low_tax)

    flags = {"d_class": d_class, "d_class_consecutive": d_consec, "low_tax_per_mu": low_tax,
             "low_far": low_far, "idle_not_started": idle_ns, "idle_stopped": idle_st,
             "approved_not_supplied": approved_ns, "supplied_not_used": supplied_nu,
             "used_not_fully": used_nf, "built_not_producing": built_np,
             "producing_below_standard": below_std}
    enabled = set(rules.enabled_reasons())
    flags = {r: (e if r in enabled else ibis.literal(False)) for r, e in flags.items()}

    idle_since = ibis.cases((idle_ns.fill_null(False), p.contract_start_date),
                            (idle_st.fill_null(False), p.stopped_since), else_=ibis.null("date"))
    consequence = ibis.cases(
        (idle_since <= ibis.literal(years_before(as_of, ir_.recovery_after_years)), "recovery"),
        (idle_since <= ibis.literal(years_before(as_of, ir_.fee_after_years)), "idle_fee"),
        else_=ibis.null("string"))
    out = p.mutate(
        year=ibis.literal(year, "int64"), as_of=lit_as_of, tax_per_mu=tpm, tax_per_mu_line=line.cast("float64"),
        idle_since=idle_since,
        idle_days=lit_as_of.delta(idle_since, unit="day").cast("float64"),
        idle_consequence=consequence,
        idle_fee_share=ibis.ifelse(consequence.notnull(), ir_.fee_share_of_land_price, ibis.null("float64")),
        **{f"r_{r}": e for r, e in flags.items()},
    )
    return out


_PARCEL_COLS = ("year", "as_of", "parcel_id", "region_code", "park", "area_mu", "holder_uscc", "status")


def _value_threshold(t: ir.Table, reason: str, rules: LowlandRules, as_of: date):
    f64 = "float64"
    none = ibis.null(f64)
    if reason in ("d_class", "d_class_consecutive"):
        n = 1 if reason == "d_class" else rules.d_class.consecutive_years
        return t.d_years.cast(f64), ibis.literal(float(n)), "years in class D"
    if reason in ("low_tax_per_mu", "producing_below_standard"):
        return t.tax_per_mu, t.tax_per_mu_line, "yuan/mu"
    if reason == "low_far":
        return t.floor_area_ratio, t.far_minimum, "floor-area ratio"
    if reason in ("idle_not_started", "idle_stopped"):
        years = rules.idle.not_started_years if reason == "idle_not_started" else rules.idle.stopped_years
        days = float((as_of - years_before(as_of, years)).days)
        return t.idle_days, ibis.literal(days), "days idle"
    return none, none, None


def flag_parcels(parcels: ir.Table, evaluation: ir.Table, enterprises: ir.Table, rules: LowlandRules, *,
                 year: int, as_of: date | None = None) -> ir.Table:
    """One row per parcel × reason that applies, plus one per rule not assessable (long format).

    Parameters: ``parcels`` (warehouse table), ``evaluation`` (the 亩均 evaluation table, one or
    more years; the rules read ``year == year`` and, for consecutive D years, the years before),
    ``enterprises`` (for the holder's GB/T 4754 division), ``rules``; ``year``; ``as_of`` (the
    reference date of the idle-land rules, default 31 December of ``year``).

    Returns columns ``year, as_of, parcel_id, region_code, park, area_mu, holder_uscc, status,
    kind`` ("flag" | "not_assessable"), ``reason`` (a code of :data:`REASONS`, or
    ``not_assessable:<code>``), ``reason_zh``, ``value``, ``threshold``, ``unit`` (what was
    compared: years in D, yuan/mu, floor-area ratio, days idle), ``idle_since``,
    ``idle_consequence`` ("idle_fee" | "recovery" | null), ``idle_fee_share``, ``source``.
    """
    as_of = as_of or date(year, 12, 31)
    t = _assess(parcels, evaluation, enterprises, rules, year=year, as_of=as_of)
    enabled = rules.enabled_reasons()
    # one row per parcel × enabled rule (unnest), then keep the rules that hold or are unknown
    t = t.mutate(rule=ibis.array(list(enabled))).unnest("rule")
    rule = t.rule

    def pick(values: dict[str, ir.Value], dtype: str) -> ir.Value:
        return ibis.cases(*[(rule == r, v) for r, v in values.items()], else_=ibis.null(dtype))

    state = pick({r: t[f"r_{r}"] for r in enabled}, "boolean")
    vt = {r: _value_threshold(t, r, rules, as_of) for r in enabled}
    t = t.mutate(
        state=state,
        value=pick({r: v[0].cast("float64") for r, v in vt.items() if v[2]}, "float64"),
        threshold=pick({r: v[1].cast("float64") for r, v in vt.items() if v[2]}, "float64"),
        unit=pick({r: ibis.literal(v[2]) for r, v in vt.items() if v[2]}, "string"),
        reason_name=pick({r: ibis.literal(REASON_ZH[r]) for r in enabled}, "string"),
        source=pick({r: ibis.literal(rules.source_of(r)) for r in enabled}, "string"),
    )
    t = t.filter(t.state.isnull() | t.state)
    known = t.state.notnull()
    return t.select(
        *_PARCEL_COLS,
        kind=ibis.ifelse(known, "flag", "not_assessable"),
        reason=ibis.ifelse(known, t.rule, "not_assessable:" + t.rule),
        reason_zh=ibis.ifelse(known, t.reason_name, "无法判定：" + t.reason_name),
        value=t.value, threshold=t.threshold, unit=t.unit, idle_since=t.idle_since,
        idle_consequence=t.idle_consequence, idle_fee_share=t.idle_fee_share, source=t.source,
    )


def _join_codes(t: ir.Table, conds: dict[str, ir.BooleanValue]) -> ir.StringValue:
    pieces = [ibis.ifelse(c, ibis.literal(";" + code), ibis.literal("")) for code, c in conds.items()]
    return reduce(lambda a, b: a + b, pieces).substr(1)


def lowland_parcels(parcels: ir.Table, evaluation: ir.Table, enterprises: ir.Table, rules: LowlandRules, *,
                    year: int, as_of: date | None = None, include_unflagged: bool = False) -> ir.Table:
    """One row per flagged parcel (wide summary of :func:`flag_parcels`).

    Columns: ``year, as_of, parcel_id, region_code, park, area_mu, holder_uscc, status,
    land_class`` (holder's class in ``year``), ``d_years``, ``tax_per_mu``, ``tax_per_mu_line``,
    ``floor_area_ratio``, ``far_minimum``, ``reasons`` (semicolon list of codes, in
    :data:`REASONS` order), ``n_reasons``, ``five_types`` (semicolon list), ``five_type`` (the
    first in lifecycle order), ``five_type_zh``, ``not_assessable`` (semicolon list of rules that
    could not be decided), ``n_not_assessable``, ``idle_since``, ``idle_consequence``,
    ``idle_fee_share``. ``include_unflagged`` keeps parcels with no reason too.
    """
    as_of = as_of or date(year, 12, 31)
    t = _assess(parcels, evaluation, enterprises, rules, year=year, as_of=as_of)
    enabled = rules.enabled_reasons()
    flag = {r: t[f"r_{r}"].fill_null(False) for r in enabled}
    unknown = {r: t[f"r_{r}"].isnull() for r in enabled}
    five = {r: flag[r] for r in FIVE_TYPES if r in flag}
    n = reduce(lambda a, b: a + b, [c.cast("int64") for c in flag.values()], ibis.literal(0, "int64"))
    nna = reduce(lambda a, b: a + b, [c.cast("int64") for c in unknown.values()], ibis.literal(0, "int64"))
    first = ibis.cases(*[(c, code) for code, c in five.items()], else_=ibis.null("string")) if five \
        else ibis.null("string")
    first_zh = ibis.cases(*[(c, REASON_ZH[code]) for code, c in five.items()], else_=ibis.null("string")) if five \
        else ibis.null("string")
    out = t.select(
        *_PARCEL_COLS, "land_class", "d_years", "tax_per_mu", "tax_per_mu_line", "floor_area_ratio",
        "far_minimum",
        reasons=_join_codes(t, flag), n_reasons=n,
        five_types=_join_codes(t, five) if five else ibis.literal(""),
        five_type=first, five_type_zh=first_zh,
        not_assessable=_join_codes(t, unknown), n_not_assessable=nna,
        idle_since=t.idle_since, idle_consequence=t.idle_consequence, idle_fee_share=t.idle_fee_share,
    )
    return out if include_unflagged else out.filter(out.n_reasons > 0)


def area_totals(flags: ir.Table, *, by: Sequence[str] = ("region_code", "reason")) -> ir.Table:
    """Flagged area (亩) and parcel counts by ``by`` from :func:`flag_parcels`' long table.

    Only ``kind == "flag"`` rows count. Where ``by`` holds ``reason``, one extra row per group
    with ``reason = "any"`` gives the area of parcels with at least one reason, each parcel
    counted once (a parcel with several reasons is in several reason rows but once in "any").
    Columns: ``*by, parcels, area_mu``.
    """
    by = list(by)
    f = flags.filter(flags.kind == "flag")
    per = f.group_by(by).aggregate(parcels=f.parcel_id.nunique().cast("int64"), area_mu=f.area_mu.sum())
    if "reason" not in by:
        one = f.select(*[c for c in by], "parcel_id", "area_mu").distinct()
        return one.group_by(by).aggregate(parcels=one.parcel_id.count().cast("int64"), area_mu=one.area_mu.sum())
    rest = [c for c in by if c != "reason"]
    one = f.select(*rest, "parcel_id", "area_mu").distinct()
    anyr = one.group_by(rest).aggregate(parcels=one.parcel_id.count().cast("int64"), area_mu=one.area_mu.sum()) \
        if rest else one.aggregate(parcels=one.parcel_id.count().cast("int64"), area_mu=one.area_mu.sum())
    anyr = anyr.mutate(reason=ibis.literal("any")).select(*by, "parcels", "area_mu")
    return per.select(*by, "parcels", "area_mu").union(anyr)
