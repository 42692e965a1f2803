"""Validated import (数据导入) of CSV / XLSX / Parquet files into the warehouse.

Shell code (IO): it reads files and writes the warehouse; the checks themselves are pure
functions over pyarrow columns. Nothing is dropped silently: every rejected row lands in
``quarantine`` with file, sheet, row, column, value, reason (zh/en) and the raw row.

    from zhizao.data import store
    from zhizao.data.ingest import import_files, write_error_report

    wh = store.open_warehouse("w.duckdb")
    report = import_files(wh, [Path("企业名录.xlsx"), Path("指标.csv")])
    print("\\n".join(report.summary_lines()))
    write_error_report(report.quarantine, Path("errors.xlsx"))

See docs/data-format.md for the accepted formats and the rules.
"""

from zhizao.data.ingest.core import Progress, import_files
from zhizao.data.ingest.readers import ImportFailed, ImportFileError
from zhizao.data.ingest.reasons import REASONS, Reason
from zhizao.data.ingest.report import ImportReport, SheetReport, write_error_report

__all__ = ["REASONS", "ImportFailed", "ImportFileError", "ImportReport", "Progress", "Reason", "SheetReport",
           "import_files", "write_error_report"]
