"""What every XLSX report shares: the header block with the synthetic-data line."""

from __future__ import annotations

__all__ = ["SYNTHETIC_LINE", "write_header"]

SYNTHETIC_LINE = "本表数据为合成数据 / synthetic data"


def write_header(ws, lines: list[str], *, synthetic: bool) -> int:
    """Write ``lines`` (the first one as a bold title) from A1 down, then the synthetic-data line in
    red when ``synthetic``; return the first free row after a blank one."""
    from openpyxl.styles import Font

    if synthetic:
        lines = [*lines, SYNTHETIC_LINE]
    for i, text in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    if synthetic:
        ws.cell(row=len(lines), column=1).font = Font(bold=True, color="C00000")
    return len(lines) + 2
