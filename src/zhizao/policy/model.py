"""Policy model: a policy is data, one YAML file validated by the frozen Pydantic models below.

A file declares the policy's identity and validity window, its derived ``variables``, ``points``
tables and ``scores``, its named ``rules`` (conditions with Catala-style ``exceptions``, or
combinators over other rules), the ``eligibility`` verdict (a floor of rules and routes), and
optionally a ``benefit`` and a ``budget`` (the language: docs/policy.md).

Errors are ``PolicyError(file, line, message)``: the line comes from the YAML node the failing
field was read from (``yaml.compose`` marks), the message names the field path and what was
expected. Expressions are parsed and type-checked on load (``zhizao.policy.expr``) against the
warehouse schema (``zhizao.data.schema``) and the variables declared before, so an unknown name is
reported with its file and line before anything is evaluated.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from zhizao import methodfile as MF
from zhizao.errors import MethodError
from zhizao.policy import expr as E

__all__ = ["PolicyError", "Policy", "Variable", "Points", "Case", "Scores", "Dimension", "Rule", "Exception_",
           "AtLeast", "Route", "Eligibility", "Benefit", "Budget", "NotDecidable", "InputTable", "KnownInput",
           "INPUT_TABLES", "load_policy",
           "parse_policy", "available_policies", "policies_dir", "column_types", "ENTERPRISE_COLUMNS",
           "INDICATOR_COLUMNS", "IDENTITY_COLUMNS"]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN)]


class PolicyError(MethodError):
    """A policy that does not load or cannot be evaluated (a ``zhizao.errors.MethodError``).

    ``file`` and ``line`` (1-based; None when the problem has no single line) locate the first
    problem; ``message`` says what is wrong and what was expected; ``errors`` lists every problem
    found as ``(line, message)``. ``str()`` reads ``file:line: message`` (one line per problem);
    ``zh`` / ``en`` are the domain error's two texts (``en`` is ``str()``).
    """

    def __init__(self, file: str | None, line: int | None, message: str, errors: list | None = None):
        self._message = message
        errors = list(errors or [(line, message)])
        text = _policy_text(file, errors)
        where = "" if file is None else f" {file}" + (f" 第 {line} 行" if line else "")
        super().__init__(f"政策{'文件' if file else ''}{where}有误：{message}", text, file=file, line=line,
                         errors=errors)

    @property
    def message(self) -> str:
        """The first problem's text (without the file and line)."""
        return self._message

    def __str__(self) -> str:
        return self.en


def _policy_text(file: str | None, errors: list) -> str:
    def one(line, msg):
        where = f"{file or '<policy>'}" + (f":{line}" if line else "")
        return f"{where}: {msg}"

    return "\n".join(one(line, msg) for line, msg in errors)


# --- column types from the warehouse schema ---------------------------------------------------

_KIND = {"int64": E.NUMBER, "float64": E.NUMBER, "bool": E.BOOL, "string": E.STRING, "date": E.DATE,
         "timestamp": E.DATE}
#: Columns every evaluation reads for its identity columns (not inputs of rules).
IDENTITY_COLUMNS = ("uscc", "name", "region_code")


def _schema_columns(table_name: str) -> dict[str, str]:
    from zhizao.data.schema import TABLES

    return {c.name: c.dtype for c in TABLES[table_name].columns}


ENTERPRISE_COLUMNS: dict[str, str] = _schema_columns("enterprises")
INDICATOR_COLUMNS: dict[str, str] = {k: v for k, v in _schema_columns("indicators").items() if k != "year"}


@functools.cache
def column_types() -> dict[str, str]:
    """Expression type of every warehouse column a policy may read (and ``col@-k`` for lags of the
    indicators columns, k = 1…10)."""
    out = {k: _KIND[v] for k, v in ENTERPRISE_COLUMNS.items()}
    out.update({k: _KIND[v] for k, v in INDICATOR_COLUMNS.items()})
    for k, v in INDICATOR_COLUMNS.items():
        if k != "uscc":
            for lag in range(1, 11):
                out[E.lag_key(k, lag)] = _KIND[v]
    return out


@dataclass(frozen=True)
class KnownInput:
    """A warehouse table another lever writes, which a policy may declare under ``inputs``:
    its columns (expression types), the command that creates it, and the columns the engine
    derives on reading it (``derived``: column → how)."""

    columns: dict
    created_by: str
    derived: dict


#: Tables of other levers a policy may read without declaring their columns (``inputs``).
INPUT_TABLES: dict[str, KnownInput] = {
    "result_land_evaluation": KnownInput(
        columns={"unit_id": E.STRING, "segment": E.STRING, "land_class": E.STRING, "graded": E.BOOL,
                 "exempt_reason": E.STRING, "total_score": E.NUMBER, "rank": E.NUMBER, "rank_of": E.NUMBER,
                 "percentile": E.NUMBER, "area_mu": E.NUMBER, "taxes": E.NUMBER, "value_added": E.NUMBER,
                 "electricity_kwh": E.NUMBER, "water_m3": E.NUMBER, "gas_m3": E.NUMBER,
                 "method_id": E.STRING, "years_in_class": E.NUMBER},
        created_by="zhizao land evaluate",
        derived={"years_in_class": "consecutive years in the same land_class up to the evaluation year "
                                   "(zhizao.land.measures.consecutive_years_in_class over every year the "
                                   "table holds)"},
    ),
}


class _Types(Mapping):
    """Names an expression may read: columns, lags, declared names; any ``policy:id`` is a condition."""

    def __init__(self, base: dict):
        self.base = base

    def __getitem__(self, k):
        if k.startswith("policy:"):
            return E.BOOL
        return self.base[k]

    def __contains__(self, k):
        return k.startswith("policy:") or k in self.base

    def __iter__(self):
        return iter(self.base)

    def __len__(self):
        return len(self.base)


# --- the models -------------------------------------------------------------------------------


def _as_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return v


def _parse_expr(v):
    if isinstance(v, str):
        try:
            E.parse(v)
        except E.ExprError as e:
            raise ValueError(str(e)) from None
    return v


#: An expression field: text (a bare number or true/false is accepted and kept as text).
Expr = Annotated[str, BeforeValidator(_as_text), BeforeValidator(_parse_expr)]


class _Frozen(MF.MethodModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class NotDecidable(_Frozen):
    """A condition of the official text the warehouse cannot decide (reported as "not checked")."""

    id: Id
    text_zh: str
    text_en: str | None = None
    source: str


class InputTable(_Frozen):
    """An extra table a policy reads (``inputs: {land: {table: result_land_evaluation}}``): the
    engine left-joins it on ``key`` (``uscc``, and ``year`` = the evaluation year when listed) after
    keeping the rows where every ``where`` column equals its value; expressions read its columns as
    ``<alias>.<column>`` (``land.land_class``). A table of ``INPUT_TABLES`` brings its columns; any
    other table must list them under ``columns`` (name → number | bool | string | date).
    ``created_by`` is the command that writes it (named when the table is missing)."""

    table: Annotated[str, Field(pattern=ID_PATTERN)]
    key: list[Literal["uscc", "year"]] = ["uscc", "year"]
    where: dict[str, str | int | float | bool] = {}
    columns: dict[str, Literal["number", "bool", "string", "date"]] = {}
    created_by: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _key(self):
        if "uscc" not in self.key or len(set(self.key)) != len(self.key):
            raise ValueError("key must list uscc (and may list year), each once")
        return self

    @property
    def known(self) -> KnownInput | None:
        return INPUT_TABLES.get(self.table)

    @property
    def all_columns(self) -> dict[str, str]:
        """Every column expressions may read: the known table's and the declared ones."""
        out = dict(self.known.columns) if self.known else {}
        out.update(self.columns)
        return out

    @property
    def command(self) -> str | None:
        return self.created_by or (self.known.created_by if self.known else None)


class Variable(_Frozen):
    """A derived variable: ``expr`` over columns and earlier variables; ``unit`` is for display."""

    expr: Expr
    unit: Literal["share", "money", "count", "years", "plain"] = "plain"
    name_zh: str
    name_en: str | None = None
    source: str
    changeable: bool = True
    _node: E.Node = PrivateAttr(None)

    def model_post_init(self, _ctx) -> None:
        self._node = E.parse(self.expr)

    @property
    def node(self) -> E.Node:
        return self._node


class Case(_Frozen):
    """One line of a categorical points table: ``{when: cond, points: n}`` or ``{else: n}``."""

    when: Expr | None = None
    points: float | None = None
    else_: float | None = Field(default=None, alias="else")
    _node: E.Node | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _shape(self):
        if self.else_ is not None:
            if self.when is not None or self.points is not None:
                raise ValueError("a case is either {when: …, points: n} or {else: n}, not both")
        elif self.when is None or self.points is None:
            raise ValueError("a case needs `when` and `points` (or is {else: n})")
        return self

    def model_post_init(self, _ctx) -> None:
        self._node = E.parse(self.when) if self.when is not None else None

    @property
    def node(self) -> E.Node | None:
        return self._node

    @property
    def value(self) -> float:
        return self.else_ if self.else_ is not None else self.points


class Points(_Frozen):
    """A points table: value bands (``of`` + ``bands``, tested top-down, boundaries to the higher
    band) or categorical ``cases`` (first condition that holds). A null input gives null points;
    a value no band or case covers gives 0 points."""

    id: Id
    name_zh: str | None = None
    name_en: str | None = None
    of: Expr | None = None
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    bands: list[tuple[float | None, float]] | None = None
    cases: list[Case] | None = None
    dimension: Id | None = None
    source: str
    changeable: bool = True
    _node: E.Node | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _shape(self):
        if self.cases is not None:
            if self.of is not None or self.bands is not None:
                raise ValueError("a points table has either `of` with `bands`, or `cases`, not both")
            if not self.cases:
                raise ValueError("`cases` is empty: expected at least one {when: …, points: n}")
            elses = [i for i, c in enumerate(self.cases) if c.else_ is not None]
            if elses and elses != [len(self.cases) - 1]:
                raise ValueError("{else: n} must be the last case (and appear once)")
            return self
        if self.of is None or not self.bands:
            raise ValueError("a points table needs `of` (an expression) and `bands` ([threshold, points] "
                             "pairs), or `cases`")
        thresholds = [t for t, _ in self.bands]
        if None in thresholds[:-1]:
            raise ValueError("bands: only the last band may have a null threshold (the else band)")
        real = [t for t in thresholds if t is not None]
        ordered = all(a > b for a, b in zip(real, real[1:])) if self.direction == "higher_is_better" \
            else all(a < b for a, b in zip(real, real[1:]))
        if not ordered:
            raise ValueError("bands must be listed from the best band down: thresholds strictly "
                             + ("decreasing (higher_is_better: each band is value >= threshold)"
                                if self.direction == "higher_is_better"
                                else "increasing (lower_is_better: each band is value <= threshold)"))
        return self

    def model_post_init(self, _ctx) -> None:
        self._node = E.parse(self.of) if self.of is not None else None

    @property
    def node(self) -> E.Node | None:
        """The parsed ``of`` expression (None for a categorical table)."""
        return self._node

    @property
    def values(self) -> list[float]:
        """Every number of points the table can give (0 included when nothing may match)."""
        if self.cases is not None:
            vals = [c.value for c in self.cases]
            return vals if self.cases[-1].else_ is not None else vals + [0.0]
        vals = [p for _, p in self.bands]
        return vals if self.bands[-1][0] is None else vals + [0.0]

    @property
    def min_points(self) -> float:
        return min(self.values)

    @property
    def max_points(self) -> float:
        return max(self.values)


class Dimension(_Frozen):
    name_zh: str
    name_en: str | None = None
    max: float | None = None
    min: float | None = None


class Scores(_Frozen):
    """Totals of points by dimension; the score route passes where total ≥ ``pass`` and every
    dimension ≥ its ``min``."""

    dimensions: dict[Id, Dimension] = {}
    pass_: float = Field(alias="pass")
    source: str


class AtLeast(_Frozen):
    k: int = Field(ge=1)
    of: list[Id]

    @model_validator(mode="after")
    def _k(self):
        if self.k > len(self.of):
            raise ValueError(f"at_least: k = {self.k} but only {len(self.of)} rules are listed")
        return self


class Exception_(_Frozen):
    """An exception to a rule (Catala default logic): where ``when`` holds the rule is ``outcome``;
    the highest ``priority`` that applies wins; two applicable at the same top priority with
    different outcomes are a conflict."""

    id: Id
    name_zh: str | None = None
    name_en: str | None = None
    when: Expr
    outcome: bool
    priority: int = 0
    source: str
    _node: E.Node = PrivateAttr(None)

    def model_post_init(self, _ctx) -> None:
        self._node = E.parse(self.when)

    @property
    def node(self) -> E.Node:
        return self._node


_RULE_FORMS = ("when", "any", "all", "not", "at_least")


class Rule(_Frozen):
    """A named condition: ``when`` (an expression), or a combinator over other rules' ids
    (``all``, ``any``, ``not``, ``at_least: {k, of}``), with optional exceptions.

    ``node`` is the condition as an expression; for a combinator it reads ``rule:<id>`` names
    (``any: [a, b]`` → ``rule:a or rule:b``; ``at_least`` → ``at_least(k, rule:a, …)``).
    """

    id: Id
    name_zh: str | None = None
    name_en: str | None = None
    when: Expr | None = None
    any: list[Id] | None = None
    all: list[Id] | None = None
    not_: Id | None = Field(default=None, alias="not")
    at_least: AtLeast | None = None
    source: str
    changeable: bool = True
    exceptions: list[Exception_] = []
    _node: E.Node = PrivateAttr(None)

    @model_validator(mode="after")
    def _one_form(self):
        given = [f for f, v in zip(_RULE_FORMS, (self.when, self.any, self.all, self.not_, self.at_least))
                 if v is not None]
        if len(given) != 1:
            raise ValueError("a rule needs exactly one of when / any / all / not / at_least"
                             + (f" (it has {', '.join(given)})" if given else ""))
        if given[0] in ("any", "all") and not (self.any or self.all):
            raise ValueError(f"`{given[0]}` needs at least one rule id")
        ids = [x.id for x in self.exceptions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"exception ids appear twice: {dupes}")
        return self

    def model_post_init(self, _ctx) -> None:
        def ref(i):
            return E.Name(f"rule:{i}")

        if self.when is not None:
            self._node = E.parse(self.when)
        elif self.any is not None:
            self._node = E.BoolOp("or", tuple(ref(i) for i in self.any)) if len(self.any) > 1 else ref(self.any[0])
        elif self.all is not None:
            self._node = E.BoolOp("and", tuple(ref(i) for i in self.all)) if len(self.all) > 1 else ref(self.all[0])
        elif self.not_ is not None:
            self._node = E.Not(ref(self.not_))
        else:
            self._node = E.Call("at_least", (E.Const(self.at_least.k), *(ref(i) for i in self.at_least.of)))

    @property
    def node(self) -> E.Node:
        return self._node

    @property
    def kind(self) -> str:
        """``when``, ``any``, ``all``, ``not`` or ``at_least``."""
        return next(f for f, v in zip(_RULE_FORMS, (self.when, self.any, self.all, self.not_, self.at_least))
                    if v is not None)

    @property
    def refs(self) -> list[str]:
        """The rule ids a combinator reads (empty for ``when``)."""
        return list(self.any or self.all or ([self.not_] if self.not_ else [])
                    or (self.at_least.of if self.at_least else []))


class Route(_Frozen):
    """A way to qualify past the floor: a rule, the score (``score: true``), or both (and)."""

    id: Id
    rule: Id | None = None
    score: bool = False
    name_zh: str | None = None
    name_en: str | None = None

    @model_validator(mode="after")
    def _some(self):
        if self.rule is None and not self.score:
            raise ValueError("a route needs `rule: <rule id>` or `score: true`")
        return self


class Eligibility(_Frozen):
    """The verdict: every rule of ``all`` must hold (the floor), then at least one route (if any)."""

    all: list[Id] = []
    routes: list[Route] = []

    @model_validator(mode="after")
    def _some(self):
        if not self.all and not self.routes:
            raise ValueError("eligibility needs `all` (rule ids) or `routes`")
        ids = [r.id for r in self.routes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"route ids appear twice: {dupes}")
        return self


class Benefit(_Frozen):
    """What an eligible enterprise gets, in yuan: ``amount`` (an expression) capped at ``cap``.

    ``kind: grant`` (the default): ``benefit_yuan`` = the amount, what the enterprise receives.
    ``kind: charge`` (a surcharge the enterprise pays, e.g. a differential electricity price):
    ``amount`` states the charge as a positive number, ``cap`` caps it, and ``benefit_yuan`` is
    its negative. Sign convention of ``benefit_yuan``: > 0 received, < 0 paid."""

    kind: Literal["grant", "charge"] = "grant"
    amount: Expr
    cap: float | None = Field(default=None, ge=0)
    name_zh: str | None = None
    name_en: str | None = None
    source: str
    _node: E.Node = PrivateAttr(None)

    def model_post_init(self, _ctx) -> None:
        self._node = E.parse(self.amount)

    @property
    def node(self) -> E.Node:
        return self._node


class Budget(_Frozen):
    """The total the policy can pay in one year; eligible enterprises ranked by ``order``
    (``"<expression> desc|asc"``, desc when not said), ties by uscc."""

    total: float = Field(gt=0)
    order: str = "score desc"
    source: str
    _node: E.Node = PrivateAttr(None)

    @field_validator("order")
    @classmethod
    def _order(cls, v):
        _parse_expr(_split_order(v)[0])
        return v

    def model_post_init(self, _ctx) -> None:
        self._node = E.parse(_split_order(self.order)[0])

    @property
    def node(self) -> E.Node:
        return self._node

    @property
    def descending(self) -> bool:
        return _split_order(self.order)[1]


def _split_order(text: str) -> tuple[str, bool]:
    parts = text.strip().rsplit(None, 1)
    if len(parts) == 2 and parts[1].lower() in ("asc", "desc"):
        return parts[0], parts[1].lower() == "desc"
    return text.strip(), True


class Policy(_Frozen):
    """One policy file (see the module docstring and the contract's §1)."""

    id: Id
    version: str
    name_zh: str
    name_en: str
    issuer: str | None = None
    source: str
    valid_from: date
    valid_to: date | None = None
    entity: Literal["enterprise_year"] = "enterprise_year"
    applies_to: list[str] = []
    inputs: dict[Id, InputTable] = {}
    not_decidable: list[NotDecidable] = []
    variables: dict[Id, Variable] = {}
    points: list[Points] = []
    scores: Scores | None = None
    rules: list[Rule] = []
    eligibility: Eligibility
    requires: list[Id] = []
    benefit: Benefit | None = None
    budget: Budget | None = None
    notes: list[str] = []
    _file: str | None = PrivateAttr(None)
    _types: dict = PrivateAttr(default_factory=dict)
    _refs: dict = PrivateAttr(default_factory=dict)
    _lines: dict = PrivateAttr(default_factory=dict)
    _raw: dict = PrivateAttr(default_factory=dict)      # the mapping validated (a variant: the merged one)
    _where: dict = PrivateAttr(default_factory=dict)    # loc prefix → where it was read (see _trace)
    _base: object = PrivateAttr(None)                   # a variant's base Policy
    _changes: tuple = PrivateAttr(())                   # a variant's changes (zhizao.policy.variants.Change)

    @field_validator("applies_to", mode="before")
    @classmethod
    def _regions(cls, v):
        from zhizao.codes.regions import check_region_code, normalize_region_code

        if v is None:
            return []
        if isinstance(v, (str, int)):
            v = [v]
        out = []
        for code in v:
            reason = check_region_code(code)
            if reason is not None:
                raise ValueError(f"applies_to: {code!r} is not a GB/T 2260 region code ({reason}); expected "
                                 "a province (330000), prefecture (330500) or county (330502) code")
            out.append(normalize_region_code(code))
        return out

    @model_validator(mode="after")
    def _window(self):
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    # -- reading ---------------------------------------------------------------------------
    @property
    def file(self) -> str | None:
        """The file the policy was read from (None when built in code)."""
        return self._file

    def covers(self, year: int) -> bool:
        """True when evaluation year ``year`` is in the validity window (by calendar year)."""
        return self.valid_from.year <= year and (self.valid_to is None or year <= self.valid_to.year)

    @property
    def national(self) -> bool:
        """True when the policy applies everywhere (no ``applies_to``)."""
        return not self.applies_to

    def applies_in(self, region_code) -> bool:
        """Whether the policy applies to an enterprise registered in ``region_code``: a national
        policy everywhere, a regional one inside the regions of ``applies_to`` (GB/T 2260 prefix)."""
        from zhizao.codes.regions import within

        return self.national or any(within(region_code, r) for r in self.applies_to)

    @property
    def region_label(self) -> str:
        """Where it applies, for display: 全国 national, or the region names (上海市 310000)."""
        from zhizao.codes.regions import region_label

        return "全国 national" if self.national else "、".join(region_label(r) for r in self.applies_to)

    @property
    def types(self) -> dict[str, str]:
        """Expression type of every variable (``number``, ``bool``, ``string``)."""
        return dict(self._types)

    @property
    def required_policies(self) -> list[str]:
        """``requires`` plus every ``policy("id")`` an expression calls, in first-mention order."""
        out = list(self.requires)
        out += [p for p in self._refs if p not in out]
        return out

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"policy {self.id} has no rule {rule_id!r}")

    def points_table(self, points_id: str) -> Points:
        for p in self.points:
            if p.id == points_id:
                return p
        raise KeyError(f"policy {self.id} has no points table {points_id!r}")

    def rule_order(self) -> list[Rule]:
        """Rules in an order where every combinator comes after the rules it reads."""
        by_id = {r.id: r for r in self.rules}
        done: dict[str, None] = {}

        def visit(r):
            if r.id in done:
                return
            for x in r.refs:
                visit(by_id[x])
            done[r.id] = None

        for r in self.rules:
            visit(r)
        return [by_id[i] for i in done]

    def line_of(self, *loc) -> int | None:
        """The line of a field in the policy file, e.g. ``line_of("rules", 2, "when")``. For a
        variant (``extends``) the line is in the file the item came from: ``origin_of`` names it."""
        return self._lines.get(tuple(loc))

    def origin_of(self, *loc) -> tuple[str | None, int | None]:
        """``(file, line)`` a field was read from, e.g. ``origin_of("rules", 2)``: the policy's own
        file, or for an item a variant inherits, the base's file (through a chain of ``extends``).
        The line is that of the deepest part of ``loc`` the file has; None when built in code."""
        file, root, target = self._trace(tuple(loc))
        return file, (_line(root, target) if root is not None else None)

    def _trace(self, loc: tuple) -> tuple:
        """``(file, YAML root, loc in that file)`` of ``loc`` (indices of a merged list translated)."""
        return _trace_where(self._where, tuple(loc), self._file)

    @property
    def extends(self) -> str | None:
        """A variant's base as ``id@version`` (resolved, also when the file names the id alone);
        None for a policy that extends nothing."""
        return f"{self._base.id}@{self._base.version}" if self._base is not None else None

    @property
    def base(self) -> Policy | None:
        """A variant's base policy (itself possibly a variant); None otherwise."""
        return self._base

    @property
    def changes(self) -> tuple:
        """What a variant states over its base, in file order: ``Change(action, section, item)``
        with action ``replaced`` / ``added`` / ``dropped`` (``item`` None for a whole section or
        top-level value). Empty for a policy that extends nothing."""
        return self._changes


# --- semantic checks (names, types, references) -----------------------------------------------


class _LocError(Exception):
    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc, self.message = loc, message


_loc_text = MF.loc_text


_WORDS = {E.BOOL: "a condition (true/false)", E.NUMBER: "a number", E.STRING: "text", E.DATE: "a date"}


def _semantic_check(p: Policy) -> tuple[dict, dict]:  # noqa: C901 - one pass over the sections
    """Check names, types and references; return the variable types and the policy references
    (id → location of the first call). Raises ``_LocError``."""
    base = dict(column_types())
    reserved = {"year", "score", "benefit_yuan", "score_min", "score_max"}
    for alias, spec in p.inputs.items():
        if alias in base or alias in reserved or alias in p.variables:
            raise _LocError(("inputs", alias), f"input {alias!r} has the name of a column, a variable or a "
                                               "reserved name: expected another alias")
        if spec.known is None and not spec.columns:
            raise _LocError(("inputs", alias), f"input {alias}: table {spec.table!r} is not one zhizao knows "
                                               f"({', '.join(INPUT_TABLES)}): expected `columns` (name: type)")
        base.update({f"{alias}.{c}": t for c, t in spec.all_columns.items()})
    nd_ids = [x.id for x in p.not_decidable]
    base.update({f"not_decidable:{i}": E.BOOL for i in nd_ids})
    refs: dict[str, tuple] = {}

    def typed(node, loc, types, want: tuple | None, what: str):
        try:
            t = E.check(node, _Types(types))
        except E.ExprError as e:
            raise _LocError(loc, str(e)) from None
        if want and t != E.NULL and t not in want:
            words = " or ".join(_WORDS[w] for w in want)
            raise _LocError(loc, f"{what} must be {words}, but {E.to_text(node)} is {_WORDS[t]}")
        for n in E.names(node):
            if n.startswith("policy:"):
                pid = n.split(":", 1)[1]
                if pid == p.id:
                    raise _LocError(loc, f'policy("{pid}") refers to the policy itself')
                refs.setdefault(pid, loc)
        return t

    var_types: dict[str, str] = {}
    for name, v in p.variables.items():
        loc = ("variables", name, "expr")
        if name in base or name in reserved:
            raise _LocError(("variables", name), f"variable {name!r} has the name of a warehouse column or a "
                                                 "reserved name: expected a new name")
        t = typed(v.node, loc, {**base, **var_types}, (E.NUMBER, E.BOOL, E.STRING), f"variable {name}")
        var_types[name] = E.NUMBER if t == E.NULL else t
    env = {**base, **var_types}

    dims = set(p.scores.dimensions) if p.scores else set()
    for d in dims & {"min", "max"}:
        raise _LocError(("scores", "dimensions", d), f"dimension {d!r} would clash with the score_{d} column: "
                                                     "expected another id")
    seen = set()
    for i, t in enumerate(p.points):
        if t.id in seen:
            raise _LocError(("points", i, "id"), f"points table id {t.id!r} appears twice")
        seen.add(t.id)
        if t.node is not None:
            typed(t.node, ("points", i, "of"), env, (E.NUMBER,), f"points.{t.id}.of")
        for j, c in enumerate(t.cases or []):
            if c.node is not None:
                typed(c.node, ("points", i, "cases", j, "when"), env, (E.BOOL,), "a case's `when`")
        if t.dimension is not None:
            if p.scores is None:
                raise _LocError(("points", i, "dimension"), f"dimension {t.dimension!r} but the policy has no "
                                                            "`scores`: expected a scores section declaring it")
            if t.dimension not in dims:
                raise _LocError(("points", i, "dimension"),
                                f"unknown dimension {t.dimension!r}: expected one of {sorted(dims)}")
    if p.scores is not None and not p.points:
        raise _LocError(("scores",), "`scores` but no points tables: expected a `points` section")

    rule_ids = [r.id for r in p.rules]
    for i, r in enumerate(p.rules):
        if rule_ids.count(r.id) > 1:
            raise _LocError(("rules", i, "id"), f"rule id {r.id!r} appears twice")
    known = set(rule_ids)
    for i, r in enumerate(p.rules):
        if r.when is not None:
            typed(r.node, ("rules", i, "when"), env, (E.BOOL,), f"rule {r.id}'s `when`")
        for x in r.refs:
            if x not in known:
                hint = difflib.get_close_matches(x, rule_ids, n=1)
                raise _LocError(("rules", i, r.kind), f"rule {r.id} refers to unknown rule {x!r}"
                                + (f" (did you mean {hint[0]!r}?)" if hint else "") + ": expected a rule id")
            if x == r.id:
                raise _LocError(("rules", i, r.kind), f"rule {r.id} refers to itself")
        for j, x in enumerate(r.exceptions):
            typed(x.node, ("rules", i, "exceptions", j, "when"), env, (E.BOOL,), f"exception {x.id}'s `when`")
    cycle = _rule_cycle(p.rules)
    if cycle:
        i = rule_ids.index(cycle[0])
        raise _LocError(("rules", i), "rules refer to each other in a cycle: " + " → ".join(cycle))

    el = p.eligibility
    for j, rid in enumerate(el.all):
        if rid not in known:
            raise _LocError(("eligibility", "all", j), f"unknown rule {rid!r}: expected one of {rule_ids}")
    for j, route in enumerate(el.routes):
        if route.rule is not None and route.rule not in known:
            raise _LocError(("eligibility", "routes", j, "rule"),
                            f"route {route.id}: unknown rule {route.rule!r}: expected one of {rule_ids}")
        if route.score and p.scores is None:
            raise _LocError(("eligibility", "routes", j, "score"),
                            f"route {route.id} uses the score but the policy has no `scores` section")

    if p.benefit is not None:
        typed(p.benefit.node, ("benefit", "amount"), env, (E.NUMBER,), "benefit.amount")
    if p.budget is not None:
        if p.benefit is None:
            raise _LocError(("budget",), "a budget needs a `benefit` (the amounts it adds up)")
        if p.benefit.kind == "charge":
            raise _LocError(("budget",), "a budget caps what a policy pays: expected a benefit of kind grant, "
                                         "not a charge")
        extra = {"benefit_yuan": E.NUMBER}
        if p.scores is not None:
            extra.update(score=E.NUMBER, score_min=E.NUMBER, score_max=E.NUMBER)
            extra.update({f"score_{d}": E.NUMBER for d in dims})
        extra.update({f"points_{t.id}": E.NUMBER for t in p.points})
        typed(p.budget.node, ("budget", "order"), {**env, **extra}, (E.NUMBER, E.STRING, E.BOOL), "budget.order")

    for j, rid in enumerate(p.requires):
        if rid == p.id:
            raise _LocError(("requires", j), "a policy cannot require itself")
        refs.setdefault(rid, ("requires", j))
    nd = nd_ids
    if len(nd) != len(set(nd)):
        raise _LocError(("not_decidable",), "not_decidable ids appear twice")
    return var_types, refs


def find_cycle(edges: Mapping[str, list[str]], order=None) -> list[str] | None:
    """A cycle of the directed graph ``edges`` (node → nodes it refers to; nodes outside ``edges``
    are leaves), as ``[a, b, …, a]``, or None. Depth-first from the nodes in ``order`` (default:
    sorted), so the same graph always reports the same cycle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in edges.get(n, []):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in (sorted(edges) if order is None else order):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def _rule_cycle(rules) -> list[str] | None:
    ids = {r.id for r in rules}
    return find_cycle({r.id: [x for x in r.refs if x in ids] for r in rules}, [r.id for r in rules])


# --- YAML → Policy, with lines ----------------------------------------------------------------


_node_at = MF.node_at
_line = MF.line_at
_clean_loc = MF.clean_loc


def _compose(text: str, origin: str) -> tuple:
    """``(YAML root node, mapping)`` of a policy file's text, ``x-…`` keys (anchors) left out;
    ``PolicyError`` for YAML that is invalid, repeats a key or is not a mapping
    (``zhizao.methodfile.compose``)."""
    try:
        return MF.compose(text, shape="id: …, rules: …")
    except MF.Problems as e:
        raise PolicyError(origin, e.problems[0].line, e.problems[0].en, e.errors) from None


def parse_policy(text: str, *, origin: str = "<string>", resolve=None) -> Policy:
    """Validate YAML text; ``PolicyError`` names ``origin`` (the file), the line and what was expected.

    A variant (``extends: <id>[@<version>]``, ``zhizao.policy.variants``) is merged onto its base,
    found by ``resolve`` (a ``variants.Resolver``; default: the shipped library only — ``read_file``
    passes one that looks in the file's own directory first)."""
    root, data = _compose(text, origin)
    if "extends" in data or "drop" in data:
        from zhizao.policy import variants

        return variants.build(data, root, origin, resolve or variants.Resolver())
    policy = _build(data, origin, {(): ("file", origin, root, ())},
                    lambda loc: (_line(root, loc), _loc_text(_clean_loc(loc))))
    policy._source_file = origin
    policy._source_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return policy


def _build(data: dict, origin: str, where: dict, locate) -> Policy:
    """Validate the mapping ``data`` read from ``origin`` (the model, then the semantic checks).
    ``where`` says where each part was read (see ``Policy._trace``); ``locate(loc)`` gives the line
    in ``origin`` and the location text an error about ``loc`` cites."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as e:
        problems = MF.pydantic_problems(e, locate, Policy)
        raise PolicyError(origin, problems[0].line, problems[0].en, [(p.line, p.en) for p in problems]) from None
    try:
        var_types, refs = _semantic_check(policy)
    except _LocError as e:
        line, text = locate(e.loc)
        raise PolicyError(origin, line, f"{text}: {e.message}") from None
    policy._file = origin
    policy._types = var_types
    policy._refs = {pid: locate(loc)[0] for pid, loc in refs.items()}  # id → line of the first reference
    policy._raw = data
    policy._where = where
    policy._lines = _collect_lines(policy)
    return policy


def _trace_where(where: dict, loc: tuple, file: str | None) -> tuple:
    """``(file, YAML root, loc in that file)`` of ``loc`` by the longest prefix ``where`` maps:
    ``("file", file, root, target)`` (read there, at ``target``) or ``("policy", base, target)``
    (inherited: ``base``'s ``target``)."""
    for n in range(len(loc), -1, -1):
        entry = where.get(loc[:n])
        if entry is not None:
            break
    else:
        return file, None, loc
    rest = loc[n:]
    if entry[0] == "policy":
        return entry[1]._trace((*entry[2], *rest))
    _, file, root, target = entry
    return file, root, (*target, *rest)


def _collect_lines(p: Policy) -> dict:
    """Lines of the fields an explanation cites (rules, exceptions, variables, points, routes), each
    in the file it was read from (for a variant, an inherited item's line is in its base's file)."""
    locs = [("id",), ("eligibility",), ("benefit",), ("budget",), ("scores",)]
    locs += [("variables", n) for n in p.variables]
    locs += [("points", i) for i in range(len(p.points))]
    for i, r in enumerate(p.rules):
        locs.append(("rules", i))
        locs += [("rules", i, "exceptions", j) for j in range(len(r.exceptions))]
    locs += [("eligibility", "routes", j) for j in range(len(p.eligibility.routes))]
    out = {}
    for loc in locs:
        _, root, target = p._trace(loc)
        if root is not None:
            node, found = _node_at(root, target)
            if found:
                out[loc] = node.start_mark.line + 1
    return out


def validate_policy(policy: Policy) -> Policy:
    """Run the semantic checks on a Policy built in code (``Policy.model_validate(dict)``)."""
    try:
        var_types, refs = _semantic_check(policy)
    except _LocError as e:
        raise PolicyError(policy.file, None, f"{_loc_text(e.loc)}: {e.message}") from None
    policy._types, policy._refs = var_types, {pid: None for pid in refs}
    policy._raw = policy.model_dump(by_alias=True, exclude_unset=True)
    return policy


# --- files ------------------------------------------------------------------------------------


def policies_dir():
    """The shipped policy library: ``zhizao/methods/policies``."""
    return resources.files("zhizao") / "methods" / "policies"


def _files(directory) -> list:
    return sorted((f for f in directory.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name)


def _stem_matches(stem: str, policy_id: str) -> bool:
    return stem == policy_id or stem.startswith((policy_id + "@", policy_id + "."))


_VARIANT_KEY = re.compile(r"\b(extends|drop)\s*:")


def read_file(f, *, origin: str | None = None, _stack: tuple = ()) -> Policy:
    """Parse one policy file; its name must be ``<id>.yaml`` (or ``<id>@<version>.yaml``). A variant
    (``extends:``) finds its base in the file's own directory first, then in the shipped library;
    ``_stack`` holds the files being read for the bases above it (a cycle is an error)."""
    origin = origin or str(f)
    raw = f.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PolicyError(origin, None, f"not UTF-8 text ({e.reason} at byte {e.start}): expected a UTF-8 YAML "
                                        "file") from None
    if _VARIANT_KEY.search(text):        # a variant depends on other files: never cached; hashed by content
        from zhizao.policy.variants import Resolver

        p = parse_policy(text, origin=origin, resolve=Resolver.for_file(f, origin, _stack))
    else:
        p = _parse_cached(text, origin)
        p._source_sha256 = hashlib.sha256(raw).hexdigest()   # the file's bytes
    stem = f.name.rsplit(".", 1)[0]
    if not _stem_matches(stem, p.id):
        raise PolicyError(origin, p.line_of("id"), f"id {p.id!r} does not match the file name {f.name!r}: "
                                                   f"expected {p.id}.yaml (or {p.id}@<version>.yaml)")
    return p


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str, origin: str) -> Policy:
    return parse_policy(text, origin=origin)


def _shipped_origin(name: str) -> str:
    return f"zhizao/methods/policies/{name}"


def available_policies() -> list[str]:
    """Ids of the shipped policies (each id once, however many versions it has)."""
    d = policies_dir()
    if not d.is_dir():
        return []
    ids = set()
    for f in _files(d):
        stem = f.name.rsplit(".", 1)[0]
        ids.add(stem.split("@", 1)[0].split(".", 1)[0])
    return sorted(ids)


def load_policy(path_or_id: str | Path | Policy, *, year: int | None = None) -> Policy:
    """A policy by shipped id or by YAML path. With several shipped versions of one id, the one
    covering ``year`` (the latest ``valid_from`` when no year is given)."""
    if isinstance(path_or_id, Policy):
        return path_or_id
    p = Path(path_or_id)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise PolicyError(str(p), None, "no such policy file")
        return read_file(p)
    pid = str(path_or_id)
    d = policies_dir()
    versions = [read_file(f, origin=_shipped_origin(f.name)) for f in (_files(d) if d.is_dir() else [])
                if _stem_matches(f.name.rsplit(".", 1)[0], pid)]
    versions = [v for v in versions if v.id == pid]
    if not versions:
        hint = difflib.get_close_matches(pid, available_policies(), n=1)
        raise PolicyError(None, None, f"no shipped policy {pid!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                          + f"; shipped: {', '.join(available_policies()) or 'none'}")
    return pick_version(versions, year)


def pick_version(versions: list[Policy], year: int | None) -> Policy:
    """The version covering ``year`` (or the latest ``valid_from``); PolicyError when none covers it."""
    if year is None:
        return max(versions, key=lambda v: v.valid_from)
    hits = [v for v in versions if v.covers(year)]
    if not hits:
        p = versions[0]
        windows = ", ".join(f"{v.version}: {v.valid_from}–{v.valid_to or '…'}" for v in versions)
        raise PolicyError(p.file, None, f"policy {p.id} has no version valid in {year} ({windows})")
    return max(hits, key=lambda v: v.valid_from)
