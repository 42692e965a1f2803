"""The layers hold: what each part of the package may import and do (issue 11).

Scanned from the source (the AST of every module), so a new module is covered by being added.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "zhizao"
MODULES = sorted(p for p in SRC.rglob("*.py"))
SHELL_LIBS = {"typer", "rich", "click", "fastapi", "starlette", "uvicorn"}
#: The core: levers, the data spine and the application layer (below every shell).
CORE = ("services", "land", "clusters", "chains", "policy", "codes", "data", "accounts", "errors.py", "contract.py",
        "methodfile.py", "sqlgen.py", "settings.py", "disclosure.py")
SHELLS = ("cli", "report", "web")


def _rel(p: Path) -> str:
    return p.relative_to(SRC).as_posix()


def _imports(p: Path) -> set[str]:
    tree = ast.parse(p.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _in(p: Path, parts: tuple[str, ...]) -> bool:
    rel = _rel(p)
    return any(rel == part or rel.startswith(part + "/") for part in parts)


def test_the_scan_sees_every_part_of_the_package():
    rels = {_rel(p).split("/")[0] for p in MODULES}
    assert {"services", "land", "clusters", "chains", "policy", "data", "cli", "report"} <= rels


@pytest.mark.parametrize("path", [p for p in MODULES if _in(p, CORE)], ids=_rel)
def test_no_core_module_imports_a_terminal_or_web_library(path):
    bad = {m for m in _imports(path) if m.split(".")[0] in SHELL_LIBS}
    assert not bad, f"{_rel(path)} imports {sorted(bad)}: terminal and web code belongs in cli/ or web/"


@pytest.mark.parametrize("path", [p for p in MODULES if _in(p, CORE)], ids=_rel)
def test_no_core_module_imports_a_shell(path):
    bad = {m for m in _imports(path) if m.startswith(("zhizao.cli", "zhizao.report", "zhizao.web"))}
    assert not bad, f"{_rel(path)} imports {sorted(bad)}: the core never imports the shells above it"


@pytest.mark.parametrize("path", [p for p in MODULES if _in(p, CORE) and not _in(p, ("services",))], ids=_rel)
def test_no_lever_imports_the_application_layer(path):
    bad = {m for m in _imports(path) if m.startswith("zhizao.services")}
    assert not bad, f"{_rel(path)} imports {sorted(bad)}: levers are below services/"


RAW_SQL = re.compile(r"\bimport duckdb\b|\bfrom duckdb\b|\.raw\b|\braw_sql\(|\.con\.sql\(|\.con\.con\b")


@pytest.mark.parametrize("path", [p for p in MODULES if _rel(p) != "data/store.py"], ids=_rel)
def test_raw_sql_lives_only_in_the_store(path):
    hits = [f"{_rel(path)}:{i}: {line.strip()}" for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if RAW_SQL.search(line) and not line.lstrip().startswith("#")]
    assert not hits, "raw DuckDB outside data/store.py (use Ibis, so it runs on Spark too):\n" + "\n".join(hits)


@pytest.mark.parametrize("path", [p for p in MODULES if _in(p, ("cli",))], ids=_rel)
def test_command_modules_compute_nothing(path):
    # (a lever's text renderers — land.render, policy.explain.render — are fine: rendering)
    bad = {m for m in _imports(path) if m.split(".")[0] in ("numpy", "ibis", "duckdb", "scipy")
           or m.startswith(("pyarrow.compute", "zhizao.data.store", "zhizao.policy.engine", "zhizao.land.evaluate",
                            "zhizao.chains.network", "zhizao.clusters.matrix", "zhizao.data.ingest.core"))}
    assert not bad, f"{_rel(path)} imports {sorted(bad)}: a command parses, calls one service and renders"


@pytest.mark.parametrize("path", [p for p in MODULES if _in(p, ("report",))], ids=_rel)
def test_reports_only_render(path):
    bad = {m for m in _imports(path) if m.split(".")[0] in ("numpy", "ibis", "duckdb", "scipy", "typer", "rich")
           or m.startswith("pyarrow.compute") or m.startswith("zhizao.policy.engine")}
    assert not bad, f"{_rel(path)} imports {sorted(bad)}: reports render results, they compute nothing"


def test_the_scan_would_catch_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import typer\nfrom zhizao.cli import app\nx = wh.raw.execute('select 1')\n", encoding="utf-8")
    assert "typer" in _imports(bad) and "zhizao.cli" in _imports(bad)
    assert RAW_SQL.search(bad.read_text().splitlines()[2])
