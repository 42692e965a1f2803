"""The land service operations (``zhizao.services.land``) on the shared synthetic province."""

from __future__ import annotations

import shutil
from datetime import date

import pyarrow as pa
import pytest

from zhizao.contract import check_table
from zhizao.errors import InvalidInput, MethodError, NotFound
from zhizao.land.results import TABLES
from zhizao.methodfile import fingerprint
from zhizao.services import Service, runs
from zhizao.services import land as svc_land

DEFAULT = "zhejiang-county-default"


@pytest.fixture(scope="module")
def evaluated(province_db, tmp_path_factory):
    """A copy of the province with one stored evaluation (default method, every year): read it only."""
    path = tmp_path_factory.mktemp("land-evaluated") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as svc:
        svc_land.evaluate(svc)
    return path


@pytest.fixture
def evaluated_svc(evaluated):
    with Service.open(evaluated, read_only=True) as svc:
        yield svc


def a_uscc(svc, land_class="C"):
    run = runs.list_runs(svc, analysis="land.evaluate")[0]
    ev = runs.rows(svc, run, "result_land_evaluation")
    year = max(run.years)
    return ev.filter((ev.year == year) & (ev.land_class == land_class)).order_by("uscc").select("uscc") \
        .limit(1).to_pyarrow().column(0)[0].as_py()


# --- evaluate ----------------------------------------------------------------------------------------
def test_evaluate_records_one_run_with_the_method_hash_and_years(evaluated_svc):
    (run,) = runs.list_runs(evaluated_svc, analysis="land.evaluate")
    assert run.method_id == DEFAULT
    assert run.method_hash == fingerprint(svc_land.load_method(evaluated_svc)).sha256
    assert list(run.years) == evaluated_svc.years()
    assert set(run.tables) == {"result_land_evaluation", "result_land_class_rollup"}


def test_evaluate_stores_the_method_id_on_every_row(evaluated_svc):
    ev = evaluated_svc.wh.result("result_land_evaluation")
    assert ev.method_id.value_counts().to_pyarrow().to_pylist() == [
        {"method_id": DEFAULT, "method_id_count": ev.count().to_pyarrow().as_py()}]


def test_a_second_evaluate_of_the_same_method_supersedes_the_first(province_copy):
    with Service.open(province_copy) as svc:
        first = svc_land.evaluate(svc, year=2023).run
        second = svc_land.evaluate(svc).run
        assert runs.get(svc, first.run_id).superseded_by == second.run_id
        ev = svc.wh.result("result_land_evaluation")
        assert ev.run_id.nunique().to_pyarrow().as_py() == 1
        assert [r.run_id for r in runs.list_runs(svc, analysis="land.evaluate")] == [second.run_id]


def test_evaluate_counts_classes_by_segment_for_the_year(province_copy):
    with Service.open(province_copy) as svc:
        r = svc_land.evaluate(svc)
    assert r.year == max(r.years) and r.synthetic
    assert sum(s.total for s in r.class_counts) == r.year_table.num_rows
    by_class = {}
    for s in r.class_counts:
        assert s.total == sum(s.counts.values()) + s.not_graded
        for c, n in s.counts.items():
            by_class[c] = by_class.get(c, 0) + n
    graded = [c for c in r.year_table.column("land_class").to_pylist() if c]
    assert by_class == {c: graded.count(c) for c in r.method.classes}


def test_a_year_not_in_the_data_is_invalid_input(evaluated_svc):
    with pytest.raises(InvalidInput, match="1999"):
        svc_land.explain(evaluated_svc, a_uscc(evaluated_svc), year=1999)


def test_an_unknown_method_is_a_method_error(evaluated_svc):
    with pytest.raises(MethodError, match="atlantis"):
        svc_land.explain(evaluated_svc, a_uscc(evaluated_svc), method="atlantis")


def test_a_method_file_that_does_not_validate_is_a_method_error(evaluated_svc, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nname_zh: 坏\n", encoding="utf-8")
    with pytest.raises(MethodError, match="bad.yaml"):
        svc_land.evaluate(evaluated_svc, method=str(bad))


# --- explain -----------------------------------------------------------------------------------------
def test_explain_reuses_the_stored_run_of_the_same_method(evaluated_svc):
    (run,) = runs.list_runs(evaluated_svc, analysis="land.evaluate")
    r = svc_land.explain(evaluated_svc, a_uscc(evaluated_svc))
    assert r.reused and r.run == run
    assert r.explanation.land_class == "C"


def test_explain_computes_when_no_stored_run_is_of_the_method(evaluated_svc):
    r = svc_land.explain(evaluated_svc, a_uscc(evaluated_svc), method="linhai-fixed")
    assert not r.reused and r.run is None
    assert r.explanation.method_id == "linhai-fixed"
    assert len(runs.list_runs(evaluated_svc, analysis="land.evaluate")) == 1   # nothing stored


def test_a_warm_service_computes_an_evaluation_once_for_explanations(evaluated_svc, monkeypatch):
    calls = []
    compute = svc_land._compute_evaluation
    monkeypatch.setattr(svc_land, "_compute_evaluation", lambda *a: calls.append(a[2]) or compute(*a))
    ev = evaluated_svc.wh.result("result_land_evaluation")
    two = ev.filter(ev.year == 2024).order_by("uscc").select("uscc").limit(2).to_pyarrow().column(0).to_pylist()
    for uscc in two:
        svc_land.explain(evaluated_svc, uscc, method="shandong")
    assert calls == [[2024]]


def test_explain_gives_the_gaps_to_the_next_class_up(evaluated_svc):
    r = svc_land.explain(evaluated_svc, a_uscc(evaluated_svc, "C"))
    assert r.next_class == "B"
    assert {g.indicator for g in r.gaps} == {s.indicator for s in r.explanation.steps}


def test_explain_names_the_enterprises_county(evaluated_svc):
    uscc = a_uscc(evaluated_svc)
    r = svc_land.explain(evaluated_svc, uscc)
    assert r.region_code == evaluated_svc.enterprise(uscc)["region_code"]
    assert r.region.endswith(r.region_code) and r.region != r.region_code


def test_explain_of_an_unknown_uscc_is_not_found(evaluated_svc):
    with pytest.raises(NotFound, match="91330000000000000X"):
        svc_land.explain(evaluated_svc, "91330000000000000X")


# --- low-efficiency land -----------------------------------------------------------------------------
def test_lowland_reads_the_stored_evaluation_and_records_its_run(evaluated, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(evaluated, path)
    with Service.open(path) as svc:
        (ev_run,) = runs.list_runs(svc, analysis="land.evaluate")
        r = svc_land.lowland(svc)
        assert r.evaluation_run == ev_run
        assert r.run.parameters["evaluation_run"] == ev_run.run_id
        assert r.flagged_parcels == svc.wh.result("result_land_lowland_parcels").count().to_pyarrow().as_py() > 0
        assert runs.list_runs(svc, analysis="land.evaluate") == [ev_run]


def test_lowland_totals_by_county_name_the_county_and_count_any_reason_last(evaluated, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(evaluated, path)
    with Service.open(path) as svc:
        r = svc_land.lowland(svc)
    assert r.reasons[-1] == "any" and r.reason_names["any"] == "合计"
    c = r.counties[0]
    assert c.region.endswith(c.region_code) and "any" in c.by_reason


def test_lowland_without_a_stored_evaluation_stores_the_one_it_computed(province_copy):
    with Service.open(province_copy) as svc:
        r = svc_land.lowland(svc)
        assert r.evaluation_run is not None and r.evaluation_run.analysis == "land.evaluate"
        assert list(r.evaluation_run.years) == svc.years()


# --- progress ----------------------------------------------------------------------------------------
def test_progress_without_a_date_moves_back_to_the_last_change_of_an_old_history(province_copy):
    with Service.open(province_copy) as svc:
        last = svc.tables()["parcel_status"].changed_on.max().to_pyarrow().as_py()
        r = svc_land.progress(svc, today=date(last.year + 2, 5, 1))
    assert r.as_of == last and r.moved_from == date(last.year + 2, 5, 1)
    assert r.dated_history


def test_progress_with_a_date_keeps_it(province_copy):
    with Service.open(province_copy) as svc:
        last = svc.tables()["parcel_status"].changed_on.max().to_pyarrow().as_py()
        r = svc_land.progress(svc, as_of=f"{last.year}-06-30")
        stored = runs.rows(svc, r.run, "result_land_redevelopment_progress").to_pyarrow()
    assert r.as_of == date(last.year, 6, 30) and r.moved_from is None
    assert set(stored.column("as_of").to_pylist()) == {date(last.year, 6, 30)}


def test_progress_by_county_adds_up_to_the_targets_done(province_copy):
    with Service.open(province_copy) as svc:
        r = svc_land.progress(svc)
    for t in r.targets:
        assert sum(c.done_mu for c in r.by_county if c.target == t.target) == pytest.approx(t.done_mu)


def test_progress_rejects_a_date_it_cannot_read(province_db):
    with Service.open(province_db, read_only=True) as svc, pytest.raises(InvalidInput, match="expected a date"):
        svc_land.progress(svc, as_of="June")


def test_progress_without_history_counts_parcels_now_done_in_the_year(province_copy):
    with Service.open(province_copy) as svc:
        svc.wh.replace("parcel_status", svc.wh.to_arrow("parcel_status").slice(0, 0))
        r = svc_land.progress(svc, as_of="2024-06-30")
        status = svc.wh.to_arrow("parcels").to_pylist()
    assert not r.dated_history and r.moved_from is None
    redeveloped = sum(p["area_mu"] for p in status if p["status"] == "redeveloped")
    done = {t.target: t.done_mu for t in r.targets}
    assert done["redevelop_lowland"] == pytest.approx(redeveloped)


def test_progress_names_history_parcels_that_parcels_lacks(province_copy):
    with Service.open(province_copy) as svc:
        h = svc.wh.to_arrow("parcel_status")
        ghost = pa.Table.from_pylist([{**h.slice(0, 1).to_pylist()[0], "parcel_id": "GHOST-1"}], schema=h.schema)
        svc.wh.upsert("parcel_status", ghost)
        r = svc_land.progress(svc)
    assert r.unknown_parcels == ("GHOST-1",)


# --- measures ----------------------------------------------------------------------------------------
def test_measures_of_a_method_without_a_schedule_names_the_methods_with_one(province_db):
    with Service.open(province_db, read_only=True) as svc:
        r = svc_land.measures(svc)
    assert not r.has_schedule and r.run is None
    assert "shandong" in r.methods_with_schedule


def test_measures_under_shandong_store_charges_totals_and_the_evaluation_they_read(province_copy):
    with Service.open(province_copy) as svc:
        r = svc_land.measures(svc, method="shandong")
        assert r.has_schedule and r.charge_rows > 0
        assert r.evaluation_run.method_id == "shandong"
        assert set(r.run.tables) == {"result_land_measures", "result_land_measure_totals"}
        totals = runs.rows(svc, r.run, "result_land_measure_totals").to_pyarrow()
    assert r.total_extra_yuan == pytest.approx(sum(v or 0 for v in totals.column("extra_charge_yuan").to_pylist()))
    assert all(t.region.endswith(t.region_code) for t in r.totals)


# --- the lever ---------------------------------------------------------------------------------------
def test_every_table_the_land_services_store_conforms_to_its_declaration(province_copy):
    with Service.open(province_copy) as svc:
        svc_land.evaluate(svc)
        svc_land.lowland(svc)
        svc_land.progress(svc)
        svc_land.measures(svc, method="shandong")
        problems, seen = [], set()
        for run in runs.list_runs(svc, lever="land"):
            for name in run.tables:
                seen.add(name)
                decl = next(t for t in TABLES if t.name == name)
                problems += check_table(decl, runs.rows(svc, run, name).to_pyarrow())
    assert problems == []
    assert seen == {t.name for t in TABLES}


def test_standard_run_gives_the_three_summaries_the_demo_prints(province_copy):
    with Service.open(province_copy) as svc:
        got = svc_land.LEVER.standard_run(svc, 2024)
    assert [r.analysis for r in got.runs] == ["land.evaluate", "land.lowland"]
    s = got.summaries
    assert s["land_classes_by_segment"].column_names == ["segment", "land_class", "firms", "area_mu"]
    assert s["land_class_by_county"].column_names == ["year", "region_code", "land_class", "firms", "graded_firms",
                                                      "share", "area_mu", "area_share", "taxes", "value_added",
                                                      "tax_per_mu"]
    assert s["land_lowland_by_reason"].column_names == ["reason", "parcels", "area_mu"]
    assert set(s["land_class_by_county"].column("year").to_pylist()) == {2024}
    assert len(got.findings) == 1 and "low-efficiency land" in got.findings[0]
