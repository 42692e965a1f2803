"""Rules as code: policies as YAML files compiled to one Ibis expression.

>>> from zhizao.policy import expr
>>> expr.eval_row(expr.parse("is_sme and rd_ratio >= 0.03"), {"is_sme": True, "rd_ratio": 0.03})
True

* ``load_policy(path_or_id)`` / ``load_library(dir=None)`` — validated ``Policy`` models
  (``zhizao.policy.model``); errors are ``PolicyError`` with file, line and what was expected.
* ``dependencies(policy, library)`` — the columns, policies and variables a policy needs
  (``zhizao.policy.graph``).
* ``evaluate(tables, policy, year=…)`` / ``evaluate_many`` — the evaluation table, lazy Ibis, one
  row per enterprise with indicators in the year (``zhizao.policy.engine``).
* ``zhizao.policy.expr`` — the expression language: ``parse``, ``names``, ``eval_row``, ``to_text``.
"""

from zhizao.policy.engine import evaluate, evaluate_many, output_columns
from zhizao.policy.graph import Dependencies, Library, dependencies, load_library
from zhizao.policy.model import Policy, PolicyError, available_policies, load_policy, parse_policy

__all__ = ["Policy", "PolicyError", "load_policy", "load_library", "available_policies", "evaluate",
           "evaluate_many", "dependencies", "Library", "Dependencies", "parse_policy", "output_columns"]
