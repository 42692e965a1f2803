"""NBS groupings 装备制造业 / 高技术制造业 (zhizao.codes.groupings)."""

from __future__ import annotations

import importlib.resources

import pydantic
import pytest
import yaml

from zhizao.codes import groupings as grp
from zhizao.codes.groupings import (
    GROUPINGS,
    GroupingsFile,
    grouping_table,
    groupings_of,
    in_grouping,
    load_groupings,
)
from zhizao.codes.industries import UnknownIndustryCode, classes, industry

YAML_PATH = importlib.resources.files("zhizao.codes") / "data" / "groupings.yaml"
HIGH_TECH_PARTS = [f"high_tech.{i}" for i in range(1, 7)]


def _spec() -> dict:
    return yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("3841", {"equipment", "high_tech", "high_tech.3"}),  # lithium-ion batteries
        ("2710", {"high_tech", "high_tech.1"}),  # chemical APIs: high-tech, not equipment
        ("4350", set()),  # repair (C43) is not equipment
        ("3411", {"equipment"}),  # boilers: equipment, not high-tech
        ("3741", {"equipment", "high_tech", "high_tech.2"}),
        ("3474", {"equipment", "high_tech", "high_tech.4"}),
        ("4040", {"equipment", "high_tech", "high_tech.5"}),
        ("2664", {"high_tech", "high_tech.6"}),
        ("3311", {"equipment"}),  # first class of division 33
        ("4090", {"equipment", "high_tech", "high_tech.5"}),  # last class of division 40
        ("3259", set()),  # division 32, just below equipment
        ("4111", set()),  # division 41, just above equipment
        ("0610", set()),
    ],
)
def test_class_belongs_to_the_expected_groupings(code, expected):
    assert groupings_of(code) == expected


def test_grouping_ids_are_equipment_high_tech_and_its_six_categories():
    assert set(GROUPINGS) == {"equipment", "high_tech", *HIGH_TECH_PARTS}


def test_equipment_is_all_classes_of_divisions_33_to_40():
    expected = {c.code for c in classes() if 33 <= int(c.code[:2]) <= 40}
    assert GROUPINGS["equipment"].classes == expected
    assert not any(c.startswith("43") for c in GROUPINGS["equipment"].classes)


def test_high_tech_is_the_union_of_its_six_disjoint_categories():
    parts = [GROUPINGS[g].classes for g in HIGH_TECH_PARTS]
    assert GROUPINGS["high_tech"].classes == frozenset().union(*parts)
    assert sum(len(p) for p in parts) == len(GROUPINGS["high_tech"].classes)


@pytest.mark.parametrize(
    ("gid", "n_classes"),
    [("equipment", 269), ("high_tech", 86), ("high_tech.1", 9), ("high_tech.2", 5),
     ("high_tech.3", 36), ("high_tech.4", 8), ("high_tech.5", 26), ("high_tech.6", 2)],
)
def test_grouping_has_the_expected_number_of_classes(gid, n_classes):
    assert len(GROUPINGS[gid].classes) == n_classes


def test_high_tech_categories_expand_groups_to_their_classes():
    assert {"3961", "3962", "3963", "3964", "3969"} <= GROUPINGS["high_tech.3"].classes
    assert {"3911", "3912", "3913", "3914", "3915", "3919"} <= GROUPINGS["high_tech.4"].classes
    assert {f"358{i}" for i in (1, 2, 3, 4, 5, 6, 7, 9)} <= GROUPINGS["high_tech.5"].classes


def test_every_grouping_is_made_of_manufacturing_classes():
    manufacturing = {c.code for c in classes()}
    for g in GROUPINGS.values():
        assert g.classes <= manufacturing, g.id


def test_every_member_code_in_the_yaml_exists_in_the_industry_table():
    for g in _spec()["groupings"]:
        for code in g.get("members", []):
            industry(code)  # raises UnknownIndustryCode if absent


def test_every_grouping_cites_its_source():
    for g in GROUPINGS.values():
        assert g.source.document and g.source.confidence in ("C", "C-3p", "U")
    assert "国统字〔2017〕200号" in str(GROUPINGS["high_tech"].source)
    assert str(GROUPINGS["high_tech.3"].source).endswith("三、电子及通信设备制造业")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("27", {"high_tech", "high_tech.1"}),
        ("39", {"equipment", "high_tech"}),  # 391 is category 4, 392–399 category 3
        ("396", {"equipment", "high_tech", "high_tech.3"}),
        ("38", {"equipment"}),  # only part of 38 is high-tech
        ("374", {"equipment", "high_tech", "high_tech.2"}),
        ("43", set()),
        ("C", set()),
    ],
)
def test_a_division_or_group_is_in_the_groupings_that_cover_all_of_it(code, expected):
    assert groupings_of(code) == expected


@pytest.mark.parametrize("code", ["3498", "9901", "34A"])
def test_groupings_of_an_unknown_code_raises(code):
    with pytest.raises(UnknownIndustryCode):
        groupings_of(code)


def test_in_grouping_accepts_any_spelling_of_the_code():
    assert in_grouping("C3841", "high_tech.3")
    assert not in_grouping("3411", "high_tech")


def test_in_grouping_with_an_unknown_id_names_the_known_ids():
    with pytest.raises(KeyError, match="equipment"):
        in_grouping("3411", "hightech")


def test_grouping_table_has_one_row_per_class_and_grouping():
    t = grouping_table()
    assert t.column_names == ["class_code", "grouping"]
    assert t.num_rows == sum(len(g.classes) for g in GROUPINGS.values())
    pairs = set(zip(t.column("class_code").to_pylist(), t.column("grouping").to_pylist()))
    assert ("3841", "high_tech.3") in pairs and ("4350", "equipment") not in pairs


# --- the YAML model ---------------------------------------------------------------------------


def test_yaml_loads_into_the_frozen_model():
    spec = GroupingsFile.model_validate(_spec())
    with pytest.raises(pydantic.ValidationError):
        spec.groupings[0].name_zh = "x"  # type: ignore[misc]


def test_unknown_keys_in_the_yaml_are_rejected():
    data = _spec()
    data["groupings"][0]["memebers"] = ["33"]
    with pytest.raises(pydantic.ValidationError, match="memebers"):
        GroupingsFile.model_validate(data)


def test_unknown_keys_in_a_source_are_rejected():
    data = _spec()
    data["groupings"][0]["source"]["artcle"] = "1"
    with pytest.raises(pydantic.ValidationError):
        GroupingsFile.model_validate(data)


def test_includes_must_name_defined_groupings():
    data = _spec()
    data["groupings"][1]["includes"].append("high_tech.7")
    with pytest.raises(pydantic.ValidationError, match="high_tech.7"):
        GroupingsFile.model_validate(data)


def test_duplicate_ids_are_rejected():
    data = _spec()
    data["groupings"].append(dict(data["groupings"][0]))
    with pytest.raises(pydantic.ValidationError, match="duplicate"):
        GroupingsFile.model_validate(data)


@pytest.mark.parametrize("member", ["3", "34111", "C34", "34A"])
def test_members_must_be_2_to_4_digit_codes(member):
    data = _spec()
    data["groupings"][0]["members"] = [member]
    with pytest.raises(pydantic.ValidationError):
        GroupingsFile.model_validate(data)


def test_a_member_missing_from_the_industry_table_fails_to_load():
    data = _spec()
    data["groupings"][0]["members"] = ["3498"]
    with pytest.raises(UnknownIndustryCode):
        load_groupings(GroupingsFile.model_validate(data))


def test_groupings_mapping_is_read_only():
    with pytest.raises(TypeError):
        GROUPINGS["x"] = None  # type: ignore[index]
    assert "equipment" in repr(grp.GROUPINGS)
