"""Tables on a narrow terminal lose no characters (zhizao.shell.fit_table and the shared consoles)."""

import io

from rich.table import Table

from zhizao.shell import _Console


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
        first = "".join(line.split("│")[1].replace(" ", "") for line in text.splitlines() if line.startswith("│"))
        assert "规下企业（3亩及以上）below_scale_large" in first, (width, first)


def test_a_wide_terminal_shows_each_row_on_one_line():
    text = _render(200)
    assert "规下企业（3亩及以上） below_scale_large" in text
    assert max(len(line) for line in text.splitlines()) < 200


def test_a_table_that_cannot_fit_is_printed_at_the_width_it_needs():
    text = _render(30)
    assert max(len(line) for line in text.splitlines()) > 30
    assert "15,433" in text
