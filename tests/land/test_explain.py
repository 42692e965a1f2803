"""Explanations: one enterprise's steps, rendered text and the gap to the next class."""

from __future__ import annotations

import pytest

from tests.land.test_evaluate import U, _firm, _item, _method
from tests.land.conftest import a_tables
from zhizao.land import evaluate, explain, next_class_gap, render


@pytest.fixture(scope="module")
def a_small_eval():
    m = _method([_item("tax_per_mu", 60, 10, "万元/亩", cap=2.0), _item("va_per_mu", 40, 100, "万元/亩", cap=1.0)])
    firms = [_firm(k, taxes=(5 + 5 * k) * 1e5) for k in range(4)]
    e, i, p = zip(*firms)
    return m, evaluate(a_tables(list(e), list(i), list(p)), m, year=2024).to_pyarrow()


def test_explanation_lists_each_item_with_value_benchmark_weight_and_score(a_small_eval):
    m, ev = a_small_eval
    x = explain(ev, m, uscc=U[0], year=2024)
    step = x.steps[0]
    assert step.indicator == "tax_per_mu" and step.value == pytest.approx(5e4) and step.benchmark == pytest.approx(1e5)
    assert step.weight == 60 and step.score == pytest.approx(30.0) and step.source
    assert x.land_class == "D" and x.boundaries["C"] == pytest.approx(x.total_score + 30.0)


def test_render_gives_chinese_and_english_text(a_small_eval):
    m, ev = a_small_eval
    x = explain(ev, m, uscc=U[0], year=2024)
    assert "亩均税收" in render(x, "zh") and "tax per mu" in render(x, "en")


def test_next_class_gap_says_what_one_indicator_needs_and_when_the_cap_prevents_it(a_small_eval):
    m, ev = a_small_eval
    gaps = {g.indicator: g for g in next_class_gap(explain(ev, m, uscc=U[0], year=2024), m)}
    # next class C starts 30 points higher: tax item 30 → 60 needs 10 万元/亩 (+100 %)
    assert gaps["tax_per_mu"].reachable and gaps["tax_per_mu"].needed_value == pytest.approx(1e5)
    assert gaps["tax_per_mu"].increase_pct == pytest.approx(100.0)
    # value added is capped at 1 × 40 and already scores 40 × 150/100 → capped: cannot add
    assert not gaps["va_per_mu"].reachable and "not reachable" in gaps["va_per_mu"].note
