"""An enterprise's policy service package (企业政策服务包) rendered: the HTML page and its PDF.

The package itself — every policy of the library for one enterprise and year, sorted into
sections — is computed by ``zhizao.services.policy.package`` (a ``PolicyPackage``); this module
only renders it:

* ``render_html`` renders it with the Jinja2 template ``templates/policy_package.html.j2``
  (Chinese by default, English with ``lang="en"``; a synthetic-data line when the enterprise is
  synthetic; the policies of other regions listed apart).
* ``write_pdf`` writes a PDF with WeasyPrint only if WeasyPrint is importable and a CJK font is
  installed (``fc-list :lang=zh``); otherwise it raises ``PdfUnavailable`` (a
  ``zhizao.errors.Unavailable``) saying which is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from zhizao.errors import Unavailable

__all__ = ["render_html", "write_pdf", "pdf_unavailable_reason", "PdfUnavailable", "TEMPLATE", "TEXT"]

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "policy_package.html.j2"

TEXT = {
    "zh": {
        "title": "企业政策服务包", "enterprise": "企业", "uscc": "统一社会信用代码", "region": "所在区县",
        "year": "评价年度", "generated": "生成日期", "synthetic": "本报告数据为合成数据（非真实企业）",
        "qualified": "已符合的政策（免申即享）", "near": "接近符合的政策（差距分析）",
        "unknown": "需补充数据后判定的政策", "out": "暂不符合的政策", "errors": "未能评估的政策",
        "policy": "政策", "issuer": "发文机关", "route": "认定途径", "amount": "兑现金额", "basis": "依据",
        "total": "可享兑现金额合计", "missing": "缺失数据", "reasons": "未满足且企业无法改变的条件",
        "not_checked": "未核验条件（数据无法判断，需人工核实）", "budget_out": "（超出年度预算排序，可能无法兑现）",
        "needs_run": "需先计算其他分析结果的政策", "command": "计算命令",
        "other_region": "其他地区的政策（不适用于本企业所在地，未评估）", "applies_to": "适用地区",
        "not_charged": "不适用：未被加收", "none": "无", "status_only": "资格认定（无直接资金）", "conflict": "条款冲突，待主管部门裁定",
        "note": "本服务包由规则自动计算，结论以主管部门认定为准；各项依据见政策条款。",
    },
    "en": {
        "title": "Policy service package", "enterprise": "Enterprise", "uscc": "USCC", "region": "County",
        "year": "Year", "generated": "Generated on", "synthetic": "Synthetic data: not a real enterprise",
        "qualified": "Policies it qualifies for (no application needed)",
        "near": "Policies it nearly qualifies for (gap to qualify)",
        "unknown": "Policies that need more data", "out": "Policies out of reach for now",
        "errors": "Policies that could not be evaluated",
        "policy": "Policy", "issuer": "Issuer", "route": "Route", "amount": "Amount", "basis": "Basis",
        "total": "Total amount", "missing": "Missing inputs", "reasons": "Failed conditions it cannot change",
        "not_checked": "Not checked (the data cannot decide; verify by hand)",
        "budget_out": "(outside the yearly budget ranking: may not be paid)",
        "needs_run": "Policies that need another analysis computed first", "command": "command",
        "other_region": "Policies of other regions (they do not apply where the enterprise is; not evaluated)",
        "applies_to": "Applies in",
        "not_charged": "does not apply: not charged", "none": "none", "status_only": "status (no direct payment)", "conflict": "conflicting clauses: needs a decision",
        "note": "Computed automatically from the rules; the issuing department's decision prevails. "
                "Each basis cites the clause.",
    },
}


class PdfUnavailable(Unavailable):
    """A PDF cannot be written here; the message says what is missing and how to get it."""

    def __init__(self, reason: str):
        super().__init__(reason, reason, where="--pdf")


def render_html(pkg, lang: str = "zh") -> str:
    """The package (``zhizao.services.policy.PolicyPackage``) as a standalone HTML page (zh or en)."""
    import jinja2

    from zhizao.policy.explain import VERDICT_EN, VERDICT_ZH, format_value
    from zhizao.policy.gap import render_gap

    if lang not in TEXT:
        raise ValueError(f"lang {lang!r}: choose zh or en")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["j2", "html"]),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["money"] = lambda v: format_value(v, "money", lang)
    env.filters["gap_lines"] = lambda g: [((len(x) - len(x.lstrip())) / 2, x.strip())
                                          for x in render_gap(g, lang).splitlines()[1:]]
    env.filters["verdict"] = lambda v: (VERDICT_ZH if lang == "zh" else VERDICT_EN).get(v, v or "")
    return env.get_template(TEMPLATE).render(p=pkg, t=TEXT[lang], lang=lang, zh=lang == "zh")


def _cjk_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def pdf_unavailable_reason() -> str | None:
    """Why a PDF cannot be written here (None when it can)."""
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return ("PDF not written: WeasyPrint is not installed (pip install weasyprint, which also needs the "
                "Pango libraries); the HTML page can be printed to PDF from a browser")
    except OSError as e:   # WeasyPrint present but its system libraries are not
        return f"PDF not written: WeasyPrint cannot load its system libraries ({e})"
    if not _cjk_fonts():
        return ("PDF not written: no CJK font found (fc-list :lang=zh lists none); install one, e.g. "
                "apt-get install fonts-noto-cjk, or print the HTML page to PDF from a browser")
    return None


def write_pdf(html: str, path: str | Path) -> Path:
    """Write ``html`` as a PDF with WeasyPrint; ``PdfUnavailable`` when it cannot be done here."""
    reason = pdf_unavailable_reason()
    if reason is not None:
        raise PdfUnavailable(reason)
    import weasyprint

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path))
    return path
