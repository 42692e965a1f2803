"""The static dependency graph: columns, policies and variables a policy needs; cycles; versions."""

from __future__ import annotations

import shutil

import pytest

from zhizao.policy import Library, PolicyError, dependencies, load_library, load_policy
from zhizao.policy.graph import evaluation_order, inputs

from tests.policy.conftest import FIXTURES

LIB = FIXTURES / "lib"


def test_dependencies_list_columns_with_lags_policies_in_order_and_variables():
    lib = load_library(LIB)
    d = dependencies("demo_award", lib)
    assert d.policies == ("demo_sme", "demo_giant")  # each before the policy that reads it
    assert d.own_columns == ("revenue",)
    assert "revenue@-1" in d.columns and "is_sme" in d.columns and "high_tech_valid_until" in d.columns
    assert d.variables == ()
    sme = dependencies(lib["demo_sme"], lib)
    assert sme.variables == ("rd_ratio", "growth") and sme.policies == ()
    assert sme.columns == ("high_tech_valid_until", "ip_class1", "ip_class1_high_value", "is_high_tech", "is_sme",
                           "on_abnormal_list", "rd_expenditure", "revenue", "revenue@-1", "st_award_level")
    assert sme.tables == {"enterprises": ("high_tech_valid_until", "is_high_tech", "is_sme", "on_abnormal_list",
                                          "st_award_level"),
                          "indicators": ("ip_class1", "ip_class1_high_value", "rd_expenditure", "revenue")}


def test_inputs_expand_variables_to_the_columns_they_read():
    p = load_policy(LIB / "demo_sme.yaml")
    assert inputs(p, p.points_table("growth_points").node) == {"revenue", "revenue@-1"}
    assert inputs(p, p.rule("rd_min").node) == {"rd_expenditure", "revenue"}
    assert inputs(p, p.rule("direct_any").node) == set()  # rule references are not inputs


def test_a_cycle_of_policies_is_named_with_file_and_line():
    with pytest.raises(PolicyError) as e:
        load_library(FIXTURES / "cycle")
    assert "policies refer to each other in a cycle: a → b → a" in str(e.value)
    assert e.value.file.endswith("a.yaml") and e.value.line == 9  # the line of policy("b")


def test_a_cycle_is_found_when_evaluating_outside_a_library(tmp_path):
    a, b = load_policy(FIXTURES / "cycle" / "a.yaml"), load_policy(FIXTURES / "cycle" / "b.yaml")
    with pytest.raises(PolicyError, match="cycle: a → b → a"):
        evaluation_order(a, Library([a, b]))


def test_a_reference_to_an_unknown_policy_is_reported(tmp_path):
    shutil.copy(LIB / "demo_giant.yaml", tmp_path / "demo_giant.yaml")
    with pytest.raises(PolicyError) as e:
        load_library(tmp_path)
    assert "refers to unknown policy 'demo_sme'" in e.value.message and e.value.line == 10


def _version(tmp_path, name: str, version: str, valid_from: str, valid_to: str | None):
    text = (LIB / "demo_giant.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "test-1"', f'version: "{version}"').replace(
        "valid_from: 2022-06-01", f"valid_from: {valid_from}\nvalid_to: {valid_to or 'null'}")
    (tmp_path / name).write_text(text, encoding="utf-8")


def test_versions_of_one_id_are_picked_by_year_and_must_not_overlap(tmp_path):
    shutil.copy(LIB / "demo_sme.yaml", tmp_path / "demo_sme.yaml")
    _version(tmp_path, "demo_giant.yaml", "old", "2020-01-01", "2022-12-31")
    _version(tmp_path, "demo_giant@new.yaml", "new", "2023-01-01", None)
    lib = load_library(tmp_path)
    assert [v.version for v in lib.versions("demo_giant")] == ["old", "new"]
    assert lib.get("demo_giant", year=2021).version == "old"
    assert lib.get("demo_giant", year=2024).version == "new"
    assert lib["demo_giant"].version == "new"
    with pytest.raises(PolicyError, match="no version valid in 2019"):
        lib.get("demo_giant", year=2019)
    _version(tmp_path, "demo_giant@overlap.yaml", "overlap", "2022-06-01", "2022-12-31")
    with pytest.raises(PolicyError, match="overlaps version"):
        load_library(tmp_path)


def test_the_library_is_a_mapping_of_ids():
    lib = load_library(LIB)
    assert list(lib) == ["demo_award", "demo_giant", "demo_sme"] and len(lib) == 3
    assert "demo_sme" in lib and lib.get("nope") is None
    with pytest.raises(KeyError, match="no policy 'nope'"):
        lib["nope"]
