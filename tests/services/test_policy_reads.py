"""The scoped policy reads (``zhizao.services.policy_reads``) on the shared synthetic province, read
only: the library, counts and push lists restricted by a Scope (with disclosure control on the
other counties' amounts), explanations inside and outside the scope, and the calculator."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from zhizao.accounts.scope import Scope
from zhizao.errors import InvalidInput, MissingRun, NotFound
from zhizao.services import Service
from zhizao.services import policy as P
from zhizao.services import policy_reads as R

YEAR = 2024
SMALL, VOUCHER = "small_to_above", "growth_voucher_zhejiang"


@pytest.fixture(scope="module")
def svc(province_db):
    with Service.open(province_db, read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def places(province):
    """(the county with the most enterprises, one of its enterprises, an enterprise elsewhere)."""
    e = province["enterprises"]
    counts = pc.value_counts(e.column("region_code")).to_pylist()
    county = max(counts, key=lambda r: r["counts"])["values"]
    inside = sorted(e.filter(pc.equal(e.column("region_code"), county)).column("uscc").to_pylist())
    outside = sorted(e.filter(pc.not_equal(e.column("region_code"), county)).column("uscc").to_pylist())
    return county, inside[0], outside[0]


def test_the_library_lists_every_version_with_its_clause(svc):
    lib = R.library_list(svc)
    assert {s.policy_id for s in lib} == set(P.library(svc))
    shanghai = [s for s in lib if s.policy_id == "growth_voucher_shanghai"]
    assert [s.latest for s in shanghai] == [False, True] and all(s.source for s in lib)
    price = next(s for s in lib if s.policy_id == "land_differential_price_zhejiang")
    assert price.is_charge and price.reads_results and price.extends.startswith("land_differential_price@")
    page = R.library_page(svc, q="voucher", page_size=1)
    assert page.total == 3 and len(page.rows) == 1


def test_detail_gives_rules_with_roles_and_clauses(svc):
    d = R.detail(svc, SMALL)
    roles = {r.id: r.role for r in d.rules}
    assert roles["industrial"] == "floor" and roles["at_line"] == "route" and roles["growing"] == "other"
    assert next(r for r in d.rules if r.id == "near_and_growing").condition == "all: near_line, growing"
    assert "main_revenue@-1" in d.columns and d.benefit is None


@pytest.mark.parametrize("spec", ["nope", "../../pyproject.toml", "x.yaml", "Small_To_Above"])
def test_a_policy_is_named_by_its_id_only(svc, spec):
    with pytest.raises(NotFound):
        R.detail(svc, spec)


def test_counts_cover_the_scope_inside_the_query(svc, places):
    county = places[0]
    everything = R.counts(svc, Scope.everything(), VOUCHER, year=YEAR)
    assert everything.counts == P.check(svc, VOUCHER, year=YEAR, store=False).counts
    assert not everything.controlled and everything.eligible_amount == 100_000 * everything.counts["eligible"]
    mine = R.counts(svc, Scope.of_regions([county]), VOUCHER, year=YEAR)
    want = P.check(svc, VOUCHER, year=YEAR, region=county, store=False)
    assert mine.counts == want.counts and mine.eligible_amount == want.eligible_amount
    assert sum(c.enterprises for c in mine.by_county) == everything.total        # the comparison: every county
    nothing = R.counts(svc, Scope.none(), VOUCHER, year=YEAR, by_county=False)
    assert nothing.total == 0 and nothing.by_county == ()                        # deny by default


def test_other_counties_amounts_are_suppressed_never_zero(svc, places):
    got = R.counts(svc, Scope.of_regions([places[0]]), VOUCHER, year=YEAR, k=3, p=85.0)
    assert got.controlled
    for cell in got.by_county:
        if cell.in_scope:
            assert not cell.suppressed and cell.amount_yuan == 100_000 * cell.counts["eligible"]
        elif 0 < cell.counts["eligible"] < 3:
            assert cell.suppressed and cell.amount_yuan is None and cell.reason in ("k", "p")
        if cell.suppressed:
            assert cell.amount_yuan is None
        elif cell.amount_yuan is not None:
            assert cell.amount_yuan == 100_000 * cell.counts["eligible"]
    assert sum(c.counts["eligible"] for c in got.by_county) == got.by_county_total.counts["eligible"]


def test_the_push_list_is_scoped_paged_and_streamed(svc, places):
    county, mine, _ = places
    whole = R.push_page(svc, Scope.everything(), SMALL, year=YEAR, page_size=7)
    assert whole.total == P.check(svc, SMALL, year=YEAR, store=False).counts["eligible"] and len(whole.rows) == 7
    scoped = R.push_page(svc, Scope.of_regions([county]), SMALL, year=YEAR, page_size=500)
    assert all(r["region_code"] == county for r in scoped.rows)
    own = R.push_page(svc, Scope.of_enterprise(mine), SMALL, year=YEAR)
    assert {r["uscc"] for r in own.rows} <= {mine}
    cols, batches = R.push_rows(svc, Scope.everything(), SMALL, year=YEAR)
    assert sum(len(b) for b in batches) == whole.total and cols[3].zh == "所在区县"
    with pytest.raises(InvalidInput) as e:
        R.push_page(svc, Scope.everything(), SMALL, page_size=501)
    assert e.value.where == "page_size"


def test_an_explanation_outside_the_scope_reads_like_an_unknown_uscc(svc, places):
    county, mine, other = places
    scope = Scope.of_regions([county])
    e = R.explain(svc, scope, SMALL, mine, year=YEAR)
    assert e.verdict == P.explain(svc, SMALL, mine, year=YEAR).verdict and e.policy.policy_id == SMALL
    with pytest.raises(NotFound) as outside:
        R.explain(svc, scope, SMALL, other, year=YEAR)
    with pytest.raises(NotFound) as unknown:
        R.explain(svc, scope, SMALL, "91330000000000000X", year=YEAR)
    assert outside.value.en == unknown.value.en.replace("91330000000000000X", other)


BASE = {"region_code": "330102", "industry_code": "1311", "status": "operating", "above_scale": False}


def test_the_calculator_follows_the_policy_file(svc):
    r = R.calculate(svc, SMALL, {**BASE, "main_revenue": 20_000_000}, year=YEAR)
    assert (r.verdict, r.route, r.uscc) == ("eligible", "at_line", R.CALC_USCC) and len(R.CALC_USCC) == 18
    assert r.tree["enterprise"]["uscc"] == R.CALC_USCC and r.hypothetical and r.gap is None
    r = R.calculate(svc, SMALL, {**BASE, "main_revenue": "19,999,999"}, year=YEAR)       # a form's text
    assert r.verdict == "unknown" and r.missing == ("main_revenue@-1",)
    r = R.calculate(svc, SMALL, {**BASE, "main_revenue": 14_000_000, "main_revenue@-1": 10_000_000}, year=YEAR)
    assert r.verdict == "not_eligible" and r.gap["reachable"]
    assert {f.name for f in r.fields} == {"region_code", "industry_code", "status", "above_scale", "main_revenue",
                                          "main_revenue@-1"}


def test_the_calculator_reports_where_the_policy_does_not_apply(svc):
    body = {"region_code": "310101", "industry_code": "1311", "above_scale": True,
            "above_scale_since": "2024-01-01", "registered_on": "2010-01-01"}
    r = R.calculate(svc, VOUCHER, body, year=YEAR)
    assert not r.applies and r.verdict == "not_eligible"
    r = R.calculate(svc, VOUCHER, {**body, "region_code": "330102"}, year=YEAR)
    assert r.applies and r.amount_yuan == 100_000 and r.unused == ()


@pytest.mark.parametrize("figures, where", [
    ({"main_revenu": 1}, "main_revenu"), ({"main_revenue": True}, "main_revenue"),
    ({"employees": 2.5}, "employees"), ({"region_code": "999999"}, "region_code"),
    ({"industry_code": "A011"}, "industry_code"), ({"main_revenue@-9": 1}, "main_revenue@-9"),
    ({"uscc": "X"}, "uscc"), ({"above_scale": "maybe"}, "above_scale"),
])
def test_the_calculator_names_a_bad_field(svc, figures, where):
    with pytest.raises(InvalidInput) as e:
        R.calculate(svc, SMALL, figures, year=YEAR)
    assert e.value.where == where


def test_a_real_enterprise_s_figures_give_its_real_verdict(svc, places):
    _, mine, other = places
    for pid in (SMALL, VOUCHER, "innovative_sme"):
        form = R.calculator_form(svc, Scope.everything(), pid, uscc=mine, year=YEAR)
        got = R.calculate(svc, pid, {f.name: f.value for f in form.fields}, year=YEAR)
        assert got.verdict == P.explain(svc, pid, mine, year=YEAR).verdict, pid
    with pytest.raises(NotFound):
        R.calculator_form(svc, Scope.of_enterprise(mine), SMALL, uscc=other)


def test_a_policy_reading_another_lever_s_result_cannot_be_calculated(svc):
    with pytest.raises(MissingRun) as e:
        R.calculate(svc, "land_differential_price_zhejiang", {}, year=YEAR)
    assert "zhejiang-county-default" in e.value.command
    form = R.calculator_form(svc, Scope.everything(), "land_differential_price_zhejiang", year=YEAR)
    assert form.fields == () and form.blocked_zh


def test_the_calculator_form_keeps_what_was_posted(svc):
    bad = R.calculator_submit(svc, Scope.none(), SMALL, {**BASE, "main_revenue": "lots"}, year=YEAR)
    assert bad.error_where == "main_revenue" and bad.result is None
    assert next(f.value for f in bad.fields if f.name == "main_revenue") == "lots"
    ok = R.calculator_submit(svc, Scope.none(), SMALL, {**BASE, "main_revenue": "25000000"}, year=YEAR)
    assert ok.result.verdict == "eligible" and ok.error_zh is None
