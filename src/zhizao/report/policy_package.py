"""An enterprise's policy service package (企业政策服务包): every policy of the library for one
enterprise and year — those it qualifies for (amount and basis), those it nearly qualifies for
(with the gap to qualify), those that need data it lacks, and those out of reach.

* ``build_package`` gathers the data (plain, JSON-serialisable dicts; one enterprise, so plain
  Python over its policies and rules): each policy's evaluation row, explanation
  (``zhizao.policy.explain``) and gap (``zhizao.policy.gap``).
* ``package_rows`` flattens it to the rows of the warehouse table ``result_policy_package``.
* ``render_html`` renders it with the Jinja2 template ``templates/policy_package.html.j2``
  (Chinese by default, English with ``lang="en"``; a synthetic-data line when the enterprise is
  synthetic).
* ``write_pdf`` writes a PDF with WeasyPrint only if WeasyPrint is importable and a CJK font is
  installed (``fc-list :lang=zh``); otherwise it raises ``PdfUnavailable`` saying which is missing.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import subprocess
from pathlib import Path

__all__ = ["build_package", "package_rows", "render_html", "write_pdf", "pdf_unavailable_reason",
           "PdfUnavailable", "TEMPLATE"]

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
        "none": "无", "status_only": "资格认定（无直接资金）", "conflict": "条款冲突，待主管部门裁定",
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
        "none": "none", "status_only": "status (no direct payment)", "conflict": "conflicting clauses: needs a decision",
        "note": "Computed automatically from the rules; the issuing department's decision prevails. "
                "Each basis cites the clause.",
    },
}


class PdfUnavailable(RuntimeError):
    """A PDF cannot be written here; the message says what is missing and how to get it."""


def policies_for_year(library, year: int) -> list:
    """The version of every policy of ``library`` valid in ``year`` (policies without one are left out)."""
    from zhizao.policy.explain import _library_get

    out = []
    for pid in library:
        p = _library_get(library, pid, year)
        if p is not None:
            out.append(p)
    return out


def build_package(tables: dict, uscc: str, *, year: int, library, synthetic: bool | None = None) -> dict:
    """The service package of ``uscc`` for ``year`` over every policy of ``library`` valid that year.

    A policy that cannot be evaluated (e.g. it needs an input the warehouse lacks) is listed under
    ``errors`` with the message; the others are sorted into ``qualified``, ``near`` (not eligible,
    but every failed condition can be changed by the enterprise), ``unknown`` (missing data or a
    conflict) and ``out`` (a failed condition it cannot change).
    """
    from zhizao.policy import PolicyError, evaluate
    from zhizao.policy.explain import _rows, enterprise_inputs, explain
    from zhizao.policy.gap import gap

    ent = tables["enterprises"]
    info = _rows(ent.filter(ent.uscc == uscc).select("uscc", "name", "region_code", "industry_code"))
    if not info:
        raise KeyError(f"no enterprise with USCC {uscc} in the warehouse")
    info = info[0]
    if synthetic is None:
        from zhizao.data.synth.names import SYNTHETIC_MARK

        synthetic = SYNTHETIC_MARK in (info.get("name") or "")
    inputs = enterprise_inputs(tables, uscc, year)
    verdicts: dict[str, str | None] = {}
    reachable: dict[str, bool] = {}
    pkg = {"uscc": uscc, "name": info.get("name"), "region_code": info.get("region_code"),
           "industry_code": info.get("industry_code"), "year": year, "synthetic": bool(synthetic),
           "generated_on": _dt.date.today().isoformat(), "qualified": [], "near": [], "unknown": [], "out": [],
           "errors": [], "total_amount_yuan": 0.0}
    policies = policies_for_year(library, year)
    for policy in _dependency_order(policies, library):
        try:
            ev = evaluate(tables, policy, year=year, library=library)
            sub = ev.filter(ev.uscc == uscc)
            tree = explain(tables, policy, uscc=uscc, year=year, library=library, evaluation=sub, inputs=inputs,
                           required={k: verdicts.get(k) for k in verdicts})
        except KeyError:
            verdicts[policy.id] = None
            pkg["errors"].append(_head(policy) | {"message": f"{uscc} has no indicators for {year}"})
            continue
        except (PolicyError, ValueError) as e:
            verdicts[policy.id] = None
            pkg["errors"].append(_head(policy) | {"message": str(e)})
            continue
        verdicts[policy.id] = tree["verdict"]
        g = gap(tree, policy, reachable=reachable)
        reachable[policy.id] = tree["verdict"] != "not_eligible" or g["reachable"]
        entry = _head(policy) | {
            "verdict": tree["verdict"], "route": tree["route"],
            "route_name_zh": _route_name(tree, "zh"), "route_name_en": _route_name(tree, "en"),
            "score": tree["score"], "amount_yuan": (tree["benefit"] or {}).get("amount_yuan"),
            "has_benefit": tree["benefit"] is not None,
            "within_budget": (tree["budget"] or {}).get("within_budget"),
            "basis": _basis(tree), "not_checked": tree["not_decidable"], "missing": tree["missing"],
            "conflict": tree["conflict"], "fixed": g["fixed"], "gap": g, "explanation": tree,
        }
        if tree["verdict"] == "eligible":
            pkg["qualified"].append(entry)
            if entry["amount_yuan"] is not None and entry["within_budget"] is not False:
                pkg["total_amount_yuan"] += entry["amount_yuan"]
        elif tree["verdict"] in ("unknown", "conflict"):
            pkg["unknown"].append(entry)
        elif g["reachable"]:
            pkg["near"].append(entry)
        else:
            pkg["out"].append(entry)
    return pkg


def _dependency_order(policies: list, library) -> list:
    """Policies ordered so that the ones another reads come first (loops over policies only)."""
    from zhizao.policy import dependencies

    ids = {p.id for p in policies}
    deps = {}
    for p in policies:
        try:
            deps[p.id] = set(getattr(dependencies(p, library), "policies", ()) or ()) & ids
        except Exception:
            deps[p.id] = set()
    done: list = []
    seen: set[str] = set()
    by_id = {p.id: p for p in policies}

    def visit(pid, stack=()):
        if pid in seen or pid in stack:
            return
        for d in sorted(deps.get(pid, ())):
            visit(d, (*stack, pid))
        seen.add(pid)
        done.append(by_id[pid])

    for p in sorted(policies, key=lambda x: x.id):
        visit(p.id)
    return done


def _head(policy) -> dict:
    return {"policy_id": policy.id, "version": str(getattr(policy, "version", "") or ""),
            "name_zh": policy.name_zh, "name_en": policy.name_en, "issuer": getattr(policy, "issuer", "") or "",
            "source": policy.source}


def _route_name(tree: dict, lang: str) -> str | None:
    r = next((r for r in tree["eligibility"]["routes"] if r["taken"]), None)
    return None if r is None else (r["name_zh"] if lang == "zh" else r["name_en"])


def _basis(tree: dict) -> list[str]:
    """The clauses an eligible verdict rests on: the policy, the floor rules and the taken route."""
    out = [tree["policy"]["source"]]
    by_id = {s["id"]: s for s in tree["rules"]}
    for f in tree["eligibility"]["floor"]:
        s = by_id.get(f["id"])
        if s and s["source"] and s["source"] not in out:
            out.append(s["source"])
    for r in tree["eligibility"]["routes"]:
        if r["taken"]:
            src = (tree["scores"] or {}).get("source") if r["kind"] == "score" else by_id.get(r["rule"], {}).get("source")
            if src and src not in out:
                out.append(src)
    if tree["benefit"] and tree["benefit"]["source"] not in out:
        out.append(tree["benefit"]["source"])
    return out


def package_rows(pkg: dict):
    """The package as rows of ``result_policy_package`` (pyarrow): one per policy."""
    import json

    import pyarrow as pa

    rows = []
    for section in ("qualified", "near", "unknown", "out", "errors"):
        for e in pkg[section]:
            g = e.get("gap") or {}
            rows.append({
                "uscc": pkg["uscc"], "name": pkg["name"], "year": pkg["year"], "policy_id": e["policy_id"],
                "version": e["version"], "section": section, "verdict": e.get("verdict"), "route": e.get("route"),
                "score": e.get("score"), "amount_yuan": e.get("amount_yuan"), "within_budget": e.get("within_budget"),
                "missing": ";".join(e.get("missing") or []),
                "fixed": ";".join(f["rule"] for f in e.get("fixed") or []),
                "gap_json": json.dumps(g, ensure_ascii=False) if g else None,
                "message": e.get("message"), "synthetic": pkg["synthetic"],
                "generated_on": pkg["generated_on"],
            })
    schema = pa.schema([("uscc", pa.string()), ("name", pa.string()), ("year", pa.int64()),
                        ("policy_id", pa.string()), ("version", pa.string()), ("section", pa.string()),
                        ("verdict", pa.string()), ("route", pa.string()), ("score", pa.float64()),
                        ("amount_yuan", pa.float64()), ("within_budget", pa.bool_()), ("missing", pa.string()),
                        ("fixed", pa.string()), ("gap_json", pa.string()), ("message", pa.string()),
                        ("synthetic", pa.bool_()), ("generated_on", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def render_html(pkg: dict, lang: str = "zh") -> str:
    """The package as a standalone HTML page (zh or en)."""
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
