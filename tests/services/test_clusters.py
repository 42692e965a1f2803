"""The cluster service operations (``zhizao.services.clusters``) on the shared synthetic province."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest

from zhizao.clusters.results import TABLES
from zhizao.contract import check_table
from zhizao.errors import InvalidInput, MethodError, NoData, NotFound
from zhizao.methodfile import fingerprint
from zhizao.services import Service, runs
from zhizao.services import clusters as ops


@pytest.fixture(scope="module")
def svc(province_db, tmp_path_factory):
    """A warm service on a module copy of the province: the operations store their runs in it."""
    path = tmp_path_factory.mktemp("clusters-svc") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as s:
        yield s


@pytest.fixture(scope="module")
def indexed(svc):
    return ops.indices(svc)


@pytest.fixture(scope="module")
def diagnosed(svc):
    return ops.diagnose(svc)


@pytest.fixture(scope="module")
def found(svc):
    return ops.candidates(svc, industries="class", region="330681")


class _RealData:
    """A service stand-in whose warehouse is not the synthetic province's."""

    def is_synthetic(self) -> bool:
        return False


# --- the one --clusters default ----------------------------------------------------------------------
def test_the_default_cluster_set_is_the_synthetic_one_on_synthetic_data(svc):
    assert ops.default_cluster_set(svc) == "synthetic"
    assert ops.cluster_set(svc).id == "synthetic-zhejiang"


def test_the_default_cluster_set_is_zhejiang_415x_on_other_data_and_without_a_warehouse():
    assert ops.default_cluster_set(_RealData()) == "zhejiang-415x"
    assert ops.default_cluster_set(None) == "zhejiang-415x"


def test_a_cluster_set_is_loaded_once_per_service(svc):
    assert ops.cluster_set(svc, "zhejiang-415x") is ops.cluster_set(svc, "zhejiang-415x")


# --- years -------------------------------------------------------------------------------------------
def test_the_base_year_defaults_to_the_earliest_year(svc):
    assert ops.resolve_years(svc) == ops.YearSpan(2024, 2022, (2022, 2023, 2024))


def test_no_base_year_when_the_year_is_the_earliest(svc):
    assert ops.resolve_years(svc, 2022) == ops.YearSpan(2022, None, (2022,))


@pytest.mark.parametrize(("base", "message"), [(2024, "must be before --year 2024"), (1999, "no indicators for it")])
def test_a_bad_base_year_is_invalid_input_naming_base_year(svc, base, message):
    with pytest.raises(InvalidInput) as e:
        ops.resolve_years(svc, 2024, base)
    assert e.value.where == "--base-year" and message in e.value.en and "--base-year" in e.value.zh


# --- indices -----------------------------------------------------------------------------------------
def test_indices_give_every_year_and_record_the_run_with_its_parameters(indexed):
    assert indexed.years == (2022, 2023, 2024) and indexed.base_year == 2022
    assert sorted(set(indexed.cells.column("year").to_pylist())) == [2022, 2023, 2024]
    run = indexed.run
    assert run.analysis == "clusters.indices" and run.lever == "clusters" and run.years == (2022, 2023, 2024)
    assert run.parameters == {"year": 2024, "base_year": 2022, "measure": "employees", "regions": "county",
                              "industries": "division", "above_scale_only": False}
    assert set(run.tables) == {"result_cluster_cells", "result_cluster_regions", "result_cluster_industries",
                               "result_cluster_relatedness"}


def test_the_strongest_specialisations_are_filtered_and_by_lq(indexed):
    top = indexed.top_specialisations
    assert 0 < len(top) <= 12
    assert all(r["year"] == 2024 and r["lq"] >= 1 and r["share_of_industry"] >= 0.05 and r["firms"] >= 5
               for r in top)
    assert [r["lq"] for r in top] == sorted((r["lq"] for r in top), reverse=True)


def test_the_most_complex_regions_are_by_eci(indexed):
    eci = [r["eci"] for r in indexed.most_complex]
    assert len(eci) == 8 and eci == sorted(eci, reverse=True)


def test_a_second_indices_run_supersedes_the_first(province_copy):
    with Service.open(province_copy) as s:
        first = ops.indices(s, industries="group")
        second = ops.indices(s, industries="group")
        assert runs.get(s, first.run.run_id).superseded_by == second.run.run_id
        cells = s.wh.result("result_cluster_cells")
        assert cells.run_id.nunique().to_pyarrow().as_py() == 1
        other = ops.indices(s, industries="division")          # another matrix stands beside it
        assert {r.run_id for r in runs.list_runs(s, analysis="clusters.indices")} == {second.run.run_id,
                                                                                     other.run.run_id}


def test_an_unknown_measure_is_invalid_input_naming_the_option(svc):
    with pytest.raises(InvalidInput) as e:
        ops.indices(svc, measure="profit")
    assert e.value.where == "--measure" and "--measure 'profit'" in e.value.en


def test_a_year_without_indicators_is_invalid_input(svc):
    with pytest.raises(InvalidInput, match="1999"):
        ops.indices(svc, year=1999)


def test_nothing_to_index_is_no_data(province_copy):
    with Service.open(province_copy) as s:
        ind = s.wh.table("indicators").to_pyarrow()
        k = ind.schema.get_field_index("above_scale")
        s.wh.replace("indicators", ind.set_column(k, "above_scale", pa.array([False] * ind.num_rows)))
        with pytest.raises(NoData) as e:
            ops.indices(s, above_scale_only=True)
    assert "nothing to index" in e.value.en and e.value.zh != e.value.en


# --- list --------------------------------------------------------------------------------------------
def test_list_gives_the_415x_clusters_with_their_codes_without_a_warehouse():
    r = ops.list_clusters(None)
    assert r.id == "zhejiang-415x" and r.spec == "zhejiang-415x"
    smart = next(c for c in r.clusters if c.id == "smart_electrical")
    assert smart.name_zh == "智能电气" and smart.industry_codes and smart.regions == ("all",)


def test_list_on_synthetic_data_gives_the_synthetic_clusters(svc):
    r = ops.list_clusters(svc)
    assert r.spec == "synthetic" and len(r.clusters) == 15
    assert next(c for c in r.clusters if c.id == "zhuji_socks").regions == ("330681",)


def test_list_of_a_missing_file_is_a_method_error_naming_it(tmp_path):
    with pytest.raises(MethodError, match="nope.yaml"):
        ops.list_clusters(None, clusters=tmp_path / "nope.yaml")


# --- diagnose and show -------------------------------------------------------------------------------
def test_diagnose_finds_zhuji_socks_big_but_not_strong(diagnosed):
    zhuji = next(r for r in diagnosed.rows if r.cluster_id == "zhuji_socks")
    assert zhuji.verdict == "大而不强" and zhuji.weak_dimensions
    assert len(diagnosed.rows) == 15 and any("诸暨大唐袜业" in t for t in diagnosed.weak_texts)


def test_diagnose_records_the_cluster_set_as_method_and_the_tier_and_settings_files(svc, diagnosed):
    run = diagnosed.run
    assert run.method_id == "synthetic-zhejiang" and run.method_hash == fingerprint(ops.cluster_set(svc)).sha256
    assert run.parameters["tiers"] == "tiers-zhejiang"
    assert run.parameters["tiers_sha256"] == fingerprint(ops.tier_criteria(svc)).sha256
    assert run.parameters["settings"] == "diagnosis-default"
    assert run.parameters["settings_sha256"] == fingerprint(ops.diagnosis_settings(svc)).sha256
    assert run.parameters["base_year"] == 2022 and run.years == (2022, 2023, 2024)


def test_diagnose_in_english_names_the_weak_dimensions_in_english(svc):
    r = ops.diagnose(svc, lang="en")
    zhuji = next(x for x in r.rows if x.cluster_id == "zhuji_socks")
    assert "innovation" in zhuji.weak_dimensions and all("big but not strong" in t.lower() for t in r.weak_texts)


def test_show_gives_the_profile_tier_and_diagnosis_of_one_cluster(svc):
    r = ops.show(svc, "zhuji_socks")
    assert r.name_zh == "诸暨大唐袜业" and r.profile["scope"] == "cluster" and r.profile["lq"] > 1
    assert r.tier is not None and r.tier["rule"] and r.diagnosis["verdict"] == "大而不强"
    assert "大而不强" in r.diagnosis_text and r.leading_firms and r.synthetic
    assert [k for k, _, _ in r.metrics][:3] == ["firms", "above_scale_firms", "employees"]


def test_show_uses_the_stored_diagnosis_run(province_copy):
    with Service.open(province_copy) as s:
        d = ops.diagnose(s)
        r = ops.show(s, "zhuji_socks")
    assert r.run.run_id == d.run.run_id


def test_show_without_a_stored_diagnosis_computes_and_stores_it(province_copy):
    with Service.open(province_copy) as s:
        r = ops.show(s, "zhuji_socks", lang="en")
        assert runs.list_runs(s, analysis="clusters.diagnose") == [r.run]
    assert "big but not strong" in r.diagnosis_text.lower()


def test_show_of_an_unknown_cluster_is_not_found_with_the_known_ids(svc):
    with pytest.raises(NotFound) as e:
        ops.show(svc, "atlantis")
    assert "atlantis" in e.value.en and "zhuji_socks" in e.value.en and "zhuji_socks" in e.value.zh


def test_an_unknown_language_is_invalid_input(svc):
    with pytest.raises(InvalidInput, match="--lang"):
        ops.show(svc, "zhuji_socks", lang="fr")


# --- candidates --------------------------------------------------------------------------------------
def test_candidates_detect_zhuji_socks_and_rank_the_regions_new_stars(found):
    assert any(r["region"] == "330681" and "1763" in r["industries"].split(";") for r in found.detected.to_pylist())
    stars = found.stars_shown
    assert stars and {s["region"] for s in stars} == {"330681"}
    assert [s["rank"] for s in stars] == list(range(1, len(stars) + 1)) and all(s["rca"] < 1 for s in stars)
    assert found.run.parameters == {"year": 2024, "measure": "employees", "regions": "county", "industries": "class",
                                    "top": 10}


def test_the_detected_clusters_shown_are_the_largest(found):
    values = [r["value"] for r in found.detected_shown]
    assert len(values) == 15 and values == sorted(values, reverse=True)


def test_candidates_for_a_region_not_in_the_matrix_is_invalid_input(svc):
    with pytest.raises(InvalidInput) as e:
        ops.candidates(svc, region="999999")
    assert e.value.where == "--region" and "999999" in e.value.en


# --- the lever ---------------------------------------------------------------------------------------
def test_every_stored_table_matches_its_declaration(svc, indexed, diagnosed, found):
    declared = {t.name: t for t in TABLES}
    written = set()
    for run in (indexed.run, diagnosed.run, found.run):
        for name in run.tables:
            written.add(name)
            assert check_table(declared[name], runs.rows(svc, run, name).to_pyarrow()) == [], name
    assert written == set(declared)


def test_the_standard_run_gives_the_demo_summaries(svc):
    got = ops.LEVER.standard_run(svc, 2024)
    assert [r.analysis for r in got.runs] == ["clusters.indices", "clusters.diagnose"]
    s = got.summaries
    assert s["cluster_diagnosis"].column_names == ["cluster_id", "name_zh", "scale_percentile", "strength_percentile",
                                                   "verdict", "weak_dimensions", "tier_zh"]
    assert s["cluster_diagnosis"].num_rows == 15 and s["cluster_tiers"].num_rows == 15
    assert "year" not in s["cluster_tiers"].column_names
    assert s["cluster_top_specialisations"].column_names == ["region_code", "industry_code", "value", "lq",
                                                             "share_of_industry", "density"]
    assert s["cluster_top_specialisations"].num_rows == 10
    assert len(got.findings) == 1 and "大而不强" in got.findings[0] and "big but not strong" in got.findings[0]
