"""Tables on a narrow terminal lose no characters (zhizao.cli._shell.fit_table and the shared consoles)."""

import io

from rich.cells import cell_len
from rich.table import Table

from zhizao.cli._shell import _Console


def _table() -> Table:
    t = Table(title="亩均评价 classes")
    t.add_column("分类 segment", no_wrap=True)
    for name in ("A 优先发展", "B 鼓励提升", "C 调整转型", "D 整治提升", "合计 total"):
        t.add_column(name, justify="right")
    t.add_row("规下企业（3亩及以上） below_scale_large", "1,612", "5,396", "7,092", "1,333", "15,433")
    t.add_row("租赁企业 tenant", "300", "1,158", "1,511", "316", "3,285")
    return t


def _render(width: int) -> str:
    buf = io.StringIO()
    con = _Console(file=buf, width=width, color_system=None, soft_wrap=True)
    con.print(_table())
    return buf.getvalue()


def test_numbers_are_never_cut_and_text_wraps_instead_of_ending_in_an_ellipsis():
    for width in (40, 60, 80):
        text = _render(width)
        assert "…" not in text, width
        for number in ("1,612", "5,396", "7,092", "1,333", "15,433", "1,158", "3,285"):
            assert number in text, (width, number)
        # the long label is all there, wrapped over the lines of its cell
        col = 2 if "one record per block" in text else 1      # expanded: the value column
        cells = "".join(line.split("│")[col].replace(" ", "") for line in text.splitlines() if line.startswith("│"))
        assert "规下企业（3亩及以上）below_scale_large" in cells, (width, cells)


def test_a_table_that_can_be_refitted_stays_a_table():
    assert "one record per block" not in _render(60)
    assert "one record per block" in _render(40)


def test_a_wide_terminal_shows_each_row_on_one_line():
    text = _render(200)
    assert "规下企业（3亩及以上） below_scale_large" in text
    assert max(cell_len(line) for line in text.splitlines()) < 200


def test_a_table_that_cannot_fit_is_printed_one_record_at_a_time():
    text = _render(30)
    assert "one record per block" in text
    body = [line for line in text.splitlines() if line[:1] in "┌│├└"]
    assert body and max(cell_len(line) for line in body) <= 30
    assert "…" not in text
    for number in ("1,612", "15,433", "3,285"):
        assert number in text
    # each record is its own block: a header line per column, the value beside it
    assert text.count("15,433") == 1 and text.count("3,285") == 1
