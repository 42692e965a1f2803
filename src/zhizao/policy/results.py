"""The result tables of the policy lever (``zhizao.services.policy``), column by column.

* ``result_policy_<id>``: the evaluation table of one policy and year (``zhizao policy check``,
  ``push``): one row per enterprise of the policy's region, with the verdict, the route, the
  score, every points table, variable, rule and exception, the missing inputs and the amount.
  Which ``points_*``, ``var_*``, ``rule_*`` and ``exc_*`` columns it has is decided by the policy
  file: ``evaluation_table(policy)`` declares them exactly (types from the file).
* ``result_policy_gap_<id>``: the gap to qualify of every not-eligible enterprise.
* ``result_policy_package``: one row per enterprise × year × policy of the service package.
* ``result_policy_reach``: verdict counts and amounts per policy and county (the demo's summary).

Plain data; the contract test checks what the services store against these declarations.
"""

from __future__ import annotations

from zhizao.contract import Column as C
from zhizao.contract import ResultTable

__all__ = ["TABLES", "EVALUATION", "GAP", "PACKAGE", "REACH", "evaluation_table", "VERDICTS", "VERDICT_LABELS",
           "SECTIONS"]

#: The four verdicts of the engine, in the order tables show them.
VERDICTS = ("eligible", "not_eligible", "unknown", "conflict")
VERDICT_LABELS = {"eligible": "符合 eligible", "not_eligible": "不符合 not eligible",
                  "unknown": "无法判定 unknown", "conflict": "冲突 conflict"}

#: The sections of a service package, in order: qualified, near (every failed condition can be
#: changed), unknown (missing data or a conflict), needs_run (another lever's result has not been
#: computed with the method the policy reads), out (a failed condition it cannot change),
#: other_region (the policy applies elsewhere), errors (could not be evaluated).
SECTIONS = ("qualified", "near", "unknown", "needs_run", "out", "other_region", "errors")

_YEAR = C("year", "int64", "年度", "year", "the evaluation year")
_USCC = C("uscc", "string", "统一社会信用代码", "USCC", "the enterprise's unified social credit code")
_NAME = C("name", "string", "企业名称", "enterprise", "the enterprise's registered name")
_REGION = C("region_code", "string", "区县", "county", "GB/T 2260 county code of the enterprise")
_POLICY = C("policy_id", "string", "政策", "policy", "the policy's id in the library")
_VERSION = C("version", "string", "版本", "version", "the policy file's version")
_VERDICT = C("verdict", "string", "结论", "verdict", "eligible, not_eligible, unknown or conflict")

_EVAL_FIXED = (
    _POLICY, _VERSION, _YEAR, _USCC, _NAME, _REGION, _VERDICT,
    C("route", "string", "认定途径", "route", "the eligibility route taken (null: none passes or none declared)"),
    C("conflict", "string", "冲突条款", "conflicts", "';'-separated rules whose exceptions contradict each other"),
    C("missing", "string", "缺失数据", "missing inputs", "';'-separated inputs whose absence leaves the verdict unknown"),
    C("benefit_yuan", "float64", "兑现金额", "amount",
      "the amount for an eligible enterprise (negative for a charge it pays); null otherwise", "yuan"),
)

EVALUATION = ResultTable(
    "result_policy_*", "政策评估", "policy evaluation",
    "one row per enterprise of the policy's region with indicators in the year: the verdict and every "
    "rule, variable and points table behind it",
    (*_EVAL_FIXED,
     C("score", "float64", "评分", "score", "the total score (null where a points table is unknown)", "points",
       optional=True),
     C("score_min", "float64", "最低可能得分", "lowest score", "the total with unknown tables at their lowest", "points",
       optional=True),
     C("score_max", "float64", "最高可能得分", "highest score", "the total with unknown tables at their highest",
       "points", optional=True),
     C("score_*", "float64", "维度得分", "dimension score", "the score of one dimension of the policy", "points"),
     C("points_*", "float64", "评分项得分", "points", "the points of one points table of the policy", "points"),
     C("var_*", "any", "派生变量", "variable", "a derived variable of the policy (its type and unit in the file)"),
     C("rule_*", "boolean", "规则", "rule", "a rule's value after its exceptions (null: unknown)"),
     C("exc_*", "string", "适用的例外", "exception", "the exception that decided the rule, if any"),
     C("budget_rank", "int64", "预算排序", "budget rank", "rank of an eligible enterprise in the budget order",
       optional=True),
     C("within_budget", "boolean", "预算内", "within budget", "the running total of amounts fits the budget",
       optional=True)),
    key=("uscc", "year"),
)

GAP = ResultTable(
    "result_policy_gap_*", "差距分析", "gap to qualify",
    "one row per not-eligible enterprise × failed threshold, failed rule it cannot change, or missed score",
    (_POLICY, _YEAR, _USCC, _NAME, _VERDICT,
     C("rule_id", "string", "规则", "rule", "the failed rule (score: the score route)"),
     C("role", "string", "作用", "role", "floor (must hold) or route:<id> (one alternative)"),
     C("kind", "string", "类型", "kind", "threshold, fixed (cannot be changed) or points"),
     C("changeable", "boolean", "企业可改变", "changeable", "whether the enterprise can change it"),
     C("input", "string", "指标", "input", "the variable or column compared"),
     C("op", "string", "比较", "comparison", "the comparison the rule makes (>=, < …)"),
     C("current", "float64", "现值", "current", "the enterprise's value now"),
     C("needed", "float64", "需达到", "needed", "the value the rule needs"),
     C("change", "float64", "差距", "change", "needed − current"),
     C("numerator", "string", "分子", "numerator", "for a ratio variable a / b: the column a"),
     C("numerator_change", "float64", "分子差距", "numerator change", "the change of a at the current b")),
)

PACKAGE = ResultTable(
    "result_policy_package", "政策服务包", "policy service package",
    "one row per enterprise × year × policy of the library: the section of the package it falls in and why",
    (_USCC, _NAME, _YEAR, _POLICY, _VERSION,
     C("section", "string", "分类", "section", "qualified, near, unknown, needs_run, out, other_region or errors"),
     C("verdict", "string", "结论", "verdict", "the engine's verdict (null where not evaluated)"),
     C("route", "string", "认定途径", "route", "the route taken"),
     C("score", "float64", "评分", "score", "the total score", "points"),
     C("amount_yuan", "float64", "金额", "amount", "the amount (negative for a charge)", "yuan"),
     C("within_budget", "boolean", "预算内", "within budget", "within the yearly budget order"),
     C("missing", "string", "缺失数据", "missing inputs", "';'-separated inputs the verdict lacks"),
     C("fixed", "string", "无法改变的条件", "fixed", "';'-separated failed rules the enterprise cannot change"),
     C("gap_json", "string", "差距（JSON）", "gap (JSON)", "the gap to qualify as JSON"),
     C("message", "string", "说明", "message", "why it was not evaluated, or which run is missing"),
     C("synthetic", "boolean", "合成数据", "synthetic", "the enterprise is synthetic"),
     C("generated_on", "string", "生成日期", "generated on", "the date the package was built")),
    key=("uscc", "year", "policy_id"),
)

REACH = ResultTable(
    "result_policy_reach", "政策覆盖", "policy reach",
    "one row per policy × county of the warehouse where it applies: enterprises by verdict and the amounts",
    (_POLICY, _VERSION, _YEAR, _REGION,
     C("enterprises", "int64", "评估企业数", "enterprises", "enterprises evaluated", "count"),
     C("eligible", "int64", "符合", "eligible", "enterprises eligible", "count"),
     C("not_eligible", "int64", "不符合", "not eligible", "enterprises not eligible", "count"),
     C("unknown", "int64", "无法判定", "unknown", "enterprises whose verdict the data cannot decide", "count"),
     C("conflict", "int64", "冲突", "conflict", "enterprises with conflicting clauses", "count"),
     C("amount_yuan", "float64", "金额合计", "amount", "the eligible enterprises' amounts (negative: charges)",
       "yuan")),
    key=("policy_id", "year", "region_code"),
)

#: Declaration order matters for ``registry.result_table``: the fixed names and the gap pattern
#: come before the evaluation's ``result_policy_*``.
TABLES = (PACKAGE, REACH, GAP, EVALUATION)


def evaluation_table(policy) -> ResultTable:
    """The exact declaration of ``result_policy_<id>`` for ``policy``: every column its file
    decides, with the variable's type and unit."""
    from zhizao.policy.engine import output_columns

    kinds = {"number": "float64", "bool": "boolean", "string": "string", "date": "date"}
    types = policy.types
    cols = []
    for name in output_columns(policy):
        base = EVALUATION.column(name)
        if name.startswith("var_"):
            v = policy.variables[name[4:]]
            cols.append(C(name, kinds.get(types.get(name[4:]), "any"), v.name_zh or name, v.name_en or name,
                          f"variable {v.expr}", v.unit))
        elif name.startswith("rule_"):
            r = policy.rule(name[5:])
            cols.append(C(name, "boolean", r.name_zh or name, r.name_en or name, f"rule {r.id}: {r.source}"))
        elif base is not None:
            cols.append(C(name, base.type, base.zh, base.en, base.meaning, base.unit))
    return ResultTable(f"result_policy_{policy.id}", f"政策评估：{policy.name_zh}", f"policy evaluation: {policy.name_en}",
                       EVALUATION.meaning, tuple(cols), key=EVALUATION.key)
