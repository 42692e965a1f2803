"""Benchmark: validated import of a large indicators CSV (zhizao.data.ingest.import_files).

Generates its own input with a fixed seed: an enterprises CSV and an indicators CSV with
Chinese headers in 万元 (10 years per enterprise), then imports both into a fresh DuckDB
warehouse in a child process (so peak RSS is the import's own) and compares with a named
baseline in the same run:

    baseline = "naive": csv.DictReader + per-row checks (USCC checksum, known enterprise, numbers,
    units) + one ``INSERT OR REPLACE`` per row into SQLite (one transaction), timed on a
    20,000-row sample and extrapolated. For context the same script is also timed with one
    INSERT per row into DuckDB (the warehouse's engine) on a 2,000-row sample.

Usage::

    python benchmarks/import_bench.py --quick      # 100,000 indicator rows
    python benchmarks/import_bench.py              # 1,000,000 indicator rows
    python benchmarks/import_bench.py --encoding gbk

The last stdout line is one JSON object with import_rows, import_seconds, rows_per_second,
peak_rss_mb, baseline_rows_per_second and speedup.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

SEED = 20240601
YEARS = tuple(range(2015, 2025))
INDUSTRIES = ("3311", "3312", "3381", "3411", "3421", "3484", "3511", "3525", "3832", "3891", "3921", "3973",
              "2614", "2927", "1761", "1811", "3130", "3360", "3443", "4011")
REGIONS = ("330402", "330411", "330421", "330424", "330481", "330482", "330483")
IND_HEADERS = {
    "uscc": "统一社会信用代码", "year": "年度", "revenue": "营业收入（万元）", "main_revenue": "主营业务收入（万元）",
    "gross_output": "工业总产值（万元）", "value_added": "工业增加值（万元）", "taxes": "实缴税金（万元）",
    "profit": "利润总额（万元）", "total_assets": "资产总计（万元）", "total_liabilities": "负债合计（万元）",
    "rd_expenditure": "研发费用（万元）", "rd_staff": "研发人员数", "employees": "年平均职工人数",
    "energy_tce": "综合能耗（吨标准煤）", "electricity_kwh": "用电量（万千瓦时）", "exports": "出口交货值（万元）",
    "above_scale": "是否规上",
}


# -- input generation --------------------------------------------------------------------------


def generate(workdir: Path, indicator_rows: int, encoding: str) -> tuple[Path, Path, int]:
    """Write enterprises.csv and indicators.csv; returns their paths and the enterprise count."""
    from zhizao.codes.uscc import generate_usccs

    rng = np.random.default_rng(SEED)
    n_ent = max(1, indicator_rows // len(YEARS))
    regions = np.array(REGIONS)[rng.integers(0, len(REGIONS), n_ent)]
    usccs = generate_usccs(n_ent, rng=rng, region_codes=regions)
    ent = pa.table({
        "统一社会信用代码": usccs,
        "企业名称": pa.array([f"（合成）企业{i:07d}有限公司" for i in range(n_ent)]),
        "行政区划代码": regions,
        "行业代码": np.array(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), n_ent)],
        "成立日期": pa.array(rng.integers(8000, 19000, n_ent).astype("datetime64[D]")),
    })
    n = n_ent * len(YEARS)
    who = np.repeat(np.arange(n_ent), len(YEARS))
    order = rng.permutation(n)  # rows arrive in no particular order
    who = who[order][:indicator_rows]
    year = np.tile(np.array(YEARS), n_ent)[order][:indicator_rows]
    m = len(who)
    revenue = np.round(rng.lognormal(8.0, 1.2, m), 2)  # 万元
    gross = np.round(revenue * rng.uniform(0.9, 1.1, m), 2)
    assets = np.round(revenue * rng.uniform(0.5, 2.0, m), 2)
    employees = rng.integers(20, 2000, m)
    cols = {
        "uscc": usccs[who], "year": year, "revenue": revenue,
        "main_revenue": np.round(revenue * rng.uniform(0.8, 1.0, m), 2), "gross_output": gross,
        "value_added": np.round(gross * rng.uniform(0.2, 0.35, m), 2),
        "taxes": np.round(revenue * rng.uniform(0.01, 0.06, m), 2),
        "profit": np.round(revenue * rng.normal(0.06, 0.05, m), 2), "total_assets": assets,
        "total_liabilities": np.round(assets * rng.uniform(0.2, 0.8, m), 2),
        "rd_expenditure": np.round(revenue * rng.uniform(0.0, 0.05, m), 2),
        "rd_staff": (employees * rng.uniform(0, 0.2, m)).astype(np.int64), "employees": employees,
        "energy_tce": np.round(revenue * rng.uniform(0.01, 0.3, m), 1),
        "electricity_kwh": np.round(revenue * rng.uniform(0.01, 0.2, m), 2),
        "exports": np.round(revenue * rng.uniform(0, 0.3, m), 2),
        "above_scale": np.where(revenue >= 2000, "是", "否"),
    }
    ind = pa.table({IND_HEADERS[k]: v for k, v in cols.items()})
    ent_path, ind_path = workdir / "企业名录.csv", workdir / "企业年度指标.csv"
    for table, path in ((ent, ent_path), (ind, ind_path)):
        pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="needed"))
        if encoding.lower() in ("gbk", "gb18030"):
            text = path.read_bytes().decode("utf-8")
            path.write_bytes(text.encode(encoding))
    return ent_path, ind_path, n_ent


# -- measured runs (child processes) ---------------------------------------------------------


def child_import(db: Path, files: list[Path]) -> dict:
    from zhizao.data import store
    from zhizao.data.ingest import import_files

    with store.open_warehouse(db) as wh:
        started = time.perf_counter()  # the import itself, not loading Ibis or creating the tables
        report = import_files(wh, files)
        seconds = time.perf_counter() - started
        counts = wh.counts()
    t = report.totals
    return {"seconds": seconds, "rows": t["rows_read"], "inserted": t["inserted"], "quarantined": t["quarantined"],
            "errors": report.errors, "counts": {k: counts[k] for k in ("enterprises", "indicators", "quarantine")},
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_baseline(db: Path, ind_path: Path, ent_path: Path, sample: int, encoding: str, target: str) -> dict:
    """The naive importer: what a straightforward script does, row by row, in one transaction.

    ``target`` is "sqlite" (sqlite3) or "duckdb" (the warehouse's engine, same table DDL plus the
    primary key that a naive script's INSERT OR REPLACE needs).
    """
    import sqlite3

    import duckdb

    from zhizao.codes.uscc import check_uscc
    from zhizao.data.schema import INDICATORS, duckdb_ddl

    enc = "gb18030" if encoding.lower() in ("gbk", "gb18030") else "utf-8-sig"
    names = list(IND_HEADERS)
    cols = ", ".join(f'"{c}"' for c in names)
    if target == "duckdb":
        con = duckdb.connect(str(db))
        con.execute(duckdb_ddl(INDICATORS).removesuffix(")") + ", PRIMARY KEY (uscc, year))")
        con.execute("BEGIN TRANSACTION")
    else:
        con = sqlite3.connect(str(db))
        con.execute(f"CREATE TABLE indicators ({cols}, PRIMARY KEY (uscc, year))")
    with open(ent_path, encoding=enc, newline="") as f:
        known = {r["统一社会信用代码"] for r in csv.DictReader(f)}
    sql = f"INSERT OR REPLACE INTO indicators ({cols}) VALUES ({', '.join('?' * len(names))})"
    factor = {k: 1e4 if ("万元" in h or "万千瓦时" in h) else 1.0 for k, h in IND_HEADERS.items()}
    started = time.perf_counter()
    done = bad = 0
    with open(ind_path, encoding=enc, newline="") as f:
        for rec in csv.DictReader(f):
            if done >= sample:
                break
            done += 1
            values = []
            uscc = rec[IND_HEADERS["uscc"]].strip().upper()
            ok = check_uscc(uscc) is None and uscc in known
            for k in names:
                v = rec[IND_HEADERS[k]].strip()
                if k == "uscc":
                    values.append(uscc)
                elif k == "above_scale":
                    values.append(v == "是")
                elif k in ("year", "rd_staff", "employees"):
                    values.append(int(v))
                else:
                    x = float(v.replace(",", "")) * factor[k]
                    ok = ok and x >= 0 or k == "profit"
                    values.append(x)
            if ok:
                con.execute(sql, values)
            else:
                bad += 1
    con.execute("COMMIT") if target == "duckdb" else con.commit()
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "rows": done, "bad": bad}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100,000 indicator rows instead of 1,000,000")
    ap.add_argument("--rows", type=int, help="indicator rows (overrides --quick)")
    ap.add_argument("--encoding", default="utf-8", help="CSV encoding of the generated files (utf-8 or gbk)")
    ap.add_argument("--baseline-sample", type=int, default=20_000, help="rows the naive baseline imports")
    ap.add_argument("--duckdb-sample", type=int, default=2_000,
                    help="rows for the per-row-INSERT-into-DuckDB variant (0 to skip; it runs ~100 rows/s)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "import":
            print(json.dumps(child_import(Path(rest[0]), [Path(p) for p in rest[1:]])))
        else:
            db, ind, ent, sample, enc, target = rest
            print(json.dumps(child_baseline(Path(db), Path(ind), Path(ent), int(sample), enc, target)))
        return

    rows = args.rows or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="zhizao-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        ent_path, ind_path, n_ent = generate(work, rows, args.encoding)
        gen_s = time.perf_counter() - t0
        size_mb = (ent_path.stat().st_size + ind_path.stat().st_size) / 1e6
        print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"pyarrow {pa.__version__}")
        print(f"input: {rows:,} indicator rows + {n_ent:,} enterprises, {args.encoding}, {size_mb:.0f} MB "
              f"(generated in {gen_s:.1f} s)")
        res = _child(["--child", "import", str(work / "w.duckdb"), str(ent_path), str(ind_path)])
        if res["errors"] or res["quarantined"]:
            print(f"unexpected problems: {res['errors']} quarantined={res['quarantined']}", file=sys.stderr)
        rps = res["rows"] / res["seconds"]
        print(f"zhizao import: {res['rows']:,} rows in {res['seconds']:.2f} s = {rps:,.0f} rows/s, "
              f"peak RSS {res['peak_rss_mb']:.0f} MB, warehouse {res['counts']}")
        sample = min(args.baseline_sample, rows)
        base = _child(["--child", "baseline", str(work / "b.sqlite"), str(ind_path), str(ent_path), str(sample),
                       args.encoding, "sqlite"])
        brps = base["rows"] / base["seconds"]
        print(f"baseline 'naive': csv.DictReader + per-row checks + per-row INSERT into SQLite, "
              f"{base['rows']:,}-row sample: {brps:,.0f} rows/s -> {res['rows'] / brps:,.0f} s extrapolated")
        if args.duckdb_sample:
            duck = _child(["--child", "baseline", str(work / "b.duckdb"), str(ind_path), str(ent_path),
                           str(min(args.duckdb_sample, rows)), args.encoding, "duckdb"])
            drps = duck["rows"] / duck["seconds"]
            print(f"  (same script with per-row INSERT into DuckDB, {duck['rows']:,}-row sample: {drps:,.0f} rows/s "
                  f"-> {res['rows'] / drps:,.0f} s extrapolated; zhizao import is {rps / drps:,.0f}x faster)")
        print(f"speedup over 'naive': {rps / brps:.1f}x")
        print(json.dumps({"import_rows": res["rows"], "import_seconds": round(res["seconds"], 3),
                          "rows_per_second": round(rps), "peak_rss_mb": round(res["peak_rss_mb"]),
                          "baseline_rows_per_second": round(brps), "speedup": round(rps / brps, 1)}))


if __name__ == "__main__":
    main()
