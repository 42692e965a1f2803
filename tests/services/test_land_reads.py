"""Scoped reads of the 亩均 results (``zhizao.services.land_reads``) on the shared province: the scope
applied in the query, the stored runs reused, the class distribution under disclosure control."""

from __future__ import annotations

import shutil

import pytest

from zhizao.accounts.scope import Scope
from zhizao.errors import InvalidInput
from zhizao.services import Service, runs
from zhizao.services import land as land_svc
from zhizao.services import land_reads as reads


@pytest.fixture(scope="module")
def svc(province_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("land-reads") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as s:
        yield s


def test_classes_reuse_the_stored_evaluation_and_are_scoped(svc, county):
    stored = land_svc.evaluate(svc)
    mine = reads.classes_page(svc, Scope.of_regions([county]), page_size=500)
    assert mine.run.run_id == stored.run.run_id and mine.total > 0
    assert {r["region_code"] for r in mine.rows} == {county}
    assert reads.classes_page(svc, Scope.everything(), page_size=1).total == stored.year_table.num_rows
    assert reads.classes_page(svc, Scope.none()).total == 0                        # deny by default
    one = mine.rows[0]["uscc"]
    own = reads.classes_page(svc, Scope.of_enterprise(one))
    assert [r["uscc"] for r in own.rows] == [one]
    cols, batches = reads.classes_rows(svc, Scope.of_regions([county]))
    assert sum(len(b) for b in batches) == mine.total and cols[0].zh == "年度"


def test_an_earlier_year_reads_the_same_run(svc):
    years = svc.years()
    got = reads.classes_page(svc, Scope.everything(), year=years[0], page_size=1)
    latest = reads.classes_page(svc, Scope.everything(), page_size=1)
    assert got.run.run_id == latest.run.run_id and got.rows[0]["year"] == years[0]


@pytest.mark.parametrize("kw, field", [({"year": 1990}, "year"), ({"method": "/etc/passwd"}, "method"),
                                       ({"land_class": "E"}, "land_class"), ({"region": "12"}, "region"),
                                       ({"industry": "x"}, "industry"), ({"page_size": 0}, "page_size")])
def test_bad_arguments_name_the_field(svc, kw, field):
    with pytest.raises(InvalidInput) as e:
        reads.classes_page(svc, Scope.everything(), **kw)
    assert e.value.where == field


def test_distribution_controls_cells_outside_the_scope(svc, county):
    whole = reads.distribution(svc, Scope.everything())
    assert whole.controlled is False and whole.rows
    mine = reads.distribution(svc, Scope.of_regions([county]), k=3, p=85.0)
    assert mine.controlled is True and [c for c, _ in mine.classes] == ["A", "B", "C", "D"]
    full = {(r.code, j): c.count for r in whole.rows for j, c in enumerate(r.cells)}
    seen = {(r.code, j): c for r in mine.rows for j, c in enumerate(r.cells)}
    small = [key for key, n in full.items() if key[0] != county and 1 <= n < 3]
    assert small and all(seen[key].suppressed and seen[key].count is None and seen[key].reason == "k" for key in small)
    assert all(not c.suppressed and c.count == full[key] for key, c in seen.items() if key[0] == county)
    for r in mine.rows:                                          # a published row adds up
        if not r.total.suppressed and not any(c.suppressed for c in r.cells):
            assert sum(c.count for c in r.cells) == r.total.count
    hidden = [r for r in mine.rows if sum(c.suppressed for c in r.cells) == 1]
    assert not [r for r in hidden if not r.total.suppressed]    # one hidden cell in a published row: impossible
    nobody = reads.distribution(svc, Scope.none())
    assert nobody.controlled and all(not r.in_scope for r in nobody.rows)


def test_distribution_by_industry(svc, county):
    inside = reads.distribution(svc, Scope.of_regions([county]), by="industry", region=county)
    assert inside.controlled is False and inside.rows
    assert reads.distribution(svc, Scope.of_regions([county]), by="industry").controlled is True
    assert reads.distribution(svc, Scope.of_regions([county[:2] + "0000"]), by="industry").controlled is False
    with pytest.raises(InvalidInput) as e:
        reads.distribution(svc, Scope.everything(), by="park")
    assert e.value.where == "by"
    cols, batches = reads.distribution_rows(svc, Scope.of_regions([county]))
    rows = next(batches)
    assert [c.name for c in cols][:3] == ["code", "name", "class_A"] and rows[-1]["code"] == "total"


def test_lowland_reuses_its_run_and_is_scoped_by_the_parcel(svc, county):
    first = reads.lowland_page(svc, Scope.everything(), page_size=1)
    n_runs = len(runs.list_runs(svc, current=False))
    again = reads.lowland_page(svc, Scope.of_regions([county]), page_size=500)
    assert again.run.run_id == first.run.run_id and len(runs.list_runs(svc, current=False)) == n_runs
    assert again.total < first.total and all(r["region_code"] == county for r in again.rows)
    d = reads.lowland_page(svc, Scope.everything(), reason="d_class", page_size=500)
    assert d.total and all("d_class" in r["reasons"].split(";") for r in d.rows)
    with pytest.raises(InvalidInput) as e:
        reads.lowland_page(svc, Scope.everything(), five_type="bad")
    assert e.value.where == "five_type"


def test_progress_by_scope(svc, county):
    whole = reads.progress(svc, Scope.everything())
    assert whole.whole_province and whole.targets and whole.run.analysis == "land.progress"
    mine = reads.progress(svc, Scope.of_regions([county]))
    assert mine.run.run_id == whole.run.run_id and mine.targets == ()
    assert all(r["region_code"] == county for r in mine.counties.rows)
    assert sum(t["parcels"] or 0 for t in mine.scope_totals) == sum(r["parcels"] for r in mine.counties.rows)


def test_web_fields_name_the_request_field():
    from zhizao.errors import NotFound

    with pytest.raises(InvalidInput) as e, reads.web_fields():
        raise InvalidInput("x", "x", where="--base-year")
    assert e.value.where == "base_year"
    with pytest.raises(NotFound) as e, reads.web_fields():
        raise NotFound("x", "x", where="--firm")
    assert e.value.where == "firms"
