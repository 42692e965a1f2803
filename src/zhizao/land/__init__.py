"""亩均效益综合评价 ("亩均论英雄", per-mu performance evaluation) of industrial enterprises.

``evaluate`` turns the warehouse tables and a method (``load_method``) into the evaluation table
(scores, ranks, A–D classes); ``explain`` says how one enterprise got its class.
"""

from zhizao.land.method import (
    DEFAULT_METHOD, INDICATORS, LandMethod, MeasureRule, MeasureSchedule, MethodError, ScheduleStep,
    available_methods, load_method,
)
from zhizao.land.evaluate import evaluate, evaluate_years  # noqa: E402
from zhizao.land.explain import Explanation, explain, next_class_gap, render  # noqa: E402

__all__ = [
    "DEFAULT_METHOD", "INDICATORS", "LandMethod", "MeasureRule", "MeasureSchedule", "MethodError", "ScheduleStep",
    "available_methods", "load_method", "evaluate", "evaluate_years", "explain", "next_class_gap", "render",
    "Explanation",
]
