"""Helpers every command-line module shares: consoles, the --db option, progress, errors.

Shell code only (terminal IO); ``zhizao.cli`` and the lever command groups (``zhizao.land_cli``)
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

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

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


def open_db(db: Path | None):
    from zhizao.data import store

    return store.open_warehouse(db)


def fail(message: str) -> None:
    err.print(f"[red]错误 / error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
