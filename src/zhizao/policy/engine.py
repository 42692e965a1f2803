"""The policy engine: warehouse tables + a policy → the evaluation table, one row per enterprise.

Pure Ibis, one lazy expression (no Python loop over enterprises; loops over rules, points tables
and required policies only); it runs unchanged on DuckDB and PySpark. The stages:

1. **Base**: the indicators of the evaluation year joined to the enterprises (inner join: one row
   per enterprise with indicators that year), plus one left join per lag ``k`` to the indicators of
   year − k (``lag(col, k)`` is null where that year is missing), plus one left join per required
   policy (its verdict as a condition: eligible → true, not_eligible → false, else null).
2. **Variables**, in file order (``var_<name>``).
3. **Points** (``points_<id>``): bands tested top-down with ``>=`` (``<=`` for lower_is_better), so
   a value exactly at a threshold gets the higher band; a categorical table gives the points of the
   first case that holds, and null where an earlier case is unknown. **Scores** by dimension; the
   score route passes where the total and every dimension reach their minimums — decided even with
   unknown tables when every possible value of them gives the same answer.
4. **Rules** (``rule_<id>``), SQL three-valued logic. Exceptions follow Catala's default logic: the
   highest priority with an applicable exception decides; two applicable at that priority with
   different outcomes are a conflict (the rule is null, ``conflict`` names them); an exception whose
   applicability is unknown makes the rule unknown unless its outcome is the value the rule has
   anyway.
5. **Verdict**: conflict if any rule conflicts; else not_eligible where the floor or every route is
   definitely false; eligible where the floor holds and some route holds; else unknown. ``missing``
   names the null inputs behind every unknown rule (and behind unknown points when the score decides).
6. **Benefit** (eligible rows: the amount, capped) and **budget** (eligible rows ranked by the
   order expression, ties by uscc; within the budget while the running total of benefits fits).
"""

from __future__ import annotations

from functools import reduce

import ibis
import ibis.expr.types as ir

from zhizao import sqlgen  # noqa: F401 - unfused SELECTs: each stage below is computed once
from zhizao.policy import expr as E
from zhizao.policy.graph import Library, column_of, evaluation_order, input_of, inputs, policy_inputs
from zhizao.policy.model import (ENTERPRISE_COLUMNS, IDENTITY_COLUMNS, INDICATOR_COLUMNS, Policy, PolicyError,
                                 column_types)

__all__ = ["evaluate", "evaluate_many", "output_columns", "check_columns"]

_NUMERIC = ("int64", "float64")
_IBIS = {E.NUMBER: "float64", E.BOOL: "boolean", E.STRING: "string"}


def _null(t: str):
    return ibis.null(t)


def _or(parts, default=False):
    parts = list(parts)
    return reduce(lambda a, b: a | b, parts) if parts else ibis.literal(default)


def _and(parts, default=True):
    parts = list(parts)
    return reduce(lambda a, b: a & b, parts) if parts else ibis.literal(default)


def output_columns(policy: Policy) -> list[str]:
    """The columns of the evaluation table of ``policy``, in order (the contract's §2).

    With ``scores``: ``score`` (the total; null where a points table is unknown), ``score_min`` and
    ``score_max`` (the lowest and highest total the row can have: unknown tables at their lowest
    and highest points, equal to ``score`` where it is known; the score route is decided from
    these), then ``score_<dimension>``."""
    cols = ["policy_id", "version", "year", "uscc", "name", "region_code", "verdict", "route"]
    if policy.scores is not None:
        cols += ["score", "score_min", "score_max", *[f"score_{d}" for d in policy.scores.dimensions]]
    cols += [f"points_{t.id}" for t in policy.points]
    cols += [f"var_{n}" for n in policy.variables]
    cols += [f"rule_{r.id}" for r in policy.rules]
    cols += [f"exc_{r.id}" for r in policy.rules]
    cols += ["conflict", "missing", "benefit_yuan"]
    if policy.budget is not None:
        cols += ["budget_rank", "within_budget"]
    return cols


def _input_table(tables: dict, p: Policy, alias: str) -> ir.Table:
    """The extra input table ``alias`` of ``p``: from ``tables`` by name, else from the backend the
    warehouse tables live on (a lever's result written to the same warehouse); PolicyError naming
    the table and the command that creates it when neither has it."""
    spec = p.inputs[alias]
    if spec.table in tables:
        return tables[spec.table]
    for name in ("enterprises", "indicators", "panel"):
        if name in tables:
            try:
                return tables[name]._find_backend().table(spec.table)
            except Exception:  # no such table there (or a memtable's throwaway backend)
                pass
            break
    how = f": run `{spec.command}` first" if spec.command else ""
    raise PolicyError(p.file, p.line_of("id"), f"policy {p.id} reads input {alias!r}, the table {spec.table}, "
                                               f"which the warehouse lacks{how}")


def _needed(p: Policy) -> tuple[set, set, dict]:
    """(indicator columns, enterprise columns, {alias: columns}) the policy's expressions read."""
    ind, ent, extra = set(), set(), {}
    for k in policy_inputs(p):
        io = input_of(p, k)
        if io is not None:
            extra.setdefault(io[0], set()).add(io[1])
            continue
        col = column_of(k)
        if col is None:
            continue
        (ind if col in INDICATOR_COLUMNS and col != "uscc" else ent).add(col)
    return ind, ent, extra


def check_columns(tables: dict, policies: list[Policy]) -> None:
    """``PolicyError`` listing every column the policies read that ``tables`` lacks (a flat
    ``panel`` table, when given, must hold the enterprise and the indicator columns), and naming a
    missing extra input table with the command that creates it."""
    panel = "panel" in tables
    need: dict[str, set[str]] = ({"panel": {"uscc", "year", *IDENTITY_COLUMNS}} if panel else
                                 {"enterprises": set(IDENTITY_COLUMNS), "indicators": {"uscc", "year"}})
    extra_tables: list[tuple[Policy, str, set]] = []
    for p in policies:
        ind, ent, extra = _needed(p)
        if panel:
            need["panel"] |= ind | ent
        else:
            need["indicators"] |= ind
            need["enterprises"] |= ent
        extra_tables += [(p, a, cols) for a, cols in extra.items()]
        extra_tables += [(p, a, set()) for a in p.inputs if a not in extra]
    missing = []
    for name in need:
        if name not in tables:
            missing.append(f"{name} (the whole table)")
            continue
        have = set(tables[name].columns)
        missing += [f"{name}.{c}" for c in sorted(need[name] - have)]
    for p, alias, cols in extra_tables:
        spec = p.inputs[alias]
        t = _input_table(tables, p, alias)
        derived = set(spec.known.derived) if spec.known else set()
        want = set(spec.key) | set(spec.where) | {c for c in cols if c not in derived}
        missing += [f"{spec.table}.{c}" for c in sorted(want - set(t.columns))]
        if "years_in_class" in cols & derived and "land_class" not in t.columns:
            missing.append(f"{spec.table}.land_class (years_in_class is counted from it)")
    if missing:
        p = policies[-1]
        raise PolicyError(p.file, None, f"policy {p.id}: the warehouse lacks column(s) it needs: "
                                        f"{', '.join(missing)}")


def evaluate(tables: dict, policy: Policy, *, year: int, library: Library | None = None) -> ir.Table:
    """The evaluation table of ``policy`` for ``year`` (lazy Ibis; columns: ``output_columns``).

    ``tables``: Ibis tables by name (``Warehouse.tables()``): ``enterprises`` and ``indicators``
    are read, or — when ``tables`` has a ``panel`` table — that one flat enterprise × year table
    holding both the indicator columns and the enterprise columns (the enterprise attributes read
    off the evaluation year's row), which saves the join of the two. A policy's extra ``inputs``
    are read from ``tables`` by table name, else from the warehouse connection. ``policy`` is a
    validated ``Policy`` (``load_policy(id or path)``, ``library.get(id, year=…)``); the policies it
    requires come from ``library`` (``load_library()``: needed only when it requires any) and are
    evaluated first, in dependency order. Missing columns and tables are reported before evaluation.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy: expected a Policy (zhizao.policy.load_policy, or library.get(id, year=…)), "
                        f"got {type(policy).__name__}")
    return evaluate_many(tables, [policy], year=year, library=library)[policy.id]


def evaluate_many(tables: dict, policy_ids, *, year: int, library: Library | None = None) -> dict[str, ir.Table]:
    """The evaluation tables of several policies (``Policy`` objects, or ids of ``library``: the
    version valid in ``year``); a policy required by several is compiled once and shared. The
    required policies come from ``library`` (needed only when a policy requires any)."""
    year = int(year)
    wanted: list[Policy] = []
    for pid in policy_ids:
        if isinstance(pid, Policy):
            wanted.append(pid)
        else:
            if library is None:
                raise PolicyError(None, None, f"policy {pid!r} given by id without a library: expected a Policy, "
                                              "or library= (zhizao.policy.load_library()) holding it")
            q = library.get(pid, year=year)
            if q is None:
                raise PolicyError(None, None, f"no policy {pid!r} in the library ({', '.join(library) or 'empty'})")
            wanted.append(q)
    for p in wanted:
        if not p.covers(year):
            raise PolicyError(p.file, p.line_of("id"), f"policy {p.id} version {p.version} is valid "
                                                       f"{p.valid_from}–{p.valid_to or '…'}, not in {year}")
    plans = {p.id: evaluation_order(p, library, year=year) for p in wanted}
    everything: dict[str, Policy] = {}
    for p in wanted:
        for q in plans[p.id]:
            everything.setdefault(q.id, q)
        everything[p.id] = p
    check_columns(tables, list(everything.values()))
    done: dict[str, ir.Table] = {}
    for p in wanted:
        for q in plans[p.id]:
            if q.id not in done:
                done[q.id] = _compile(tables, q, year, done)
        done[p.id] = _compile(tables, p, year, done)
    return {p.id: done[p.id] for p in wanted}


# --- compilation of one policy ----------------------------------------------------------------


class _Scope:
    """Name → Ibis column over the current table, for ``expr.to_ibis``."""

    def __init__(self, policy: Policy, year: int, extra: dict | None = None):
        self.p, self.year, self.t = policy, year, None
        ins = {f"{a}.{c}": t for a, spec in policy.inputs.items() for c, t in spec.all_columns.items()}
        nd = {f"not_decidable:{x.id}": E.BOOL for x in policy.not_decidable}
        self.types = {**column_types(), **ins, **nd, **policy.types, **(extra or {})}
        self.extra = extra or {}
        self.col_types = {**ENTERPRISE_COLUMNS, **INDICATOR_COLUMNS}

    def resolve(self, key: str):
        t = self.t
        if key.startswith("policy:"):
            return t[_pol_col(key.split(":", 1)[1])]
        if key in self.p.variables:
            return t[f"var_{key}"]
        if key in self.extra:
            return t[key]
        io = input_of(self.p, key)
        if io is not None:
            c = t[_in_col(*io)]
            return c.cast("float64") if self.types.get(key) == E.NUMBER else c
        col, _, lag = key.partition("@-")
        c = t[_lag_col(col, int(lag))] if lag else t[col]
        return c.cast("float64") if self.col_types.get(col) in _NUMERIC else c

    def compile(self, node: E.Node, t: ir.Table, want: str | None = None):
        """``node`` over ``t``; ``want``: the type the context expects (``E.BOOL`` for conditions)."""
        self.t = t
        return E.to_ibis(node, self.resolve, self.types, year=self.year, want=want)


def _lag_col(col: str, k: int) -> str:
    return f"_zz_lag{k}__{col}"


def _pol_col(pid: str) -> str:
    return f"_zz_pol__{pid}"


def _in_col(alias: str, col: str) -> str:
    return f"_zz_in__{alias}__{col}"


def _base(tables: dict, p: Policy, year: int, done: dict) -> ir.Table:
    ind_cols, ent_cols, extra = _needed(p)
    ind_cols = sorted(ind_cols)
    ent_cols = sorted(c for c in ent_cols if c not in IDENTITY_COLUMNS)
    if "panel" in tables:  # one flat enterprise × year table: no join of the two
        ind = pan = tables["panel"]
        t = pan.filter(pan.year == year).select(*IDENTITY_COLUMNS, *ind_cols, *ent_cols)
    else:
        ent, ind = tables["enterprises"], tables["indicators"]
        cur = ind.filter(ind.year == year).select("uscc", *ind_cols)
        t = cur.join(ent.select(*IDENTITY_COLUMNS, *ent_cols), "uscc")
    lags: dict[int, set[str]] = {}
    for k in policy_inputs(p):
        col, _, lag = k.partition("@-")
        if lag:
            lags.setdefault(int(lag), set()).add(col)
    for k, lag_cols in sorted(lags.items()):
        prev = ind.filter(ind.year == year - k)
        prev = prev.select(_zz_key=prev.uscc, **{_lag_col(c, k): prev[c] for c in sorted(lag_cols)})
        t = t.left_join(prev, t.uscc == prev._zz_key).drop("_zz_key")
    for alias in p.inputs:
        t = _join_input(t, tables, p, alias, sorted(extra.get(alias, ())), year)
    for ref in p.required_policies:
        v = done[ref]
        pv = v.select(_zz_key=v.uscc, **{_pol_col(ref): ibis.cases((v.verdict == "eligible", True),
                                                                   (v.verdict == "not_eligible", False),
                                                                   else_=_null("boolean"))})
        t = t.left_join(pv, t.uscc == pv._zz_key).drop("_zz_key")
    return t


def _join_input(t: ir.Table, tables: dict, p: Policy, alias: str, cols: list[str], year: int) -> ir.Table:
    """Left join of the extra input table ``alias`` on its key (uscc, and year = the evaluation
    year when listed), after its ``where`` filter; derived columns (``years_in_class`` of the land
    evaluation) are computed from every year the table holds."""
    if not cols:
        return t
    spec = p.inputs[alias]
    x = _input_table(tables, p, alias)
    for c, v in spec.where.items():
        x = x.filter(x[c] == v)
    derived = set(spec.known.derived) if spec.known else set()
    if "years_in_class" in cols and "years_in_class" in derived and "years_in_class" not in x.columns:
        from zhizao.land.measures import consecutive_years_in_class

        runs = consecutive_years_in_class(x).select(_zz_ru="uscc", _zz_ry="year", years_in_class="years_in_class")
        x = x.left_join(runs, (x.uscc == runs._zz_ru) & (x.year == runs._zz_ry)).drop("_zz_ru", "_zz_ry")
    if "year" in spec.key:
        x = x.filter(x.year == year)
    x = x.select(_zz_key=x.uscc, **{_in_col(alias, c): x[c] for c in cols})
    return t.left_join(x, t.uscc == x._zz_key).drop("_zz_key")


def _points(scope: _Scope, t: ir.Table, tbl) -> ir.Expr:
    if tbl.cases is not None:
        pairs = []
        for c in tbl.cases:
            if c.else_ is not None:
                return ibis.cases(*pairs, else_=ibis.literal(float(c.else_))) if pairs \
                    else ibis.literal(float(c.else_))
            cond = scope.compile(c.node, t, E.BOOL)
            pairs += [(cond, ibis.literal(float(c.points))), (cond.isnull(), _null("float64"))]
        return ibis.cases(*pairs, else_=ibis.literal(0.0))
    x = scope.compile(tbl.node, t, E.NUMBER)
    pairs = [(x.isnull(), _null("float64"))]
    other = 0.0
    for thr, pts in tbl.bands:
        if thr is None:
            other = float(pts)
            continue
        cond = x >= thr if tbl.direction == "higher_is_better" else x <= thr
        pairs.append((cond, ibis.literal(float(pts))))
    return ibis.cases(*pairs, else_=ibis.literal(other))


def _with_exceptions(rule, base, conds: list):
    """The rule's value after its exceptions, the deciding exception's id and the conflict text.

    ``conds``: (exception, condition) pairs. Levels are processed from the lowest priority up, each
    wrapping the value below it (Catala default logic; see the module docstring)."""
    if not conds:
        return base, _null("string"), _null("string")
    levels = sorted({x.priority for x, _ in conds})
    r = base
    for lv in levels:
        at = [(x, c) for x, c in conds if x.priority == lv]
        T = _or(c.fill_null(False) for x, c in at if x.outcome)
        F = _or(c.fill_null(False) for x, c in at if not x.outcome)
        UT = _or(c.isnull() for x, c in at if x.outcome)
        UF = _or(c.isnull() for x, c in at if not x.outcome)
        nb = _null("boolean")
        r = ibis.cases(
            (T & F, nb),
            (T, UF.ifelse(nb, True)),
            (F, UT.ifelse(nb, False)),
            (UT & UF, nb),
            (UT, r.ifelse(True, nb)),
            (UF, (~r).ifelse(False, nb)),
            else_=r,
        )
    # deciding exception and conflict: the highest level with an applicable exception, provided
    # every higher level is definitely not applicable
    exc_pairs, conflict_pairs = [], []
    above_clear = ibis.literal(True)
    for lv in reversed(levels):
        at = [(x, c) for x, c in conds if x.priority == lv]
        true_any = _or(c.fill_null(False) for _, c in at)
        first = ibis.cases(*[(c.fill_null(False), x.id) for x, c in at], else_=_null("string"))
        exc_pairs.append((above_clear & true_any, first))
        outcomes = {x.outcome for x, _ in at}
        if len(outcomes) == 2:
            T = _or(c.fill_null(False) for x, c in at if x.outcome)
            F = _or(c.fill_null(False) for x, c in at if not x.outcome)
            ids = ibis.literal(",").join([c.fill_null(False).ifelse(x.id, _null("string")) for x, c in at])
            conflict_pairs.append((above_clear & T & F, f"{rule.id}:" + ids))
        above_clear = above_clear & _and(~c.fill_null(True) for _, c in at)
    exc = ibis.cases(*exc_pairs, else_=_null("string"))
    exc = r.notnull().ifelse(exc, _null("string"))
    conflict = ibis.cases(*conflict_pairs, else_=_null("string")) if conflict_pairs else _null("string")
    return r, exc, conflict


def _compile(tables: dict, p: Policy, year: int, done: dict) -> ir.Table:  # noqa: C901 - the stages
    scope = _Scope(p, year)
    t = _base(tables, p, year, done)

    # variables, in order (each may read the earlier ones)
    for name, v in p.variables.items():
        val = scope.compile(v.node, t, p.types[name])
        t = t.mutate(**{f"var_{name}": val.cast(_IBIS[p.types[name]])})

    # points tables, rules with exceptions
    cols: dict[str, ir.Expr] = {}
    for tbl in p.points:
        cols[f"points_{tbl.id}"] = _points(scope, t, tbl).cast("float64")
    rule_vals: dict[str, ir.Expr] = {}
    excs, conflicts = {}, {}
    for r in p.rule_order():
        if r.kind == "when":
            base = scope.compile(r.node, t, E.BOOL)
        elif r.kind == "any":
            base = _or(rule_vals[i] for i in r.any)
        elif r.kind == "all":
            base = _and(rule_vals[i] for i in r.all)
        elif r.kind == "not":
            base = ~rule_vals[r.not_]
        else:
            vals = [rule_vals[i] for i in r.at_least.of]
            yes = reduce(lambda a, b: a + b, [v.fill_null(False).cast("int64") for v in vals])
            unk = reduce(lambda a, b: a + b, [v.isnull().cast("int64") for v in vals])
            base = ibis.cases((yes >= r.at_least.k, True), (yes + unk < r.at_least.k, False),
                              else_=_null("boolean"))
        conds = [(x, scope.compile(x.node, t, E.BOOL)) for x in r.exceptions]
        val, exc, conflict = _with_exceptions(r, base, conds)
        rule_vals[r.id] = val
        excs[r.id], conflicts[r.id] = exc, conflict
    for r in p.rules:
        cols[f"rule_{r.id}"] = rule_vals[r.id].cast("boolean")
    for r in p.rules:
        cols[f"exc_{r.id}"] = excs[r.id].cast("string")
    conflict_parts = [conflicts[r.id] for r in p.rules if r.exceptions]
    cols["conflict"] = (ibis.literal(";").join(conflict_parts).nullif("") if conflict_parts
                        else _null("string"))
    t = t.mutate(**cols)

    # scores and the score route: the totals, their bounds (unknown tables at their lowest and
    # highest points) and the route's value, kept as columns so that the verdict, the route and
    # `missing` read the route once instead of repeating its expression
    cols = {}
    score_pass = None
    if p.scores is not None:
        def total(tbls, lo_hi=None):
            parts = []
            for tb in tbls:
                c = t[f"points_{tb.id}"]
                if lo_hi == "lo":
                    c = c.fill_null(float(tb.min_points))
                elif lo_hi == "hi":
                    c = c.fill_null(float(tb.max_points))
                parts.append(c)
            return reduce(lambda a, b: a + b, parts) if parts else ibis.literal(0.0)

        sc = p.scores
        cols["score"] = total(p.points).cast("float64")
        cols["score_min"] = total(p.points, "lo").cast("float64")
        cols["score_max"] = total(p.points, "hi").cast("float64")
        for d in sc.dimensions:
            cols[f"score_{d}"] = total([tb for tb in p.points if tb.dimension == d]).cast("float64")
        sure = [total(p.points, "lo") >= sc.pass_]
        fails = [total(p.points, "hi") < sc.pass_]
        for d, dim in sc.dimensions.items():
            if dim.min is not None:
                tbls = [tb for tb in p.points if tb.dimension == d]
                sure.append(total(tbls, "lo") >= dim.min)
                fails.append(total(tbls, "hi") < dim.min)
        cols["_zz_score_pass"] = ibis.cases((_or(fails), False), (_and(sure), True), else_=_null("boolean"))
        # its own SELECT (the route reads _zz_score_pass several times; zhizao.sqlgen)
        t = t.mutate(**cols)
        score_pass = t._zz_score_pass
        cols = {}

    # routes and verdict
    el = p.eligibility
    floor = _and(t[f"rule_{i}"] for i in el.all)
    route_vals = []
    for route in el.routes:
        parts = []
        if route.rule is not None:
            parts.append(t[f"rule_{route.rule}"])
        if route.score:
            parts.append(score_pass)
        route_vals.append((route.id, _and(parts)))
    routes_any = _or((v for _, v in route_vals), default=True) if route_vals else ibis.literal(True)
    verdict = ibis.cases(
        (t.conflict.notnull(), "conflict"),
        ((~floor).fill_null(False), "not_eligible"),
        ((~routes_any).fill_null(False), "not_eligible"),
        ((floor & routes_any).fill_null(False), "eligible"),
        else_="unknown",
    )
    cols["verdict"] = verdict
    eligible = verdict == "eligible"
    if route_vals:
        first = ibis.cases(*[(v.fill_null(False), rid) for rid, v in route_vals], else_=_null("string"))
        cols["route"] = eligible.ifelse(first, _null("string"))
    else:
        cols["route"] = _null("string")

    # missing: the null inputs behind each unknown rule (and unknown points when the score decides);
    # undecided("id") names not_decidable:id wherever it leaves a rule (or the score) unknown
    needers: dict[str, list] = {}
    for r in p.rules:
        if r.kind != "when" and not r.exceptions:
            continue
        ins = inputs(p, r.node) | set().union(*[inputs(p, x.node) for x in r.exceptions])
        for i in ins:
            needers.setdefault(i, []).append(t[f"rule_{r.id}"].isnull())
    if score_pass is not None:
        for tb in p.points:
            ins = inputs(p, tb.node) | set().union(*[inputs(p, c.node) for c in tb.cases or [] if c.node])
            for i in ins:
                needers.setdefault(i, []).append(score_pass.isnull() & t[f"points_{tb.id}"].isnull())
    parts = []
    for key in sorted(needers):
        if key.startswith("not_decidable:"):
            parts.append(_or(needers[key]).ifelse(key, _null("string")))
            continue
        col = scope.compile(E.Call("policy", (E.Const(key[7:]),)) if key.startswith("policy:")
                            else (E.Lag(*_split_lag(key)) if "@-" in key else E.Name(key)), t)
        parts.append((col.isnull() & _or(needers[key])).ifelse(key, _null("string")))
    cols["missing"] = ibis.literal(";").join(parts) if parts else ibis.literal("")

    # benefit (a charge: the capped amount, negated — benefit_yuan < 0 is what the enterprise pays)
    if p.benefit is not None:
        amount = scope.compile(p.benefit.node, t, E.NUMBER).cast("float64")
        if p.benefit.cap is not None:
            cap = float(p.benefit.cap)
            amount = ibis.cases((amount.isnull(), _null("float64")), (amount > cap, cap), else_=amount)
        if p.benefit.kind == "charge":
            amount = -amount
        cols["benefit_yuan"] = eligible.ifelse(amount, _null("float64")).cast("float64")
    else:
        cols["benefit_yuan"] = _null("float64")
    t = t.mutate(**cols)

    # budget
    if p.budget is not None:
        extra = {"benefit_yuan": E.NUMBER, **{f"points_{tb.id}": E.NUMBER for tb in p.points}}
        if p.scores is not None:
            extra.update({"score": E.NUMBER, "score_min": E.NUMBER, "score_max": E.NUMBER,
                          **{f"score_{d}": E.NUMBER for d in p.scores.dimensions}})
        bscope = _Scope(p, year, extra)
        t = t.mutate(_zz_elig=t.verdict == "eligible", _zz_ord=bscope.compile(p.budget.node, t))
        key = ibis.desc(t._zz_ord) if p.budget.descending else ibis.asc(t._zz_ord)
        order = [t._zz_ord.isnull(), key, t.uscc]
        w = ibis.window(group_by=t._zz_elig, order_by=order)
        cw = ibis.cumulative_window(group_by=t._zz_elig, order_by=order)
        t = t.mutate(_zz_rank=ibis.row_number().over(w) + 1,
                     _zz_cum=t.benefit_yuan.fill_null(0.0).sum().over(cw))
        t = t.mutate(
            budget_rank=t._zz_elig.ifelse(t._zz_rank.cast("int64"), _null("int64")),
            within_budget=ibis.cases((~t._zz_elig, _null("boolean")), (t.benefit_yuan.isnull(), _null("boolean")),
                                     else_=t._zz_cum <= float(p.budget.total)),
        )

    t = t.mutate(policy_id=ibis.literal(p.id, "string"), version=ibis.literal(p.version, "string"),
                 year=ibis.literal(year, "int64"))
    return t.select(*output_columns(p))


def _split_lag(key: str) -> tuple[str, int]:
    col, _, k = key.partition("@-")
    return col, int(k)
