"""Benchmark: generating a synthetic province (zhizao.data.synth.generate).

Generates all five tables (enterprises, indicators for 3 years, parcels, links, monthly_stats)
for a province of N enterprises in a child process (so peak RSS is the generator's own) and
compares with a named baseline in the same run:

    baseline = "per-firm loop": a straightforward generator that loops over firms in Python
    (``random.Random``, one dict per row, scalar USCC check characters, string concatenation for
    names) and builds the same enterprises + indicators tables with ``pa.Table.from_pylist``.
    It is timed on a 20,000-firm sample and extrapolated per firm. It builds only two of the
    five tables, so the speed-up is conservative.

Usage::

    python benchmarks/synth.py --quick        # 100,000 enterprises
    python benchmarks/synth.py                # 1,000,000 enterprises

The last stdout line is one JSON object with synth_seconds, synth_peak_rss_mb, enterprises,
rows, baseline_seconds_per_1k_firms and speedup.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time

SEED = 20261127
YEARS = (2022, 2023, 2024)
TAIL_INDEX = 1.25  # the baseline's fixed Pareto index (the generator solves its own per province size)


def child(n: int, seed: int) -> None:
    """Run the generator once and print its figures as JSON (used in a subprocess)."""
    from zhizao.data.synth import generate

    t0 = time.perf_counter()
    tables = generate(enterprises=n, seed=seed, years=YEARS)
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb,
                      "rows": {k: v.num_rows for k, v in tables.items()}}))


# -- the baseline: one firm at a time ---------------------------------------------------------


def baseline(n: int, seed: int) -> float:
    """Seconds to build enterprises + indicators for ``n`` firms with a per-firm Python loop."""
    import pyarrow as pa

    from zhizao.codes import industries, regions
    from zhizao.codes.uscc import ALPHABET, org_code_check_char, uscc_check_char
    from zhizao.data import schema
    from zhizao.data.synth import load_calibration

    cal = load_calibration()
    counties = [r.code for r in regions.subregions("330000", level="county")]
    names = {r.code: r.name for r in regions.subregions("330000", level="county")}
    classes = [c.code for c in industries.classes(section="C")]
    knots = cal.size.revenue_quantiles.value
    t0 = time.perf_counter()
    rnd = random.Random(seed)

    def revenue(p: float) -> float:
        for (p0, v0), (p1, v1) in zip(knots, knots[1:]):
            if p <= p1:
                return math.exp(math.log(v0) + (p - p0) / (p1 - p0) * (math.log(v1) - math.log(v0)))
        return knots[-1][1] * ((1 - knots[-1][0]) / max(1 - p, 1e-9)) ** (1 / TAIL_INDEX)

    ents, inds = [], []
    seen = set()
    for _ in range(n):
        county = rnd.choice(counties)
        while True:
            body = "".join(rnd.choice(ALPHABET) for _ in range(8))
            first8 = body
            code17 = "91" + county + first8 + org_code_check_char(first8)
            if code17 not in seen:
                seen.add(code17)
                break
        uscc = code17 + uscc_check_char(code17)
        cls = rnd.choice(classes)
        reg = dt.date(rnd.randint(1990, 2024), rnd.randint(1, 12), rnd.randint(1, 28))
        base = revenue(rnd.random())
        high_tech = rnd.random() < 0.1
        ents.append({
            "uscc": uscc, "name": "（合成）" + names[county][:2] + rnd.choice("瑞恒华泰") + rnd.choice("达泰丰盛")
            + "实业有限公司", "region_code": county, "industry_code": cls, "park": None, "registered_on": reg,
            "registered_capital": round(base * 0.2, -4), "ownership": "domestic", "is_sme": base < 4e8,
            "above_scale_since": None, "is_high_tech": high_tech, "high_tech_valid_until": None,
            "rd_institution_level": rnd.choice(schema.RD_LEVELS), "certifications": "ISO9001",
            "own_brand": rnd.random() < 0.3, "standards_drafted": 0, "quality_award_level": "none",
            "niche_start_year": reg.year, "niche_market_share": rnd.random() * 0.1,
            "digital_level": rnd.randint(1, 4), "strategic_emerging": False, "st_award_level": "none",
            "on_abnormal_list": False, "major_incident_3y": False, "certified_tier": "none",
            "certified_tier_year": None, "status": "operating", "lon": 120 + rnd.random(), "lat": 29 + rnd.random(),
        })
        dev = 0.0
        for k, year in enumerate(YEARS):
            if year < reg.year:
                continue
            dev = 0.7 * dev + rnd.gauss(0, 0.2)
            rev = base * math.exp(dev - 0.07 * (len(YEARS) - 1 - k))
            va = rev * rnd.uniform(0.18, 0.32)
            emp = max(1, round(va / 181400 * rnd.lognormvariate(0, 0.3)))
            rd = rev * 0.03 * rnd.lognormvariate(0, 0.7) if rnd.random() < 0.5 else 0.0
            inds.append({
                "uscc": uscc, "year": year, "above_scale": rev >= 2e7, "revenue": rev / 0.95, "main_revenue": rev,
                "gross_output": rev * rnd.uniform(0.95, 1.05), "value_added": va, "taxes": va * 0.195,
                "profit": rev * rnd.gauss(0.06, 0.05), "net_profit": None, "total_assets": rev * 1.1,
                "total_liabilities": rev * 0.62, "rd_expenditure": rd, "rd_staff": round(emp * 0.1),
                "employees": emp, "energy_tce": va / 26940, "electricity_kwh": va / 26940 / 0.0003 * 0.7,
                "emissions_t": va / 4.9e7, "exports": 0.0, "new_product_revenue": 0.0,
                "new_equity_financing": 0.0, "ip_class1_high_value": 0, "ip_class1": 0, "ip_class2": 0,
                "invention_patents": 0,
            })
    pa.Table.from_pylist(ents, schema=schema.arrow_schema(schema.ENTERPRISES))
    pa.Table.from_pylist(inds, schema=schema.arrow_schema(schema.INDICATORS))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100,000 enterprises instead of 1,000,000")
    ap.add_argument("--enterprises", type=int, help="province size (overrides --quick)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--baseline-firms", type=int, default=20_000)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.enterprises or (100_000 if args.quick else 1_000_000)
    if args.child:
        child(n, args.seed)
        return

    import numpy
    import pyarrow

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {numpy.__version__}, pyarrow {pyarrow.__version__}")
    out = subprocess.run([sys.executable, __file__, "--child", "--enterprises", str(n), "--seed", str(args.seed)],
                         check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"synth: {n:,} enterprises in {res['seconds']:.2f} s, peak RSS {res['rss_mb']:,.0f} MB")
    for k, v in res["rows"].items():
        print(f"  {k:14s} {v:>12,} rows")
    b = baseline(args.baseline_firms, args.seed)
    per_1k = b / args.baseline_firms * 1000
    extrapolated = per_1k * n / 1000
    speedup = extrapolated / res["seconds"]
    print(f"baseline (per-firm loop, enterprises + indicators only): {args.baseline_firms:,} firms in {b:.2f} s "
          f"= {per_1k:.3f} s per 1,000 firms → {extrapolated:,.0f} s extrapolated to {n:,}")
    print(f"speed-up: {speedup:.1f}×")
    print(json.dumps({
        "synth_seconds": round(res["seconds"], 3),
        "synth_peak_rss_mb": round(res["rss_mb"], 1),
        "enterprises": n,
        "rows": res["rows"],
        "baseline_seconds_per_1k_firms": round(per_1k, 4),
        "speedup": round(speedup, 1),
    }))


if __name__ == "__main__":
    main()
