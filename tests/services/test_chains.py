"""The supply-chain service operations (``zhizao.services.chains``) on the shared synthetic province."""

from __future__ import annotations

import shutil

import pytest

from zhizao.chains.results import TABLES
from zhizao.contract import check_table
from zhizao.errors import InvalidInput, NoData, NotFound
from zhizao.services import Service, runs
from zhizao.services import chains as ops

#: The keys `zhizao chains shock --json` wrote before the service existed (issue 11 keeps them).
SHOCK_JSON_KEYS = {"year", "scenario", "synthetic", "note", "params", "total_loss", "loss_share", "direct_loss",
                   "indirect_loss", "recovery_day", "curve", "firms", "counties"}


@pytest.fixture(scope="module")
def svc(province_db, tmp_path_factory):
    """A warm service on a module copy of the province: the operations store their runs in it."""
    path = tmp_path_factory.mktemp("chains-svc") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as s:
        yield s


@pytest.fixture(scope="module")
def sourced(svc):
    return ops.sourcing(svc)


@pytest.fixture(scope="module")
def choked(svc):
    return ops.chokepoints(svc, top=30)


@pytest.fixture(scope="module")
def led(svc):
    return ops.leaders(svc, top=5)


@pytest.fixture(scope="module")
def resilient(svc):
    return ops.resilience(svc, days=20)


@pytest.fixture(scope="module")
def shocked(svc, county):
    return ops.shock(svc, county=county, capacity=0.5, days=30)


# --- the network -------------------------------------------------------------------------------------
def test_the_network_of_a_year_is_built_once_per_year_and_level_in_a_warm_service(svc):
    year, net = ops.network(svc, 2024, "class")
    assert year == 2024 and ops.network(svc, 2024, "class")[1] is net
    assert ops.network(svc, 2024, "division")[1] is not net


def test_a_year_without_links_is_no_data(province_copy):
    with Service.open(province_copy) as s:
        s.wh.replace("links", s.wh.table("links").to_pyarrow().slice(0, 0))
        with pytest.raises(NoData) as e:
            ops.chokepoints(s)
    assert e.value.where == "links" and "no supply links" in e.value.en


# --- sourcing ----------------------------------------------------------------------------------------
def test_sourcing_groups_the_synthetic_clusters_by_default(sourced):
    assert sourced.cluster_set_id == "synthetic-zhejiang" and sourced.run.method_id == "synthetic-zhejiang"
    assert sourced.groups.num_rows == 15 and set(sourced.groups.column("synthetic").to_pylist()) == {True}


def test_sourcing_rows_are_by_purchases_and_the_run_has_its_parameters(sourced):
    purchases = [r["purchases"] for r in sourced.rows]
    assert purchases == sorted(purchases, reverse=True)
    assert sourced.run.parameters == {"year": 2024, "by": "cluster", "local": "county", "level": "class"}
    assert sourced.run.lever == "chains" and sourced.run.analysis == "chains.sourcing"


def test_a_second_sourcing_run_supersedes_the_first_and_another_grouping_stands_beside(province_copy):
    with Service.open(province_copy) as s:
        first = ops.sourcing(s, by="county")
        second = ops.sourcing(s, by="county")
        other = ops.sourcing(s, by="division")
        assert runs.get(s, first.run.run_id).superseded_by == second.run.run_id
        current = {r.run_id for r in runs.list_runs(s, analysis="chains.sourcing")}
        stored = set(s.wh.result("result_chain_sourcing").run_id.to_pyarrow().to_pylist())
    assert current == stored == {second.run.run_id, other.run.run_id}


def test_an_unknown_grouping_is_invalid_input_naming_the_option(svc):
    with pytest.raises(InvalidInput) as e:
        ops.sourcing(svc, by="street")
    assert e.value.where == "--by"


# --- chokepoints -------------------------------------------------------------------------------------
def test_chokepoints_flag_the_planted_chip_input_and_are_by_rank(choked):
    ranks = [r["rank"] for r in choked.rows]
    assert all(r["chokepoint"] for r in choked.rows) and ranks == sorted(ranks)
    chip = next(r for r in choked.products.to_pylist() if r["product"] == "3973")
    assert chip["chokepoint"] and chip["suppliers"] == 1
    assert choked.n_chokepoints >= len(choked.rows) == 30
    assert choked.run.parameters == {"year": 2024, "level": "class", "max_suppliers": 1, "outside_only": True,
                                     "hops": 3}


# --- leaders -----------------------------------------------------------------------------------------
def test_leaders_rank_every_firm_and_name_the_first(led):
    assert led.firms.num_rows > 2000 and [r["rank"] for r in led.rows] == [1, 2, 3, 4, 5]
    assert all(r["name"] for r in led.rows)
    assert len(set(led.anchors.column("cluster_id").to_pylist())) >= 10
    assert led.run.method_id == "synthetic-zhejiang" and led.run.parameters["anchor_min"] == 0.05


# --- resilience --------------------------------------------------------------------------------------
def test_resilience_scores_the_fifteen_clusters_by_rank(resilient):
    assert [r["rank"] for r in resilient.rows] == list(range(1, 16))
    assert all(0 <= r["resilience"] <= 1 for r in resilient.rows)
    assert resilient.run.parameters["days"] == 20 and resilient.run.method_id == "synthetic-zhejiang"


# --- shock -------------------------------------------------------------------------------------------
def test_a_county_shock_gives_a_bounded_result_with_named_firms(shocked, county):
    assert shocked.curve.num_rows == 31 and len(shocked.firms) == 10 and len(shocked.counties) == 10
    assert shocked.total_loss == pytest.approx(shocked.direct_loss + shocked.indirect_loss)
    assert shocked.indirect_loss > 0 and county in shocked.scenario
    assert all(f["name"] for f in shocked.firms if f["inside"])
    assert [d for d, _, _ in shocked.curve_marks] == sorted(d for d, _, _ in shocked.curve_marks)
    assert sum(low for _, _, low in shocked.curve_marks) == 1


def test_the_shock_dict_is_what_the_json_file_holds(shocked):
    doc = shocked.to_dict()
    assert set(doc) == SHOCK_JSON_KEYS and doc["params"]["days"] == 30 and len(doc["curve"]) == 31
    assert set(doc["curve"][0]) == {"day", "total_output", "output_share"} and doc["synthetic"]


def test_the_shock_run_records_the_scenario_and_its_parameters(shocked, county):
    p = shocked.run.parameters
    assert p["county"] == county and p["days"] == 30 and p["scenario"] == shocked.scenario
    assert p["rationing"] == "proportional" and p["firms"] == [] and shocked.firm_rows > 2000


def test_a_shock_must_say_what_is_hit(svc):
    with pytest.raises(InvalidInput) as e:
        ops.shock(svc)
    assert "--county" in e.value.en and "--county" in e.value.zh


def test_a_county_without_firms_in_the_network_is_invalid_input(svc):
    with pytest.raises(InvalidInput) as e:
        ops.shock(svc, county="110101")
    assert e.value.where == "--county" and "110101" in e.value.en


def test_a_firm_not_in_the_network_is_not_found(svc):
    with pytest.raises(NotFound) as e:
        ops.shock(svc, firms=["91330000NOTAFIRM00"])
    assert e.value.where == "--firm" and "NOTAFIRM" in e.value.en


def test_an_outside_product_nobody_supplies_is_invalid_input(svc):
    with pytest.raises(InvalidInput) as e:
        ops.shock(svc, outside_products=["0000"])
    assert e.value.where == "--outside-product" and "0000" in e.value.zh


def test_a_second_shock_of_the_same_scenario_supersedes_the_first(province_copy):
    with Service.open(province_copy) as s:
        first = ops.shock(s, outside_products=["3973"], days=5)
        second = ops.shock(s, outside_products=["3973"], days=8)
        other = ops.shock(s, outside_products=["3973"], days=5, recovery="none", rationing="soothing")
        assert runs.get(s, first.run.run_id).superseded_by == second.run.run_id
        assert runs.get(s, second.run.run_id).superseded_by == other.run.run_id   # same scenario, other settings
        assert s.wh.result("result_chain_shock").count().to_pyarrow().as_py() == 6


# --- the lever ---------------------------------------------------------------------------------------
def test_every_stored_table_matches_its_declaration(svc, sourced, choked, led, resilient, shocked):
    declared = {t.name: t for t in TABLES}
    written = set()
    for run in (sourced.run, choked.run, led.run, resilient.run, shocked.run):
        for name in run.tables:
            written.add(name)
            assert check_table(declared[name], runs.rows(svc, run, name).to_pyarrow()) == [], name
    assert written == set(declared)


def test_the_standard_run_gives_the_demo_summaries(svc):
    got = ops.LEVER.standard_run(svc, 2024)
    assert [r.analysis for r in got.runs] == ["chains.chokepoints", "chains.resilience"]
    top, res = got.summaries["chain_top_chokepoints"], got.summaries["chain_cluster_resilience"]
    assert top.column_names == ["product", "suppliers", "outside_suppliers", "outside_only", "dependent_output", "rank"]
    assert top.num_rows == 10 and top.column("rank").to_pylist() == sorted(top.column("rank").to_pylist())
    assert res.column_names == ["group_id", "name", "cohesion", "embeddedness", "absorption", "resilience", "rank"]
    assert res.num_rows == 15 and len(got.findings) == 1 and "卡脖子" in got.findings[0]
