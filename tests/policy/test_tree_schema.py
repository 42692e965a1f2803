"""The declared schema of the explanation document (zhizao.policy.tree): every tree ``explain()``
and every gap ``gap()`` produce validates against ``ExplanationTree`` / ``GapReport``.

Documents: every policy version of the shipped library, of the province variant under
examples/policies and of the test libraries (tests/policy/fixtures_variants/lib, fixtures_p3,
fixtures/lib), each evaluated once on the shared synthetic province (``province`` of
tests/conftest.py; a hand-built ``result_land_evaluation`` for the policies that read the land
lever, as test_library_land_differential_price does) and explained for the first enterprises of
each verdict from that evaluation; plus ``KINDS_POLICY`` below, a small policy on hand-built firms
for the kinds no policy file has (``at_least`` and ``not`` rules, a conflict, a rule+score route).
A coverage test checks that together they exercise every kind the schema declares, and negative
tests that an extra key, a missing key or a wrong literal fails (so the schema cannot pass
vacuously).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import typing
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import typing_extensions
from pydantic import ValidationError

from tests.policy.conftest import tables_from_rows
from zhizao.policy import evaluate, evaluate_many, load_library, parse_policy
from zhizao.policy import tree as T
from zhizao.policy.explain import enterprise_inputs, explain
from zhizao.policy.gap import gap
from zhizao.policy.tree import validate_explanation, validate_gap

Y = 2024
HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples" / "policies"
#: name → library folder (None: the shipped library)
LIBRARIES = {"shipped": None, "examples": EXAMPLES, "variants": HERE / "fixtures_variants" / "lib",
             "p3": HERE / "fixtures_p3", "fixtures": HERE / "fixtures" / "lib"}
PER_VERDICT = 2                       # enterprises explained per policy and verdict
VERDICTS = ("eligible", "not_eligible", "unknown", "conflict")


# --- the documents ---------------------------------------------------------------------------------
def _land(usccs: list[str]) -> pa.Table:
    """A hand-built land evaluation (both methods the library reads, three years): classes cycled
    over the enterprises, some not graded, some not evaluated (→ unknown)."""
    rows = []
    for i, u in enumerate(usccs):
        if i % 11 == 0:
            continue
        for method in ("shandong", "zhejiang-county-default"):
            for y in (Y - 2, Y - 1, Y):
                c = None if i % 13 == 0 else "ABCD"[(i + (y if i % 2 else 0)) % 4]
                rows.append({"uscc": u, "year": y, "method_id": method, "land_class": c, "graded": c is not None})
    schema = pa.schema([("uscc", pa.string()), ("year", pa.int64()), ("method_id", pa.string()),
                        ("land_class", pa.string()), ("graded", pa.bool_())])
    return pa.Table.from_pylist(rows, schema=schema)


def _year_of(p) -> int:
    """The evaluation year of a version: ``Y`` when it covers it, else its last year."""
    return Y if p.covers(Y) else min(Y, p.valid_to.year)


def _explained(tables: dict, lib, versions: list, evs: dict, inputs: dict, per_verdict: int) -> list[dict]:
    """The first ``per_verdict`` enterprises of each verdict of each version, explained (and their gap)."""
    out = []
    for p in versions:
        year = _year_of(p)
        ev = evs[p.id, str(p.version)]
        for verdict in VERDICTS:
            for u in sorted(ev.filter(pc.equal(ev["verdict"], verdict))["uscc"].to_pylist())[:per_verdict]:
                required = {}
                for q in p.required_policies:
                    qev = evs.get((q, str(lib.get(q, year=year).version)))
                    r = qev.filter(pc.equal(qev["uscc"], u)) if qev is not None else None
                    required[q] = r["verdict"][0].as_py() if r is not None and r.num_rows else None
                if (u, year) not in inputs:
                    inputs[u, year] = enterprise_inputs(tables, u, year)
                tree = explain(tables if p.inputs else None, p, uscc=u, year=year, library=lib,
                               evaluation=ev.filter(pc.equal(ev["uscc"], u)), inputs=inputs[u, year],
                               required=required)
                out.append({"label": f"{p.id}@{p.version} {u} {verdict}", "tree": tree, "gap": gap(tree, p)})
    return out


def _evaluate(tables: dict, lib, versions: list) -> dict:
    """(id, version) → evaluation (pyarrow): the versions valid in ``Y`` in one ``evaluate_many``."""
    now = evaluate_many(tables, [p for p in versions if p.covers(Y)], year=Y, library=lib)
    evs = {}
    for p in versions:
        ev = now[p.id] if p.covers(Y) else evaluate(tables, p, year=_year_of(p), library=lib)
        evs[p.id, str(p.version)] = ev.to_pyarrow()
    return evs


@pytest.fixture(scope="module")
def province_tables(province):
    tables = {k: ibis.memtable(province[k]) for k in ("enterprises", "indicators")}
    tables["result_land_evaluation"] = ibis.memtable(_land(sorted(province["enterprises"]["uscc"].to_pylist())))
    return tables


@pytest.fixture(scope="module")
def documents(province_tables) -> dict[str, list[dict]]:
    """Library name → its explained documents (``label``, ``tree``, ``gap``)."""
    inputs: dict = {}
    out = {}
    for name, folder in LIBRARIES.items():
        lib = load_library(folder) if folder is not None else load_library()
        versions = [v for pid in lib for v in lib.versions(pid)]
        evs = _evaluate(province_tables, lib, versions)
        out[name] = _explained(province_tables, lib, versions, evs, inputs, PER_VERDICT)
    out["kinds"] = _kinds_documents()
    return out


# A policy for the kinds no policy file has: at_least and not rules, a conflict of exceptions, a route
# of a rule and the score; and a failed `or` (options of an expression), a fixed rule, a budget.
KINDS_POLICY = """
id: schema_kinds
version: "1"
name_zh: 结构测试政策
name_en: schema test policy
source: "schema test [U]"
valid_from: 2020-01-01
variables:
  rd_ratio: {expr: "rd_expenditure / revenue", unit: share, name_zh: 研发强度, source: "s1 [U]"}
points:
  - {id: rd_points, of: rd_ratio, bands: [[0.03, 30], [0.01, 10], [null, 0]], dimension: innovation, source: "s2 [U]"}
  - {id: brand_points, cases: [{when: own_brand, points: 20}, {else: 0}], dimension: innovation, source: "s3 [U]"}
scores:
  dimensions: {innovation: {name_zh: 创新, max: 50, min: 20}}
  pass: 40
  source: "s4 [U]"
rules:
  - id: sme
    when: is_sme
    source: "s5 [U]"
    exceptions:
      - {id: too_big, when: "employees >= 300", outcome: false, source: "s6 [U]"}
      - {id: high_tech, when: is_high_tech, outcome: true, source: "s7 [U]"}
  - {id: big_enough, when: "revenue >= 10000000 or employees >= 50", source: "s8 [U]"}
  - {id: abnormal, when: on_abnormal_list, source: "s9 [U]"}
  - {id: not_abnormal, not: abnormal, source: "s10 [U]"}
  - {id: established, when: "years_since(registered_on) >= 2", changeable: false, source: "s11 [U]"}
  - {id: brand, when: own_brand, source: "s12 [U]"}
  - {id: high_tech, when: is_high_tech, source: "s13 [U]"}
  - {id: rd_large, when: "rd_expenditure >= 500000", source: "s14 [U]"}
  - {id: two_of_three, at_least: {k: 2, of: [brand, high_tech, rd_large]}, source: "s15 [U]"}
eligibility:
  all: [sme, big_enough, not_abnormal, established]
  routes:
    - {id: both, rule: two_of_three, score: true, name_zh: 双重}
    - {id: score, score: true, name_zh: 评分}
benefit: {amount: "rd_expenditure * 0.1", cap: 100000, source: "s16 [U]"}
budget: {total: 200000, order: "score desc", source: "s17 [U]"}
"""
_BASE_ENT = {"is_sme": True, "on_abnormal_list": False, "is_high_tech": True, "own_brand": True,
             "registered_on": dt.date(2015, 1, 1)}
_BASE_IND = {"revenue": 20_000_000.0, "employees": 80, "rd_expenditure": 800_000.0}
#: key → (enterprise changes, indicator changes)
KINDS_FIRMS = {
    "OK": ({}, {}),                                                            # eligible by both routes
    "CONFLICT": ({}, {"employees": 400}),                                      # too_big and high_tech: conflict
    "NEAR": ({"is_high_tech": False, "own_brand": False},                      # floor holds, routes fail:
             {"rd_expenditure": 150_000.0}),                                   #   climbs and options
    "FAIL": ({"is_high_tech": False, "registered_on": dt.date(2024, 1, 1)},    # or fails, fixed age, not rule
             {"revenue": 5_000_000.0, "employees": 10, "rd_expenditure": 100_000.0}),
    "ABNORMAL": ({"on_abnormal_list": True}, {}),                              # the not rule fails
    "NODATA": ({}, {"revenue": None, "rd_expenditure": None}),                 # unknown
}


def _kinds_documents() -> list[dict]:
    p = parse_policy(KINDS_POLICY, origin="schema_kinds.yaml")
    ents = [{"uscc": f"K{k}", **_BASE_ENT, **e} for k, (e, _) in KINDS_FIRMS.items()]
    inds = [{"uscc": f"K{k}", "year": Y, **_BASE_IND, **i} for k, (_, i) in KINDS_FIRMS.items()]
    tables = tables_from_rows(ents, inds)
    ev = evaluate(tables, p, year=Y).to_pyarrow()
    out = []
    for k in KINDS_FIRMS:
        tree = explain(tables, p, uscc=f"K{k}", year=Y, evaluation=ev)
        out.append({"label": f"{p.id} K{k} {tree['verdict']}", "tree": tree, "gap": gap(tree, p)})
    return out


# --- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("library", [*LIBRARIES, "kinds"])
def test_every_explanation_and_gap_validates_against_the_declared_schema(documents, library):
    docs = documents[library]
    assert docs
    for d in docs:
        try:
            assert validate_explanation(d["tree"]) is d["tree"]
            assert validate_gap(d["gap"]) is d["gap"]
            # what the web API sends: the JSON form validates the same
            validate_explanation(json.loads(json.dumps(d["tree"], ensure_ascii=False)))
            validate_gap(json.loads(json.dumps(d["gap"], ensure_ascii=False)))
        except ValidationError as e:
            pytest.fail(f"{library}: {d['label']}: {e}")


def test_every_policy_version_of_every_library_is_explained(documents):
    lib = load_library()
    labels = {d["label"].split()[0] for d in documents["shipped"]}
    assert labels == {f"{v.id}@{v.version}" for pid in lib for v in lib.versions(pid)}
    for name in ("examples", "variants", "p3", "fixtures"):
        lib = load_library(LIBRARIES[name])
        assert {d["label"].split()[0].split("@")[0] for d in documents[name]} == set(lib)


def _kinds_seen(documents) -> set[tuple[str, str]]:
    """What the documents exercise, as (where, kind) pairs."""
    seen: set[tuple[str, str]] = set()

    def terms(t):
        seen.add(("term", t["kind"]))
        for c in t.get("children", []):
            terms(c)

    def changes(cs):
        for c in cs:
            kind = c["kind"] + ("(rules)" if c["kind"] == "options" and "need" in c else "")
            seen.add(("change", kind))
            if c["kind"] == "threshold" and c["hint"] is not None:
                seen.add(("change", "threshold+hint"))
            if c["kind"] == "options":
                for o in c["options"]:
                    changes(o["changes"] if isinstance(o, dict) else o)

    for d in (x for docs in documents.values() for x in docs):
        tree, g = d["tree"], d["gap"]
        seen.add(("verdict", tree["verdict"]))
        if "extends" in tree["policy"]:
            seen.add(("policy", "variant"))
        seen |= {("points", p["kind"]) for p in tree["points"]}
        seen |= {("route", r["kind"]) for r in tree["eligibility"]["routes"]}
        for r in tree["rules"]:
            seen.add(("rule", r["kind"]))
            if r["kind"] == "when":
                terms(r["terms"])
            if r["exceptions"]:
                seen.add(("rule", "exceptions"))
            if any(e["decided"] for e in r["exceptions"]):
                seen.add(("rule", "exception decided"))
        for key in ("scores", "benefit", "budget"):
            if tree[key] is not None:
                seen.add(("tree", key))
        for key in ("requires", "not_decidable", "missing", "conflict", "variables"):
            if tree[key]:
                seen.add(("tree", key))
        if any("origin" in n for n in tree["not_decidable"]):
            seen.add(("not_decidable", "origin"))
        seen.add(("gap", "qualifies" if g["qualifies"] else "reachable" if g["reachable"] else "not reachable"))
        if g["fixed"]:
            seen.add(("gap", "fixed"))
        for f in g["floor"]:
            seen.add(("gap floor", f["status"]))
            changes(f["changes"])
        for r in g["routes"]:
            changes(r["changes"])
            if r["points"] is not None:
                pg = r["points"]
                seen.add(("points gap", "score" if pg["score"] is not None else "no score"))
                if pg["climbs"]:
                    seen |= {("climb", "band" if c["current"] is not None else "case") for c in pg["climbs"]}
                if pg["dimension_deficits"]:
                    seen.add(("points gap", "dimension deficit"))
    return seen


def test_the_documents_exercise_every_kind_the_schema_declares(documents):
    seen = _kinds_seen(documents)
    literal = typing.get_args
    expected = {("verdict", v) for v in literal(T.Verdict)}
    expected |= {("points", k) for k in ("bands", "cases")}
    expected |= {("route", k) for k in literal(T.RouteStep.__annotations__["kind"])}
    expected |= {("rule", k) for k in ("when", "any", "all", "not", "at_least", "exceptions", "exception decided")}
    expected |= {("term", k) for k in ("compare", "and", "or", "not", "term")}
    expected |= {("change", k) for k in ("threshold", "threshold+hint", "missing", "options", "options(rules)",
                                         "policy", "condition")}
    expected |= {("tree", k) for k in ("scores", "benefit", "budget", "requires", "not_decidable", "missing",
                                       "conflict", "variables")}
    expected |= {("policy", "variant"), ("not_decidable", "origin"), ("gap", "qualifies"), ("gap", "reachable"),
                 ("gap", "not reachable"), ("gap", "fixed"), ("gap floor", "fail"), ("gap floor", "unknown"),
                 ("points gap", "score"), ("points gap", "no score"), ("points gap", "dimension deficit"),
                 ("climb", "band"), ("climb", "case")}
    assert expected - seen == set()


# --- the schema is not vacuous ---------------------------------------------------------------------
def _typed_dicts():
    return [v for v in vars(T).values() if isinstance(v, type) and typing_extensions.is_typeddict(v)
            and v.__module__ == T.__name__]


def test_every_typed_dict_forbids_extra_keys_and_has_a_docstring():
    names = {t.__name__ for t in _typed_dicts()}
    assert {"ExplanationTree", "GapReport", "ScoresStep", "PointsGap"} <= names
    for t in _typed_dicts():
        assert t.__pydantic_config__ == {"extra": "forbid"}, t.__name__
        assert t.__doc__ and "\n" not in t.__doc__.strip(), t.__name__


@pytest.fixture(scope="module")
def sample(documents):
    """A not-eligible tree with scores, rules of every kind and a gap with routes (hand-built firm FAIL)."""
    return next(d for d in documents["kinds"] if d["label"].startswith("schema_kinds KFAIL"))


def _fails(validate, doc, where: str):
    with pytest.raises(ValidationError) as e:
        validate(doc)
    assert where in str(e.value), str(e.value)


def test_an_extra_key_fails_at_any_depth(sample):
    tree = copy.deepcopy(sample["tree"])
    tree["note"] = "x"
    _fails(validate_explanation, tree, "note")
    tree = copy.deepcopy(sample["tree"])
    tree["rules"][0]["terms"]["weight"] = 1
    _fails(validate_explanation, tree, "weight")
    tree = copy.deepcopy(sample["tree"])
    tree["policy"]["extends_"] = "x"
    _fails(validate_explanation, tree, "extends_")
    g = copy.deepcopy(sample["gap"])
    g["floor"][0]["changes"][0]["extra"] = True
    _fails(validate_gap, g, "extra")


def test_a_missing_key_fails(sample):
    for path in (("verdict",), ("eligibility", "routes"), ("scores", "pass"), ("policy", "origin")):
        tree = copy.deepcopy(sample["tree"])
        node = tree
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]
        _fails(validate_explanation, tree, path[-1])
    tree = copy.deepcopy(sample["tree"])
    del tree["rules"][0]["status"]
    _fails(validate_explanation, tree, "status")
    g = copy.deepcopy(sample["gap"])
    del g["reachable"]
    _fails(validate_gap, g, "reachable")
    g = copy.deepcopy(sample["gap"])
    del next(r for r in g["routes"] if r["points"] is not None)["points"]["climbs"]
    _fails(validate_gap, g, "climbs")


def test_a_wrong_literal_or_type_fails(sample):
    for mutate, where in ((lambda t: t.update(verdict="eligble"), "verdict"),
                          (lambda t: t["rules"][0].update(status="ok"), "status"),
                          (lambda t: t["rules"][0].update(role="route:direct"), "role"),
                          (lambda t: t["points"][0].update(kind="steps"), "steps"),
                          (lambda t: t["rules"][0]["terms"].update(kind="xor"), "xor"),
                          (lambda t: t.update(year="2024"), "year"),
                          (lambda t: t.update(score="55"), "score")):
        tree = copy.deepcopy(sample["tree"])
        mutate(tree)
        _fails(validate_explanation, tree, where)
    g = copy.deepcopy(sample["gap"])
    g["verdict"] = "maybe"
    _fails(validate_gap, g, "verdict")
    g = copy.deepcopy(sample["gap"])
    g["floor"][0]["changes"][0]["kind"] = "nudge"
    _fails(validate_gap, g, "nudge")


def test_a_variant_key_outside_a_variant_head_and_not_decidable_status_are_checked(documents):
    variant = next(d for d in documents["variants"] if "extends" in d["tree"]["policy"])
    tree = copy.deepcopy(variant["tree"])
    tree["policy"]["changes"] = "replaced scores"             # a list of strings, not a string
    _fails(validate_explanation, tree, "changes")
    tree = copy.deepcopy(variant["tree"])
    tree["not_decidable"][0]["status"] = "checked"
    _fails(validate_explanation, tree, "not_checked")
