"""Result runs (结果批次): every stored result carries the id of the run that wrote it.

A run is one call of a lever's analysis that stored tables: ``result_runs`` records the lever,
the analysis, the method (id, version, the method file's SHA-256), the years, the other
parameters, the tables and row count, when, and the zhizao version. A newer run with the same
*run key* (analysis + method + the parameters that name the result, e.g. the policy id) replaces
the older one's rows; the older run stays in ``result_runs`` marked ``superseded_by``.

``stored_or_compute`` is the one place that decides between using a stored run and computing
afresh: a stored run is used when its method hash, parameters and years match what is asked.

>>> run_key("land.evaluate", method_id="shandong")
'land.evaluate|method=shandong'
>>> run_key("policy.package", uscc="X", year=2024)
'policy.package|uscc=X|year=2024'
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

import zhizao
from zhizao.contract import Column
from zhizao.errors import NotFound
from zhizao.methodfile import fingerprint

__all__ = ["runs_page", "RUN_COLUMNS", "Run", "run_key", "record", "find", "stored_or_compute", "rows", "get", "list_runs", "Stored"]


@dataclass(frozen=True)
class Run:
    """One recorded run (a row of ``result_runs``)."""

    run_id: str
    lever: str
    analysis: str
    run_key: str
    method_id: str | None
    method_version: str | None
    method_hash: str | None
    years: tuple[int, ...]
    parameters: dict = field(default_factory=dict)
    tables: tuple[str, ...] = ()
    row_count: int = 0
    created_at: _dt.datetime | None = None
    zhizao_version: str = ""
    superseded_by: str | None = None

    @classmethod
    def from_row(cls, r: Mapping) -> Run:
        return cls(run_id=r["run_id"], lever=r["lever"], analysis=r["analysis"], run_key=r["run_key"],
                   method_id=r["method_id"], method_version=r["method_version"], method_hash=r["method_hash"],
                   years=tuple(int(y) for y in (r["years"] or "").split(",") if y),
                   parameters=json.loads(r["parameters"] or "{}"),
                   tables=tuple(t for t in (r["tables"] or "").split(",") if t), row_count=int(r["row_count"] or 0),
                   created_at=r["created_at"], zhizao_version=r["zhizao_version"] or "",
                   superseded_by=r["superseded_by"])

    def to_row(self) -> dict:
        return {"run_id": self.run_id, "lever": self.lever, "analysis": self.analysis, "run_key": self.run_key,
                "method_id": self.method_id, "method_version": self.method_version, "method_hash": self.method_hash,
                "years": ",".join(map(str, self.years)), "parameters": _dumps(self.parameters),
                "tables": ",".join(self.tables), "row_count": self.row_count, "created_at": self.created_at,
                "zhizao_version": self.zhizao_version, "superseded_by": self.superseded_by}

    def to_dict(self) -> dict:
        """JSON-able (the API's ``run`` object beside every figure)."""
        d = self.to_row()
        d.update(years=list(self.years), tables=list(self.tables), parameters=self.parameters,
                 created_at=self.created_at.isoformat() if self.created_at else None)
        return d

    @property
    def label(self) -> str:
        """One line a page or a report prints beside a figure: analysis, method, years, run, when."""
        method = f" {self.method_id}" + (f"@{self.method_version}" if self.method_version else "") if self.method_id else ""
        years = ""
        if self.years:
            years = f" {self.years[0]}" + (f"–{self.years[-1]}" if len(self.years) > 1 else "")
        when = f", {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else ""
        return f"{self.analysis}{method}{years} (run {self.run_id}{when})"


def _dumps(params: Mapping | None) -> str:
    return json.dumps(dict(params or {}), sort_keys=True, ensure_ascii=False, default=str)


def run_key(analysis: str, method_id: str | None = None, **names) -> str:
    """The key under which a newer run replaces an older one: the analysis, the method id and the
    parameters that name the result (not those that only change how it is computed)."""
    parts = [analysis] + ([f"method={method_id}"] if method_id else [])
    parts += [f"{k}={names[k]}" for k in sorted(names)]
    return "|".join(parts)


def record(svc, *, lever: str, analysis: str, tables: Mapping[str, pa.Table], method=None,
           years: Sequence[int] = (), parameters: Mapping | None = None, key: Mapping | None = None) -> Run:
    """Store ``tables`` (name → rows, written as ``result_<name>``) as one new run and return it.

    ``key``: the parameters that name the result (see ``run_key``); ``parameters``: every other
    argument that shaped it (recorded, and matched by ``find``)."""
    fp = fingerprint(method) if method is not None else None
    run = Run(run_id=_new_id(), lever=lever, analysis=analysis,
              run_key=run_key(analysis, fp.id if fp else None, **dict(key or {})),
              method_id=fp.id if fp else None, method_version=fp.version if fp else None,
              method_hash=fp.sha256 if fp else None, years=tuple(sorted({int(y) for y in years})),
              parameters=json.loads(_dumps(parameters)), tables=tuple(f"result_{n}" for n in tables),
              row_count=sum(t.num_rows for t in tables.values()),
              created_at=_dt.datetime.now().replace(microsecond=0), zhizao_version=zhizao.__version__)
    svc.wh.write_run(run.to_row(), dict(tables))
    return run


def _new_id() -> str:
    return f"{_dt.date.today():%Y%m%d}-{uuid.uuid4().hex[:8]}"


def list_runs(svc, *, lever: str | None = None, analysis: str | None = None, current: bool = True) -> list[Run]:
    """Recorded runs, newest first (``current``: only those whose rows are still stored)."""
    def read():
        return [Run.from_row(r) for r in svc.wh.runs().to_pylist()]

    runs = svc.memo("runs", read)
    return [r for r in runs if (lever is None or r.lever == lever) and (analysis is None or r.analysis == analysis)
            and (not current or r.superseded_by is None)]


#: The columns of a list of runs (what the API and its downloads declare).
RUN_COLUMNS = (
    Column("run_id", "string", "批次", "run", "the run's id (every result row carries it)"),
    Column("lever", "string", "杠杆", "lever", "land, clusters, chains, policy, overview"),
    Column("analysis", "string", "分析", "analysis", "what was computed (land.evaluate, policy.check …)"),
    Column("method_id", "string", "方法", "method", "the method file's id"),
    Column("method_version", "string", "方法版本", "method version", "the method file's version"),
    Column("method_hash", "string", "方法文件哈希", "method file hash", "SHA-256 of the method file"),
    Column("years", "string", "年度", "years", "the years computed"),
    Column("row_count", "int64", "行数", "rows", "rows written", "count"),
    Column("created_at", "string", "计算时间", "created at", "when the run was recorded (UTC)"),
    Column("zhizao_version", "string", "软件版本", "zhizao version", "the zhizao version that computed it"),
    Column("superseded_by", "string", "被替代批次", "superseded by", "the newer run that replaced its rows"),
)


def runs_page(svc, *, lever: str | None = None, current: bool = True, page: int = 1, page_size: int = 50):
    """Recorded runs as a ``Page`` (newest first), and every row for a download with ``page_size=0``."""
    from zhizao.services.paging import Page, check_paging

    got = list_runs(svc, lever=lever, current=current)
    rows = [{"run_id": r.run_id, "lever": r.lever, "analysis": r.analysis, "method_id": r.method_id,
             "method_version": r.method_version, "method_hash": r.method_hash,
             "years": ",".join(map(str, r.years)), "row_count": r.row_count,
             "created_at": str(r.created_at) if r.created_at else None, "zhizao_version": r.zhizao_version,
             "superseded_by": r.superseded_by} for r in got]
    if page_size == 0:
        return Page(RUN_COLUMNS, rows, len(rows), 1, max(len(rows), 1))
    check_paging(page, page_size)
    start = (page - 1) * page_size
    return Page(RUN_COLUMNS, rows[start:start + page_size], len(rows), page, page_size)


def get(svc, run_id: str) -> Run:
    """The run ``run_id`` (current or superseded); ``NotFound`` when none was recorded."""
    for r in list_runs(svc, current=False):
        if r.run_id == run_id:
            return r
    raise NotFound(f"没有批次 {run_id}", f"no run {run_id!r} in result_runs", where=run_id)


def find(svc, analysis: str, *, method=None, parameters: Mapping | None = None, years: Sequence[int] = (),
         key: Mapping | None = None, table: str | None = None) -> Run | None:
    """The newest current run of ``analysis`` whose method hash and parameters equal the ones asked
    and whose years include ``years`` (and which wrote ``table``, given as ``result_<name>``)."""
    fp = fingerprint(method) if method is not None else None
    want_key = run_key(analysis, fp.id if fp else None, **dict(key or {}))
    want_params = json.loads(_dumps(parameters))
    for r in list_runs(svc, analysis=analysis):
        if r.run_key != want_key or (fp is not None and r.method_hash != fp.sha256):
            continue
        if r.parameters != want_params or not set(years) <= set(r.years):
            continue
        if table is not None and table not in r.tables:
            continue
        if table is not None and not svc.wh.has_table(table):
            continue
        return r
    return None


def rows(svc, run: Run, table: str):
    """The rows ``run`` wrote to ``table`` (``result_<name>``), as a lazy Ibis table."""
    t = svc.wh.result(table)
    return t.filter(t.run_id == run.run_id)


@dataclass(frozen=True)
class Stored:
    """What ``stored_or_compute`` gives: the tables (Ibis, by result name), the run they belong
    to (None when computed and not stored) and whether a stored run was reused."""

    tables: dict
    run: Run | None
    reused: bool

    def __getitem__(self, name: str):
        return self.tables[name]


def stored_or_compute(svc, *, lever: str, analysis: str, compute: Callable[[], Mapping[str, pa.Table]],
                      method=None, years: Sequence[int] = (), parameters: Mapping | None = None,
                      key: Mapping | None = None, store: bool = True, reuse: bool = True) -> Stored:
    """The one "use the stored run or compute it": a current run matching ``analysis``, the
    method's hash, ``parameters``, ``key`` and covering ``years`` is reused; otherwise ``compute()``
    (name → pyarrow table) runs — once per data generation in a warm service — and, with
    ``store``, is recorded as a new run. ``reuse=False`` always computes (an explicit re-run),
    also in a warm service."""
    import ibis

    if reuse:
        found = find(svc, analysis, method=method, parameters=parameters, years=years, key=key)
        if found is not None and all(svc.wh.has_table(t) for t in found.tables):
            return Stored({t[len("result_"):]: rows(svc, found, t) for t in found.tables}, found, True)
    fp = fingerprint(method) if method is not None else None
    memo_key = ("computed", analysis, fp.sha256 if fp else None, tuple(years), _dumps(parameters), _dumps(key))
    computed = svc.memo(memo_key, lambda: dict(compute()), data_only=True) if reuse else dict(compute())
    if not store:
        return Stored({n: ibis.memtable(t) for n, t in computed.items()}, None, False)
    run = record(svc, lever=lever, analysis=analysis, tables=computed, method=method, years=years,
                 parameters=parameters, key=key)
    return Stored({n: rows(svc, run, f"result_{n}") for n in computed}, run, False)
