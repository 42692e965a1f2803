"""`zhizao clusters …` on the shared synthetic province: what users run, what lands in the warehouse."""

from __future__ import annotations

import shutil

import duckdb
import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from zhizao.cli.clusters import clusters_app

runner = CliRunner()
CLI = typer.main.get_command(clusters_app)


@pytest.fixture(scope="module")
def db(province_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "wh.duckdb"
    shutil.copy(province_db, path)
    return path


def run(*args):
    return runner.invoke(clusters_app, [str(a) for a in args], env={"COLUMNS": "200"})


def query(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_command_and_option_has_help_text():
    assert set(CLI.commands) == {"indices", "list", "show", "diagnose", "candidates"}
    for name, cmd in CLI.commands.items():
        assert cmd.help, name
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and p.name != "help":
                assert p.help, (name, p.name)


def test_indices_writes_three_tables_for_every_year_and_an_xlsx(db, tmp_path):
    xlsx = tmp_path / "indices.xlsx"
    r = run("indices", "--db", db, "--industries", "group", "--xlsx", xlsx)
    assert r.exit_code == 0, r.output
    assert "合成数据" in r.output and "ECI" in r.output
    assert "批次 run: clusters.indices 2022–2024" in r.output
    years = query(db, "SELECT DISTINCT year FROM result_cluster_cells ORDER BY 1")
    assert [y for (y,) in years] == [2022, 2023, 2024]
    (n_regions,) = query(db, "SELECT count(DISTINCT region_code) FROM result_cluster_regions")[0]
    assert n_regions > 50
    (level,) = query(db, "SELECT DISTINCT industry_level FROM result_cluster_cells")[0]
    assert level == "group"
    # concentration of firms within each cell: as many firms as the warehouse has in the cells
    (firms, hhi_ok) = query(db, "SELECT sum(firms), bool_and(firm_hhi BETWEEN 0 AND 1) FROM result_cluster_cells "
                                "WHERE year = 2024 AND firms > 0")[0]
    (n_firms,) = query(db, "SELECT count(*) FROM indicators WHERE year = 2024")[0]
    assert firms == n_firms and hhi_ok
    pairs = query(db, "SELECT count(*), min(proximity), max(proximity) FROM result_cluster_relatedness")[0]
    assert pairs[0] > 0 and 0 <= pairs[1] <= pairs[2] <= 1
    # shift-share adds up in the stored table too
    (worst,) = query(db, "SELECT max(abs(ss_national + ss_industry_mix + ss_competitive - (value - value_base))) "
                         "FROM result_cluster_cells WHERE year = 2024")[0]
    assert worst < 1e-6
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["地区产业指标", "地区指标", "行业指标", "说明"]
    rows = list(wb["地区产业指标"].iter_rows(values_only=True))
    assert any(r[0] == "本表数据为合成数据 / synthetic data" for r in rows[:5])
    assert "区位商" in next(r for r in rows if r[0] == "年度")


@pytest.mark.parametrize(("args", "message"), [
    (("--measure", "profit"), "--measure 'profit'"),
    (("--industries", "section"), "--industries 'section'"),
    (("--year", "1999"), "no indicators for 1999"),
    (("--base-year", "2024", "--year", "2024"), "must be before"),
])
def test_indices_rejects_bad_arguments_naming_them(db, args, message):
    r = run("indices", "--db", db, *args)
    assert r.exit_code == 1
    assert message in r.output


def test_list_shows_the_415x_clusters_with_their_codes():
    r = run("list")
    assert r.exit_code == 0, r.output
    assert "智能电气" in r.output and "415X" in r.output


def test_list_on_a_synthetic_warehouse_shows_its_own_clusters(db):
    r = run("list", "--db", db)
    assert r.exit_code == 0, r.output
    assert "诸暨大唐袜业" in r.output and "绍兴市诸暨市 330681" in r.output


def test_list_of_a_missing_file_fails_clearly(tmp_path):
    r = run("list", "--clusters", tmp_path / "nope.yaml")
    assert r.exit_code == 1 and "nope.yaml" in r.output


def test_diagnose_finds_zhuji_socks_big_but_not_strong_and_writes_the_tables(db, tmp_path):
    xlsx = tmp_path / "diag.xlsx"
    r = run("diagnose", "--db", db, "--clusters", "synthetic", "--xlsx", xlsx)
    assert r.exit_code == 0, r.output
    assert "诸暨大唐袜业" in r.output and "大而不强" in r.output
    (verdict,) = query(db, "SELECT verdict FROM result_cluster_diagnosis WHERE cluster_id = 'zhuji_socks'")[0]
    assert verdict == "大而不强"
    tiers = query(db, "SELECT cluster_id, tier, rule FROM result_cluster_tiers")
    assert len(tiers) == 15 and all(t[2] is not None for t in tiers if t[1] != "none")
    assert query(db, "SELECT count(*) FROM result_cluster_weaknesses WHERE cluster_id = 'zhuji_socks'")[0][0] > 0
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["集群画像", "梯度", "诊断", "短板"]
    diag = list(wb["诊断"].iter_rows(values_only=True))
    zhuji = next(r for r in diag if r[0] == "zhuji_socks")
    assert "大而不强" in zhuji and any(isinstance(v, str) and "创新能力" in v for v in zhuji)


def test_diagnose_on_synthetic_data_uses_the_synthetic_clusters_by_default(db):
    r = run("diagnose", "--db", db)
    assert r.exit_code == 0, r.output
    assert "诸暨大唐袜业" in r.output and "批次 run: clusters.diagnose synthetic-zhejiang" in r.output


def test_show_prints_the_profile_tier_rule_and_diagnosis(db):
    r = run("show", "zhuji_socks", "--db", db, "--clusters", "synthetic")
    assert r.exit_code == 0, r.output
    for text in ("诸暨大唐袜业", "区位商", "龙头企业", "梯度 tier", "大而不强"):
        assert text in r.output, text


def test_show_in_english(db):
    r = run("show", "zhuji_socks", "--db", db, "--clusters", "synthetic", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "big but not strong" in r.output.lower()


def test_show_of_an_unknown_cluster_lists_the_ids(db):
    r = run("show", "atlantis", "--db", db, "--clusters", "synthetic")
    assert r.exit_code == 1
    assert "atlantis" in r.output and "zhuji_socks" in r.output


def test_candidates_detect_the_planted_clusters_and_rank_new_stars(db):
    r = run("candidates", "--db", db, "--industries", "class", "--region", "330681")
    assert r.exit_code == 0, r.output
    found = query(db, "SELECT region, industries FROM result_cluster_candidates")
    # 诸暨's socks (class 1763 针织或钩针编织服装制造) is among the detected clusters
    assert any(reg == "330681" and "1763" in inds.split(";") for reg, inds in found)
    stars = query(db, "SELECT region, rank, rca FROM result_cluster_new_stars WHERE region = '330681' ORDER BY rank")
    assert stars and [s[1] for s in stars] == list(range(1, len(stars) + 1))
    assert all(s[2] < 1 for s in stars)


def test_candidates_for_an_unknown_region_fails(db):
    r = run("candidates", "--db", db, "--region", "999999")
    assert r.exit_code == 1 and "999999" in r.output
