"""Low-efficiency land flags (低效用地认定): each rule at, just below and just above its threshold."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa
import pytest

from zhizao.data import schema
from zhizao.land.lowland import (
    REASONS,
    LowlandRules,
    area_totals,
    flag_parcels,
    load_lowland_rules,
    lowland_parcels,
)

YEAR = 2024
AS_OF = date(2024, 12, 31)
COUNTY = "330624"


def parcel(pid: str, **kw) -> dict:
    """A built, producing parcel of firm U1 unless told otherwise."""
    row = {c: None for c in schema.PARCELS.column_names}
    row.update(parcel_id=pid, holder_uscc="U1", region_code=COUNTY, area_mu=10.0, floor_area_ratio=2.0,
               land_use="industrial", status="producing", actual_start_date=date(2010, 1, 1),
               production_date=date(2011, 1, 1), contract_start_date=date(2009, 6, 1),
               contract_production_date=date(2011, 6, 1), supplied_on=date(2009, 1, 1),
               developed_share=1.0, invested_share=1.0)
    row.update(kw)
    return row


def parcels_table(rows: list[dict]) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema.arrow_schema(schema.PARCELS)))


EV_SCHEMA = pa.schema([("year", pa.int64()), ("uscc", pa.string()), ("region_code", pa.string()),
                       ("segment", pa.string()), ("area_mu", pa.float64()), ("taxes", pa.float64()),
                       ("value_added", pa.float64()), ("land_class", pa.string()), ("graded", pa.bool_())])


def ev_row(uscc: str, *, year: int = YEAR, land_class: str | None = "B", taxes: float = 1_000_000.0,
           area_mu: float = 10.0, segment: str = "above_scale", va: float = 5_000_000.0,
           region_code: str = COUNTY) -> dict:
    return dict(year=year, uscc=uscc, region_code=region_code, segment=segment, area_mu=area_mu, taxes=taxes,
                value_added=va, land_class=land_class, graded=land_class is not None)


def evaluation_table(rows: list[dict]) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, schema=EV_SCHEMA))


def enterprises_table(codes: dict[str, str]) -> ibis.Table:
    return ibis.memtable(pa.table({"uscc": list(codes), "industry_code": list(codes.values())}))


RULES = load_lowland_rules()


def rules_with(**changes) -> LowlandRules:
    data = RULES.model_dump()
    for path, value in changes.items():
        section, key = path.split("__")
        data[section][key] = value
    return LowlandRules.model_validate(data)


CASES: dict[str, dict] = {}


def case(name: str, parcels: list[dict], ev: list[dict] | None = None, ent: dict[str, str] | None = None, *,
         rules: LowlandRules = RULES, as_of: date | None = None) -> str:
    """Register a hand-made case; :func:`batch` evaluates all cases together (one run per rules/as_of)."""
    assert name not in CASES, name
    CASES[name] = dict(parcels=parcels, ev=ev if ev is not None else [ev_row("U1")],
                       ent=ent if ent is not None else {"U1": "3411"}, rules=rules, as_of=as_of)
    return name


class Batch:
    def __init__(self, reasons: dict[str, dict[str, set[str]]], rows: dict):
        self._reasons, self._rows = reasons, rows

    def __call__(self, name: str) -> dict[str, set[str]]:
        return self._reasons[name]

    def rows(self, name: str):
        return self._rows[name]


@pytest.fixture(scope="module")
def batch() -> Batch:
    """Every case of this module, each in its own namespace (ids, USCCs and county prefixed with
    the case name, so county averages never mix), evaluated in one run per (rules, as_of)."""
    groups: dict[tuple[str, date | None], list[str]] = {}
    for name, c in CASES.items():
        groups.setdefault((c["rules"].model_dump_json(), c["as_of"]), []).append(name)
    reasons: dict[str, dict[str, set[str]]] = {}
    rows: dict = {}
    for (rules_json, as_of), names in groups.items():
        ps, evs, ents = [], [], {}
        for n in names:
            c = CASES[n]

            def ns(x, n=n):
                return None if x is None else f"{n}|{x}"

            ps += [p | {"parcel_id": ns(p["parcel_id"]), "holder_uscc": ns(p["holder_uscc"]),
                        "region_code": ns(p["region_code"])} for p in c["parcels"]]
            evs += [e | {"uscc": ns(e["uscc"]), "region_code": ns(e["region_code"])} for e in c["ev"]]
            ents.update({ns(u): code for u, code in c["ent"].items()})
            reasons[n] = {p["parcel_id"]: set() for p in c["parcels"]}
        out = flag_parcels(parcels_table(ps), evaluation_table(evs), enterprises_table(ents),
                           LowlandRules.model_validate_json(rules_json), year=YEAR, as_of=as_of).execute()
        out["case"] = out.parcel_id.str.split("|").str[0]
        out["parcel_id"] = out.parcel_id.str.split("|").str[1]
        for n, pid, reason in zip(out.case, out.parcel_id, out.reason, strict=True):
            reasons[n][pid].add(reason)
        for n in names:
            rows[n] = out[out.case == n]
    return Batch(reasons, rows)


# --- configuration -----------------------------------------------------------------------------

def test_shipped_rules_load_and_every_rule_has_a_source():
    assert RULES.id == "zhejiang-lowland-default"
    for section in (RULES.d_class, RULES.low_tax_per_mu, RULES.low_far, RULES.idle, RULES.five_types):
        assert section.source.strip()


def test_rules_file_with_an_unknown_key_is_rejected(tmp_path):
    text = (load_lowland_rules.__globals__["DEFAULT_RULES_PATH"]).read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("consecutive_years: 2", "consecutive_years: 2\n  consecutve: 3"), encoding="utf-8")
    with pytest.raises(ValueError):
        load_lowland_rules(bad)


def test_far_table_maps_2008_divisions_to_2017_with_repair_division_unassessed():
    table = RULES.low_far.minimum_by_division
    assert table["29"] == 0.8 and table["39"] == 1.0 and "43" not in table


# --- D class ---------------------------------------------------------------------------------

case("d", [parcel("P1")], [ev_row("U1", land_class="D")])
case("c", [parcel("P1")], [ev_row("U1", land_class="C")])
case("dd", [parcel("P1")], [ev_row("U1", year=2023, land_class="D"), ev_row("U1", year=2024, land_class="D")])
case("cd", [parcel("P1")], [ev_row("U1", year=2023, land_class="C"), ev_row("U1", year=2024, land_class="D")])
case("dd_b_dd", [parcel("P1")], [ev_row("U1", year=y, land_class=c) for y, c in (
    (2020, "D"), (2021, "D"), (2022, "B"), (2023, "D"), (2024, "D"))], rules=rules_with(d_class__consecutive_years=3))
case("dddd", [parcel("P1")], [ev_row("U1", year=y, land_class="D") for y in (2021, 2022, 2023, 2024)])
case("no_eval", [parcel("P1", holder_uscc="U9")], [ev_row("U1")], {"U9": "3411"})


def test_parcel_of_a_d_class_holder_is_flagged_d_class(batch):
    assert "d_class" in batch("d")["P1"]


def test_parcel_of_a_c_class_holder_is_not_flagged_d_class(batch):
    r = batch("c")["P1"]
    assert "d_class" not in r and "d_class_consecutive" not in r


def test_d_for_exactly_the_required_consecutive_years_is_flagged_consecutive(batch):
    assert "d_class_consecutive" in batch("dd")["P1"]


def test_d_for_one_year_after_a_c_year_is_not_consecutive(batch):
    r = batch("cd")["P1"]
    assert "d_class" in r and "d_class_consecutive" not in r and "not_assessable:d_class_consecutive" not in r


def test_consecutive_count_restarts_after_a_break_in_the_d_years(batch):
    out = batch.rows("dd_b_dd")
    assert out[out.reason == "d_class"].value.tolist() == [2.0]
    assert "d_class_consecutive" not in set(out.reason)


def test_d_for_more_than_the_required_years_is_consecutive_and_counts_them_all(batch):
    out = batch.rows("dddd")
    row = out[out.reason == "d_class_consecutive"]
    assert row.value.tolist() == [4.0] and row.threshold.tolist() == [2.0]


def test_d_this_year_with_last_year_missing_from_the_evaluation_is_not_assessable_for_consecutive(batch):
    r = batch("d")["P1"]
    assert "not_assessable:d_class_consecutive" in r and "d_class_consecutive" not in r


def test_holder_missing_from_the_evaluation_makes_class_rules_not_assessable(batch):
    r = batch("no_eval")["P1"]
    assert {"not_assessable:d_class", "not_assessable:low_tax_per_mu"} <= r
    assert "d_class" not in r


# --- tax per mu ------------------------------------------------------------------------------------

def tax_case(name: str, u1_taxes: float, *, rules: LowlandRules = RULES) -> str:
    # county × segment average: (u1 + 3,000,000) / 20 mu; U2 sits on another parcel
    ev = [ev_row("U1", taxes=u1_taxes), ev_row("U2", taxes=3_000_000.0)]
    ps = [parcel("P1"), parcel("P2", holder_uscc="U2")]
    return case(name, ps, ev, {"U1": "3411", "U2": "3411"}, rules=rules)


HALF = rules_with(low_tax_per_mu__value=0.5)  # a county whose line is half the average
tax_case("tax_at", 1_000_000.0, rules=HALF)     # 100,000/mu; average 4,000,000 / 20 = 200,000; line 100,000
tax_case("tax_below", 999_000.0, rules=HALF)    # 99,900/mu; average 3,999,000 / 20 = 199,950; line 99,975
tax_case("tax_above", 1_001_000.0, rules=HALF)
tax_case("tax_low", 500_000.0)
ABSOLUTE = rules_with(low_tax_per_mu__kind="absolute", low_tax_per_mu__value=50_000.0)
ABS_CASES = [(500_000.0, False), (499_999.0, True), (500_001.0, False)]
for _taxes, _ in ABS_CASES:
    tax_case(f"abs_{_taxes}", _taxes, rules=ABSOLUTE)
# a median line is not pulled up by one large payer: per mu U1 60,000, U2 100,000, U3 10,000,000
MEDIAN = rules_with(low_tax_per_mu__kind="county_median_share", low_tax_per_mu__value=0.5)
_skewed = ([parcel("P1"), parcel("P2", holder_uscc="U2"), parcel("P3", holder_uscc="U3")],
           [ev_row("U1", taxes=600_000.0), ev_row("U2", taxes=1_000_000.0), ev_row("U3", taxes=100_000_000.0)],
           {"U1": "3411", "U2": "3411", "U3": "3411"})
case("median_skewed", *_skewed, rules=MEDIAN)     # median 100,000 → line 50,000: U1 not below
case("average_skewed", *_skewed, rules=HALF)      # average 101.6 M / 30 mu ≈ 3.39 M → line ≈ 1.69 M: U1 below
case("segment_county", [parcel("P1")], [ev_row("U1", taxes=100.0),
                                        ev_row("U2", taxes=1e9, segment="below_scale_large"),
                                        ev_row("U3", taxes=1e9, region_code="330100")])
case("exempt", [parcel("P1")], [ev_row("U1", taxes=0.0, segment="exempt", land_class=None), ev_row("U2", taxes=3e6)],
     {"U1": "3411", "U2": "3411"})
case("no_taxes", [parcel("P1")], [ev_row("U1") | {"taxes": None}])


def test_tax_per_mu_exactly_at_half_the_county_average_is_not_flagged(batch):
    assert "low_tax_per_mu" not in batch("tax_at")["P1"]


def test_tax_per_mu_just_below_half_the_county_average_is_flagged(batch):
    assert "low_tax_per_mu" in batch("tax_below")["P1"]


def test_tax_per_mu_just_above_half_the_county_average_is_not_flagged(batch):
    assert "low_tax_per_mu" not in batch("tax_above")["P1"]


@pytest.mark.parametrize(("taxes", "flagged"), ABS_CASES)
def test_absolute_tax_line_flags_only_below_the_line(batch, taxes, flagged):
    assert ("low_tax_per_mu" in batch(f"abs_{taxes}")["P1"]) is flagged


def test_median_line_ignores_a_single_large_payer_where_the_average_line_flags(batch):
    assert "low_tax_per_mu" not in batch("median_skewed")["P1"]
    assert "low_tax_per_mu" in batch("average_skewed")["P1"]
    assert "low_tax_per_mu" not in batch("median_skewed")["P2"]   # at the median: not below half of it
    row = batch.rows("average_skewed")
    line = row[(row.reason == "low_tax_per_mu") & (row.parcel_id == "P1")].threshold.tolist()
    assert line == [pytest.approx(0.5 * 101_600_000.0 / 30.0)]


def test_county_average_is_per_segment_and_county(batch):
    # U2 in another segment and U3 in another county do not enter U1's average: U1 alone → never below half
    assert "low_tax_per_mu" not in batch("segment_county")["P1"]


def test_exempt_holder_is_not_tested_on_tax_per_mu(batch):
    r = batch("exempt")["P1"]
    assert "low_tax_per_mu" not in r and "not_assessable:low_tax_per_mu" not in r


def test_missing_taxes_make_tax_rule_not_assessable(batch):
    assert "not_assessable:low_tax_per_mu" in batch("no_taxes")["P1"]


# --- plot ratio ------------------------------------------------------------------------------------

FAR_CASES = [(0.7, False), (0.69, True), (0.71, False)]   # division 34 通用设备: minimum 0.7
for _far, _ in FAR_CASES:
    case(f"far_{_far}", [parcel("P1", floor_area_ratio=_far)])
case("far_no_entry", [parcel("P1", floor_area_ratio=0.1)], ent={"U1": "4310"})
case("far_unbuilt", [parcel("P1", floor_area_ratio=0.1, status="under_construction", production_date=None)])


@pytest.mark.parametrize(("far", "flagged"), FAR_CASES)
def test_far_against_the_division_minimum(batch, far, flagged):
    assert ("low_far" in batch(f"far_{far}")["P1"]) is flagged


def test_far_of_a_division_without_an_entry_is_not_assessable(batch):
    r = batch("far_no_entry")["P1"]
    assert "low_far" not in r and "not_assessable:low_far" in r


def test_far_is_not_judged_on_unbuilt_parcels(batch):
    r = batch("far_unbuilt")["P1"]
    assert "low_far" not in r and "not_assessable:low_far" not in r


# --- idle land ----------------------------------------------------------------------------------

def _unstarted(pid: str, contract_start: date | None) -> dict:
    return parcel(pid, status="supplied", actual_start_date=None, production_date=None,
                  contract_start_date=contract_start, developed_share=0.0, invested_share=0.0)


UNSTARTED_CASES = [(date(2023, 12, 31), True), (date(2024, 1, 1), False), (date(2023, 12, 30), True)]
for _start, _ in UNSTARTED_CASES:
    case(f"unstarted_{_start}", [_unstarted("P1", _start)])
case("unstarted_no_date", [_unstarted("P1", None)])
case("unstarted_as_of", [_unstarted("P1", date(2024, 3, 1))], as_of=date(2025, 3, 1))


@pytest.mark.parametrize(("start", "flagged"), UNSTARTED_CASES)
def test_not_started_one_year_after_the_contractual_start_is_idle(batch, start, flagged):
    assert ("idle_not_started" in batch(f"unstarted_{start}")["P1"]) is flagged


def test_unstarted_parcel_without_contractual_start_is_not_assessable_for_idleness(batch):
    r = batch("unstarted_no_date")["P1"]
    assert "not_assessable:idle_not_started" in r and "idle_not_started" not in r


def test_idle_consequence_is_a_fee_after_one_year_and_recovery_after_two():
    ps = [_unstarted("P1", date(2023, 6, 1)), _unstarted("P2", date(2022, 12, 31))]
    out = lowland_parcels(parcels_table(ps), evaluation_table([ev_row("U1")]), enterprises_table({"U1": "3411"}),
                          RULES, year=YEAR).execute().set_index("parcel_id")
    assert out.loc["P1", "idle_consequence"] == "idle_fee" and out.loc["P1", "idle_fee_share"] == 0.2
    assert out.loc["P2", "idle_consequence"] == "recovery"


def _stalled(pid: str, *, developed: float | None, invested: float | None, stopped: date | None,
             status: str = "stopped") -> dict:
    return parcel(pid, status=status, actual_start_date=date(2021, 3, 1), production_date=None,
                  contract_production_date=date(2025, 6, 1), developed_share=developed, invested_share=invested,
                  stopped_since=stopped)


PROGRESS_CASES = [
    (1 / 3, 0.25, False),          # at both thresholds: not "less than"
    (0.33, 0.9, True),             # developed just below 1/3
    (0.34, 0.24, True),            # invested just below 25 %
    (0.34, 0.26, False),           # both just above
]
for _dev, _inv, _ in PROGRESS_CASES:
    case(f"stalled_{_dev}_{_inv}", [_stalled("P1", developed=_dev, invested=_inv, stopped=date(2023, 6, 1))])
STOP_CASES = [(date(2023, 12, 31), True), (date(2024, 1, 1), False)]
for _stop, _ in STOP_CASES:
    case(f"stopped_{_stop}", [_stalled("P1", developed=0.1, invested=0.1, stopped=_stop)])
case("stopped_no_date", [_stalled("P1", developed=0.1, invested=0.1, stopped=None)])
case("stopped_no_progress", [_stalled("P1", developed=None, invested=None, stopped=date(2022, 1, 1))])
case("building", [_stalled("P1", developed=0.1, invested=0.1, stopped=None, status="under_construction")])


@pytest.mark.parametrize(("developed", "invested", "flagged"), PROGRESS_CASES)
def test_stopped_project_is_idle_when_developed_or_invested_is_below_the_threshold(batch, developed, invested,
                                                                                    flagged):
    assert ("idle_stopped" in batch(f"stalled_{developed}_{invested}")["P1"]) is flagged


@pytest.mark.parametrize(("stopped", "flagged"), STOP_CASES)
def test_stopped_project_is_idle_only_after_one_year_stopped(batch, stopped, flagged):
    assert ("idle_stopped" in batch(f"stopped_{stopped}")["P1"]) is flagged


def test_stopped_project_without_a_stop_date_is_not_assessable(batch):
    r = batch("stopped_no_date")["P1"]
    assert "not_assessable:idle_stopped" in r and "idle_stopped" not in r


def test_stopped_project_with_unknown_progress_is_not_assessable(batch):
    assert "not_assessable:idle_stopped" in batch("stopped_no_progress")["P1"]


def test_project_under_construction_and_not_stopped_is_not_idle(batch):
    r = batch("building")["P1"]
    assert "idle_stopped" not in r and "not_assessable:idle_stopped" not in r


def test_as_of_moves_the_idle_reference_date(batch):
    assert "idle_not_started" in batch("unstarted_as_of")["P1"]


# --- five types ----------------------------------------------------------------------------------

case("approved", [parcel("P1", holder_uscc=None, status="approved", supplied_on=None, actual_start_date=None,
                         production_date=None, contract_start_date=None, approved_on=date(2022, 1, 1))])
case("supplied", [_unstarted("P1", date(2024, 6, 1))])
case("part_developed", [parcel("P1", developed_share=0.8)])
case("low_far_producing", [parcel("P1", floor_area_ratio=0.5)])
case("full", [parcel("P1")])
DUE_CASES = [(date(2024, 12, 30), True), (date(2024, 12, 31), False)]
for _due, _ in DUE_CASES:
    case(f"due_{_due}", [_stalled("P1", developed=0.9, invested=0.9, stopped=None, status="under_construction")
                         | {"contract_production_date": _due}])
case("no_d_rule", [parcel("P1")], [ev_row("U1", land_class="D")], rules=rules_with(d_class__enabled=False))


def test_approved_parcel_without_holder_is_approved_not_supplied(batch):
    assert batch("approved")["P1"] == {"approved_not_supplied"}


def test_supplied_unstarted_parcel_is_supplied_not_used(batch):
    assert "supplied_not_used" in batch("supplied")["P1"]


def test_partly_developed_producing_parcel_is_used_not_fully(batch):
    assert "used_not_fully" in batch("part_developed")["P1"]


def test_producing_parcel_below_the_far_minimum_is_used_not_fully(batch):
    assert "used_not_fully" in batch("low_far_producing")["P1"]


def test_fully_developed_producing_parcel_above_minimum_is_not_used_not_fully(batch):
    assert "used_not_fully" not in batch("full")["P1"]


@pytest.mark.parametrize(("due", "flagged"), DUE_CASES)
def test_started_project_past_its_contractual_production_date_is_built_not_producing(batch, due, flagged):
    assert ("built_not_producing" in batch(f"due_{due}")["P1"]) is flagged


def test_producing_parcel_of_a_low_tax_holder_is_producing_below_standard(batch):
    assert "producing_below_standard" in batch("tax_low")["P1"]


def test_disabled_rule_is_neither_flagged_nor_reported_unassessable(batch):
    assert not any("d_class" in x for x in batch("no_d_rule")["P1"])


def test_wide_summary_lists_reasons_in_order_and_picks_the_lifecycle_five_type():
    ps = [parcel("P1", developed_share=0.8)]
    ev = [ev_row("U1", year=2023, land_class="D"), ev_row("U1", land_class="D", taxes=0.0), ev_row("U2", taxes=4e6)]
    ps.append(parcel("P2", holder_uscc="U2"))
    out = lowland_parcels(parcels_table(ps), evaluation_table(ev), enterprises_table({"U1": "3411", "U2": "3411"}),
                          RULES, year=YEAR).execute().set_index("parcel_id")
    assert list(out.index) == ["P1"]
    row = out.loc["P1"]
    assert row.reasons == "d_class;d_class_consecutive;low_tax_per_mu;used_not_fully;producing_below_standard"
    assert row.n_reasons == 5
    assert row.five_types == "used_not_fully;producing_below_standard"
    assert row.five_type == "used_not_fully" and row.five_type_zh == "用而未尽"


def test_wide_summary_shows_rules_not_assessable():
    out = lowland_parcels(parcels_table([_unstarted("P1", None)]), evaluation_table([ev_row("U1")]),
                          enterprises_table({"U1": "3411"}), RULES, year=YEAR).execute()
    assert out.not_assessable.tolist() == ["idle_not_started"] and out.n_not_assessable.tolist() == [1]


# --- totals ------------------------------------------------------------------------------------

def test_area_totals_count_a_parcel_with_several_reasons_once_in_any():
    ps = [parcel("P1", floor_area_ratio=0.5, area_mu=10.0), parcel("P2", area_mu=7.0, holder_uscc="U2"),
          parcel("P3", area_mu=3.0, region_code="330100", holder_uscc="U3", floor_area_ratio=0.1)]
    ev = [ev_row("U1", land_class="D"), ev_row("U2"), ev_row("U3")]
    flags = flag_parcels(parcels_table(ps), evaluation_table(ev),
                         enterprises_table({"U1": "3411", "U2": "3411", "U3": "3411"}), RULES, year=YEAR)
    t = area_totals(flags).execute().set_index(["region_code", "reason"])
    assert t.loc[(COUNTY, "d_class"), "area_mu"] == 10.0
    assert t.loc[(COUNTY, "low_far"), "area_mu"] == 10.0
    assert t.loc[(COUNTY, "any"), "area_mu"] == 10.0 and t.loc[(COUNTY, "any"), "parcels"] == 1
    assert t.loc[("330100", "any"), "area_mu"] == 3.0
    assert not any(r.startswith("not_assessable") for _, r in t.index)


def test_area_totals_without_reason_in_by_count_each_parcel_once():
    ps = [parcel("P1", floor_area_ratio=0.5), parcel("P2", holder_uscc="U2", area_mu=5.0, floor_area_ratio=0.1)]
    ev = [ev_row("U1", land_class="D"), ev_row("U2")]
    flags = flag_parcels(parcels_table(ps), evaluation_table(ev), enterprises_table({"U1": "3411", "U2": "3411"}),
                         RULES, year=YEAR)
    t = area_totals(flags, by=("region_code",)).execute()
    assert t.area_mu.tolist() == [15.0] and t.parcels.tolist() == [2]


def test_every_reason_code_has_a_chinese_name():
    from zhizao.land.lowland import REASON_ZH

    assert set(REASONS) == set(REASON_ZH)


# --- integration: a small synthetic province ----------------------------------------------------

@pytest.fixture(scope="module")
def b_synth_lowland(province):
    """The shared synthetic province (5,000 firms) with a fixture evaluation: classes by 亩均税收
    quartile per county."""
    import pandas as pd

    tables = province
    parcels = tables["parcels"].to_pandas()
    ind = tables["indicators"].to_pandas()
    ent = tables["enterprises"].to_pandas()[["uscc", "region_code", "industry_code"]]
    land = parcels[parcels.holder_uscc.notna()].groupby("holder_uscc").area_mu.sum().rename("area_mu")
    ev = ind.merge(land, left_on="uscc", right_index=True).merge(ent, on="uscc")
    ev = ev[ev.taxes.notna()]
    ev["segment"] = ev.above_scale.fillna(False).map({True: "above_scale", False: "below_scale_large"})
    ev.loc[(ev.segment == "below_scale_large") & (ev.area_mu < 3), "segment"] = "below_scale_small"
    ev["tpm"] = ev.taxes / ev.area_mu
    rank = ev.groupby(["year", "region_code"]).tpm.rank(method="first", pct=True)
    ev["land_class"] = pd.cut(rank, [0, 0.25, 0.5, 0.75, 1.0], labels=["D", "C", "B", "A"]).astype(str)
    ev["graded"] = True
    ev = ev[["year", "uscc", "region_code", "segment", "area_mu", "taxes", "value_added", "land_class", "graded"]]
    evaluation = ibis.memtable(pa.Table.from_pandas(ev, schema=EV_SCHEMA, preserve_index=False))
    year = int(ind.year.max())
    p, e = ibis.memtable(tables["parcels"]), ibis.memtable(tables["enterprises"])
    flags = flag_parcels(p, evaluation, e, RULES, year=year)
    wide = lowland_parcels(p, evaluation, e, RULES, year=year)
    return {"flags": flags.execute(), "wide": wide.execute(), "totals": area_totals(flags).execute(),
            "parcels": parcels, "evaluation": evaluation, "wide_expr": wide, "year": year}


def test_synthetic_province_has_flagged_parcels_of_several_reasons(b_synth_lowland):
    reasons = set(b_synth_lowland["flags"].query("kind == 'flag'").reason)
    assert {"d_class", "d_class_consecutive", "low_tax_per_mu", "low_far", "idle_not_started", "idle_stopped",
            "approved_not_supplied"} <= reasons


def test_synthetic_idle_parcels_are_flagged_idle(b_synth_lowland):
    parcels, wide = b_synth_lowland["parcels"], b_synth_lowland["wide"]
    idle = set(parcels[parcels.status == "idle"].parcel_id)
    flagged = set(wide[wide.reasons.str.contains("idle_")].parcel_id)
    assert idle and idle <= flagged


def test_synthetic_any_reason_total_equals_the_wide_list_area(b_synth_lowland):
    t, wide = b_synth_lowland["totals"], b_synth_lowland["wide"]
    assert t[t.reason == "any"].area_mu.sum() == pytest.approx(wide.area_mu.sum())
    assert t[t.reason == "any"].parcels.sum() == len(wide)


def test_synthetic_relet_what_if_gains_tax_on_flagged_land(b_synth_lowland):
    from zhizao.land.redevelop import relet_what_if

    w = relet_what_if(b_synth_lowland["wide_expr"], b_synth_lowland["evaluation"],
                      year=b_synth_lowland["year"]).execute().set_index("region_code")
    assert w.loc["total", "gain_taxes"] > 0
    assert w.drop(index="total").gain_taxes.sum() == pytest.approx(w.loc["total", "gain_taxes"])
