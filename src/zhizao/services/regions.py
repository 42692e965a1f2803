"""Region aggregates (区域汇总) for maps and comparisons: one indicator summed over the enterprises of
each province, prefecture or county in a year, with disclosure control.

Cells inside the viewer's scope are published as they are (the viewer may see the enterprises
behind them); every other cell, and the total when it covers enterprises outside the scope, is
published under disclosure control (``zhizao.disclosure``): a cell with fewer than ``k``
enterprises or where one enterprise holds more than ``p`` % of the value is suppressed, and
further cells are suppressed so that none can be recomputed from the total and the others.
A suppressed cell's value is ``None`` with the reason — never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhizao.errors import InvalidInput
from zhizao.services.labels import region_label as _name

__all__ = ["aggregates", "RegionAggregates", "RegionCell", "INDICATORS", "LEVELS"]

#: indicator → (zh, en, unit, how it is aggregated, sensitive)
INDICATORS = {
    "enterprises": ("企业数", "enterprises", "count", "count", False),
    "above_scale": ("规上企业数", "above-scale enterprises", "count", "count_true", False),
    "revenue": ("营业收入", "revenue", "yuan", "sum", True),
    "value_added": ("工业增加值", "value added", "yuan", "sum", True),
    "taxes": ("实缴税金", "taxes paid", "yuan", "sum", True),
    "profit": ("利润总额", "total profit", "yuan", "sum", True),
    "employees": ("从业人员", "employees", "persons", "sum", True),
    "rd_expenditure": ("研发费用", "R&D expenditure", "yuan", "sum", True),
    "energy_tce": ("综合能耗", "energy use", "tce", "sum", True),
    "electricity_kwh": ("用电量", "electricity use", "kWh", "sum", True),
    "exports": ("出口交货值", "exports", "yuan", "sum", True),
}
LEVELS = {"province": 2, "prefecture": 4, "county": 6}


@dataclass(frozen=True)
class RegionCell:
    """One region of the answer. ``value`` is None when suppressed (``reason``: ``k`` too few
    enterprises, ``p`` one enterprise dominates, ``secondary`` protects another cell)."""

    code: str
    name: str
    enterprises: int
    value: float | None
    suppressed: bool
    reason: str | None
    in_scope: bool


@dataclass(frozen=True)
class RegionAggregates:
    level: str
    indicator: str
    label_zh: str
    label_en: str
    unit: str
    year: int
    within: str | None
    cells: tuple[RegionCell, ...]
    total: RegionCell
    k: int
    p: float
    controlled: bool                 # some cell was published under disclosure control
    synthetic: bool


def aggregates(svc, scope, *, level: str = "county", indicator: str = "revenue", year: int | None = None,
               within: str | None = None, k: int = 3, p: float = 85.0) -> RegionAggregates:
    """``indicator`` by region at ``level`` in ``year`` (default: the latest), over the regions
    inside ``within`` (a region code: drill down from a province to a prefecture), with
    disclosure control on the cells outside ``scope``."""
    import ibis
    import numpy as np

    from zhizao import disclosure
    from zhizao.codes.regions import UnknownRegionCode, region_prefix

    if level not in LEVELS:
        raise InvalidInput(f"层级 {level!r} 无效，应为 {', '.join(LEVELS)}",
                           f"level {level!r} is not one of {', '.join(LEVELS)}", where="level")
    if indicator not in INDICATORS:
        raise InvalidInput(f"指标 {indicator!r} 无效，应为 {', '.join(INDICATORS)}",
                           f"indicator {indicator!r} is not one of {', '.join(INDICATORS)}", where="indicator")
    year, _ = svc.resolve_year(year)
    zh, en, unit, how, sensitive = INDICATORS[indicator]
    prefix = None
    if within:
        try:
            prefix = region_prefix(within)
        except UnknownRegionCode as e:
            raise InvalidInput(f"区划代码 {within} 无效：{e}", f"region code {within} is not valid: {e}",
                               where="within") from None

    def compute():
        t = svc.tables()
        ind, ents = t["indicators"], t["enterprises"]
        ind = ind.filter(ind.year == year)
        j = ind.join(ents.select("uscc", "region_code"), "uscc")
        if prefix:
            j = j.filter(j.region_code.startswith(prefix))
        n = LEVELS[level]
        code = j.region_code.substr(0, n)
        if how == "count":
            v = ibis.literal(1.0)
        elif how == "count_true":
            v = j.above_scale.cast("float64").fill_null(0)
        else:
            v = j[indicator].cast("float64")
        g = j.mutate(cell=code, v=v).filter(lambda x: x.v.notnull())
        agg = g.group_by("cell").aggregate(n=g.uscc.nunique(), value=g.v.sum(), top=g.v.abs().max())
        return agg.order_by("cell").to_pyarrow().to_pylist()

    rows = svc.memo(("regions.aggregates", level, indicator, year, prefix), compute, data_only=True)
    codes = [r["cell"].ljust(6, "0") for r in rows]
    counts = np.array([r["n"] for r in rows], dtype=np.int64)
    values = np.array([r["value"] or 0.0 for r in rows], dtype=np.float64)
    top = np.array([r["top"] or 0.0 for r in rows], dtype=np.float64)
    total_code = (within and str(within)) or (codes[0][:2].ljust(6, "0") if codes else "000000")
    in_scope = np.array([scope.allows_region(c) for c in codes], dtype=bool)
    total_in_scope = bool(scope.allows_region(total_code)) or bool(in_scope.all() and len(codes))
    controlled = sensitive and (not in_scope.all() or not total_in_scope)
    if controlled:
        prot = disclosure.protect_1d(counts, values, top, k=k, p=p, needs_control=~in_scope)
        supp, reasons = prot.suppressed, prot.reason
    else:
        supp = np.zeros(len(codes) + 1, dtype=bool)
        reasons = [""] * (len(codes) + 1)
    cells = tuple(RegionCell(c, _name(c), int(counts[i]), None if supp[i] else float(values[i]), bool(supp[i]),
                             reasons[i] or None, bool(in_scope[i])) for i, c in enumerate(codes))
    t_i = len(codes)
    total = RegionCell(total_code, _name(total_code), int(counts.sum()),
                       None if supp[t_i] else float(values.sum()), bool(supp[t_i]), reasons[t_i] or None,
                       total_in_scope)
    return RegionAggregates(level, indicator, zh, en, unit, year, within, cells, total, k, p, bool(controlled),
                            svc.is_synthetic())
