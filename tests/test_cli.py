from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import zhizao
from zhizao.cli import app, render_cli_reference

DOCS = Path(__file__).resolve().parents[1] / "docs"
CLI = typer.main.get_command(app)
runner = CliRunner()


def test_cli_reference_in_docs_is_current():
    # regenerate: python -c 'from zhizao.cli import render_cli_reference as r; print(r(), end="")' > docs/cli.md
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render_cli_reference()


@pytest.mark.parametrize("name", sorted(CLI.commands))
def test_command_is_documented_and_has_help(name):
    assert CLI.commands[name].help
    assert f"## zhizao {name}" in (DOCS / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CLI.commands))
def test_every_option_of_a_command_has_help_text(name):
    for param in CLI.commands[name].params:
        if getattr(param, "param_type_name", "") == "option" and param.name != "help":
            assert param.help, (name, param.name)


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
