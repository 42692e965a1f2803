"""The operational database (业务库): engine, migrations, ORM sessions.

SQLite (a file beside the warehouse, the default) or PostgreSQL (``--oltp-url``), through
SQLAlchemy 2. The schema is made and upgraded by Alembic at start (``migrate``), programmatically:
no ``alembic.ini`` is needed at run time. The revisions live in ``migrations/versions`` (accounts
in ``0001_accounts``; the voucher ledger adds its own later revisions to the same folder) and
the applied revision is recorded in ``zhizao_alembic_version``.

>>> normalize_url("postgresql://u@db:5432/zz")
'postgresql+psycopg://u@db:5432/zz'
>>> normalize_url("sqlite:////tmp/zz.sqlite")
'sqlite:////tmp/zz.sqlite'
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from zhizao.errors import InvalidInput, StoreError

__all__ = ["MIGRATIONS", "VERSION_TABLE", "alembic_config", "make_engine", "migrate", "normalize_url",
           "session_factory"]

#: the Alembic script folder (env.py, versions/)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: the table where Alembic records the applied revision (shared by accounts and vouchers)
VERSION_TABLE = "zhizao_alembic_version"


def normalize_url(url: str) -> str:
    """``url`` with PostgreSQL mapped to the psycopg (3) driver (``postgresql://`` and
    ``postgres://`` → ``postgresql+psycopg://``); other URLs unchanged."""
    text = str(url).strip()
    for plain in ("postgresql://", "postgres://"):
        if text.startswith(plain):
            return "postgresql+psycopg://" + text[len(plain):]
    return text


def make_engine(url: str, **kwargs) -> Engine:
    """An engine on the operational database at ``url`` (``kwargs`` go to ``create_engine``).

    SQLite: the file's folder is created, foreign keys are enforced, the journal is WAL (readers
    do not block the writer), each transaction takes the write lock when it begins (``BEGIN
    IMMEDIATE``: DDL is transactional too, and concurrent read-then-write transactions queue
    instead of failing) and waits up to 5 s for it. PostgreSQL: psycopg 3,
    connections checked before use. ``InvalidInput`` for a URL that is not one of these.
    """
    text = normalize_url(url)
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise InvalidInput(f"业务库地址无法解析：{url!r}（应为 sqlite:///文件 或 postgresql://…）",
                           f"cannot parse the operational database URL {url!r} "
                           "(expected sqlite:///FILE or postgresql://…)", where="oltp_url") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if not in_memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 5)
        engine = create_engine(parsed, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # every new connection
            dbapi_conn.isolation_level = None  # the driver begins nothing itself: "begin" below does
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # take the write lock at the start, so that two transactions that read and then write
            # wait for each other (busy_timeout) instead of failing with "database is locked"
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise InvalidInput(f"不支持的业务库：{backend}（支持 SQLite 和 PostgreSQL）",
                       f"unsupported operational database {backend!r} (SQLite and PostgreSQL are supported)",
                       where="oltp_url")


def alembic_config(connection=None):
    """The Alembic configuration of zhizao's migrations, built in code (no ini file): the script
    folder, and ``connection`` for ``env.py`` to run on."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (the newest by default), in one transaction where the
    database allows it. Idempotent: a database already there is left as it is."""
    from alembic import command

    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    except SQLAlchemyError as e:
        raise StoreError(f"业务库迁移失败（{engine.url.render_as_string(hide_password=True)}）：{e}",
                         f"migrating the operational database {engine.url.render_as_string(hide_password=True)} "
                         f"failed: {e}", where="oltp_url") from e


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def session_factory(engine: Engine) -> sessionmaker:
    """ORM sessions on ``engine``; objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(engine, expire_on_commit=False)
