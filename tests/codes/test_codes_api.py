"""The public face of zhizao.codes: exports, docs coverage, doctests."""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import pytest

import zhizao.codes as codes
from zhizao.codes import groupings, industries, regions, uscc

DOCS = Path(__file__).resolve().parents[2] / "docs" / "codes.md"


@pytest.mark.parametrize("name", sorted(codes.__all__))
def test_public_name_is_exported_and_documented(name):
    obj = getattr(codes, name)
    assert f"`{name}" in DOCS.read_text(encoding="utf-8"), f"{name} missing from docs/codes.md"
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert inspect.getdoc(obj), f"{name} has no docstring"


@pytest.mark.parametrize("module", [industries, groupings, regions, uscc], ids=lambda m: m.__name__)
def test_module_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize(
    ("module", "standard"),
    [(industries, "GB/T 4754-2017"), (groupings, "国统字〔2017〕200号"), (regions, "GB/T 2260"),
     (uscc, "GB 32100-2015")],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_module_docstring_cites_its_standard(module, standard):
    assert standard in module.__doc__


def test_docs_state_the_counts_of_each_table():
    text = DOCS.read_text(encoding="utf-8")
    for fragment in ("| C | 制造业 manufacturing | 31 (13–43) | 179 | 609 |", "3,048 counties", "269", "86"):
        assert fragment in text
