"""Benchmark: a whole synthetic province through the validated import (synth → Parquet → import).

    python benchmarks/province.py --quick     # 100,000 enterprises
    python benchmarks/province.py             # 1,000,000 enterprises

Generates the province (``zhizao.data.synth.generate``), writes its five tables as Parquet, then
imports them with ``zhizao.data.ingest.import_files`` into a fresh DuckDB warehouse — every row
parsed, code-checked (USCC checksum, GB/T 4754, GB/T 2260), range- and duplicate-checked and
upserted by natural key. Each step runs in its own child process so that its peak RSS is its own.

Baseline, in the same run: ``bulk load`` — the same Parquet files copied into the same warehouse
tables with ``Warehouse.replace`` (no parsing or validation, one INSERT … SELECT per table). The
ratio import ÷ bulk load is the price of validation.

Last stdout line: one JSON object with enterprises, rows, synth_seconds, synth_peak_rss_mb,
import_seconds, import_peak_rss_mb, rows_per_second, baseline_bulk_load_seconds,
validation_overhead.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_synth(out: Path, n: int) -> dict:
    import pyarrow.parquet as pq

    from zhizao.data import synth

    start = time.perf_counter()
    tables = synth.generate(enterprises=n)
    seconds = time.perf_counter() - start
    for name, table in tables.items():
        pq.write_table(table, out / f"{name}.parquet")
    return {"seconds": seconds, "peak_mb": _peak_mb(), "rows": {k: v.num_rows for k, v in tables.items()}}


def child_import(out: Path, db: Path) -> dict:
    from zhizao.data import ingest, store

    files = sorted(out.glob("*.parquet"))
    with store.open_warehouse(db) as wh:
        start = time.perf_counter()
        report = ingest.import_files(wh, files)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "totals": report.totals}


def child_bulk(out: Path, db: Path) -> dict:
    import pyarrow.parquet as pq

    from zhizao.data import store

    with store.open_warehouse(db) as wh:
        start = time.perf_counter()
        for path in sorted(out.glob("*.parquet")):
            wh.replace(path.stem, pq.read_table(path))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def _child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100,000 enterprises instead of 1,000,000")
    ap.add_argument("--enterprises", type=int, help="province size (overrides --quick)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        fn = {"synth": lambda: child_synth(Path(rest[0]), int(rest[1])),
              "import": lambda: child_import(Path(rest[0]), Path(rest[1])),
              "bulk": lambda: child_bulk(Path(rest[0]), Path(rest[1]))}[kind]
        print(json.dumps(fn()))
        return

    n = args.enterprises or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="zhizao-bench-") as tmp:
        out = Path(tmp) / "data"
        out.mkdir()
        s = _child("synth", str(out), str(n))
        rows = sum(s["rows"].values())
        print(f"synth {n:,} enterprises: {s['seconds']:.1f} s, peak {s['peak_mb']:,.0f} MB, {rows:,} rows")
        i = _child("import", str(out), str(Path(tmp) / "import.duckdb"))
        print(f"validated import: {i['seconds']:.1f} s ({rows / i['seconds']:,.0f} rows/s), "
              f"peak {i['peak_mb']:,.0f} MB; {i['totals']}")
        b = _child("bulk", str(out), str(Path(tmp) / "bulk.duckdb"))
        print(f"baseline bulk load (no validation): {b['seconds']:.1f} s, peak {b['peak_mb']:,.0f} MB")
        print(f"validation overhead: {i['seconds'] / b['seconds']:.1f}x the bulk load")
    print(json.dumps({
        "enterprises": n, "rows": rows, "synth_seconds": round(s["seconds"], 2),
        "synth_peak_rss_mb": round(s["peak_mb"]), "import_seconds": round(i["seconds"], 2),
        "import_peak_rss_mb": round(i["peak_mb"]), "rows_per_second": round(rows / i["seconds"]),
        "baseline_bulk_load_seconds": round(b["seconds"], 2),
        "validation_overhead": round(i["seconds"] / b["seconds"], 2),
    }))


if __name__ == "__main__":
    main()
