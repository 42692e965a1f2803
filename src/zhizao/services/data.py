"""Data operations users run: a synthetic province, imports, the tables, the quarantine, the
XLSX template.

Typed results; domain errors (``zhizao.errors``); no terminal output (progress is a callback).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from zhizao.errors import InvalidInput, NotFound

__all__ = ["SynthResult", "synth", "parse_years", "write_synthetic_parquet", "import_files", "TableCount",
           "TablesResult", "tables", "QuarantineResult", "quarantine", "template", "SYNTHETIC_BANNER"]

Progress = Callable[[str, float], None]

SYNTHETIC_BANNER = "本演示数据为合成数据，不代表任何真实企业 / The demo data is synthetic: no real enterprise is shown."


def _quiet(stage: str, fraction: float) -> None:
    pass


# --- synth ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SynthResult:
    """A generated province: row counts per table, where it went, and the calibration rows
    (target beside achieved, ``zhizao.data.synth.report.CalibrationRow``)."""

    counts: dict[str, int]
    calibration: list
    warehouse: Path | None = None
    parquet_files: list[Path] = field(default_factory=list)
    tables: dict = field(default_factory=dict, repr=False, compare=False)   # the generated pyarrow tables

    @property
    def calibration_met(self) -> int:
        return sum(r.ok for r in self.calibration)


def parse_years(text: str) -> tuple[int, ...]:
    """``"2022,2023,2024"`` → (2022, 2023, 2024); at least three consecutive years (InvalidInput)."""
    try:
        years = sorted({int(y) for y in text.split(",") if y.strip()})
    except ValueError:
        raise InvalidInput(f"--years {text!r}：应为逗号分隔的年份，如 2022,2023,2024",
                           f"--years {text!r}: expected comma-separated years such as 2022,2023,2024",
                           where="--years") from None
    if len(years) < 3 or years != list(range(years[0], years[-1] + 1)):
        raise InvalidInput(f"--years {text!r}：至少需要连续三年", f"--years {text!r}: give at least three consecutive years",
                           where="--years")
    return tuple(years)


def synth(svc=None, *, enterprises: int = 50_000, seed: int = 20261127, province: str = "330000",
          years: Sequence[int] = (2022, 2023, 2024), out_dir: Path | None = None,
          progress: Progress | None = None) -> SynthResult:
    """Generate a calibrated synthetic province; load it into ``svc``'s warehouse (replacing each
    table), or write it as Parquet files to ``out_dir`` (then ``svc`` may be None)."""
    from zhizao.codes.regions import check_region_code
    from zhizao.data import synth as synth_mod

    progress = progress or _quiet
    if check_region_code(province, level="province") is not None:
        raise InvalidInput(f"--province {province}：{check_region_code(province, level='province')}",
                           f"--province {province}: not a GB/T 2260 province code", where="--province")
    tables = synth_mod.generate(enterprises=enterprises, seed=seed, province=province, years=tuple(years),
                                progress=lambda s, f: progress(f"synth: {s}", 0.8 * f))
    calibration = synth_mod.calibration_report(tables, synth_mod.load_calibration())
    counts = {k: v.num_rows for k, v in tables.items()}
    if out_dir is not None:
        files = write_synthetic_parquet(tables, Path(out_dir))
        progress("done", 1.0)
        return SynthResult(counts, calibration, parquet_files=files, tables=tables)
    if svc is None:
        raise InvalidInput("需要数据仓库或 --out 目录", "a warehouse or an --out folder is needed")
    for i, (name, table) in enumerate(tables.items()):
        progress(f"load: {name}", 0.8 + 0.2 * i / len(tables))
        svc.wh.replace(name, table)
    progress("done", 1.0)
    return SynthResult(counts, calibration, warehouse=svc.path, tables=tables)


def write_synthetic_parquet(tables: dict[str, pa.Table], out_dir: Path) -> list[Path]:
    """Write synthetic tables as ``<table>.parquet``, each file's metadata saying it is synthetic."""
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        path = out_dir / f"{name}.parquet"
        meta = {**(table.schema.metadata or {}), b"zhizao.synthetic": SYNTHETIC_BANNER.encode()}
        pq.write_table(table.replace_schema_metadata(meta), path)
        paths.append(path)
    return paths


# --- import -----------------------------------------------------------------------------------
def import_files(svc, files: Sequence[Path], *, strict: bool = False, table: str | None = None,
                 encoding: str | None = None, errors_xlsx: Path | None = None,
                 progress: Progress | None = None, row_check=None):
    """Validate ``files`` and upsert their good rows; bad rows go to quarantine with reasons.
    Returns the ``ImportReport``; ``errors_xlsx`` also writes the rejected rows there; ``row_check``
    adds checks of the parsed rows (``zhizao.data.ingest.core.RowCheck``: the uploader's scope).
    ``NotFound`` for a file that does not exist (nothing is imported then)."""
    from zhizao.data import ingest

    missing = [Path(f) for f in files if not Path(f).exists()]
    if missing:
        raise NotFound(f"文件不存在：{missing[0]}", f"file not found: {missing[0]}", where=str(missing[0]))
    report = ingest.import_files(svc.wh, [Path(f) for f in files], strict=strict, table=table,
                                 progress=progress or _quiet, encoding=encoding, row_check=row_check)
    if errors_xlsx is not None:
        ingest.write_error_report(report.quarantined_rows(svc.wh), Path(errors_xlsx))
    return report


# --- tables and quarantine --------------------------------------------------------------------
@dataclass(frozen=True)
class TableCount:
    name: str
    zh: str
    rows: int


@dataclass(frozen=True)
class TablesResult:
    path: Path | None
    tables: list[TableCount]
    results: list[TableCount] = field(default_factory=list)   # result tables with their rows
    runs: int = 0                                               # current recorded runs


def tables(svc) -> TablesResult:
    """Row counts of the warehouse's data tables, and of the result tables its runs wrote."""
    from zhizao.data.schema import TABLES
    from zhizao.services import runs
    from zhizao.services.registry import result_table

    counts = svc.wh.counts()
    data = [TableCount(n, TABLES[n].zh if n in TABLES else "", c) for n, c in counts.items()]
    results = []
    for name in svc.wh.list_tables():
        if name.startswith("result_") and name != "result_runs":
            decl = result_table(name)
            rows = int(svc.wh.result(name).count().execute())
            results.append(TableCount(name, decl.zh if decl else "", rows))
    return TablesResult(svc.path, data, results, len(runs.list_runs(svc)))


@dataclass(frozen=True)
class QuarantineGroup:
    source_file: str
    sheet: str
    target_table: str
    reason_code: str
    reason_zh: str
    reason_en: str
    rows: int
    entries: int


@dataclass(frozen=True)
class QuarantineResult:
    file: str | None
    groups: list[QuarantineGroup]
    exported_to: Path | None = None


def quarantine(svc, *, file: str | None = None, export: Path | None = None) -> QuarantineResult:
    """What import rejected, by file, sheet, table and reason; ``export`` writes the rows to XLSX."""
    from zhizao.data import ingest, queries

    q = svc.wh.table("quarantine")
    summary = queries.quarantine_summary(q, file=file).to_pyarrow().to_pylist()
    if export is not None:
        ingest.write_error_report(queries.quarantine_entries(q, file=file).to_pyarrow(), Path(export))
    groups = []
    for r in summary:
        reason = ingest.REASONS.get(r["reason_code"])
        groups.append(QuarantineGroup(r["source_file"], r["sheet"], r["target_table"], r["reason_code"],
                                      reason.zh if reason else "", reason.en if reason else "",
                                      int(r["rows"]), int(r["entries"])))
    return QuarantineResult(file, groups, Path(export) if export is not None else None)


def template(path: Path) -> Path:
    """Write the XLSX template (one sheet per table, Chinese headers with units, a notes row)."""
    from zhizao.data import template as template_mod

    path = Path(path)
    template_mod.write_template(path)
    return path
