"""Differentiated measures (差别化政策) by class and consecutive years in class.

A county steers electricity, water and gas prices by the 亩均效益 class (亩均论英雄,
浙政发〔2018〕5号: "用地、用电、用水、用气、排污" differentiated by class). The schedule is data
(``LandMethod.measures``, a ``MeasureSchedule``): per class and resource a list of steps, the
step with the highest ``min_years`` not above the enterprise's consecutive years in the class
applies. Worked example, Shandong (济南日报 2022-03-03 report of 鲁政字〔2019〕235号): D class
(限制发展类) +0.05 yuan/kWh in the first year, +0.10 after 2 consecutive years, +0.15 after ≥ 3;
where 差别电价 (differential price), 惩罚性电价 (punitive price) or 阶梯电价 (tiered price) also
apply, only the highest is charged, no stacking (same report).

Pure functions: Ibis tables in, lazy Ibis tables out; no loops over enterprises (the only
Python loops are over the schedule's few rules and steps, which are configuration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:  # A's model; only the shape (rules, steps, combine) is used here
    from zhizao.land.method import MeasureSchedule

__all__ = ["RESOURCE_COLUMNS", "apply_schedule", "consecutive_years_in_class", "measure_totals"]

#: The column of the evaluation table that measures each resource's use (kWh, m³, m³). A rule on
#: a resource with no column here is reported not computable (``no_<resource>_use_in_schema``).
RESOURCE_COLUMNS: dict[str, str | None] = {"electricity": "electricity_kwh", "water": "water_m3", "gas": "gas_m3"}

NOT_COMPUTABLE_NO_COLUMN = "no_{resource}_use_in_schema"
NOT_COMPUTABLE_MISSING = "missing_{column}"


def consecutive_years_in_class(evaluations: ir.Table) -> ir.Table:
    """Consecutive years (连续年数) up to and including each year in the same class.

    Gaps and islands: within one enterprise and class, ``year − row_number`` is constant over
    a run of consecutive years, so a gap year or a year in another class starts a new run.

    Parameters
    ----------
    evaluations
        Evaluation rows of one or more years with at least ``uscc``, ``year``, ``land_class``
        (null when not graded).

    Returns
    -------
    ibis.Table
        ``uscc``, ``year``, ``land_class``, ``years_in_class`` (int64; null when not graded).
    """
    t = evaluations.select("uscc", "year", "land_class")
    run_key = t.year - ibis.row_number().over(group_by=[t.uscc, t.land_class], order_by=t.year)
    t = t.mutate(_run=run_key)
    n = ibis.row_number().over(group_by=[t.uscc, t.land_class, t._run], order_by=t.year) + 1
    t = t.mutate(years_in_class=ibis.ifelse(t.land_class.isnull(), ibis.null("int64"), n.cast("int64")))
    return t.drop("_run")


def _step_expr(years: ir.IntegerValue, steps, attr: str, dtype: str):
    """The attribute of the step with the highest ``min_years`` ≤ ``years`` (null if none)."""
    ordered = sorted(steps, key=lambda s: s.min_years, reverse=True)
    branches = [(years >= s.min_years, ibis.literal(getattr(s, attr), type=dtype)) for s in ordered]
    return ibis.cases(*branches, else_=ibis.null(dtype))


def _others(other_surcharges: ir.Table | None, *, year: int, combine: str) -> ir.Table | None:
    """Other surcharges per (uscc, resource): the highest one and its name, or their sum."""
    if other_surcharges is None:
        return None
    o = other_surcharges.filter(other_surcharges.year == year)
    if combine == "sum":
        agg = o.group_by(["uscc", "resource"]).aggregate(
            other_per_unit=o.amount_per_unit.sum().cast("float64"),
            other_name=o.name.group_concat("+"),
        )
    else:
        agg = o.group_by(["uscc", "resource"]).aggregate(
            other_per_unit=o.amount_per_unit.max().cast("float64"),
            other_name=o.name.argmax(o.amount_per_unit),
        )
    return agg.rename(_o_uscc="uscc", _o_resource="resource")


def apply_schedule(evaluations: ir.Table, schedule: MeasureSchedule, *, year: int,
                   other_surcharges: ir.Table | None = None) -> ir.Table:
    """The surcharge or rebate (差别化价格) per enterprise in ``year`` under ``schedule``.

    Parameters
    ----------
    evaluations
        The evaluation table (``zhizao.land.evaluate``) of ``year`` and the years before it, so
        consecutive years in class can be counted.
    schedule
        ``MeasureSchedule``: rules (class, resource, unit, steps) and ``combine``.
    year
        The year charged.
    other_surcharges
        Optional (``uscc``, ``year``, ``resource``, ``name``, ``amount_per_unit``): other
        surcharges on the same resource (差别电价, 惩罚性电价, 阶梯电价 …), yuan per unit.

    Returns
    -------
    ibis.Table
        One row per enterprise and rule that applies: ``year``, ``uscc``, ``name``,
        ``region_code``, ``segment``, ``land_class``, ``years_in_class``, ``rule_id``,
        ``rule_name_zh``, ``rule_name_en``, ``resource``, ``unit``, ``step_min_years``,
        ``schedule_per_unit`` (the step's amount; negative = rebate), ``other_per_unit`` /
        ``other_name`` (the other surcharge, null when none), ``charged_per_unit`` (after
        ``combine``), ``charged_by`` ("schedule", the other surcharge's name, or "sum"),
        ``resource_use``, ``computable``, ``not_computable_reason``, ``charge_yuan``
        (charged_per_unit × use: everything charged on the resource) and
        ``extra_charge_yuan`` (what the measure adds on top of the other surcharges;
        negative = rebate). Amounts are null where not computable.

    Notes
    -----
    ``combine="highest"`` compares surcharges only: the schedule's per-unit amount and the
    other surcharges' highest one; the larger is charged (ties go to the schedule) and
    ``charged_by`` says which won. A rebate (negative amount) is not a surcharge and is
    never compared away: it applies on top of whatever else is charged.
    ``combine="sum"`` stacks everything.
    Several enterprises evaluated together on one parcel (``unit_id`` "P:…") carry the unit's
    combined resource use; each is charged an equal share of it (an assumption: the evaluation
    table does not say who used what).
    """
    ev = evaluations
    cyc = consecutive_years_in_class(ev).filter(lambda t: t.year == year).select(
        _c_uscc="uscc", years_in_class="years_in_class")
    cur = ev.filter(ev.year == year)
    cur = cur.mutate(_members=cur.uscc.count().over(group_by=cur.unit_id))
    cur = cur.left_join(cyc, cur.uscc == cyc._c_uscc).drop("_c_uscc")
    others = _others(other_surcharges, year=year, combine=schedule.combine)

    parts = []
    for rule in schedule.rules:
        r = cur.filter(cur.land_class == rule.land_class)
        per_unit = _step_expr(r.years_in_class, rule.steps, "amount", "float64")
        min_years = _step_expr(r.years_in_class, rule.steps, "min_years", "int64")
        column = RESOURCE_COLUMNS.get(rule.resource)
        use = r[column].cast("float64") / r._members if column else ibis.null("float64")
        if column is None:
            reason = ibis.literal(NOT_COMPUTABLE_NO_COLUMN.format(resource=rule.resource))
        else:
            reason = ibis.ifelse(use.isnull(), NOT_COMPUTABLE_MISSING.format(column=column), ibis.null("string"))
        r = r.mutate(
            rule_id=ibis.literal(rule.id), rule_name_zh=ibis.literal(rule.name_zh),
            rule_name_en=ibis.literal(rule.name_en), resource=ibis.literal(rule.resource),
            unit=ibis.literal(rule.unit), step_min_years=min_years, schedule_per_unit=per_unit,
            resource_use=use, not_computable_reason=reason.cast("string"),
        )
        r = r.filter(r.step_min_years.notnull())
        parts.append(r.select(
            "year", "uscc", "name", "region_code", "segment", "land_class", "years_in_class", "rule_id",
            "rule_name_zh", "rule_name_en", "resource", "unit", "step_min_years", "schedule_per_unit",
            "resource_use", "not_computable_reason"))
    if not parts:
        raise ValueError("the measure schedule has no rules")
    t = parts[0]
    for p in parts[1:]:
        t = t.union(p)

    if others is not None:
        t = t.left_join(others, [t.uscc == others._o_uscc, t.resource == others._o_resource]).drop(
            "_o_uscc", "_o_resource")
    else:
        t = t.mutate(other_per_unit=ibis.null("float64"), other_name=ibis.null("string"))

    sched, other = t.schedule_per_unit, t.other_per_unit
    if schedule.combine == "sum":
        charged = sched + other.fill_null(0.0)
        by = ibis.ifelse(other.isnull(), "schedule", "sum")
    else:
        surcharge_wins = other.isnull() | (sched >= other)
        charged = ibis.cases(
            (sched < 0, sched + other.fill_null(0.0)),      # a rebate applies on top
            (surcharge_wins, sched),
            else_=other,
        )
        by = ibis.cases(
            (other.isnull(), ibis.literal("schedule")),
            (sched < 0, ibis.literal("schedule+") + t.other_name),
            (sched >= other, ibis.literal("schedule")),
            else_=t.other_name,
        )
    computable = t.not_computable_reason.isnull()
    t = t.mutate(charged_per_unit=charged, charged_by=by, computable=computable)
    t = t.mutate(
        charge_yuan=ibis.ifelse(t.computable, t.charged_per_unit * t.resource_use, ibis.null("float64")),
        extra_charge_yuan=ibis.ifelse(
            t.computable, (t.charged_per_unit - t.other_per_unit.fill_null(0.0)) * t.resource_use,
            ibis.null("float64")),
    )
    return t.select(
        "year", "uscc", "name", "region_code", "segment", "land_class", "years_in_class", "rule_id",
        "rule_name_zh", "rule_name_en", "resource", "unit", "step_min_years", "schedule_per_unit",
        "other_per_unit", "other_name", "charged_per_unit", "charged_by", "resource_use", "computable",
        "not_computable_reason", "charge_yuan", "extra_charge_yuan",
    ).order_by(["rule_id", "region_code", "uscc"])


def measure_totals(charges: ir.Table, *, by: tuple[str, ...] = ("region_code", "land_class")) -> ir.Table:
    """Totals of ``apply_schedule``'s output by county and class (and rule).

    Returns ``by`` + ``rule_id``, ``resource``, ``firms``, ``computable_firms``,
    ``resource_use``, ``charge_yuan`` and ``extra_charge_yuan`` (sums over computable firms).
    """
    keys = [*by, "rule_id", "resource"]
    return charges.group_by(keys).aggregate(
        firms=charges.uscc.count(),
        computable_firms=charges.computable.cast("int64").sum(),
        resource_use=charges.resource_use.sum(),
        charge_yuan=charges.charge_yuan.sum(),
        extra_charge_yuan=charges.extra_charge_yuan.sum(),
    ).order_by(keys)
