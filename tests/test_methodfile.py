"""One loader for every method file (zhizao.methodfile): shipped files load, and every problem is a
MethodError with the file, the line, the field path, what was expected and a did-you-mean.

The broken files are made from the shipped ones at test time (their lines are looked up, not
written down), so the tests hold while the shipped files change."""

from __future__ import annotations

import hashlib
import re

import pytest
from pydantic import BaseModel, ValidationError

from zhizao import methodfile
from zhizao.errors import MethodError
from zhizao.methodfile import KINDS, fingerprint

#: A top-level key of each kind's shipped default file whose value is text.
KEY = {"land": "name_zh", "lowland": "name_zh", "targets": "name_zh", "clusters": "name_zh", "tiers": "name_zh",
       "diagnosis": "name_zh", "calibration": "province", "policy": "name_zh"}
DEFAULT_ID = {k.name: k.default or "above_scale" for k in KINDS.values()}
KIND_NAMES = sorted(KINDS)


def _shipped_text(kind: str) -> str:
    k = KINDS[kind]
    return (k.directory / f"{DEFAULT_ID[kind]}.yaml").read_text(encoding="utf-8")


def _line_of(text: str, key: str) -> int:
    """1-based line of the top-level ``key:``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(f"{key}:"))


def _replace_key_line(text: str, key: str, new: str) -> str:
    return re.sub(rf"^{key}:.*$", new, text, count=1, flags=re.M)


def _error(kind: str, text: str) -> MethodError:
    origin = f"methods/{DEFAULT_ID[kind]}.yaml"
    with pytest.raises(MethodError) as e:
        methodfile.parse(kind, text, origin=origin)
    assert e.value.file == origin
    return e.value


def test_every_kind_of_the_issue_is_registered():
    assert set(KINDS) == {"land", "lowland", "targets", "clusters", "tiers", "diagnosis", "calibration", "policy"}


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_the_shipped_default_file_loads_as_its_model(kind):
    m = methodfile.load(kind, DEFAULT_ID[kind])
    assert isinstance(m, methodfile.MethodModel)
    assert DEFAULT_ID[kind] in methodfile.available(kind)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_the_fingerprint_of_a_shipped_file_is_the_hash_of_its_bytes(kind):
    k = KINDS[kind]
    raw = (k.directory / f"{DEFAULT_ID[kind]}.yaml").read_bytes()
    f = fingerprint(methodfile.load(kind, DEFAULT_ID[kind]))
    assert f.sha256 == hashlib.sha256(raw).hexdigest()
    assert f.file == f"zhizao/methods/{k.folder}/{DEFAULT_ID[kind]}.yaml"


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_file_read_from_a_path_records_the_path_and_the_hash_of_its_bytes(kind, tmp_path):
    text = _shipped_text(kind)
    f = tmp_path / f"{DEFAULT_ID[kind]}.yaml"
    f.write_bytes(text.encode("utf-8"))
    m = methodfile.load(kind, f)
    assert fingerprint(m).sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert fingerprint(m).file == str(f)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_an_unknown_field_gives_file_line_and_did_you_mean(kind):
    text = _shipped_text(kind)
    key = KEY[kind]
    line = _line_of(text, key)
    e = _error(kind, text.replace(f"\n{key}:", f"\n{key}x:", 1))
    assert e.line == line
    assert f"{e.file}:{line}: {key}x: unknown field `{key}x` (did you mean `{key}`?)" in str(e)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_wrong_type_gives_file_line_and_what_was_expected(kind):
    text = _shipped_text(kind)
    key = KEY[kind]
    line = _line_of(text, key)
    e = _error(kind, _replace_key_line(text, key, f"{key}: [1, 2]"))
    assert e.line == line
    assert f"{e.file}:{line}: {key}: expected a valid string" in str(e)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_invalid_yaml_gives_its_line(kind):
    text = _shipped_text(kind)
    key = KEY[kind]
    line = _line_of(text, key)
    e = _error(kind, _replace_key_line(text, key, f"{key}: a: b"))
    assert e.line == line
    assert f"{e.file}:{line}: not valid YAML: mapping values are not allowed here" in str(e)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_repeated_key_gives_both_lines(kind):
    text = _shipped_text(kind)
    key = KEY[kind]
    line = _line_of(text, key)
    e = _error(kind, _replace_key_line(text, key, f"{key}: one\n{key}: two"))
    assert e.line == line + 1
    assert f"{e.file}:{line + 1}: key '{key}' appears twice in one mapping (first on line {line})" in str(e)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_file_that_is_not_a_mapping_says_so(kind):
    e = _error(kind, "- a\n- b\n")
    assert e.line == 1 and "must be a mapping" in str(e)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_an_unknown_shipped_id_gives_did_you_mean(kind):
    wrong = DEFAULT_ID[kind] + "q"
    with pytest.raises(MethodError, match=rf"no shipped {KINDS[kind].en} {wrong!r} \(did you mean "
                                          rf"{DEFAULT_ID[kind]!r}\?\)"):
        methodfile.load(kind, wrong)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_a_missing_file_is_a_method_error_naming_the_path(kind, tmp_path):
    f = tmp_path / "absent.yaml"
    with pytest.raises(MethodError) as e:
        methodfile.load(kind, f)
    assert e.value.file == str(f) and str(f) in str(e.value)


_BROKEN = {
    "unknown field": lambda t, k: t.replace(f"\n{k}:", f"\n{k}_typo:", 1),
    "wrong type": lambda t, k: _replace_key_line(t, k, f"{k}: {{a: 1}}"),
    "missing field": lambda t, k: _replace_key_line(t, k, ""),
    "empty file": lambda t, k: "",
    "a list": lambda t, k: "[1, 2]\n",
}


@pytest.mark.parametrize("kind", KIND_NAMES)
@pytest.mark.parametrize("broken", sorted(_BROKEN))
def test_no_raw_pydantic_or_yaml_error_escapes_the_loader(kind, broken, tmp_path):
    f = tmp_path / f"{DEFAULT_ID[kind]}.yaml"
    f.write_text(_BROKEN[broken](_shipped_text(kind), KEY[kind]), encoding="utf-8")
    with pytest.raises(Exception) as e:
        methodfile.load(kind, f)
    assert isinstance(e.value, MethodError) and not isinstance(e.value, ValidationError)
    assert e.value.__cause__ is None and (e.value.line is not None or broken == "empty file")
    assert "validation error for" not in str(e.value) and "errors.pydantic.dev" not in str(e.value)
    assert e.value.zh and e.value.en and e.value.to_dict()["where"].startswith(str(f))


def test_a_problem_below_a_model_cites_the_line_of_the_field_itself():
    text = _shipped_text("land")
    shares = re.search(r"^ *shares: \{A: (0\.\d+)", text, flags=re.M)       # the quota shares, A first
    line = text[:shares.start()].count("\n") + 1
    e = _error("land", text[:shares.start(1)] + "0.9" + text[shares.end(1):])
    assert e.line == line and len(e.errors) == 1                    # an anchor: said once, at its line
    assert re.search(r"\.classing\.shares( \(the same lines .*\))?: quota shares must add up to 1", e.en)


def test_union_alternatives_are_said_as_one_expectation():
    text = "id: t\nname_zh: t\nname_en: t\nprovince: '330000'\nsource: s\nclusters:\n" \
           "  - {id: a, name_zh: a, name_en: a, regions: 5, source: s, unmapped: x}\n"
    e = _error("clusters", text)
    assert e.line == 7 and e.errors == [(7, "clusters[0].regions: expected a valid list or 'all' (got 5)")]


def test_an_unknown_choice_gives_did_you_mean():
    text = "id: t\nname_zh: t\nname_en: t\nprovince: '330000'\nsource: s\nclusters:\n" \
           "  - {id: a, name_zh: a, name_en: a, source: s, unmapped: x, tier_claimed: worldclass}\n"
    e = _error("clusters", text)
    assert "(got 'worldclass'; did you mean 'world_class'?)" in str(e)


def test_the_error_has_both_languages_and_lists_every_problem():
    e = _error("tiers", "id: t\nname_zh: t\nname_en: t\nsource: s\nscaling: {kind: none, sorce: s}\n")
    assert e.zh.startswith("集群梯度标准文件 methods/tiers-zhejiang.yaml 第 5 行有误：scaling.sorce：未知字段")
    assert e.en.startswith("methods/tiers-zhejiang.yaml:5: scaling.sorce: unknown field `sorce` "
                           "(did you mean `source`?): expected one of kind, reference, unit, source")
    assert [line for line, _ in e.errors] == [5, 5, 1]       # sorce, then source and tiers missing


def test_a_policy_error_is_the_one_method_error():
    from zhizao.policy import PolicyError

    with pytest.raises(PolicyError) as e:
        methodfile.parse("policy", "id: x\nname_zh: a: b\n", origin="p/x.yaml")
    assert isinstance(e.value, MethodError) and str(e.value) == "p/x.yaml:2: not valid YAML: mapping values are not " \
                                                                "allowed here"


def test_the_package_method_errors_are_the_one_class():
    from zhizao import clusters, land

    assert land.MethodError is MethodError and clusters.MethodError is MethodError


def test_a_model_already_validated_is_returned_as_it_is():
    m = methodfile.load("land", "shandong")
    assert methodfile.load("land", m) is m
    with pytest.raises(TypeError, match="LandMethod"):
        methodfile.load("land", methodfile.load("tiers"))


def test_shipped_files_are_read_once():
    assert methodfile.load("diagnosis") is methodfile.load("diagnosis", "diagnosis-default")


def test_kinds_sharing_a_folder_list_only_their_own_files():
    assert methodfile.available("targets") == ["targets-zhejiang"]
    assert "targets-zhejiang" not in methodfile.available("lowland")
    others = methodfile.available("tiers") + methodfile.available("diagnosis")
    assert not set(methodfile.available("clusters")) & set(others)


def test_a_target_plan_with_another_share_is_fingerprinted_by_its_content():
    from zhizao.errors import InvalidInput
    from zhizao.land.redevelop import load_targets

    plan = load_targets(share=0.1)
    assert plan.share == 0.1 and fingerprint(plan).sha256 != fingerprint(load_targets()).sha256
    with pytest.raises(InvalidInput, match="share 2"):
        load_targets(share=2)


def test_every_method_model_derives_from_the_base_model():
    for k in KINDS.values():
        assert issubclass(k.model_class, methodfile.MethodModel) and issubclass(k.model_class, BaseModel)


def test_a_yaml_anchor_read_at_several_places_is_reported_once_at_its_line():
    text = ("id: t\nname_zh: t\nname_en: t\nsource: s\n"
            "x-cond: &c {metric: revenue, op: '>=', value: 1, sorce: s}\n"
            "scaling: {kind: none, source: s}\ntiers:\n"
            "  - {id: provincial, name_zh: a, name_en: b, rules: [{id: r, source: s, conditions: [*c]}]}\n"
            "  - {id: new_star, name_zh: a, name_en: b, rules: [{id: r, source: s, conditions: [*c]}]}\n")
    e = _error("tiers", text)
    assert [line for line, _ in e.errors] == [5, 5]       # sorce unknown, source missing: once each
    assert e.errors[0][1].startswith("tiers[0].rules[0].conditions[0].sorce (the same lines are read as "
                                     "tiers[1].rules[0].conditions[0].sorce too): unknown field `sorce`")
