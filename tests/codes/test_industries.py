"""GB/T 4754-2017 industry table and validators (zhizao.codes.industries)."""

from __future__ import annotations

import csv
import importlib.resources

import numpy as np
import pyarrow as pa
import pytest

from zhizao.codes import industries as ind
from zhizao.codes.industries import (
    UnknownIndustryCode,
    ancestors,
    check_industry_code,
    check_industry_codes,
    children,
    classes,
    division_of,
    divisions,
    industry,
    industry_level,
    industry_table,
    is_industrial,
    is_manufacturing,
    normalize_industry_code,
    parent,
)

CSV_PATH = importlib.resources.files("zhizao.codes") / "data" / "gbt4754_2017.csv"


def _count(section: str, level: str) -> int:
    return sum(1 for r in ind._table().values() if r.section == section and r.level == level)


# --- the table -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "n_divisions", "n_groups", "n_classes"),
    [("B", 7, 19, 39), ("C", 31, 179, 609), ("D", 3, 9, 18)],
)
def test_section_has_the_official_number_of_divisions_groups_and_classes(
    section, n_divisions, n_groups, n_classes
):
    assert (_count(section, "division"), _count(section, "group"), _count(section, "class")) == (
        n_divisions, n_groups, n_classes,
    )


def test_manufacturing_divisions_are_exactly_13_to_43():
    assert [d.code for d in divisions(sections=("C",))] == [str(i) for i in range(13, 44)]


def test_table_divisions_are_06_to_46():
    assert [d.code for d in divisions()] == [f"{i:02d}" for i in range(6, 47)]


def test_every_division_and_section_has_an_english_title():
    rows = [r for r in ind._table().values() if r.level in ("section", "division")]
    assert len(rows) == 44
    assert all(r.name_en for r in rows)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("3841", "锂离子电池制造"),
        ("396", "智能消费设备制造"),
        ("3961", "可穿戴智能设备制造"),
        ("3969", "其他智能消费设备制造"),
        ("3562", "半导体器件专用设备制造"),
        ("2761", "生物药品制造"),
        ("2762", "基因工程药物和疫苗制造"),
        ("1523", "果菜汁及果菜汁饮料制造"),
        ("3491", "工业机器人制造"),
        ("3612", "新能源车整车制造"),
    ],
)
def test_table_is_the_2017_edition(code, name):
    # 2011 has no 396 智能消费设备制造, 3841 锂离子电池制造 or 3491 工业机器人制造.
    assert industry(code).name_zh == name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("15", "酒、饮料和精制茶制造业"),
        ("203", "木质制品制造"),
        ("204", "竹、藤、棕、草等制品制造"),
        ("339", "铸造及其他金属制品制造"),
        ("349", "其他通用设备制造业"),
        ("395", "非专业视听设备制造"),
    ],
)
def test_names_on_which_the_sources_disagreed_follow_the_majority(code, name):
    assert industry(code).name_zh == name


def test_every_row_hangs_under_a_parent_one_level_up_in_the_same_section():
    table = ind._table()
    for row in table.values():
        if row.level == "section":
            assert row.parent is None
            continue
        up = table[row.parent]
        assert ind.LEVELS.index(up.level) == ind.LEVELS.index(row.level) - 1
        assert up.section == row.section
        if row.level in ("group", "class"):
            assert row.code.startswith(up.code)


def test_every_division_and_group_has_children():
    for row in ind._table().values():
        if row.level != "class":
            assert children(row.code), row.code


def test_a_group_with_one_class_shares_the_class_name_and_the_class_ends_in_0():
    singles = [r for r in ind._table().values() if r.level == "group" and len(children(r.code)) == 1]
    assert singles
    for g in singles:
        (only,) = children(g.code)
        assert only.code == g.code + "0" and only.name_zh == g.name_zh


def test_csv_has_the_documented_header_and_no_comment_lines():
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["code", "level", "name_zh", "name_en", "parent", "section"]
    assert not any(r[0].startswith("#") for r in rows)
    assert len({r[0] for r in rows[1:]}) == len(rows) - 1


def test_names_are_trimmed_and_use_full_width_brackets():
    for r in ind._table().values():
        assert r.name_zh == r.name_zh.strip() and "\u3000" not in r.name_zh
        assert "(" not in r.name_zh and ")" not in r.name_zh


def test_industry_table_is_the_whole_table_as_arrow():
    t = industry_table()
    assert t.column_names == ["code", "level", "name_zh", "name_en", "parent", "section"]
    assert t.num_rows == len(ind._table()) == 3 + 41 + 207 + 666
    assert t.column("code").to_pylist().count("3411") == 1


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3411", "3411"),
        ("C3411", "3411"),
        ("c 3411", "3411"),
        (" 3411 ", "3411"),
        ("３４１１", "3411"),
        ("Ｃ３４１１", "3411"),
        ("3411.0", "3411"),
        ("C3411.0", "3411"),
        (3411, "3411"),
        (3411.0, "3411"),
        ("34", "34"),
        ("c", "C"),
        ("0610", "0610"),
        ("B0610", "0610"),
    ],
)
def test_excel_and_typed_spellings_normalise_to_the_bare_code(raw, expected):
    assert normalize_industry_code(raw) == expected


@pytest.mark.parametrize(
    "raw", ["34A", "3", "34111", "", "CC3411", "3411.5", 3411.5, None, True, "U3411", [3411]]
)
def test_text_that_cannot_be_a_code_is_rejected_with_the_shape_rule(raw):
    with pytest.raises(UnknownIndustryCode, match="2–4 digits or a section letter"):
        normalize_industry_code(raw)


def test_a_section_letter_that_contradicts_the_division_is_rejected():
    with pytest.raises(UnknownIndustryCode, match="section letter B does not match division 34"):
        normalize_industry_code("B3411")


# --- look-ups ---------------------------------------------------------------------------------


def test_lookup_returns_the_row_with_names_parent_and_section():
    row = industry("C3411")
    assert (row.code, row.level, row.name_zh, row.parent, row.section) == (
        "3411", "class", "锅炉及辅助设备制造", "341", "C",
    )


@pytest.mark.parametrize(
    ("code", "level"), [("C", "section"), ("34", "division"), ("341", "group"), ("3411", "class")]
)
def test_level_follows_from_the_code_length(code, level):
    assert industry_level(code) == level


def test_parent_walks_one_level_up_and_stops_at_the_section():
    assert parent("3411").code == "341"
    assert parent("341").code == "34"
    assert parent("34").code == "C"
    assert parent("C") is None


def test_children_are_one_level_down_in_code_order():
    assert [c.code for c in children("341")] == ["3411", "3412", "3413", "3414", "3415", "3419"]
    assert children("3411") == []


def test_ancestors_run_from_the_section_down_to_the_parent():
    assert [a.code for a in ancestors("3411")] == ["C", "34", "341"]
    assert ancestors("C") == []


@pytest.mark.parametrize(("code", "division"), [("3411", "34"), ("341", "34"), ("34", "34"), ("0610", "06")])
def test_division_of_is_the_first_two_digits_of_a_known_code(code, division):
    assert division_of(code) == division


def test_a_section_has_no_division():
    with pytest.raises(UnknownIndustryCode):
        division_of("C")


def test_classes_default_to_manufacturing_and_can_cover_the_whole_table():
    assert len(classes()) == 609
    assert {c.section for c in classes()} == {"C"}
    assert len(classes(section=None)) == 39 + 609 + 18
    assert len(classes(section="B")) == 39


def test_classes_of_a_section_outside_the_table_is_a_programming_error():
    with pytest.raises(ValueError):
        classes(section="E")


# --- validation and reasons -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level"),
    [("3411", "class"), ("341", "group"), ("34", "division"), ("C", "section"), ("3411", None),
     ("0610", "class"), ("4690", "class"), ("1311", "class"), ("4390", "class")],
)
def test_known_codes_at_their_level_have_no_reason(code, level):
    assert check_industry_code(code, level=level) is None


@pytest.mark.parametrize(
    ("code", "level", "fragment"),
    [
        ("34", "class", "'34' is a division, not a class"),
        ("3411", "group", "'3411' is a class, not a group"),
        ("C", "class", "is a section, not a class"),
    ],
)
def test_a_code_at_the_wrong_level_says_which_level_it_is(code, level, fragment):
    reason = check_industry_code(code, level=level)
    assert fragment in reason and " / " in reason


def test_unknown_class_names_its_group_and_the_classes_it_has():
    reason = check_industry_code("3498")
    assert "group 349 has classes 3491, 3492, 3493, 3499" in reason
    assert "中类 349" in reason


def test_unknown_class_in_a_missing_group_lists_the_division_classes():
    reason = check_industry_code("3481")  # exists
    assert reason is None
    reason = check_industry_code("3400")
    assert "division 34 has classes 3411–3499" in reason


def test_unknown_group_lists_the_groups_of_its_division():
    assert "division 34 has groups 341–349" in check_industry_code("340")


def test_code_of_another_section_is_recognised_but_outside_the_table():
    reason = check_industry_code("5111")
    assert "section F" in reason and "outside this table" in reason


def test_code_with_a_division_that_does_not_exist_says_so():
    assert "there is no division 99" in check_industry_code("9901")
    assert "there is no division 00" in check_industry_code("00")


def test_a_lost_leading_zero_is_suggested():
    assert "lost a leading zero ('0610')" in check_industry_code(610)


def test_empty_values_are_reported_as_empty():
    assert check_industry_code(None) == "行业代码为空 / industry code is empty"
    assert check_industry_code("  ") == "行业代码为空 / industry code is empty"


def test_an_unknown_level_name_is_a_programming_error():
    with pytest.raises(ValueError):
        check_industry_code("3411", level="subclass")


# --- industrial / manufacturing, with boundaries ----------------------------------------------


@pytest.mark.parametrize(
    ("code", "industrial", "manufacturing"),
    [
        ("0610", True, False),  # first class of B
        ("06", True, False),
        ("12", True, False),  # last division of B
        ("13", True, True),  # first division of C
        ("1311", True, True),
        ("43", True, True),  # last division of C
        ("4390", True, True),
        ("44", True, False),  # first division of D
        ("46", True, False),  # last division of D
        ("C", True, True),
        ("B", True, False),
        ("05", False, False),  # section A, just below the table
        ("0511", False, False),
        ("47", False, False),  # section E, just above the table
        ("5111", False, False),
        ("A", False, False),
        ("T", False, False),
    ],
)
def test_industry_means_sections_b_c_d_and_manufacturing_means_c(code, industrial, manufacturing):
    assert is_industrial(code) is industrial
    assert is_manufacturing(code) is manufacturing


@pytest.mark.parametrize("code", ["3498", "9901", "34A", "0699"])
def test_industrial_test_raises_for_codes_that_do_not_exist(code):
    with pytest.raises(UnknownIndustryCode):
        is_industrial(code)


# --- vectorised check -------------------------------------------------------------------------

MIXED = ["3411", "C3411", "3411.0", 3411, 3411.0, "34", "341", "3498", "5111", "", None, "34A",
         "３４１１", "0610", 610, "B3411", "4350"]


@pytest.mark.parametrize("level", ["class", None, "division"])
def test_column_check_agrees_with_the_scalar_check(level):
    rng = np.random.default_rng(1)
    values = [MIXED[i] for i in rng.integers(0, len(MIXED), 2000)]
    strings = [v if v is None or isinstance(v, str) else str(v) for v in values]
    assert check_industry_codes(strings, level=level) == [
        check_industry_code(v, level=level) for v in strings
    ]


def test_column_check_accepts_arrow_chunked_and_dictionary_arrays():
    values = ["3411", "3498", None, "34"]
    expected = [check_industry_code(v, level="class") for v in values]
    assert check_industry_codes(pa.array(values)) == expected
    assert check_industry_codes(pa.chunked_array([values[:2], values[2:]])) == expected
    assert check_industry_codes(pa.array(values).dictionary_encode()) == expected


def test_column_check_accepts_integer_columns_from_excel():
    assert check_industry_codes(pa.array([3411, 1311, 9999])) == [
        None, None, check_industry_code("9999", level="class"),
    ]


def test_column_check_agrees_with_the_scalar_check_on_a_large_mixed_column():
    # speed is measured in benchmarks/codes.py, not here
    pool = np.array([c.code for c in classes()] + ["3498", "C3411", None], dtype=object)
    values = np.random.default_rng(2).choice(pool, 200_000)
    reasons = check_industry_codes(pa.array(values))
    expected = {v: check_industry_code(v, level="class") for v in pool}
    assert reasons == [expected[v] for v in values]


def test_column_check_accepts_mixed_text_and_number_cells_from_a_spreadsheet():
    import pandas as pd

    cells = pd.Series(["3411", 3411, 3411.0, None, float("nan"), pd.NA, "3498"], dtype=object)
    assert check_industry_codes(cells) == [None, None, None, *[check_industry_code(None)] * 3,
                                           check_industry_code("3498", level="class")]


def test_nan_from_a_spreadsheet_is_an_empty_cell():
    assert check_industry_code(float("nan")) == "行业代码为空 / industry code is empty"
