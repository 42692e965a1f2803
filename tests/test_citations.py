"""Citations users see name the official text or a file in the repository (issue 11, deliverable 7).

The shipped package (every file under ``src/zhizao``), the docs (``docs/*.md``) and the README
must not cite the project's working notes, which users do not have: ``policy-methods.md``,
``anchors.md``, ``calibration.md``, ``service-anchors.md``, ``text-and-matching.md``,
``ecosystem.md``, the design notes ``ARCHITECTURE.md`` / ``STYLE.md`` (the repository's own is
``docs/architecture.md``), the notes' shorthand ``cal §n``, or any path through ``shared/``.
A source is the document itself (its number and article, the bulletin, the paper) or, where
none exists, the plain statement that the value is an assumption.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "zhizao"

#: Kinds of shipped file the scan reads (all text).
SCANNED_SUFFIXES = {".py", ".yaml", ".yml", ".csv", ".j2", ".html", ".md", ".txt", ".json", ".toml", ".css", ".js",
                    ".mako"}

#: What a shipped file may not cite, with the reason shown on failure.
FORBIDDEN = [
    (re.compile(r"policy-methods\.md"), "working note policy-methods.md"),
    (re.compile(r"(?<![\w-])anchors\.md"), "working note anchors.md"),
    (re.compile(r"service-anchors\.md"), "working note service-anchors.md"),
    (re.compile(r"calibration\.md"), "working note calibration.md"),
    (re.compile(r"text-and-matching\.md"), "working note text-and-matching.md"),
    (re.compile(r"ecosystem\.md"), "working note ecosystem.md"),
    (re.compile(r"ARCHITECTURE\.md"), "design note ARCHITECTURE.md (cite docs/architecture.md)"),
    (re.compile(r"STYLE\.md"), "design note STYLE.md"),
    (re.compile(r"(?<![\w.-])shared/"), "a path through shared/"),
    (re.compile(r"\bcal §"), "the calibration note's shorthand 'cal §'"),
]


def shipped_files() -> list[Path]:
    """Every file of the package (without bytecode caches), the docs and the README."""
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += sorted((ROOT / "docs").glob("*.md"))
    files.append(ROOT / "README.md")
    return sorted(files)


def violations(text: str) -> list[tuple[int, str, str]]:
    """(line number, reason, line) for every forbidden citation in ``text``."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, reason in FORBIDDEN:
            if pattern.search(line):
                found.append((number, reason, line.strip()))
    return found


def test_the_scan_covers_the_package_the_docs_and_the_readme():
    names = {p.relative_to(ROOT).as_posix() for p in shipped_files()}
    for expected in ("src/zhizao/methods/policies/above_scale.yaml",
                     "src/zhizao/methods/synth/zhejiang.yaml",
                     "src/zhizao/codes/data/groupings.yaml",
                     "src/zhizao/data/schema.py",
                     "docs/policy.md",
                     "README.md"):
        assert expected in names, expected
    assert any(n.endswith(".j2") for n in names)
    assert any(n.endswith(".csv") for n in names)


def test_every_shipped_file_is_of_a_kind_the_scan_reads():
    unread = [p.relative_to(ROOT).as_posix() for p in shipped_files()
              if p.suffix not in SCANNED_SUFFIXES]
    assert not unread, f"files the citation scan does not read (add their suffix): {unread}"


@pytest.mark.parametrize("cited", [
    "policy-methods.md §3", "anchors.md §7", "../shared/methods/anchors.md", "calibration.md §2",
    "service-anchors.md", "text-and-matching.md", "shared/ecosystem.md", "ARCHITECTURE.md §1",
    "STYLE.md 1.1", "see shared/methods", "cal §4",
])
def test_the_scan_catches_each_kind_of_note_citation(cited):
    assert violations(f'source: "a figure ({cited}) [C]"')


@pytest.mark.parametrize("allowed", [
    "工信部企业〔2022〕63号 附件1 [C-3p]", "src/zhizao/methods/synth/zhejiang.yaml, key clusters",
    "docs/architecture.md, principle 1", "assumption, not from an official text [U]",
    "shares of the 11-city sum (163.com)",
])
def test_the_scan_allows_official_texts_and_repository_files(allowed):
    assert not violations(f'source: "{allowed}"')


def test_no_shipped_file_cites_a_document_users_do_not_have():
    problems = []
    for path in shipped_files():
        if path.suffix not in SCANNED_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8")
        for number, reason, line in violations(text):
            problems.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {reason}: {line}")
    assert not problems, "citations of documents outside the repository:\n" + "\n".join(problems)
