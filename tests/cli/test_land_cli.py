from __future__ import annotations

import duckdb
import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from zhizao.cli.land import land_app

runner = CliRunner()
CLI = typer.main.get_command(land_app)


def run(*args):
    return runner.invoke(land_app, [str(a) for a in args])


def table_names(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def latest_year(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT max(year) FROM indicators").fetchone()[0]


def test_every_land_command_and_option_has_help_text():
    for name, cmd in CLI.commands.items():
        assert cmd.help, name
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and p.name != "help":
                assert p.help, (name, p.name)


def test_the_land_app_has_the_five_commands():
    assert set(CLI.commands) >= {"evaluate", "explain", "lowland", "progress", "measures"}


def test_evaluate_writes_every_year_and_prints_class_counts(province_copy):
    result = run("evaluate", "--db", province_copy)
    assert result.exit_code == 0, result.output
    assert "result_land_evaluation" in table_names(province_copy)
    with duckdb.connect(str(province_copy), read_only=True) as con:
        years = con.execute("SELECT count(DISTINCT year) FROM result_land_evaluation").fetchone()[0]
    assert years >= 2
    assert "规上企业" in result.output and "合成数据" in result.output


def test_evaluate_writes_an_xlsx_with_a_sheet_per_segment(province_copy, tmp_path):
    path = tmp_path / "land.xlsx"
    result = run("evaluate", "--db", province_copy, "--xlsx", path)
    assert result.exit_code == 0, result.output
    assert "规上企业" in load_workbook(path).sheetnames


def test_evaluate_for_a_year_without_data_fails_with_a_message(province_copy):
    result = run("evaluate", "--db", province_copy, "--year", 1999)
    assert result.exit_code == 1
    assert "no indicators for 1999" in result.output


def test_an_unknown_method_fails_with_a_message(province_copy):
    result = run("evaluate", "--db", province_copy, "--method", "atlantis")
    assert result.exit_code == 1
    assert "atlantis" in result.output


def test_measures_without_a_schedule_names_methods_that_have_one(province_copy):
    result = run("measures", "--db", province_copy)
    assert result.exit_code == 0, result.output
    assert "shandong" in result.output


def test_measures_under_shandong_writes_charges_and_totals(province_copy):
    result = run("measures", "--db", province_copy, "--method", "shandong")
    assert result.exit_code == 0, result.output
    assert {"result_land_measures", "result_land_measure_totals"} <= table_names(province_copy)
    assert "合计 total" in result.output


def test_explain_prints_an_explanation_for_a_graded_enterprise(province_copy):
    assert run("evaluate", "--db", province_copy).exit_code == 0
    with duckdb.connect(str(province_copy), read_only=True) as con:
        uscc = con.execute("SELECT uscc FROM result_land_evaluation WHERE land_class = 'C' "
                           "ORDER BY year DESC, uscc LIMIT 1").fetchone()[0]
    result = run("explain", uscc, "--db", province_copy, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert uscc in result.output


def test_explain_an_unknown_enterprise_fails_with_a_message(province_copy):
    result = run("explain", "91330000000000000X", "--db", province_copy)
    assert result.exit_code == 1
    assert "no enterprise" in result.output


def test_lowland_writes_flags_and_prints_area_by_county(province_copy):
    result = run("lowland", "--db", province_copy)
    assert result.exit_code == 0, result.output
    assert {"result_land_lowland_flags", "result_land_lowland_totals"} <= table_names(province_copy)
    assert "亩" in result.output


def test_progress_reports_against_the_targets(province_copy):
    year = latest_year(province_copy)
    result = run("progress", "--db", province_copy, "--as-of", f"{year}-06-30")
    assert result.exit_code == 0, result.output
    assert "result_land_redevelopment_progress" in table_names(province_copy)


def test_progress_counts_dated_completions_up_to_the_as_of_date(province_copy):
    # the synthetic province carries a dated parcel_status history: the figure printed must be the
    # area of parcels first redeveloped between 1 January and --as-of, by that history
    year = latest_year(province_copy)
    with duckdb.connect(str(province_copy), read_only=True) as con:
        expected = con.execute(
            "SELECT coalesce(sum(p.area_mu), 0) FROM parcels p JOIN ("
            "  SELECT parcel_id, min(changed_on) AS d FROM parcel_status WHERE status = 'redeveloped'"
            "  GROUP BY parcel_id) h USING (parcel_id) "
            f"WHERE h.d BETWEEN DATE '{year}-01-01' AND DATE '{year}-06-30'").fetchone()[0]
        assert con.execute("SELECT count(*) FROM parcel_status").fetchone()[0] > 0
    result = run("progress", "--db", province_copy, "--as-of", f"{year}-06-30", "--by-county")
    assert result.exit_code == 0, result.output
    assert "parcel_status" in result.output and "按区县" in result.output
    with duckdb.connect(str(province_copy), read_only=True) as con:
        done, dated = con.execute("SELECT done_mu, dated_history FROM result_land_redevelopment_progress "
                                  "WHERE target = 'redevelop_lowland'").fetchone()
        by_county = con.execute("SELECT sum(done_mu) FROM result_land_redevelopment_by_county "
                                "WHERE target = 'redevelop_lowland'").fetchone()[0]
    assert dated is True
    assert expected > 0 and done == pytest.approx(expected)
    assert by_county == pytest.approx(expected)


def test_progress_rejects_a_bad_date(province_copy):
    result = run("progress", "--db", province_copy, "--as-of", "June")
    assert result.exit_code == 1
    assert "expected a date" in result.output


def test_progress_without_a_date_reports_the_last_year_of_an_old_history(province_copy):
    # the synthetic history stops at the end of its last data year; with nothing this year,
    # the default reference day is the last change recorded (and the output says so)
    from datetime import date

    with duckdb.connect(str(province_copy), read_only=True) as con:
        last = con.execute("SELECT max(changed_on) FROM parcel_status").fetchone()[0]
    result = run("progress", "--db", province_copy)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(province_copy), read_only=True) as con:
        as_of = con.execute("SELECT max(as_of) FROM result_land_redevelopment_progress").fetchone()[0]
    if last < date(date.today().year, 1, 1):
        assert as_of == last
        assert f"the status history ends on {last.isoformat()}" in result.output
    else:
        assert as_of == date.today()
        assert "history ends on" not in result.output


# --- deliberate changes of issue 11: run ids and region names in the output ------------------------------
def test_evaluate_ends_with_the_run_its_figures_were_stored_as(province_copy):
    result = run("evaluate", "--db", province_copy)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(province_copy), read_only=True) as con:
        run_id = con.execute("SELECT run_id FROM result_runs WHERE analysis = 'land.evaluate'").fetchone()[0]
    assert result.output.strip().splitlines()[-1].startswith("批次 run: land.evaluate zhejiang-county-default")
    assert run_id in result.output


def test_explain_names_the_county_and_the_run_it_read(province_copy):
    assert run("evaluate", "--db", province_copy).exit_code == 0
    with duckdb.connect(str(province_copy), read_only=True) as con:
        uscc, run_id = con.execute("SELECT uscc, run_id FROM result_land_evaluation WHERE land_class = 'C' "
                                   "ORDER BY year DESC, uscc LIMIT 1").fetchone()
    result = run("explain", uscc, "--db", province_copy)
    assert result.exit_code == 0, result.output
    assert "所在区县：" in result.output and run_id in result.output.strip().splitlines()[-1]


def test_explain_without_a_stored_run_says_it_computed_the_figures(province_copy):
    with duckdb.connect(str(province_copy), read_only=True) as con:
        uscc = con.execute("SELECT uscc FROM indicators ORDER BY year DESC, uscc LIMIT 1").fetchone()[0]
    result = run("explain", uscc, "--db", province_copy, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "none stored, computed now" in result.output
    assert "result_land_evaluation" not in table_names(province_copy)


def test_lowland_shows_each_county_by_name_and_code(province_copy):
    from zhizao.codes.regions import region_label

    result = run("lowland", "--db", province_copy)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(province_copy), read_only=True) as con:
        county = con.execute("SELECT min(region_code) FROM result_land_lowland_totals").fetchone()[0]
    assert region_label(county) in result.output
    assert "评价批次 evaluation run: land.evaluate" in result.output


def test_measures_show_each_county_by_name(province_copy):
    from zhizao.codes.regions import region_label

    result = run("measures", "--db", province_copy, "--method", "shandong")
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(province_copy), read_only=True) as con:
        county = con.execute("SELECT min(region_code) FROM result_land_measure_totals").fetchone()[0]
    assert region_label(county) in result.output
    assert "批次 run: land.measures shandong" in result.output


def test_progress_stores_the_area_by_county_also_without_the_option(province_copy):
    result = run("progress", "--db", province_copy)
    assert result.exit_code == 0, result.output
    assert "按区县" not in result.output
    assert "result_land_redevelopment_by_county" in table_names(province_copy)
