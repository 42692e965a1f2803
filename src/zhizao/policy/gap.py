"""Gap-to-qualify (差距分析): what an enterprise that fails a policy would have to change.

Two entry points:

* ``gap(tree, policy)`` — one enterprise (plain Python over its rules): from an explanation
  tree (``zhizao.policy.explain.explain``) it lists, for every failed floor rule, the smallest
  change to each failed threshold (``rd_ratio`` 2.10% → needs 3.00%: +0.90 pt; when the variable
  is a ratio ``a / b`` of columns, also the change of ``a`` at the current ``b``: about 63万元 more
  R&D at current revenue); the failed rules the enterprise cannot change (``changeable: false``:
  age, industry, registry status…); the inputs to provide where the verdict is unknown; and, when
  no route passes, each route as an alternative — a rule route with its own changes, a score
  route with the points it lacks and the cheapest bands to climb to reach the pass mark and every
  dimension's minimum.
* ``gap_table(evaluation, policy, tables, year=…)`` — many enterprises at once, as one Ibis
  expression (a union over the policy's rules, no loop over enterprises): one row per
  not-eligible enterprise × failed threshold (current, needed, change, and the numerator change
  for ratios), per failed rule that cannot be changed, and per missed score (points to pass).

"Smallest change" is the change of one input with everything else held at its current value;
``>`` thresholds need a value strictly above the number shown. The cost of a points climb is
the relative change of the value its table reads (|needed − current| / |current|; 1 when the
current value is 0 or the table is categorical), and the climbs chosen are the set of at most
one band per table with the smallest total cost that reaches the deficits.
"""

from __future__ import annotations

from typing import Any

from zhizao.policy.explain import _get, _kind, _names, _parse, _safe_eval, format_value, input_label, input_unit
from zhizao.policy.tree import ExplanationTree, GapReport

__all__ = ["gap", "render_gap", "gap_table", "GAP_COLUMNS"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


# --- one enterprise ------------------------------------------------------------------------------
def _env_from_tree(tree: dict, policy) -> dict:
    """The values the tree saw: every rule's and variable's inputs, variables, policy verdicts."""
    env: dict[str, Any] = {"year": tree["year"]}
    for s in tree["rules"]:
        for k, v in (s.get("inputs") or {}).items():
            env[k] = v["value"]
    for v in tree["variables"]:
        for k, i in v["inputs"].items():
            env.setdefault(k, i["value"])
    for p in tree["points"]:
        for k, i in (p.get("inputs") or {}).items():
            env.setdefault(k, i["value"])
    for v in tree["variables"]:
        env[v["id"]] = v["value"]
    for r in tree["requires"]:
        env[f"policy:{r['policy']}"] = {"eligible": True, "not_eligible": False}.get(r["verdict"])
    return env


def _ratio_parts(node, policy):
    """(numerator column, denominator column) when ``node`` is ``a / b`` of two plain names, or a
    variable defined so."""
    if _kind(node) == "Name":
        var = (_get(policy, "variables") or {}).get(_get(node, "id"))
        if var is None:
            return None
        node = _get(var, "node") or _parse(_get(var, "expr"))
    if _kind(node) == "BinOp" and _get(node, "op") == "/":
        a, b = _get(node, "left"), _get(node, "right")
        if _kind(a) == "Name" and _kind(b) == "Name":
            return _get(a, "id"), _get(b, "id")
    return None


def _side_changeable(node, policy) -> bool:
    variables = _get(policy, "variables") or {}
    for n in _names(node):
        var = variables.get(n)
        if var is not None and not bool(_get(var, "changeable", True)):
            return False
        if n.startswith("policy:"):
            continue
    return True


def _threshold_change(node, env, policy, changeable: bool) -> dict:
    """The change that makes one failed comparison hold, moving its non-constant side."""
    left, op, right = _get(node, "left"), _get(node, "op"), _get(node, "right")
    if _kind(left) == "Const" and _kind(right) != "Const":
        left, right, op = right, left, _FLIP[op]
    current = _safe_eval(left, env)
    needed = _safe_eval(right, env)
    text = _text(left)
    unit = _unit_of(left, policy)
    ch = {"kind": "threshold", "input": text, "op": op, "current": current, "needed": needed, "unit": unit,
          "label_zh": input_label(text, policy, "zh"), "label_en": input_label(text, policy, "en"),
          "delta": None, "relative": None, "hint": None,
          "changeable": changeable and _side_changeable(left, policy)}
    if current is None or needed is None or not isinstance(current, (int, float)) or isinstance(current, bool):
        return ch
    ch["delta"] = needed - current
    ch["relative"] = abs(needed - current) / abs(current) if current else None
    parts = _ratio_parts(left, policy)
    if parts is not None:
        a, b = parts
        av, bv = env.get(a), env.get(b)
        if isinstance(av, (int, float)) and isinstance(bv, (int, float)) and bv:
            ch["hint"] = {"numerator": a, "denominator": b, "numerator_current": av, "denominator_current": bv,
                          "numerator_needed": needed * bv, "numerator_delta": needed * bv - av,
                          "unit": input_unit(a, policy)}
    return ch


def _text(node) -> str:
    from zhizao.policy.explain import _text as t

    return t(node)


def _unit_of(node, policy) -> str:
    from zhizao.policy.explain import _side_unit

    return _side_unit(node, policy)


def _changes(node, env, policy, changeable: bool) -> list[dict]:
    """What makes a boolean expression true for this enterprise; ``[]`` where it already holds.
    ``and``: every failing term; ``or``: one ``options`` change listing each alternative."""
    v = _safe_eval(node, env)
    if v is True:
        return []
    k = _kind(node)
    if v is None:
        missing = [n for n in _names(node) if env.get(n) is None and n != "year"]
        return [{"kind": "missing", "inputs": missing, "text": _text(node)}]
    if k == "BoolOp" and _get(node, "op") == "and":
        out = []
        for c in _get(node, "values"):
            out += _changes(c, env, policy, changeable)
        return out
    if k == "BoolOp" and _get(node, "op") == "or":
        return [{"kind": "options", "text": _text(node),
                 "options": [_changes(c, env, policy, changeable) for c in _get(node, "values")]}]
    if k == "Compare" and _get(node, "op") in ("<", "<=", ">", ">="):
        return [_threshold_change(node, env, policy, changeable)]
    if k == "Call" and _get(node, "fn") == "policy":
        args = _get(node, "args") or []
        pid = _get(args[0], "value") if args else None
        reachable = (env.get("__reachable__") or {}).get(pid, True)
        return [{"kind": "policy", "policy": pid, "text": _text(node), "changeable": changeable and reachable}]
    needed = True
    if k == "Not":
        needed = False
        node = _get(node, "operand")
    return [{"kind": "condition", "text": _text(node), "current": _safe_eval(node, env), "needed": needed,
             "changeable": changeable and _side_changeable(node, policy)}]


def _rule_changes(rid: str, rules: dict, tree_rules: dict, env, policy, seen=()) -> list[dict]:
    """The changes that make rule ``rid`` hold (its value after exceptions is false)."""
    rule, step = rules[rid], tree_rules[rid]
    if step["value"] is True:
        return []
    changeable = step["changeable"]
    if step["value"] is None:
        return [{"kind": "missing", "inputs": step["missing"], "text": step.get("text", rid)}]
    if step["kind"] == "when":
        node = _get(rule, "node") or _parse(_get(rule, "when"))
        out = _changes(node, env, policy, changeable)
        return out
    if rid in seen:
        return []
    seen = (*seen, rid)
    kids = [c["id"] for c in step.get("children", [])]
    if step["kind"] == "all":
        out = []
        for c in kids:
            out += _rule_changes(c, rules, tree_rules, env, policy, seen)
        return out
    if step["kind"] in ("any", "at_least"):
        k = step.get("k") or 1
        holding = sum(1 for c in kids if tree_rules[c]["value"] is True)
        opts = [{"rule": c, "name_zh": tree_rules[c]["name_zh"], "name_en": tree_rules[c]["name_en"],
                 "changes": _rule_changes(c, rules, tree_rules, env, policy, seen)}
                for c in kids if tree_rules[c]["value"] is not True]
        return [{"kind": "options", "text": rid, "need": max(k - holding, 1), "options": opts}]
    return [{"kind": "condition", "text": f"not {kids[0]}" if kids else rid, "current": True, "needed": False,
             "changeable": changeable}]


def _all_fixed(changes: list[dict]) -> bool:
    """Whether none of the changes can be made by the enterprise."""
    if not changes:
        return False
    for c in changes:
        if c["kind"] == "options":
            if any(not _all_fixed(o["changes"] if isinstance(o, dict) else o) for o in c["options"]):
                return False
        elif c["kind"] == "missing":
            return False
        elif c.get("changeable", True):
            return False
    return True


def _climbs(tree: dict, policy) -> list[dict]:
    """Every band above the current one of every changeable points table, with its gain and cost."""
    variables = _get(policy, "variables") or {}
    out = []
    for pt in tree["points"]:
        cur = pt["points"] or 0
        if not pt.get("changeable", True):
            continue
        if pt["kind"] == "bands":
            if pt["value"] is None:
                continue
            of_names = _names(_parse(pt["of"]))
            if any(n in variables and not bool(_get(variables[n], "changeable", True)) for n in of_names):
                continue
            for t, p in pt["bands"]:
                if t is None or p is None or p <= cur:
                    continue
                delta = t - pt["value"]
                rel = abs(delta) / abs(pt["value"]) if pt["value"] else 1.0
                out.append({"table": pt["id"], "name_zh": pt["name_zh"], "name_en": pt["name_en"],
                            "dimension": pt["dimension"], "from_points": cur, "to_points": p, "gain": p - cur,
                            "of": pt["of"], "current": pt["value"], "needed": t, "delta": delta,
                            "unit": pt["unit"], "direction": pt["direction"], "cost": rel})
        else:
            for c in pt["cases"]:
                if c["when"] is None or c["points"] is None or c["points"] <= cur:
                    continue
                node = _parse(c["when"])
                if any(n in variables and not bool(_get(variables[n], "changeable", True)) for n in _names(node)):
                    continue
                out.append({"table": pt["id"], "name_zh": pt["name_zh"], "name_en": pt["name_en"],
                            "dimension": pt["dimension"], "from_points": cur, "to_points": c["points"],
                            "gain": c["points"] - cur, "of": c["when"], "current": None, "needed": None,
                            "delta": None, "unit": "plain", "direction": None, "cost": 1.0})
    return out


def _cheapest(climbs: list[dict], deficit: float, dim_deficits: dict[str, float]) -> list[dict] | None:
    """At most one climb per table, the least total cost reaching the total and every dimension's
    deficit; None when no combination reaches them. A small multiple-choice knapsack over the
    policy's tables (a dozen at most), keyed by the deficits still open."""
    dims = sorted(dim_deficits)
    start = (max(deficit, 0.0), *(max(dim_deficits[d], 0.0) for d in dims))
    states: dict[tuple, tuple[float, list[dict]]] = {start: (0.0, [])}
    by_table: dict[str, list[dict]] = {}
    for c in climbs:
        by_table.setdefault(c["table"], []).append(c)
    for options in by_table.values():
        nxt = dict(states)
        for key, (cost, chosen) in states.items():
            for c in options:
                rest = [max(key[0] - c["gain"], 0.0)]
                for i, d in enumerate(dims, start=1):
                    rest.append(max(key[i] - c["gain"], 0.0) if c["dimension"] == d else key[i])
                k2 = tuple(round(x, 9) for x in rest)
                if k2 not in nxt or nxt[k2][0] > cost + c["cost"]:
                    nxt[k2] = (cost + c["cost"], [*chosen, c])
        states = nxt
    done = states.get((0.0,) * len(start))
    return None if done is None else done[1]


def _points_gap(tree: dict, policy) -> dict:
    s = tree["scores"]
    total = s["total"]
    if total is None:
        var_inputs = {v["id"]: v["inputs"] for v in tree["variables"]}

        def raw(name, value, seen=()):
            if value is not None or name in seen:
                return []
            if name in var_inputs:
                return [m for k, i in var_inputs[name].items() for m in raw(k, i["value"], (*seen, name))]
            return [name]

        missing = sorted({m for pt in tree["points"] if pt["points"] is None
                          for k, i in (pt.get("inputs") or {}).items() for m in raw(k, i["value"])})
        return {"kind": "points", "score": None, "pass": s["pass"], "deficit": None, "dimension_deficits": [],
                "climbs": [], "feasible": False, "missing": missing}
    deficit = max(s["pass"] - total, 0.0)
    short = [d for d in s["dimensions"] if d["min"] is not None and (d["score"] or 0.0) < d["min"]]
    dim_def = {d["id"]: d["min"] - (d["score"] or 0.0) for d in short}
    chosen = _cheapest(_climbs(tree, policy), deficit, dim_def)
    return {"kind": "points", "score": total, "pass": s["pass"], "deficit": deficit,
            "dimension_deficits": [{"id": d["id"], "name_zh": d["name_zh"], "name_en": d["name_en"],
                                    "deficit": dim_def[d["id"]]} for d in short],
            "climbs": chosen or [], "feasible": chosen is not None, "missing": []}


def gap(tree: ExplanationTree, policy, *, reachable: dict[str, bool] | None = None) -> GapReport:
    """What the enterprise of ``tree`` (an explanation) would need to change to qualify.

    Returns a JSON-serialisable dict: ``qualifies`` (already eligible), ``floor`` (each failed
    floor rule with its changes — all are needed), ``routes`` (when no route passes: each route
    as an alternative, with its changes or its points gap), ``fixed`` (failed rules, or routes,
    the enterprise cannot change), ``missing`` (inputs to provide), ``reachable`` (no fixed
    failure stands in the way: every floor rule can be met and at least one route can pass).
    """
    rules = {_get(r, "id"): r for r in (_get(policy, "rules") or [])}
    tree_rules = {s["id"]: s for s in tree["rules"]}
    env = _env_from_tree(tree, policy)
    env["__reachable__"] = dict(reachable or {})
    out: dict[str, Any] = {"policy_id": tree["policy"]["id"], "uscc": tree["enterprise"]["uscc"],
                           "name": tree["enterprise"]["name"], "year": tree["year"], "verdict": tree["verdict"],
                           "qualifies": tree["verdict"] == "eligible", "floor": [], "routes": [], "fixed": [],
                           "missing": list(tree["missing"]), "reachable": True}
    if out["qualifies"]:
        return out
    for f in tree["eligibility"]["floor"]:
        if f["value"] is True:
            continue
        step = tree_rules[f["id"]]
        changes = _rule_changes(f["id"], rules, tree_rules, env, policy)
        item = {"rule": f["id"], "name_zh": step["name_zh"], "name_en": step["name_en"], "source": step["source"],
                "status": step["status"], "changes": changes}
        if step["status"] == "fail" and (not step["changeable"] or _all_fixed(changes)):
            out["fixed"].append({k: item[k] for k in ("rule", "name_zh", "name_en", "source")})
            out["reachable"] = False
        out["floor"].append(item)
    routes = tree["eligibility"]["routes"]
    if routes and not any(r["value"] is True for r in routes):
        any_open = False
        for r in routes:
            if r["kind"] == "score" and tree["scores"]:
                pg = _points_gap(tree, policy)
                item = {"route": r["id"], "name_zh": r["name_zh"], "name_en": r["name_en"], "points": pg,
                        "changes": []}
                open_ = pg["feasible"] or pg["score"] is None
            else:
                changes = _rule_changes(r["rule"], rules, tree_rules, env, policy) if r["rule"] in rules else []
                item = {"route": r["id"], "name_zh": r["name_zh"], "name_en": r["name_en"], "points": None,
                        "changes": changes}
                open_ = not _all_fixed(changes) and tree_rules.get(r["rule"], {}).get("changeable", True)
            item["feasible"] = bool(open_)
            any_open = any_open or open_
            out["routes"].append(item)
        if not any_open:
            out["reachable"] = False
            out["fixed"].append({"rule": "routes", "name_zh": "无可达的认定途径", "name_en": "no route can pass",
                                 "source": tree["policy"]["source"]})
    return _clean(out)


def _clean(v):
    from zhizao.policy.explain import _jsonable

    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return _jsonable(v)


# --- rendering -----------------------------------------------------------------------------------
def _fmt_delta(ch: dict, lang: str) -> str:
    zh = lang == "zh"
    d, unit = ch["delta"], ch["unit"]
    if d is None:
        return ""
    if unit == "share":
        s = f"{d * 100:+.2f} pt" if not zh else f"{d * 100:+.2f} 个百分点"
    elif unit == "money":
        s = ("+" if d >= 0 else "-") + format_value(abs(d), "money", lang)
    else:
        s = f"{d:+,.4g}"
    return s


def _change_line(ch: dict, lang: str, indent: str = "    ") -> list[str]:
    zh = lang == "zh"
    fixed = ("〔企业无法改变〕" if zh else " [cannot be changed]") if ch.get("changeable") is False else ""
    k = ch["kind"]
    if k == "threshold":
        cur = format_value(ch["current"], ch["unit"], lang)
        need = format_value(ch["needed"], ch["unit"], lang)
        op = _OPS.get(ch["op"], ch["op"])
        label = ch.get("label_zh" if zh else "label_en") or ""
        name = f"{label} {ch['input']}" if label and label != ch["input"] else ch["input"]
        line = (f"{indent}{name} {cur} → 需 {op} {need}" if zh else
                f"{indent}{name} {cur} → needs {op} {need}")
        if ch["delta"] is not None:
            line += f"：{_fmt_delta(ch, lang)}" if zh else f": {_fmt_delta(ch, lang)}"
        h = ch.get("hint")
        if h:
            amount = format_value(abs(h["numerator_delta"]), h["unit"], lang)
            more = h["numerator_delta"] >= 0
            den = format_value(h["denominator_current"], input_unit(h["denominator"], None), lang)
            num_l, den_l = input_label(h["numerator"], None, lang), input_label(h["denominator"], None, lang)
            num = f"{num_l} {h['numerator']}" if num_l else h["numerator"]
            dnm = f"{den_l} {h['denominator']}" if den_l else h["denominator"]
            line += (f"，即按当前 {dnm}（{den}）约{'增加' if more else '减少'} {num} {amount}"
                     if zh else f", about {amount} {'more' if more else 'less'} {num} at the current "
                     f"{dnm} ({den})")
        return [line + fixed]
    if k == "condition":
        need = format_value(ch["needed"], "bool", lang)
        return [(f"{indent}需要 {ch['text']} 为{need}" if zh else f"{indent}needs {ch['text']} = {need}") + fixed]
    if k == "policy":
        return [(f"{indent}需先符合政策 {ch['policy']}" if zh else f"{indent}needs to qualify for {ch['policy']} first")]
    if k == "missing":
        return [(f"{indent}需补充数据：" if zh else f"{indent}provide: ") + (", ".join(ch["inputs"]) or ch["text"])]
    if k == "options":
        need = ch.get("need", 1)
        lines = [(f"{indent}以下{'任一' if need == 1 else f'至少{need}项'}：" if zh else
                  f"{indent}{'any one' if need == 1 else f'at least {need}'} of:")]
        for i, o in enumerate(ch["options"], start=1):
            if isinstance(o, dict):
                lines.append(f"{indent}  ({i}) {o['name_zh'] if zh else o['name_en']}")
                for c in o["changes"]:
                    lines += _change_line(c, lang, indent + "      ")
            else:
                sub = [x for c in o for x in _change_line(c, lang, indent + "      ")]
                if len(sub) == 1:
                    lines.append(f"{indent}  ({i}) {sub[0].strip()}")
                else:
                    lines.append(f"{indent}  ({i})")
                    lines += sub
        return lines
    return [f"{indent}{ch}"]


def render_gap(g: GapReport, lang: str = "zh") -> str:
    """The gap as plain text (``zh`` or ``en``)."""
    zh = lang == "zh"
    if g["qualifies"]:
        return "已符合，无差距。" if zh else "Already eligible: no gap."
    lines = [("差距分析（每项为单独调整、其余数据不变时的最小变化）：" if zh else
              "Gap to qualify (the smallest change of each input alone, all else as now):")]
    for f in g["floor"]:
        lines.append(f"  ✗ {f['name_zh'] if zh else f['name_en']}〔{f['source']}〕" if zh else
                     f"  ✗ {f['name_en']} [{f['source']}]")
        for ch in f["changes"]:
            lines += _change_line(ch, lang)
    if g["routes"]:
        lines.append("认定途径（满足其一即可）：" if zh else "Routes (one is enough):")
        for r in g["routes"]:
            ok = "" if r["feasible"] else ("（不可达）" if zh else " (not reachable)")
            lines.append(f"  · {r['name_zh'] if zh else r['name_en']}{ok}")
            if r["points"] is not None:
                p = r["points"]
                if p["score"] is None:
                    lines.append(("    评分缺失数据：" if zh else "    score inputs missing: ")
                                 + ", ".join(p["missing"]))
                    continue
                dims = "，".join(f"{d['name_zh']}差 {d['deficit']:g} 分" for d in p["dimension_deficits"]) if zh else \
                    ", ".join(f"{d['name_en']} short by {d['deficit']:g}" for d in p["dimension_deficits"])
                lines.append((f"    当前 {p['score']:g} 分，及格 {p['pass']:g} 分，差 {p['deficit']:g} 分"
                              + (f"（{dims}）" if dims else "")) if zh else
                             (f"    score {p['score']:g}, pass {p['pass']:g}, short by {p['deficit']:g}"
                              + (f" ({dims})" if dims else "")))
                for c in p["climbs"]:
                    name = c["name_zh"] if zh else c["name_en"]
                    if c["current"] is not None:
                        cmp = "≥" if c["direction"] == "higher_is_better" else "≤"
                        what = (f"{c['of']} {format_value(c['current'], c['unit'], lang)} → "
                                f"{cmp} {format_value(c['needed'], c['unit'], lang)}")
                    else:
                        what = f"{'满足' if zh else 'meet'} {c['of']}"
                    lines.append(f"    {name}：{what}，{c['from_points']:g} → {c['to_points']:g} 分（+{c['gain']:g}）"
                                 if zh else f"    {name}: {what}, {c['from_points']:g} → {c['to_points']:g} "
                                 f"points (+{c['gain']:g})")
            for ch in r["changes"]:
                lines += _change_line(ch, lang)
    if g["fixed"]:
        lines.append(("企业无法改变的未满足条件：" if zh else "Failed conditions the enterprise cannot change: ")
                     + ("、" if zh else ", ").join(f["name_zh"] if zh else f["name_en"] for f in g["fixed"]))
    if g["missing"]:
        lines.append(("需补充的数据：" if zh else "Inputs to provide: ") + ", ".join(g["missing"]))
    return "\n".join(lines)


# --- many enterprises: one Ibis expression -------------------------------------------------------
GAP_COLUMNS = ("policy_id", "year", "uscc", "name", "verdict", "rule_id", "role", "kind", "changeable", "input",
               "op", "current", "needed", "change", "numerator", "numerator_change")


def _simple_thresholds(node, policy):
    """The top-level conjuncts of ``node`` that compare one name (a variable or a column) with a
    constant: (name, op, constant)."""
    out = []
    k = _kind(node)
    if k == "BoolOp" and _get(node, "op") == "and":
        for c in _get(node, "values"):
            out += _simple_thresholds(c, policy)
        return out
    if k == "Compare" and _get(node, "op") in ("<", "<=", ">", ">="):
        left, op, right = _get(node, "left"), _get(node, "op"), _get(node, "right")
        if _kind(left) == "Const" and _kind(right) == "Name":
            left, right, op = right, left, _FLIP[op]
        if _kind(left) == "Name" and _kind(right) == "Const" and isinstance(_get(right, "value"), (int, float)) \
                and not isinstance(_get(right, "value"), bool):
            out.append((_get(left, "id"), op, float(_get(right, "value"))))
    return out


def _roles(policy) -> dict[str, str]:
    """Rule id → ``floor`` or ``route:<id>`` for every rule the verdict reads (combinators are
    followed down to the rules they combine; the floor wins when a rule is in both)."""
    rules = {_get(r, "id"): r for r in (_get(policy, "rules") or [])}
    roles: dict[str, str] = {}

    def mark(rid, role):
        if rid not in rules or (rid in roles and (roles[rid] == "floor" or roles[rid] == role)):
            return
        roles[rid] = role
        for c in _get(rules[rid], "refs") or []:
            mark(c, role)

    elig = _get(policy, "eligibility")
    for rid in _get(elig, "all") or []:
        mark(rid, "floor")
    for route in _get(elig, "routes") or []:
        if _get(route, "rule"):
            mark(_get(route, "rule"), f"route:{_get(route, 'id')}")
    return roles


def _route_passes(base, policy):
    """Ibis boolean: some route passes (false when the policy has no route)."""
    import ibis

    sc = _get(policy, "scores")
    out = ibis.literal(False)
    for route in _get(_get(policy, "eligibility"), "routes") or []:
        cond = ibis.literal(True)
        if _get(route, "rule"):
            cond = cond & (base[f"rule_{_get(route, 'rule')}"] == ibis.literal(True)).fill_null(False)
        if _get(route, "score") and sc is not None:
            ok = base.score >= float(_get(sc, "pass_"))
            for did, d in (_get(sc, "dimensions") or {}).items():
                if _get(d, "min") is not None:
                    ok = ok & (base[f"score_{did}"] >= float(_get(d, "min")))
            cond = cond & ok.fill_null(False)
        out = out | cond
    return out


def gap_table(evaluation, policy, tables: dict, *, year: int):
    """The gap of every not-eligible enterprise, as one lazy Ibis table (columns ``GAP_COLUMNS``).

    One row per not-eligible enterprise and: failed threshold (``kind`` = ``threshold``: a failed
    comparison of a variable or column with a constant in a rule's ``when``: ``current``,
    ``needed``, ``change`` = needed − current, and for a ratio variable ``a / b`` also
    ``numerator`` = a and ``numerator_change`` at the current b); failed rule the enterprise cannot
    change (``fixed``); missed score (``points``: ``current`` = score, ``needed`` = the pass mark).
    ``role`` says where the rule counts: ``floor`` (must hold) or ``route:<id>`` (one alternative;
    route rows appear only where no route passes). Rows appear only where the rule's value after
    exceptions is false. Built as a union over the policy's rules: no loop over enterprises.
    """
    import ibis

    variables = _get(policy, "variables") or {}
    roles = _roles(policy)
    ev = evaluation.filter(evaluation.verdict == "not_eligible")
    raw_cols: set[str] = set()
    plans = []
    for rule in _get(policy, "rules") or []:
        rid = _get(rule, "id")
        if rid not in roles or f"rule_{rid}" not in ev.columns:
            continue
        if not bool(_get(rule, "changeable", True)):
            plans.append(("fixed", rid, roles[rid], None))
            continue
        if _get(rule, "when") is None:
            continue
        node = _get(rule, "node") or _parse(_get(rule, "when"))
        for name, op, const in _simple_thresholds(node, policy):
            if name in variables and not bool(_get(variables[name], "changeable", True)):
                plans.append(("fixed", rid, roles[rid], None))
                continue
            ratio = _ratio_parts(_parse(name), policy) if name in variables else None
            if name not in variables:
                raw_cols.add(name)
            if ratio is not None:
                raw_cols.update(ratio)
            plans.append(("threshold", rid, roles[rid], (name, op, const, ratio)))
    ind_cols = set(tables["indicators"].columns)
    ent_cols = set(tables["enterprises"].columns)
    base = ev
    wanted_ind = sorted(c for c in raw_cols if c in ind_cols and c not in ("uscc", "year"))
    wanted_ent = sorted(c for c in raw_cols if c in ent_cols and c not in ind_cols and c != "uscc")
    if wanted_ind:
        ind = tables["indicators"]
        ind = ind.filter(ind.year == year).select(ind.uscc.name("raw_uscc"),
                                                  *[ind[c].name(f"raw_{c}") for c in wanted_ind])
        base = base.left_join(ind, base.uscc == ind.raw_uscc).drop("raw_uscc")
    if wanted_ent:
        ent = tables["enterprises"]
        ent = ent.select(ent.uscc.name("raw_uscc"), *[ent[c].name(f"raw_{c}") for c in wanted_ent])
        base = base.left_join(ent, base.uscc == ent.raw_uscc).drop("raw_uscc")
    no_route = ~_route_passes(base, policy)

    def col(name):
        return base[f"var_{name}" if name in variables else f"raw_{name}"].cast("float64")

    null_f = ibis.null().cast("float64")
    null_s = ibis.null().cast("string")

    def select(t, **kw):
        cols = {"policy_id": t.policy_id, "year": t.year.cast("int64"), "uscc": t.uscc, "name": t.name,
                "verdict": t.verdict, "rule_id": null_s, "role": null_s, "kind": null_s,
                "changeable": ibis.null().cast("boolean"), "input": null_s, "op": null_s, "current": null_f,
                "needed": null_f, "change": null_f, "numerator": null_s, "numerator_change": null_f}
        cols.update(kw)
        return t.select(**{k: cols[k] for k in GAP_COLUMNS})

    parts = []
    for kind, rid, role, spec in plans:
        cond = (base[f"rule_{rid}"] == ibis.literal(False)).fill_null(False)
        if role != "floor":
            cond = cond & no_route
        if kind == "fixed":
            parts.append(select(base.filter(cond), rule_id=ibis.literal(rid), role=ibis.literal(role),
                                kind=ibis.literal("fixed"), changeable=ibis.literal(False)))
            continue
        name, op, const, ratio = spec
        cur = col(name)
        holds = {"<": cur < const, "<=": cur <= const, ">": cur > const, ">=": cur >= const}[op]
        num, num_change = null_s, null_f
        if ratio is not None:
            num = ibis.literal(ratio[0])
            num_change = const * base[f"raw_{ratio[1]}"].cast("float64") - base[f"raw_{ratio[0]}"].cast("float64")
        parts.append(select(base.filter(cond & ~holds.fill_null(True)), rule_id=ibis.literal(rid),
                            role=ibis.literal(role), kind=ibis.literal("threshold"), changeable=ibis.literal(True),
                            input=ibis.literal(name), op=ibis.literal(op), current=cur,
                            needed=ibis.literal(const).cast("float64"), change=ibis.literal(const) - cur,
                            numerator=num, numerator_change=num_change))
    sc = _get(policy, "scores")
    for route in _get(_get(policy, "eligibility"), "routes") or []:
        if not _get(route, "score") or sc is None:
            continue
        pass_mark = float(_get(sc, "pass_"))
        parts.append(select(base.filter(no_route & base.score.notnull()), rule_id=ibis.literal("score"),
                            role=ibis.literal(f"route:{_get(route, 'id')}"), kind=ibis.literal("points"),
                            changeable=ibis.literal(True), input=ibis.literal("score"), op=ibis.literal(">="),
                            current=base.score.cast("float64"), needed=ibis.literal(pass_mark).cast("float64"),
                            change=ibis.greatest(ibis.literal(pass_mark) - base.score.cast("float64"), 0.0)))
    if not parts:
        return select(base.filter(ibis.literal(False)))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]
