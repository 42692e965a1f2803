"""`zhizao policy …` and `zhizao package` (helper P3): arguments, tables written, printed summaries,
errors to stderr with exit 1. Uses P3's test policies (--library tests/policy/fixtures_p3) on a
warehouse of hand-built firms, and once on a small synthetic province.
"""

from __future__ import annotations

import duckdb
import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.policy.fixtures_p3 import DIR, YEAR, rows, uscc
from zhizao.cli.policy import package_cmd, policy_app

runner = CliRunner(env={"COLUMNS": "250"})
CLI = typer.main.get_command(policy_app)
package_app = typer.Typer()
package_app.command("package")(package_cmd)
package_app.command("noop", hidden=True)(lambda: None)      # two commands: `package` stays a subcommand


def run(*args):
    return runner.invoke(policy_app, [str(a) for a in args])


def run_package(*args):
    return runner.invoke(package_app, ["package", *(str(a) for a in args)])


def _load(path, tables: dict):
    from zhizao.data import store

    with store.open_warehouse(path) as wh:
        for name, table in tables.items():
            wh.replace(name, table)
    return path


@pytest.fixture(scope="module")
def firms_db(tmp_path_factory):
    """A warehouse with P3's hand-built firms (read it only)."""
    import pyarrow as pa

    from tests.policy.conftest import tables_from_rows

    t = tables_from_rows(*rows())
    return _load(tmp_path_factory.mktemp("p3_firms") / "warehouse.duckdb",
                 {k: v.to_pyarrow() if not isinstance(v, pa.Table) else v for k, v in t.items()})


@pytest.fixture
def db(firms_db, tmp_path):
    """A private copy of ``firms_db`` for a test that writes result tables."""
    import shutil

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(firms_db, path)
    return path


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory):
    from zhizao.data import synth

    return _load(tmp_path_factory.mktemp("p3_synth") / "warehouse.duckdb", synth.generate(enterprises=400))


def table_names(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def query(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_policy_command_and_option_has_help_text():
    assert set(CLI.commands) == {"list", "show", "check", "explain", "push"}
    for name, cmd in CLI.commands.items():
        assert cmd.help, name
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and p.name != "help":
                assert p.help, (name, p.name)
    pkg = typer.main.get_command(package_app).commands["package"]
    assert pkg.help and all(p.help for p in pkg.params if getattr(p, "param_type_name", "") == "option")


def test_list_shows_every_policy_of_a_library():
    result = run("list", "--library", DIR)
    assert result.exit_code == 0, result.output
    assert "p3_grant" in result.output and "p3_topup" in result.output and "测试创新奖励" in result.output


def test_list_of_the_shipped_library_names_every_shipped_id():
    from zhizao.policy import available_policies

    result = run("list")
    assert result.exit_code == 0, result.output
    for pid in available_policies():
        assert pid in result.output


def test_show_prints_rules_clauses_exceptions_and_dependencies():
    result = run("show", "p3_grant", "--library", DIR)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "rd_expenditure >= 1000000 and rd_ratio >= 0.03" in out
    assert "high_tech_waiver" in out and "第8条(四)" in out
    assert "产品不属于禁止、限制或淘汰类" in out
    assert "main_revenue@-1" in out                  # a lag among the needed columns
    topup = run("show", "p3_topup", "--library", DIR)
    assert "needs policies: p3_grant" in topup.output


def test_show_of_an_unknown_policy_fails_with_a_message():
    result = run("show", "atlantis", "--library", DIR)
    assert result.exit_code == 1
    assert "no policy 'atlantis'" in result.output


def test_check_writes_the_evaluation_and_gap_tables_and_counts_verdicts(db):
    result = run("check", "p3_grant", "--library", DIR, "--db", db)
    assert result.exit_code == 0, result.output
    assert {"result_policy_p3_grant", "result_policy_gap_p3_grant"} <= table_names(db)
    counts = dict(query(db, "SELECT verdict, count(*) FROM result_policy_p3_grant GROUP BY verdict"))
    assert counts == {"eligible": 2, "not_eligible": 3, "unknown": 1}
    out = result.output
    assert "符合 eligible" in out and "rd_min" in out and "established" in out
    assert "rd_expenditure (1)" in out                       # the most often missing input
    assert "1 fail one" in out                               # YOUNG cannot change its age
    gap = query(db, "SELECT numerator_change FROM result_policy_gap_p3_grant WHERE rule_id = 'rd_min'")
    assert gap == [(pytest.approx(630_000.0),)]


def test_check_of_a_year_the_policy_does_not_cover_fails(tmp_path):
    from tests.policy.conftest import tables_from_rows

    ents, inds = rows(["BASE"])
    inds.append({**inds[-1], "year": YEAR - 2})                # p3_topup starts in 2023
    path = _load(tmp_path / "w.duckdb", {k: v.to_pyarrow() for k, v in tables_from_rows(ents, inds).items()})
    result = run("check", "p3_topup", "--year", YEAR - 2, "--library", DIR, "--db", path)
    assert result.exit_code == 1
    assert "no version valid in 2022" in result.output


def test_check_on_a_synthetic_province_says_so(synth_db, tmp_path):
    import shutil

    path = tmp_path / "w.duckdb"
    shutil.copy(synth_db, path)
    result = run("check", "p3_grant", "--library", DIR, "--db", path)
    assert result.exit_code == 0, result.output
    assert "合成数据" in result.output
    n = query(path, "SELECT count(*) FROM result_policy_p3_grant")[0][0]
    latest = query(path, "SELECT max(year) FROM indicators")[0][0]
    assert n == query(path, f"SELECT count(*) FROM indicators WHERE year = {latest}")[0][0]


def test_check_of_a_recognition_policy_says_no_money_is_attached(synth_db, tmp_path):
    # 创新型中小企业 is a status (认定) with no amount: no "0 元 benefit" line
    import shutil

    path = tmp_path / "w.duckdb"
    shutil.copy(synth_db, path)
    result = run("check", "innovative_sme", "--db", path)
    assert result.exit_code == 0, result.output
    eligible = query(path, "SELECT count(*) FROM result_policy_innovative_sme WHERE verdict = 'eligible'")[0][0]
    assert eligible > 0
    assert f"无资金兑现 no money attached: {eligible:,} enterprises" in result.output
    assert "兑现金额" not in result.output


def test_explain_prints_the_tree_and_the_gap_in_chinese(db):
    result = run("explain", "p3_grant", uscc("RDGAP"), "--library", DIR, "--db", db)
    assert result.exit_code == 0, result.output
    assert "结论：不符合" in result.output
    assert "rd_ratio 2.10% → 需 ≥ 3.00%：+0.90 个百分点" in result.output


def test_explain_in_english(db):
    result = run("explain", "p3_grant", uscc("RDGAP"), "--lang", "en", "--library", DIR, "--db", db)
    assert result.exit_code == 0, result.output
    assert "Verdict: not eligible" in result.output and "Gap to qualify" in result.output


def test_explain_of_an_unknown_enterprise_fails_with_a_message(db):
    result = run("explain", "p3_grant", "91330000NOPE000000", "--library", DIR, "--db", db)
    assert result.exit_code == 1
    assert "no enterprise with USCC 91330000NOPE000000" in result.output


def test_explain_rejects_an_unknown_language(db):
    result = run("explain", "p3_grant", uscc("BASE"), "--lang", "fr", "--library", DIR, "--db", db)
    assert result.exit_code == 1 and "choose zh or en" in result.output


def test_push_writes_the_no_application_list_with_amounts(db, tmp_path):
    path = tmp_path / "push.xlsx"
    result = run("push", "p3_grant", "--out", path, "--library", DIR, "--db", db)
    assert result.exit_code == 0, result.output
    assert "2 enterprises, 400,000 元" in result.output
    assert "result_policy_p3_grant" in table_names(db)
    ws = load_workbook(path)["免申即享名单"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(r for r in values if r[0] == "序号")
    assert header[:5] == ["序号", "企业名称", "统一社会信用代码", "所在区县", "认定途径"]
    assert "兑现金额（元）" in header and "是否在预算内" in header
    body = [r for r in values if isinstance(r[0], int)]
    amount = header.index("兑现金额（元）")
    assert [(r[2], r[amount]) for r in body] == [(uscc("BASE"), 300_000), (uscc("HIGHTECH"), 100_000)]
    assert any(r[0] == "合计" and r[amount] == 400_000 for r in values)
    assert not any("合成数据" in str(r[0]) for r in values)    # hand-built firms are not synthetic


def test_package_writes_html_and_rows(db, tmp_path):
    path = tmp_path / "pkg.html"
    result = run_package(uscc("RDGAP"), "--out", path, "--library", DIR, "--db", db)
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    assert "企业政策服务包" in html and "63.0万元" in html
    got = query(db, "SELECT policy_id, section, verdict FROM result_policy_package ORDER BY policy_id")
    assert got == [("p3_grant", "near", "not_eligible"), ("p3_topup", "near", "not_eligible")]


def test_package_keeps_other_enterprises_rows(db, tmp_path):
    assert run_package(uscc("RDGAP"), "--out", tmp_path / "a.html", "--library", DIR, "--db", db).exit_code == 0
    assert run_package(uscc("BASE"), "--out", tmp_path / "b.html", "--library", DIR, "--db", db).exit_code == 0
    assert run_package(uscc("BASE"), "--out", tmp_path / "b.html", "--library", DIR, "--db", db).exit_code == 0
    got = query(db, "SELECT uscc, count(*) FROM result_policy_package GROUP BY uscc ORDER BY uscc")
    assert got == sorted([(uscc("BASE"), 2), (uscc("RDGAP"), 2)])


def test_package_pdf_without_weasyprint_says_what_is_missing(db, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)       # import weasyprint → ImportError
    path = tmp_path / "pkg.html"
    result = run_package(uscc("BASE"), "--out", path, "--pdf", "--library", DIR, "--db", db)
    assert result.exit_code == 1
    assert "WeasyPrint is not installed" in result.output
    assert path.exists() and not path.with_suffix(".pdf").exists()


def test_package_of_an_unknown_enterprise_fails(db, tmp_path):
    result = run_package("91330000NOPE000000", "--out", tmp_path / "x.html", "--library", DIR, "--db", db)
    assert result.exit_code == 1 and "no enterprise with USCC" in result.output
