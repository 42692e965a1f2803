"""The expression language of policy files: parsed with ``ast`` (never ``eval``), typed, evaluated.

An expression is a safe subset of Python expression syntax::

    rd_expenditure >= 1000000 and rd_ratio >= 0.03
    (main_revenue - lag(main_revenue, 1)) / lag(main_revenue, 1)
    in_group(industry_code, "high_tech") or code_prefix(industry_code, "C39")

``parse`` turns the text into a small tree of the node types below; ``check`` gives its type
against the names a policy may read (warehouse columns, earlier variables, ``year``); ``to_ibis``
compiles it to an Ibis expression and ``eval_row`` evaluates it for one row of plain values, both
with the same semantics:

* **SQL three-valued logic** — ``null`` is *unknown*: ``false and null`` is false, ``true or null``
  is true, ``null and true`` is null; ``not null`` is null; a comparison with null is null.
* arithmetic with null is null; division by zero is null.
* ``min``/``max`` are null when any argument is null (an unknown value might be the smallest);
  ``coalesce`` gives the first non-null argument; ``is_null`` is never null.

>>> e = parse("rd_expenditure >= 1000000 and rd_ratio >= 0.03")
>>> sorted(names(e))
['rd_expenditure', 'rd_ratio']
>>> eval_row(e, {"rd_expenditure": 2e6, "rd_ratio": None}) is None
True
>>> eval_row(e, {"rd_expenditure": 5e5, "rd_ratio": None})
False
>>> to_text(parse("(a - lag(a, 1)) / lag(a, 1)"))
'(a - lag(a, 1)) / lag(a, 1)'
>>> parse("1 < x <= 3")
BoolOp(op='and', values=(Compare(left=Const(value=1), op='<', right=Name(id='x')), Compare(left=Name(id='x'), op='<=', right=Const(value=3))))
"""

from __future__ import annotations

import ast
import datetime as _dt
import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce

__all__ = ["Node", "Const", "Name", "Lag", "Call", "BinOp", "Unary", "Compare", "BoolOp", "Not", "In",
           "ExprError", "FUNCTIONS", "parse", "names", "check", "eval_row", "to_text", "to_ibis",
           "NUMBER", "BOOL", "STRING", "DATE", "NULL"]

# --- node types -------------------------------------------------------------------------------


class Node:
    """Base of the expression nodes (frozen dataclasses, comparable and hashable)."""


@dataclass(frozen=True)
class Const(Node):
    value: object  # int | float | str | bool | None


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Lag(Node):
    name: str
    k: int


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Unary(Node):
    op: str  # -
    operand: Node


@dataclass(frozen=True)
class Compare(Node):
    left: Node
    op: str  # < <= > >= == !=
    right: Node


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and | or
    values: tuple


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class In(Node):
    left: Node
    values: tuple  # of constants


class ExprError(ValueError):
    """An expression that does not parse or type-check; the message says what was expected."""


# --- parsing ----------------------------------------------------------------------------------

#: function name → one-line description (the allowed functions).
FUNCTIONS = {
    "lag": "lag(column, k): the indicator column's value k ≥ 1 years before the evaluation year",
    "min": "min(a, b, …): the smallest (null if any is null)",
    "max": "max(a, b, …): the largest (null if any is null)",
    "abs": "abs(x)",
    "coalesce": "coalesce(a, b, …): the first argument that is not null",
    "is_null": "is_null(x): true where x is missing",
    "in_group": 'in_group(industry_code, "high_tech"): membership in a zhizao.codes.groupings grouping',
    "code_prefix": 'code_prefix(industry_code, "C39", …): the GB/T 4754 code starts with one of the prefixes',
    "years_since": "years_since(date_or_year): evaluation year − the date's year (or − the year number)",
    "contains": 'contains(column, "ISO9001"): the token is in the \';\'-separated text',
    "policy": 'policy("id"): another policy\'s verdict (eligible → true, not_eligible → false, else null)',
    "undecided": 'undecided("id"): a condition the data cannot decide: always unknown (null); the id must be '
                 "one of the policy's not_decidable entries, and `missing` names it as not_decidable:<id>",
    "region_in": 'region_in(region_code, "310000", "330100", …): GB/T 2260 membership by prefix (a province '
                 "code xx0000 matches its 2 digits, a prefecture xxxx00 its 4, a county all 6)",
    "count_true": "count_true(a, b, …): how many of the conditions are true; null when any is unknown "
                  "(the count is then not decided: use at_least for thresholds)",
    "at_least": "at_least(k, a, b, …): at least k of the conditions are true; false when even every "
                "unknown one being true would not reach k; else null",
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_CONSTS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def parse(text: str) -> Node:
    """Parse an expression into nodes; ``ExprError`` says what is wrong and what was expected."""
    if not isinstance(text, str):
        if isinstance(text, bool):
            return Const(text)
        if isinstance(text, (int, float)):
            return Const(text)
        raise ExprError(f"expected an expression as text, got {type(text).__name__}")
    src = text.strip()
    if not src:
        raise ExprError("empty expression")
    try:
        tree = ast.parse(src.replace("\n", " "), mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExprError(f"not a valid expression{where}: {e.msg} in {src!r}") from None
    return _node(tree.body, src)


def _node(n: ast.AST, src: str) -> Node:
    if isinstance(n, ast.Constant):
        if isinstance(n.value, (bool, int, float, str)) or n.value is None:
            return Const(n.value)
        raise ExprError(f"unsupported constant {n.value!r}")
    if isinstance(n, ast.Name):
        if n.id in _CONSTS:
            return Const(_CONSTS[n.id])
        return Name(n.id)
    if isinstance(n, ast.Attribute):
        # a qualified name: a column of an extra input table, ``land.land_class``
        if isinstance(n.value, ast.Name) and n.value.id not in _CONSTS:
            return Name(f"{n.value.id}.{n.attr}")
        raise ExprError(f"unsupported name {ast.get_source_segment(src, n) or src!r}: expected a column, "
                        "or input.column for a column of an extra input table")
    if isinstance(n, ast.BinOp):
        op = _BINOPS.get(type(n.op))
        if op is None:
            raise ExprError(f"unsupported operator in {ast.get_source_segment(src, n) or src!r}: "
                            "expected one of + - * /")
        return BinOp(op, _node(n.left, src), _node(n.right, src))
    if isinstance(n, ast.UnaryOp):
        if isinstance(n.op, ast.Not):
            return Not(_node(n.operand, src))
        if isinstance(n.op, ast.USub):
            inner = _node(n.operand, src)
            if isinstance(inner, Const) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
                return Const(-inner.value)
            return Unary("-", inner)
        if isinstance(n.op, ast.UAdd):
            return _node(n.operand, src)
        raise ExprError("unsupported unary operator: expected - or not")
    if isinstance(n, ast.BoolOp):
        return BoolOp("and" if isinstance(n.op, ast.And) else "or", tuple(_node(v, src) for v in n.values))
    if isinstance(n, ast.Compare):
        parts = []
        left = _node(n.left, src)
        for op, comp in zip(n.ops, n.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(comp, (ast.List, ast.Tuple, ast.Set)):
                    raise ExprError("`in` expects a list of constants: x in [\"a\", \"b\"]")
                values = tuple(_node(v, src) for v in comp.elts)
                if not values or not all(isinstance(v, Const) and v.value is not None for v in values):
                    raise ExprError("`in` expects a non-empty list of constants (no null)")
                node = In(left, tuple(v.value for v in values))
                parts.append(Not(node) if isinstance(op, ast.NotIn) else node)
                left = None
                continue
            sym = _CMPOPS.get(type(op))
            if sym is None:
                raise ExprError("unsupported comparison: expected < <= > >= == != or in "
                                "(use is_null(x) instead of `is None`)")
            if left is None:
                raise ExprError("a comparison cannot follow `in`")
            right = _node(comp, src)
            parts.append(Compare(left, sym, right))
            left = right
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
    if isinstance(n, ast.Call):
        if not isinstance(n.func, ast.Name):
            raise ExprError("only the listed functions can be called: " + ", ".join(FUNCTIONS))
        fn = n.func.id
        if n.keywords:
            raise ExprError(f"{fn}(): keyword arguments are not allowed")
        if fn not in FUNCTIONS:
            hint = difflib.get_close_matches(fn, FUNCTIONS, n=1)
            raise ExprError(f"unknown function {fn}()" + (f" (did you mean {hint[0]}?)" if hint else "")
                            + "; expected one of " + ", ".join(FUNCTIONS))
        args = tuple(_node(a, src) for a in n.args)
        if fn == "lag":
            if len(args) != 2 or not isinstance(args[0], Name) or not _is_int(args[1]) or args[1].value < 1:
                raise ExprError("lag expects a column name and a whole number of years ≥ 1: lag(revenue, 1)")
            return Lag(args[0].id, int(args[1].value))
        return Call(fn, args)
    if isinstance(n, (ast.List, ast.Tuple)):
        raise ExprError("a list is only allowed after `in`")
    raise ExprError(f"unsupported syntax {type(n).__name__} in {ast.get_source_segment(src, n) or src!r}")


def _is_int(n: Node) -> bool:
    return isinstance(n, Const) and isinstance(n.value, int) and not isinstance(n.value, bool)


# --- reading the tree -------------------------------------------------------------------------


def children(node: Node) -> tuple:
    """The direct sub-nodes of ``node``."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, (Unary, Not)):
        return (node.operand,)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.values
    if isinstance(node, In):
        return (node.left,)
    return ()


def names(node: Node) -> set[str]:
    """The inputs ``node`` reads: column and variable names, ``col@-k`` for lags, ``policy:id``
    (and ``rule:id`` in the nodes of combinator rules). ``year`` is not an input.

    >>> sorted(names(parse('policy("specialized_sme") and lag(revenue, 2) > revenue and year > 2020')))
    ['policy:specialized_sme', 'revenue', 'revenue@-2']
    """
    out: set[str] = set()
    _names(node, out)
    return out


def _names(node: Node, out: set) -> None:
    if isinstance(node, Name):
        if node.id != "year":
            out.add(node.id)
    elif isinstance(node, Lag):
        out.add(f"{node.name}@-{node.k}")
    elif isinstance(node, Call) and node.fn == "policy":
        if node.args and isinstance(node.args[0], Const):
            out.add(f"policy:{node.args[0].value}")
    elif isinstance(node, Call) and node.fn == "undecided":
        if node.args and isinstance(node.args[0], Const):
            out.add(f"not_decidable:{node.args[0].value}")
    else:
        for c in children(node):
            _names(c, out)


def lag_key(name: str, k: int) -> str:
    return f"{name}@-{k}"


# --- types ------------------------------------------------------------------------------------

NUMBER, BOOL, STRING, DATE, NULL = "number", "bool", "string", "date", "null"
_TYPE_WORDS = {NUMBER: "a number", BOOL: "a condition (true/false)", STRING: "text", DATE: "a date",
               NULL: "null"}


def check(node: Node, types: Mapping[str, str], *, groupings: Callable[[str], bool] | None = None) -> str:
    """The type of ``node`` (``number``, ``bool``, ``string``, ``date`` or ``null``).

    ``types`` maps every name the expression may read (columns, variables, ``col@-k``,
    ``policy:id``) to its type; ``year`` is always a number. Raises ``ExprError`` naming an unknown
    name (with the closest known one) or the operand that has the wrong type and what was expected.

    >>> check(parse("revenue / employees > 1e6"), {"revenue": "number", "employees": "number"})
    'bool'
    >>> check(parse("revenu > 1"), {"revenue": "number"})
    Traceback (most recent call last):
    ...
    zhizao.policy.expr.ExprError: unknown name 'revenu' (did you mean 'revenue'?): expected a warehouse column, a variable declared before, or year
    """
    return _check(node, types, groupings)


def _want(node, t, expected, what):
    if t != NULL and t not in expected:
        words = " or ".join(_TYPE_WORDS[e] for e in expected)
        raise ExprError(f"{what} must be {words}, but {to_text(node)} is {_TYPE_WORDS[t]}")


def _check(node: Node, types, groupings) -> str:  # noqa: C901 - one branch per node type
    if isinstance(node, Const):
        v = node.value
        return NULL if v is None else BOOL if isinstance(v, bool) else STRING if isinstance(v, str) else NUMBER
    if isinstance(node, Name):
        if node.id == "year":
            return NUMBER
        if node.id not in types:
            known = [k for k in types if "@" not in k and ":" not in k]
            hint = difflib.get_close_matches(node.id, known, n=1)
            raise ExprError(f"unknown name {node.id!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                            + ": expected a warehouse column, a variable declared before, or year")
        return types[node.id]
    if isinstance(node, Lag):
        key = lag_key(node.name, node.k)
        if key not in types:
            if node.name in types:
                raise ExprError(f"lag({node.name}, {node.k}): only a column of the indicators table "
                                "(one value per year) has earlier years")
            raise ExprError(f"lag({node.name}, {node.k}): unknown column {node.name!r}: expected an "
                            "indicators column")
        return types[key]
    if isinstance(node, BinOp):
        for side in (node.left, node.right):
            _want(side, _check(side, types, groupings), (NUMBER,), f"an operand of {node.op}")
        return NUMBER
    if isinstance(node, Unary):
        _want(node.operand, _check(node.operand, types, groupings), (NUMBER,), "the operand of unary -")
        return NUMBER
    if isinstance(node, Compare):
        lt, rt = _check(node.left, types, groupings), _check(node.right, types, groupings)
        if NULL in (lt, rt):
            raise ExprError(f"{to_text(node)}: a comparison with null is always unknown; "
                            "expected is_null(x) to test for a missing value")
        if node.op in ("<", "<=", ">", ">="):
            _want(node.left, lt, (NUMBER,), f"the left side of {node.op}")
            _want(node.right, rt, (NUMBER,), f"the right side of {node.op}")
        elif NULL not in (lt, rt) and lt != rt:
            raise ExprError(f"{to_text(node)} compares {_TYPE_WORDS[lt]} with {_TYPE_WORDS[rt]}")
        elif DATE in (lt, rt):
            raise ExprError(f"{to_text(node)}: dates cannot be compared; use years_since(date)")
        return BOOL
    if isinstance(node, BoolOp):
        for v in node.values:
            _want(v, _check(v, types, groupings), (BOOL,), f"an operand of {node.op}")
        return BOOL
    if isinstance(node, Not):
        _want(node.operand, _check(node.operand, types, groupings), (BOOL,), "the operand of not")
        return BOOL
    if isinstance(node, In):
        lt = _check(node.left, types, groupings)
        _want(node.left, lt, (NUMBER, STRING), "the left side of in")
        kinds = {STRING if isinstance(v, str) else NUMBER if isinstance(v, (int, float)) and not isinstance(v, bool)
                 else BOOL for v in node.values}
        if len(kinds) != 1 or (lt != NULL and kinds != {lt}):
            raise ExprError(f"{to_text(node)}: the list must hold only {_TYPE_WORDS[lt if lt != NULL else NUMBER]}")
        return BOOL
    if isinstance(node, Call):
        return _check_call(node, types, groupings)
    raise ExprError(f"unsupported node {node!r}")


def _check_call(node: Call, types, groupings) -> str:
    fn, args = node.fn, node.args
    ts = [_check(a, types, groupings) for a in args] if fn not in ("policy", "undecided") else []

    def arity(lo, hi=None):
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise ExprError(f"{FUNCTIONS.get(fn, fn)} — got {len(args)} argument(s)")

    def text_const(i, what):
        if not (isinstance(args[i], Const) and isinstance(args[i].value, str)):
            raise ExprError(f"{fn}(): argument {i + 1} must be {what} in quotes")
        return args[i].value

    if fn in ("min", "max"):
        arity(2)
        for a, t in zip(args, ts):
            _want(a, t, (NUMBER,), f"an argument of {fn}")
        return NUMBER
    if fn == "abs":
        arity(1, 1)
        _want(args[0], ts[0], (NUMBER,), "the argument of abs")
        return NUMBER
    if fn == "coalesce":
        arity(2)
        real = {t for t in ts if t != NULL}
        if len(real) > 1:
            raise ExprError(f"{to_text(node)}: the arguments of coalesce must have one type, not "
                            + ", ".join(sorted(_TYPE_WORDS[t] for t in real)))
        return real.pop() if real else NULL
    if fn == "is_null":
        arity(1, 1)
        return BOOL
    if fn == "in_group":
        arity(2, 2)
        _want(args[0], ts[0], (STRING,), "the first argument of in_group (an industry code)")
        gid = text_const(1, "a grouping id")
        from zhizao.codes.groupings import GROUPINGS

        if gid not in GROUPINGS:
            raise ExprError(f"in_group(): unknown grouping {gid!r}: expected one of {', '.join(GROUPINGS)}")
        return BOOL
    if fn == "code_prefix":
        arity(2)
        _want(args[0], ts[0], (STRING,), "the first argument of code_prefix (an industry code)")
        for i in range(1, len(args)):
            code_prefixes(text_const(i, "a GB/T 4754 code prefix"))
        return BOOL
    if fn == "years_since":
        arity(1, 1)
        _want(args[0], ts[0], (DATE, NUMBER), "the argument of years_since")
        return NUMBER
    if fn == "contains":
        arity(2, 2)
        _want(args[0], ts[0], (STRING,), "the first argument of contains")
        tok = text_const(1, "a token")
        if ";" in tok or not tok.strip():
            raise ExprError("contains(): the token must be non-empty and hold no ';'")
        return BOOL
    if fn == "policy":
        arity(1, 1)
        pid = text_const(0, "a policy id")
        key = f"policy:{pid}"
        if types and key not in types:
            raise ExprError(f"policy({pid!r}): unknown policy")
        return BOOL
    if fn == "undecided":
        arity(1, 1)
        nid = text_const(0, "a not_decidable id")
        key = f"not_decidable:{nid}"
        if types and key not in types:
            known = sorted(k.split(":", 1)[1] for k in types if str(k).startswith("not_decidable:"))
            raise ExprError(f"undecided({nid!r}): not one of the policy's not_decidable ids: expected "
                            + (", ".join(known) if known else "an id declared under not_decidable (there are none)"))
        return BOOL
    if fn == "region_in":
        arity(2)
        _want(args[0], ts[0], (STRING,), "the first argument of region_in (a region code)")
        for i in range(1, len(args)):
            region_prefix(text_const(i, "a GB/T 2260 code"))
        return BOOL
    if fn == "count_true":
        arity(1)
        for a, t in zip(args, ts):
            _want(a, t, (BOOL,), "an argument of count_true")
        return NUMBER
    if fn == "at_least":
        arity(2)
        if not _is_int(args[0]) or not 1 <= args[0].value <= len(args) - 1:
            raise ExprError(f"at_least(k, …): k must be a whole number from 1 to the number of conditions "
                            f"({len(args) - 1}), got {to_text(args[0])}")
        for a, t in zip(args[1:], ts[1:]):
            _want(a, t, (BOOL,), "a condition of at_least")
        return BOOL
    raise ExprError(f"unknown function {fn}()")


def region_prefix(code: str) -> str:
    """The prefix a GB/T 2260 code stands for in ``region_in``: a province (``xx0000``) its 2
    digits, a prefecture (``xxxx00``) its 4, a county its 6.

    >>> region_prefix("310000"), region_prefix("330100"), region_prefix("330624")
    ('31', '3301', '330624')
    """
    c = str(code).strip()
    if len(c) != 6 or not c.isdigit() or c[:2] == "00":
        raise ExprError(f"region_in(): {code!r} is not a 6-digit GB/T 2260 code (e.g. 310000, 330100, 330624)")
    if c[2:] == "0000":
        return c[:2]
    if c[4:] == "00":
        return c[:4]
    return c


def code_prefixes(prefix: str) -> tuple[str, ...]:
    """The numeric GB/T 4754 code prefixes a written prefix stands for: ``"C39"`` → ``("39",)``,
    ``"3451"`` → ``("3451",)``, a section letter ``"D"`` → its divisions ``("44", "45", "46")``.

    >>> code_prefixes("C39"), code_prefixes("D")
    (('39',), ('44', '45', '46'))
    """
    from zhizao.codes import industries

    p = prefix.strip().upper()
    if not p:
        raise ExprError("code_prefix(): empty prefix")
    if p[0].isalpha():
        letter, digits = p[0], p[1:]
        try:
            section = industries.industry(letter)
        except Exception:
            raise ExprError(f"code_prefix(): {prefix!r} is not a GB/T 4754 section letter") from None
        if not digits:
            return tuple(c.code for c in industries.children(section.code))
        if not digits.isdigit():
            raise ExprError(f"code_prefix(): {prefix!r}: expected a section letter and digits, e.g. C39")
        if len(digits) >= 2:
            try:
                ok = industries.industry(digits[:2]).section == letter
            except Exception:
                ok = False
            if not ok:
                raise ExprError(f"code_prefix(): division {digits[:2]} is not in section {letter}")
        return (digits,)
    if not p.isdigit():
        raise ExprError(f"code_prefix(): {prefix!r}: expected digits or a section letter with digits, e.g. C39")
    return (p,)


# --- text -------------------------------------------------------------------------------------

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def to_text(node: Node) -> str:
    """A readable form of the expression (it parses back to the same nodes).

    >>> to_text(parse("not (a > 1 or b) and c in ['x', 'y']"))
    'not (a > 1 or b) and c in ["x", "y"]'
    """
    return _text(node)[0]


def _const_text(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


def _wrap(child: Node, prec: int, strict: bool = False) -> str:
    text, p = _text(child)
    return f"({text})" if p < prec or (strict and p == prec) else text


def _text(node: Node) -> tuple[str, int]:
    if isinstance(node, Const):
        return _const_text(node.value), 9
    if isinstance(node, Name):
        return node.id, 9
    if isinstance(node, Lag):
        return f"lag({node.name}, {node.k})", 9
    if isinstance(node, Call):
        return f"{node.fn}({', '.join(_text(a)[0] for a in node.args)})", 9
    if isinstance(node, BinOp):
        p = _PREC[node.op]
        return f"{_wrap(node.left, p)} {node.op} {_wrap(node.right, p, strict=True)}", p
    if isinstance(node, Unary):
        return f"-{_wrap(node.operand, _PREC['neg'])}", _PREC["neg"]
    if isinstance(node, Compare):
        p = _PREC["cmp"]
        return f"{_wrap(node.left, p, True)} {node.op} {_wrap(node.right, p, True)}", p
    if isinstance(node, In):
        p = _PREC["cmp"]
        return f"{_wrap(node.left, p, True)} in [{', '.join(_const_text(v) for v in node.values)}]", p
    if isinstance(node, BoolOp):
        p = _PREC[node.op]
        return f" {node.op} ".join(_wrap(v, p, strict=True) for v in node.values), p
    if isinstance(node, Not):
        p = _PREC["not"]
        return f"not {_wrap(node.operand, p)}", p
    raise ExprError(f"unsupported node {node!r}")


# --- scalar evaluation ------------------------------------------------------------------------


def eval_row(node: Node, env: Mapping[str, object]):
    """Evaluate ``node`` for one row: ``env`` maps names (``col@-k``, ``policy:id``, ``rule:id``,
    ``year``) to plain values; an absent name is null. Same semantics as the compiled Ibis.

    >>> eval_row(parse("false and x"), {}), eval_row(parse("true or x"), {}), eval_row(parse("x / 0"), {"x": 1})
    (False, True, None)
    >>> eval_row(parse('contains(certifications, "ISO9001") and years_since(d) >= 2'),
    ...          {"certifications": "ISO14001; ISO9001", "d": __import__("datetime").date(2020, 5, 1), "year": 2024})
    True
    """
    return _eval(node, env)


def _num(v):
    return None if v is None else float(v)


def _eval(node: Node, env):  # noqa: C901 - one branch per node type
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Name):
        return env.get(node.id)
    if isinstance(node, Lag):
        return env.get(lag_key(node.name, node.k))
    if isinstance(node, BinOp):
        a, b = _num(_eval(node.left, env)), _num(_eval(node.right, env))
        if a is None or b is None:
            return None
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return None if b == 0 else a / b
    if isinstance(node, Unary):
        v = _num(_eval(node.operand, env))
        return None if v is None else -v
    if isinstance(node, Compare):
        a, b = _eval(node.left, env), _eval(node.right, env)
        if a is None or b is None:
            return None
        if isinstance(a, (int, float)) and not isinstance(a, bool):
            a, b = float(a), float(b)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[node.op]
    if isinstance(node, BoolOp):
        unknown = False
        for v in node.values:
            x = _eval(v, env)
            if x is None:
                unknown = True
            elif bool(x) is (node.op == "or"):
                return node.op == "or"
        return None if unknown else node.op == "and"
    if isinstance(node, Not):
        v = _eval(node.operand, env)
        return None if v is None else not v
    if isinstance(node, In):
        v = _eval(node.left, env)
        if v is None:
            return None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v) in {float(x) for x in node.values}
        return v in node.values
    if isinstance(node, Call):
        return _eval_call(node, env)
    raise ExprError(f"unsupported node {node!r}")


def _eval_call(node: Call, env):
    fn, args = node.fn, node.args
    if fn == "policy":
        v = env.get(f"policy:{args[0].value}")
        if isinstance(v, str):
            return {"eligible": True, "not_eligible": False}.get(v)
        return v
    if fn == "undecided":
        return None
    if fn == "at_least":
        k = args[0].value
        vals = [_eval(a, env) for a in args[1:]]
        yes = sum(1 for v in vals if v is not None and bool(v))
        unknown = sum(1 for v in vals if v is None)
        return True if yes >= k else False if yes + unknown < k else None
    if fn == "count_true":
        vals = [_eval(a, env) for a in args]
        return None if any(v is None for v in vals) else float(sum(1 for v in vals if v))
    vals = [_eval(a, env) for a in args]
    if fn in ("min", "max"):
        if any(v is None for v in vals):
            return None
        return (min if fn == "min" else max)(float(v) for v in vals)
    if fn == "abs":
        return None if vals[0] is None else abs(float(vals[0]))
    if fn == "coalesce":
        return next((v for v in vals if v is not None), None)
    if fn == "is_null":
        return vals[0] is None
    if fn == "in_group":
        if vals[0] is None:
            return None
        from zhizao.codes.groupings import GROUPINGS

        return str(vals[0]) in GROUPINGS[vals[1]].classes
    if fn == "code_prefix":
        if vals[0] is None:
            return None
        prefixes = [p for a in vals[1:] for p in code_prefixes(a)]
        return any(str(vals[0]).startswith(p) for p in prefixes)
    if fn == "region_in":
        if vals[0] is None:
            return None
        return any(str(vals[0]).startswith(region_prefix(a)) for a in vals[1:])
    if fn == "years_since":
        v, year = vals[0], env.get("year")
        if v is None or year is None:
            return None
        y = v.year if isinstance(v, (_dt.date, _dt.datetime)) else v
        return float(year) - float(y)
    if fn == "contains":
        if vals[0] is None:
            return None
        return vals[1].replace(" ", "") in {t.replace(" ", "") for t in str(vals[0]).split(";")}
    raise ExprError(f"unknown function {fn}()")


# --- compilation to Ibis ----------------------------------------------------------------------

_IBIS_TYPES = {NUMBER: "float64", BOOL: "boolean", STRING: "string", DATE: "date", NULL: "float64"}


def to_ibis(node: Node, resolve: Callable[[str], object], types: Mapping[str, str], *, year: int,
            want: str | None = None):
    """Compile ``node`` to an Ibis expression. ``resolve(key)`` gives the Ibis column for a name,
    ``col@-k`` or ``policy:id`` (numbers as float64); ``types`` as for ``check``. ``want`` is the
    type the context expects (``bool`` for a condition): an expression of type null (the literal
    ``null``) then compiles to a null of that type, not to a float null."""
    return _Compiler(resolve, types, year).expr(node, want)


class _Compiler:
    def __init__(self, resolve, types, year):
        self.resolve, self.types, self.year = resolve, types, year

    def type(self, node):
        return _check(node, self.types, None)

    def expr(self, node, want: str | None = None):  # noqa: C901 - one branch per node type
        import ibis

        if isinstance(node, Const):
            v = node.value
            if v is None:
                return ibis.null(_IBIS_TYPES[want or NUMBER])
            if isinstance(v, bool):
                return ibis.literal(v, "boolean")
            if isinstance(v, str):
                return ibis.literal(v, "string")
            return ibis.literal(float(v), "float64")
        if isinstance(node, Name):
            if node.id == "year":
                return ibis.literal(float(self.year), "float64")
            return self.resolve(node.id)
        if isinstance(node, Lag):
            return self.resolve(lag_key(node.name, node.k))
        if isinstance(node, BinOp):
            a, b = self.expr(node.left, NUMBER), self.expr(node.right, NUMBER)
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "*":
                return a * b
            return a / b.nullif(0.0)
        if isinstance(node, Unary):
            return -self.expr(node.operand, NUMBER)
        if isinstance(node, Compare):
            lt, rt = self.type(node.left), self.type(node.right)
            if NULL in (lt, rt):
                return ibis.null("boolean")
            t = lt if lt != NULL else rt
            a, b = self.expr(node.left, t), self.expr(node.right, t)
            op = node.op
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op] if op not in ("==", "!=") \
                else (a == b if op == "==" else a != b)
        if isinstance(node, BoolOp):
            parts = [self.expr(v, BOOL) for v in node.values]
            return reduce((lambda x, y: x & y) if node.op == "and" else (lambda x, y: x | y), parts)
        if isinstance(node, Not):
            return ~self.expr(node.operand, BOOL)
        if isinstance(node, In):
            left = self.expr(node.left, self.type(node.left))
            vals = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in node.values]
            return left.isin(vals)
        if isinstance(node, Call):
            return self.call(node, want)
        raise ExprError(f"unsupported node {node!r}")

    def call(self, node: Call, want):
        import ibis

        fn, args = node.fn, node.args
        if fn == "policy":
            return self.resolve(f"policy:{args[0].value}")
        if fn == "undecided":
            return ibis.null("boolean")
        if fn in ("at_least", "count_true"):
            conds = [self.expr(a, BOOL) for a in (args[1:] if fn == "at_least" else args)]
            yes = reduce(lambda x, y: x + y, [c.fill_null(False).cast("int64") for c in conds])
            unk = reduce(lambda x, y: x + y, [c.isnull().cast("int64") for c in conds])
            if fn == "count_true":
                return (unk > 0).ifelse(ibis.null("float64"), yes.cast("float64"))
            k = int(args[0].value)
            return ibis.cases((yes >= k, True), (yes + unk < k, False), else_=ibis.null("boolean"))
        if fn == "region_in":
            col = self.expr(args[0], STRING)
            by_len: dict[int, list[str]] = {}
            for p in sorted({region_prefix(a.value) for a in args[1:]}):
                by_len.setdefault(len(p), []).append(p)
            return reduce(lambda x, y: x | y, [col.substr(0, n).isin(ps) for n, ps in sorted(by_len.items())])
        if fn in ("min", "max"):
            xs = [self.expr(a, NUMBER) for a in args]
            any_null = reduce(lambda x, y: x | y, [x.isnull() for x in xs])
            best = ibis.least(*xs) if fn == "min" else ibis.greatest(*xs)
            return any_null.ifelse(ibis.null("float64"), best)
        if fn == "abs":
            return self.expr(args[0], NUMBER).abs()
        if fn == "coalesce":
            t = self.type(node)
            t = want if t == NULL and want else t
            return ibis.coalesce(*[self.expr(a, t) for a in args])
        if fn == "is_null":
            return self.expr(args[0], self.type(args[0])).isnull()
        if fn == "in_group":
            from zhizao.codes.groupings import GROUPINGS

            return self.expr(args[0], STRING).isin(sorted(GROUPINGS[args[1].value].classes))
        if fn == "code_prefix":
            col = self.expr(args[0], STRING)
            prefixes = sorted({p for a in args[1:] for p in code_prefixes(a.value)})
            by_len: dict[int, list[str]] = {}
            for p in prefixes:
                by_len.setdefault(len(p), []).append(p)
            parts = [col.substr(0, n).isin(ps) for n, ps in sorted(by_len.items())]
            return reduce(lambda x, y: x | y, parts)
        if fn == "years_since":
            t = self.type(args[0])
            x = self.expr(args[0], t)
            y = x.year().cast("float64") if t == DATE else x
            return ibis.literal(float(self.year), "float64") - y
        if fn == "contains":
            col = self.expr(args[0], STRING)
            tok = args[1].value
            return (";" + col.replace(" ", "") + ";").contains(f";{tok.replace(' ', '')};")
        raise ExprError(f"unknown function {fn}()")
