"""Formula-safe cells (防公式注入): every CSV and XLSX the platform writes goes through here.

A spreadsheet runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or ``@`` (and
some also after a leading tab or carriage return): an enterprise named ``=HYPERLINK("http://x",
"点此")`` in an uploaded file would otherwise become a live link — or worse, a DDE command — in the
push list an official opens. Following OWASP's advice on CSV injection, such text is written with
a leading apostrophe, so it shows as the text it is; numbers stay numbers (``-5`` the number is
not touched, ``"-5"`` the text is).

* :func:`neutralise` — one value;
* :func:`neutralise_row` — a row of values (``ws.append``, ``csv.writer.writerow``);
* :func:`neutralise_workbook` — every text cell of an openpyxl workbook (not write-only), just
  before it is saved; a cell openpyxl already took for a formula is made text again.

The XLSX error report of the import (``zhizao.data.ingest.report.write_error_report``) lives in
the core, which may not import this shell module; it applies the same rule (``FORMULA_START``),
and tests/report/test_safe_cells.py checks the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FORMULA_START", "neutralise", "neutralise_row", "neutralise_workbook"]

#: what a cell's text may not start with
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` safe to put in a spreadsheet cell.

    >>> neutralise("=HYPERLINK(\\"x\\")"), neutralise("-5"), neutralise(-5), neutralise("浙江")
    ('\\'=HYPERLINK("x")', "'-5", -5, '浙江')
    >>> neutralise("@SUM(A1)"), neutralise("+86 571"), neutralise(None), neutralise(2.5)
    ("'@SUM(A1)", "'+86 571", None, 2.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_row(values: Iterable) -> list:
    """Every value of a row, neutralised.

    >>> neutralise_row(["=1+1", 3, None, "ok"])
    ["'=1+1", 3, None, 'ok']
    """
    return [neutralise(v) for v in values]


def neutralise_workbook(wb) -> int:
    """Neutralise every text cell of the openpyxl workbook ``wb`` in place (before ``wb.save``);
    returns how many cells were changed. Numbers, dates and empty cells are left alone.

    >>> from openpyxl import Workbook
    >>> wb = Workbook(); ws = wb.active; ws.append(["=cmd|' /C calc'!A0", -1, "名称"])
    >>> ws["A1"].data_type, neutralise_workbook(wb), ws["A1"].value, ws["A1"].data_type, ws["B1"].value
    ('f', 1, "'=cmd|' /C calc'!A0", 's', -1)
    """
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str) and v.startswith(FORMULA_START):
                    cell.value = "'" + v            # also turns a cell openpyxl took for a formula into text
                    cell.data_type = "s"
                    changed += 1
    return changed
