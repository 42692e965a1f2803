"""A plain workbook of result tables: one sheet per pyarrow table (English column names), the
synthetic-data line on top of each sheet where the data are synthetic.

Rendering only: the tables come computed (``zhizao.services``); values that are not numbers or
text (dates, lists) are written as their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from zhizao.report.safe_cells import neutralise_workbook
from zhizao.report.xlsx_common import SYNTHETIC_LINE

__all__ = ["write_tables_xlsx"]


def write_tables_xlsx(path: str | Path, sheets: Mapping[str, pa.Table], *, synthetic: bool) -> Path:
    """Write each table of ``sheets`` (sheet name → table; names cut to Excel's 31 characters) to
    the ``.xlsx`` file ``path``: the synthetic line (when ``synthetic``), the column names, the rows."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(name[:31])
        if synthetic:
            ws.append([SYNTHETIC_LINE])
        ws.append(table.column_names)
        for row in table.to_pylist():
            ws.append([v if isinstance(v, (int, float, str, type(None))) else str(v) for v in row.values()])
    neutralise_workbook(wb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
