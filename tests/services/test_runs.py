"""Result runs (``zhizao.services.runs``): recording, superseding, finding and reusing stored runs,
on tiny tables in an empty warehouse (and one run written to a Spark warehouse)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

import zhizao
from zhizao.data import store
from zhizao.errors import NotFound
from zhizao.land import load_method
from zhizao.methodfile import fingerprint
from zhizao.services import Service, runs


@pytest.fixture
def svc(empty_wh):
    return Service(empty_wh)


@pytest.fixture(scope="module")
def policy():
    """A real method object with a version: a shipped policy."""
    from zhizao.policy import load_library

    return load_library()["innovative_sme"]


@pytest.fixture(scope="module")
def shandong():
    return load_method("shandong")


def scores(*pairs):
    """A tiny result table: (uscc, score) rows."""
    return pa.table({"uscc": [u for u, _ in pairs], "score": [float(s) for _, s in pairs]})


def stored(svc, table):
    """Every row of a result table, as (run_id, uscc) pairs, sorted."""
    rows = svc.wh.result(table).to_pyarrow().to_pylist()
    return sorted((r["run_id"], r["uscc"]) for r in rows)


def rows_of(svc, run, table, column="uscc"):
    return sorted(runs.rows(svc, run, table).to_pyarrow().column(column).to_pylist())


# --- run_key -----------------------------------------------------------------------------------------
def test_run_key_puts_the_method_after_the_analysis_and_the_names_in_alphabetical_order():
    assert runs.run_key("policy.check", method_id="innovative_sme", year=2024, uscc="X") == \
        "policy.check|method=innovative_sme|uscc=X|year=2024"
    assert runs.run_key("a", z=1, b=2) == runs.run_key("a", b=2, z=1) == "a|b=2|z=1"


def test_run_key_without_a_method_or_names_is_the_analysis_alone():
    assert runs.run_key("land.evaluate") == "land.evaluate"
    assert runs.run_key("land.evaluate", method_id=None, scenario="s") == "land.evaluate|scenario=s"


# --- record ------------------------------------------------------------------------------------------
def test_record_writes_every_table_with_the_run_id_on_each_row(svc):
    run = runs.record(svc, lever="land", analysis="test.record",
                      tables={"t_scores": scores(("A", 1), ("B", 2)), "t_counts": pa.table({"n": [7]})})
    assert set(run.tables) == {"result_t_scores", "result_t_counts"}
    assert {"result_t_scores", "result_t_counts", "result_runs"} <= set(svc.wh.list_tables())
    assert stored(svc, "result_t_scores") == [(run.run_id, "A"), (run.run_id, "B")]
    counts = svc.wh.result("result_t_counts").to_pyarrow().to_pylist()
    assert counts == [{"n": 7, "run_id": run.run_id}]
    assert run.row_count == 3


def test_record_replaces_a_run_id_column_the_computed_table_already_had(svc):
    t = scores(("A", 1)).append_column("run_id", pa.array(["stale"]))
    run = runs.record(svc, lever="land", analysis="test.record", tables={"t_scores": t})
    assert stored(svc, "result_t_scores") == [(run.run_id, "A")]


def test_record_adds_a_result_runs_row_with_the_lever_analysis_method_years_and_parameters(svc, policy):
    fp = fingerprint(policy)
    before = dt.datetime.now().replace(microsecond=0)
    run = runs.record(svc, lever="policy", analysis="policy.check", method=policy, years=[2024, 2022, 2023, 2024],
                      parameters={"budget": 1.5, "region": "330481"}, key={"uscc": "X"},
                      tables={"t_verdicts": scores(("X", 1), ("Y", 0))})
    (row,) = svc.wh.runs().to_pylist()
    assert row["run_id"] == run.run_id
    assert row["lever"] == "policy" and row["analysis"] == "policy.check"
    assert row["run_key"] == "policy.check|method=innovative_sme|uscc=X"
    assert (row["method_id"], row["method_version"], row["method_hash"]) == (fp.id, fp.version, fp.sha256)
    assert fp.version and len(fp.sha256) == 64
    assert row["years"] == "2022,2023,2024"               # sorted, each once
    assert json.loads(row["parameters"]) == {"budget": 1.5, "region": "330481"}
    assert row["tables"] == "result_t_verdicts"
    assert row["row_count"] == 2
    assert before <= row["created_at"] <= dt.datetime.now()
    assert row["zhizao_version"] == zhizao.__version__
    assert row["superseded_by"] is None


def test_a_recorded_run_reads_back_equal_through_get(svc, shandong):
    run = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong, years=[2023, 2024],
                      parameters={"scope": "all"}, tables={"t_scores": scores(("A", 1))})
    assert runs.get(svc, run.run_id) == run
    assert run.method_id == "shandong" and run.method_hash == fingerprint(shandong).sha256
    assert run.years == (2023, 2024)
    assert run.label.startswith("land.evaluate shandong 2023–2024 (run ")


def test_a_bad_result_name_stores_nothing(svc):
    runs.record(svc, lever="land", analysis="test.ok", tables={"t_scores": scores(("A", 1))})
    with pytest.raises(store.WarehouseError, match="not a result table name"):
        runs.record(svc, lever="land", analysis="test.bad",
                    tables={"t_fine": scores(("B", 1)), "Bad-Name": scores(("C", 1))})
    assert [r.analysis for r in runs.list_runs(svc, current=False)] == ["test.ok"]
    assert not svc.wh.has_table("result_t_fine")     # the whole run rolled back


# --- superseding -------------------------------------------------------------------------------------
def test_a_newer_run_with_the_same_key_replaces_the_older_rows(svc, shandong):
    first = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong, years=[2024],
                        tables={"t_scores": scores(("A", 1), ("B", 2))})
    second = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong, years=[2024],
                         tables={"t_scores": scores(("C", 3))})
    assert stored(svc, "result_t_scores") == [(second.run_id, "C")]
    assert rows_of(svc, first, "result_t_scores") == []
    assert runs.get(svc, first.run_id).superseded_by == second.run_id
    assert runs.get(svc, second.run_id).superseded_by is None


def test_a_superseded_run_is_listed_only_when_asking_for_every_run(svc, shandong):
    first = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong,
                        tables={"t_scores": scores(("A", 1))})
    second = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong,
                         tables={"t_scores": scores(("A", 2))})
    assert [r.run_id for r in runs.list_runs(svc)] == [second.run_id]
    assert {r.run_id for r in runs.list_runs(svc, current=False)} == {first.run_id, second.run_id}


def test_a_third_run_supersedes_only_the_current_one(svc):
    first, second, third = (runs.record(svc, lever="land", analysis="test.k", key={"k": 1},
                                        tables={"t_scores": scores(("A", i))}) for i in range(3))
    assert runs.get(svc, first.run_id).superseded_by == second.run_id   # kept: replaced by the second
    assert runs.get(svc, second.run_id).superseded_by == third.run_id
    assert stored(svc, "result_t_scores") == [(third.run_id, "A")]


def test_two_runs_with_different_keys_share_a_table_and_rows_separates_them(svc, policy):
    x = runs.record(svc, lever="policy", analysis="policy.check", method=policy, key={"uscc": "X"},
                    tables={"t_verdicts": scores(("X", 1), ("X2", 1))})
    y = runs.record(svc, lever="policy", analysis="policy.check", method=policy, key={"uscc": "Y"},
                    tables={"t_verdicts": scores(("Y", 0))})
    assert x.run_key != y.run_key
    assert rows_of(svc, x, "result_t_verdicts") == ["X", "X2"]
    assert rows_of(svc, y, "result_t_verdicts") == ["Y"]
    assert {r.run_id for r in runs.list_runs(svc)} == {x.run_id, y.run_id}    # both current
    assert runs.get(svc, x.run_id).superseded_by is None


def test_runs_of_two_methods_share_a_table_and_supersede_only_their_own(svc, shandong):
    other = load_method("zhejiang-county-default")
    a = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong, tables={"t_scores": scores(("A", 1))})
    b = runs.record(svc, lever="land", analysis="land.evaluate", method=other, tables={"t_scores": scores(("B", 1))})
    a2 = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong,
                     tables={"t_scores": scores(("A", 2))})
    assert stored(svc, "result_t_scores") == sorted([(b.run_id, "B"), (a2.run_id, "A")])
    assert runs.get(svc, a.run_id).superseded_by == a2.run_id
    assert runs.get(svc, b.run_id).superseded_by is None


def test_a_column_whose_type_changes_between_runs_still_stores(svc):
    a = runs.record(svc, lever="land", analysis="test.types", key={"k": "a"},
                    tables={"t_typed": pa.table({"uscc": ["A"], "v": pa.array([1], pa.int64())})})
    b = runs.record(svc, lever="land", analysis="test.types", key={"k": "b"},
                    tables={"t_typed": pa.table({"uscc": ["B"], "v": pa.array([2.5], pa.float64())})})
    assert runs.rows(svc, a, "result_t_typed").to_pyarrow().column("v").to_pylist() == [1]
    assert runs.rows(svc, b, "result_t_typed").to_pyarrow().column("v").to_pylist() == [2.5]
    assert svc.wh.result("result_t_typed").count().to_pyarrow().as_py() == 2


def test_a_column_that_cannot_be_stored_beside_another_runs_is_refused_and_nothing_is_recorded(svc):
    a = runs.record(svc, lever="land", analysis="test.types", key={"k": "a"},
                    tables={"t_typed": pa.table({"uscc": ["A"], "v": pa.array([1], pa.int64())})})
    with pytest.raises(store.WarehouseError, match="result_t_typed"):
        runs.record(svc, lever="land", analysis="test.types", key={"k": "b"},
                    tables={"t_typed": pa.table({"uscc": ["B"], "v": ["text"]})})
    assert [r.run_id for r in runs.list_runs(svc, current=False)] == [a.run_id]
    assert stored(svc, "result_t_typed") == [(a.run_id, "A")]


def test_a_run_with_a_new_column_adds_it_and_leaves_it_null_for_the_other_runs(svc):
    a = runs.record(svc, lever="land", analysis="test.cols", key={"k": "a"},
                    tables={"t_cols": pa.table({"uscc": ["A"]})})
    b = runs.record(svc, lever="land", analysis="test.cols", key={"k": "b"},
                    tables={"t_cols": pa.table({"uscc": ["B"], "extra": ["e"]})})
    assert runs.rows(svc, a, "result_t_cols").to_pyarrow().column("extra").to_pylist() == [None]
    assert runs.rows(svc, b, "result_t_cols").to_pyarrow().column("extra").to_pylist() == ["e"]


def test_a_same_key_run_with_another_column_type_replaces_the_table(svc):
    runs.record(svc, lever="land", analysis="test.types",
                tables={"t_typed": pa.table({"v": pa.array([1], pa.int64())})})
    second = runs.record(svc, lever="land", analysis="test.types", tables={"t_typed": pa.table({"v": ["text"]})})
    assert svc.wh.result("result_t_typed").to_pyarrow().to_pylist() == [{"v": "text", "run_id": second.run_id}]


# --- find and get -------------------------------------------------------------------------------------
@pytest.fixture
def three_years(svc, shandong):
    """One stored run of land.evaluate by the Shandong method over 2022–2024."""
    return runs.record(svc, lever="land", analysis="land.evaluate", method=shandong, years=[2022, 2023, 2024],
                       parameters={"scope": "all"}, tables={"t_scores": scores(("A", 1))})


def test_a_run_covering_2022_to_2024_serves_2024(svc, shandong, three_years):
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all"}, years=[2024]) == three_years
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all"},
                     years=[2022, 2023, 2024]) == three_years


def test_find_does_not_serve_a_year_the_run_does_not_cover(svc, shandong, three_years):
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all"}, years=[2025]) is None
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all"}, years=[2021, 2022]) is None


def test_find_does_not_match_a_method_file_with_another_hash(svc, shandong, three_years):
    edited = shandong.model_copy()
    object.__setattr__(edited, "_source_sha256", "0" * 64)    # the same method id, its file changed
    assert fingerprint(edited).id == "shandong" and fingerprint(edited).sha256 != three_years.method_hash
    assert runs.find(svc, "land.evaluate", method=edited, parameters={"scope": "all"}, years=[2024]) is None


def test_find_does_not_match_other_parameters(svc, shandong, three_years):
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "above_scale"}, years=[2024]) is None
    assert runs.find(svc, "land.evaluate", method=shandong, years=[2024]) is None          # none asked, some stored
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all", "x": 1}) is None


def test_find_does_not_match_another_method_analysis_or_key(svc, shandong, three_years):
    params = {"scope": "all"}
    assert runs.find(svc, "land.evaluate", method=load_method("zhejiang-county-default"), parameters=params) is None
    assert runs.find(svc, "land.other", method=shandong, parameters=params) is None
    assert runs.find(svc, "land.evaluate", method=shandong, parameters=params, key={"uscc": "X"}) is None
    assert runs.find(svc, "land.evaluate", parameters=params) is None      # no method: another key


def test_find_with_a_table_matches_only_a_run_that_wrote_it(svc, shandong, three_years):
    params = {"scope": "all"}
    assert runs.find(svc, "land.evaluate", method=shandong, parameters=params, table="result_t_scores") == three_years
    assert runs.find(svc, "land.evaluate", method=shandong, parameters=params, table="result_t_other") is None


def test_find_does_not_serve_a_superseded_run(svc, shandong, three_years):
    newer = runs.record(svc, lever="land", analysis="land.evaluate", method=shandong, years=[2024],
                        parameters={"scope": "all"}, tables={"t_scores": scores(("A", 2))})
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all"}, years=[2024]) == newer
    # the older run covered 2022 but its rows are gone: nothing serves 2022 any more
    assert runs.find(svc, "land.evaluate", method=shandong, parameters={"scope": "all"}, years=[2022]) is None


def test_get_of_an_unknown_run_id_raises_not_found(svc, three_years):
    with pytest.raises(NotFound, match="no-such-run") as e:
        runs.get(svc, "no-such-run")
    assert e.value.where == "no-such-run"


def test_get_on_a_warehouse_without_runs_raises_not_found(svc):
    assert runs.list_runs(svc, current=False) == []
    with pytest.raises(NotFound):
        runs.get(svc, "20240101-deadbeef")


def test_list_runs_filters_by_lever_and_analysis(svc, policy, three_years):
    p = runs.record(svc, lever="policy", analysis="policy.check", method=policy, tables={"t_v": scores(("X", 1))})
    assert [r.run_id for r in runs.list_runs(svc, lever="policy")] == [p.run_id]
    assert [r.run_id for r in runs.list_runs(svc, analysis="land.evaluate")] == [three_years.run_id]
    assert runs.list_runs(svc, lever="land", analysis="policy.check") == []


# --- stored_or_compute --------------------------------------------------------------------------------
class Compute:
    """A compute function that counts its calls."""

    def __init__(self, *pairs):
        self.calls = 0
        self.pairs = pairs or (("A", 1), ("B", 2))

    def __call__(self):
        self.calls += 1
        return {"t_scores": scores(*self.pairs)}


def soc(svc, compute, **kw):
    kw.setdefault("method", load_method("shandong"))
    kw.setdefault("years", [2024])
    kw.setdefault("parameters", {"scope": "all"})
    return runs.stored_or_compute(svc, lever="land", analysis="land.evaluate", compute=compute, **kw)


def test_stored_or_compute_computes_and_records_when_nothing_is_stored(svc):
    compute = Compute()
    got = soc(svc, compute)
    assert compute.calls == 1 and not got.reused
    assert got.run is not None and runs.get(svc, got.run.run_id) == got.run
    assert sorted(got["t_scores"].to_pyarrow().column("uscc").to_pylist()) == ["A", "B"]
    assert stored(svc, "result_t_scores") == [(got.run.run_id, "A"), (got.run.run_id, "B")]


def test_stored_or_compute_reuses_a_matching_stored_run_without_computing(empty_wh):
    first = soc(Service(empty_wh), Compute())
    compute = Compute()
    again = soc(Service(empty_wh), compute)            # a cold service: nothing cached
    assert compute.calls == 0
    assert again.reused and again.run == first.run
    assert sorted(again["t_scores"].to_pyarrow().column("uscc").to_pylist()) == ["A", "B"]
    assert len(runs.list_runs(Service(empty_wh), current=False)) == 1     # nothing recorded again


def test_stored_or_compute_reuses_a_run_covering_more_years_than_asked(empty_wh):
    first = soc(Service(empty_wh), Compute(), years=[2022, 2023, 2024])
    compute = Compute()
    again = soc(Service(empty_wh), compute, years=[2024])
    assert compute.calls == 0 and again.reused and again.run == first.run


def test_stored_or_compute_computes_afresh_for_other_parameters(empty_wh):
    first = soc(Service(empty_wh), Compute())
    compute = Compute(("C", 3))
    other = soc(Service(empty_wh), compute, parameters={"scope": "above_scale"})
    assert compute.calls == 1 and not other.reused
    assert other.run.run_id != first.run.run_id
    assert other.run.parameters == {"scope": "above_scale"}
    assert other["t_scores"].to_pyarrow().column("uscc").to_pylist() == ["C"]


def test_stored_or_compute_computes_afresh_for_a_year_the_stored_run_lacks(empty_wh):
    soc(Service(empty_wh), Compute(), years=[2023])
    compute = Compute()
    got = soc(Service(empty_wh), compute, years=[2024])
    assert compute.calls == 1 and not got.reused and got.run.years == (2024,)


def test_stored_or_compute_without_reuse_always_computes(empty_wh):
    first = soc(Service(empty_wh), Compute())
    compute = Compute(("Z", 9))
    rerun = soc(Service(empty_wh), compute, reuse=False)
    assert compute.calls == 1 and not rerun.reused
    assert rerun.run.run_id != first.run.run_id
    assert runs.get(Service(empty_wh), first.run.run_id).superseded_by == rerun.run.run_id
    assert rerun["t_scores"].to_pyarrow().column("uscc").to_pylist() == ["Z"]


def test_an_explicit_rerun_computes_afresh_even_in_a_warm_service(svc):
    compute = Compute()
    first = soc(svc, compute)
    rerun = soc(svc, compute, reuse=False)
    assert compute.calls == 2
    assert rerun.run.run_id != first.run.run_id and not rerun.reused
    assert stored(svc, "result_t_scores") == [(rerun.run.run_id, "A"), (rerun.run.run_id, "B")]


def test_stored_or_compute_without_store_records_nothing(svc):
    compute = Compute()
    got = soc(svc, compute, store=False)
    assert compute.calls == 1 and got.run is None and not got.reused
    assert sorted(got["t_scores"].to_pyarrow().column("uscc").to_pylist()) == ["A", "B"]
    assert runs.list_runs(svc, current=False) == []
    assert not svc.wh.has_table("result_t_scores") and not svc.wh.has_table("result_runs")


def test_stored_or_compute_computes_once_in_a_warm_service(svc):
    compute = Compute()
    soc(svc, compute, store=False)
    soc(svc, compute, store=False)
    assert compute.calls == 1


def test_stored_or_compute_does_not_reuse_a_run_whose_table_was_dropped(empty_wh):
    soc(Service(empty_wh), Compute())
    empty_wh.raw.execute("DROP TABLE result_t_scores")
    compute = Compute()
    got = soc(Service(empty_wh), compute)
    assert compute.calls == 1 and not got.reused
    assert stored(Service(empty_wh), "result_t_scores") == [(got.run.run_id, "A"), (got.run.run_id, "B")]


# --- Spark ---------------------------------------------------------------------------------------------
@pytest.mark.spark
@pytest.mark.slow
def test_write_run_on_spark_supersedes_the_same_key_and_keeps_other_keys(spark_session, shandong):
    svc = Service(store.open_spark_warehouse(spark_session))
    analysis = "test.spark_write_run"              # the Spark catalog is shared by the session's tests
    x1 = runs.record(svc, lever="land", analysis=analysis, method=shandong, key={"k": "x"}, years=[2024],
                     tables={"t_spark_scores": scores(("A", 1), ("B", 2))})
    y = runs.record(svc, lever="land", analysis=analysis, method=shandong, key={"k": "y"}, years=[2024],
                    tables={"t_spark_scores": scores(("C", 3))})
    x2 = runs.record(svc, lever="land", analysis=analysis, method=shandong, key={"k": "x"}, years=[2024],
                     tables={"t_spark_scores": scores(("D", 4))})
    assert rows_of(svc, x1, "result_t_spark_scores") == []
    assert rows_of(svc, y, "result_t_spark_scores") == ["C"]
    assert rows_of(svc, x2, "result_t_spark_scores") == ["D"]
    assert runs.get(svc, x1.run_id).superseded_by == x2.run_id
    assert {r.run_id for r in runs.list_runs(svc, analysis=analysis)} == {y.run_id, x2.run_id}
    assert runs.get(svc, x2.run_id).method_hash == fingerprint(shandong).sha256
    assert runs.find(svc, analysis, method=shandong, key={"k": "x"}, years=[2024]) == x2
