"""Fixtures of the account tests: an empty operational database per test — a fresh SQLite file,
and (marker ``pg``, when ``ZHIZAO_TEST_PG_URL`` is set) PostgreSQL: one schema per test session
(named after a random run id, so parallel runs never meet; emptied before each test, dropped at
the end) and a schema of its own for each migration test — an ``Accounts`` on it with a cheap
argon2 hasher and a clock the test moves."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from zhizao.accounts.db import make_engine, migrate
from zhizao.accounts.passwords import cheap_hasher
from zhizao.accounts.service import Accounts
from zhizao.settings import Settings

#: a valid USCC (GB 32100-2015 check characters) for enterprise accounts
USCC = "91350100M000100Y43"
PASSWORD = "correct horse"


class FakeClock:
    """The time an ``Accounts`` sees: starts at a fixed instant, moves when told."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)):
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def pg_run_id() -> str:
    """One id per test session: every schema it makes starts with it (parallel runs never meet)."""
    return f"zz_test_{uuid.uuid4().hex[:10]}"


def _pg_schema_engine(run_id: str):
    import psycopg

    url = os.environ["ZHIZAO_TEST_PG_URL"]
    schema = f"{run_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})

    def drop():
        engine.dispose()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return engine, drop


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def engine(request, tmp_path, pg_run_id):
    """An empty operational database, not migrated: SQLite in tmp_path, or a fresh PostgreSQL
    schema (dropped afterwards)."""
    if request.param == "sqlite":
        e = make_engine(f"sqlite:///{tmp_path / 'oltp.sqlite'}")
        yield e
        e.dispose()
    else:
        e, drop = _pg_schema_engine(pg_run_id)
        try:
            yield e
        finally:
            drop()


@pytest.fixture(scope="session")
def pg_migrated(pg_run_id):
    """One migrated PostgreSQL schema for the session's account tests (emptied before each)."""
    e, drop = _pg_schema_engine(pg_run_id)
    try:
        migrate(e)
        yield e
    finally:
        drop()


def _pg_empty(e) -> None:
    """Every account table emptied, keys restarted — as freshly migrated. The test schema's owner
    may switch the audit log's triggers off for this; the application never does."""
    with e.begin() as con:
        con.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        con.exec_driver_sql("TRUNCATE users, sessions, api_tokens, login_attempts, audit_log RESTART IDENTITY CASCADE")
        con.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def migrated(request, tmp_path):
    """An operational database at the newest schema with no rows: a fresh SQLite file, or the
    session's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        e = make_engine(f"sqlite:///{tmp_path / 'oltp.sqlite'}")
        migrate(e)
        yield e
        e.dispose()
    else:
        e = request.getfixturevalue("pg_migrated")
        _pg_empty(e)
        yield e


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db_path=tmp_path / "warehouse.duckdb", session_ttl_s=8 * 3600, session_idle_s=3600,
                    token_ttl_days=90, login_max_failures=3, login_window_s=600)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def accounts(settings, migrated, clock):
    acc = Accounts(settings, engine=migrated, clock=clock, hasher=cheap_hasher())  # (migrated already)
    yield acc
    acc.close()


@pytest.fixture
def admin(accounts):
    return accounts.add_user("root", PASSWORD, "admin")


def make_user(accounts, name: str, role: str = "official", **kw):
    """A user of ``role`` with what the role needs (a jurisdiction, a USCC)."""
    if role in ("official", "auditor"):
        kw.setdefault("jurisdiction", ["330000"])
    if role == "enterprise":
        kw.setdefault("uscc", USCC)
    return accounts.add_user(name, PASSWORD, role, **kw)


@pytest.fixture
def oltp_file(tmp_path) -> Path:
    return tmp_path / "zhizao-oltp.sqlite"
