"""`zhizao synth | import | template | tables | quarantine`: the data commands.

Each parses its arguments, calls one function of ``zhizao.services.data`` and prints the result
with Rich; domain errors go to stderr with a non-zero exit (``_shell.service`` / ``handled``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from zhizao.cli._shell import SYNTHETIC_NOTE, DbOption, handled, out, progress_bar, service


def synth(
    enterprises: Annotated[int, typer.Option("--enterprises", "-n", min=100,
                                             help="Number of enterprises to generate.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same province.")] = 20261127,
    province: Annotated[str, typer.Option(help="GB/T 2260 code of the province whose regions are used.")] = "330000",
    years: Annotated[str, typer.Option(help="Comma-separated years of indicators, at least three.")] = "2022,2023,2024",
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Write the tables as Parquet files in this "
                                                    "folder instead of loading them into the warehouse.")] = None,
    calibration_detail: Annotated[bool, typer.Option("--calibration-detail", help="Show every calibration "
                                                     "target, including each cluster, division and "
                                                     "prefecture.")] = False,
    db: DbOption = None,
) -> None:
    """Generate a calibrated synthetic province (合成省份) and load it into the warehouse.

    All enterprises are fictitious and labelled synthetic. The calibration targets and what
    the generated province achieves are printed at the end.
    """
    from zhizao.services import data

    started = time.perf_counter()
    with handled():
        year_list = data.parse_years(years)
    if out_dir is not None:
        with handled(), progress_bar("合成 synth") as cb:
            result = data.synth(None, enterprises=enterprises, seed=seed, province=province, years=year_list,
                                out_dir=out_dir, progress=cb)
        out.print(f"wrote {len(result.parquet_files)} Parquet files to {out_dir} ({SYNTHETIC_NOTE})")
    else:
        with service(db) as svc, progress_bar("合成 synth") as cb:
            result = data.synth(svc, enterprises=enterprises, seed=seed, province=province, years=year_list,
                                progress=cb)
        out.print(f"loaded into {result.warehouse} ({SYNTHETIC_NOTE})")
    print_counts(result.counts, title="合成省份 synthetic province")
    _print_calibration(result.calibration, detail=calibration_detail)
    out.print(f"done in {time.perf_counter() - started:.1f} s")


def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX or "
                                                "Parquet files. Sheet names or headers decide the table.")],
    strict: Annotated[bool, typer.Option(help="Reject a whole file on any error and leave the warehouse "
                                         "unchanged.")] = False,
    table: Annotated[Optional[str], typer.Option(help="Force the target table (enterprises, indicators, "
                                                 "parcels, links, monthly_stats).")] = None,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Write the rejected rows with their "
                                                   "reasons to this XLSX file.")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="CSV encoding (utf-8, gb18030, gbk) instead of "
                                                    "detecting it.")] = None,
    db: DbOption = None,
) -> None:
    """Validate files and upsert their good rows; every bad row goes to quarantine with its reason.

    Headers may be Chinese or English, with units (元/万元/亿元, 亩/m²/公顷, 吨标准煤/万吨标准煤…),
    which are converted to the canonical unit. Re-importing the same file changes nothing.
    """
    from zhizao.services import data

    with handled():
        for f in files:                       # before the warehouse is created
            if not f.exists():
                from zhizao.errors import NotFound

                raise NotFound(f"文件不存在：{f}", f"file not found: {f}", where=str(f))
    with service(db) as svc, progress_bar("导入 import") as cb:
        report = data.import_files(svc, files, strict=strict, table=table, encoding=encoding,
                                   errors_xlsx=errors, progress=cb)
    for line in report.summary_lines():
        out.print(line, highlight=False)
    if errors is not None:
        out.print(f"rejected rows written to {errors}")
    if report.failed:
        raise typer.Exit(1)


def template(
    path: Annotated[Path, typer.Argument(help="Where to write the XLSX template.")] = Path("zhizao-template.xlsx"),
) -> None:
    """Write an XLSX template: one sheet per table, Chinese headers with units and a notes row."""
    from zhizao.services import data

    with handled():
        written = data.template(path)
    out.print(f"template written to {written}")


def tables(db: DbOption = None) -> None:
    """Show the warehouse's tables and their row counts, and the result tables its runs wrote."""
    from zhizao.services import data

    with service(db, read_only=True) as svc:
        result = data.tables(svc)
    print_counts({t.name: t.rows for t in result.tables}, title=f"warehouse {result.path}")
    if result.results:
        t = RichTable(title=f"结果表 result tables ({result.runs} current runs: result_runs)")
        t.add_column("表 table")
        t.add_column("名称 name")
        t.add_column("行数 rows", justify="right")
        for r in result.results:
            t.add_row(r.name, r.zh, f"{r.rows:,}")
        out.print(t)


def quarantine(
    file: Annotated[Optional[str], typer.Option("--file", help="Only the rows rejected from this file "
                                                "(its name as shown in the summary).")] = None,
    export: Annotated[Optional[Path], typer.Option("--export", help="Write the rejected rows with their "
                                                   "reasons to this XLSX file.")] = None,
    db: DbOption = None,
) -> None:
    """Show what import rejected: rows kept in quarantine, by file and reason (--export for the rows)."""
    from zhizao.services import data

    with service(db, read_only=True) as svc:
        result = data.quarantine(svc, file=file, export=export)
    if not result.groups:
        out.print("隔离区为空 / quarantine is empty" + (f" for {file}" if file else ""))
        return
    t = RichTable(title="隔离区 quarantine")
    for c in ("文件 file", "工作表 sheet", "表 table", "原因 reason", "行 rows", "条 entries"):
        t.add_column(c, justify="right" if c.startswith(("行", "条")) else "left")
    for g in result.groups:
        label = f"{g.reason_code} — {g.reason_zh} / {g.reason_en}" if g.reason_zh else g.reason_code
        t.add_row(g.source_file, g.sheet, g.target_table, label, f"{g.rows:,}", f"{g.entries:,}")
    out.print(t)
    if result.exported_to is not None:
        out.print(f"rejected rows written to {result.exported_to}")


def print_counts(counts: dict[str, int], *, title: str) -> None:
    from zhizao.data.schema import TABLES

    t = RichTable(title=title)
    t.add_column("表 table")
    t.add_column("名称 name")
    t.add_column("行数 rows", justify="right")
    for name, n in counts.items():
        t.add_row(name, TABLES[name].zh if name in TABLES else "", f"{n:,}")
    out.print(t)


def _print_calibration(rows, *, detail: bool = False) -> None:
    """The province-level calibration rows, plus any missed target; ``detail`` shows all rows."""
    grouped = ("cluster ", "division ", "prefecture ")
    shown = [r for r in rows if detail or not r.name.startswith(grouped) or not r.ok]
    t = RichTable(title=f"校准 calibration — {SYNTHETIC_NOTE}")
    for c in ("指标 figure", "目标 target", "实际 achieved", "", "依据 status"):
        t.add_column(c)
    for r in shown:
        t.add_row(r.name, r.target_text, r.achieved_text, "✓" if r.ok else "✗", r.status)
    out.print(t)
    hidden = len(rows) - len(shown)
    out.print(f"{sum(r.ok for r in rows)}/{len(rows)} calibration targets met"
              + (f" ({hidden} cluster, division and prefecture targets met and not shown; "
                 "--calibration-detail shows them)" if hidden else ""))
