"""Benchmark: cluster analytics (产业集群分析) kernels against the reference packages.

    python benchmarks/clusters.py --quick     # 600 regions × 200 industries, 1 run
    python benchmarks/clusters.py             # 3,000 regions × 800 industries, median of 3 runs

Section 2 (``province_section``) — the full indices tables of a 1,000,000-enterprise province.

Section 1 — economic complexity. A synthetic region × industry value matrix (~51 % non-zero,
skewed values, region and industry size gradients; the shape of anchors.md §3) is timed in the
same process with:

* ``zhizao_s``: ``zhizao.clusters.complexity.complexity(X)`` on the dense float64 ``(R, I)``
  array — RCA, Mcp, diversity, ubiquity, ECI, PCI, proximity matrix, density, COI, COG;
  ``zhizao_from_long_s`` adds building that array from the long DataFrame (NumPy scatter);
* ``ecomplexity_s``: ``ecomplexity.ecomplexity(df, cols, check_logsupermodularity=False,
  verbose=False)`` (its pandas cleaning and rectangularising included; returns everything
  above except the proximity matrix) **plus** ``ecomplexity.proximity(df, cols)`` (the proximity
  matrix as an edge list), on the long DataFrame (``R·I`` rows; building it is not timed).
  ``ecomplexity_only_s`` is the first call alone (it computes proximity internally but does not
  return it), ``ratio_ecomplexity_only`` the ratio against that.

Medians of ``--repeat`` runs (3; 1 with ``--quick``). ``max_abs_diff`` is the largest absolute
difference over ECI, PCI, proximity and density (``max_abs_diff_all`` adds RCA, Mcp, diversity,
ubiquity, COI, COG); ``nan_pattern_equal`` checks that both drop the same cells.

The script is a list of sections (``SECTIONS``): each takes the parsed arguments and returns a
dict merged into the JSON object printed as the LAST stdout line (``zhizao_s``,
``ecomplexity_s``, ``ratio``, ``max_abs_diff``, ``shape`` and details). Add a section by
appending a function to ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import warnings

import numpy as np

COLS = {"time": "year", "loc": "loc", "prod": "prod", "val": "val"}


def synthetic_matrix(regions: int, industries: int, *, seed: int = 0, nonzero: float = 0.51) -> np.ndarray:
    """Skewed non-negative values, ``nonzero`` share of cells > 0, size gradients on both axes."""
    rng = np.random.default_rng(seed)
    X = rng.lognormal(0.0, 1.5, (regions, industries)) * (rng.random((regions, industries)) < nonzero)
    region_size = rng.pareto(1.5, regions) + 1.0
    industry_size = np.linspace(1.0, 3.0, industries)
    return X * region_size[:, np.newaxis] * industry_size


def long_frame(X: np.ndarray):
    import pandas as pd

    R, I = X.shape
    r, i = np.meshgrid(np.arange(R), np.arange(I), indexing="ij")
    return pd.DataFrame({"year": 2023, "loc": r.ravel(), "prod": i.ravel(), "val": X.ravel()})


def matrix_from_long(df, R: int, I: int) -> np.ndarray:
    X = np.zeros((R, I))
    X[df["loc"].to_numpy(), df["prod"].to_numpy()] = df["val"].to_numpy(dtype=np.float64)
    return X


def run_ecomplexity(df):
    import ecomplexity

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        out = ecomplexity.ecomplexity(df, COLS, check_logsupermodularity=False, verbose=False)
        t1 = time.perf_counter()
        prox = ecomplexity.proximity(df, COLS)
        t2 = time.perf_counter()
    return out, prox, t1 - t0, t2 - t1


def ecomplexity_arrays(out, prox, R: int, I: int) -> dict[str, np.ndarray]:
    """ecomplexity's long output as dense arrays on zhizao's axes (dropped cells NaN)."""
    import pandas as pd

    full = pd.MultiIndex.from_product([range(R), range(I)], names=["loc", "prod"])
    o = out.set_index(["loc", "prod"]).reindex(full)
    res = {c: o[c].to_numpy(dtype=float).reshape(R, I) for c in ("rca", "mcp", "density", "cog")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for c in ("eci", "coi", "diversity"):
            res[c] = np.nanmax(o[c].to_numpy(dtype=float).reshape(R, I), axis=1)
        for c in ("pci", "ubiquity"):
            res[c] = np.nanmax(o[c].to_numpy(dtype=float).reshape(R, I), axis=0)
    P = np.full((I, I), np.nan)
    P[prox["prod_1"].to_numpy(), prox["prod_2"].to_numpy()] = prox["proximity"].to_numpy()
    res["proximity"] = P
    return res


def complexity_section(args) -> dict:
    """Section 1: zhizao.clusters.complexity.complexity vs ecomplexity.ecomplexity + proximity."""
    from zhizao.clusters.complexity import complexity

    R, I = (600, 200) if args.quick else (args.regions, args.industries)
    repeat = args.repeat or (1 if args.quick else 3)
    X = synthetic_matrix(R, I, seed=args.seed)
    df = long_frame(X)
    print(f"complexity: {R:,} × {I:,} matrix, {np.count_nonzero(X) / X.size:.1%} non-zero, "
          f"{len(df):,} long rows, {repeat} run(s)", file=sys.stderr)

    complexity(X[:50, :20])                                    # import / first-call warm-up
    zs, zls, es, eos, eps = [], [], [], [], []
    ours = theirs = None
    for k in range(repeat):
        t0 = time.perf_counter()
        ours = complexity(X)
        zs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        complexity(matrix_from_long(df, R, I))
        zls.append(time.perf_counter() - t0)
        out, prox, t_main, t_prox = run_ecomplexity(df)
        eos.append(t_main)
        eps.append(t_prox)
        es.append(t_main + t_prox)
        theirs = (out, prox)
        print(f"  run {k + 1}: zhizao {zs[-1]:.3f} s (from long {zls[-1]:.3f} s); ecomplexity "
              f"{t_main:.2f} s + proximity {t_prox:.2f} s", file=sys.stderr)

    want = ecomplexity_arrays(*theirs, R, I)
    diffs, nan_equal = {}, True
    for f in ("eci", "pci", "proximity", "density", "rca", "mcp", "diversity", "ubiquity", "coi", "cog"):
        a, b = np.asarray(getattr(ours, f), dtype=float), want[f]
        nan_equal &= bool(np.array_equal(np.isnan(a), np.isnan(b)))
        both = ~np.isnan(a) & ~np.isnan(b)
        diffs[f] = float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0
    z, e = float(np.median(zs)), float(np.median(es))
    eo = float(np.median(eos))
    return {
        "shape": [R, I],
        "zhizao_s": round(z, 4),
        "zhizao_from_long_s": round(float(np.median(zls)), 4),
        "ecomplexity_s": round(e, 3),
        "ecomplexity_only_s": round(eo, 3),
        "ecomplexity_proximity_s": round(float(np.median(eps)), 3),
        "ratio": round(e / z, 1),
        "ratio_ecomplexity_only": round(eo / z, 1),
        "max_abs_diff": max(diffs[f] for f in ("eci", "pci", "proximity", "density")),
        "max_abs_diff_all": max(diffs.values()),
        "max_abs_diff_by_field": diffs,
        "nan_pattern_equal": nan_equal,
        "runs": repeat,
        "zhizao_runs_s": [round(x, 4) for x in zs],
        "ecomplexity_runs_s": [round(x, 3) for x in es],
    }


#: Sections run in order; each returns a dict merged into the final JSON line.
def province_section(args) -> dict:
    """Section 2 — the full indices tables of a synthetic province (1,000,000 enterprises; 100,000
    with --quick) loaded into a DuckDB warehouse: ``build_matrix`` (Ibis → DuckDB, county × class,
    employees, all years) + ``indices_tables`` (every index, base year = the first), timed
    together as ``province_s``; beside it ``ecomplexity`` on the same matrices (one call per
    year, as it works; its complexity part only), ``province_ecomplexity_s``."""
    import tempfile
    from pathlib import Path

    from zhizao.clusters import build_matrix, indices_tables
    from zhizao.data import store
    from zhizao.data.synth import generate

    n = args.province or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        data = generate(enterprises=n, months=False)
        wh = store.open_warehouse(Path(tmp) / "p.duckdb")
        for name in ("enterprises", "indicators"):
            wh.replace(name, data[name])
        del data
        print(f"province of {n:,} enterprises loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        tables = wh.tables()
        years = sorted(int(y) for y in tables["indicators"].select("year").distinct().to_pyarrow()
                       .column("year").to_pylist())
        best = {"matrix": 1e9, "indices": 1e9}
        for _ in range(max(1, min(args.repeat or 3, 3) if not args.quick else 1)):
            t0 = time.perf_counter()
            m = build_matrix(tables, years=years, measure="employees", region_level="county", industry_level="class")
            t1 = time.perf_counter()
            idx = indices_tables(m, base_year=years[0])
            t2 = time.perf_counter()
            best["matrix"] = min(best["matrix"], t1 - t0)
            best["indices"] = min(best["indices"], t2 - t1)
        wh.close()
    t0 = time.perf_counter()
    for k in range(len(years)):
        run_ecomplexity(long_frame(m.values[k]))
    eco = time.perf_counter() - t0
    T, R, I = m.values.shape
    return {"province_n": n, "province_shape": [T, R, I], "province_matrix_s": round(best["matrix"], 3),
            "province_indices_s": round(best["indices"], 3),
            "province_s": round(best["matrix"] + best["indices"], 3),
            "province_cells": idx.cells.num_rows, "province_ecomplexity_s": round(eco, 3)}


SECTIONS = [complexity_section, province_section]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="600 × 200 matrix, 1 run")
    p.add_argument("--regions", type=int, default=3000)
    p.add_argument("--industries", type=int, default=800)
    p.add_argument("--repeat", type=int, default=0, help="runs per side (default 3; 1 with --quick)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--province", type=int, default=0,
                   help="enterprises of the province section (default 1,000,000; 100,000 with --quick)")
    args = p.parse_args(argv)
    out: dict = {}
    for section in SECTIONS:
        out.update(section(args))
    print(f"zhizao {out['zhizao_s']} s vs ecomplexity {out['ecomplexity_s']} s "
          f"(ecomplexity() alone {out['ecomplexity_only_s']} s): ratio {out['ratio']}× "
          f"({out['ratio_ecomplexity_only']}× vs ecomplexity() alone); max |diff| {out['max_abs_diff']:.2e}; "
          f"province of {out['province_n']:,}: matrix {out['province_matrix_s']} s + indices "
          f"{out['province_indices_s']} s (ecomplexity on the same matrices {out['province_ecomplexity_s']} s)",
          file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
