"""Benchmark: 亩均 evaluation of a whole synthetic province against one hand-written SQL query.

    python benchmarks/land.py --quick     # 100,000 enterprises
    python benchmarks/land.py             # 1,000,000 enterprises

The province (``zhizao.data.synth.generate``) is loaded into a DuckDB warehouse with
``Warehouse.replace``. The floor is ONE hand-written DuckDB SQL query that computes the same
benchmarks, item scores, totals, ranks and classes from the same tables for the default method
(``zhejiang-county-default``) and returns them with the enterprise's figures (the columns in
``FLOOR_COLUMNS``). Timed, each from the expression to an Arrow table, compilation included:

* ``zhizao_s`` — ``zhizao.land.evaluate(tables, method, year)`` selected to the floor's columns
  (the same output, so DuckDB computes what the floor computes);
* ``zhizao_full_s`` — the whole evaluation table (plus names, parks, divisions, the flags column
  naming every data gap and rule used, water and gas, the eighth output indicator).

The three take turns ``--repeat`` times (so that load from other processes falls on all alike);
the best time of each counts. Classes, ranks and scores are compared enterprise by enterprise.

Last stdout line: JSON with n, zhizao_s, sql_s, ratio_to_sql, classes_identical (plus
zhizao_full_s, ratio_full_to_sql, ranks_identical, max_rel_diff (the largest relative difference
of any score, value, benchmark, percentile or area between the three), rows, year, and the split of
zhizao's time into building the expression, compiling it to SQL and running it).
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


def _ours(floor_col: str) -> str:
    """The evaluation table's name for a column of the floor's output."""
    for prefix, suffix in (("v_", "_value"), ("b_", "_benchmark"), ("f_", "_score")):
        if floor_col.startswith(prefix):
            return floor_col[len(prefix):] + suffix
    return floor_col


FLOOR_FIXED = ("uscc", "region_code", "segment", "exempt_reason", "area_mu", "taxes", "value_added", "revenue",
               "main_revenue", "employees", "energy_tce", "emissions_t", "electricity_kwh", "total_score", "rank",
               "rank_of", "percentile", "land_class")


def floor_columns(method) -> list[str]:
    """The floor's output columns, by the evaluation table's names."""
    return [*FLOOR_FIXED, *(f"{i}_{s}" for i in method.indicator_ids for s in ("value", "benchmark", "score"))]


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
        del data
        print(f"province of {n:,} enterprises loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        tables = wh.tables()
        sql = floor_sql(method, args.year)
        cols = floor_columns(method)
        phases: list[tuple] = []

        def zhizao(full: bool):
            t0 = time.perf_counter()
            expr = evaluate(tables, method, year=args.year)
            expr = expr if full else expr.select(*cols)
            t1 = time.perf_counter()
            compiled = wh.con.compile(expr)
            t2 = time.perf_counter()
            out = wh.raw.sql(compiled).to_arrow_table()
            phases.append((full, t1 - t0, t2 - t1, time.perf_counter() - t2))
            return out

        ways = {"zhizao": lambda: zhizao(False), "sql": lambda: wh.raw.sql(sql).to_arrow_table(),
                "zhizao_full": lambda: zhizao(True)}
        times: dict[str, list] = {k: [] for k in ways}
        results = {}
        for _ in range(args.repeat):
            for name, fn in ways.items():
                t0 = time.perf_counter()
                results[name] = fn()
                times[name].append(time.perf_counter() - t0)
        best = {k: min(v) for k, v in times.items()}
        a = results["zhizao"].sort_by("uscc")
        b = results["sql"].rename_columns([_ours(c) for c in results["sql"].column_names]).sort_by("uscc")
        full = results["zhizao_full"].select(cols).sort_by("uscc")
        # classes and ranks exactly; scores to the last bits (sums run in parallel, in any order)
        rows_same = a.num_rows == b.num_rows == full.num_rows and a.column("uscc").equals(b.column("uscc")) \
            and a.column("uscc").equals(full.column("uscc"))
        same = rows_same and all(o.column("land_class").equals(a.column("land_class")) for o in (b, full))
        same_rank = same and all(o.column("rank").cast("int64").equals(a.column("rank").cast("int64"))
                                 for o in (b, full))
        diff = 0.0
        if rows_same:
            for c in cols:
                if c.endswith(("_score", "_value", "_benchmark")) or c in ("percentile", "area_mu"):
                    x = a.column(c).cast("float64")
                    for o in (b, full):
                        d = pc.divide(pc.abs(pc.subtract(x, o.column(c).cast("float64"))), pc.max_element_wise(pc.abs(x), 1.0))
                        diff = max(diff, pc.max(d).as_py() or 0.0)
        wh.close()
    split = [p for p in phases if not p[0]]
    split = min(split, key=lambda p: sum(p[1:]))
    out = {"n": n, "zhizao_s": round(best["zhizao"], 3), "sql_s": round(best["sql"], 3),
           "ratio_to_sql": round(best["zhizao"] / best["sql"], 2), "classes_identical": bool(same),
           "ranks_identical": bool(same_rank), "max_rel_diff": diff,
           "zhizao_full_s": round(best["zhizao_full"], 3),
           "ratio_full_to_sql": round(best["zhizao_full"] / best["sql"], 2),
           "zhizao_build_s": round(split[1], 3), "zhizao_compile_s": round(split[2], 3),
           "zhizao_run_s": round(split[3], 3), "rows": a.num_rows, "year": args.year, "repeat": args.repeat}
    print(f"zhizao {out['zhizao_s']} s (full table {out['zhizao_full_s']} s), hand SQL {out['sql_s']} s, "
          f"ratio {out['ratio_to_sql']} (full {out['ratio_full_to_sql']}), classes identical: {same}",
          file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
