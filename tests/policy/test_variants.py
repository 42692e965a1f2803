"""Province variants (``extends:``, zhizao.policy.variants): the merge of each section kind
(replace, add, drop, inherit), pinned base versions, where the base is found, errors with file and
line, evaluation of a variant beside its base, explanations citing the file of each item, and
``zhizao policy list/show --library``.

Fixtures (tests/policy/fixtures_variants, made-up texts): ``lib/vbase.yaml`` (every point decidable:
rd_ratio 3 % → 35, growth ≥ 10 % → 30, pass 60) with its old version ``vbase@v1.yaml``;
``lib/vprov.yaml``, a variant raising the pass mark to 70 and R&D to 200万, replacing and adding
rules and variables, dropping a rule and a not-decidable item; ``lib/vpinned.yaml`` pinned to v1;
``lib/specialized_sme.yaml`` extending the shipped file of its own id; ``order/`` a local
``above_scale`` and a variant of it; ``cycle/`` two files extending each other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.policy.conftest import tables_from_rows
from zhizao.policy import PolicyError, evaluate, load_library, load_policy, parse_policy
from zhizao.policy.explain import explain, render
from zhizao.cli.policy import policy_app

HERE = Path(__file__).parent / "fixtures_variants"
LIB_DIR = HERE / "lib"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
GD_FILE = "specialized_sme_guangdong.yaml"
Y = 2024


@pytest.fixture(scope="module")
def lib():
    return load_library(LIB_DIR)


@pytest.fixture(scope="module")
def prov(lib):
    return lib["vprov"]


@pytest.fixture(scope="module")
def base(lib):
    return lib["vbase"]


def _variant(tmp_path: Path, text: str, name: str = "vx.yaml") -> Path:
    """``text`` as a policy file in a fresh folder that also holds ``vbase.yaml``."""
    shutil.copy(LIB_DIR / "vbase.yaml", tmp_path / "vbase.yaml")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    return e.value


HEAD = 'id: vx\nextends: vbase\nversion: "x1"\nsource: "test variant [U]"\n'   # lines 1-4


# --- merge semantics ------------------------------------------------------------------------

def test_keys_the_variant_does_not_state_are_inherited(prov, base):
    assert prov.benefit == base.benefit and prov.issuer == base.issuer
    assert prov.valid_from == base.valid_from and prov.eligibility == base.eligibility
    assert prov.rule("sme") == base.rule("sme") and prov.rule("high_tech") == base.rule("high_tech")
    assert prov.variables["rd_ratio"] == base.variables["rd_ratio"]


def test_identity_and_stated_top_level_values_replace_the_base(prov):
    assert (prov.id, prov.version, prov.name_zh) == ("vprov", "v2-prov", "测试省级政策")
    assert prov.name_en == "test base policy"          # not stated: inherited
    assert prov.source.startswith("test province notice")


def test_a_stated_section_replaces_the_base_section_whole(prov, base):
    assert prov.scores.pass_ == 70 and base.scores.pass_ == 60
    assert prov.scores.source == "province art. 3 (pass mark 70) [U]"


def test_rules_merge_by_id_replacing_in_place_and_appending_new_ones(prov):
    assert [r.id for r in prov.rules] == ["sme", "rd_min", "high_tech", "direct_any", "equity"]
    assert prov.rule("rd_min").when == "rd_expenditure >= 2000000"
    assert prov.rule("rd_min").source == "province art. 4 [U]"
    assert prov.rule("direct_any").any == ["high_tech", "equity"]


def test_variables_merge_by_name_keeping_the_base_order(prov):
    assert list(prov.variables) == ["rd_ratio", "growth", "rd_pct"]
    assert prov.variables["growth"].source == "province art. 2 [U]"
    assert prov.types["rd_pct"] == "number"          # a new variable may read an inherited one


def test_drop_removes_base_items(prov, base):
    assert "award" not in [r.id for r in prov.rules] and "award" in [r.id for r in base.rules]
    assert [n.id for n in prov.not_decidable] == ["legal_person"]


def test_changes_list_what_the_variant_states_in_file_order(prov):
    assert [str(c) for c in prov.changes] == [
        "replaced name_zh", "dropped rules award", "dropped not_decidable catalogue",
        "replaced variables growth", "added variables rd_pct", "replaced scores",
        "replaced rules rd_min", "replaced rules direct_any", "added rules equity"]


def test_extends_names_the_resolved_base_version(prov, base):
    assert prov.extends == "vbase@v2" and prov.base is not None and prov.base.version == "v2"
    assert base.extends is None and base.changes == () and base.base is None


def test_a_pinned_base_version_is_used_even_when_a_later_one_exists(lib):
    p = lib["vpinned"]
    assert p.extends == "vbase@v1"
    assert p.rule("rd_min").when == "rd_expenditure >= 500000"
    assert p.valid_to.year == 2023


def test_a_variant_of_a_variant_inherits_through_the_chain(tmp_path):
    shutil.copy(LIB_DIR / "vprov.yaml", tmp_path / "vprov.yaml")
    path = _variant(tmp_path, 'id: vx\nextends: vprov\nversion: "x1"\nsource: "city notice [U]"\n'
                              "benefit:\n  amount: \"rd_expenditure * 0.2\"\n  source: \"city art. 1 [U]\"\n")
    p = load_policy(path)
    assert p.extends == "vprov@v2-prov" and p.scores.pass_ == 70 and p.benefit.amount == "rd_expenditure * 0.2"
    assert p.origin_of("rules", 1)[0] == str(tmp_path / "vprov.yaml")       # rd_min: the province's
    assert p.origin_of("rules", 0)[0] == str(tmp_path / "vbase.yaml")       # sme: the base's
    assert p.origin_of("benefit")[0] == str(path)


# --- where each item came from ---------------------------------------------------------------

def _line_with(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_origin_of_names_the_variant_for_stated_items_and_the_base_for_inherited(prov):
    prov_file, base_file = str(LIB_DIR / "vprov.yaml"), str(LIB_DIR / "vbase.yaml")
    assert prov.origin_of("rules", 1) == (prov_file, _line_with(LIB_DIR / "vprov.yaml", "- id: rd_min"))
    assert prov.origin_of("rules", 0) == (base_file, _line_with(LIB_DIR / "vbase.yaml", "- id: sme"))
    assert prov.origin_of("rules", 4, "when") == (prov_file, _line_with(LIB_DIR / "vprov.yaml", "new_equity"))
    assert prov.origin_of("variables", "rd_ratio")[0] == base_file
    assert prov.origin_of("scores") == (prov_file, _line_with(LIB_DIR / "vprov.yaml", "dimensions:"))
    assert prov.origin_of("benefit") == (base_file, _line_with(LIB_DIR / "vbase.yaml", "amount:"))
    assert prov.origin_of("id") == (prov_file, 2)


def test_line_of_gives_the_line_in_the_file_each_item_came_from(prov):
    assert prov.line_of("rules", 0) == _line_with(LIB_DIR / "vbase.yaml", "- id: sme")
    assert prov.line_of("rules", 3) == _line_with(LIB_DIR / "vprov.yaml", "- id: direct_any")
    assert prov.line_of("id") == 2


def test_a_policy_without_extends_cites_its_own_file(base):
    assert base.origin_of("rules", 0) == (str(LIB_DIR / "vbase.yaml"), base.line_of("rules", 0))


# --- where the base is found -----------------------------------------------------------------

def test_a_file_extending_its_own_id_gets_the_shipped_file_never_itself(lib):
    p = lib["specialized_sme"]
    assert p.version == "2022-63-test" and p.extends == "specialized_sme@2022-63"
    assert p.base.file == "zhizao/methods/policies/specialized_sme.yaml"
    assert p.scores.pass_ == 60 and len(p.rules) == len(load_policy("specialized_sme").rules)


def test_the_base_in_the_variants_own_folder_comes_before_the_shipped_one():
    p = load_library(HERE / "order")["above_scale_local"]
    assert p.base.file == str(HERE / "order" / "above_scale.yaml") and p.extends == "above_scale@local"
    assert [r.id for r in p.rules] == ["big"]


def test_text_not_read_from_a_file_extends_the_shipped_library():
    p = parse_policy('id: gd\nextends: specialized_sme\nversion: "t"\nsource: "t [U]"\n', origin="gd.yaml")
    assert p.extends == "specialized_sme@2022-63" and p.file == "gd.yaml"


def test_load_policy_reads_a_variant_by_path():
    p = load_policy(EXAMPLES / GD_FILE)
    assert p.id == "specialized_sme_guangdong" and p.scores.pass_ == 70


# --- errors ----------------------------------------------------------------------------------

def test_an_unknown_base_is_named_with_a_suggestion_and_the_candidates(tmp_path):
    path = _variant(tmp_path, HEAD.replace("extends: vbase", "extends: vbsae"))
    e = _error(path)
    assert (e.file, e.line) == (str(path), 2)
    assert "unknown policy 'vbsae'" in e.message and "did you mean 'vbase'" in e.message
    assert "vbase" in e.message.split("expected one of", 1)[1] and "specialized_sme" in e.message


def test_an_unknown_pinned_version_lists_the_versions(tmp_path):
    e = _error(_variant(tmp_path, HEAD.replace("extends: vbase", "extends: vbase@v9")))
    assert e.line == 2 and "no version 'v9'" in e.message and "v2" in e.message


def test_a_cycle_of_extends_is_named():
    with pytest.raises(PolicyError) as e:
        load_library(HERE / "cycle")
    assert "cycle: ca.yaml → cb.yaml → ca.yaml" in str(e.value)
    assert e.value.file == str(HERE / "cycle" / "cb.yaml") and e.value.line == 3


def test_dropping_an_id_the_base_lacks_is_an_error_at_its_line(tmp_path):
    path = _variant(tmp_path, HEAD + "drop:\n  rules: [sme, awrd]\n")
    e = _error(path)
    assert (e.file, e.line) == (str(path), 6)
    assert "has no rule 'awrd'" in e.message and "did you mean 'award'" in e.message


def test_a_merge_that_breaks_an_inherited_reference_names_the_base_item(tmp_path):
    path = _variant(tmp_path, HEAD + "drop:\n  variables: [growth]\n")
    e = _error(path)
    assert (e.file, e.line) == (str(path), 5)                          # the drop: line
    assert "points table growth_points" in e.message and "unknown name 'growth'" in e.message
    assert f"{tmp_path / 'vbase.yaml'}:{_line_with(LIB_DIR / 'vbase.yaml', 'of: growth')}" in e.message


def test_dropping_a_rule_still_referenced_fails_naming_the_rule_that_refers_to_it(tmp_path):
    e = _error(_variant(tmp_path, HEAD + "drop:\n  rules: [award]\n"))
    assert e.line == 5 and "rule direct_any" in e.message and "unknown rule 'award'" in e.message


def test_an_error_in_the_variants_own_rule_cites_its_line(tmp_path):
    path = _variant(tmp_path, HEAD + "rules:\n  - id: rd_min\n    when: \"rd_expenditre >= 1\"\n"
                                     "    source: \"x [U]\"\n")
    e = _error(path)
    assert (e.file, e.line) == (str(path), 7)
    assert e.message.startswith("rules[0].when:") and "did you mean 'rd_expenditure'" in e.message


def test_an_unknown_key_of_the_variant_cites_its_line(tmp_path):
    e = _error(_variant(tmp_path, HEAD + "scroes:\n  pass: 70\n"))
    assert e.line == 6 and "unknown field `scroes`" in e.message


def test_a_variant_must_state_its_version_and_source(tmp_path):
    e = _error(_variant(tmp_path, "id: vx\nextends: vbase\n"))
    assert e.line == 2 and "`version`, `source`" in e.message


def test_an_id_both_dropped_and_stated_is_an_error(tmp_path):
    e = _error(_variant(tmp_path, HEAD + "drop:\n  rules: [rd_min]\nrules:\n  - {id: rd_min, when: \"is_sme\", "
                                         "source: \"x [U]\"}\n"))
    assert e.line == 8 and "both dropped" in e.message


def test_drop_without_extends_is_an_error(tmp_path):
    e = _error(_variant(tmp_path, "id: vx\ndrop:\n  rules: [sme]\n"))
    assert e.line == 2 and "expected `extends" in e.message


def test_version_overlap_applies_to_the_merged_policy(tmp_path):
    _variant(tmp_path, 'id: vbase\nextends: vbase@v2\nversion: "prov"\nsource: "p [U]"\n', name="vbase@prov.yaml")
    with pytest.raises(PolicyError) as e:
        load_library(tmp_path)
    assert "overlaps version" in str(e.value)


def test_library_reference_checks_apply_to_the_merged_policy(tmp_path):
    _variant(tmp_path, HEAD + "requires: [atlantis]\n")
    with pytest.raises(PolicyError) as e:
        load_library(tmp_path)
    assert e.value.file == str(tmp_path / "vx.yaml") and "unknown policy 'atlantis'" in e.value.message


# --- evaluation ------------------------------------------------------------------------------

def _firm(uscc, rd, revenue=1e8, prev_revenue=9e7, **ent):
    """revenue 1亿 after 9000万: growth 11 % → 30 points; rd / revenue sets the other points."""
    e = {"uscc": uscc, "is_sme": True, "is_high_tech": False, "st_award_level": "none", **ent}
    return e, [{"uscc": uscc, "year": Y, "revenue": revenue, "rd_expenditure": rd, "new_equity_financing": 0.0},
               {"uscc": uscc, "year": Y - 1, "revenue": prev_revenue}]


def _verdicts(policy, firms, lib):
    ents = [f[0] for f in firms]
    inds = [r for f in firms for r in f[1]]
    t = evaluate(tables_from_rows(ents, inds), policy, year=Y, library=lib).to_pyarrow().to_pylist()
    return {r["uscc"]: (r["verdict"], r["score"]) for r in t}


def test_the_variant_changes_the_verdict_only_where_its_threshold_or_rule_decides(lib, base, prov):
    firms = [_firm("S65", 3e6),                            # 35 + 30 = 65: ≥ 60, < 70
             _firm("S80", 5e6),                            # 50 + 30 = 80: passes both
             _firm("HT", 1.5e6, is_high_tech=True)]        # direct route; R&D ≥ 100万, < 200万
    national, province = _verdicts(base, firms, lib), _verdicts(prov, firms, lib)
    assert national["S65"] == ("eligible", 65) and province["S65"] == ("not_eligible", 65)
    assert national["S80"] == province["S80"] == ("eligible", 80)
    assert national["HT"][0] == "eligible" and province["HT"][0] == "not_eligible"


# 专精特新 (the shipped file and the Guangdong example): every decidable point at its top band but
# the R&D institution (0) and the R&D staff (5 % → 1): 66 decidable points; the field (0–5) and
# the 特色化 block (0–15) stay unknown
GD_ENT = {"is_sme": True, "on_abnormal_list": False, "major_incident_3y": False, "niche_start_year": Y - 10,
          "st_award_level": "none", "digital_level": 3, "quality_award_level": "provincial",
          "certifications": "ISO9001", "own_brand": True, "standards_drafted": 1, "rd_institution_level": "none"}
GD_CUR = {"revenue": 5e7, "rd_expenditure": 5e6, "main_revenue": 4.5e7, "net_profit": 6e6, "total_assets": 1e8,
          "total_liabilities": 4e7, "ip_class1_high_value": 1, "ip_class1": 1, "ip_class2": 0, "rd_staff": 5,
          "employees": 100, "new_equity_financing": 0.0}
GD_PREV = {"revenue": 4e7, "rd_expenditure": 5e6, "main_revenue": 4e7, "new_equity_financing": 0.0}
GD_PREV2 = {"revenue": 3.5e7, "rd_expenditure": 4e6, "main_revenue": 3.5e7, "new_equity_financing": 0.0}


def _sme_tables(firms: dict) -> dict:
    """``{uscc: (enterprise overrides, current-year indicator overrides)}`` → warehouse tables."""
    ents, inds = [], []
    for uscc, (ent, cur) in firms.items():
        ents.append({"uscc": uscc, **GD_ENT, **ent})
        inds += [{"uscc": uscc, "year": Y, **GD_CUR, **cur}, {"uscc": uscc, "year": Y - 1, **GD_PREV},
                 {"uscc": uscc, "year": Y - 2, **GD_PREV2}]
    return tables_from_rows(ents, inds)


@pytest.fixture(scope="module")
def gd():
    return load_library(EXAMPLES)


def _sme_rows(tables, policy, lib):
    return {r["uscc"]: r for r in evaluate(tables, policy, year=Y, library=lib).to_pyarrow().to_pylist()}


def test_the_guangdong_example_raises_the_pass_mark_to_70(gd):
    p = gd["specialized_sme_guangdong"]
    assert p.scores.pass_ == 70 and p.extends == "specialized_sme@2022-63"
    assert [str(c) for c in p.changes] == ["replaced name_zh", "replaced name_en", "replaced issuer",
                                           "added applies_to", "dropped not_decidable provincial_pass_mark",
                                           "replaced scores"]
    assert "[C-3p]" in p.source and "Guangdong policy tool" in p.source and "[C-3p]" in p.scores.source


def test_66_points_pass_the_national_mark_but_not_guangdongs(gd):
    tables = _sme_tables({"P66": ({}, {}), "P70": ({"rd_institution_level": "municipal"}, {})})  # municipal: + 4
    nat = _sme_rows(tables, load_policy("specialized_sme"), load_library())
    prov = _sme_rows(tables, gd["specialized_sme_guangdong"], gd)
    assert nat["P66"]["score_min"] == prov["P66"]["score_min"] == 66
    assert nat["P66"]["verdict"] == "eligible" and nat["P66"]["route"] == "score"
    # 66 < 70, but the 20 unknown points could still lift it: not eligible is never guessed
    assert prov["P66"]["verdict"] == "unknown"
    assert prov["P70"]["score_min"] == 70                                # exactly at the mark: passes
    assert nat["P70"]["verdict"] == prov["P70"]["verdict"] == "eligible"


def test_a_firm_whose_best_case_misses_70_is_not_eligible_in_guangdong_but_unknown_nationally(gd):
    # 66 − digital 5 − quality 5 − niche (2 years: 1 point, not 5) 4 − net margin (4 %: 4, not 10) 6 = 46;
    # with the 20 unknown points at most 66: may reach 60, cannot reach 70
    tables = _sme_tables({"P46": ({"digital_level": 1, "quality_award_level": "none", "certifications": "",
                                   "own_brand": False, "standards_drafted": 0, "niche_start_year": Y - 2},
                                  {"net_profit": 2.1e6})})
    nat = _sme_rows(tables, load_policy("specialized_sme"), load_library())["P46"]
    prov = _sme_rows(tables, gd["specialized_sme_guangdong"], gd)["P46"]
    assert (nat["score_min"], nat["score_max"]) == (prov["score_min"], prov["score_max"]) == (46, 66)
    assert nat["verdict"] == "unknown" and prov["verdict"] == "not_eligible"


# --- explanations ----------------------------------------------------------------------------

def test_the_explanation_cites_the_variant_for_the_changed_part_and_the_base_for_the_rest(lib, prov):
    e, inds = _firm("S65", 3e6)
    tables = tables_from_rows([e], inds)
    tree = explain(tables, prov, uscc="S65", year=Y, library=lib)
    assert tree["verdict"] == "not_eligible"
    assert tree["policy"]["extends"] == "vbase@v2" and "replaced scores" in tree["policy"]["changes"]
    rules = {r["id"]: r for r in tree["rules"]}
    prov_file, base_file = str(LIB_DIR / "vprov.yaml"), str(LIB_DIR / "vbase.yaml")
    assert rules["rd_min"]["origin"] == f"{prov_file}:{prov.line_of('rules', 1)}"
    assert rules["sme"]["origin"] == f"{base_file}:{prov.line_of('rules', 0)}"
    assert tree["scores"]["origin"].startswith(prov_file + ":")
    text = render(tree, lang="en")
    assert f"[province art. 4 [U] · {prov_file}:{prov.line_of('rules', 1)}]" in text
    assert f"[base art. 7 [U] · {base_file}:{prov.line_of('rules', 0)}]" in text
    assert "(pass 70): " in text and f"[province art. 3 (pass mark 70) [U] · {prov_file}:" in text
    assert "Extends: vbase@v2" in text and "dropped rules award" in text
    assert "继承：vbase@v2" in render(tree, lang="zh")
    assert [n["origin"] for n in tree["not_decidable"]] == [f"{base_file}:{prov.origin_of('not_decidable', 0)[1]}"]


def test_the_guangdong_explanation_cites_its_pass_mark_and_the_national_file(gd):
    tables = _sme_tables({"P66": ({}, {})})
    p = gd["specialized_sme_guangdong"]
    text = render(explain(tables, p, uscc="P66", year=Y, library=gd), lang="zh")
    assert "（及格 70）" in text and f"· {EXAMPLES / GD_FILE}:{p.origin_of('scores')[1]}〕" in text
    niche = next(i for i, r in enumerate(p.rules) if r.id == "niche_2y")
    assert f"· zhizao/methods/policies/specialized_sme.yaml:{p.origin_of('rules', niche)[1]}〕" in text
    assert "结论：无法判定" in text


def test_the_explanation_of_a_policy_without_extends_cites_no_files(lib, base):
    e, inds = _firm("S65", 3e6)
    tree = explain(tables_from_rows([e], inds), base, uscc="S65", year=Y, library=lib)
    assert tree["rules"][0]["origin"] == f"{LIB_DIR / 'vbase.yaml'}:{base.line_of('rules', 0)}"
    assert "extends" not in tree["policy"]
    text = render(tree, lang="en")
    assert "vbase.yaml" not in text and "[base art. 7 [U]]" in text and "Extends" not in text


# --- CLI -------------------------------------------------------------------------------------

runner = CliRunner(env={"COLUMNS": "250"})


def test_policy_list_marks_a_variant_with_what_it_extends():
    result = runner.invoke(policy_app, ["list", "--library", str(LIB_DIR)])
    assert result.exit_code == 0, result.output
    assert "(extends vbase@v2)" in result.output and "(extends vbase@v1)" in result.output
    assert "(extends specialized_sme@2022-63)" in result.output


def test_policy_show_of_a_variant_names_the_base_the_changes_and_each_items_file():
    result = runner.invoke(policy_app, ["show", "specialized_sme_guangdong", "--library", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "继承 extends: specialized_sme@2022-63 (zhizao/methods/policies/specialized_sme.yaml)" in out
    assert "dropped not_decidable provincial_pass_mark" in out and "replaced scores" in out
    assert "及格 pass ≥ 70" in out and f"{EXAMPLES / GD_FILE}:" in out
    assert "zhizao/methods/policies/specialized_sme.yaml:" in out and "文件 file" in out


def test_policy_show_of_an_ordinary_policy_has_no_file_column():
    result = runner.invoke(policy_app, ["show", "vbase", "--library", str(LIB_DIR)])
    assert result.exit_code == 0, result.output
    assert "文件 file" not in result.output and "继承 extends" not in result.output


def test_policy_list_of_a_folder_with_a_broken_variant_fails_with_its_file_and_line(tmp_path):
    _variant(tmp_path, HEAD.replace("extends: vbase", "extends: vbsae"))
    result = runner.invoke(policy_app, ["list", "--library", str(tmp_path)])
    assert result.exit_code == 1 and "vx.yaml:2: extends: unknown policy 'vbsae'" in result.output
