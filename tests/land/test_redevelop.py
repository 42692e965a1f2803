"""Redevelopment (低效用地再开发): paths over time, progress against targets, the re-let what-if."""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from zhizao.data import schema
from zhizao.land.redevelop import (
    area_by_year,
    dated_completions,
    elapsed_share,
    load_targets,
    parcel_paths,
    progress,
    progress_figures,
    redevelopment_events,
    relet_what_if,
    share_of_province,
    unknown_history_parcels,
)


def parcels_table(rows: list[tuple[str, str, float, str | None, str | None]]) -> ibis.Table:
    """Rows of (parcel_id, region_code, area_mu, holder_uscc, status)."""
    full = []
    for pid, region, area, holder, status in rows:
        row = {c: None for c in schema.PARCELS.column_names}
        row.update(parcel_id=pid, region_code=region, area_mu=area, holder_uscc=holder, status=status)
        full.append(row)
    return ibis.memtable(pa.Table.from_pylist(full, schema=schema.arrow_schema(schema.PARCELS)))


def history_table(rows: list[tuple[str, int, str]]) -> ibis.Table:
    return ibis.memtable(pa.table({"parcel_id": [r[0] for r in rows],
                                   "year": pa.array([r[1] for r in rows], pa.int64()),
                                   "status": [r[2] for r in rows]}))


def dated_history(rows: list[tuple[str, str, str]]) -> ibis.Table:
    """Rows of (parcel_id, changed_on ISO date, status) in the warehouse's parcel_status layout."""
    return ibis.memtable(pa.Table.from_pylist(
        [{"parcel_id": p, "changed_on": date.fromisoformat(d), "status": s, "note": None} for p, d, s in rows],
        schema=schema.arrow_schema(schema.PARCEL_STATUS_HISTORY)))


# --- dated history (parcel_status) ----------------------------------------------------------------

def test_dated_history_gives_completion_years_even_within_the_first_year():
    parcels = parcels_table([("P1", "330102", 10.0, None, "redeveloped"),
                             ("P2", "330102", 5.0, None, "redeveloping"),
                             ("P3", "330102", 7.0, None, "producing")])
    # P1 flagged and redeveloped in the same year as the snapshot: a dated row says when
    hist = dated_history([("P1", "2024-02-01", "flagged"), ("P1", "2024-09-15", "redeveloped"),
                          ("P2", "2023-05-01", "flagged"), ("P2", "2024-03-01", "redeveloping"),
                          ("P3", "2025-01-01", "idle")])            # after the year: ignored
    out = parcel_paths(parcels, year=2024, status_history=hist).to_pyarrow().to_pylist()
    by = {r["parcel_id"]: r for r in out}
    assert by["P1"]["redeveloped_year"] == 2024 and by["P1"]["flagged_year"] == 2024
    assert by["P1"]["path"] == "flagged>redeveloped"
    assert by["P2"]["flagged_year"] == 2023 and by["P2"]["redeveloping_year"] == 2024
    assert by["P2"]["stage"] == "redeveloping"
    assert by["P3"]["flagged_year"] is None and by["P3"]["path"] == ""


def test_dated_completions_take_the_first_date_per_parcel_and_kind_and_feed_progress():
    parcels = parcels_table([("P1", "330102", 10.0, None, "redeveloped"),
                             ("P2", "330103", 4.0, None, "revived"),
                             ("P3", "330103", 6.0, None, "redeveloped")])
    hist = dated_history([("P1", "2024-03-10", "redeveloped"), ("P1", "2024-08-01", "redeveloped"),
                          ("P2", "2024-05-20", "revived"),
                          ("P3", "2024-07-02", "redeveloped"),     # after the as-of date
                          ("GHOST", "2024-01-05", "redeveloped")])  # not in parcels
    done = dated_completions(parcels, hist)
    rows = sorted(done.to_pyarrow().to_pylist(), key=lambda r: r["parcel_id"])
    assert [(r["parcel_id"], r["kind"], r["date"]) for r in rows] == [
        ("P1", "redeveloped", date(2024, 3, 10)), ("P2", "revived", date(2024, 5, 20)),
        ("P3", "redeveloped", date(2024, 7, 2))]
    red = done.filter(done.kind == "redeveloped")
    fig = progress(red, 100.0, as_of=date(2024, 6, 30)).to_pyarrow().to_pylist()[0]
    assert fig["done_mu"] == pytest.approx(10.0)          # P1 only: P3 came on 2 July
    assert unknown_history_parcels(parcels, hist).to_pyarrow().to_pylist() == [{"parcel_id": "GHOST", "rows": 1}]


# --- targets ---------------------------------------------------------------------------------------

def test_shipped_targets_are_the_seed_plans_50000_and_100000_mu():
    plan = load_targets()
    assert plan.target("redevelop_lowland").area_mu == 50_000
    assert plan.target("revive_stock").area_mu == 100_000
    assert all(t.source for t in plan.targets) and plan.source


def test_targets_scale_by_the_share_of_the_province():
    plan = load_targets(share=0.02)
    assert plan.scaled_mu("redevelop_lowland") == pytest.approx(1_000.0)
    assert plan.scaled_mu("revive_stock") == pytest.approx(2_000.0)


def test_share_of_province_is_a_capped_ratio():
    assert share_of_province(5_000, 500_000) == 0.01
    assert share_of_province(2.0, 1.0) == 1.0


# --- paths ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def paths():
    parcels = parcels_table([
        ("A", "330100", 10.0, "U1", "redeveloped"),   # idle 2022 → redeveloping 2023 → redeveloped 2024
        ("B", "330100", 5.0, "U2", "revived"),        # stopped 2023 → revived 2024
        ("C", "330200", 7.0, "U3", "redeveloping"),   # flagged this year only by the lowland list
        ("D", "330200", 4.0, "U4", "redeveloped"),    # already redeveloped in its first snapshot
        ("E", "330200", 3.0, "U5", "producing"),      # never flagged
        ("F", "330100", 2.0, "U6", "idle"),           # idle now
    ])
    hist = history_table([("A", 2022, "idle"), ("A", 2023, "redeveloping"), ("B", 2023, "stopped"),
                          ("C", 2023, "producing"), ("D", 2023, "redeveloped"), ("E", 2023, "producing"),
                          ("A", 2025, "producing")])   # a later row is ignored
    flagged = ibis.memtable({"parcel_id": ["C"]})
    return parcel_paths(parcels, year=2024, status_history=hist, flagged=flagged).execute().set_index("parcel_id")


def test_path_flagged_redeveloping_redeveloped_records_each_first_year(paths):
    a = paths.loc["A"]
    assert (a.flagged_year, a.redeveloping_year, a.redeveloped_year) == (2022, 2023, 2024)
    assert a.stage == "redeveloped" and a.path == "flagged>redeveloping>redeveloped"


def test_stopped_then_revived_parcel_has_revival_year(paths):
    assert paths.loc["B"].revived_year == 2024 and paths.loc["B"].path == "flagged>revived"


def test_parcel_on_the_lowland_list_is_flagged_in_the_year(paths):
    c = paths.loc["C"]
    assert c.flagged_year == 2024 and c.stage == "redeveloping"


def test_completion_year_is_unknown_when_done_in_the_first_snapshot(paths):
    d = paths.loc["D"]
    assert d.stage == "redeveloped" and pd.isna(d.redeveloped_year) and d.path == "redeveloped"


def test_unflagged_producing_parcel_has_no_stage(paths):
    assert pd.isna(paths.loc["E"].stage) and paths.loc["E"].path == ""


def test_idle_parcel_is_at_the_flagged_stage(paths):
    assert paths.loc["F"].stage == "flagged"


def test_area_by_year_sums_completions_with_known_years_only(paths):
    events = redevelopment_events(ibis.memtable(paths.reset_index()))
    t = area_by_year(events).execute()
    assert t.to_dict("records") == [{"year": 2024, "region_code": "330100", "redeveloped_mu": 10.0,
                                     "revived_mu": 5.0, "total_mu": 15.0, "parcels": 2}]


# --- progress ------------------------------------------------------------------------------------

def test_elapsed_share_counts_days_inclusive():
    assert elapsed_share(date(2025, 12, 31)) == 1.0
    assert elapsed_share(date(2024, 1, 1)) == 1 / 366


def test_progress_figures_project_linearly_to_year_end():
    f = progress_figures(25_000.0, 50_000.0, as_of=date(2025, 7, 2))  # day 183 of 365
    assert f.share_of_target == 0.5
    assert f.projected_mu == pytest.approx(25_000.0 * 365 / 183)
    assert f.remaining_mu == 25_000.0 and f.on_track is False   # half done, just past mid-year


def test_progress_exactly_on_pace_is_on_track():
    f = progress_figures(50_000.0 * 73 / 365, 50_000.0, as_of=date(2025, 3, 14))  # day 73
    assert f.projected_mu == pytest.approx(50_000.0) and f.on_track


def test_progress_behind_pace_is_not_on_track():
    assert not progress_figures(9_000.0, 50_000.0, as_of=date(2025, 3, 14)).on_track


def test_progress_from_dated_events_counts_only_this_year_up_to_as_of():
    ev = ibis.memtable({"date": [date(2024, 12, 31), date(2025, 1, 1), date(2025, 3, 14), date(2025, 3, 15)],
                        "area_mu": [100.0, 10.0, 20.0, 1000.0]})
    row = progress(ev, 200.0, as_of=date(2025, 3, 14)).execute().iloc[0]   # day 73 of 365
    assert row.done_mu == 30.0 and row.share_of_target == 0.15
    assert row.projected_mu == pytest.approx(150.0)
    assert row.remaining_mu == 170.0 and not row.on_track


def test_progress_from_monthly_totals_includes_the_month_of_as_of():
    m = ibis.memtable({"month": ["2025-01", "2025-02", "2025-03", "2025-04"], "area_mu": [10.0, 10.0, 5.0, 99.0]})
    row = progress(m, 100.0, as_of=date(2025, 3, 31)).execute().iloc[0]
    assert row.done_mu == 25.0 and row.on_track == (25.0 / (90 / 365) >= 100.0)


def test_progress_by_county_gives_one_row_per_county():
    ev = ibis.memtable({"date": [date(2025, 2, 1)] * 3, "area_mu": [1.0, 2.0, 4.0],
                        "region_code": ["330100", "330100", "330200"]})
    t = progress(ev, 10.0, as_of=date(2025, 12, 31), by=["region_code"]).execute().set_index("region_code")
    assert t.done_mu.to_dict() == {"330100": 3.0, "330200": 4.0}


# --- what-if -------------------------------------------------------------------------------------

EV_SCHEMA = pa.schema([("year", pa.int64()), ("uscc", pa.string()), ("region_code", pa.string()),
                       ("segment", pa.string()), ("area_mu", pa.float64()), ("taxes", pa.float64()),
                       ("value_added", pa.float64()), ("land_class", pa.string()), ("graded", pa.bool_())])


def _what_if_inputs():
    ev = pa.Table.from_pylist([
        # county 330100: A/B firms yield (300 + 100) / (10 + 10) = 20 tax/mu, (1000 + 600) / 20 = 80 VA/mu
        dict(year=2024, uscc="A1", region_code="330100", segment="above_scale", area_mu=10.0, taxes=300.0,
             value_added=1000.0, land_class="A", graded=True),
        dict(year=2024, uscc="B1", region_code="330100", segment="above_scale", area_mu=10.0, taxes=100.0,
             value_added=600.0, land_class="B", graded=True),
        dict(year=2024, uscc="D1", region_code="330100", segment="above_scale", area_mu=5.0, taxes=10.0,
             value_added=50.0, land_class="D", graded=True),
        dict(year=2024, uscc="H1", region_code="330100", segment="above_scale", area_mu=1.0, taxes=100.0,
             value_added=1000.0, land_class="C", graded=True),                  # high yield, class C
        dict(year=2023, uscc="A9", region_code="330100", segment="above_scale", area_mu=1.0, taxes=1e9,
             value_added=1e9, land_class="A", graded=True),                      # other year: ignored
        # county 330200: no A/B firm
        dict(year=2024, uscc="D2", region_code="330200", segment="above_scale", area_mu=5.0, taxes=5.0,
             value_added=5.0, land_class="D", graded=True),
    ], schema=EV_SCHEMA)
    lowland = ibis.memtable(pa.table({
        "parcel_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "region_code": ["330100", "330100", "330100", "330200", "330100", "330100"],
        "area_mu": [5.0, 2.0, 3.0, 5.0, 1.0, 1.0],
        # P2: 批而未供, no holder; P3: holder not evaluated; P5: H1's idle parcel; P6: H1's producing parcel
        "holder_uscc": ["D1", None, "ZZ", "D2", "H1", "H1"],
        "status": ["producing", "approved", "producing", "producing", "idle", "producing"],
    }))
    return lowland, ibis.memtable(ev)


@pytest.fixture(scope="module")
def what_if():
    lowland, ev = _what_if_inputs()
    return relet_what_if(lowland, ev, year=2024).execute().set_index("region_code")


def test_relet_uses_the_county_ab_yield_as_a_ratio_of_sums(what_if):
    assert what_if.loc["330100", "ab_tax_per_mu"] == 20.0 and what_if.loc["330100", "ab_va_per_mu"] == 80.0


def test_relet_gain_is_ab_yield_minus_current_yield_where_ab_is_better(what_if):
    r = what_if.loc["330100"]
    # estimated: P1 (D1: 2 tax, 10 VA per mu, 5 mu), P2 (no holder: 0), P5 (idle: 0), P6 (H1: 100 tax/mu)
    assert (r.parcels, r.parcels_relet, r.area_mu, r.area_relet) == (4, 3, 9.0, 8.0)
    assert r.current_taxes == 110.0 and r.current_value_added == 1050.0   # 10 + 0 + 0 + 100; 50 + 1000
    assert r.relet_taxes == 260.0 and r.relet_value_added == 1640.0       # 100 + 40 + 20 + (P6 kept) 100
    assert r.gain_taxes == 150.0 and r.gain_value_added == 590.0


def test_idle_land_of_a_productive_holder_yields_nothing_now(what_if):
    # P5 is counted at 0 now although H1 yields 100 tax/mu on its producing land
    assert what_if.loc["330100", "current_taxes"] == 110.0


def test_relet_of_all_estimated_land_can_lose_yield():
    lowland, ev = _what_if_inputs()
    out = relet_what_if(lowland, ev, year=2024, only_where_better=False).execute()
    r = out.set_index("region_code").loc["330100"]
    assert r.parcels_relet == 4 and r.gain_taxes == 70.0 and r.gain_value_added == -330.0


def test_relet_counts_parcels_it_cannot_estimate(what_if):
    assert (what_if.loc["330100", "parcels_not_estimated"], what_if.loc["330100", "area_not_estimated"]) == (1, 3.0)
    assert what_if.loc["330200", "parcels"] == 0 and what_if.loc["330200", "area_not_estimated"] == 5.0


def test_relet_total_row_sums_the_counties(what_if):
    t = what_if.loc["total"]
    assert t.gain_taxes == 150.0 and t.gain_value_added == 590.0 and t.parcels_not_estimated == 2
    assert t.ab_tax_per_mu == 20.0 and t.ab_va_per_mu == 80.0
