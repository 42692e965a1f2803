"""Scoped reads of the cluster results (``zhizao.services.clusters_reads``) on the shared province:
stored runs reused (those the CLI's service calls record), the region × industry matrix and the
cluster figures under disclosure control outside the scope, leading firms named inside it only."""

from __future__ import annotations

import shutil

import pytest

from zhizao.accounts.scope import Scope
from zhizao.errors import InvalidInput, NotFound
from zhizao.services import Service, runs
from zhizao.services import clusters as ops
from zhizao.services import clusters_reads as reads


@pytest.fixture(scope="module")
def svc(province_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("clusters-reads") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as s:
        yield s


def _count(svc, analysis):
    return len([r for r in runs.list_runs(svc, current=False) if r.analysis == analysis])


def test_reads_reuse_the_runs_the_service_records(svc, county):
    idx, diag, cand = ops.indices(svc), ops.diagnose(svc), ops.candidates(svc)
    before = {a: _count(svc, a) for a in ("clusters.indices", "clusters.diagnose", "clusters.candidates")}
    s = Scope.of_regions([county])
    assert reads.indices_page(svc, s).run.run_id == idx.run.run_id
    assert reads.diagnosis_page(svc, s).run.run_id == diag.run.run_id
    assert reads.candidates_page(svc, s).run.run_id == cand.run.run_id
    assert reads.profile(svc, s, diag.rows[0].cluster_id).run.run_id == diag.run.run_id
    assert before == {a: _count(svc, a) for a in before}                       # nothing computed again


def test_definitions_are_public_and_filtered(svc, county):
    got = reads.clusters_page(svc, Scope.none())
    assert got.total == len(ops.list_clusters(svc).clusters) and got.columns[0].zh == "集群编号"
    mine = reads.clusters_page(svc, Scope.none(), region=county)
    assert all(r["regions"] in (county, "all") for r in mine.rows)
    assert reads.clusters_page(svc, Scope.none(), q="zzzz-none").total == 0


def test_everything_sees_cluster_figures_unprotected(svc):
    ctl = reads.cluster_control(svc, Scope.everything())
    assert not ctl.controlled and not any(ctl.suppressed.values())
    d = reads.diagnosis_page(svc, Scope.everything())
    assert d.total == 15 and all(r["firms"] is not None for r in d.rows) and not any(r["suppressed"] for r in d.rows)


def test_cluster_control_outside_the_scope(svc, county):
    s = Scope.of_regions([county])
    ctl = reads.cluster_control(svc, s)
    own = [c.id for c in ops.cluster_set(svc).clusters if list(c.regions) == [county]]
    assert all(not ctl.needs_control[i] for i in own)
    assert sum(ctl.needs_control.values()) == 15 - len(own)
    strict = reads.cluster_control(svc, s, k=10_000)
    assert all(strict.suppressed[i] == strict.needs_control[i] for i in strict.suppressed)
    d = reads.diagnosis_page(svc, s, k=10_000)
    for r in d.rows:
        assert r["suppressed"] == strict.suppressed[r["cluster_id"]]
        if r["suppressed"]:
            assert r["above_scale_revenue"] is None and r["evidence"] is None and r["verdict"] is not None
    nobody = reads.cluster_control(svc, Scope.none())
    assert all(nobody.needs_control.values())


def test_profile_of_a_hidden_cluster(svc, county):
    other = next(c.id for c in ops.cluster_set(svc).clusters if list(c.regions) != [county] and c.regions != "all")
    p = reads.profile(svc, Scope.of_regions([county]), other, k=10_000)
    assert p.suppressed and p.diagnosis_text is None and p.leading_firms == () and p.leading_hidden > 0
    size = {m.key: m for m in p.metrics}
    assert size["revenue"].value is None and size["revenue"].suppressed
    assert size["rd_intensity"].suppressed is False                           # a ratio stays
    full = reads.profile(svc, Scope.everything(), other)
    assert full.leading_firms and full.leading_hidden == 0 and full.diagnosis_text
    with pytest.raises(NotFound):
        reads.profile(svc, Scope.everything(), "no-such-cluster")


def test_indices_cells_outside_the_scope_are_protected(svc, county):
    s = Scope.of_regions([county])
    full = {(r["region_code"], r["industry_code"]): r
            for r in reads.indices_page(svc, Scope.everything(), page_size=500, industry="3").rows}
    seen = {(r["region_code"], r["industry_code"]): r
            for r in reads.indices_page(svc, s, page_size=500, industry="3").rows}
    assert full.keys() == seen.keys()
    small = [k for k, r in full.items() if k[0] != county and 1 <= r["firms"] < 3]
    assert small and all(seen[k]["suppressed"] and seen[k]["value"] is None and seen[k]["rca"] is None
                         and seen[k]["value_base"] is None for k in small)
    assert all(not r["suppressed"] and r["value"] == full[k]["value"] for k, r in seen.items() if k[0] == county)
    regions = reads.indices_page(svc, s, table="regions", page_size=500)
    own = next(r for r in regions.rows if r["region_code"] == county)
    assert own["suppressed"] is False and own["total"] is not None
    with pytest.raises(InvalidInput) as e:
        reads.indices_page(svc, s, table="nope")
    assert e.value.where == "table"


def test_candidates_hidden_with_their_member_cells(svc, county):
    s = Scope.of_regions([county])
    got = reads.candidates_page(svc, s, page_size=500)
    assert any(r["suppressed"] for r in got.rows)
    assert all(not r["suppressed"] for r in got.rows if r["region"] == county)
    assert all(r["value"] is None and r["firms"] is None for r in got.rows if r["suppressed"])
    stars = reads.candidates_page(svc, s, kind="new_stars", region=county, page_size=500)
    assert stars.total and not any(r["suppressed"] for r in stars.rows)
