"""The lever contract (issue 11): every registered lever runs its standard analyses on the shared
test province, and every table it stores matches the lever's declaration column by column."""

from __future__ import annotations

import shutil

import pytest

from zhizao.contract import RUN_COLUMN, check_table
from zhizao.services import Service
from zhizao.services.registry import LeverRun, levers, result_table

LEVERS = levers()
YEAR = 2024


@pytest.fixture(scope="module")
def contract_db(province_db, tmp_path_factory):
    """One private copy of the shared province for the module: the standard runs write to it."""
    path = tmp_path_factory.mktemp("contract") / "warehouse.duckdb"
    shutil.copy(province_db, path)
    return path


@pytest.fixture(scope="module")
def standard_runs(contract_db):
    """Every lever's standard run, in the registry's order (as the demo runs them)."""
    out = {}
    with Service.open(contract_db) as svc:
        for name, lever in LEVERS.items():
            out[name] = lever.standard_run(svc, YEAR)
        stored = {}
        for name, got in out.items():
            for run in got.runs:
                for t in run.tables:
                    d = svc.wh.result(t)
                    stored[(name, run.run_id, t)] = d.filter(d[RUN_COLUMN] == run.run_id).to_pyarrow()
    return out, stored


def test_every_lever_of_the_platform_is_registered():
    assert {"overview", "land", "clusters", "chains", "policy"} <= set(LEVERS)


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_a_lever_declares_each_table_once_with_labels_and_meaning(name):
    tables = LEVERS[name].tables
    assert tables, name
    names = [t.name for t in tables]
    assert len(names) == len(set(names))
    for t in tables:
        assert t.name.startswith("result_") and t.zh and t.en and t.meaning
        for c in t.columns:
            assert c.zh and c.en and c.meaning, (t.name, c.name)
        assert set(t.key) <= set(t.fixed_columns), (t.name, t.key)


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_a_lever_s_standard_run_records_runs_and_gives_summaries(name, standard_runs):
    got = standard_runs[0][name]
    assert isinstance(got, LeverRun)
    assert got.runs, f"{name} stored nothing"
    assert got.summaries, f"{name} gave no summary"
    for run in got.runs:
        assert run.lever == name and run.tables and run.created_at is not None and run.zhizao_version


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_every_table_a_lever_stores_matches_its_declaration(name, standard_runs):
    stored = {k: v for k, v in standard_runs[1].items() if k[0] == name}
    assert stored
    problems = []
    for (_, run_id, table), data in stored.items():
        decl = next((t for t in LEVERS[name].tables if t.name == table), None) or result_table(table)
        if decl is None:
            problems.append(f"{table}: stored by {name} but declared by no lever")
            continue
        assert data.num_rows > 0 or table.endswith(("_gap", "_buyers")) or "gap" in table, table
        problems += check_table(decl, data)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_a_run_s_row_count_is_what_it_stored(name, standard_runs):
    got, stored = standard_runs[0][name], standard_runs[1]
    for run in got.runs:
        rows = sum(v.num_rows for (lv, rid, _), v in stored.items() if lv == name and rid == run.run_id)
        assert rows == run.row_count, run.label
