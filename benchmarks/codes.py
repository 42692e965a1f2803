"""Speed of the vectorised code checks against a per-value Python loop (the baseline).

    python benchmarks/codes.py [--quick]

Last line: JSON with keys uscc_generate_seconds, uscc_check_seconds, industry_check_seconds,
region_check_seconds, values, baseline_uscc_check_seconds, speedup.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pyarrow as pa

from zhizao.codes import industries, regions, uscc


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 values instead of 1,000,000")
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    rng = np.random.default_rng(1)
    counties = [r.code for r in regions.subregions("330000", level="county")]
    codes, t_gen = _timed(lambda: uscc.generate_usccs(n, rng=rng, region_codes=rng.choice(counties, n)))
    arr = pa.array(codes)
    _, t_check = _timed(lambda: uscc.check_usccs(arr))
    sample = codes[: min(n, 50_000)]
    _, t_base = _timed(lambda: [uscc.check_uscc(c) for c in sample])
    baseline = t_base * n / len(sample)
    classes = np.array([c.code for c in industries.classes()])
    _, t_ind = _timed(lambda: industries.check_industry_codes(pa.array(rng.choice(classes, n))))
    _, t_reg = _timed(lambda: regions.check_region_codes(pa.array(rng.choice(counties, n))))
    print(f"values: {n:,}")
    print(f"generate_usccs      {t_gen:7.2f} s")
    print(f"check_usccs         {t_check:7.2f} s   (baseline per-value loop, extrapolated: {baseline:.2f} s)")
    print(f"check_industry_codes{t_ind:7.2f} s")
    print(f"check_region_codes  {t_reg:7.2f} s")
    print(json.dumps({"values": n, "uscc_generate_seconds": round(t_gen, 3), "uscc_check_seconds": round(t_check, 3),
                      "industry_check_seconds": round(t_ind, 3), "region_check_seconds": round(t_reg, 3),
                      "baseline_uscc_check_seconds": round(baseline, 3), "speedup": round(baseline / t_check, 1)}))


if __name__ == "__main__":
    main()
