"""`zhizao chains …` on the shared synthetic province: what users run, what lands in the warehouse."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from zhizao.cli.chains import chains_app

runner = CliRunner()
CLI = typer.main.get_command(chains_app)


@pytest.fixture(scope="module")
def db(province_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("chains_cli") / "wh.duckdb"
    shutil.copy(province_db, path)
    return path


def run(*args):
    return runner.invoke(chains_app, [str(a) for a in args], env={"COLUMNS": "200"})


def query(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_command_and_option_has_help_text():
    assert set(CLI.commands) == {"sourcing", "chokepoints", "leaders", "resilience", "shock"}
    for name, cmd in CLI.commands.items():
        assert cmd.help, name
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and p.name != "help":
                assert p.help, (name, p.name)


def test_sourcing_by_cluster_writes_both_tables_marked_synthetic(db):
    r = run("sourcing", "--db", db)
    assert r.exit_code == 0, r.output
    assert "合成数据" in r.output and "本地配套率" in r.output
    assert "批次 run: chains.sourcing synthetic-zhejiang 2024" in r.output     # the default --clusters on synthetic data
    (n, years, synth) = query(db, "SELECT count(*), count(DISTINCT year), bool_and(synthetic) FROM result_chain_sourcing "
                                  "WHERE group_by = 'cluster'")[0]
    assert (n, years, synth) == (15, 1, True)
    (rows,) = query(db, "SELECT count(*) FROM result_chain_sourcing_products WHERE supplier_hhi BETWEEN 0 AND 1 "
                        "AND group_by = 'cluster'")[0]
    assert rows > 50


def test_sourcing_by_county_with_prefecture_as_local(db):
    r = run("sourcing", "--db", db, "--by", "county", "--local", "prefecture")
    assert r.exit_code == 0, r.output
    assert re.search(r"\w+市\w+[区县市] 33\d{4}", r.output)       # counties shown with their names (湖州市吴兴区 330502)
    # issue 11: each grouping is its own run; the clusters' run of the test above stays beside it
    assert query(db, "SELECT DISTINCT group_by, local FROM result_chain_sourcing ORDER BY 1") == [
        ("cluster", "county"), ("county", "prefecture")]


def test_chokepoints_lists_the_planted_chip_input_and_writes_its_buyers(db):
    r = run("chokepoints", "--db", db, "--top", "30")
    assert r.exit_code == 0, r.output
    assert "3973" in r.output and "卡脖子" in r.output
    (flag, sup) = query(db, "SELECT chokepoint, suppliers FROM result_chain_chokepoints WHERE product = '3973'")[0]
    assert flag and sup == 1
    (buyers,) = query(db, "SELECT count(*) FROM result_chain_chokepoint_buyers WHERE product = '3973'")[0]
    assert buyers > 5


def test_leaders_writes_every_firm_and_the_clusters_they_anchor(db):
    r = run("leaders", "--db", db, "--top", "5")
    assert r.exit_code == 0, r.output
    assert "链主" in r.output
    (n, first) = query(db, "SELECT count(*), min(rank) FROM result_chain_leaders")[0]
    assert n > 2000 and first == 1
    (anchors,) = query(db, "SELECT count(DISTINCT cluster_id) FROM result_chain_leader_clusters")[0]
    assert anchors >= 10


def test_resilience_scores_the_fifteen_synthetic_clusters(db):
    r = run("resilience", "--db", db, "--days", "30")
    assert r.exit_code == 0, r.output
    assert "拆不散" in r.output and "压不垮" in r.output
    (n, lo, hi) = query(db, "SELECT count(*), min(resilience), max(resilience) FROM result_chain_resilience")[0]
    assert n == 15 and 0 <= lo <= hi <= 1


def test_shock_on_a_county_writes_the_curve_the_firms_and_json(db, tmp_path):
    (county,) = query(db, "SELECT region_code FROM enterprises GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0]
    out = tmp_path / "shock.json"
    r = run("shock", "--db", db, "--county", county, "--capacity", "0.5", "--days", "30", "--json", out)
    assert r.exit_code == 0, r.output
    assert "总损失 total loss" in r.output and "most affected" in r.output
    assert "批次 run: chains.shock 2024" in r.output
    scenario = f"scenario = 'county {county} at capacity 0.5'"
    assert query(db, f"SELECT count(*), min(day), max(day) FROM result_chain_shock WHERE {scenario}")[0] == (31, 0, 30)
    (hit_ok,) = query(db, f"SELECT bool_and(hit = (region_code = '{county}' AND inside)) FROM result_chain_shock_firms "
                          f"WHERE {scenario}")[0]
    assert hit_ok
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["synthetic"] and doc["params"]["days"] == 30 and len(doc["curve"]) == 31
    assert doc["total_loss"] == pytest.approx(doc["direct_loss"] + doc["indirect_loss"])
    assert doc["indirect_loss"] > 0                   # the loss spreads beyond the county's firms


def test_shock_cutting_an_outside_input_with_soothing_rationing(db):
    r = run("shock", "--db", db, "--outside-product", "3973", "--rationing", "soothing", "--days", "20",
            "--recovery", "none")
    assert r.exit_code == 0, r.output
    (rationing, scenario) = query(db, "SELECT DISTINCT rationing, scenario FROM result_chain_shock "
                                      "WHERE scenario LIKE '%3973%'")[0]
    assert rationing == "soothing" and "3973" in scenario


def test_shock_needs_something_to_hit(db):
    r = run("shock", "--db", db)
    assert r.exit_code == 1
    assert "--county" in r.output


def test_shock_on_an_unknown_firm_fails_clearly(db):
    r = run("shock", "--db", db, "--firm", "91330000NOTAFIRM00")
    assert r.exit_code == 1
    assert "NOTAFIRM" in r.output


def test_a_county_without_firms_fails_naming_it(db):
    r = run("shock", "--db", db, "--county", "110101")
    assert r.exit_code == 1
    assert "--county 110101" in r.output


def test_an_unknown_grouping_fails_naming_the_option(db):
    r = run("sourcing", "--db", db, "--by", "street")
    assert r.exit_code == 1
    assert "--by 'street'" in r.output


def test_a_year_without_indicators_fails_clearly(db):
    r = run("chokepoints", "--db", db, "--year", "1999")
    assert r.exit_code == 1
    assert "1999" in r.output
