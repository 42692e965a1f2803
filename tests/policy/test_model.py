"""Policy files: the model, and errors that name the file, the line and what was expected."""

from __future__ import annotations

import textwrap

import pytest

from zhizao.policy import PolicyError, load_policy, parse_policy
from zhizao.policy import expr as E
from zhizao.policy.model import Policy

from tests.policy.conftest import FIXTURES

# line numbers below refer to this text (line 1 = "id: tiny")
GOOD = textwrap.dedent("""\
    id: tiny
    version: "1"
    name_zh: 测试
    name_en: test
    source: "test [U]"
    valid_from: 2022-01-01
    variables:
      rd_ratio:
        expr: "rd_expenditure / revenue"
        name_zh: 研发费用占比
        source: "test [U]"
    points:
      - id: rd_points
        of: rd_ratio
        bands: [[0.05, 20], [0.03, 10], [null, 0]]
        dimension: innovation
        source: "test [U]"
    scores:
      dimensions:
        innovation: {name_zh: 创新能力, max: 20, min: 10}
      pass: 10
      source: "test [U]"
    rules:
      - id: sme
        when: "is_sme"
        source: "test [U]"
      - id: rd
        when: "rd_ratio >= 0.03"
        source: "test [U]"
    eligibility:
      all: [sme]
      routes:
        - {id: direct, rule: rd}
        - {id: score, score: true}
    """)


def _err(text: str, origin: str = "policies/tiny.yaml") -> PolicyError:
    with pytest.raises(PolicyError) as e:
        parse_policy(text, origin=origin)
    return e.value


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def test_a_valid_file_gives_a_policy_with_parsed_nodes_and_lines():
    p = parse_policy(GOOD, origin="policies/tiny.yaml")
    assert p.file == "policies/tiny.yaml"
    assert p.variables["rd_ratio"].node == E.BinOp("/", E.Name("rd_expenditure"), E.Name("revenue"))
    assert p.rules[1].node == E.Compare(E.Name("rd_ratio"), ">=", E.Const(0.03))
    assert p.types == {"rd_ratio": "number"}
    assert p.line_of("rules", 1) == 27
    assert p.covers(2022) and p.covers(2030) and not p.covers(2021)


def test_the_demo_fixture_loads_with_every_section():
    p = load_policy(FIXTURES / "lib" / "demo_sme.yaml")
    assert isinstance(p, Policy) and p.id == "demo_sme"
    assert [r.id for r in p.rules][-1] == "direct_any"
    assert p.rule("direct_any").kind == "any" and p.rule("direct_any").refs == ["high_tech", "award"]
    assert p.rule("direct_any").node == E.BoolOp("or", (E.Name("rule:high_tech"), E.Name("rule:award")))
    assert p.rule("high_tech").exceptions[0].outcome is False
    assert p.points_table("ip_points").values == [20, 10, 0]
    assert p.scores.pass_ == 50 and p.budget.descending and p.budget.node == E.Name("score")
    assert p.not_decidable[0].id == "prohibited_catalogue"


@pytest.mark.parametrize("text, line, fragments", [
    # YAML syntax
    (_replace("  all: [sme]", "  all: [sme"), 32, ["not valid YAML", "expected ',' or ']'"]),
    (_replace("name_zh: 测试", "name_zh: 测试\n  indented: wrongly"), 4, ["not valid YAML"]),
    # a key twice
    (_replace("name_en: test\n", "name_en: test\nname_en: again\n"), 5, ["key 'name_en' appears twice", "line 4"]),
    # a missing field: the line of the mapping that lacks it
    (_replace('  - id: rd\n    when: "rd_ratio >= 0.03"\n    source: "test [U]"\n', '  - id: rd\n    when: "rd_ratio >= 0.03"\n'),
     27, ["rules[1].source", "missing field", "expected `source`"]),
    # a typo in a field name
    (_replace('    when: "is_sme"', '    whn: "is_sme"'), 25, ["rules[0].whn", "unknown field", "did you mean `when`"]),
    # a wrong value
    (_replace("    bands: [[0.05, 20]", "    direction: upwards\n    bands: [[0.05, 20]"), 15,
     ["points[0].direction", "'higher_is_better' or 'lower_is_better'", "upwards"]),
    (_replace("valid_from: 2022-01-01", "valid_from: someday"), 6, ["valid_from", "date"]),
    (_replace("id: tiny", "id: Tiny-Policy"), 1, ["id:", "pattern"]),
    # expressions: syntax, unknown names, types
    (_replace('"rd_ratio >= 0.03"', '"rd_ratio >= "'), 28, ["rules[1].when", "not a valid expression"]),
    (_replace('"rd_ratio >= 0.03"', '"rd_ratoi >= 0.03"'), 28,
     ["rules[1].when", "unknown name 'rd_ratoi'", "did you mean 'rd_ratio'"]),
    (_replace('when: "is_sme"', 'when: "revenue"'), 25, ["rules[0].when", "must be a condition (true/false)"]),
    (_replace('expr: "rd_expenditure / revenue"', 'expr: "rd_expenditure / revenu"'), 9,
     ["variables.rd_ratio.expr", "unknown name 'revenu'"]),
    (_replace('expr: "rd_expenditure / revenue"', 'expr: "__import__(\'os\')"'), 9,
     ["variables.rd_ratio.expr", "unknown function"]),
    # structure
    (_replace("bands: [[0.05, 20], [0.03, 10]", "bands: [[0.03, 20], [0.05, 10]"), 13,
     ["points[0]", "strictly decreasing"]),
    (_replace("    dimension: innovation", "    dimension: growth"), 16, ["points[0].dimension", "unknown dimension 'growth'"]),
    (_replace("  all: [sme]", "  all: [smee]"), 31, ["eligibility.all[0]", "unknown rule 'smee'"]),
    (_replace("{id: direct, rule: rd}", "{id: direct, rule: rdd}"), 33, ["route direct", "unknown rule 'rdd'"]),
    (_replace('  - id: rd\n    when: "rd_ratio >= 0.03"', '  - id: rd\n    any: [rd2]\n    source: x\n  - id: rd2\n    not: rd'),
     27, ["rules[1]", "rules refer to each other in a cycle: rd → rd2 → rd"]),
    (_replace('    when: "is_sme"', '    when: "is_sme"\n    any: [rd]'), 24, ["exactly one of when / any"]),
    (_replace("valid_from: 2022-01-01", "valid_from: 2022-01-01\nvalid_to: 2021-01-01"), 1, ["valid_to 2021-01-01 is before"]),
    (_replace("rules:", "benefit: {amount: \"revenue\", source: x}\nbudget: {total: 0, source: x}\nrules:"), 24,
     ["budget.total", "greater than 0"]),
])
def test_a_malformed_file_is_reported_with_file_line_and_what_was_expected(text, line, fragments):
    e = _err(text)
    assert e.file == "policies/tiny.yaml"
    assert e.line == line, str(e)
    assert str(e).startswith(f"policies/tiny.yaml:{line}: ")
    for f in fragments:
        assert f in str(e), (f, str(e))


def test_every_problem_pydantic_finds_is_listed_with_its_line():
    text = _replace('    when: "is_sme"', '    whn: "is_sme"').replace('  - id: rd\n', '  - id: rd\n    colour: red\n')
    e = _err(text)
    assert [line for line, _ in e.errors] == [25, 28]  # whn, colour
    assert len(str(e).splitlines()) == 2 and "rules[1].colour: unknown field" in str(e)


def test_a_variable_may_read_only_variables_declared_before_it():
    text = _replace('    expr: "rd_expenditure / revenue"', '    expr: "later * 2"').replace(
        "points:", '  later:\n    expr: "revenue"\n    name_zh: x\n    source: x\npoints:', 1)
    e = _err(text)
    assert e.line == 9 and "unknown name 'later'" in e.message


def test_a_budget_needs_a_benefit_and_a_score_route_needs_scores():
    e = _err(_replace("rules:", "budget: {total: 100, source: x}\nrules:"))
    assert e.line == 23 and "a budget needs a `benefit`" in e.message
    text = GOOD.split("scores:")[0].replace("    dimension: innovation\n", "") + "rules:" + GOOD.split("rules:")[1]
    e = _err(text)
    assert "route score uses the score but the policy has no `scores`" in e.message


def test_a_policy_refers_to_itself_is_an_error():
    e = _err(_replace('when: "is_sme"', 'when: \'policy("tiny")\''))
    assert e.line == 25 and "refers to the policy itself" in e.message


def test_the_file_name_must_be_the_id(tmp_path):
    f = tmp_path / "other.yaml"
    f.write_text(GOOD, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_policy(f)
    assert e.value.file == str(f) and e.value.line == 1 and "expected tiny.yaml" in e.value.message
    ok = tmp_path / "tiny@2022.yaml"
    ok.write_text(GOOD, encoding="utf-8")
    assert load_policy(ok).id == "tiny"


def test_an_unknown_shipped_id_lists_what_is_shipped():
    with pytest.raises(PolicyError, match="no shipped policy 'no_such_policy'"):
        load_policy("no_such_policy")


def test_not_a_mapping_and_empty_files_are_errors():
    assert "must be a mapping" in _err("- a\n- b\n").message
    assert "must be a mapping" in _err("").message


# --- undecided, inputs, charges, score bounds (issue 5, second landing) ------------------------


def test_undecided_must_name_a_not_decidable_entry_with_file_and_line():
    e = _err(_replace('when: "is_sme"', "when: \"undecided('chain_role')\""))
    assert e.file == "policies/tiny.yaml" and e.line == 25
    assert "undecided('chain_role'): not one of the policy's not_decidable ids" in e.message
    text = _replace('when: "is_sme"', "when: \"undecided('chain_role')\"").replace(
        "variables:", "not_decidable:\n  - {id: chain_role, text_zh: 产业链配套, source: x}\nvariables:", 1)
    p = parse_policy(text, origin="policies/tiny.yaml")
    assert E.names(p.rule("sme").node) == {"not_decidable:chain_role"}


def test_a_null_condition_is_accepted_as_a_condition():
    p = parse_policy(_replace('when: "is_sme"', 'when: "null"'), origin="policies/tiny.yaml")
    assert p.rule("sme").node == E.Const(None)


def test_inputs_of_a_known_table_bring_their_columns_and_others_must_declare_them():
    extra = ("inputs:\n  land: {table: result_land_evaluation}\n"
             "  other: {table: my_table, columns: {score_x: number}}\nvariables:")
    text = _replace('when: "is_sme"', "when: \"land.land_class == 'D' and other.score_x > 1\"").replace(
        "variables:", extra, 1)
    p = parse_policy(text, origin="policies/tiny.yaml")
    assert p.inputs["land"].command == "zhizao land evaluate" and p.inputs["land"].key == ["uscc", "year"]
    e = _err(_replace('when: "is_sme"', "when: \"land.land_clas == 'D'\"").replace(
        "variables:", "inputs:\n  land: {table: result_land_evaluation}\nvariables:", 1))
    assert e.line == 27 and "unknown name 'land.land_clas' (did you mean 'land.land_class'?)" in e.message
    e = _err(GOOD.replace("variables:", "inputs:\n  x: {table: my_table}\nvariables:", 1))
    assert e.line == 8 and "expected `columns`" in e.message
    e = _err(GOOD.replace("variables:", "inputs:\n  x: {table: result_land_evaluation, key: [year]}\nvariables:", 1))
    assert e.line == 8 and "key must list uscc" in e.message


def test_a_charge_cannot_have_a_budget_and_dimensions_cannot_be_min_or_max():
    text = _replace("rules:", "benefit: {kind: charge, amount: '100', source: x}\n"
                              "budget: {total: 100, source: x}\nrules:")
    e = _err(text)
    assert e.line == 24 and "not a charge" in e.message
    e = _err(GOOD.replace("innovation", "min"))
    assert "clash with the score_min column" in e.message


def test_a_policy_error_is_a_method_error_with_both_languages():
    from zhizao.errors import MethodError

    e = _err(_replace('    when: "is_sme"', '    whn: "is_sme"'))
    assert isinstance(e, MethodError) and e.http_status == 422
    assert e.zh.startswith("政策文件 policies/tiny.yaml 第 25 行有误：rules[0].whn: unknown field `whn`")
    assert e.en == str(e) and e.to_dict()["where"] == "policies/tiny.yaml:25"


def test_the_fingerprint_of_a_policy_file_is_the_hash_of_its_bytes(tmp_path):
    import hashlib

    from zhizao.methodfile import fingerprint

    f = tmp_path / "tiny.yaml"
    f.write_bytes(GOOD.replace("\n", "\r\n").encode("utf-8"))     # CRLF: the bytes, not the text read
    fp = fingerprint(load_policy(f))
    assert fp.sha256 == hashlib.sha256(f.read_bytes()).hexdigest() and fp.file == str(f)
    assert (fp.id, fp.version) == ("tiny", "1")


def test_the_fingerprint_of_a_variant_is_the_hash_of_its_merged_content(tmp_path):
    from zhizao.methodfile import fingerprint

    (tmp_path / "tiny.yaml").write_text(GOOD, encoding="utf-8")
    v = tmp_path / "tiny_x.yaml"
    v.write_text('id: tiny_x\nextends: tiny\nversion: "x1"\nsource: "test variant [U]"\n', encoding="utf-8")
    a = fingerprint(load_policy(v))
    (tmp_path / "tiny.yaml").write_text(GOOD.replace("pass: 10", "pass: 12"), encoding="utf-8")
    b = fingerprint(load_policy(v))
    assert a.sha256 != b.sha256        # the base changed, the variant's own file did not
