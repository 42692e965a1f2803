from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zhizao.accounts import db
from zhizao.accounts.models import Base
from zhizao.accounts.service import Accounts
from zhizao.errors import InvalidInput
from zhizao.settings import Settings


@pytest.mark.parametrize("url, expected", [
    ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
])
def test_a_plain_postgresql_url_is_mapped_to_psycopg(url, expected):
    assert db.normalize_url(url) == expected


def test_a_postgresql_url_makes_a_psycopg_engine():
    engine = db.make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


@pytest.mark.parametrize("url", ["mysql://u@h/d", "not a url"])
def test_an_unsupported_or_malformed_url_is_invalid_input(url):
    with pytest.raises(InvalidInput) as e:
        db.make_engine(url)
    assert e.value.where == "oltp_url"


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sub' / 'oltp.sqlite'}")  # the folder is made
    with engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "sub" / "oltp.sqlite").exists()


def test_migrate_is_idempotent_and_records_the_revision_in_its_own_table(engine):
    db.migrate(engine)
    db.migrate(engine)
    assert db.current_revision(engine) == "0001_accounts"
    names = set(sa.inspect(engine).get_table_names())
    assert {"users", "sessions", "api_tokens", "login_attempts", "audit_log", "zhizao_alembic_version"} <= names
    assert "alembic_version" not in names


def test_the_migrations_match_the_orm_models(engine):
    db.migrate(engine)
    with engine.connect() as con:
        ctx = MigrationContext.configure(con, opts={"compare_type": True, "version_table": db.VERSION_TABLE})
        diff = [d for d in compare_metadata(ctx, Base.metadata)
                if not (d[0] == "remove_table" and d[1].name == db.VERSION_TABLE)]
    assert diff == []


def test_the_migrations_need_no_alembic_ini():
    cfg = db.alembic_config()
    assert cfg.config_file_name is None
    assert cfg.get_main_option("script_location") == str(db.MIGRATIONS)
    assert (db.MIGRATIONS / "versions" / "0001_accounts.py").exists()


def test_downgrade_removes_every_table_and_upgrade_brings_them_back(engine):
    from alembic import command

    db.migrate(engine)
    with engine.begin() as con:
        command.downgrade(db.alembic_config(con), "base")
    assert not {"users", "audit_log"} & set(sa.inspect(engine).get_table_names())
    db.migrate(engine)
    assert {"users", "audit_log"} <= set(sa.inspect(engine).get_table_names())


def test_the_default_database_is_a_sqlite_file_beside_the_warehouse(tmp_path):
    settings = Settings(db_path=tmp_path / "wh" / "warehouse.duckdb")
    with Accounts.open(settings) as acc:
        assert acc.engine.dialect.name == "sqlite"
        assert acc.list_users() == []
    assert (tmp_path / "wh" / "zhizao-oltp.sqlite").exists()


def test_the_accounts_package_imports_no_shell():
    import ast

    for path in db.MIGRATIONS.parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        bad = {m for m in names if m.split(".")[0] in ("typer", "rich", "click", "fastapi", "starlette")
               or m.startswith(("zhizao.cli", "zhizao.web", "zhizao.report"))}
        assert not bad, f"{path.name} imports {sorted(bad)}"
