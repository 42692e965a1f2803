"""The access scope (数据权限范围): what one user may see of the warehouse, decided once.

A ``Scope`` is derived from the user (``Scope.for_user``) and applied by the services to every
warehouse query made for that user, as a filter inside the query (an Ibis predicate that DuckDB
or Spark evaluate), never by filtering rows after they were fetched. Deny is the default: a
scope that grants nothing matches no row (the ``1=0`` base filter of Superset's row-level
security), and every grant is explicit:

* ``everything`` — an administrator (and an auditor without a jurisdiction is *not* this: it
  gets nothing);
* ``regions`` — an official or auditor bound to a jurisdiction: a province, prefecture or county
  (GB/T 2260), or a development zone given as a set of counties; a row is inside when its
  ``region_code`` starts with one of the jurisdiction's prefixes (33, 3305, 330502);
* ``uscc`` — an enterprise account: its own enterprise only.

Grants of different kinds add up (OR). Tables without ``region_code`` (indicators, links,
results keyed by enterprise) are scoped through the enterprises they name (a semi-join on
``uscc`` against the scoped ``enterprises``), again inside the query.

Pure: no database, no HTTP; ``zhizao.services`` applies it, ``zhizao.web`` derives it.

>>> s = Scope.of_regions(["330500", "330102"])
>>> s.prefixes, s.allows_region("330502"), s.allows_region("330106"), s.allows_region(None)
(('330102', '3305'), True, False, False)
>>> Scope.none().allows_region("330502"), Scope.everything().allows_region("110101")
(False, True)
>>> Scope.of_enterprise("91330100MA27XY1234").allows_enterprise("91330100MA27XY1234", "330102")
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zhizao.errors import InvalidInput

__all__ = ["Scope", "jurisdiction_prefixes"]


def jurisdiction_prefixes(codes: Iterable[str]) -> tuple[str, ...]:
    """The GB/T 2260 prefixes of a jurisdiction (province → 2 digits, prefecture → 4, county → 6),
    de-duplicated and with codes inside another one dropped; ``InvalidInput`` for a code that is
    not a current region.

    >>> jurisdiction_prefixes(["330000", "330502"])
    ('33',)
    """
    from zhizao.codes.regions import UnknownRegionCode, region_prefix

    out: list[str] = []
    for code in codes:
        try:
            out.append(region_prefix(str(code).strip()))
        except UnknownRegionCode as e:
            raise InvalidInput(f"辖区代码 {code} 不是现行行政区划代码（GB/T 2260）：{e}",
                               f"jurisdiction code {code} is not a current GB/T 2260 region code: {e}",
                               where="jurisdiction") from None
    keep = sorted(set(out), key=lambda p: (len(p), p))
    kept: list[str] = []
    for p in keep:
        if not any(p.startswith(q) for q in kept):
            kept.append(p)
    return tuple(sorted(kept))


@dataclass(frozen=True)
class Scope:
    """What a user may see. ``all_regions`` grants everything; ``prefixes`` grants the enterprises
    whose region code starts with one of them; ``uscc`` grants one enterprise. Nothing granted →
    nothing visible."""

    all_regions: bool = False
    prefixes: tuple[str, ...] = ()
    uscc: str | None = None

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def none(cls) -> Scope:
        return cls()

    @classmethod
    def everything(cls) -> Scope:
        return cls(all_regions=True)

    @classmethod
    def of_regions(cls, codes: Iterable[str]) -> Scope:
        return cls(prefixes=jurisdiction_prefixes(codes))

    @classmethod
    def of_enterprise(cls, uscc: str) -> Scope:
        return cls(uscc=str(uscc).strip().upper())

    @classmethod
    def for_user(cls, role: str, *, jurisdiction: Iterable[str] = (), uscc: str | None = None) -> Scope:
        """The scope of a role: administrator → everything; official and auditor → their
        jurisdiction (none → nothing); enterprise → its USCC; service provider → no enterprise
        data (its own orders and vouchers are scoped by the voucher service)."""
        if role == "admin":
            return cls.everything()
        if role in ("official", "auditor"):
            codes = list(jurisdiction)
            return cls.of_regions(codes) if codes else cls.none()
        if role == "enterprise" and uscc:
            return cls.of_enterprise(uscc)
        return cls.none()

    # -- questions -------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not (self.all_regions or self.prefixes or self.uscc)

    def allows_region(self, code: str | None) -> bool:
        """Whether every enterprise registered in ``code`` (a county, or a larger region) is
        visible: the region lies inside the jurisdiction."""
        if self.all_regions:
            return True
        if code is None:
            return False
        return any(str(code).startswith(p) for p in self.prefixes)

    def allows_enterprise(self, uscc: str | None, region_code: str | None) -> bool:
        """Whether one enterprise (by its USCC and county) is visible."""
        if self.all_regions:
            return True
        if uscc is not None and self.uscc is not None and str(uscc).upper() == self.uscc:
            return True
        return region_code is not None and any(str(region_code).startswith(p) for p in self.prefixes)

    # -- Ibis ------------------------------------------------------------------------------
    def predicate(self, table):
        """The Ibis boolean expression that keeps the rows of ``table`` inside the scope, from its
        ``region_code`` and/or ``uscc`` columns (deny by default: ``False`` when nothing grants).
        ``InvalidInput`` for a table that has neither column (it cannot be scoped directly)."""
        import ibis

        cols = set(table.columns)
        if "region_code" not in cols and "uscc" not in cols:
            raise InvalidInput("该表没有 region_code 或 uscc 列，无法按权限范围过滤",
                               "the table has neither region_code nor uscc: it cannot be scoped",
                               where=",".join(sorted(cols)[:8]))
        if self.all_regions:
            return ibis.literal(True)
        parts = []
        if self.prefixes and "region_code" in cols:
            parts += [table.region_code.startswith(p) for p in self.prefixes]
        if self.uscc is not None and "uscc" in cols:
            parts.append(table.uscc == self.uscc)
        if not parts:
            return ibis.literal(False)
        out = parts[0]
        for p in parts[1:]:
            out = out | p
        return out

    def filter(self, table, enterprises=None):
        """``table`` restricted to the scope, inside the query. A table with ``region_code`` (or
        the enterprise's own ``uscc``) is filtered directly; one with only ``uscc`` is filtered
        through ``enterprises`` (a semi-join on the scoped enterprises), which must then be
        given."""
        if self.all_regions:
            return table
        cols = set(table.columns)
        if "region_code" in cols or (self.uscc is not None and not self.prefixes and "uscc" in cols):
            return table.filter(self.predicate(table))
        if "uscc" in cols:
            if enterprises is None:
                raise InvalidInput("按企业过滤需要企业名录表", "scoping by enterprise needs the enterprises table",
                                   where="enterprises")
            visible = enterprises.filter(self.predicate(enterprises)).select("uscc")
            return table.filter(table.uscc.isin(visible.uscc))
        return table.filter(self.predicate(table))

    def describe(self, lang: str = "zh") -> str:
        """The scope in words (for pages and the audit log)."""
        from zhizao.codes.regions import region_label

        if self.all_regions:
            return "全部" if lang == "zh" else "everything"
        parts = []
        for p in self.prefixes:
            code = p.ljust(6, "0")
            try:
                parts.append(region_label(code))
            except Exception:
                parts.append(code)
        if self.uscc:
            parts.append(("本企业 " if lang == "zh" else "own enterprise ") + self.uscc)
        if not parts:
            return "无（默认拒绝）" if lang == "zh" else "nothing (deny by default)"
        return ("、" if lang == "zh" else ", ").join(parts)
