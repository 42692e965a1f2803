"""Benchmark: interactive answers — the cold command line against the warm long-lived service.

    python benchmarks/interactive.py --quick     # 5,000 enterprises
    python benchmarks/interactive.py             # 50,000 enterprises (the demo province)
    python benchmarks/interactive.py --db PATH   # an existing warehouse (not regenerated)

Set-up (in a temporary folder): ``zhizao synth --db DB -n N`` then ``zhizao land evaluate --db
DB``, so a stored 亩均 run exists as in the demo. With ``--db`` the warehouse is used as it is;
``zhizao land evaluate`` is run only when it has no current ``land.evaluate`` run. The cold
commands below WRITE to the warehouse (``zhizao package`` records the package, ``zhizao policy
check`` the county's evaluation): use a copy if that matters.

Four operations, each answered two ways:

=================  ====================================================  ====================================================
operation          COLD: a fresh ``zhizao`` process                      WARM: ``zhizao.services`` on one open ``Service``
=================  ====================================================  ====================================================
land explain       ``zhizao land explain USCC --db DB``                  ``land.explain(svc, uscc)``
policy explain     ``zhizao policy explain specialized_sme USCC ...``    ``policy.explain(svc, "specialized_sme", uscc)``
package            ``zhizao package USCC --db DB --out TMP/x.html``      ``policy.package(svc, uscc)`` (store=False)
county check       ``zhizao policy check specialized_sme --region C``    ``policy.check(svc, "specialized_sme", region=C,
                                                                          store=False)``
=================  ====================================================  ====================================================

The county C is the one with the most enterprises. The CLI's package also renders and writes the
HTML page and records the package (``result_policy_package``), its check records the county's
evaluation and gaps; the service calls write nothing (``store=False``: what a page does).

* cold — wall time of the subprocess (interpreter start, imports, opening the warehouse,
  compiling and computing, printing), median of ``--repeat`` runs, a different enterprise each;
* first — a fresh Python process that has imported ``zhizao.services`` (as a web worker at start)
  opens a ``Service`` and times its FIRST call of the operation (what the first page view costs;
  the service open itself is reported apart);
* warm — one ``Service`` opened after the cold runs, one warm-up call per operation (another
  enterprise / the second-largest county), then ``--warm`` rounds of the four operations in turn,
  a new enterprise each call (the county check: the largest county each round); median.

Every operation gets its own enterprises (no two operations, and no two calls, share one), so no
per-enterprise cache entry of one call serves another. Enterprises are those graded (not exempt)
in the stored land run's latest year, in a fixed pseudo-random order (md5 of the USCC).

Targets (warm): ≤ 100 ms per explanation, ≤ 300 ms per package, ≤ 300 ms per county check.

Last stdout line: JSON with land_explain_warm_ms, policy_explain_warm_ms, package_warm_ms,
county_check_warm_ms, the same four ``*_cold_ms`` and ``*_first_ms``, ``*_cold_over_warm``,
``*_target_ms``, ``*_target_met``, enterprises, county, county_enterprises, year, repeats and the
set-up times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICY = "specialized_sme"
OPS = ("land_explain", "policy_explain", "package", "county_check")
LABELS = {"land_explain": "land explain (one enterprise)", "policy_explain": f"policy explain ({POLICY})",
          "package": "policy package (one enterprise)", "county_check": f"county check ({POLICY})"}
TARGET_MS = {"land_explain": 100, "policy_explain": 100, "package": 300, "county_check": 300}


def zhizao_exe() -> str:
    """The venv's ``zhizao`` console script (next to this interpreter), else the one on PATH."""
    here = Path(sys.executable).parent / "zhizao"
    if here.exists():
        return str(here)
    found = shutil.which("zhizao")
    if not found:
        sys.exit("no `zhizao` command next to this Python or on PATH: install the project (make setup)")
    return found


def run_cli(args: list[str], what: str) -> float:
    """Run ``zhizao ARGS``; its wall time in seconds. A failing command stops the benchmark with its
    output (an error is reported, not timed)."""
    cmd = [zhizao_exe(), *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(f"\n{what} FAILED (exit {p.returncode}): {' '.join(cmd)}\n--- stdout (tail)\n"
                         f"{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-8000:]}\n")
        raise SystemExit(f"{what} failed: {' '.join(cmd)}")
    return dt


# --- service calls (shared by the warm loop and the first-call child) -----------------------------
def service_call(svc, op: str, arg: str):
    from zhizao.services import land, policy

    if op == "land_explain":
        return land.explain(svc, arg)
    if op == "policy_explain":
        return policy.explain(svc, POLICY, arg)
    if op == "package":
        return policy.package(svc, arg)                                   # store=False (the default)
    if op == "county_check":
        return policy.check(svc, POLICY, region=arg, store=False)
    raise ValueError(op)


def cli_args(op: str, arg: str, db: Path, tmp: Path) -> list[str]:
    if op == "land_explain":
        return ["land", "explain", arg, "--db", str(db)]
    if op == "policy_explain":
        return ["policy", "explain", POLICY, arg, "--db", str(db)]
    if op == "package":
        return ["package", arg, "--db", str(db), "--out", str(tmp / "x.html")]
    if op == "county_check":
        return ["policy", "check", POLICY, "--region", arg, "--db", str(db)]
    raise ValueError(op)


def first_child(op: str, db: str, arg: str) -> None:
    """In a fresh process: import the services (as a web worker at start), open a Service, time the
    first call of ``op``; print one JSON line."""
    t0 = time.perf_counter()
    from zhizao.services import Service, land, policy  # noqa: F401

    t1 = time.perf_counter()
    svc = Service.open(db)
    t2 = time.perf_counter()
    service_call(svc, op, arg)
    t3 = time.perf_counter()
    svc.close()
    print(json.dumps({"import_s": round(t1 - t0, 3), "open_ms": round((t2 - t1) * 1000, 1),
                      "first_ms": round((t3 - t2) * 1000, 1)}))


def run_first(op: str, db: Path, arg: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--first-call", op, "--db", str(db), "--arg", arg]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(f"\nfirst call of {op} FAILED (exit {p.returncode}): {' '.join(cmd)}\n{p.stderr[-8000:]}\n")
        raise SystemExit(f"first call of {op} failed")
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- set-up ---------------------------------------------------------------------------------------
def land_run_id(db: Path) -> str | None:
    from zhizao.services import Service, runs

    with Service.open(db, read_only=True) as svc:
        got = runs.list_runs(svc, analysis="land.evaluate")
        return got[0].run_id if got else None


def sample(db: Path, run_id: str, need: int) -> tuple[int, list[str], list[tuple[str, int]]]:
    """(latest year, ``need`` graded enterprises of the land run in md5 order, counties by size)."""
    from zhizao.services import Service

    with Service.open(db, read_only=True) as svc:
        raw = svc.wh.raw
        year = raw.execute("SELECT max(year) FROM indicators").fetchone()[0]
        usccs = [r[0] for r in raw.execute(
            "SELECT DISTINCT l.uscc FROM result_land_evaluation l JOIN indicators i ON i.uscc = l.uscc AND i.year = l.year "
            "WHERE l.run_id = ? AND l.year = ? AND l.segment <> 'exempt' ORDER BY md5(l.uscc) LIMIT ?",
            [run_id, year, need]).fetchall()]
        counties = [(r[0], int(r[1])) for r in raw.execute(
            "SELECT region_code, count(*) FROM enterprises WHERE region_code IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 2").fetchall()]
    if len(usccs) < need:
        raise SystemExit(f"only {len(usccs)} graded enterprises in {year}; {need} needed (use fewer --warm/--repeat)")
    return int(year), usccs, counties


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5,000 enterprises instead of 50,000, fewer repeats")
    ap.add_argument("--enterprises", type=int, default=None)
    ap.add_argument("--db", type=Path, default=None, help="use this warehouse (not regenerated)")
    ap.add_argument("--repeat", type=int, default=None, help="cold runs per operation (3; --quick 2)")
    ap.add_argument("--warm", type=int, default=None, help="warm calls per operation after the warm-up (8; --quick 5)")
    ap.add_argument("--first-call", choices=OPS, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--arg", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.first_call:
        first_child(args.first_call, str(args.db), args.arg)
        return
    n = args.enterprises or (5_000 if args.quick else 50_000)
    repeat = args.repeat or (2 if args.quick else 3)
    warm_n = args.warm or (5 if args.quick else 8)

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="zhizao-interactive-") as tmpname:
        tmp = Path(tmpname)
        setup = {}
        if args.db is None:
            db = tmp / "warehouse.duckdb"
            setup["synth_s"] = round(run_cli(["synth", "--db", str(db), "-n", str(n)], "zhizao synth"), 2)
            setup["land_evaluate_s"] = round(run_cli(["land", "evaluate", "--db", str(db)], "zhizao land evaluate"), 2)
            run_id = land_run_id(db)
        else:
            db = args.db
            if not db.exists():
                raise SystemExit(f"--db {db}: no such file")
            run_id = land_run_id(db)
            if run_id is None:
                setup["land_evaluate_s"] = round(run_cli(["land", "evaluate", "--db", str(db)], "zhizao land evaluate"), 2)
                run_id = land_run_id(db)
        if run_id is None:
            raise SystemExit("no current land.evaluate run in the warehouse after `zhizao land evaluate`")
        print(f"set-up {setup or '(existing warehouse)'}; land run {run_id}", file=sys.stderr)

        # enterprises: per enterprise operation `repeat` cold + 1 first + 1 warm-up + warm_n warm, all distinct
        per_op = repeat + 2 + warm_n
        year, usccs, counties = sample(db, run_id, 3 * per_op)
        county, county_n = counties[0]
        other_county = counties[1][0] if len(counties) > 1 else county
        with_ents = {op: usccs[i * per_op:(i + 1) * per_op] for i, op in enumerate(OPS[:3])}
        cold_args = {op: with_ents[op][:repeat] for op in OPS[:3]}
        first_arg = {op: with_ents[op][repeat] for op in OPS[:3]}
        warmup_arg = {op: with_ents[op][repeat + 1] for op in OPS[:3]}
        warm_args = {op: with_ents[op][repeat + 2:] for op in OPS[:3]}
        cold_args["county_check"] = [county] * repeat
        first_arg["county_check"] = county
        warmup_arg["county_check"] = other_county
        warm_args["county_check"] = [county] * warm_n
        n_ent = None
        from zhizao.services import Service

        with Service.open(db, read_only=True) as svc:
            n_ent = int(svc.wh.raw.execute("SELECT count(*) FROM enterprises").fetchone()[0])
        print(f"{n_ent:,} enterprises, year {year}; county check on {county} ({county_n:,} enterprises; "
              f"warm-up on {other_county})", file=sys.stderr)

        # 1. cold: fresh processes, the operations taking turns
        cold: dict[str, list[float]] = {op: [] for op in OPS}
        for i in range(repeat):
            for op in OPS:
                cold[op].append(run_cli(cli_args(op, cold_args[op][i], db, tmp), f"zhizao ({op})") * 1000)
        print("cold runs done", file=sys.stderr)

        # 2. first call in a fresh process with the services imported
        first = {op: run_first(op, db, first_arg[op]) for op in OPS}
        print("first calls done", file=sys.stderr)

        # 3. warm: one Service for the rest
        from zhizao.services import land, policy  # noqa: F401  (imported as a web app would at start)

        t0 = time.perf_counter()
        svc = Service.open(db)
        open_ms = (time.perf_counter() - t0) * 1000
        warmup = {}
        for op in OPS:
            t0 = time.perf_counter()
            service_call(svc, op, warmup_arg[op])
            warmup[op] = (time.perf_counter() - t0) * 1000
        warm: dict[str, list[float]] = {op: [] for op in OPS}
        facts = {}
        for i in range(warm_n):
            for op in OPS:
                t0 = time.perf_counter()
                got = service_call(svc, op, warm_args[op][i])
                warm[op].append((time.perf_counter() - t0) * 1000)
                if op == "county_check":
                    facts["county_check_total"] = got.total
                    facts["county_check_counts"] = got.counts
                elif op == "land_explain":
                    facts.setdefault("land_explain_reused_stored_run", True)
                    facts["land_explain_reused_stored_run"] &= bool(got.reused)
        facts["service_cache_hits"], facts["service_cache_misses"] = svc.hits, svc.misses
        svc.close()

    med = {op: statistics.median(v) for op, v in warm.items()}
    cmed = {op: statistics.median(v) for op, v in cold.items()}
    out: dict = {}
    for op in OPS:
        out[f"{op}_warm_ms"] = round(med[op], 1)
    for op in OPS:
        out[f"{op}_cold_ms"] = round(cmed[op], 1)
    for op in OPS:
        out[f"{op}_first_ms"] = first[op]["first_ms"]
        out[f"{op}_warmup_ms"] = round(warmup[op], 1)
        out[f"{op}_warm_min_ms"] = round(min(warm[op]), 1)
        out[f"{op}_warm_max_ms"] = round(max(warm[op]), 1)
        out[f"{op}_cold_over_warm"] = round(cmed[op] / med[op], 1)
        out[f"{op}_target_ms"] = TARGET_MS[op]
        out[f"{op}_target_met"] = bool(med[op] <= TARGET_MS[op])
    out.update({"enterprises": n_ent, "year": year, "county": county, "county_enterprises": county_n,
                "county_check_evaluated": facts.get("county_check_total"), "repeat_cold": repeat,
                "warm_calls": warm_n, "service_open_ms": round(open_ms, 1),
                "first_call_import_s": max(f["import_s"] for f in first.values()),
                "first_call_open_ms": max(f["open_ms"] for f in first.values()),
                "land_explain_reused_stored_run": facts.get("land_explain_reused_stored_run"),
                "package_store": False, "county_check_store": False, **setup,
                "loadavg_1m_start": round(load_start, 2), "loadavg_1m_end": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count()})

    w = max(len(s) for s in LABELS.values())
    print(f"\n{n_ent:,} enterprises, {year}; county {county} ({county_n:,} enterprises, "
          f"{facts.get('county_check_total')} evaluated where the policy applies: {facts.get('county_check_counts')})")
    print(f"cold: median of {repeat} `zhizao` processes; first: first call in a fresh Service (process "
          f"with imports done, open {out['first_call_open_ms']:.0f} ms apart); warm: median of {warm_n} calls "
          f"after one warm-up. Service package and check with store=False (the CLI also writes HTML / stores).")
    print(f"{'operation':<{w}}  {'cold ms':>9}  {'first ms':>9}  {'warm ms':>9}  {'(min–max)':>15}  "
          f"{'cold/warm':>9}  {'target':>8}  met")
    for op in OPS:
        print(f"{LABELS[op]:<{w}}  {cmed[op]:>9.0f}  {first[op]['first_ms']:>9.0f}  {med[op]:>9.1f}  "
              f"{f'{min(warm[op]):.0f}–{max(warm[op]):.0f}':>15}  {cmed[op] / med[op]:>8.0f}×  "
              f"{'≤ ' + str(TARGET_MS[op]):>8}  {'yes' if med[op] <= TARGET_MS[op] else 'NO'}")
    print(f"service cache: {facts['service_cache_hits']} hits, {facts['service_cache_misses']} misses; "
          f"1-min load average {load_start:.1f} at the start, {out['loadavg_1m_end']:.1f} at the end "
          f"({os.cpu_count()} CPUs)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
