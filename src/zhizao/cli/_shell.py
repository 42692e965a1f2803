"""Helpers every command-line module shares: consoles, the --db option, progress, errors.

Shell code only (terminal IO); ``zhizao.cli`` and the lever command groups (``zhizao.cli.land``)
import from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

SYNTHETIC_NOTE = "合成数据（非真实企业） / synthetic data, not real enterprises"


def fit_table(console: Console, table):
    """Make ``table`` lose no characters on a narrow terminal, and return it.

    Rich shrinks a table that is wider than the terminal by cutting cells short with "…" (a
    figure such as 1,853 prints as "1,…", or vanishes). Only when the table is wider than the
    terminal: numbers (right-aligned columns) keep their full width and give up the rest (their
    headers wrap at spaces), so the space goes to the text, which wraps onto more lines instead
    of being cut (also in columns marked ``no_wrap``). A table that still cannot fit is printed
    one record at a time by the console (``expanded``; ``--xlsx`` where a command has it gives
    the table as a sheet).
    """
    from rich.cells import cell_len
    from rich.measure import Measurement
    from rich.table import Table

    if not isinstance(table, Table):
        return table
    options = console.options.update_width(100_000)  # measure unclamped (Rich clamps to the console)
    if Measurement.get(console, options, table).maximum <= console.width:
        return table  # fits as it is
    for col in table.columns:
        if col.overflow == "ellipsis":
            col.overflow = "fold"
        if col.justify == "right":
            widest = max((Measurement.get(console, options, c).maximum for c in col.cells), default=0)
            header = str(col.header) if col.header is not None else ""
            word = max((cell_len(w) for w in header.split()), default=0)
            col.min_width = max(col.min_width or 0, widest)
            col.max_width = max(col.min_width, word)
        else:
            col.no_wrap = False
    return table


_TEXT_MIN = 8  # cells below which a wrapped text column stops being readable


def _least_width(table) -> int:
    """The narrowest a refitted table can be drawn: its numbers at full width, each text column at
    ``_TEXT_MIN`` (folded), plus padding and borders."""
    widths = [(c.min_width or 0) if c.justify == "right" else _TEXT_MIN for c in table.columns]
    return sum(widths) + 3 * len(widths) + 1


def expanded(table):
    """``table`` one record at a time (as psql's expanded display): a two-column table of header
    and value per row, records separated by a line — for a table too wide for the terminal."""
    from rich.table import Table

    headers = [str(c.header) for c in table.columns]
    title = f"{table.title} " if table.title else ""
    t = Table(title=f"{title}(逐条显示 one record per block: the table is wider than the terminal)",
              show_header=False)
    t.add_column(style="bold", overflow="fold")
    t.add_column(overflow="fold")
    for i, row in enumerate(zip(*(list(c.cells) for c in table.columns))):
        if i:
            t.add_section()
        for h, v in zip(headers, row):
            t.add_row(h, v)
    return t


class _Console(Console):
    """A console whose tables lose no characters (``fit_table``; ``expanded`` where even a
    refitted table is wider than the terminal)."""

    def print(self, *objects, **kwargs) -> None:  # noqa: A003 - Rich's name
        from rich.table import Table

        if kwargs.get("width") is None and any(isinstance(o, Table) for o in objects):
            objects = tuple((expanded(o) if _least_width(fit_table(self, o)) > self.width else o)
                            if isinstance(o, Table) else o for o in objects)
        super().print(*objects, **kwargs)


out = _Console(soft_wrap=True)
err = _Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Optional[Path],
    typer.Option("--db", help="Warehouse file (DuckDB). Default: $ZHIZAO_DB, else .zhizao/warehouse.duckdb.",
                 envvar="ZHIZAO_DB", show_envvar=False),
]


@contextmanager
def progress_bar(description: str) -> Iterator:
    """A Rich progress bar fed by a ``callback(stage: str, fraction: float)``."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task(description, total=1.0)

        def callback(stage: str, fraction: float) -> None:
            progress.update(task, description=f"{description}: {stage}", completed=max(0.0, min(1.0, fraction)))

        yield callback


def fail(message: str) -> None:
    err.print(f"[red]错误 / error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def report_error(e) -> None:
    """Print a domain error (``zhizao.errors.ZhizaoError``) to stderr and exit with its code."""
    err.print("[red]错误 / error:[/red] ", end="", highlight=False)
    from zhizao.errors import MethodError, ZhizaoError

    # the domain text in both languages (a PolicyError's own ``message`` is the bare problem)
    text = (MethodError if isinstance(e, MethodError) else ZhizaoError).message.fget(e)
    err.print(text, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(e.exit_code)


@contextmanager
def handled() -> Iterator[None]:
    """Run a service call; its domain errors go to stderr with their exit code (the one place the
    CLI maps ``zhizao.errors`` — the web app maps them to HTTP statuses)."""
    from zhizao.errors import ZhizaoError

    try:
        yield
    except ZhizaoError as e:
        report_error(e)


@contextmanager
def service(db: Path | None, *, read_only: bool = False) -> Iterator:
    """A ``zhizao.services.Service`` on the ``--db`` warehouse for one command, its domain errors
    handled (``handled``)."""
    from zhizao.errors import ZhizaoError
    from zhizao.services import Service

    try:
        with Service.open(db, read_only=read_only) as svc:
            yield svc
    except ZhizaoError as e:
        report_error(e)


def choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` when it is one of ``allowed``, else a clear error naming the option (exit 1)."""
    if value not in allowed:
        fail(f"{option} {value!r}: expected one of {', '.join(allowed)}")
    return value


def fmt(v, spec: str = ",.2f", none: str = "—") -> str:
    """A number for a Rich table: ``none`` for null / NaN, ``str(v)`` when ``spec`` does not apply."""
    if v is None or (isinstance(v, float) and v != v):
        return none
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return str(v)
