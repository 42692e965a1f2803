"""统一社会信用代码 (GB 32100-2015) checks, parsing and generation (zhizao.codes.uscc)."""

from __future__ import annotations


import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.codes.uscc import (
    ALPHABET,
    AUTHORITIES,
    WEIGHTS,
    InvalidUSCC,
    check_uscc,
    check_usccs,
    generate_uscc,
    generate_usccs,
    is_valid_uscc,
    normalize_uscc,
    org_code_check_char,
    parse_uscc,
    uscc_check_char,
)

# Real codes quoted as valid in public validators' tests and examples: hutool's CreditCodeUtilTest
# (91310110666007217T, 91310115591693856A), base-tools' isTaxID example (91350100M000100Y43), and
# a Xiamen validator's sample list (the rest).
REAL_VALID = [
    "91350100M000100Y43",
    "91310110666007217T",
    "91310115591693856A",
    "91440101MA5CJQ4N59",
    "91350200MA31E12PXF",
    "9135021359498494XQ",
    "913502000728319549",
    "123502001549897397",  # 机构编制 / 机关
]

region_codes = st.from_regex(r"\A[1-8][0-9]{5}\Z")


# --- the algorithm ----------------------------------------------------------------------------


def test_weights_are_powers_of_three_mod_31_as_listed_in_the_standard():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert all(w % 31 for w in WEIGHTS)


def test_alphabet_has_31_characters_without_i_o_z_s_v():
    assert len(ALPHABET) == 31 and not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize("code", REAL_VALID)
def test_real_codes_are_valid(code):
    assert check_uscc(code) is None


@pytest.mark.parametrize("code", REAL_VALID)
def test_check_characters_of_real_codes_are_recomputed(code):
    assert uscc_check_char(code[:17]) == code[17]
    assert org_code_check_char(code[8:16]) == code[16]


def test_early_pilot_code_that_breaks_the_check_character_is_invalid():
    # hutool's tests note that some early pilot-area codes do not follow the standard.
    assert "expected 3, got N" in check_uscc("91350211M00013FA1N")


@pytest.mark.parametrize(
    ("body", "check"),
    [("M000100Y", "4"), ("66600721", "7"), ("MA31E12P", "X"), ("59498494", "X")],
)
def test_organisation_code_check_character_follows_gb_11714(body, check):
    assert org_code_check_char(body) == check


def test_organisation_check_11_is_written_as_zero_and_10_as_x():
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11
    assert org_code_check_char("00000006") == "X"  # 11 - (6 * 2) % 11 = 10


@pytest.mark.parametrize("bad", ["1234567", "123456789", "M000100Ö"])
def test_organisation_check_rejects_bad_bodies(bad):
    with pytest.raises(InvalidUSCC):
        org_code_check_char(bad)


@pytest.mark.parametrize("bad", ["9135010", "91350100M000100O4", "9" * 18])
def test_check_character_needs_17_alphabet_characters(bad):
    with pytest.raises(InvalidUSCC):
        uscc_check_char(bad)


def test_every_single_substitution_in_real_codes_is_detected():
    for code in REAL_VALID[:3]:
        for pos in range(18):
            for c in ALPHABET:
                if c != code[pos]:
                    changed = code[:pos] + c + code[pos + 1:]
                    assert check_uscc(changed) is not None, changed


# --- reasons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y4", "must be 18 characters, got 17"),
        ("91350100M000100Y433", "must be 18 characters, got 19"),
        ("9135010OM000100Y43", "character 'O' at position 8 is not allowed"),
        ("91350100M000100I43", "character 'I' at position 16 is not allowed"),
        ("9135-100M000100Y43", "character '-' at position 5 is not allowed"),
        ("X1350100M000100Y43", "unknown registration authority 'X'"),
        ("0135010M0000100Y43", "unknown registration authority '0'"),
        ("95350100M000100Y43", "organisation type '5' (position 2) is not defined for authority 9"),
        ("Y2350100M000100Y43", "organisation type '2' (position 2) is not defined for authority Y"),
        ("9135010AM000100Y43", "region part '35010A' (positions 3–8) must be 6 digits"),
        ("91350100M000100Y53", "organisation code M000100Y5 has a bad check character: expected 4"),
        ("91350100M000100Y44", "bad check character: expected 3, got 4"),
    ],
)
def test_invalid_codes_say_what_is_wrong_in_both_languages(code, fragment):
    reason = check_uscc(code)
    assert fragment in reason
    zh, en = reason.split(" / ", 1)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and fragment in en


def test_empty_values_are_reported_as_empty():
    assert check_uscc(None) == check_uscc("   ") == "统一社会信用代码为空 / USCC is empty"


@pytest.mark.parametrize(
    "spelling",
    [" 91350100M000100Y43 ", "91350100m000100y43", "９１３５０１００Ｍ０００１００Ｙ４３",
     "9135 0100 M000 100Y 43", "91350100M000100Y43\n"],
)
def test_spacing_case_and_full_width_are_normalised_away(spelling):
    assert normalize_uscc(spelling) == "91350100M000100Y43"
    assert is_valid_uscc(spelling)


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize_uscc(text)
    assert normalize_uscc(once) == once


# --- parsing ----------------------------------------------------------------------------------


def test_parse_splits_a_code_into_its_parts():
    parts = parse_uscc("91350100M000100Y43")
    assert (parts.authority, parts.authority_name, parts.org_type, parts.org_type_name) == (
        "9", "工商（市场监管）", "1", "企业",
    )
    assert (parts.region_code, parts.org_code, parts.check, parts.region_known) == (
        "350100", "M000100Y4", "3", True,
    )


def test_parse_raises_with_the_reason():
    with pytest.raises(InvalidUSCC, match="expected 3, got 4"):
        parse_uscc("91350100M000100Y44")


def test_a_region_absent_from_the_current_table_is_accepted_but_flagged():
    code = generate_uscc(rng=np.random.default_rng(0), region_code="330199")
    assert check_uscc(code) is None
    assert parse_uscc(code).region_known is False


@pytest.mark.parametrize(("authority", "org_type"), [(a, t) for a, (_, ts) in AUTHORITIES.items() for t in ts])
def test_every_listed_authority_and_type_pair_is_accepted(authority, org_type):
    code = generate_uscc(rng=np.random.default_rng(1), region_code="330481",
                         authority=authority, org_type=org_type)
    parts = parse_uscc(code)
    assert (parts.authority, parts.org_type) == (authority, org_type)


# --- generation (properties) ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), region=region_codes)
def test_every_generated_code_validates_and_round_trips_its_region(seed, region):
    code = generate_uscc(rng=np.random.default_rng(seed), region_code=region)
    assert check_uscc(code) is None
    assert parse_uscc(code).region_code == region


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pos=st.integers(0, 17), data=st.data())
def test_any_single_character_substitution_is_detected(seed, pos, data):
    code = generate_uscc(rng=np.random.default_rng(seed), region_code="330481")
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[pos]]))
    assert check_uscc(code[:pos] + replacement + code[pos + 1:]) is not None


def test_generating_100000_codes_gives_distinct_valid_codes_with_the_given_regions():
    rng = np.random.default_rng(42)
    regions = rng.choice(np.array(["330481", "330624", "110101", "429004"]), 100_000)
    codes = generate_usccs(100_000, rng=rng, region_codes=regions)
    assert codes.dtype == np.dtype("<U18") and len(set(codes.tolist())) == 100_000
    assert all(r is None for r in check_usccs(codes))
    assert [c[2:8] for c in codes.tolist()] == regions.tolist()


def test_generation_is_deterministic_for_a_seed():
    a = generate_usccs(1000, rng=np.random.default_rng(7), region_codes=["330481"])
    b = generate_usccs(1000, rng=np.random.default_rng(7), region_codes=["330481"])
    c = generate_usccs(1000, rng=np.random.default_rng(8), region_codes=["330481"])
    assert (a == b).all() and not (a == c).all()


def test_a_single_region_code_is_broadcast():
    codes = generate_usccs(5, rng=np.random.default_rng(0), region_codes="330481")
    assert all(c[2:8] == "330481" for c in codes)


def test_generating_zero_codes_gives_an_empty_array():
    assert generate_usccs(0, rng=np.random.default_rng(0), region_codes=["330481"]).shape == (0,)


@pytest.mark.parametrize(
    "regions", [["33048"], ["3304811"], ["33048A"], ["330481", "330624", "110101"], [[330481]]]
)
def test_bad_region_codes_for_generation_are_refused(regions):
    with pytest.raises(ValueError):
        generate_usccs(2, rng=np.random.default_rng(0), region_codes=regions)


def test_integer_region_codes_are_accepted_for_generation():
    codes = generate_usccs(2, rng=np.random.default_rng(0), region_codes=np.array([330481, 330624]))
    assert [c[2:8] for c in codes] == ["330481", "330624"]


@pytest.mark.parametrize(("authority", "org_type"), [("9", "5"), ("X", "1"), ("Y", "2")])
def test_unknown_authority_or_type_for_generation_is_refused(authority, org_type):
    with pytest.raises(ValueError):
        generate_usccs(1, rng=np.random.default_rng(0), region_codes=["330481"],
                       authority=authority, org_type=org_type)


# --- vectorised check -------------------------------------------------------------------------


def _corrupt(codes: list[str], rng: np.random.Generator) -> list[object]:
    """A realistic mess: substitutions, truncations, case, full width, spaces, junk, nulls."""
    out: list[object] = []
    for code in codes:
        k = int(rng.integers(0, 14))
        pos = int(rng.integers(0, 18))
        if k == 0:
            out.append(code[:pos] + ALPHABET[int(rng.integers(0, 31))] + code[pos + 1:])
        elif k == 1:
            out.append(code[:pos] + "IOZSV"[int(rng.integers(0, 5))] + code[pos + 1:])
        elif k == 2:
            out.append(code[:-1])
        elif k == 3:
            out.append(code.lower())
        elif k == 4:
            out.append(code.translate({ord(c): ord(c) + 0xFEE0 for c in code}))
        elif k == 5:
            out.append(f" {code[:6]} {code[6:]} ")
        elif k == 6:
            out.append(None)
        elif k == 7:
            out.append("")
        elif k == 8:
            out.append(code[0] + "7" + code[2:])
        elif k == 9:
            out.append(code[:4] + "A" + code[5:])
        elif k == 10:
            out.append(code + "0")
        elif k == 11:
            out.append("统一社会信用代码" + code[:10])
        else:
            out.append(code)
    return out


@pytest.fixture(scope="module")
def messy_column() -> list[object]:
    rng = np.random.default_rng(11)
    good = generate_usccs(20_000, rng=rng, region_codes=["330481", "330624"] * 10_000).tolist()
    return _corrupt(good, rng) + REAL_VALID + ["91350211M00013FA1N"]


def test_column_check_agrees_with_the_scalar_check_on_a_messy_column(messy_column):
    expected = [check_uscc(v) for v in messy_column]
    assert sum(r is None for r in expected) > 1000 and sum(r is not None for r in expected) > 1000
    assert check_usccs(messy_column) == expected


def test_column_check_agrees_for_arrow_and_numpy_input(messy_column):
    expected = [check_uscc(v) for v in messy_column]
    assert check_usccs(pa.array(messy_column, pa.string())) == expected
    strings = [v for v in messy_column if v is not None]
    assert check_usccs(np.array(strings)) == [check_uscc(v) for v in strings]
    assert check_usccs(pa.chunked_array([strings[:100], strings[100:]])) == [
        check_uscc(v) for v in strings
    ]


def test_column_check_of_an_empty_column_is_empty():
    assert check_usccs([]) == []
    assert check_usccs(pa.array([], pa.string())) == []


def test_a_large_batch_of_generated_codes_is_unique_and_valid():
    # speed is measured in benchmarks/codes.py, not here
    codes = generate_usccs(300_000, rng=np.random.default_rng(5), region_codes=["330481"])
    reasons = check_usccs(pa.array(codes))
    assert len(set(codes.tolist())) == 300_000 and reasons.count(None) == 300_000


def test_column_check_accepts_mixed_cells_and_treats_nan_as_empty():
    import pandas as pd

    cells = pd.Series(["91350100M000100Y43", 91350100, None, float("nan")], dtype=object)
    assert check_usccs(cells) == [None, check_uscc("91350100"), check_uscc(None), check_uscc(None)]
    assert check_uscc(float("nan")) == "统一社会信用代码为空 / USCC is empty"
