"""The policy service operations (``zhizao.services.policy``) on the shared synthetic province
(Zhejiang): region scope, the run another lever must have computed, check / explain / push /
package / reach, the warm cache, and the domain errors."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from zhizao.errors import InvalidInput, MethodError, MissingRun, NotFound
from zhizao.policy.results import EVALUATION, GAP, PACKAGE, REACH, evaluation_table
from zhizao.contract import check_table
from zhizao.services import Service, runs
from zhizao.services import land as svc_land
from zhizao.services import policy as P

YEAR = 2024
ZJ_PRICE = "land_differential_price_zhejiang"


@pytest.fixture(scope="module")
def evaluated(province_db, tmp_path_factory):
    """A copy of the province with the default land evaluation stored (as the demo has it)."""
    path = tmp_path_factory.mktemp("policy-evaluated") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    with Service.open(path) as svc:
        svc_land.evaluate(svc)
    return path


@pytest.fixture(scope="module")
def svc(evaluated):
    """A warm service on the evaluated province (read only)."""
    with Service.open(evaluated, read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def firms(province):
    """Three enterprises with indicators in 2024 and the county with the most enterprises."""
    ind = province["indicators"]
    usccs = ind.filter(pc.equal(ind.column("year"), YEAR)).column("uscc").to_pylist()
    ent = province["enterprises"]
    counties = pc.value_counts(ent.column("region_code")).to_pylist()
    county = max(counties, key=lambda r: r["counts"])["values"]
    return usccs[:3], county


# --- region scope ----------------------------------------------------------------------------------
def test_a_package_lists_other_regions_policies_apart_not_as_not_eligible(svc, firms):
    pkg = P.package(svc, firms[0][0], year=YEAR)
    apart = {e.policy_id for e in pkg.other_region}
    assert apart == {"growth_voucher_shanghai", "land_differential_price"}
    evaluated = {e.policy_id for s in ("qualified", "near", "unknown", "out") for e in pkg.sections[s]}
    assert not apart & evaluated
    assert {"growth_voucher_zhejiang", ZJ_PRICE, "specialized_sme"} <= evaluated
    assert all(e.verdict is None and e.applies_to.startswith(("上海市", "山东省")) for e in pkg.other_region)


def test_a_regional_policy_counts_only_the_enterprises_where_it_applies(svc):
    sh = P.check(svc, "growth_voucher_shanghai", year=YEAR, store=False)
    assert sh.total == 0 and sh.outside > 0 and sh.applies == "上海市 310000"
    zj = P.check(svc, "growth_voucher_zhejiang", year=YEAR, store=False)
    assert zj.total == sh.outside and zj.outside == 0
    assert zj.counts["eligible"] > 0 and zj.eligible_amount == 100_000 * zj.counts["eligible"]


def test_the_demo_province_variants_extend_the_originals_and_mark_their_assumptions(svc):
    lib = P.library(svc)
    for pid, base in (("growth_voucher_zhejiang", "growth_voucher_shanghai"), (ZJ_PRICE, "land_differential_price")):
        p = lib[pid]
        assert p.extends.startswith(base + "@") and p.applies_to == ["330000"]
        assert "[U]" in p.source and "[C]" in p.source


def test_an_explanation_of_another_region_s_policy_says_it_does_not_apply_there(svc, firms):
    r = P.explain(svc, "growth_voucher_shanghai", firms[0][0], year=YEAR)
    assert r.applies is False and r.applies_to == "上海市 310000" and r.verdict == "not_eligible"
    assert r.region.endswith(svc.enterprise(firms[0][0])["region_code"]) and r.region[0] != "3"


def test_applies_to_must_be_a_region_code(tmp_path):
    from zhizao.policy import load_policy

    from zhizao.policy.model import policies_dir

    text = (policies_dir() / "above_scale.yaml").read_text(encoding="utf-8")
    text = text.replace("entity: enterprise_year", "entity: enterprise_year\napplies_to: ['999999']")
    f = tmp_path / "above_scale.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(MethodError, match="applies_to") as e:
        load_policy(f)
    assert e.value.line is not None


# --- another lever's run ---------------------------------------------------------------------------
def test_a_policy_that_reads_an_uncomputed_land_evaluation_names_the_run_and_the_command(province_copy, firms):
    with Service.open(province_copy) as s:
        with pytest.raises(MissingRun) as e:
            P.check(s, ZJ_PRICE, year=YEAR)
        assert e.value.command == "zhizao land evaluate --method zhejiang-county-default --year 2024"
        assert e.value.lever == "land" and e.value.method_id == "zhejiang-county-default"
        assert e.value.to_dict()["command"] == e.value.command and e.value.http_status == 409
        pkg = P.package(s, firms[0][0], year=YEAR)
        needs = [x for x in pkg.needs_run if x.policy_id == ZJ_PRICE]
        assert needs and needs[0].command == e.value.command and "land.land_class" not in (needs[0].message or "")
        assert ZJ_PRICE not in {x.policy_id for x in pkg.unknown}
        run = svc_land.evaluate(s, year=YEAR).run
        r = P.check(s, ZJ_PRICE, year=YEAR, store=False)
        assert r.input_runs == (run.run_id,) and r.total > 0
        # the surcharge falls on exactly the D-class enterprises of that run
        ev = runs.rows(s, run, "result_land_evaluation")
        d = ev.filter((ev.year == YEAR) & (ev.land_class == "D")).count().to_pyarrow().as_py()
        assert r.counts["eligible"] == d
        assert r.eligible_amount < 0


@pytest.fixture(scope="module")
def shandong_db(tmp_path_factory):
    """A small synthetic Shandong province (no land evaluation stored)."""
    from zhizao.data import store, synth

    path = tmp_path_factory.mktemp("shandong") / "warehouse.duckdb"
    with store.open_warehouse(path) as wh:
        for name, t in synth.generate(enterprises=800, seed=3, province="370000", months=False).items():
            wh.replace(name, t)
    return path


def test_a_shandong_enterprise_needs_the_shandong_land_evaluation_not_more_data(shandong_db):
    with Service.open(shandong_db) as s:
        uscc = s.tables()["indicators"].filter(lambda t: t.year == YEAR).select("uscc").limit(1) \
            .to_pyarrow().column(0)[0].as_py()
        svc_land.evaluate(s, year=YEAR)                  # the default (Zhejiang) method: not what it reads
        pkg = P.package(s, uscc, year=YEAR)
        needs = {x.policy_id: x for x in pkg.needs_run}
        assert needs["land_differential_price"].command == "zhizao land evaluate --method shandong --year 2024"
        assert {x.policy_id for x in pkg.other_region} >= {"growth_voucher_zhejiang", ZJ_PRICE}
        svc_land.evaluate(s, year=YEAR, method="shandong")
        pkg = P.package(s, uscc, year=YEAR)
        assert "land_differential_price" not in {x.policy_id for x in pkg.needs_run}
        got = next(x for sec in ("qualified", "out") for x in pkg.sections[sec] if x.policy_id == "land_differential_price")
        assert got.verdict in ("eligible", "not_eligible")


# --- check, explain, push ------------------------------------------------------------------------
def test_a_county_check_covers_exactly_the_county_s_enterprises(svc, firms):
    county = firms[1]
    r = P.check(svc, "specialized_sme", year=YEAR, region=county, store=False)
    ind, ent = svc.tables()["indicators"], svc.tables()["enterprises"]
    j = ind.filter(ind.year == YEAR).join(ent.filter(ent.region_code == county), "uscc")
    assert r.total == j.count().to_pyarrow().as_py() == sum(r.counts.values())
    assert set(r.evaluation.column("region_code").to_pylist()) == {county}
    assert r.region.endswith(county) and not r.region.startswith("3")


def test_a_check_stores_a_run_whose_tables_match_their_declaration(evaluated):
    shutil.copy(evaluated, evaluated.with_name("check.duckdb"))
    with Service.open(evaluated.with_name("check.duckdb")) as s:
        r = P.check(s, "specialized_sme", year=YEAR)
        assert r.run.lever == "policy" and r.run.analysis == "policy.check" and r.run.years == (YEAR,)
        stored = runs.rows(s, r.run, r.table).to_pyarrow()
        assert stored.num_rows == r.total
        assert check_table(evaluation_table(r.policy), stored) == [] and check_table(EVALUATION, stored) == []
        gaps = runs.rows(s, r.run, r.gap_table).to_pyarrow()
        assert gaps.num_rows == r.gaps.num_rows and check_table(GAP, gaps) == []
        near = set(gaps.column("uscc").to_pylist())
        assert r.gap_near + r.gap_fixed == len(near)
        # a second check of one county is another run beside the province's, not a replacement
        c = P.check(s, "specialized_sme", year=YEAR, region=stored.column("region_code")[0].as_py())
        assert runs.rows(s, r.run, r.table).count().to_pyarrow().as_py() == r.total
        assert c.run.run_id != r.run.run_id


def test_an_explanation_agrees_with_the_check(svc, firms):
    r = P.check(svc, "specialized_sme", year=YEAR, store=False)
    for uscc in firms[0]:
        e = P.explain(svc, "specialized_sme", uscc, year=YEAR)
        row = r.evaluation.filter(pc.equal(r.evaluation.column("uscc"), uscc))
        assert e.verdict == row.column("verdict")[0].as_py() == e.tree["verdict"]
        assert (e.gap is None) == (e.verdict == "eligible")


def test_a_warm_service_explains_from_memory_until_the_data_change(province_copy, firms):
    with Service.open(province_copy) as s:
        P.explain(s, "innovative_sme", firms[0][0], year=YEAR)
        misses = s.misses
        P.explain(s, "innovative_sme", firms[0][1], year=YEAR)
        assert s.misses - misses <= 2                         # the new enterprise's inputs, nothing compiled
        ent = s.wh.to_arrow("enterprises")
        s.wh.replace("enterprises", ent)                      # an import: every cached evaluation goes
        misses = s.misses
        P.explain(s, "innovative_sme", firms[0][1], year=YEAR)
        assert s.misses - misses >= 3


def test_push_lists_the_eligible_where_the_policy_applies(svc):
    r = P.push(svc, "growth_voucher_zhejiang", year=YEAR, store=False)
    assert r.eligible.num_rows > 0 and set(r.eligible.column("verdict").to_pylist()) == {"eligible"}
    assert r.amount == 100_000 * r.eligible.num_rows and r.synthetic


# --- package and reach -----------------------------------------------------------------------------
def test_a_stored_package_replaces_the_same_enterprise_s_earlier_one_only(evaluated, firms):
    path = evaluated.with_name("pkg.duckdb")
    shutil.copy(evaluated, path)
    a, b = firms[0][:2]
    with Service.open(path) as s:
        first = P.package(s, a, year=YEAR, store=True)
        P.package(s, b, year=YEAR, store=True)
        again = P.package(s, a, year=YEAR, store=True)
        t = s.wh.result("result_policy_package").to_pyarrow()
        assert check_table(PACKAGE, t) == []
        per = {r["values"]: r["counts"] for r in pc.value_counts(t.column("uscc")).to_pylist()}
        n = len(P._valid_policies(P.library(s), YEAR))
        assert per == {a: n, b: n}
        assert set(t.column("run_id").to_pylist()) >= {again.run.run_id}
        assert first.run.run_id not in set(t.column("run_id").to_pylist())
        assert runs.get(s, first.run.run_id).superseded_by == again.run.run_id


def test_the_package_total_is_the_sum_of_its_grants(svc, firms):
    for uscc in firms[0]:
        pkg = P.package(svc, uscc, year=YEAR)
        grants = [e.amount_yuan for e in pkg.qualified if e.amount_yuan and e.amount_yuan > 0
                  and e.within_budget is not False]
        assert pkg.total_amount_yuan == sum(grants)
        assert all(e.amount_yuan < 0 for e in pkg.qualified if e.policy_id == ZJ_PRICE)


def test_reach_counts_every_policy_where_it_applies_and_lists_the_others_apart(svc):
    r = P.reach(svc, year=YEAR, store=False)
    rows = {x["policy_id"]: x for x in r.rows}
    assert rows["growth_voucher_shanghai"]["eligible"] is None and "上海市" in rows["growth_voucher_shanghai"]["note"]
    sme = P.check(svc, "specialized_sme", year=YEAR, store=False)
    assert rows["specialized_sme"]["eligible"] == sme.counts["eligible"]
    per = r.by_county.filter(pc.equal(r.by_county.column("policy_id"), "specialized_sme"))
    assert pc.sum(per.column("enterprises")).as_py() == sme.total
    assert pc.sum(per.column("eligible")).as_py() == sme.counts["eligible"]
    assert check_table(REACH, r.by_county) == []


# --- errors ----------------------------------------------------------------------------------------
def test_an_unknown_policy_is_not_found_with_the_closest_id(svc):
    with pytest.raises(NotFound, match="did you mean specialized_sme"):
        P.check(svc, "specialised_sme", year=YEAR, store=False)


def test_a_policy_outside_its_window_is_invalid_input_naming_the_window(svc):
    from zhizao.policy.model import policies_dir

    with pytest.raises(InvalidInput, match="no version valid in 2026") as e:
        P.get_policy(svc, "growth_voucher_shanghai", year=2026)
    assert "2022-12-31" in e.value.en and e.value.where == "--year"
    with pytest.raises(InvalidInput, match=r"not valid in 2024 \(valid 2022-01-01 – 2022-12-31\)"):
        P.check(svc, str(policies_dir() / "growth_voucher_shanghai@2022.yaml"), year=YEAR, store=False)


def test_an_unknown_enterprise_and_a_bad_region_are_clear_errors(svc):
    with pytest.raises(NotFound, match="91330000NOPE000000"):
        P.explain(svc, "specialized_sme", "91330000NOPE000000", year=YEAR)
    with pytest.raises(InvalidInput, match="region code") as e:
        P.check(svc, "specialized_sme", year=YEAR, region="339999", store=False)
    assert e.value.where == "--region"


def test_a_missing_library_folder_is_not_found(svc, tmp_path):
    with pytest.raises(NotFound, match="does not exist"):
        P.library(svc, tmp_path / "nope")
