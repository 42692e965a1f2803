"""Scoped reads of the supply-chain results (``zhizao.services.chains_reads``) on the shared
province: stored runs reused, firm rows only inside the scope, chokepoint sums and the shock's
county losses under disclosure control, and the shock's input checked before it is queued."""

from __future__ import annotations

import json
import shutil

import pytest

from zhizao.accounts.scope import Scope
from zhizao.errors import InvalidInput, NotFound
from zhizao.services import Service, runs
from zhizao.services import chains as ops
from zhizao.services import chains_reads as reads


@pytest.fixture(scope="module")
def svc(province_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("chains-reads") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as s:
        yield s


@pytest.fixture(scope="module")
def places(svc):
    e = svc.tables()["enterprises"]
    top = e.group_by("region_code").aggregate(n=e.count()).order_by([e.count().desc(), "region_code"]).limit(2) \
        .to_pyarrow().column("region_code").to_pylist()
    firms = e.filter(e.region_code == top[0]).select("uscc").order_by("uscc").limit(2).to_pyarrow()
    return {"county": top[0], "other": top[1], "firms": firms.column("uscc").to_pylist()}


def test_reads_reuse_the_runs_the_service_records(svc, places):
    cp, ld, rs = ops.chokepoints(svc), ops.leaders(svc), ops.resilience(svc)
    def chain_runs():
        return [r.run_id for r in runs.list_runs(svc, current=False) if r.lever == "chains"]

    n = chain_runs()
    s = Scope.of_regions([places["county"]])
    assert reads.chokepoints_page(svc, s).run.run_id == cp.run.run_id
    assert reads.chokepoint_buyers_page(svc, s).run.run_id == cp.run.run_id
    assert reads.leaders_page(svc, s).run.run_id == ld.run.run_id
    assert reads.resilience_page(svc, s).run.run_id == rs.run.run_id
    assert chain_runs() == n                    # nothing computed again (the cluster control reads clusters')


def test_firm_rows_only_inside_the_scope(svc, places):
    s = Scope.of_regions([places["county"]])
    leaders = reads.leaders_page(svc, s, page_size=500)
    assert leaders.total and {r["region_code"] for r in leaders.rows} == {places["county"]}
    assert all(r["name"] for r in leaders.rows)
    assert reads.leaders_page(svc, Scope.none()).total == 0
    buyers = reads.chokepoint_buyers_page(svc, s, page_size=500)
    assert buyers.total and {r["buyer_region_code"] for r in buyers.rows} == {places["county"]}
    assert reads.chokepoint_buyers_page(svc, Scope.none()).total == 0
    cols, batches = reads.leaders_rows(svc, s)
    assert sum(len(b) for b in batches) == leaders.total and cols[2].zh == "企业名称"


def test_chokepoint_sums_are_controlled(svc, places):
    whole = reads.chokepoints_page(svc, Scope.everything(), page_size=500)
    assert not any(c.name == "suppressed" for c in whole.columns)
    nobody = reads.chokepoints_page(svc, Scope.none(), page_size=500)
    full = {r["product"]: r for r in whole.rows}
    small = [r for r in nobody.rows if 1 <= full[r["product"]]["buyers"] < 3]
    assert small and all(r["suppressed"] and r["purchases"] is None and r["dependent_output"] is None for r in small)
    assert all(r["rank"] == full[r["product"]]["rank"] for r in nobody.rows)
    strict = reads.chokepoints_page(svc, Scope.none(), k=10_000, page_size=500)
    assert all(r["suppressed"] for r in strict.rows)


def test_resilience_controlled_like_the_clusters(svc, places):
    from zhizao.services.clusters_reads import cluster_control

    s = Scope.of_regions([places["county"]])
    ctl = cluster_control(svc, s, k=10_000)
    got = reads.resilience_page(svc, s, k=10_000)
    for r in got.rows:
        assert r["suppressed"] == ctl.suppressed[r["group_id"]]
        if r["suppressed"]:
            assert r["resilience"] is None and r["top_suppliers"] is None
    whole = reads.resilience_page(svc, Scope.everything())
    assert all(r["resilience"] is not None for r in whole.rows if r["rank"] is not None)


@pytest.mark.parametrize("kw, field", [({"county": "330000", "capacity": 0.0}, "capacity"),
                                       ({"county": "330000", "capacity": 1.01}, "capacity"),
                                       ({"county": "330000", "days": 0}, "days"),
                                       ({"county": "330000", "days": 366}, "days"),
                                       ({"firms": [f"X{i}" for i in range(201)]}, "firms"),
                                       ({}, "county"), ({"county": "33"}, "county"), ({"county": "999999"}, "county"),
                                       ({"county": "330000", "rationing": "fair"}, "rationing")])
def test_shock_input_is_checked(svc, kw, field):
    with pytest.raises(InvalidInput) as e:
        reads.check_shock(svc, Scope.everything(), **kw)
    assert e.value.where == field


def test_shock_firms_must_be_visible(svc, places):
    inside = Scope.of_regions([places["county"]])
    req = reads.check_shock(svc, inside, firms=[f.lower() for f in places["firms"]], capacity=0.3, days=5)
    assert req.firms == tuple(places["firms"])
    with pytest.raises(NotFound) as e:
        reads.check_shock(svc, Scope.of_regions([places["other"]]), firms=places["firms"])
    with pytest.raises(NotFound) as unknown:
        reads.check_shock(svc, Scope.everything(), firms=["91330000000000000X"])
    assert e.value.where == unknown.value.where == "firms"
    assert e.value.en == unknown.value.en.replace("91330000000000000X", places["firms"][0])


def test_shock_job_counties_under_control(svc, places):
    s = Scope.of_regions([places["county"]])
    req = reads.check_shock(svc, s, county=places["county"], capacity=0.5, days=20)
    v = reads.shock_job(svc, s, req, k=3, p=85.0)
    assert v.days == 20 and len(v.curve) == 21 and v.total_loss > 0 and not v.network_suppressed
    own = next(c for c in v.counties if c.region_code == places["county"])
    assert own.in_scope and not own.suppressed and own.loss > 0
    hidden = [c for c in v.counties if c.suppressed]
    assert all(c.loss is None and c.firms is None and not c.in_scope for c in hidden)
    shown = [c for c in v.counties if not c.suppressed]
    assert [c.loss for c in shown] == sorted((c.loss for c in shown), reverse=True)
    assert v.counties[-len(hidden):] == tuple(hidden) if hidden else True
    assert v.firms and all(f["region_code"] == places["county"] for f in v.firms)
    json.dumps(v.to_dict(), allow_nan=False)                                  # a job's result is JSON
    whole = reads.shock_job(svc, Scope.everything(), req)
    assert not any(c.suppressed for c in whole.counties) and len(whole.counties) == len(v.counties)
