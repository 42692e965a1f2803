"""Names shown beside codes (显示名称): a region as 湖州市吴兴区 330502, an industry class by its
GB/T 4754-2017 title. A missing code shows as —, an unknown one as itself (never an error: a
label is for display)."""

from __future__ import annotations

__all__ = ["region_label", "industry_label"]


def region_label(code) -> str:
    """The region's name with its code.

    >>> region_label("330502"), region_label(None), region_label("999999")
    ('湖州市吴兴区 330502', '—', '999999')
    """
    from zhizao.codes.regions import region_label as label

    if code is None or code == "":
        return "—"
    try:
        return label(code)
    except (ValueError, KeyError):
        return str(code)


def industry_label(code) -> str:
    """The industry class's title.

    >>> industry_label("3311"), industry_label(None)
    ('金属结构制造', '—')
    """
    from zhizao.codes.industries import industry_name

    if code is None or code == "":
        return "—"
    try:
        return industry_name(code)
    except (ValueError, KeyError):
        return str(code)
