"""Paged, scoped reads (分页查询): the shape every list the platform serves comes in.

A ``Page`` is a slice of rows with the declaration of its columns (``zhizao.contract.Column``:
type, unit, zh/en labels — what the API documents, the pages label and the downloads use as
Chinese headers), the total count and, where the rows came from a stored result, the run.
``paginate`` runs the count and the slice as two queries on the backend (DuckDB or Spark);
``batches`` streams every row of the same expression for a download, batch by batch, without
holding the whole table.

The expression given here is already restricted to the viewer's scope
(``zhizao.accounts.scope.Scope.filter``): paging never filters rows after fetching them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from zhizao.contract import Column
from zhizao.errors import InvalidInput

__all__ = ["Page", "paginate", "batches", "schema_columns", "MAX_PAGE_SIZE", "check_paging"]

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    """One page of rows. ``rows`` are plain dicts keyed by column name; ``columns`` declare them."""

    columns: tuple[Column, ...]
    rows: list[dict]
    total: int
    page: int
    page_size: int
    run: object | None = None                 # zhizao.services.runs.Run the rows came from
    notes: tuple[str, ...] = field(default=())

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size)) if self.page_size else 1


def check_paging(page: int, page_size: int) -> None:
    """``InvalidInput`` naming the parameter for a page below 1 or a size outside 1..500."""
    if page < 1:
        raise InvalidInput(f"页码须 ≥ 1（收到 {page}）", f"page must be ≥ 1 (got {page})", where="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"每页条数须在 1–{MAX_PAGE_SIZE} 之间（收到 {page_size}）",
                           f"page_size must be within 1–{MAX_PAGE_SIZE} (got {page_size})", where="page_size")


def paginate(expr, columns: Sequence[Column], *, page: int = 1, page_size: int = 50, order_by=(),
             run=None, notes: Sequence[str] = ()) -> Page:
    """``expr`` (a scoped Ibis table) as page ``page`` of ``page_size`` rows, ordered by
    ``order_by`` (column names; a stable order is added from the first declared column)."""
    check_paging(page, page_size)
    names = [c.name for c in columns]
    total = int(expr.count().to_pyarrow().as_py())
    keys = list(order_by) or names[:1]
    if names[0] not in keys:
        keys.append(names[0])
    sl = expr.select(names).order_by(keys).limit(page_size, offset=(page - 1) * page_size)
    rows = sl.to_pyarrow().to_pylist()
    return Page(tuple(columns), rows, total, page, page_size, run, tuple(notes))


def batches(expr, columns: Sequence[Column], *, order_by=(), batch_rows: int = 10_000) -> Iterator[list[dict]]:
    """Every row of ``expr`` in order, ``batch_rows`` at a time (for streamed downloads). The query
    runs when this is called (so a caller holding the warehouse lock gets the data under it); the
    rows are turned into dicts batch by batch as they are consumed."""
    names = [c.name for c in columns]
    keys = list(order_by) or names[:1]
    data = expr.select(names).order_by(keys).to_pyarrow()

    def gen():
        for b in data.to_batches(max_chunksize=batch_rows):
            yield b.to_pylist()

    return gen()


def schema_columns(table: str, names: Sequence[str]) -> tuple[Column, ...]:
    """Declarations of warehouse columns (``zhizao.data.schema``) as contract columns."""
    from zhizao.data.schema import TABLES

    t = TABLES[table]
    out = []
    for n in names:
        c = t.column(n)
        typ = {"string": "string", "int64": "int64", "float64": "float64", "bool": "boolean",
               "date": "date"}.get(str(c.dtype), "any")
        unit = c.canonical_unit if c.unit not in (None, "plain", "count") else None
        out.append(Column(n, typ, c.zh, c.en, c.description or c.en, unit or None))
    return tuple(out)
