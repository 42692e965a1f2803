"""Reason codes for rejected rows (隔离原因), and the cell spellings import understands.

Reason codes are stable snake_case identifiers stored in ``quarantine.reason_code``; the zh/en
texts are what a user reads. A more specific detail (for example the USCC checker's reason) is
appended after a colon. docs/data-format.md lists them (generated from this module).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str
    explain: str  # one line for docs/data-format.md


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason("missing_required", "必填项为空", "required value is missing",
               "a required column is empty in this row"),
        Reason("bad_number", "不是有效数字", "not a valid number",
               "text, or a non-integer in an integer column, where a number is expected"),
        Reason("bad_date", "不是有效日期", "not a valid date",
               "a date that cannot be read, or does not exist (2023-02-30)"),
        Reason("bad_bool", "不是有效的是/否值", "not a valid yes/no value",
               "a yes/no column holds something other than the accepted spellings"),
        Reason("out_of_range", "超出允许范围", "out of the allowed range",
               "outside the column's minimum/maximum (after unit conversion), e.g. negative revenue"),
        Reason("not_allowed", "不是允许的取值", "not one of the allowed values",
               "a column with a fixed list of values holds another value"),
        Reason("bad_uscc", "统一社会信用代码无效", "invalid USCC",
               "fails GB 32100-2015 (length, alphabet, check characters); the detail says which"),
        Reason("unknown_industry", "行业代码无效", "unknown industry code",
               "not a GB/T 4754-2017 code at the level the column needs"),
        Reason("unknown_region", "行政区划代码无效", "unknown region code",
               "not a current GB/T 2260 code at the level the column needs"),
        Reason("duplicate_in_file", "文件内重复", "duplicate within the file",
               "the natural key already appeared earlier in the same file; the detail names that row"),
        Reason("unknown_enterprise", "企业不在企业名录中", "enterprise not in the register",
               "the USCC is neither in the warehouse nor among the enterprises of the same import"),
        Reason("implausible", "数值不合常理", "implausible value",
               "fails a cross-field check (see 'Plausibility checks')"),
        Reason("bad_row", "列数与表头不一致", "row has more fields than the header",
               "a CSV record with extra non-empty fields beyond the header"),
        Reason("out_of_scope", "超出上传者的辖区", "outside the uploader's jurisdiction",
               "web upload by an official: the row's region (or the stored region of the enterprise or parcel "
               "it names) lies outside the official's jurisdiction"),
    )
}


def reason_texts(code: str, detail: str | None = None) -> tuple[str, str]:
    """(zh, en) text for a reason code; ``detail`` is "中文 / English" or a single text."""
    r = REASONS[code]
    if not detail:
        return r.zh, r.en
    zh, en = split_bilingual(detail)
    return f"{r.zh}：{zh}", f"{r.en}: {en}"


def split_bilingual(text: str) -> tuple[str, str]:
    """Split "中文 / English" at the last " / " (the code checkers' convention)."""
    if " / " in text:
        zh, en = text.rsplit(" / ", 1)
        return zh.strip(), en.strip()
    return text, text


#: cell texts read as empty (after trimming; compared case-insensitively)
NULL_TOKENS: tuple[str, ...] = ("", "-", "--", "---", "—", "——", "－", "–", "/", "n/a", "na", "null",
                                "none", "nan", "#n/a", "空")
#: cell texts read as yes / no in yes/no columns (after NFKC and lower-casing)
TRUE_TOKENS: tuple[str, ...] = ("是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "有", "对")
FALSE_TOKENS: tuple[str, ...] = ("否", "n", "no", "false", "f", "0", "×", "✗", "✘", "无", "不是")
#: first words of a notes row under the header (the template writes one)
NOTE_PREFIXES: tuple[str, ...] = ("必填", "选填", "可选", "非必填", "required", "optional", "说明", "注：",
                                  "注:", "填写说明")
