"""Alembic's entry point for zhizao's operational database (run by ``zhizao.accounts.db.migrate``).

``migrate`` builds the configuration in code and hands over an open connection
(``config.attributes["connection"]``); without one (``alembic -c some.ini …`` by hand) the URL
comes from the ini file's ``sqlalchemy.url``, or ``-x url=…``. The applied revision is kept in
``zhizao_alembic_version`` (accounts and, later, the voucher ledger share this history).
Importing this module outside Alembic (pytest's doctest collection) does nothing.
"""

from __future__ import annotations

from alembic import context

from zhizao.accounts.db import VERSION_TABLE, make_engine
from zhizao.accounts.models import Base


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE by copy on SQLite
        compare_type=True,
    )


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if getattr(context, "config", None) is not None:  # run by Alembic, not merely imported
    run_migrations()
