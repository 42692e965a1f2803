from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import zhizao
from zhizao.cli import app, render_cli_reference

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLI = typer.main.get_command(app)
runner = CliRunner()


def test_cli_reference_in_docs_is_current():
    # regenerate: python -c 'from zhizao.cli import render_cli_reference as r; print(r(), end="")' > docs/cli.md
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render_cli_reference()


def _all_commands(group=CLI, prefix="zhizao"):
    for name, sub in sorted(group.commands.items()):
        yield f"{prefix} {name}", sub
        if getattr(sub, "commands", None):
            yield from _all_commands(sub, f"{prefix} {name}")


COMMANDS = dict(_all_commands())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_is_documented_and_has_help(name):
    assert COMMANDS[name].help
    assert f"## {name}\n" in (DOCS / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_of_a_command_has_help_text(name):
    for param in COMMANDS[name].params:
        if getattr(param, "param_type_name", "") == "option" and param.name != "help":
            assert param.help, (name, param.name)


def test_land_commands_are_reachable_from_the_main_cli():
    assert {"zhizao land evaluate", "zhizao land explain", "zhizao land lowland", "zhizao land progress",
            "zhizao land measures"} <= set(COMMANDS)


def test_version_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert zhizao.__version__ in result.output


def test_tables_on_a_missing_warehouse_fails_with_a_message(tmp_path):
    result = runner.invoke(app, ["tables", "--db", str(tmp_path / "missing.duckdb")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_synth_rejects_fewer_than_three_years(tmp_path):
    result = runner.invoke(app, ["synth", "--years", "2023,2024", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "at least three consecutive years" in result.output


def test_import_with_quarantined_rows_exits_zero_and_strict_exits_one(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,年度,营业收入（万元）\n91330481MA2ABCDE1X,2024,abc\n", encoding="utf-8")
    db = str(tmp_path / "w.duckdb")
    normal = runner.invoke(app, ["import", str(bad), "--db", db, "--errors", str(tmp_path / "err.xlsx")])
    assert normal.exit_code == 0, normal.output
    assert "bad_uscc" in normal.output and (tmp_path / "err.xlsx").exists()
    strict = runner.invoke(app, ["import", str(bad), "--db", db, "--strict"])
    assert strict.exit_code == 1
    assert "nothing was written" in strict.output


def test_import_of_a_missing_file_fails_naming_it(tmp_path):
    result = runner.invoke(app, ["import", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "nope.csv" in result.output


def test_synth_then_tables_shows_the_row_counts(tmp_path):
    db = str(tmp_path / "w.duckdb")
    result = runner.invoke(app, ["synth", "-n", "2000", "--db", db])
    assert result.exit_code == 0, result.output
    assert "calibration targets met" in result.output
    tables = runner.invoke(app, ["tables", "--db", db])
    assert "enterprises" in tables.output and "2,000" in tables.output


def test_template_writes_an_xlsx_file(tmp_path):
    result = runner.invoke(app, ["template", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 0


def test_demo_builds_and_summarises_a_small_province(tmp_path):
    out_dir = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "-n", "3000", "--out", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert "synthetic" in result.output and "Where to look" in result.output
    assert "亩均效益 classes: A " in result.output and "low-efficiency land:" in result.output
    # the demo province's own voucher and surcharge are evaluated; Shanghai's and Shandong's are listed apart
    assert "浙江省成长券" in result.output and "亩均效益分类差别化电价（浙江" in result.output
    assert "other regions' policies: growth_voucher_shanghai (上海市), land_differential_price (山东省)" in result.output
    summary = (out_dir / "summary.md").read_text(encoding="utf-8")
    assert "合成数据" in summary and "330100 杭州市" in summary
    assert "亩均效益 classes" in summary and "| above_scale | A |" in summary
    assert "Low-efficiency land by reason" in summary
    assert (out_dir / "warehouse.duckdb").exists() and (out_dir / "data" / "enterprises.parquet").exists()


def test_demo_refuses_to_overwrite_a_warehouse_outside_its_folder(tmp_path):
    other = tmp_path / "mine.duckdb"
    other.write_bytes(b"")
    result = runner.invoke(app, ["demo", "-n", "3000", "--out", str(tmp_path / "demo"), "--db", str(other)])
    assert result.exit_code == 1
    assert "not the demo's own warehouse" in result.output


def test_synth_out_writes_parquet_files_marked_synthetic(tmp_path):
    import pyarrow.parquet as pq

    result = runner.invoke(app, ["synth", "-n", "1000", "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    meta = pq.read_schema(tmp_path / "p" / "enterprises.parquet").metadata
    assert "synthetic" in meta[b"zhizao.synthetic"].decode()
    assert pq.read_table(tmp_path / "p" / "enterprises.parquet").num_rows == 1000


def test_quarantine_lists_rejected_rows_by_reason_and_exports_them(tmp_path):
    import openpyxl

    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,年度,营业收入（万元）\n91330481MA2ABCDE1X,2024,abc\n", encoding="utf-8")
    db = str(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["import", str(bad), "--db", db]).exit_code == 0
    result = runner.invoke(app, ["quarantine", "--db", db, "--file", "bad.csv", "--export", str(tmp_path / "q.xlsx")])
    assert result.exit_code == 0, result.output
    assert "bad_uscc" in result.output and "bad_number" in result.output
    sheet = openpyxl.load_workbook(tmp_path / "q.xlsx").worksheets[0]
    assert sheet.max_row >= 3  # header + the two problems of the one row
    other = runner.invoke(app, ["quarantine", "--db", db, "--file", "other.csv"])
    assert "quarantine is empty" in other.output
