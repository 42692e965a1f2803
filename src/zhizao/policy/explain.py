"""Explanation of one enterprise × one policy (政策适用说明): data first, text rendered at the edge.

``explain`` reads the enterprise's row of the policy's evaluation table (computing it when not
given), the enterprise's own inputs (its ``enterprises`` row and its ``indicators`` rows of the
year and the years the lags read) and the verdicts of the policies it requires, and returns a
tree of plain, JSON-serialisable dicts:

* ``policy``, ``enterprise``, ``year``, ``verdict``, ``route``, ``score``, ``missing``, ``conflict``;
* ``variables``: every derived variable with its formula, value, unit, inputs and clause;
* ``points``: every points table with the value it reads, its bands (or cases), the band that
  matched, the points and the clause; ``scores``: the total, the pass mark and each dimension;
* ``rules``: every rule with its value (after exceptions), pass / fail / unknown, the comparison
  tree (each side's value, the threshold, whether it holds), the inputs it read and which were
  missing, the exceptions (whether each applies, which one decided) and the clause;
* ``eligibility``: the floor (rule ids and values) and the routes (value, the one that passed);
* ``benefit``, ``budget``, ``requires`` (other policies' verdicts), ``not_decidable`` (conditions
  of the official text the data cannot decide: reported as not checked, never guessed).

Every cited item also has ``origin`` (a ``not_decidable`` item: only for a variant): the
``file:line`` it was read from (``Policy.origin_of``). For a
province variant (``extends``, ``zhizao.policy.variants``) that is the variant's file for what it
states and the base's file for what it inherits; ``policy`` then also has ``extends``, the base's
``base_source`` and ``base_file``, and ``changes``; ``render`` cites the files only for a variant
(the text of other policies is unchanged).

The engine's evaluation row is authoritative for every verdict, rule, points and score; the
comparison trees re-evaluate sub-expressions with ``zhizao.policy.expr.eval_row`` (same
three-valued semantics) only to show the values of each side. ``render`` writes the tree as
zh or en text.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from zhizao.policy.tree import ExplanationTree

__all__ = ["explain", "render", "enterprise_inputs", "format_value", "input_unit", "term_tree",
           "VERDICT_ZH", "VERDICT_EN"]

VERDICT_ZH = {"eligible": "符合", "not_eligible": "不符合", "unknown": "无法判定（数据缺失）",
              "conflict": "条款冲突（待人工裁定）"}
VERDICT_EN = {"eligible": "eligible", "not_eligible": "not eligible", "unknown": "unknown (missing data)",
              "conflict": "conflict (needs a decision)"}
_OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}
_SCHEMA_UNITS = {"money": "money", "share": "share", "count": "count", "persons": "count"}


# --- small helpers -------------------------------------------------------------------------------
def _jsonable(v):
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):   # numpy scalars
        try:
            return v.item()
        except (TypeError, ValueError):
            return str(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def _get(obj, name, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _rows(t, **eq) -> list[dict]:
    from zhizao.data.queries import rows_where

    return rows_where(t, **eq)


def input_unit(name: str, policy=None) -> str:
    """Display unit of an input: a variable's declared unit, else the warehouse column's kind
    (money / share / count), else ``plain``; ``col@-k`` takes the column's unit."""
    base = name.split("@")[0]
    if policy is not None:
        var = (_get(policy, "variables") or {}).get(base)
        if var is not None:
            return _get(var, "unit", "plain") or "plain"
    from zhizao.data.schema import ENTERPRISES, INDICATORS

    for table in (INDICATORS, ENTERPRISES):
        if base in table.column_names:
            c = table.column(base)
            if c.dtype == "bool":
                return "bool"
            return _SCHEMA_UNITS.get(c.unit or "", "plain")
    return "plain"


def input_label(name: str, policy=None, lang: str = "zh") -> str:
    """The readable name of an input: a variable's ``name_zh`` / ``name_en``, a warehouse column's
    zh / en name (``col@-k``: 上k年…), else ``""`` (the caller shows the id alone)."""
    zh = lang == "zh"
    base, _, lag = name.partition("@")
    label = ""
    if policy is not None:
        var = (_get(policy, "variables") or {}).get(base)
        if var is not None:
            label = (_get(var, "name_zh") if zh else _get(var, "name_en")) or ""
    if not label:
        from zhizao.data.schema import ENTERPRISES, INDICATORS

        for table in (INDICATORS, ENTERPRISES):
            if base in table.column_names:
                c = table.column(base)
                label = c.zh if zh else c.en
                break
    if label and lag:
        k = lag.lstrip("-")
        label = f"{'上' * int(k)}年{label}" if zh and k.isdigit() and int(k) <= 2 else \
            (f"{k}年前{label}" if zh else f"{label} {k} year(s) earlier")
    return label


def format_value(v, unit: str = "plain", lang: str = "zh") -> str:
    """A value for display: share → %, money → 万元/亿元 (zh) or yuan (en), bool → 是/否."""
    zh = lang == "zh"
    if v is None:
        return "缺失" if zh else "missing"
    if isinstance(v, bool):
        return ("是" if v else "否") if zh else ("yes" if v else "no")
    if isinstance(v, (int, float)):
        if unit == "share":
            return f"{v * 100:.2f}%"
        if unit == "money":
            if zh:
                if abs(v) >= 1e8:
                    return f"{v / 1e8:,.2f}亿元"
                if abs(v) >= 1e4:
                    return f"{v / 1e4:,.1f}万元"
                return f"{v:,.0f}元"
            return f"{v:,.0f} yuan"
        if unit == "years":
            return f"{v:g}年" if zh else f"{v:g} years"
        if unit == "count" or (isinstance(v, int)):
            return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


# --- inputs of one enterprise --------------------------------------------------------------------
def enterprise_inputs(tables: dict, uscc: str, year: int, *, lags: int = 3) -> dict:
    """The inputs the expressions read for one enterprise: its ``enterprises`` columns, its
    ``indicators`` of ``year``, ``col@-k`` for the ``lags`` years before, and ``year``."""
    ent = tables["enterprises"]
    rows = _rows(ent.filter(ent.uscc == uscc))
    ind = tables["indicators"]
    got = _rows(ind.filter((ind.uscc == uscc) & (ind.year >= year - lags) & (ind.year <= year)))
    return inputs_from_rows(rows[0] if rows else None, got, year, ind.columns, lags=lags)


def inputs_from_rows(enterprise: dict | None, indicators: list[dict], year: int, indicator_columns,
                     *, lags: int = 3) -> dict:
    """``enterprise_inputs`` from rows already read: the enterprise's row and its indicator rows
    of ``year`` and the ``lags`` years before (a warm service reads them with a prepared query)."""
    env: dict[str, Any] = {"year": year}
    if enterprise:
        env.update(enterprise)
    by_year = {r["year"]: r for r in indicators}
    cols = [c for c in indicator_columns if c not in ("uscc", "year")]
    this = by_year.get(year, {})
    for c in cols:
        env[c] = this.get(c)
    for k in range(1, lags + 1):
        prev = by_year.get(year - k, {})
        for c in cols:
            env[f"{c}@-{k}"] = prev.get(c)
    env["year"] = year
    return env


def input_table_values(tables: dict, policy, uscc: str, year: int) -> dict:
    """The values one enterprise has in the policy's extra input tables (``land.land_class`` …),
    read through the engine's own join (same key, ``where`` filter and derived columns)."""
    from zhizao.policy.engine import _in_col, _join_input, _needed

    env: dict[str, Any] = {}
    ind = tables.get("indicators") if "indicators" in tables else tables.get("panel")
    if ind is None:
        return env
    one = ind.filter((ind.uscc == uscc) & (ind.year == year)).select("uscc").limit(1)
    for alias, cols in _needed(policy)[2].items():
        cols = sorted(cols)
        if not cols:
            continue
        try:
            got = _rows(_join_input(one, tables, policy, alias, cols, year))
        except Exception:        # the table is missing: the engine has already said so
            got = []
        for c in cols:
            env[f"{alias}.{c}"] = got[0].get(_in_col(alias, c)) if got else None
    return env


def _origin(policy, *loc) -> str | None:
    """``file:line`` a part of the policy was read from (None for a policy built in code)."""
    origin_of = getattr(policy, "origin_of", None)
    if origin_of is None:
        return None
    file, line = origin_of(*loc)
    return None if file is None else (f"{file}:{line}" if line else str(file))


def _verdict_bool(v):
    return {"eligible": True, "not_eligible": False}.get(v)


# --- expression trees ----------------------------------------------------------------------------
def _safe_eval(node, env):
    from zhizao.policy import expr

    try:
        return expr.eval_row(node, env)
    except Exception:          # a display-only re-evaluation never breaks an explanation
        return None


def _text(node) -> str:
    from zhizao.policy import expr

    try:
        return expr.to_text(node)
    except Exception:
        return str(node)


def _names(node) -> list[str]:
    from zhizao.policy import expr

    try:
        return sorted(expr.names(node))
    except Exception:
        return []


def _kind(node) -> str:
    return type(node).__name__


def term_tree(node, env: dict, policy=None) -> dict:
    """A boolean expression as a tree of terms, each with its text and value; a comparison also
    has both sides (text, value, unit) and its operator (the threshold is the constant side)."""
    k = _kind(node)
    value = _jsonable(_safe_eval(node, env))
    if k == "BoolOp":
        return {"kind": _get(node, "op"), "text": _text(node), "value": value,
                "children": [term_tree(c, env, policy) for c in _get(node, "values")]}
    if k == "Not":
        return {"kind": "not", "text": _text(node), "value": value,
                "children": [term_tree(_get(node, "operand"), env, policy)]}
    if k == "Compare":
        left, right = _get(node, "left"), _get(node, "right")
        unit = _side_unit(left, policy) if _kind(left) != "Const" else _side_unit(right, policy)
        return {"kind": "compare", "text": _text(node), "value": value, "op": _get(node, "op"),
                "left": {"text": _text(left), "value": _jsonable(_safe_eval(left, env)),
                         "const": _kind(left) == "Const"},
                "right": {"text": _text(right), "value": _jsonable(_safe_eval(right, env)),
                          "const": _kind(right) == "Const"},
                "unit": unit}
    return {"kind": "term", "text": _text(node), "value": value}


def _side_unit(node, policy) -> str:
    k = _kind(node)
    if k == "Name":
        return input_unit(_get(node, "id"), policy)
    if k == "Lag":
        return input_unit(_get(node, "name"), policy)
    if k == "BinOp" and _get(node, "op") == "/":
        return "share"
    if k == "BinOp":
        return _side_unit(_get(node, "left"), policy)
    return "plain"


def _inputs(names: list[str], env: dict, policy) -> dict:
    out = {}
    for n in names:
        key = n
        if n.startswith("policy:"):
            out[n] = {"value": _jsonable(env.get(n)), "unit": "bool"}
            continue
        out[key] = {"value": _jsonable(env.get(key)), "unit": input_unit(key, policy)}
    return out


def _raw_missing(names: list[str], env: dict, policy, seen=None) -> list[str]:
    """The raw inputs (columns, ``col@-k``, ``policy:id``) under ``names`` that are null, looking
    through variables to the columns they read."""
    seen = set() if seen is None else seen
    variables = _get(policy, "variables") or {}
    out: list[str] = []
    for n in names:
        if n in seen:
            continue
        seen.add(n)
        if n in variables:
            if env.get(n) is None:
                out += _raw_missing(_names(_get(variables[n], "node")), env, policy, seen)
        elif n != "year" and env.get(n) is None:
            out.append(n)
    return out


# --- the tree ------------------------------------------------------------------------------------
def _evaluation_row(tables, policy, uscc, year, library, evaluation) -> dict:
    if evaluation is None:
        from zhizao.policy import evaluate

        evaluation = evaluate(tables, policy, year=year, library=library)
    rows = _rows(evaluation, uscc=uscc, year=year)
    if not rows:
        raise KeyError(f"{uscc} has no evaluation row for {year} under {policy.id} "
                       f"(no indicators for that year, or not in the warehouse)")
    return rows[0]


def _library_get(library, pid: str, year: int | None = None):
    """The version of ``pid`` valid in ``year`` (None when unknown or none covers the year)."""
    from zhizao.policy import PolicyError

    try:
        return library.get(pid, year=year)
    except PolicyError:
        return None


def _required_verdicts(tables, policy, uscc, year, library) -> dict[str, str | None]:
    """Verdicts of the policies ``policy`` reads (``policy("id")``) for this enterprise."""
    from zhizao.policy import dependencies, evaluate

    if library is None:
        return {}
    deps = dependencies(policy, library)
    out = {}
    for pid in sorted(_get(deps, "policies") or ()):
        other = _library_get(library, pid, year)
        if other is None:
            continue
        ev = evaluate(tables, other, year=year, library=library)
        rows = _rows(ev.filter(ev.uscc == uscc))
        out[pid] = rows[0]["verdict"] if rows else None
    return out


def _policy_refs(policy) -> set[str] | None:
    """The ids of the policies ``policy`` names directly (``requires`` and ``policy("id")``)."""
    try:
        refs = set(_get(policy, "requires") or ())
        nodes = [_get(v, "node") for v in (_get(policy, "variables") or {}).values()]
        nodes += [_get(r, "node") for r in (_get(policy, "rules") or [])]
        for n in nodes:
            if n is not None:
                refs |= {x.split(":", 1)[1] for x in _names(n) if x.startswith("policy:")}
        return refs
    except Exception:
        return None


def _variant_info(policy) -> dict:
    """``extends``, ``base_source``, ``base_file`` and ``changes`` of a variant (else nothing)."""
    base = getattr(policy, "base", None)
    if base is None:
        return {}
    return {"extends": policy.extends, "base_source": base.source or "", "base_file": base.file,
            "changes": [str(c) for c in policy.changes]}


def _rule_value(row, rule_id):
    return row.get(f"rule_{rule_id}")


def _status(v) -> str:
    return "unknown" if v is None else ("pass" if v else "fail")


def _points_step(p, row, env, policy) -> dict:
    pid = _get(p, "id")
    step = {"id": pid, "name_zh": _get(p, "name_zh") or pid, "name_en": _get(p, "name_en") or pid,
            "dimension": _get(p, "dimension"), "points": _jsonable(row.get(f"points_{pid}")),
            "changeable": bool(_get(p, "changeable", True)),
            "source": _get(p, "source") or "", "matched": None}
    cases = _get(p, "cases")
    if cases:
        out_cases = []
        for i, c in enumerate(cases):
            when_node = _get(c, "node")
            when = _get(c, "when")
            holds = None if when is None else _jsonable(_safe_eval(when_node if when_node is not None
                                                                   else _parse(when), env))
            pts = _get(c, "value") if hasattr(c, "value") else _get(c, "points")
            out_cases.append({"when": when, "holds": True if when is None else holds, "points": _jsonable(pts)})
        for i, c in enumerate(out_cases):
            if c["holds"]:
                step["matched"] = i
                break
        step.update(kind="cases", cases=out_cases,
                    max=max((c["points"] or 0) for c in out_cases) if out_cases else None)
        return step
    of_node = _get(p, "node") or _get(p, "of_node") or _parse(_get(p, "of"))
    value = _jsonable(_safe_eval(of_node, env))
    of = _get(p, "of")
    direction = _get(p, "direction") or "higher_is_better"
    bands = [[_jsonable(t), _jsonable(pts)] for t, pts in (_get(p, "bands") or [])]
    if value is not None:
        for i, (t, _pts) in enumerate(bands):
            if t is None or (value >= t if direction == "higher_is_better" else value <= t):
                step["matched"] = i
                break
    step.update(kind="bands", of=of, value=value, unit=_side_unit(of_node, policy) if of_node is not None
                else "plain", direction=direction, bands=bands,
                max=max((b[1] or 0) for b in bands) if bands else None,
                inputs=_inputs(_names(of_node), env, policy) if of_node is not None else {})
    return step


def _parse(text):
    if text is None:
        return None
    from zhizao.policy import expr

    return expr.parse(str(text))


def _rule_step(rule, row, env, policy, role: str) -> dict:
    rid = _get(rule, "id")
    value = _rule_value(row, rid)
    step = {"id": rid, "name_zh": _get(rule, "name_zh") or rid, "name_en": _get(rule, "name_en") or rid,
            "value": _jsonable(value), "status": _status(value), "role": role,
            "changeable": bool(_get(rule, "changeable", True)), "source": _get(rule, "source") or "",
            "decided_by": row.get(f"exc_{rid}"), "exceptions": [], "missing": []}
    node = _get(rule, "node")
    when = _get(rule, "when")
    if when is not None:
        if node is None:
            node = _parse(when)
        names = _names(node)
        step.update(kind="when", text=when, terms=term_tree(node, env, policy),
                    inputs=_inputs(names, env, policy))
        if value is None:
            step["missing"] = _raw_missing(names, env, policy)
    else:
        kind = _get(rule, "kind") or "other"
        ids = list(_get(rule, "refs") or [])
        step["kind"] = kind
        if kind == "at_least":
            step["k"] = _get(_get(rule, "at_least"), "k")
        step["children"] = [{"id": i, "value": _jsonable(_rule_value(row, i)),
                             "status": _status(_rule_value(row, i))} for i in ids]
    for e in _get(rule, "exceptions") or []:
        e_node = _get(e, "node") or _parse(_get(e, "when"))
        step["exceptions"].append({
            "id": _get(e, "id"), "when": _get(e, "when"), "applies": _jsonable(_safe_eval(e_node, env)),
            "outcome": _get(e, "outcome"), "priority": _get(e, "priority"), "source": _get(e, "source") or "",
            "decided": row.get(f"exc_{rid}") == _get(e, "id")})
    return step


def _roles(policy) -> dict[str, str]:
    elig = _get(policy, "eligibility")
    roles = {r: "floor" for r in (_get(elig, "all") or [])}
    for route in _get(elig, "routes") or []:
        r = _get(route, "rule")
        if r and r not in roles:
            roles[r] = "route"
    return roles


def explain(tables: dict | None, policy, *, uscc: str, year: int, library=None, evaluation=None,
            inputs: dict | None = None, required: dict | None = None) -> ExplanationTree:
    """Why ``uscc`` is (not) eligible for ``policy`` in ``year``: the tree described above.

    Parameters
    ----------
    tables
        Warehouse tables (``Warehouse.tables()``; ``enterprises`` and ``indicators`` are read).
    policy
        A loaded ``Policy`` (``zhizao.policy.load_policy``).
    uscc, year
        The enterprise and the evaluation year.
    library
        The ``Library`` (needed when the policy reads other policies' verdicts).
    evaluation
        The policy's evaluation table for ``year`` (Ibis or pyarrow) when already computed.
    inputs
        The enterprise's inputs (``enterprise_inputs``) when already read.
    required
        The verdicts (``eligible`` …) of the policies this one reads, by id, when already known.
    """
    row = _evaluation_row(tables, policy, uscc, year, library, evaluation)
    env = dict(inputs) if inputs is not None else enterprise_inputs(tables, uscc, year)
    if tables is not None and (_get(policy, "inputs") or {}):
        env.update(input_table_values(tables, policy, uscc, year))
    if required is None:
        required = _required_verdicts(tables, policy, uscc, year, library) if tables is not None else {}
    deps = _policy_refs(policy)
    required = {k: v for k, v in required.items() if k in deps} if deps is not None else dict(required)
    for pid, v in required.items():
        env[f"policy:{pid}"] = _verdict_bool(v)
    variables = _get(policy, "variables") or {}
    for name in variables:
        env[name] = row.get(f"var_{name}")

    var_steps = []
    for name, var in variables.items():
        node = _get(var, "node") or _parse(_get(var, "expr"))
        var_steps.append({"id": name, "name_zh": _get(var, "name_zh") or name, "name_en": _get(var, "name_en") or name,
                          "expr": _get(var, "expr"), "value": _jsonable(row.get(f"var_{name}")),
                          "unit": _get(var, "unit") or "plain", "changeable": bool(_get(var, "changeable", True)),
                          "inputs": _inputs(_names(node), env, policy), "source": _get(var, "source") or "",
                          "origin": _origin(policy, "variables", name)})

    points = [_points_step(p, row, env, policy) for p in (_get(policy, "points") or [])]
    for i, step in enumerate(points):
        step["origin"] = _origin(policy, "points", i)
    scores = None
    sc = _get(policy, "scores")
    if sc is not None:
        total = row.get("score")
        dims = []
        for did, d in (_get(sc, "dimensions") or {}).items():
            s = row.get(f"score_{did}")
            mn = _get(d, "min")
            dims.append({"id": did, "name_zh": _get(d, "name_zh") or did, "name_en": _get(d, "name_en") or did,
                         "score": _jsonable(s), "min": mn, "max": _get(d, "max"),
                         "passed": None if s is None else (mn is None or s >= mn)})
        pass_mark = _get(sc, "pass_")
        passed = None if total is None else (total >= pass_mark and all(d["passed"] is not False for d in dims))
        scores = {"total": _jsonable(total), "pass": pass_mark, "passed": passed, "dimensions": dims,
                  "source": _get(sc, "source") or "", "origin": _origin(policy, "scores")}

    roles = _roles(policy)
    rules = [_rule_step(r, row, env, policy, roles.get(_get(r, "id"), "other")) for r in (_get(policy, "rules") or [])]
    for i, step in enumerate(rules):
        step["origin"] = _origin(policy, "rules", i)
        for j, e in enumerate(step["exceptions"]):
            e["origin"] = _origin(policy, "rules", i, "exceptions", j)
    by_id = {s["id"]: s for s in rules}

    def rule_missing(rid, seen=()):
        st = by_id.get(rid)
        if st is None or rid in seen or st["value"] is not None:
            return []
        if st["kind"] == "when":
            return st["missing"]
        return [m for c in st.get("children", []) for m in rule_missing(c["id"], (*seen, rid))]

    for st in rules:
        if st["kind"] != "when" and st["value"] is None:
            st["missing"] = sorted(set(rule_missing(st["id"])))
    elig = _get(policy, "eligibility")
    floor = [{"id": r, "value": _jsonable(_rule_value(row, r)), "status": _status(_rule_value(row, r))}
             for r in (_get(elig, "all") or [])]
    routes = []
    for route in _get(elig, "routes") or []:
        rid = _get(route, "id")
        ref = _get(route, "rule")
        parts = []
        if ref:
            parts.append(_rule_value(row, ref))
        if _get(route, "score"):
            parts.append(scores["passed"] if scores else None)
        kind = "score" if not ref else ("rule+score" if _get(route, "score") else "rule")
        v = False if any(x is False for x in parts) else (None if any(x is None for x in parts) else True)
        routes.append({"id": rid, "name_zh": _get(route, "name_zh") or rid, "name_en": _get(route, "name_en") or rid,
                       "kind": kind, "rule": ref, "value": _jsonable(v), "status": _status(v),
                       "taken": row.get("route") == rid})

    benefit = None
    b = _get(policy, "benefit")
    if b is not None:
        benefit = {"amount_expr": str(_get(b, "amount")), "cap": _get(b, "cap"), "source": _get(b, "source") or "",
                   "amount_yuan": _jsonable(row.get("benefit_yuan")), "origin": _origin(policy, "benefit")}
    budget = None
    bu = _get(policy, "budget")
    if bu is not None:
        budget = {"total": _get(bu, "total"), "order": _get(bu, "order"), "source": _get(bu, "source") or "",
                  "rank": _jsonable(row.get("budget_rank")), "within_budget": _jsonable(row.get("within_budget")),
                  "origin": _origin(policy, "budget")}
    not_decidable = [{"id": _get(n, "id"), "text_zh": _get(n, "text_zh") or _get(n, "id"),
                      "text_en": _get(n, "text_en") or _get(n, "text_zh") or _get(n, "id"),
                      "source": _get(n, "source") or "", "status": "not_checked"}
                     for n in (_get(policy, "not_decidable") or [])]
    if getattr(policy, "extends", None):       # the items' shape of other policies is unchanged
        for i, n in enumerate(not_decidable):
            n["origin"] = _origin(policy, "not_decidable", i)
    return {
        "policy": {"id": policy.id, "version": str(_get(policy, "version") or ""),
                   "name_zh": _get(policy, "name_zh") or policy.id, "name_en": _get(policy, "name_en") or policy.id,
                   "issuer": _get(policy, "issuer") or "", "source": _get(policy, "source") or "",
                   "origin": _origin(policy, "id"), **_variant_info(policy)},
        "enterprise": {"uscc": uscc, "name": row.get("name"), "region_code": row.get("region_code")},
        "year": year,
        "verdict": row.get("verdict"),
        "route": row.get("route"),
        "score": _jsonable(row.get("score")),
        "missing": [m for m in (row.get("missing") or "").split(";") if m],
        "conflict": [c for c in (row.get("conflict") or "").split(";") if c],
        "requires": [{"policy": k, "verdict": v} for k, v in required.items()],
        "variables": var_steps,
        "points": points,
        "scores": scores,
        "rules": rules,
        "eligibility": {"floor": floor, "routes": routes},
        "benefit": benefit,
        "budget": budget,
        "not_decidable": not_decidable,
    }


# --- rendering -----------------------------------------------------------------------------------
_MARK = {"pass": "✓", "fail": "✗", "unknown": "?"}


def _fmt_term(t: dict, lang: str) -> str:
    if t["kind"] == "compare":
        unit = t.get("unit", "plain")
        lv = format_value(t["left"]["value"], unit, lang)
        rv = format_value(t["right"]["value"], unit, lang)
        left = lv if t["left"]["const"] else f"{t['left']['text']} = {lv}"
        right = rv if t["right"]["const"] else f"{t['right']['text']} = {rv}"
        return f"{left} {_OPS.get(t['op'], t['op'])} {right}"
    if t["kind"] in ("and", "or"):
        sep = {"and": " 且 ", "or": " 或 "}[t["kind"]] if lang == "zh" else f" {t['kind']} "
        return sep.join(f"[{_MARK[_status(c['value'])]} {_fmt_term(c, lang)}]" for c in t["children"])
    if t["kind"] == "not":
        c = t["children"][0]
        return ("非 " if lang == "zh" else "not ") + f"({_fmt_term(c, lang)})"
    v = t["value"]
    return f"{t['text']} = {format_value(v, 'bool' if isinstance(v, bool) else 'plain', lang)}"


def _cite(d: dict, zh: bool, files: bool) -> str:
    """``〔clause〕`` (zh) or ``[clause]`` (en); with ``files`` (a variant) the file and line too."""
    where = f" · {d['origin']}" if files and d.get("origin") else ""
    return f"〔{d['source']}{where}〕" if zh else f"[{d['source']}{where}]"


def _rule_line(s: dict, lang: str, by_id: dict, files: bool = False) -> list[str]:
    zh = lang == "zh"
    name = s["name_zh"] if zh else s["name_en"]
    lines = []
    head = f"  {_MARK[s['status']]} {name}"
    if s["kind"] == "when":
        head += f"：{_fmt_term(s['terms'], lang)}" if zh else f": {_fmt_term(s['terms'], lang)}"
    elif s["kind"] in ("any", "all", "not", "at_least"):
        label = {"any": ("满足其一", "any of"), "all": ("全部满足", "all of"), "not": ("不满足", "not"),
                 "at_least": (f"至少满足{s.get('k')}项", f"at least {s.get('k')} of")}[s["kind"]]
        kids = "、".join if zh else ", ".join
        names = kids(f"{_MARK[c['status']]} {by_id.get(c['id'], {}).get('name_zh' if zh else 'name_en', c['id'])}"
                     for c in s["children"])
        tag = "" if zh and label[0] in name else (f"（{label[0]}）" if zh else f" ({label[1]})")
        head += (f"{tag}：{names}" if zh else f"{tag}: {names}")
    if not s["changeable"]:
        head += "〔企业无法改变〕" if zh else " [cannot be changed by the enterprise]"
    lines.append(head)
    for e in s["exceptions"]:
        if e["decided"]:
            lines.append(f"      ↳ {'例外条款生效' if zh else 'exception applies'}：{e['id']}（{e['when']}）→ "
                         f"{format_value(e['outcome'], 'bool', lang)}  {_cite(e, zh, files)}" if zh else
                         f"      ↳ exception applies: {e['id']} ({e['when']}) → "
                         f"{format_value(e['outcome'], 'bool', lang)}  {_cite(e, zh, files)}")
    if s["missing"]:
        lines.append(("      缺失数据：" if zh else "      missing: ") + ", ".join(s["missing"]))
    lines.append(f"      {_cite(s, zh, files)}")
    return lines


def render(tree: ExplanationTree, lang: str = "zh") -> str:
    """The explanation tree as plain text (``zh`` or ``en``)."""
    zh = lang == "zh"
    p, e = tree["policy"], tree["enterprise"]
    lines = [(f"{p['name_zh']}（{p['id']} {p['version']}）— {e['name']}（{e['uscc']}）{tree['year']}年" if zh else
              f"{p['name_en']} ({p['id']} {p['version']}) — {e['name']} ({e['uscc']}) {tree['year']}")]
    verdict = (VERDICT_ZH if zh else VERDICT_EN).get(tree["verdict"], tree["verdict"])
    route = next((r for r in tree["eligibility"]["routes"] if r["taken"]), None)
    vline = ("结论：" if zh else "Verdict: ") + verdict
    if route is not None:
        vline += f"（{route['name_zh']}）" if zh else f" (route: {route['name_en']})"
    lines.append(vline)
    lines.append(("依据：" if zh else "Basis: ") + p["source"] + (f"；发文机关：{p['issuer']}" if zh and p["issuer"] else ""))
    files = bool(p.get("extends"))
    if files:
        lines.append((f"继承：{p['extends']}（{p['base_file']}）〔{p['base_source']}〕；本文件 {p['origin']} 的变更："
                      if zh else f"Extends: {p['extends']} ({p['base_file']}) [{p['base_source']}]; changes in "
                      f"{p['origin']}: ") + ("、" if zh else ", ").join(p["changes"]))
    if tree["missing"]:
        lines.append(("缺失数据（导致无法判定）：" if zh else "Missing inputs: ") + ", ".join(tree["missing"]))
    if tree["conflict"]:
        lines.append(("条款冲突：" if zh else "Conflicting exceptions: ") + "; ".join(tree["conflict"]))
    for r in tree["requires"]:
        v = (VERDICT_ZH if zh else VERDICT_EN).get(r["verdict"], r["verdict"] or "—")
        lines.append((f"前置政策 {r['policy']}：{v}" if zh else f"Required policy {r['policy']}: {v}"))
    by_id = {s["id"]: s for s in tree["rules"]}
    floor_ids = [f["id"] for f in tree["eligibility"]["floor"]]
    if floor_ids:
        lines.append("基本条件（须全部满足）：" if zh else "Floor (all must hold):")
        for rid in floor_ids:
            lines += _rule_line(by_id[rid], lang, by_id, files)
    if tree["eligibility"]["routes"]:
        lines.append("认定途径（满足其一）：" if zh else "Routes (one must pass):")
        for r in tree["eligibility"]["routes"]:
            name = r["name_zh"] if zh else r["name_en"]
            if r["kind"] == "score" and tree["scores"]:
                s = tree["scores"]
                total = "—" if s["total"] is None else f"{s['total']:g}"
                lines.append(f"  {_MARK[r['status']]} {name}：{'总分' if zh else 'total'} {total} / "
                             f"{'及格线' if zh else 'pass'} {s['pass']:g}" if zh else
                             f"  {_MARK[r['status']]} {name}: total {total} / pass {s['pass']:g}")
            else:
                lines.append(f"  {_MARK[r['status']]} {name}" + (f"（规则 {r['rule']}）" if zh else f" (rule {r['rule']})"))
                sub = by_id.get(r["rule"])
                if sub is not None and r["rule"] not in floor_ids:
                    lines += ["  " + x for x in _rule_line(sub, lang, by_id, files)]
    others = [s for s in tree["rules"] if s["role"] == "other"]
    if others:
        lines.append("其他条款：" if zh else "Other rules:")
        for s in others:
            lines += _rule_line(s, lang, by_id, files)
    if tree["variables"]:
        lines.append("派生变量：" if zh else "Derived variables:")
        for v in tree["variables"]:
            ins = ", ".join(f"{k} = {format_value(i['value'], i['unit'], lang)}" for k, i in v["inputs"].items())
            name = v["name_zh"] if zh else v["name_en"]
            lines.append(f"  {name} {v['id']} = {v['expr']} = {format_value(v['value'], v['unit'], lang)}"
                         + (f"（{ins}）" if zh and ins else f" ({ins})" if ins else "")
                         + f"  {_cite(v, zh, files)}")
    if tree["points"]:
        lines.append("评分：" if zh else "Points:")
        for pt in tree["points"]:
            name = pt["name_zh"] if zh else pt["name_en"]
            got = "—" if pt["points"] is None else f"{pt['points']:g}"
            unit = "分" if zh else " pts"
            if pt["kind"] == "bands":
                band = ""
                if pt["matched"] is not None:
                    t = pt["bands"][pt["matched"]][0]
                    cmp = "≥" if pt["direction"] == "higher_is_better" else "≤"
                    band = (f"[{cmp} {format_value(t, pt['unit'], lang)}]" if t is not None else
                            ("[其他]" if zh else "[else]"))
                lines.append(f"  {name}：{pt['of']} = {format_value(pt['value'], pt['unit'], lang)} {band} → {got}{unit}"
                             f"（满分 {pt['max']:g}）{_cite(pt, zh, files)}" if zh else
                             f"  {name}: {pt['of']} = {format_value(pt['value'], pt['unit'], lang)} {band} → {got}{unit}"
                             f" (max {pt['max']:g}) {_cite(pt, zh, files)}")
            else:
                case = pt["cases"][pt["matched"]] if pt["matched"] is not None else None
                cond = ("其他" if zh else "else") if case is not None and case["when"] is None else \
                    (case["when"] if case else "—")
                lines.append(f"  {name}：{cond} → {got}{unit}（满分 {pt['max']:g}）{_cite(pt, zh, files)}" if zh else
                             f"  {name}: {cond} → {got}{unit} (max {pt['max']:g}) {_cite(pt, zh, files)}")
        s = tree["scores"]
        if s:
            dims = "；".join(f"{d['name_zh'] if zh else d['name_en']} "
                            f"{'—' if d['score'] is None else format(d['score'], 'g')}"
                            + (f"（最低 {d['min']:g}）" if zh and d["min"] is not None else
                               f" (min {d['min']:g})" if d["min"] is not None else "") for d in s["dimensions"])
            total = "—" if s["total"] is None else f"{s['total']:g}"
            lines.append(f"  总分 {total}（及格 {s['pass']:g}）：{dims}  {_cite(s, zh, files)}" if zh else
                         f"  Total {total} (pass {s['pass']:g}): {dims}  {_cite(s, zh, files)}")
    if tree["benefit"]:
        b = tree["benefit"]
        amt = format_value(b["amount_yuan"], "money", lang) if b["amount_yuan"] is not None else "—"
        cap = f"，上限 {format_value(b['cap'], 'money', lang)}" if zh and b["cap"] else \
            (f", cap {format_value(b['cap'], 'money', lang)}" if b["cap"] else "")
        lines.append(f"兑现金额：{amt}（{b['amount_expr']}{cap}）{_cite(b, zh, files)}" if zh else
                     f"Benefit: {amt} ({b['amount_expr']}{cap}) {_cite(b, zh, files)}")
    if tree["budget"] and tree["budget"]["rank"] is not None:
        bu = tree["budget"]
        inside = format_value(bu["within_budget"], "bool", lang)
        lines.append(f"预算排序：第 {bu['rank']} 名，在年度预算 {format_value(bu['total'], 'money', lang)} 内：{inside}"
                     if zh else f"Budget: rank {bu['rank']}, within the {format_value(bu['total'], 'money', lang)} "
                     f"budget: {inside}")
    if tree["not_decidable"]:
        lines.append("未核验条件（数据无法判断，需人工核实）：" if zh else
                     "Not checked (the data cannot decide; verify by hand):")
        for n in tree["not_decidable"]:
            lines.append(f"  - {n['text_zh']}{_cite(n, zh, files)}" if zh else
                         f"  - {n['text_en']} {_cite(n, zh, files)}")
    return "\n".join(lines)
