"""The result tables of the 亩均效益 lever (``zhizao.services.land``), column by column.

Every table the land services store (``result_land_…``, each row with the ``run_id`` of the run
that wrote it, see ``zhizao.services.runs``): the evaluation and its roll-up by county, the
low-efficiency land, the redevelopment progress and the differentiated measures. Units are the
warehouse's (``zhizao.data.schema``): money in yuan, land in mu (亩), energy in tce.

Plain data: the API and the pages render tables from these declarations; the contract test
checks what the services store against them (``zhizao.contract.check_table``).
"""

from __future__ import annotations

from zhizao.contract import Column as C
from zhizao.contract import ResultTable

__all__ = ["TABLES", "SEGMENT_LABELS", "EVALUATION", "CLASS_ROLLUP", "LOWLAND_FLAGS", "LOWLAND_PARCELS",
           "LOWLAND_TOTALS", "REDEVELOPMENT_PROGRESS", "REDEVELOPMENT_BY_COUNTY", "MEASURES", "MEASURE_TOTALS"]

#: The evaluation's segments (分类) with the names counties publish, in their order
#: (``exempt``: evaluated, not graded — 不定等级).
SEGMENT_LABELS = {
    "above_scale": "规上企业",
    "below_scale_large": "规下企业（3亩及以上）",
    "below_scale_small": "规下企业（3亩以下）",
    "tenant": "租赁企业",
    "exempt": "不定等级",
}

_YEAR = C("year", "int64", "年度", "year", "the evaluation year")
_USCC = C("uscc", "string", "统一社会信用代码", "USCC", "the enterprise's unified social credit code")
_NAME = C("name", "string", "企业名称", "enterprise", "the enterprise's registered name")
_REGION = C("region_code", "string", "区县", "county", "GB/T 2260 county code of the enterprise (or parcel)")
_CLASS = C("land_class", "string", "亩均效益等级", "class", "the class (A–D by the method; null when not graded)")

EVALUATION = ResultTable(
    "result_land_evaluation", "亩均效益综合评价", "per-mu performance evaluation",
    "one row per enterprise with indicators and year evaluated, under one method (method_id): figures, "
    "indicator values, benchmarks and scores, total, rank and class within county × segment",
    (_YEAR, _USCC, _NAME,
     C("unit_id", "string", "评价单元", "evaluation unit",
       "the enterprise's USCC, or P:<parcel id> where the occupants of a shared parcel are evaluated together"),
     _REGION,
     C("park", "string", "园区", "park", "the industrial park the enterprise is registered in (null: none)"),
     C("division", "string", "行业大类", "division", "GB/T 4754-2017 division (first two digits of the industry)"),
     C("industry_code", "string", "行业代码", "industry", "GB/T 4754-2017 industry class of the enterprise"),
     C("segment", "string", "分类", "segment",
       "above_scale, below_scale_large, below_scale_small, tenant, or exempt (not graded)"),
     C("area_mu", "float64", "用地面积", "land area", "own land plus the allocated share of land rented", "mu"),
     C("taxes", "float64", "税收", "taxes", "taxes paid in the year (the unit's sum when combined)", "yuan"),
     C("value_added", "float64", "工业增加值", "value added", "industrial value added in the year", "yuan"),
     C("revenue", "float64", "营业收入", "revenue", "revenue in the year", "yuan"),
     C("main_revenue", "float64", "主营业务收入", "main-business revenue", "main-business revenue in the year", "yuan"),
     C("employees", "int64", "从业人员", "employees", "average employees in the year", "persons"),
     C("energy_tce", "float64", "综合能耗", "energy use", "total energy use", "tce"),
     C("emissions_t", "float64", "主要污染物排放", "emissions", "main pollutant emissions", "t"),
     C("electricity_kwh", "float64", "用电量", "electricity use", "electricity used", "kWh"),
     C("water_m3", "float64", "用水量", "water use", "water used", "m3"),
     C("gas_m3", "float64", "用气量", "gas use", "natural gas used", "m3"),
     C("total_score", "float64", "综合得分", "total score",
       "sum of the item scores plus bonus minus penalty (null when not graded)", "points"),
     C("rank", "int64", "排名", "rank", "rank within county × segment (1 = best; ties share the better rank)", "rank"),
     C("rank_of", "int64", "参评数", "ranked", "units ranked in the county × segment", "count"),
     C("percentile", "float64", "百分位", "percentile", "rank ÷ ranked (what a quota classing reads)", "share"),
     _CLASS,
     C("graded", "boolean", "是否定级", "graded", "whether the enterprise was graded (false: exempt)"),
     C("exempt_reason", "string", "不参评原因", "exempt reason",
       "utility, startup, under_construction, no_land, not_in_scope or no_data (null when graded)"),
     C("flags", "string", "标记", "flags",
       "semicolon list: missing data rules used, caps, floors, bonuses, penalties, vetoes, shared parcels"),
     C("*_value", "float64", "指标值", "indicator value",
       "the indicator's value (numerator ÷ denominator) in its canonical unit: yuan/mu, yuan/person, yuan/tce, "
       "yuan/t, yuan/kWh, ratio — one column per indicator the method or the contract names"),
     C("*_benchmark", "float64", "基准值", "benchmark",
       "the indicator's benchmark for the enterprise's county × segment, in the indicator's unit"),
     C("*_score", "float64", "单项得分", "item score", "the indicator's score after cap and floor", "points"),
     C("method_id", "string", "评价方法", "method", "id of the land method that produced the row")),
    key=("year", "uscc"))

CLASS_ROLLUP = ResultTable(
    "result_land_class_rollup", "分区县等级汇总", "classes by county",
    "one row per year × county × class of the run's evaluation: firms, their land, taxes and value added",
    (_YEAR, _REGION, _CLASS,
     C("firms", "int64", "企业数", "firms", "graded firms in the class", "count"),
     C("graded_firms", "int64", "参评企业数", "graded firms", "graded firms of the county", "count"),
     C("share", "float64", "占比", "share", "firms ÷ graded firms of the county", "share"),
     C("area_mu", "float64", "用地面积", "land", "land of the class's firms (a shared unit counted once)", "mu"),
     C("area_share", "float64", "用地占比", "land share", "the class's land ÷ graded land of the county", "share"),
     C("taxes", "float64", "税收", "taxes", "taxes of the class's firms", "yuan"),
     C("value_added", "float64", "工业增加值", "value added", "value added of the class's firms", "yuan"),
     C("tax_per_mu", "float64", "亩均税收", "tax per mu", "taxes ÷ land of the class", "yuan/mu")),
    key=("year", "region_code", "land_class"))

_PARCEL = (
    C("year", "int64", "年度", "year", "the year assessed"),
    C("as_of", "date", "基准日", "as of", "reference date of the idle-land rules (31 December of the year)"),
    C("parcel_id", "string", "地块编号", "parcel", "the parcel's id"),
    _REGION,
    C("park", "string", "园区", "park", "the park the parcel lies in (null: none)"),
    C("area_mu", "float64", "地块面积", "parcel area", "the parcel's area", "mu"),
    C("holder_uscc", "string", "用地单位", "holder", "USCC of the land-use right holder (null: none)"),
    C("status", "string", "地块状态", "status", "the parcel's status (approved, supplied, producing, idle …)"),
)
_IDLE = (
    C("idle_since", "date", "闲置起算日", "idle since", "the day the idle period started (null: not idle)"),
    C("idle_consequence", "string", "闲置处置", "idle consequence", "idle_fee or recovery (null: neither yet)"),
    C("idle_fee_share", "float64", "闲置费比例", "idle-fee share", "the idle fee as a share of the land price",
      "share"),
)

LOWLAND_FLAGS = ResultTable(
    "result_land_lowland_flags", "低效用地认定明细", "low-efficiency land flags",
    "one row per parcel × reason that applies, plus one per rule that cannot be decided for the parcel",
    (*_PARCEL,
     C("kind", "string", "类别", "kind", "flag, or not_assessable (the rule's inputs are missing)"),
     C("reason", "string", "认定理由", "reason", "reason code (d_class, low_tax_per_mu …) or not_assessable:<code>"),
     C("reason_zh", "string", "认定理由（中文）", "reason (zh)", "the reason's Chinese name"),
     C("value", "float64", "比较值", "value", "what was compared (its unit in column unit)"),
     C("threshold", "float64", "标准", "threshold", "the line it was compared with (unit in column unit)"),
     C("unit", "string", "单位", "unit", "years in class D, yuan/mu, floor-area ratio or days idle"),
     *_IDLE,
     C("source", "string", "依据", "source", "the rule's source (document and article)")),
    key=("parcel_id", "reason"))

LOWLAND_PARCELS = ResultTable(
    "result_land_lowland_parcels", "低效用地地块", "low-efficiency parcels",
    "one row per flagged parcel with every reason that applies and the rules that could not be decided",
    (*_PARCEL, _CLASS,
     C("d_years", "int64", "连续D类年数", "years in D", "consecutive years the holder is in class D", "years"),
     C("tax_per_mu", "float64", "亩均税收", "tax per mu", "the holder's taxes ÷ evaluated land", "yuan/mu"),
     C("tax_per_mu_line", "float64", "亩均税收标准", "tax-per-mu line", "the line below which land is flagged",
       "yuan/mu"),
     C("floor_area_ratio", "float64", "容积率", "floor-area ratio", "the parcel's floor-area ratio", "ratio"),
     C("far_minimum", "float64", "容积率下限", "minimum ratio", "the minimum for the holder's division", "ratio"),
     C("reasons", "string", "认定理由", "reasons", "semicolon list of reason codes"),
     C("n_reasons", "int64", "理由数", "reasons", "number of reasons", "count"),
     C("five_types", "string", "五类低效用地", "five types", "semicolon list of the five types that apply"),
     C("five_type", "string", "五类类型", "five type", "the first of the five types in lifecycle order"),
     C("five_type_zh", "string", "五类类型（中文）", "five type (zh)", "its Chinese name"),
     C("not_assessable", "string", "无法判定", "not assessable", "semicolon list of rules that could not be decided"),
     C("n_not_assessable", "int64", "无法判定数", "not assessable", "number of such rules", "count"),
     *_IDLE),
    key=("parcel_id",))

LOWLAND_TOTALS = ResultTable(
    "result_land_lowland_totals", "低效用地面积汇总", "low-efficiency land totals",
    "flagged area and parcels by county and reason; reason any counts each parcel once",
    (_REGION,
     C("reason", "string", "认定理由", "reason", "reason code, or any (at least one reason)"),
     C("parcels", "int64", "地块数", "parcels", "flagged parcels", "count"),
     C("area_mu", "float64", "面积", "area", "their area", "mu")),
    key=("region_code", "reason"))

REDEVELOPMENT_PROGRESS = ResultTable(
    "result_land_redevelopment_progress", "低效用地再开发进度", "redevelopment progress",
    "one row per target of the plan: area done from 1 January to as_of, against the target, with a linear "
    "year-end projection",
    (C("target", "string", "目标", "target", "the target's id in the plan"),
     C("name_zh", "string", "目标名称", "target name", "the target's Chinese name"),
     C("target_mu", "float64", "目标面积", "target", "the year's target (scaled by the plan's share)", "mu"),
     C("done_mu", "float64", "已完成", "done", "area completed in the year up to as_of", "mu"),
     C("share_of_target", "float64", "完成率", "share done", "done ÷ target", "share"),
     C("elapsed_share", "float64", "时间进度", "year elapsed", "days elapsed ÷ days in the year", "share"),
     C("projected_mu", "float64", "年底预计", "projected", "done ÷ year elapsed (linear run rate)", "mu"),
     C("projected_share", "float64", "预计完成率", "projected share", "projected ÷ target", "share"),
     C("remaining_mu", "float64", "尚需", "remaining", "max(target − done, 0)", "mu"),
     C("on_track", "boolean", "按期", "on track", "projected ≥ target"),
     C("as_of", "date", "基准日", "as of", "the reference date"),
     C("dated_history", "boolean", "按状态历史", "dated", "completions dated by parcel_status (false: current "
       "status counted as done this year, an assumption)")),
    key=("target",))

REDEVELOPMENT_BY_COUNTY = ResultTable(
    "result_land_redevelopment_by_county", "再开发进度（分区县）", "redevelopment by county",
    "area completed per target and county from 1 January to as_of",
    (C("target", "string", "目标", "target", "the target's id in the plan"), _REGION,
     C("done_mu", "float64", "已完成", "done", "area completed", "mu"),
     C("parcels", "int64", "地块数", "parcels", "parcels completed", "count"),
     C("as_of", "date", "基准日", "as of", "the reference date")),
    key=("target", "region_code"))

MEASURES = ResultTable(
    "result_land_measures", "差别化措施明细", "differentiated measures",
    "one row per enterprise and rule of the method's schedule that applies in the year",
    (_YEAR, _USCC, _NAME, _REGION,
     C("segment", "string", "分类", "segment", "the enterprise's segment in the evaluation"), _CLASS,
     C("years_in_class", "int64", "连续年数", "years in class", "consecutive years in the class up to the year",
       "years"),
     C("rule_id", "string", "规则", "rule", "the schedule rule's id"),
     C("rule_name_zh", "string", "规则名称", "rule name (zh)", "the rule's Chinese name"),
     C("rule_name_en", "string", "规则名称（英文）", "rule name", "the rule's English name"),
     C("resource", "string", "资源", "resource", "electricity, water or gas"),
     C("unit", "string", "计价单位", "price unit", "yuan/kWh, yuan/t or yuan/m3"),
     C("step_min_years", "int64", "适用档次", "step", "min_years of the schedule step applied", "years"),
     C("schedule_per_unit", "float64", "加价标准", "schedule amount", "the step's amount per unit (negative: rebate)",
       "yuan/unit"),
     C("other_per_unit", "float64", "其他加价", "other surcharge", "another surcharge on the resource (null: none)",
       "yuan/unit"),
     C("other_name", "string", "其他加价名称", "other surcharge name", "its name"),
     C("charged_per_unit", "float64", "执行标准", "charged", "per unit after combining with other surcharges",
       "yuan/unit"),
     C("charged_by", "string", "执行依据", "charged by", "schedule, the other surcharge's name, or sum"),
     C("resource_use", "float64", "用量", "use", "the resource used (kWh, m³)"),
     C("computable", "boolean", "可计算", "computable", "whether the use is known"),
     C("not_computable_reason", "string", "不可计算原因", "why not computable",
       "missing_<column> or no_<resource>_use_in_schema (null when computable)"),
     C("charge_yuan", "float64", "加价金额", "charge", "charged per unit × use", "yuan"),
     C("extra_charge_yuan", "float64", "新增金额", "extra charge", "what the measure adds on top of other surcharges "
       "(negative: rebate)", "yuan")),
    key=("uscc", "rule_id"))

MEASURE_TOTALS = ResultTable(
    "result_land_measure_totals", "差别化措施汇总", "measure totals",
    "totals of the measures by county, class, rule and resource",
    (_REGION, _CLASS,
     C("rule_id", "string", "规则", "rule", "the schedule rule's id"),
     C("resource", "string", "资源", "resource", "electricity, water or gas"),
     C("firms", "int64", "企业数", "firms", "enterprises the rule applies to", "count"),
     C("computable_firms", "int64", "可计算企业数", "computable firms", "of which the use is known", "count"),
     C("resource_use", "float64", "用量", "use", "their resource use (kWh, m³)"),
     C("charge_yuan", "float64", "加价金额", "charge", "sum of charges", "yuan"),
     C("extra_charge_yuan", "float64", "新增金额", "extra charge", "sum of what the measures add", "yuan")),
    key=("region_code", "land_class", "rule_id", "resource"))

TABLES = (EVALUATION, CLASS_ROLLUP, LOWLAND_FLAGS, LOWLAND_PARCELS, LOWLAND_TOTALS, REDEVELOPMENT_PROGRESS,
          REDEVELOPMENT_BY_COUNTY, MEASURES, MEASURE_TOTALS)
