"""Benchmark: 亩均 evaluation of a whole synthetic province against one hand-written SQL query.

    python benchmarks/land.py --quick     # 100,000 enterprises
    python benchmarks/land.py             # 1,000,000 enterprises

The province (``zhizao.data.synth.generate``) is loaded into a DuckDB warehouse with
``Warehouse.replace``. Timed: ``zhizao.land.evaluate(tables, default method, year).to_pyarrow()``
(Ibis → DuckDB, including compilation), beside the floor: ONE hand-written DuckDB SQL query that
computes the same scores and classes from the same tables for the default method
(``zhejiang-county-default``). Each is run ``--repeat`` times; the best time counts. Classes are
compared enterprise by enterprise.

Last stdout line: JSON with n, zhizao_s, sql_s, ratio_to_sql, classes_identical (plus
max_score_diff, rows, year).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def floor_sql(method, year: int) -> str:
    """The default method as one SQL statement (parameters read from the method, logic hand-written)."""
    above = method.segments["above_scale"]
    below = method.segments["below_scale_large"]
    shares = above.classing.shares
    cum, bounds = 0.0, []
    for code, share in list(shares.items())[:-1]:
        cum += share
        bounds.append(f"WHEN pct <= {cum + 1e-9!r} THEN '{code}'")
    last = list(shares)[-1]
    cls = f"CASE {' '.join(bounds)} ELSE '{last}' END"
    veto = [a for a in method.adjustments if a.kind == "veto"]
    pen = [a for a in method.adjustments if a.kind == "penalty"]
    penalty = " + ".join(f"CASE WHEN coalesce({a.flag}, false) THEN {a.points!r} ELSE 0 END" for a in pen) or "0"
    veto_case = " ".join(f"WHEN coalesce({a.flag}, false) THEN '{a.to_class}'" for a in veto)
    ex = method.exemptions
    utilities = ", ".join(f"'{d}'" for d in ex.utility_divisions)
    num = {"tax_per_mu": "taxes", "va_per_mu": "value_added", "labour_productivity": "value_added",
           "va_per_energy": "value_added", "va_per_emission": "value_added", "rd_ratio": "rd_expenditure",
           "tax_per_kwh": "taxes"}
    den = {"tax_per_mu": "area_mu", "va_per_mu": "area_mu", "labour_productivity": "employees::DOUBLE",
           "va_per_energy": "energy_tce", "va_per_emission": "emissions_t", "rd_ratio": "main_revenue",
           "tax_per_kwh": "electricity_kwh"}
    ids = list(num)
    vals = ",\n".join(
        f"CASE WHEN {num[i]} IS NOT NULL AND {den[i]} > 0 THEN {num[i]} / {den[i]} END AS v_{i}" for i in ids)
    avgs = ",\n".join(
        f"sum(CASE WHEN v_{i} IS NOT NULL THEN {num[i]} ELSE 0 END) / "
        f"sum(CASE WHEN v_{i} IS NOT NULL THEN {den[i]} ELSE 0 END) AS b_{i}" for i in ids)

    def item_expr(seg):
        parts = []
        for it in seg.items:
            w, cap = it.weight, (it.cap or 1e18) * it.weight
            parts.append((it.id, f"CASE WHEN v_{it.id} IS NULL OR NOT (b_{it.id} > 0) THEN NULL "
                                 f"ELSE greatest(least(v_{it.id} / b_{it.id} * {w!r}, {cap!r}), {it.floor!r}) END",
                          it.missing))
        return parts

    seg_scores = []
    for it_id in ids:
        a = next((p for p in item_expr(above) if p[0] == it_id), None)
        b = next((p for p in item_expr(below) if p[0] == it_id), None)
        branches = []
        if a:
            branches.append(f"WHEN segment = 'above_scale' THEN {a[1]}")
        if b:
            branches.append(f"WHEN segment <> 'above_scale' THEN {b[1]}")
        seg_scores.append(f"CASE {' '.join(branches)} END AS s_{it_id}")
    avg_ids = [it.id for it in above.items + below.items if it.missing == "segment_average_score"]
    in_above = {it.id for it in above.items}
    in_below = {it.id for it in below.items}
    final_scores = []
    for i in ids:
        in_seg = ("segment = 'above_scale'" if i in in_above and i not in in_below else
                  "segment <> 'above_scale'" if i in in_below and i not in in_above else "true")
        if i in avg_ids:
            final_scores.append(f"CASE WHEN NOT ({in_seg}) THEN NULL WHEN v_{i} IS NULL THEN a_{i} "
                                f"ELSE coalesce(s_{i}, 0) END AS f_{i}")
        else:
            final_scores.append(f"CASE WHEN NOT ({in_seg}) THEN NULL ELSE coalesce(s_{i}, 0) END AS f_{i}")
    seg_avg = ", ".join(f"avg(s_{i}) AS a_{i}" for i in avg_ids) or "1 AS dummy"
    total = " + ".join(f"coalesce(f_{i}, 0)" for i in ids)
    flags = sorted({a.flag for a in method.adjustments})
    flag_cols = "".join(f", e.{f}" for f in flags)
    uc = ("NOT (p.status = 'under_construction' AND p.contract_production_date IS NOT NULL "
          f"AND p.contract_production_date >= DATE '{year}-12-31')") if ex.under_construction else "true"
    startup = (f"WHEN e.registered_on IS NOT NULL AND {year} - year(e.registered_on) < {ex.startup_years} "
               "THEN 'startup'") if ex.startup_years else ""
    thr = method.land_threshold_mu
    return f"""
WITH pc AS (
  SELECT parcel_id, area_mu, holder_uscc, tenant_usccs, {uc} AS counts FROM parcels p
), occ AS (
  SELECT parcel_id, area_mu, counts, holder_uscc AS uscc, true AS is_holder FROM pc WHERE holder_uscc IS NOT NULL
  UNION ALL
  SELECT parcel_id, area_mu, counts, trim(unnest(string_split(tenant_usccs, ';'))) AS uscc, false
  FROM pc WHERE tenant_usccs IS NOT NULL AND trim(tenant_usccs) <> ''
), occ2 AS (
  SELECT *, area_mu / count(*) OVER (PARTITION BY parcel_id) AS a FROM occ WHERE uscc <> ''
), land AS (
  SELECT uscc,
         sum(CASE WHEN counts AND is_holder THEN a ELSE 0 END) AS own_area,
         sum(CASE WHEN counts AND NOT is_holder THEN a ELSE 0 END) AS leased_area,
         sum(CASE WHEN NOT counts AND is_holder THEN 1 ELSE 0 END) AS uc
  FROM occ2 GROUP BY uscc
), base AS (
  SELECT i.uscc, coalesce(i.above_scale, false) AS above, i.taxes, i.value_added, i.revenue, i.main_revenue,
         i.rd_expenditure, i.employees, i.energy_tce, i.emissions_t, i.electricity_kwh, e.region_code{flag_cols},
         coalesce(l.own_area, 0) AS own_area, coalesce(l.leased_area, 0) AS leased_area,
         coalesce(l.own_area, 0) + coalesce(l.leased_area, 0) AS area_mu,
         CASE WHEN substr(e.industry_code, 1, 2) IN ({utilities}) THEN 'utility' {startup}
              WHEN coalesce(l.own_area, 0) + coalesce(l.leased_area, 0) <= 0 AND coalesce(l.uc, 0) > 0
                THEN 'under_construction'
              WHEN coalesce(l.own_area, 0) + coalesce(l.leased_area, 0) <= 0 THEN 'no_land' END AS exempt_reason
  FROM indicators i JOIN enterprises e USING (uscc) LEFT JOIN land l USING (uscc)
  WHERE i.year = {year}
), seg AS (
  SELECT *, CASE WHEN exempt_reason IS NOT NULL THEN 'exempt' WHEN above THEN 'above_scale'
                 WHEN own_area >= {thr!r} THEN 'below_scale_large' WHEN own_area > 0 THEN 'below_scale_small'
                 ELSE 'tenant' END AS segment,
         {vals}
  FROM base
), bench AS (
  SELECT region_code, segment, {avgs} FROM seg WHERE segment <> 'exempt' GROUP BY region_code, segment
), scored AS (
  SELECT s.*, {', '.join(f'b.b_{i}' for i in ids)}, {', '.join(seg_scores)}
  FROM seg s LEFT JOIN bench b USING (region_code, segment)
), segavg AS (
  SELECT region_code, segment, {seg_avg} FROM scored WHERE segment <> 'exempt' GROUP BY region_code, segment
), fin AS (
  SELECT sc.*, {', '.join(final_scores)} FROM scored sc LEFT JOIN segavg USING (region_code, segment)
), tot AS (
  SELECT *, CASE WHEN segment <> 'exempt' THEN {total} - ({penalty}) END AS total_score
  FROM fin
), ranked AS (
  SELECT *, rank() OVER (PARTITION BY region_code, segment ORDER BY total_score DESC) AS rnk,
            count(*) OVER (PARTITION BY region_code, segment) AS rank_of
  FROM tot
), pcts AS (
  SELECT *, rnk::DOUBLE / rank_of AS pct FROM ranked
)
SELECT uscc, region_code, segment, exempt_reason, area_mu, taxes, value_added, revenue, main_revenue, employees,
       energy_tce, emissions_t, electricity_kwh, total_score,
       CASE WHEN segment <> 'exempt' THEN rnk END AS rank, CASE WHEN segment <> 'exempt' THEN rank_of END AS rank_of,
       CASE WHEN segment <> 'exempt' THEN pct END AS percentile,
       CASE WHEN segment = 'exempt' THEN NULL {veto_case} ELSE {cls} END AS land_class,
       {', '.join(f'v_{i}, b_{i}, f_{i}' for i in ids)}
FROM pcts
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 enterprises instead of 1,000,000")
    ap.add_argument("--enterprises", type=int, default=None)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    n = args.enterprises or (100_000 if args.quick else 1_000_000)

    import pyarrow.compute as pc

    from zhizao.data import store
    from zhizao.data.synth import generate
    from zhizao.land import evaluate, load_method

    method = load_method("zhejiang-county-default")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        data = generate(enterprises=n, months=False)
        wh = store.open_warehouse(Path(tmp) / "land.duckdb")
        for name in ("enterprises", "indicators", "parcels"):
            wh.replace(name, data[name])
        print(f"province of {n:,} enterprises loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        tables = wh.tables()
        sql = floor_sql(method, args.year)
        zs, ss = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            ours = evaluate(tables, method, year=args.year).to_pyarrow()
            zs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            floor = wh.raw.sql(sql).arrow().read_all()
            ss.append(time.perf_counter() - t0)
        a = ours.select(["uscc", "land_class", "total_score"]).sort_by("uscc")
        b = floor.select(["uscc", "land_class", "total_score"]).sort_by("uscc")
        same = a.num_rows == b.num_rows and a.column("uscc").equals(b.column("uscc")) and \
            a.column("land_class").equals(b.column("land_class"))
        diff = pc.max(pc.abs(pc.subtract(a.column("total_score"), b.column("total_score")))).as_py() or 0.0
        wh.close()
    out = {"n": n, "zhizao_s": round(min(zs), 3), "sql_s": round(min(ss), 3),
           "ratio_to_sql": round(min(zs) / min(ss), 2), "classes_identical": bool(same),
           "max_score_diff": diff, "rows": a.num_rows, "year": args.year}
    print(f"zhizao {out['zhizao_s']} s, hand SQL {out['sql_s']} s, ratio {out['ratio_to_sql']}, "
          f"classes identical: {same}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
