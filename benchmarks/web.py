"""Benchmark: the web platform's latency under concurrent clients on loopback.

    python benchmarks/web.py --quick       # 5,000 enterprises, fewer requests
    python benchmarks/web.py               # 50,000 enterprises (the demo province)
    python benchmarks/web.py --db PATH     # an existing warehouse (a copy is served)

Set-up (in a temporary folder): ``zhizao synth`` and ``zhizao land evaluate`` (a stored 亩均 run,
as in the demo), an administrator account with an API token in the operational database, then
``zhizao serve`` in its own process (uvicorn, one worker) on 127.0.0.1 and a free port. The
server is warmed with one call of each endpoint (another enterprise / query than the measured
ones), as a long-running server is.

Endpoints measured (each with its own enterprises or queries, a fixed pseudo-random order):

* ``map`` — ``GET /api/v1/regions/aggregates?level=county&indicator=…`` (an indicator in turn)
* ``search`` — ``GET /api/v1/enterprises?q=…`` (a name fragment in turn)
* ``profile`` — ``GET /api/v1/enterprises/{uscc}`` (一企一档, with the policy verdicts)
* ``explain`` — ``GET /api/v1/policies/specialized_sme/explain/{uscc}`` (tree and gap)
* ``floor`` — ``GET /api/v1/health`` (a trivial endpoint of the same server: the floor)

For 1 and for 16 concurrent clients (threads of this process, one HTTP connection each), every
client sends ``--requests`` requests per endpoint, endpoint after endpoint (all clients on the
same endpoint at once). p50 and p95 of the per-request wall time on the client.

Target: p95 ≤ 200 ms at 16 clients for each endpoint.

Last stdout line: JSON with ``p95_ms`` (endpoint → clients → ms), ``p50_ms`` (the same),
``floor_p95_ms`` (clients → ms), ``clients``, ``target_ms``, ``target_met``, enterprises, the
requests per client and the set-up times.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ENDPOINTS = ("map", "search", "profile", "explain")
TARGET_MS = 200.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _zhizao(*args) -> None:
    exe = Path(sys.executable).with_name("zhizao")
    subprocess.run([str(exe), *args], check=True, stdout=subprocess.DEVNULL)


def _prepare(db: Path, n: int | None) -> dict:
    t = {}
    if n is not None:
        t0 = time.perf_counter()
        _zhizao("synth", "--db", str(db), "-n", str(n))
        t["synth_s"] = time.perf_counter() - t0
    from zhizao.services import Service, runs

    with Service.open(db) as svc:
        if not runs.list_runs(svc, analysis="land.evaluate"):
            t0 = time.perf_counter()
            from zhizao.services import land

            land.evaluate(svc)
            t["land_evaluate_s"] = time.perf_counter() - t0
    return t


def _token(db: Path, oltp: str) -> str:
    from zhizao.accounts.service import Accounts
    from zhizao.settings import Settings

    with Accounts.open(Settings(db_path=db, oltp_url_=oltp)) as acc:
        acc.add_user("bench", "bench-password-1", "admin")
        plain, _ = acc.create_token("bench", "benchmark")
    return plain


def _samples(db: Path, count: int) -> dict:
    """Enterprises with indicators in the latest year and search fragments (two characters of a
    name), in a fixed pseudo-random order."""
    from zhizao.services import Service

    with Service.open(db, read_only=True) as svc:
        year = svc.years()[-1]
        t = svc.tables()
        ind = t["indicators"].filter(lambda x: x.year == year).select("uscc")
        e = t["enterprises"].join(ind, "uscc").select("uscc", "name").to_pyarrow().to_pylist()
    e.sort(key=lambda r: hashlib.md5(r["uscc"].encode()).hexdigest())
    names = [r["name"] for r in e]
    frags = [n[4:6] if n.startswith("（合成）") else n[:2] for n in names]
    return {"uscc": [r["uscc"] for r in e][: 4 * count + 10], "frag": frags[: 4 * count + 10]}


def _paths(samples: dict, endpoint: str, i: int) -> str:
    ind = ("revenue", "value_added", "taxes", "employees", "profit", "energy_tce")
    if endpoint == "map":
        return f"/api/v1/regions/aggregates?level=county&indicator={ind[i % len(ind)]}"
    if endpoint == "search":
        return f"/api/v1/enterprises?q={samples['frag'][i]}&page_size=50"
    if endpoint == "profile":
        return f"/api/v1/enterprises/{samples['uscc'][i]}"
    if endpoint == "explain":
        return f"/api/v1/policies/specialized_sme/explain/{samples['uscc'][-1 - i]}"
    return "/api/v1/health"


def _run(base: str, token: str, samples: dict, endpoint: str, clients: int, per_client: int, offset: int) -> list[float]:
    import httpx

    lat: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(clients)

    def worker(k: int):
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
            start.wait()
            for j in range(per_client):
                path = _paths(samples, endpoint, offset + k * per_client + j)
                t0 = time.perf_counter()
                r = c.get(path)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors.append(f"{path}: {r.status_code} {r.text[:200]}")
                with lock:
                    lat.append(dt * 1000)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{endpoint}: {len(errors)} failed requests, e.g. {errors[0]}")
    return lat


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5,000 enterprises and 5 requests per client")
    ap.add_argument("--db", type=Path, help="an existing warehouse (a copy is served)")
    ap.add_argument("--enterprises", "-n", type=int, default=None)
    ap.add_argument("--requests", type=int, default=None, help="requests per client and endpoint")
    ap.add_argument("--clients", default="1,16")
    a = ap.parse_args()
    n = a.enterprises or (5_000 if a.quick else 50_000)
    per = a.requests or (5 if a.quick else 12)
    levels = [int(x) for x in a.clients.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="zhizao-web-bench-"))
    server = None
    try:
        db = tmp / "warehouse.duckdb"
        if a.db:
            shutil.copy(a.db, db)
            setup = _prepare(db, None)
            n = None
        else:
            setup = _prepare(db, n)
        oltp = f"sqlite:///{tmp / 'oltp.sqlite'}"
        token = _token(db, oltp)
        samples = _samples(db, per * max(levels) * 2 + 10)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        exe = Path(sys.executable).with_name("zhizao")
        env = {**os.environ, "ZHIZAO_OLTP_URL": oltp}
        t0 = time.perf_counter()
        server = subprocess.Popen([str(exe), "serve", "--db", str(db), "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        import httpx

        for _ in range(600):
            try:
                if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start: " + server.stderr.read().decode()[-2000:])
        setup["server_start_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for ep in ENDPOINTS:                       # warm: one call each, on samples not measured
            _run(base, token, {k: v[::-1] for k, v in samples.items()}, ep, 1, 1, 3)
        setup["warm_up_s"] = time.perf_counter() - t0

        p95: dict = {}
        p50: dict = {}
        offset = 0
        for clients in levels:
            for ep in (*ENDPOINTS, "floor"):
                lat = _run(base, token, samples, ep, clients, per, offset)
                p95.setdefault(ep, {})[clients] = round(_pct(lat, 0.95), 1)
                p50.setdefault(ep, {})[clients] = round(_pct(lat, 0.50), 1)
                print(f"{ep:8s} clients={clients:2d}  p50 {p50[ep][clients]:7.1f} ms  p95 {p95[ep][clients]:7.1f} ms"
                      f"  ({len(lat)} requests)", flush=True)
            offset += per * clients
        top = max(levels)
        met = {ep: p95[ep][top] <= TARGET_MS for ep in ENDPOINTS}
        floor = p95.pop("floor")
        p50.pop("floor")
        print(json.dumps({"p95_ms": p95, "p50_ms": p50, "floor_p95_ms": floor, "clients": levels,
                          "target_ms": TARGET_MS, "target_met": met, "enterprises": n, "requests_per_client": per,
                          "setup": {k: round(v, 2) for k, v in setup.items()}}, ensure_ascii=False))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
