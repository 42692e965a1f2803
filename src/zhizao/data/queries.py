"""Read functions over warehouse tables: pure Ibis expressions, the same on DuckDB and Spark.

Each takes Ibis tables (from ``Warehouse.tables()``) and returns a lazy Ibis table; nothing is
executed here. The levers build on these.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

#: Main-business revenue line of 规模以上工业 (NBS since 2011: 年主营业务收入2000万元及以上), in yuan.
ABOVE_SCALE_REVENUE_YUAN = 20_000_000.0

DEFAULT_MEASURES = ("revenue", "main_revenue", "gross_output", "value_added", "taxes", "profit",
                    "rd_expenditure", "employees", "energy_tce")


def enterprise_panel(enterprises: ir.Table, indicators: ir.Table, *, year: int | None = None) -> ir.Table:
    """Indicators (enterprise × year) with the enterprise's location and industry.

    Adds ``division`` (GB/T 4754 2-digit 大类), ``prefecture`` (GB/T 2260 地级 code) and
    ``revenue_test`` (main-business revenue ≥ 2,000万元, the 规上 line, kept apart from the
    registry flag ``above_scale``).
    """
    ind = indicators if year is None else indicators.filter(indicators.year == year)
    e = enterprises.select("uscc", "name", "region_code", "industry_code", "park")
    panel = ind.join(e, "uscc")
    return panel.mutate(
        division=panel.industry_code.substr(0, 2),
        prefecture=panel.region_code.substr(0, 4) + "00",
        revenue_test=(panel.main_revenue >= ABOVE_SCALE_REVENUE_YUAN).fill_null(False),
    )


def totals_by(
    enterprises: ir.Table,
    indicators: ir.Table,
    *,
    year: int,
    by: Sequence[str] = ("region_code", "division"),
    measures: Sequence[str] = DEFAULT_MEASURES,
    above_scale_only: bool = False,
) -> ir.Table:
    """Sum of ``measures`` and enterprise counts by ``by`` for one year, ordered by ``by``.

    ``above_scale_only`` keeps enterprises on the 规上 registry that year.
    """
    panel = enterprise_panel(enterprises, indicators, year=year)
    if above_scale_only:
        panel = panel.filter(panel.above_scale.fill_null(False))
    aggs = {m: panel[m].sum() for m in measures}
    aggs["enterprises"] = panel.uscc.count()
    aggs["above_scale_enterprises"] = panel.above_scale.fill_null(False).cast("int64").sum()
    return panel.group_by(list(by)).aggregate(**aggs).order_by(list(by))


def province_summary(enterprises: ir.Table, indicators: ir.Table, *, year: int) -> ir.Table:
    """One row: enterprises, 规上 enterprises, their revenue and value added, for a year."""
    panel = enterprise_panel(enterprises, indicators, year=year)
    a = panel.above_scale.fill_null(False)
    return panel.aggregate(
        enterprises=panel.uscc.count(),
        above_scale_enterprises=a.cast("int64").sum(),
        revenue=panel.revenue.sum(),
        above_scale_revenue=ibis.ifelse(a, panel.revenue, 0.0).sum(),
        value_added=panel.value_added.sum(),
        above_scale_value_added=ibis.ifelse(a, panel.value_added, 0.0).sum(),
        taxes=panel.taxes.sum(),
        employees=panel.employees.sum(),
    )


def latest_year(indicators: ir.Table) -> ir.Scalar:
    """The last year with indicators (a scalar expression)."""
    return indicators.year.max()


def quarantine_entries(quarantine: ir.Table, *, file: str | None = None) -> ir.Table:
    """Quarantine entries, optionally of one file (its name, with or without the ``#hash``)."""
    if file is None:
        return quarantine
    return quarantine.filter((quarantine.source_file == file) | quarantine.source_file.startswith(file + "#"))


def quarantine_summary(quarantine: ir.Table, *, file: str | None = None) -> ir.Table:
    """Rejected rows and problem entries by file, sheet, target table and reason."""
    q = quarantine_entries(quarantine, file=file)
    by = ["source_file", "sheet", "target_table", "reason_code"]
    return (q.group_by(by)
            .aggregate(rows=q.row_number.nunique(), entries=q.count())
            .order_by(by))


def rows_where(t, **eq) -> list[dict]:
    """Rows (as dicts) of an Ibis or pyarrow table where each named column equals its value — the
    few rows an explanation of one enterprise reads."""
    import pyarrow as pa

    if isinstance(t, pa.Table):
        import pyarrow.compute as pc

        mask = None
        for k, v in eq.items():
            m = pc.equal(t.column(k), v)
            mask = m if mask is None else pc.and_(mask, m)
        return (t.filter(mask) if mask is not None else t).to_pylist()
    for k, v in eq.items():
        t = t.filter(t[k] == v)
    return t.to_pyarrow().to_pylist()
