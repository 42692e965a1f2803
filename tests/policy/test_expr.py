"""The expression language: parsing with ast (never eval), types, three-valued logic, text, Ibis parity."""

from __future__ import annotations

import datetime as dt

import pytest

from zhizao.policy import expr as E
from zhizao.policy.model import column_types

T, F, N = True, False, None


# --- parsing ----------------------------------------------------------------------------------


def test_chained_comparison_becomes_and_of_comparisons():
    assert E.parse("1 <= x < 3") == E.BoolOp("and", (E.Compare(E.Const(1), "<=", E.Name("x")),
                                                     E.Compare(E.Name("x"), "<", E.Const(3))))


def test_lag_policy_in_and_literals_parse_into_the_contract_nodes():
    assert E.parse("lag(revenue, 2)") == E.Lag("revenue", 2)
    assert E.parse('policy("specialized_sme")') == E.Call("policy", (E.Const("specialized_sme"),))
    assert E.parse('x in ["a", "b"]') == E.In(E.Name("x"), ("a", "b"))
    assert E.parse('x not in [1, 2]') == E.Not(E.In(E.Name("x"), (1, 2)))
    assert E.parse("true") == E.Const(True) and E.parse("False") == E.Const(False)
    assert E.parse("null") == E.Const(None)
    assert E.parse("-3") == E.Const(-3)
    assert E.parse("-x") == E.Unary("-", E.Name("x"))
    assert E.parse("not a or b") == E.BoolOp("or", (E.Not(E.Name("a")), E.Name("b")))


@pytest.mark.parametrize("text, fragment", [
    ("__import__('os').system('rm -rf /')", "only the listed functions"),
    ("open('x')", "unknown function open()"),
    ("x.y.z", "unsupported name"),
    ("x[0]", "unsupported syntax Subscript"),
    ("lambda: 1", "unsupported syntax Lambda"),
    ("x ** 2", "expected one of + - * /"),
    ("x is None", "use is_null(x)"),
    ("lag(revenue, 0)", "whole number of years ≥ 1"),
    ("lag(revenue + 1, 1)", "lag expects a column name"),
    ("x in y", "`in` expects a list of constants"),
    ("x in [null]", "no null"),
    ("rd_ratio >= ", "not a valid expression"),
    ("", "empty expression"),
    ("minn(a, b)", "did you mean min?"),
])
def test_unsafe_or_malformed_text_is_refused_with_what_was_expected(text, fragment):
    with pytest.raises(E.ExprError, match=None) as e:
        E.parse(text)
    assert fragment in str(e.value)


def test_names_lists_columns_variables_lags_and_policies_but_not_year():
    node = E.parse('policy("a") and lag(revenue, 1) > 0 and rd_ratio > year - 2000 and in_group(industry_code, "high_tech")')
    assert E.names(node) == {"policy:a", "revenue@-1", "rd_ratio", "industry_code"}


# --- types ------------------------------------------------------------------------------------


TYPES = column_types()


@pytest.mark.parametrize("text, expected", [
    ("revenue / employees", "number"),
    ("is_sme and not on_abnormal_list", "bool"),
    ("coalesce(certifications, \"\")", "string"),
    ("years_since(registered_on) >= 3", "bool"),
    ("years_since(niche_start_year)", "number"),
    ('in_group(industry_code, "equipment")', "bool"),
    ('code_prefix(industry_code, "C39", "C40")', "bool"),
    ('contains(certifications, "ISO9001")', "bool"),
    ("lag(revenue, 3)", "number"),
    ("null", "null"),
])
def test_check_gives_the_type_of_an_expression(text, expected):
    assert E.check(E.parse(text), TYPES) == expected


@pytest.mark.parametrize("text, fragment", [
    ("revenu > 1", "unknown name 'revenu' (did you mean 'revenue'?)"),
    ("is_sme + 1", "an operand of + must be a number, but is_sme is a condition"),
    ("revenue and is_sme", "an operand of and must be a condition (true/false), but revenue is a number"),
    ('industry_code > 3', "the left side of > must be a number"),
    ('industry_code == 3', "compares text with a number"),
    ("registered_on == registered_on", "dates cannot be compared"),
    ('in_group(industry_code, "nope")', "unknown grouping 'nope'"),
    ('code_prefix(industry_code, "D39")', "division 39 is not in section D"),
    ('code_prefix(industry_code, "X1")', "not a GB/T 4754 section letter"),
    ("lag(name, 1)", "only a column of the indicators table"),
    ('industry_code in ["a", 1]', "the list must hold only"),
    ("min(revenue)", "got 1 argument"),
    ("revenue == null", "expected is_null(x)"),
    ('contains(certifications, "a;b")', "no ';'"),
])
def test_check_names_the_unknown_name_or_wrong_type_and_what_was_expected(text, fragment):
    with pytest.raises(E.ExprError) as e:
        E.check(E.parse(text), TYPES)
    assert fragment in str(e.value)


# --- three-valued logic and scalar semantics --------------------------------------------------


@pytest.mark.parametrize("a, b, conj, disj", [
    (T, T, T, T), (T, F, F, T), (T, N, N, T),
    (F, T, F, T), (F, F, F, F), (F, N, F, N),
    (N, T, N, T), (N, F, F, N), (N, N, N, N),
])
def test_and_or_follow_sql_three_valued_logic(a, b, conj, disj):
    env = {"a": a, "b": b}
    assert E.eval_row(E.parse("a and b"), env) is conj
    assert E.eval_row(E.parse("a or b"), env) is disj


@pytest.mark.parametrize("text, env, expected", [
    ("not a", {"a": None}, None),
    ("not a", {"a": False}, True),
    ("x / y", {"x": 1, "y": 0}, None),
    ("x / y", {"x": 1, "y": 4}, 0.25),
    ("x + y", {"x": 1}, None),
    ("x > 1", {}, None),
    ("min(x, y)", {"x": 1, "y": None}, None),
    ("max(x, y, 3)", {"x": 1, "y": 2}, 3.0),
    ("coalesce(x, y, 7)", {"y": 2}, 2),
    ("is_null(x)", {}, True),
    ("abs(x)", {"x": -2}, 2.0),
    ('x in ["a", "b"]', {"x": "b"}, True),
    ('x in ["a", "b"]', {}, None),
    ('x in [1, 2]', {"x": 2.0}, True),
    ('contains(c, "ISO9001")', {"c": "ISO14001;ISO9001"}, True),
    ('contains(c, "ISO900")', {"c": "ISO14001;ISO9001"}, False),
    ('contains(c, "ISO9001")', {}, None),
    ("years_since(d)", {"d": dt.date(2019, 12, 31), "year": 2024}, 5.0),
    ("years_since(d)", {"d": 2020, "year": 2024}, 4.0),
    ('in_group(c, "equipment")', {"c": "3451"}, True),
    ('in_group(c, "equipment")', {"c": "1311"}, False),
    ('code_prefix(c, "C34", "C35")', {"c": "3451"}, True),
    ('code_prefix(c, "C")', {"c": "3451"}, True),
    ('code_prefix(c, "D")', {"c": "3451"}, False),
    ('policy("p")', {"policy:p": "eligible"}, True),
    ('policy("p")', {"policy:p": "unknown"}, None),
    ("lag(r, 1) < r", {"r": 2, "r@-1": 1}, True),
    ("year - 2020", {"year": 2024}, 4.0),
])
def test_eval_row_semantics(text, env, expected):
    assert E.eval_row(E.parse(text), env) == expected


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "a - (b - c)", "(a - b) - c", "a / (b * c)", "-(a + b)", "not (a and b) or c", "a and (b or c)",
    'x in ["a", "b"] and lag(r, 2) >= 0.03', "(r - lag(r, 1)) / lag(r, 1)", 'policy("x") and not y',
    "1 < x <= 3", "min(a, b) + max(a, 2) * 3", "coalesce(a, null) == true", "a == null",
])
def test_to_text_parses_back_to_the_same_nodes(text):
    node = E.parse(text)
    assert E.parse(E.to_text(node)) == node


# --- Ibis compilation: same results as eval_row ----------------------------------------------


def test_compiled_expressions_give_the_same_values_as_eval_row():
    import ibis
    import pyarrow as pa

    rows = [
        {"x": 1.0, "y": 0.0, "a": True, "b": None, "s": "3451", "c": "ISO9001; ISO14001", "d": dt.date(2020, 3, 1)},
        {"x": None, "y": 2.0, "a": False, "b": True, "s": "1311", "c": None, "d": None},
        {"x": -4.0, "y": 3.0, "a": None, "b": None, "s": None, "c": "IATF16949", "d": dt.date(2024, 1, 1)},
        {"x": 2.0, "y": 2.0, "a": True, "b": False, "s": "3999", "c": "", "d": dt.date(2010, 12, 31)},
    ]
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()), ("a", pa.bool_()), ("b", pa.bool_()),
                        ("s", pa.string()), ("c", pa.string()), ("d", pa.date32())])
    t = ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
    types = {"x": "number", "y": "number", "a": "bool", "b": "bool", "s": "string", "c": "string", "d": "date"}
    texts = ["x / y", "x + y * 2 - 1", "-x", "min(x, y)", "max(x, y, 0)", "abs(x)", "coalesce(x, y)",
             "is_null(x)", "a and b", "a or b", "not a", "x > y or b", "1 < y <= 2", "x in [1, 2]",
             's in ["3451", "1311"]', 'in_group(s, "equipment")', 'code_prefix(s, "C39", "13")',
             'contains(c, "ISO14001")', "years_since(d)", "coalesce(b, a)", "y != 2 and a"]
    out = {}
    for text in texts:
        node = E.parse(text)
        E.check(node, types)
        out[text] = E.to_ibis(node, lambda k: t[k], types, year=2024)
    got = t.select(**{f"e{i}": e for i, e in enumerate(out.values())}).to_pyarrow().to_pylist()
    for row, g in zip(rows, got):
        env = {**row, "year": 2024}
        for i, text in enumerate(texts):
            want = E.eval_row(E.parse(text), env)
            assert g[f"e{i}"] == want, (text, row, g[f"e{i}"], want)


# --- undecided, region_in, count_true, at_least, qualified names (issue 5, second landing) ------


def test_undecided_is_unknown_and_names_its_not_decidable_id():
    node = E.parse("is_sme and undecided('chain_role')")
    assert E.names(node) == {"is_sme", "not_decidable:chain_role"}
    assert E.eval_row(node, {"is_sme": True}) is None
    assert E.eval_row(node, {"is_sme": False}) is False
    types = {"is_sme": "bool", "not_decidable:chain_role": "bool"}
    assert E.check(node, types) == "bool"
    with pytest.raises(E.ExprError, match="not one of the policy's not_decidable ids: expected chain_role"):
        E.check(E.parse("undecided('chain_rol')"), types)


@pytest.mark.parametrize(("code", "ok"), [("310115", True), ("310151", True), ("330624", True),
                                          ("330100", False), ("320100", False), (None, None)])
def test_region_in_matches_province_prefecture_and_county_prefixes(code, ok):
    node = E.parse('region_in(region_code, "310000", "330624")')
    assert E.eval_row(node, {"region_code": code}) is ok
    assert E.eval_row(E.parse('region_in(region_code, "330100")'), {"region_code": "330106"}) is True


@pytest.mark.parametrize("bad", ["31", "3100000", "31x000", "000000"])
def test_region_in_wants_six_digit_codes(bad):
    with pytest.raises(E.ExprError, match="6-digit GB/T 2260 code"):
        E.check(E.parse(f'region_in(region_code, "{bad}")'), {"region_code": "string"})


def test_count_true_is_decided_only_without_unknowns_and_at_least_decides_thresholds():
    env = {"a": True, "b": False, "c": True}
    assert E.eval_row(E.parse("count_true(a, b, c)"), env) == 2.0
    assert E.eval_row(E.parse("count_true(a, b, d)"), env) is None
    assert E.eval_row(E.parse("at_least(2, a, c, d)"), env) is True
    assert E.eval_row(E.parse("at_least(2, a, b, d)"), env) is None
    assert E.eval_row(E.parse("at_least(3, a, b, d)"), env) is False
    types = {"a": "bool", "b": "bool", "x": "number"}
    assert E.check(E.parse("count_true(a, b) >= 1"), types) == "bool"
    with pytest.raises(E.ExprError, match="k must be a whole number from 1 to the number of conditions"):
        E.check(E.parse("at_least(3, a, b)"), types)
    with pytest.raises(E.ExprError, match="a condition of at_least must be a condition"):
        E.check(E.parse("at_least(1, a, x)"), types)
    with pytest.raises(E.ExprError, match="an argument of count_true must be a condition"):
        E.check(E.parse("count_true(a, x)"), types)


def test_a_qualified_name_reads_a_column_of_an_input_table():
    node = E.parse("land.land_class == 'D' and min(land.years_in_class, 3) >= 2")
    assert E.names(node) == {"land.land_class", "land.years_in_class"}
    assert E.to_text(node) == 'land.land_class == "D" and min(land.years_in_class, 3) >= 2'
    assert E.parse(E.to_text(node)) == node
    assert E.eval_row(node, {"land.land_class": "D", "land.years_in_class": 2}) is True
