"""The 亩均-class differential price (policy-methods.md §1.5) as a policy over the land lever's
result is shipped as a draft (src/zhizao/methods/policies/land_differential_price.yaml.draft): the
engine reads only `enterprises` and `indicators`, so `land_class` and `years_in_class` (from
result_land_evaluation) are unknown names. This test pins that gap: when the engine learns to read
the land result, it fails, and the draft should be renamed to .yaml and tested like the others."""

from __future__ import annotations

from pathlib import Path

import pytest

import zhizao
from zhizao.policy import PolicyError, available_policies, parse_policy

DRAFT = Path(zhizao.__file__).parent / "methods" / "policies" / "land_differential_price.yaml.draft"


def test_draft_is_not_part_of_the_library():
    assert DRAFT.is_file()
    assert "land_differential_price" not in available_policies()


def test_draft_fails_only_on_the_land_result_names():
    with pytest.raises(PolicyError) as e:
        parse_policy(DRAFT.read_text(encoding="utf-8"), origin=DRAFT.name)
    msg = str(e.value)
    assert "land_class" in msg or "years_in_class" in msg
