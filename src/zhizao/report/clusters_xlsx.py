"""Cluster analytics as XLSX workbooks with Chinese headers (产业集群分析报表).

Rendering only: writes the results of ``zhizao.services.clusters`` (``IndicesResult``,
``DiagnoseResult``) as they are, with Chinese headers and names for the codes (money yuan → 亿元,
shares → %). Every sheet opens with a header block (title, year, what the matrix counts, the run
the figures belong to, and for synthetic data the line ``本表数据为合成数据 / synthetic data``).

* :func:`write_indices_xlsx` — sheets 地区产业指标 (cells), 地区指标 (regions), 行业指标
  (industries), 说明 (what each column means);
* :func:`write_diagnosis_xlsx` — sheets 集群画像 (profiles), 梯度 (tiers with the rule),
  诊断 (scale and strength percentiles, verdict), 短板 (weak dimensions against the benchmarks).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from zhizao.codes.industries import industry_name
from zhizao.codes.regions import region_full_name
from zhizao.report.safe_cells import neutralise_workbook
from zhizao.report.xlsx_common import write_header

__all__ = ["CELL_HEADERS", "INDUSTRY_HEADERS", "REGION_HEADERS", "write_diagnosis_xlsx", "write_indices_xlsx"]

#: column → (Chinese header, display factor); a factor of 100 shows a share as %.
CELL_HEADERS = {
    "year": ("年度", None), "region_code": ("地区代码", None), "region_name": ("地区", None),
    "industry_code": ("行业代码", None), "industry_name": ("行业", None), "value": ("规模", None),
    "share_of_region": ("占本地区比重（%）", 100), "share_of_industry": ("占全行业比重（%）", 100),
    "lq": ("区位商", None), "rca": ("显性比较优势RCA", None), "mcp": ("是否专业化（RCA≥1）", None),
    "density": ("关联密度", None), "cog": ("复杂度前景收益COG", None), "value_base": ("基期规模", None),
    "growth": ("增长率（%）", 100), "ss_national": ("份额分量", None), "ss_industry_mix": ("结构偏离分量", None),
    "ss_competitive": ("竞争力偏离分量", None), "entry": ("新进入专业化", None), "exit": ("退出专业化", None),
    "firms": ("企业数", None), "firm_hhi": ("企业赫芬达尔指数", None), "top1_share": ("最大企业份额（%）", 100),
    "top4_share": ("前4位企业集中度（%）", 100),
}
REGION_HEADERS = {
    "year": ("年度", None), "region_code": ("地区代码", None), "region_name": ("地区", None), "total": ("总规模", None),
    "diversity": ("多样性", None), "eci": ("经济复杂度ECI", None), "eci_reflections": ("ECI（反射法，0–100）", None),
    "coi": ("复杂度前景指数COI", None), "krugman": ("克鲁格曼专业化指数", None), "herfindahl": ("产业赫芬达尔指数", None),
    "entropy": ("产业熵", None), "related_variety": ("相关多样化", None), "unrelated_variety": ("无关多样化", None),
    "density_inside": ("组合内关联密度（一致性）", None), "density_outside": ("组合外关联密度（灵活性）", None),
}
INDUSTRY_HEADERS = {
    "year": ("年度", None), "industry_code": ("行业代码", None), "industry_name": ("行业", None),
    "total": ("总规模", None), "ubiquity": ("普遍性", None), "pci": ("产品复杂度PCI", None),
    "pci_reflections": ("PCI（反射法，0–100）", None), "gini": ("基尼系数", None),
    "locational_gini": ("区位基尼系数", None), "hoover": ("胡佛指数", None),
}
MEASURE_NAMES = {"employees": "从业人员（人）", "gross_output": "工业总产值（元）", "value_added": "工业增加值（元）",
                 "revenue": "营业收入（元）", "firms": "企业数（家）"}
LEVEL_NAMES = {"county": "区县", "prefecture": "地市", "division": "行业大类", "group": "行业中类", "class": "行业小类"}


def _header(ws, lines: list[str], synthetic: bool) -> int:
    return write_header(ws, lines, synthetic=synthetic)


def _table(ws, start: int, rows: list[dict], headers: dict[str, tuple[str, float | None]]) -> None:
    from openpyxl.styles import Font

    cols = [c for c in headers if not rows or c in rows[0]]
    for j, c in enumerate(cols, start=1):
        ws.cell(row=start, column=j, value=headers[c][0]).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=start, column=j).column_letter].width = max(10, min(36, 2 * len(headers[c][0])))
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    for i, row in enumerate(rows, start=start + 1):
        for j, c in enumerate(cols, start=1):
            v = row.get(c)
            factor = headers[c][1]
            if isinstance(v, float):
                v = round(v * factor, 4) if factor else round(v, 6)
            ws.cell(row=i, column=j, value=v)


def _region_name(code) -> str:
    """The 地区 column: the region's full name (全省 for the province, names joined for several)."""
    if code in (None, ""):
        return ""
    if code == "all":
        return "全省"
    return "、".join(region_full_name(c) for c in str(code).split(";"))


def _named(table: pa.Table) -> list[dict]:
    rows = table.to_pylist()
    for r in rows:
        if "region_code" in r:
            r["region_name"] = _region_name(r["region_code"])
        if "industry_code" in r:
            r["industry_name"] = industry_name(r["industry_code"])
    return rows


def _run_line(run) -> list[str]:
    return [f"批次 run: {run.label}"] if run is not None else []


def _save(wb, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    neutralise_workbook(wb)
    wb.save(p)
    return p


def write_indices_xlsx(result, path: str | Path) -> Path:
    """An ``IndicesResult`` (``zhizao.services.clusters.indices``): the indices of all its years."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    meta = result.meta
    what = (f"规模口径 measure: {MEASURE_NAMES.get(meta['measure'], meta['measure'])}；地区 regions: "
            f"{LEVEL_NAMES.get(meta['region_level'])}；行业 industries: {LEVEL_NAMES.get(meta['industry_level'])}")
    for title, table, headers in (("地区产业指标", result.cells, CELL_HEADERS), ("地区指标", result.regions, REGION_HEADERS),
                                  ("行业指标", result.industries, INDUSTRY_HEADERS)):
        ws = wb.create_sheet(title)
        start = _header(ws, [f"{result.year}年产业集群专业化与复杂度指标 — {title}", what, *_run_line(result.run)],
                        result.synthetic)
        _table(ws, start, _named(table), headers)
    ws = wb.create_sheet("说明")
    start = _header(ws, ["指标说明 notes", what], result.synthetic)
    for i, (k, v) in enumerate(NOTES, start=start):
        ws.cell(row=i, column=1, value=k)
        ws.cell(row=i, column=2, value=v)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100
    return _save(wb, path)


#: What each index means (the 说明 sheet).
NOTES = [
    ("区位商 LQ", "本地区该行业比重 ÷ 全省该行业比重（EconGeo location_quotient）"),
    ("RCA / 是否专业化", "Balassa 显性比较优势，RCA ≥ 1 为专业化（ecomplexity rca / mcp）"),
    ("关联密度", "本地区已专业化的相关行业占该行业全部相关行业的比重，按邻近度加权（Hidalgo et al. 2007; ecomplexity density）"),
    ("ECI / PCI", "经济复杂度 / 产品复杂度，特征向量法，按 ecomplexity 标准化；反射法按 EconGeo morc/mort（0–100）"),
    ("COI / COG", "复杂度前景指数 / 前景收益（ecomplexity coi / cog）"),
    ("偏离-份额", "份额分量 + 结构偏离分量 + 竞争力偏离分量 = 规模变化（参照：全省）"),
    ("克鲁格曼指数", "Σ|地区行业比重 − 全省行业比重|（EconGeo krugman_index）"),
    ("相关/无关多样化", "Frenken, Van Oort & Verburg (2007)：大类内熵的加权和 / 大类间熵"),
    ("基尼 / 区位基尼 / 胡佛", "EconGeo gini、locational_gini、hoover_index（参照：各地区总规模）"),
    ("企业赫芬达尔指数 / 集中度", "地区×行业内各企业份额的平方和（0–1）/ 最大1家、4家企业的份额（口径同规模；企业数口径时用营业收入）"),
]

TIER_HEADERS = {"cluster_id": ("集群编号", None), "name_zh": ("集群", None), "tier_claimed": ("官方梯度", None),
                "tier_zh": ("测算梯度", None), "rule": ("判定规则", None), "evidence": ("判定依据", None),
                "rule_source": ("规则来源", None), "next_tier": ("上一梯度", None),
                "next_tier_missing": ("距上一梯度差距", None), "matches_claim": ("与官方一致", None)}
DIAGNOSIS_HEADERS = {
    "cluster_id": ("集群编号", None), "name_zh": ("集群", None), "scale_percentile": ("规模百分位", None),
    "productivity_percentile": ("生产效率百分位", None), "innovation_percentile": ("创新能力百分位", None),
    "profitability_percentile": ("盈利能力百分位", None), "leading_firms_percentile": ("龙头企业实力百分位", None),
    "strength_percentile": ("综合实力百分位", None), "verdict": ("诊断结论", None), "weak_dimensions": ("短板维度", None)}
WEAKNESS_HEADERS = {
    "cluster_id": ("集群编号", None), "dimension_zh": ("维度", None), "percentile": ("百分位", None),
    "metric": ("指标", None), "value": ("集群值", None), "province_benchmark": ("全省制造业", None),
    "ratio_to_province": ("为全省的倍数", None), "national_benchmark": ("全国", None),
    "ratio_to_national": ("为全国的倍数", None)}


def write_diagnosis_xlsx(result, path: str | Path) -> Path:
    """A ``DiagnoseResult`` (``zhizao.services.clusters.diagnose``): profiles, tiers (with the rule
    that placed each cluster), diagnosis and weak points."""
    from openpyxl import Workbook

    from zhizao.clusters.method import METRIC_LABELS, PROFILE_METRICS

    wb = Workbook()
    wb.remove(wb.active)
    head = [f"集群定义 clusters: {result.cluster_set_zh} ({result.cluster_set_id})", f"年度 year: {result.year}",
            *_run_line(result.run)]
    money = {k for k, kind in PROFILE_METRICS.items() if kind == "money"}
    prof_headers = {"cluster_id": ("集群编号", None), "name_zh": ("集群", None), "scope": ("范围", None),
                    "region_code": ("地区代码", None), "region_name": ("地区", None)}
    for k in PROFILE_METRICS:
        if k in result.profiles.column_names:
            unit = "（亿元）" if k in money and k != "top5_revenue_mean" else ""
            pct = PROFILE_METRICS[k] == "share"
            prof_headers[k] = (METRIC_LABELS.get(k, (k, k))[0] + (unit or ("（%）" if pct else "")),
                               1e-8 if unit else (100 if pct else None))
    prof_headers["leading_firms"] = ("龙头企业", None)
    dims = {k: zh for k, (zh, _) in result.dimension_names.items()}
    diag_rows = result.diagnosis.to_pylist()
    for r in diag_rows:
        r["weak_dimensions"] = "、".join(dims.get(k, k) for k in (r.get("weak_dimensions") or "").split(";") if k)
    weak_rows = result.weaknesses.to_pylist()
    for r in weak_rows:
        r["metric"] = METRIC_LABELS.get(r["metric"], (r["metric"],))[0]
    for title, rows, headers in (("集群画像", _named(result.profiles), prof_headers),
                                 ("梯度", result.tiers.to_pylist(), TIER_HEADERS),
                                 ("诊断", diag_rows, DIAGNOSIS_HEADERS), ("短板", weak_rows, WEAKNESS_HEADERS)):
        ws = wb.create_sheet(title)
        start = _header(ws, [f"{result.year}年产业集群{title}", *head], result.synthetic)
        _table(ws, start, rows, headers)
    return _save(wb, path)
