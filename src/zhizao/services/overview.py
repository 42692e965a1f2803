"""The regional overview (区域概况): the year's totals of the warehouse's own data — the
province, each prefecture, each GB/T 4754 division — stored as one run.

Registered as a lever (``LEVER``) so the demo, the contract test and the pages treat it like
the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from zhizao.data.results import TABLES
from zhizao.services import runs
from zhizao.services.registry import Lever, LeverRun

__all__ = ["Overview", "overview", "LEVER"]


@dataclass(frozen=True)
class Overview:
    year: int
    province: dict                   # the one row of result_province_summary
    by_prefecture: pa.Table
    by_division: pa.Table
    synthetic: bool
    run: runs.Run | None


def _stamp(t: pa.Table, year: int) -> pa.Table:
    return t.add_column(0, "year", pa.array([year] * t.num_rows, pa.int64()))


def overview(svc, *, year: int | None = None, store: bool = True) -> Overview:
    """Province summary and totals by prefecture and division for ``year`` (default: the latest),
    stored as a run of ``overview.totals`` (or the stored run when it matches)."""
    from zhizao.data import queries

    year, _ = svc.resolve_year(year)

    def compute():
        t = svc.tables()
        e, i = t["enterprises"], t["indicators"]
        return {"province_summary": _stamp(queries.province_summary(e, i, year=year).to_pyarrow(), year),
                "totals_by_prefecture": _stamp(queries.totals_by(e, i, year=year, by=("prefecture",)).to_pyarrow(), year),
                "totals_by_division": _stamp(queries.totals_by(e, i, year=year, by=("division",)).to_pyarrow(), year)}

    got = runs.stored_or_compute(svc, lever="overview", analysis="overview.totals", compute=compute, years=[year],
                                 key={"year": year}, store=store)
    arrow = {n: t.drop("run_id").to_pyarrow() if "run_id" in t.columns else t.to_pyarrow()
             for n, t in got.tables.items()}
    rows = arrow["province_summary"].to_pylist()
    return Overview(year, rows[0] if rows else {}, arrow["totals_by_prefecture"], arrow["totals_by_division"],
                    svc.is_synthetic(), got.run)


def standard_run(svc, year: int) -> LeverRun:
    o = overview(svc, year=year)
    p = o.province
    share = (p.get("above_scale_revenue") or 0) / p["revenue"] if p.get("revenue") else 0.0
    return LeverRun(runs=[o.run] if o.run else [],
                    summaries={"province_summary": pa.Table.from_pylist([p]),
                               "totals_by_prefecture": o.by_prefecture, "totals_by_division": o.by_division},
                    findings=[f"{year}: {p.get('above_scale_enterprises', 0):,} 规上企业 / above-scale enterprises, "
                              f"{share:.1%} of revenue"])


LEVER = Lever(name="overview", zh="区域概况", en="regional overview", tables=TABLES, standard_run=standard_run)
