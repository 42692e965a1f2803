"""The demo's summary (what `zhizao demo` prints and writes to ``summary.md``), rendered from a
``zhizao.services.demo.DemoResult``: rendering only, every figure comes from the result."""

from __future__ import annotations

from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_label
from zhizao.services.data import SYNTHETIC_BANNER

__all__ = ["lines", "markdown", "write_files"]


def write_files(r) -> list:
    """Write ``summary.json`` and ``summary.md`` under the demo's folder (paths kept on ``r``)."""
    import json

    r.summary_json = r.out_dir / "summary.json"
    r.summary_json.write_text(json.dumps({
        "note": SYNTHETIC_BANNER, "year": r.year, "seed": r.seed, "counts": r.counts,
        "import": r.import_report.to_dict(), "calibration": [x.to_dict() for x in r.calibration],
        "results": r.summaries, "runs": [x.to_dict() for x in r.runs],
    }, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    r.summary_md = r.out_dir / "summary.md"
    r.summary_md.write_text(markdown(r), encoding="utf-8")
    r.files += [r.summary_json, r.summary_md]
    return [r.summary_json, r.summary_md]


def lines(r) -> list[str]:
    """The lines `zhizao demo` prints: what was built, one line per lever, where to look."""
    s = r.summaries
    c = r.counts
    out = [SYNTHETIC_BANNER,
           f"Province built: {c['enterprises']:,} enterprises, {c['indicators']:,} indicator rows, "
           f"{c['parcels']:,} parcels, {c['links']:,} supply links, {c['monthly_stats']:,} monthly rows."]
    if s.get("province_summary"):
        p = s["province_summary"][0]
        share = (p["above_scale_revenue"] or 0) / p["revenue"] if p["revenue"] else 0.0
        out.append(f"{r.year}: {p['above_scale_enterprises']:,} 规上 enterprises with {share:.1%} of revenue; "
                   f"value added {(p['value_added'] or 0) / 1e8:,.1f} 亿元.")
    t = r.import_report.totals
    out.append(f"Import: {t['inserted']:,} rows inserted, {t['quarantined']:,} quarantined.")
    out.append(f"Calibration: {sum(x.ok for x in r.calibration)}/{len(r.calibration)} targets met "
               f"(see {r.summary_md}).")
    for line in (_land_line(s), _cluster_line(s), _chain_line(s), _policy_line(s)):
        if line:
            out.append(line)
    out.append(f"Runs recorded: {len(r.runs)} (table result_runs; every result row carries its run_id).")
    out += ["", "Where to look:"]
    places = [(r.summary_md, "summary tables and calibration (Markdown)"), (r.summary_json, "the same as JSON"),
              (r.data_dir, "the synthetic province as Parquet files"),
              (r.template_path, "the XLSX template to bring your own data"),
              (r.db_path, f"the warehouse: `zhizao tables --db {r.db_path}`")]
    width = max(len(str(p)) for p, _ in places)
    out += [f"  {str(p):<{width}}  {what}" for p, what in places]
    return out


def _land_line(s: dict) -> str | None:
    if "land_classes_by_segment" not in s:
        return None
    classes: dict[str, int] = {}
    for r in s["land_classes_by_segment"]:
        if r["land_class"]:
            classes[r["land_class"]] = classes.get(r["land_class"], 0) + r["firms"]
    low = next((r for r in s.get("land_lowland_by_reason", []) if r["reason"] == "any"), None)
    text = "亩均效益 classes: " + " / ".join(f"{c} {n:,}" for c, n in sorted(classes.items()))
    if low:
        text += f"; low-efficiency land: {low['parcels']:,} parcels, {low['area_mu']:,.0f} 亩"
    return text + " (`zhizao land explain USCC` tells why)."


def _cluster_line(s: dict) -> str | None:
    if "cluster_diagnosis" not in s:
        return None
    rows = s["cluster_diagnosis"]
    weak = [r["name_zh"] for r in rows if r["verdict"] == "大而不强"]
    return (f"Clusters: {len(rows)} county clusters profiled; 大而不强 (big but not strong): "
            f"{'、'.join(weak) or 'none'} (`zhizao clusters show zhuji_socks --clusters synthetic` tells why).")


def _chain_line(s: dict) -> str | None:
    if "chain_top_chokepoints" not in s:
        return None
    cps = s["chain_top_chokepoints"]
    res = [r for r in s.get("chain_cluster_resilience", []) if r["rank"] is not None]
    weakest = max(res, key=lambda r: r["rank"]) if res else None
    text = f"Supply chains: {len(cps)} top chokepoints (卡脖子)"
    if cps:
        text += (f", first: product class {cps[0]['product']} {industry_name(cps[0]['product'], '')} "
                 f"({cps[0]['suppliers']} supplier(s))")
    if weakest:
        text += f"; least resilient cluster: {weakest['name']}"
    return text + " (`zhizao chains shock --county 330481 --capacity 0.5` simulates a shock)."


def _policy_line(s: dict) -> str | None:
    if "policy_reach" not in s:
        return None
    parts = [f"{r['name_zh']} {r['eligible']:,}" for r in s["policy_reach"] if r.get("eligible") is not None]
    elsewhere = [r for r in s["policy_reach"] if r.get("status") == "other_region"]
    needs = [r for r in s["policy_reach"] if r.get("status") == "needs_run"]
    text = "Policies (eligible without applying): " + "; ".join(parts)
    if needs:
        text += f"; {len(needs)} need a run first ({'; '.join(r['policy_id'] + ': ' + r['note'] for r in needs)})"
    if elsewhere:
        text += ("; listed apart, other regions' policies: "
                 + ", ".join(f"{r['policy_id']} ({region_label(r['applies_to'], with_code=False)})" for r in elsewhere))
    return text + " (`zhizao policy explain ID USCC` tells why; `zhizao package USCC` builds the package)."


def _f(v, spec=".2f") -> str:
    return "—" if v is None else format(v, spec)


def markdown(r) -> str:
    """``summary.md``: the warehouse, the import, each lever's summary tables, the runs, the
    calibration."""
    s, year = r.summaries, r.year
    md = [f"# zhizao demo province — {year}", "", f"> {SYNTHETIC_BANNER}", "", "## Warehouse", "",
          "| table | rows |", "|---|---:|"]
    md += [f"| {k} | {v:,} |" for k, v in r.counts.items()]
    md += ["", "## Import", ""] + [f"- {x}" for x in r.import_report.summary_lines()]
    if "totals_by_prefecture" in s:
        md += ["", "## Totals by prefecture (规上 = registry flag)", "",
               "| prefecture | enterprises | 规上 | revenue (亿元) | value added (亿元) | taxes (亿元) |",
               "|---|---:|---:|---:|---:|---:|"]
        for x in s["totals_by_prefecture"]:
            md.append(f"| {x['prefecture']} {region_label(x['prefecture'], with_code=False) if x['prefecture'] else ''} | "
                      f"{x['enterprises']:,} | {x['above_scale_enterprises']:,} | {(x['revenue'] or 0) / 1e8:,.1f} | "
                      f"{(x['value_added'] or 0) / 1e8:,.1f} | {(x['taxes'] or 0) / 1e8:,.1f} |")
    if "land_classes_by_segment" in s:
        md += ["", f"## 亩均效益 classes {year} (method zhejiang-county-default; table result_land_evaluation)", "",
               "| segment | class | firms | land (亩) |", "|---|---|---:|---:|"]
        md += [f"| {x['segment']} | {x['land_class'] or '不定等级 not graded'} | {x['firms']:,} | "
               f"{x['area_mu'] or 0:,.0f} |" for x in s["land_classes_by_segment"]]
    low = s.get("land_lowland_by_reason")
    if low is not None:
        md += ["", "## Low-efficiency land by reason (table result_land_lowland_totals)", ""]
        if low:
            keys = [k for k in low[0] if k != "reason"]
            md += ["| reason | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
            md += ["| " + x["reason"] + " | " + " | ".join(
                f"{x[k]:,.0f}" if isinstance(x[k], (int, float)) else str(x[k]) for k in keys) + " |" for x in low]
        else:
            md.append("(none)")
    if "cluster_diagnosis" in s:
        md += ["", f"## Clusters {year}: tiers and the 大而不强 diagnosis (tables result_cluster_*)", "",
               "| cluster | tier | scale pct | strength pct | verdict | weak dimensions |", "|---|---|---:|---:|---|---|"]
        md += [f"| {x['name_zh']} ({x['cluster_id']}) | {x['tier_zh']} | {_f(x['scale_percentile'], '.0f')} | "
               f"{_f(x['strength_percentile'], '.0f')} | {x['verdict']} | {x['weak_dimensions'] or ''} |"
               for x in s["cluster_diagnosis"]]
    if "cluster_top_specialisations" in s:
        md += ["", f"## Strongest specialisations {year} (county × division, employees; LQ, share of the industry "
                   "≥ 5 %)", "", "| county | division | employees | LQ | share of the industry | relatedness density |",
               "|---|---|---:|---:|---:|---:|"]
        md += [f"| {region_label(x['region_code'])} | {x['industry_code']} {industry_name(x['industry_code'], '')} | "
               f"{x['value']:,.0f} | {x['lq']:.2f} | {x['share_of_industry']:.1%} | {_f(x['density'])} |"
               for x in s["cluster_top_specialisations"]]
    if "chain_top_chokepoints" in s:
        md += ["", f"## Supply chains {year}: chokepoints (卡脖子) by dependent output (table "
                   "result_chain_chokepoints)", "",
               "| rank | product class | suppliers | outside the province | only outside | dependent output (亿元) |",
               "|---:|---|---:|---:|---|---:|"]
        md += [f"| {x['rank']} | {x['product']} {industry_name(x['product'], '')} | {x['suppliers']} | "
               f"{x['outside_suppliers']} | {'yes' if x['outside_only'] else 'no'} | "
               f"{(x['dependent_output'] or 0) / 1e8:,.2f} |" for x in s["chain_top_chokepoints"]]
    if "chain_cluster_resilience" in s:
        md += ["", "## Cluster resilience (拆不散 cohesion, 搬不走 embeddedness, 压不垮 absorption; table "
                   "result_chain_resilience)", "", "| rank | cluster | cohesion | embeddedness | absorption | "
                   "resilience |", "|---:|---|---:|---:|---:|---:|"]
        md += [f"| {x['rank']} | {x['name']} | {_f(x['cohesion'])} | {_f(x['embeddedness'])} | {_f(x['absorption'])} | "
               f"{_f(x['resilience'])} |" for x in sorted(s["chain_cluster_resilience"], key=lambda x: x["rank"] or 99)]
    if "policy_reach" in s:
        md += ["", f"## Policies {year}: who is reached without applying (免申即享; tables result_policy_<id>)", "",
               "| policy | applies to | eligible | not eligible | unknown (an input missing) | conflict | "
               "benefit (万元) | note |", "|---|---|---:|---:|---:|---:|---:|---|"]
        for x in s["policy_reach"]:
            where = x.get("applies_to") or "national"
            where = region_label(where, with_code=False) if where != "national" else "全国 national"
            if x.get("eligible") is None:
                md.append(f"| {x['name_zh']} ({x['policy_id']}) | {where} | — | — | — | — | — | {x.get('note') or ''} |")
                continue
            md.append(f"| {x['name_zh']} ({x['policy_id']}) | {where} | {x['eligible']:,} | {x['not_eligible']:,} | "
                      f"{x['unknown']:,} | {x['conflict']:,} | {(x['benefit_yuan'] or 0) / 1e4:,.0f} | "
                      f"{x.get('note') or ''} |")
    if r.runs:
        md += ["", "## Runs (table result_runs: where every figure above came from)", "",
               "| run | lever | analysis | method | years | rows |", "|---|---|---|---|---|---:|"]
        md += [f"| {x.run_id} | {x.lever} | {x.analysis} | {x.method_id or '—'}"
               f"{('@' + x.method_version) if x.method_version else ''} | {','.join(map(str, x.years))} | "
               f"{x.row_count:,} |" for x in r.runs]
    md += ["", "## Calibration: target and achieved", "", "| figure | target | achieved | ok | status | source |",
           "|---|---|---|---|---|---|"]
    md += [f"| {x.name} | {x.target_text} | {x.achieved_text} | {'✓' if x.ok else '✗'} | {x.status} | {x.source} |"
           for x in r.calibration]
    return "\n".join(md) + "\n"
