"""The warehouse (数据仓库): a DuckDB file opened through Ibis, tables created from the schema.

This is shell code (IO). Levers never open a warehouse themselves: the CLI, the web app and
tests open one and hand Ibis tables to the pure analysis functions (docs/architecture.md, principle 1).

The same read functions (``zhizao.data.queries``) run on the PySpark backend:
``open_spark_warehouse`` gives a warehouse with the same interface over a local or remote
Spark session, for a national dataset (docs/architecture.md, principle 3).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from zhizao.data.schema import TABLES, Table, arrow_schema, duckdb_ddl
from zhizao.errors import StoreError

__all__ = ["TABLES", "Warehouse", "SparkWarehouse", "UpsertResult", "WarehouseError", "arrow_schema",
           "default_db_path", "open_spark_warehouse", "open_warehouse", "RUNS_TABLE", "RUNS_SCHEMA"]

DEFAULT_DB = Path(".zhizao") / "warehouse.duckdb"


def default_db_path() -> Path:
    """``$ZHIZAO_DB`` if set, else ``.zhizao/warehouse.duckdb`` under the current directory."""
    env = os.environ.get("ZHIZAO_DB")
    return Path(env) if env else DEFAULT_DB


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int


class WarehouseError(StoreError):
    """The warehouse refused an operation; the message names the table and the column."""

    def __init__(self, en: str, zh: str | None = None):
        super().__init__(zh or "数据仓库操作失败：" + en, en)


#: The table of recorded result runs: one row per run of a lever's analysis (``write_run``).
RUNS_TABLE = "result_runs"
RUNS_SCHEMA = pa.schema([
    ("run_id", pa.string()),          # the id every row the run wrote carries (column run_id)
    ("lever", pa.string()),           # land, clusters, chains, policy, data
    ("analysis", pa.string()),        # e.g. land.evaluate, policy.check
    ("run_key", pa.string()),         # a newer run with the same key replaces this one's rows
    ("method_id", pa.string()),
    ("method_version", pa.string()),
    ("method_hash", pa.string()),     # sha256 of the method file (or of the validated method)
    ("years", pa.string()),           # comma-separated years the run covers
    ("parameters", pa.string()),      # JSON of the other arguments
    ("tables", pa.string()),          # comma-separated result tables written
    ("row_count", pa.int64()),
    ("created_at", pa.timestamp("us")),
    ("zhizao_version", pa.string()),
    ("superseded_by", pa.string()),   # the run that replaced this one's rows (null while current)
])


def conform_runs(data: pa.Table) -> pa.Table:
    """``data`` with the columns of ``RUNS_SCHEMA`` (missing ones null)."""
    cols = [data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
            for f in RUNS_SCHEMA]
    return pa.Table.from_arrays(cols, schema=RUNS_SCHEMA)


def conform(table: Table, data: pa.Table) -> pa.Table:
    """Select and cast ``data``'s columns to the warehouse schema; missing optional columns are null.

    Raises ``WarehouseError`` naming the table and columns when a required column is missing,
    or a column cannot be cast.
    """
    schema = arrow_schema(table)
    missing = [f.name for f in schema if not f.nullable and f.name not in data.column_names]
    if missing:
        raise WarehouseError(f"table {table.name}: required column(s) missing: {', '.join(missing)}")
    cols = []
    for f in schema:
        if f.name in data.column_names:
            col = data.column(f.name)
            try:
                cols.append(col if col.type == f.type else col.cast(f.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise WarehouseError(f"table {table.name}, column {f.name}: cannot store {col.type} as {f.type}: {e}") from e
        else:
            cols.append(pa.nulls(data.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


class _Tables:
    """What both warehouses share: Ibis tables by name, and quarantine as an upsert."""

    con = None  # the Ibis backend

    def table(self, name: str):
        """The Ibis table ``name`` (lazy)."""
        _check_name(name)
        return self.con.table(name)

    def tables(self) -> dict:
        """Every warehouse table as an Ibis table, by name."""
        return {name: self.table(name) for name in TABLES}

    def append_quarantine(self, rows: pa.Table) -> UpsertResult:
        """Record rejected rows; the same (file, sheet, row, column, reason) is kept once."""
        return self.upsert("quarantine", rows)

    #: Bumped by every write, so a cache keyed on it (``zhizao.services.Service``) never serves a
    #: result computed before the warehouse changed.
    generation = 0
    #: Bumped only by writes to the data tables (import, synth): a cache of something computed
    #: from the data alone (a supply network, an evaluation) survives result writes.
    data_generation = 0

    def _changed(self, *, data: bool = False) -> None:
        self.generation += 1
        if data:
            self.data_generation += 1

    def list_tables(self) -> list[str]:
        """The names of every table the warehouse holds (schema tables, results, ``result_runs``)."""
        return sorted(self.con.list_tables())

    def has_table(self, name: str) -> bool:
        """Whether the warehouse holds a table ``name`` (result tables come and go)."""
        return name in self.con.list_tables()

    def result(self, name: str):
        """The Ibis table of a result table by its full name (``result_land_evaluation``)."""
        if not name.startswith("result_") or not self.has_table(name):
            raise WarehouseError(f"no result table {name!r} in the warehouse")
        return self.con.table(name)

    def indicator_years(self) -> list[int]:
        """The years with indicators, ascending (one Ibis query: DuckDB and Spark alike)."""
        ind = self.table("indicators")
        return sorted(int(y) for y in ind.select("year").distinct().to_pyarrow().column("year").to_pylist()
                      if y is not None)

    def query(self, key, build, params: dict) -> pa.Table:
        """The result of the Ibis expression ``build(params)`` (``params``: name → string value).
        Here (Spark) it is built and run each time; the DuckDB warehouse compiles it once per
        ``key`` and binds the values as statement parameters."""
        return build(dict(params)).to_pyarrow()

    def runs(self) -> pa.Table:
        """Every recorded result run (``result_runs``), newest first; empty before the first run."""
        if not self.has_table(RUNS_TABLE):
            return RUNS_SCHEMA.empty_table()
        t = self.con.table(RUNS_TABLE)
        return conform_runs(t.order_by(t.created_at.desc()).to_pyarrow())


class Warehouse(_Tables):
    """A DuckDB warehouse file with every table of ``schema.TABLES``.

    ``con`` is the Ibis backend (lazy expressions, the levers' input); ``raw`` the DuckDB
    connection, used for bulk writes.
    """

    backend = "duckdb"

    def __init__(self, path: str | Path, *, read_only: bool = False):
        import ibis

        from zhizao import sqlgen  # noqa: F401 - how the warehouse's Ibis expressions compile

        self.path = Path(path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise WarehouseError(f"warehouse {self.path} does not exist: run `zhizao synth` or `zhizao import` first")
        self.con = ibis.duckdb.connect(str(self.path), read_only=read_only)
        self.raw = self.con.con
        self._in_tx = False
        if not read_only:
            for t in TABLES.values():
                self._sql(duckdb_ddl(t))

    # -- reading -------------------------------------------------------------------------
    def query(self, key, build, params: dict) -> pa.Table:
        """The result of ``build(params)`` — an Ibis expression in which every value of ``params``
        (strings: a USCC, a search text) appears as a literal — compiled to SQL once per ``key``
        and run as a prepared statement with the values bound as parameters. Compiling an Ibis
        expression costs 5–20 ms; a point query on DuckDB about 1 ms, so interactive reads
        (a profile, a search page) compile once and then only execute. ``key`` must name
        everything else the expression depends on (the scope, the filters given, the table)."""
        params = {k: str(v) for k, v in params.items()}
        cache = self.__dict__.setdefault("_compiled", {})
        if key not in cache:
            marks = {k: f"zzparam{uuid.uuid4().hex}" for k in params}
            sql = str(self.con.compile(build(marks)))
            for k, mark in marks.items():
                if f"'{mark}'" not in sql:
                    raise WarehouseError(f"query {key!r}: parameter {k} was not kept as a literal")
                sql = sql.replace(f"'{mark}'", f"${k}")
            if "zzparam" in sql:
                raise WarehouseError(f"query {key!r}: a parameter was transformed in the compiled SQL")
            if len(cache) > 512:
                cache.clear()
            cache[key] = sql
        return self.raw.sql(cache[key], params=params).to_arrow_table()

    def release_memtables(self) -> int:
        """Unregister the in-memory tables (``ibis.memtable``) whose expressions are gone. Ibis 12
        registers each memtable on the connection the first time a query uses it and drops it
        only at interpreter exit, so a long-running server would keep every one (and its data);
        the web platform calls this after its service calls. Also sweeps Ibis's default DuckDB
        backend (where expressions over memtables alone run). Returns how many were released."""
        import ibis

        n = release_memtables(self.con)
        default = getattr(ibis.options, "default_backend", None)
        if default is not None and default is not self.con and getattr(default, "name", "") == "duckdb":
            n += release_memtables(default)
        return n

    def list_tables(self) -> list[str]:
        # Ibis's DuckDB list_tables() breaks on DuckDB 1.4+ (fetch_arrow_table): ask DuckDB directly
        return sorted(r[0] for r in self._sql("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_schema = 'main'"))

    def has_table(self, name: str) -> bool:
        return self.raw.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                                "AND table_name = ?", [name]).fetchall()[0][0] > 0

    def to_arrow(self, name: str) -> pa.Table:
        _check_name(name)
        return self._arrow(f'SELECT * FROM "{name}"')

    def counts(self) -> dict[str, int]:
        """Row count of every table."""
        return {name: self._sql(f'SELECT count(*) FROM "{name}"')[0][0] for name in TABLES}

    def existing_keys(self, name: str, keys: pa.Table) -> pa.Table:
        """The rows of ``keys`` (natural-key columns of ``name``) that already exist in the store."""
        table = _check_name(name)
        view = self._register(keys)
        try:
            on = " AND ".join(f'k."{c}" = t."{c}"' for c in table.key)
            cols = ", ".join(f'k."{c}"' for c in table.key)
            return self._arrow(f'SELECT {cols} FROM {view} k JOIN "{name}" t ON {on}')
        finally:
            self.raw.unregister(view)

    def with_stored_values(self, name: str, data: pa.Table, columns: list[str]) -> pa.Table:
        """``data`` plus ``columns`` taken from the stored row with the same key (null for new keys).

        Lets a file that carries only some columns (a tax office's sheet of taxes) update those
        and keep the rest.
        """
        table = _check_name(name)
        if not columns or not self._sql(f'SELECT count(*) FROM (SELECT 1 FROM "{name}" LIMIT 1)')[0][0]:
            return data  # nothing stored: nothing to keep
        view = self._register(data)
        try:
            on = " AND ".join(f'n."{k}" = t."{k}"' for k in table.key)
            extra = ", ".join(f't."{c}"' for c in columns)
            return self._arrow(f'SELECT n.*, {extra} FROM {view} n LEFT JOIN "{name}" t ON {on}')
        finally:
            self.raw.unregister(view)

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """Everything inside is committed together or not at all (``--strict`` import)."""
        if self._in_tx:
            yield self
            return
        self._sql("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            self._sql("ROLLBACK")
            raise
        else:
            self._sql("COMMIT")
        finally:
            self._in_tx = False

    def upsert(self, name: str, data: pa.Table) -> UpsertResult:
        """Insert new rows and update changed ones, by the table's natural key.

        The natural key is kept unique here rather than by a PRIMARY KEY constraint, whose index
        makes DuckDB's bulk inserts several times slower: a batch that repeats a key is refused,
        new keys are inserted, and a changed row replaces the stored one. Rows of ``data`` must
        be unique on the key. Returns how many rows were inserted,
        updated (some value changed) and left unchanged (identical row already stored).
        """
        table = _check_name(name)
        data = conform(table, data)
        if data.num_rows == 0:
            return UpsertResult(0, 0, 0)
        view = self._register(data)
        try:
            on = " AND ".join(f'n."{c}" = t."{c}"' for c in table.key)
            first_key = table.key[0]
            value_cols = [c for c in table.column_names if c not in table.key]
            diff = " OR ".join(f'n."{c}" IS DISTINCT FROM t."{c}"' for c in value_cols) or "FALSE"
            with self.transaction():
                self._refuse_repeated_keys(table, view)
                self._sql(
                    f"CREATE OR REPLACE TEMP TABLE _zz_status AS SELECT n.*, "
                    f'CASE WHEN t."{first_key}" IS NULL THEN 1 WHEN {diff} THEN 2 ELSE 0 END AS _zz_s '
                    f'FROM {view} n LEFT JOIN "{name}" t ON {on}'
                )
                ins, upd, same = self._sql(
                    "SELECT count(*) FILTER (_zz_s = 1), count(*) FILTER (_zz_s = 2), count(*) FILTER (_zz_s = 0) "
                    "FROM _zz_status"
                )[0]
                cols = ", ".join(f'"{c}"' for c in table.column_names)
                if upd:
                    self._sql(f'DELETE FROM "{name}" t USING _zz_status n WHERE n._zz_s = 2 AND {on}')
                if ins or upd:
                    self._sql(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM _zz_status WHERE _zz_s > 0')
                self._sql("DROP TABLE _zz_status")
        finally:
            self.raw.unregister(view)
        self._changed(data=True)
        return UpsertResult(int(ins), int(upd), int(same))

    def replace(self, name: str, data: pa.Table) -> int:
        """Replace the whole content of a table (used by ``zhizao synth``)."""
        table = _check_name(name)
        data = conform(table, data)
        view = self._register(data)
        try:
            with self.transaction():
                self._refuse_repeated_keys(table, view)
                self._sql(f'DELETE FROM "{name}"')
                cols = ", ".join(f'"{c}"' for c in table.column_names)
                self._sql(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM {view}')
        finally:
            self.raw.unregister(view)
        self._changed(data=True)
        return data.num_rows

    def write_run(self, run: dict, tables: dict[str, pa.Table]) -> dict[str, str]:
        """Store the result tables of one run and record the run, in one transaction.

        ``run`` is a row of ``result_runs`` (``run_id``, ``run_key`` … as ``RUNS_SCHEMA``);
        ``tables`` maps a result name (``land_evaluation``) to its rows. Each table is written as
        ``result_<name>`` with a ``run_id`` column. Rows of earlier runs with the same ``run_key``
        are removed (those runs are marked ``superseded_by``); rows of other runs are kept, so one
        table can hold, say, a land evaluation by each method. Returns name → table written.
        """
        written = {}
        with self.transaction():
            old = self._active_runs(run["run_key"])
            for name, data in tables.items():
                written[name] = self._write_run_table(f"result_{name}", data, run["run_id"], old)
            if old:
                ids = ", ".join(f"'{_quote(i)}'" for i in old)
                self._sql(f"UPDATE {RUNS_TABLE} SET superseded_by = '{_quote(run['run_id'])}' "
                          f"WHERE run_id IN ({ids})")
            self._append_run(run)
        self._changed()
        return written

    def _active_runs(self, run_key: str) -> list[str]:
        if not self.has_table(RUNS_TABLE):
            return []
        rows = self.raw.execute(f"SELECT run_id FROM {RUNS_TABLE} WHERE run_key = ? AND superseded_by IS NULL",
                                [run_key]).fetchall()
        return [r[0] for r in rows]

    def _append_run(self, run: dict) -> None:
        row = conform_runs(pa.Table.from_pylist([run]))
        view = self._register(row)
        try:
            if not self.has_table(RUNS_TABLE):
                self._sql(f"CREATE TABLE {RUNS_TABLE} AS SELECT * FROM {view}")
            else:
                self._sql(f"INSERT INTO {RUNS_TABLE} BY NAME SELECT * FROM {view}")
        finally:
            self.raw.unregister(view)

    def _write_run_table(self, table_name: str, data: pa.Table, run_id: str, superseded: list[str]) -> str:
        if not table_name.startswith("result_") or table_name == RUNS_TABLE or not _SAFE.fullmatch(table_name):
            raise WarehouseError(f"{table_name!r} is not a result table name (result_<lower_snake_case>)")
        if "run_id" in data.column_names:
            data = data.drop_columns(["run_id"])
        data = data.append_column("run_id", pa.array([run_id] * data.num_rows, pa.string()))
        view = self._register(data)
        try:
            exists = self.has_table(table_name)
            stored = [r[0] for r in self._sql(f'DESCRIBE "{table_name}"')] if exists else []
            others = 0
            if exists and "run_id" in stored:
                keep = " AND ".join(f"run_id <> '{_quote(i)}'" for i in superseded) or "TRUE"
                others = self._sql(f'SELECT count(*) FROM "{table_name}" WHERE run_id IS NOT NULL AND {keep}')[0][0]
            if not others:   # nothing else to keep: the table is this run's rows
                self._sql(f'CREATE OR REPLACE TABLE "{table_name}" AS SELECT * FROM {view}')
                return table_name
            if superseded:
                ids = ", ".join(f"'{_quote(i)}'" for i in superseded)
                self._sql(f'DELETE FROM "{table_name}" WHERE run_id IN ({ids})')
            types = dict(self._sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {view})"))
            have = dict(self._sql(f'SELECT column_name, column_type FROM (DESCRIBE "{table_name}")'))
            if any(c in have and have[c] != t for c, t in types.items()):
                # a column's type differs between runs: rebuild from both, by name (nothing cast away)
                kept = self._arrow(f'SELECT * FROM "{table_name}"')
                try:
                    both = pa.concat_tables([kept, data], promote_options="permissive")
                except (pa.ArrowTypeError, pa.ArrowInvalid) as e:
                    raise WarehouseError(f"table {table_name}: this run's columns cannot be stored beside the "
                                         f"other runs' ({e})") from None
                self.raw.unregister(view)
                view = self._register(both)
                self._sql(f'CREATE OR REPLACE TABLE "{table_name}" AS SELECT * FROM {view}')
                return table_name
            for c, t in types.items():
                if c not in have:
                    self._sql(f'ALTER TABLE "{table_name}" ADD COLUMN "{c}" {t}')
            self._sql(f'INSERT INTO "{table_name}" BY NAME SELECT * FROM {view}')
        finally:
            self.raw.unregister(view)
        return table_name

    def close(self) -> None:
        self.con.disconnect()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _refuse_repeated_keys(self, table: Table, view: str) -> None:
        keys = ", ".join(f'"{c}"' for c in table.key)
        dup = self._sql(f"SELECT count(*) - count(DISTINCT ({keys})) FROM {view}")[0][0]
        if dup:
            raise WarehouseError(f"table {table.name}: {dup} row(s) repeat a key {table.key} within one write")

    def _sql(self, query: str) -> list[tuple]:
        """Run one statement to completion (DuckDB 2 refuses new work while a result is open)."""
        return self.raw.execute(query).fetchall()

    def _arrow(self, query: str) -> pa.Table:
        return self.raw.sql(query).to_arrow_table()

    def _register(self, data: pa.Table) -> str:
        view = f"_zz_in_{uuid.uuid4().hex[:12]}"
        self.raw.register(view, data)
        return view


_SAFE = __import__("re").compile(r"result_[a-z0-9_]+")


def release_memtables(backend) -> int:
    """Unregister from the Ibis DuckDB ``backend`` every memtable view no live expression uses."""
    import gc

    gc.collect(0)
    live = {op.name for op in list(getattr(backend, "_memtables", ()))}
    raw = backend.con
    names = [r[0] for r in raw.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND "
                                       "view_name LIKE 'ibis_%memtable_%'").fetchall()]
    gone = [n for n in names if n not in live]
    for n in gone:
        raw.unregister(n)
    return len(gone)


def _quote(text: str) -> str:
    return str(text).replace("'", "''")


def _check_name(name: str) -> Table:
    if name not in TABLES:
        raise WarehouseError(f"no table {name!r}; the warehouse has: {', '.join(TABLES)}")
    return TABLES[name]


def open_warehouse(path: str | Path | None = None, *, read_only: bool = False) -> Warehouse:
    """Open (and create if needed) the DuckDB warehouse at ``path`` (default: ``default_db_path()``)."""
    return Warehouse(path if path is not None else default_db_path(), read_only=read_only)


class SparkWarehouse(_Tables):
    """The warehouse interface on an Ibis PySpark backend (tables held in the Spark catalog).

    Writes rebuild a table from its merged content (Spark tables are immutable files); this
    suits loading an import or a synthetic province, not row-by-row updates.
    """

    backend = "pyspark"

    def __init__(self, session=None):
        import ibis

        from zhizao import sqlgen  # noqa: F401 - how the warehouse's Ibis expressions compile

        if session is None:
            from pyspark.sql import SparkSession

            import tempfile

            session = (
                SparkSession.builder.master("local[2]").appName("zhizao")
                .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="zhizao-spark-"))
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        self.session = session
        self.con = ibis.pyspark.connect(session)
        for t in TABLES.values():
            if t.name not in self.con.list_tables():
                self._write(t.name, conform(t, arrow_schema(t).empty_table()))

    def to_arrow(self, name: str) -> pa.Table:
        return conform(_check_name(name), self.table(name).to_pyarrow())

    def counts(self) -> dict[str, int]:
        return {name: int(self.table(name).count().execute()) for name in TABLES}

    def existing_keys(self, name: str, keys: pa.Table) -> pa.Table:
        table = _check_name(name)
        stored = self.to_arrow(name).select(list(table.key))
        return keys.join(stored, list(table.key), join_type="inner").select(list(table.key))

    def with_stored_values(self, name: str, data: pa.Table, columns: list[str]) -> pa.Table:
        table = _check_name(name)
        if not columns:
            return data
        stored = self.to_arrow(name).select([*table.key, *columns])
        return data.join(stored, list(table.key), join_type="left outer")

    @contextmanager
    def transaction(self) -> Iterator[SparkWarehouse]:
        """Snapshot and restore on failure (Spark has no multi-table transactions)."""
        snapshot = {name: self.to_arrow(name) for name in TABLES}
        try:
            yield self
        except BaseException:
            for name, data in snapshot.items():
                self._write(name, data)
            raise

    def upsert(self, name: str, data: pa.Table) -> UpsertResult:
        table = _check_name(name)
        data = conform(table, data)
        stored = self.to_arrow(name)
        key = list(table.key)
        old = stored.append_column("_zz_old", pa.array([True] * stored.num_rows, pa.bool_()))
        joined = data.join(old, key, join_type="left outer", right_suffix="_zz_t")
        is_new = joined.column("_zz_old").is_null()
        value_cols = [c for c in table.column_names if c not in key]
        import pyarrow.compute as pc

        changed = pa.array([False] * joined.num_rows)
        for c in value_cols:
            a, b = joined.column(c), joined.column(f"{c}_zz_t")
            differs = pc.or_kleene(pc.invert(pc.equal(a, b)).fill_null(False), pc.xor(pc.is_null(a), pc.is_null(b)))
            changed = pc.or_(changed, differs)
        ins = pc.sum(is_new.cast(pa.int64())).as_py() or 0
        upd = pc.sum(pc.and_(pc.invert(is_new), changed).cast(pa.int64())).as_py() or 0
        keep_old = stored.filter(pc.invert(pc.is_in(_key_strings(stored, key), _key_strings(data, key))))
        self._write(name, pa.concat_tables([keep_old, data]))
        self._changed(data=True)
        return UpsertResult(int(ins), int(upd), data.num_rows - int(ins) - int(upd))

    def replace(self, name: str, data: pa.Table) -> int:
        data = conform(_check_name(name), data)
        self._write(name, data)
        self._changed(data=True)
        return data.num_rows

    def _write(self, name: str, data: pa.Table) -> None:
        self.con.create_table(name, data, overwrite=True)

    def write_run(self, run: dict, tables: dict[str, pa.Table]) -> dict[str, str]:
        """As ``Warehouse.write_run``: merged with pyarrow and rewritten (Spark tables are files)."""
        import pyarrow.compute as pc

        runs = self.runs()
        old = [r["run_id"] for r in runs.to_pylist() if r["run_key"] == run["run_key"] and r["superseded_by"] is None]
        written = {}
        for name, data in tables.items():
            table_name = f"result_{name}"
            if "run_id" in data.column_names:
                data = data.drop_columns(["run_id"])
            data = data.append_column("run_id", pa.array([run["run_id"]] * data.num_rows, pa.string()))
            if self.has_table(table_name):
                kept = self.con.table(table_name).to_pyarrow()
                if "run_id" in kept.column_names:
                    kept = kept.filter(pc.invert(pc.is_in(kept.column("run_id"), pa.array(old, pa.string()))))
                    if kept.num_rows:
                        data = pa.concat_tables([kept, data], promote_options="permissive")
            self._write(table_name, data)
            written[name] = table_name
        if old:
            sup = pa.array([run["run_id"] if i in old else s for i, s in
                             zip(runs.column("run_id").to_pylist(), runs.column("superseded_by").to_pylist())],
                           pa.string())
            runs = runs.set_column(runs.schema.get_field_index("superseded_by"), "superseded_by", sup)
        self._write(RUNS_TABLE, pa.concat_tables([runs, conform_runs(pa.Table.from_pylist([run]))]))
        self._changed()
        return written

    def close(self) -> None:
        pass


def _key_strings(data: pa.Table, key: list[str]) -> pa.Array:
    import pyarrow.compute as pc

    parts = [pc.cast(data.column(c), pa.string()).fill_null("\x00") for c in key]
    return pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0].combine_chunks()


def open_spark_warehouse(session=None) -> SparkWarehouse:
    """A warehouse on a (local, by default) Spark session through Ibis's PySpark backend."""
    return SparkWarehouse(session)
