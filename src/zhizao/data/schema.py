"""Canonical schema of the warehouse (数据规范): tables, columns, units and header aliases.

This module is the only place that names warehouse columns, their units and the Chinese and
English headers a file may use for them (docs/architecture.md, "Conventions"). Import, the XLSX
template, the synthetic province, the warehouse DDL and docs/data-format.md are all generated
from it.

Every column states: type, canonical unit (``units.UNIT_KINDS``), whether it is required, the
allowed range or values, the code table it must belong to, and its zh/en header aliases.

Sources for the indicator definitions: 国家统计局《工业统计报表制度》 (B203-1 工业产销总值及主要产品产量,
B204 财务状况) for revenue, output, value added, profit and employees; GB/T 2589-2020
《综合能耗计算通则》 for comprehensive energy use (等价值); 工信部企业〔2022〕63号 annexes 1–3 for the
enterprise attributes the SME tier rules decide on; 国家统计局《统计上大中小微型企业划分办法》 and
国家统计局 规模以上工业统计范围 (年主营业务收入2000万元及以上, 2011年起) for the 规上 registry flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from zhizao.data.units import UNIT_KINDS, normalize_token, unit_factor

DType = Literal["string", "int64", "float64", "bool", "date", "timestamp"]
CodeKind = Literal["uscc", "industry_class", "industry_division", "region", "region_county", "uscc_list"]


@dataclass(frozen=True)
class Column:
    """One warehouse column.

    ``unit`` names a kind in ``units.UNIT_KINDS``; values are stored in that kind's canonical
    unit, and a header that declares another unit of the same kind is converted on import.
    ``default_unit`` is the unit assumed when a header declares none (statistical tables are
    usually in 万元, but our canonical unit is 元: a bare ``营业收入`` column is read as 元).
    """

    name: str
    dtype: DType
    zh: str
    en: str
    required: bool = False
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    code: CodeKind | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    #: spellings that mean "none" in a free-text list column (stored as ``none``; an empty cell
    #: stays unknown): a spreadsheet cannot tell "no certification" from "not reported" otherwise
    none_spellings: tuple[str, ...] = ()

    @property
    def canonical_unit(self) -> str:
        return UNIT_KINDS[self.unit].canonical if self.unit else ""

    @property
    def canonical_unit_zh(self) -> str:
        return UNIT_KINDS[self.unit].canonical_zh if self.unit else ""

    @property
    def header_zh(self) -> str:
        """The Chinese header the template writes, with the canonical unit: ``营业收入（元）``."""
        u = self.canonical_unit_zh
        return f"{self.zh}（{u}）" if u and self.unit not in ("plain", "count") else self.zh


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""
    sheet_aliases: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(name: str, dtype: DType, zh: str, en: str, **kw) -> Column:
    return Column(name, dtype, zh, en, **kw)


def _money(name: str, zh: str, en: str, *aliases: str, min: float | None = 0, **kw) -> Column:
    return Column(name, "float64", zh, en, unit="money", min=min, max=1e13, aliases=aliases, **kw)


USCC = _c("uscc", "string", "统一社会信用代码", "USCC", required=True, code="uscc",
          aliases=("社会信用代码", "信用代码", "统一代码", "unified social credit code", "credit code"),
          description="18-character unified social credit code, GB 32100-2015; the enterprise key")
YEAR = _c("year", "int64", "年度", "year", required=True, min=1990, max=2100,
          aliases=("年份", "统计年度", "报告期", "fiscal year"))

RD_LEVELS = ("national", "provincial", "municipal", "below_municipal", "none")
TIERS = ("none", "innovative", "specialized", "little_giant")
OWNERSHIP = ("domestic", "hmt", "foreign")
PARCEL_STATUS = ("approved", "supplied", "under_construction", "producing", "stopped", "idle",
                 "redeveloping", "redeveloped", "revived")
#: Statuses a parcel's history records: its statuses plus "flagged" (认定为低效用地, the date a
#: county put it on its low-efficiency list).
PARCEL_HISTORY_STATUS = (*PARCEL_STATUS, "flagged")
LAND_USE = ("industrial", "warehouse", "mixed_industrial", "other")
#: Chinese labels accepted on import for allowed values (the first is the one the template shows).
VALUE_LABELS: dict[str, tuple[str, ...]] = {
    "national": ("国家级",), "provincial": ("省级",), "municipal": ("市级", "地市级"),
    "below_municipal": ("市级以下", "县级", "区县级"), "none": ("无", "未认定"),
    "innovative": ("创新型中小企业", "创新型"), "specialized": ("专精特新中小企业", "专精特新"),
    "little_giant": ("专精特新“小巨人”企业", "小巨人", "专精特新小巨人"),
    "domestic": ("内资",), "hmt": ("港澳台商投资", "港澳台"), "foreign": ("外商投资", "外资"),
    "operating": ("在营", "存续", "开业"), "closed": ("注销", "吊销", "关闭"), "suspended": ("停业", "歇业"),
    "approved": ("已批准", "已批"), "supplied": ("已供地", "已供"), "under_construction": ("在建",),
    "producing": ("已投产", "投产"), "stopped": ("停建", "停止建设"), "idle": ("闲置",),
    "redeveloping": ("改造中", "再开发中"), "flagged": ("认定低效", "列入低效用地", "低效用地"),
    "redeveloped": ("已改造", "已再开发"), "revived": ("已盘活", "盘活"),
    "industrial": ("工业用地", "工业"), "warehouse": ("仓储用地", "仓储"),
    "mixed_industrial": ("新型产业用地", "工业混合用地"), "other": ("其他",),
}

ENTERPRISES = Table(
    "enterprises", "企业名录", "Enterprises", key=("uscc",),
    sheet_aliases=("企业", "企业信息", "企业基本信息", "名录", "enterprise", "companies", "firms"),
    description="One row per enterprise (legal unit): identity, location, industry and the "
    "slowly changing attributes the tier and voucher rules decide on.",
    columns=(
        USCC,
        _c("name", "string", "企业名称", "name", required=True,
           aliases=("单位名称", "单位详细名称", "企业全称", "enterprise name", "company name")),
        _c("region_code", "string", "行政区划代码", "region code", required=True, code="region_county",
           aliases=("区县代码", "所在区县代码", "区划代码", "county code", "adcode"),
           description="county-level GB/T 2260 code where the enterprise is registered"),
        _c("industry_code", "string", "行业代码", "industry code", required=True, code="industry_class",
           aliases=("国民经济行业代码", "行业小类代码", "所属行业代码", "gb/t 4754 code", "industry"),
           description="GB/T 4754-2017 4-digit class of the main activity"),
        _c("park", "string", "所在园区", "park", aliases=("园区", "开发区", "industrial park", "zone")),
        _c("registered_on", "date", "成立日期", "registration date",
           aliases=("注册日期", "开业日期", "成立时间", "founded on", "established")),
        _money("registered_capital", "注册资本", "registered capital"),
        _c("ownership", "string", "登记注册类型", "ownership", allowed=OWNERSHIP,
           aliases=("企业类型", "控股类型", "ownership type"),
           description="domestic / hmt (Hong Kong, Macao, Taiwan) / foreign"),
        _c("is_sme", "bool", "是否中小企业", "SME",
           aliases=("中小企业", "is sme"), description="SME under 工信部联企业〔2011〕300号"),
        _c("above_scale_since", "date", "首次纳入规上日期", "above-scale since",
           aliases=("入统日期", "纳入规上日期", "规上入库日期", "first above scale"),
           description="date the unit first entered the 规上 (一套表 联网直报) registry; the yearly "
           "registry flag is indicators.above_scale (NBS 规模以上工业统计范围)"),
        _c("is_high_tech", "bool", "高新技术企业", "high-tech enterprise",
           aliases=("是否高新技术企业", "高企", "high tech")),
        _c("high_tech_valid_until", "date", "高企证书有效期至", "high-tech valid until",
           aliases=("高新技术企业有效期",)),
        _c("rd_institution_level", "string", "研发机构级别", "R&D institution level", allowed=RD_LEVELS,
           aliases=("研发机构", "研发中心级别", "r&d institution"),
           description="highest recognised R&D institution: national / provincial / municipal / "
           "below_municipal / none (63号 annex 2, 创新能力)"),
        _c("certifications", "string", "管理体系认证", "certifications",
           aliases=("认证", "质量管理体系认证", "certification"),
           none_spellings=("none", "无", "没有", "未认证"),
           description="semicolon-separated list, e.g. ISO9001;ISO14001;IATF16949; `none` (无) = no "
           "certification, an empty cell = not reported"),
        _c("own_brand", "bool", "自主品牌", "own brand", aliases=("是否拥有自主品牌",)),
        _c("standards_drafted", "int64", "参与制定标准数", "standards drafted", unit="count", min=0, max=10_000,
           aliases=("主导或参与制定标准",)),
        _c("quality_award_level", "string", "质量奖级别", "quality award level", allowed=RD_LEVELS),
        _c("niche_start_year", "int64", "进入细分市场年份", "niche market since", min=1900, max=2100,
           aliases=("从事特定细分市场起始年份", "细分市场年份", "niche since"),
           description="year the enterprise started in its niche market (years in niche = year − this)"),
        _c("niche_market_share", "float64", "细分市场占有率", "niche market share", unit="share", min=0, max=1,
           aliases=("市场占有率", "market share")),
        _c("digital_level", "int64", "数字化水平等级", "digitalisation level", min=1, max=4,
           aliases=("数字化水平", "中小企业数字化水平", "digital level"),
           description="level 1–4 of the SME digitalisation assessment (中小企业数字化水平评测指标)"),
        _c("strategic_emerging", "bool", "属于战略性新兴产业", "strategic emerging industry",
           aliases=("战略性新兴产业", "战新产业"), description="main product in 《战略性新兴产业分类（2018）》"),
        _c("st_award_level", "string", "近三年科技奖励级别", "S&T award (last 3 years)", allowed=RD_LEVELS,
           aliases=("科技奖励级别", "科技奖")),
        _c("on_abnormal_list", "bool", "列入经营异常或严重失信名单", "on abnormal/dishonest list",
           aliases=("经营异常", "严重失信")),
        _c("major_incident_3y", "bool", "近三年重大安全质量环境事故", "major incident (3 years)",
           aliases=("重大事故",)),
        _c("certified_tier", "string", "已认定梯度", "certified tier", allowed=TIERS,
           aliases=("梯度培育层级", "专精特新认定", "tier"),
           description="highest tier already certified: innovative (创新型中小企业) / specialized "
           "(专精特新) / little_giant (小巨人)"),
        _c("certified_tier_year", "int64", "认定年度", "tier certified in", min=2000, max=2100),
        _c("status", "string", "经营状态", "status", allowed=("operating", "closed", "suspended"),
           aliases=("企业状态", "登记状态")),
        _c("lon", "float64", "经度", "longitude", min=73, max=136),
        _c("lat", "float64", "纬度", "latitude", min=3, max=54),
    ),
)

INDICATORS = Table(
    "indicators", "企业年度指标", "Indicators", key=("uscc", "year"),
    sheet_aliases=("指标", "年度指标", "经济指标", "财务指标", "indicator", "annual"),
    description="One row per enterprise and year: the economic, fiscal, innovation, energy and "
    "environment figures every lever reads.",
    columns=(
        USCC, YEAR,
        _c("above_scale", "bool", "是否规上", "above scale (registry)",
           aliases=("规上标志", "规模以上", "是否规模以上", "规上企业", "above scale"),
           description="on the 规上 registry (一套表 联网直报) that year; separate from the revenue test"),
        _money("revenue", "营业收入", "revenue", "营收", "销售收入", "operating revenue", "sales"),
        _money("main_revenue", "主营业务收入", "main-business revenue", "主营收入", "main revenue"),
        _money("gross_output", "工业总产值", "gross industrial output", "总产值", "产值", "gross output",
               description="at current prices"),
        _money("value_added", "工业增加值", "industrial value added", "增加值", "value added",
               min=-1e12),
        _money("taxes", "实缴税金", "taxes paid", "评价税收", "税收", "实缴税收", "税收实际贡献",
               "纳税额", "tax", "taxes",
               description="taxes actually paid, as counted by 亩均 evaluation (评价税收)"),
        _money("profit", "利润总额", "total profit", "利润", "profit", min=-1e13),
        _money("net_profit", "净利润", "net profit", "net income", min=-1e13),
        _money("total_assets", "资产总计", "total assets", "总资产", "资产总额", "assets"),
        _money("total_liabilities", "负债合计", "total liabilities", "总负债", "负债总额", "liabilities"),
        _money("rd_expenditure", "研发费用", "R&D expenditure", "研发投入", "研究开发费用", "r&d", "rd"),
        _c("rd_staff", "int64", "研发人员数", "R&D staff", unit="persons", min=0, max=1e6,
           aliases=("研发人员", "r&d personnel")),
        _c("employees", "int64", "年平均职工人数", "employees (annual average)", unit="persons", min=0, max=2e6,
           aliases=("从业人员平均人数", "职工人数", "从业人员", "员工人数", "employees", "workers")),
        _c("energy_tce", "float64", "综合能耗（等价值）", "energy use (equivalent value)", unit="energy",
           min=0, max=1e9, aliases=("综合能耗", "能耗", "综合能源消费量", "energy", "energy use"),
           description="comprehensive energy use, equivalent value, GB/T 2589-2020"),
        _c("electricity_kwh", "float64", "用电量", "electricity use", unit="electricity", min=0, max=1e12,
           aliases=("总用电量", "工业用电量", "电耗", "electricity")),
        _c("water_m3", "float64", "用水量", "water use", unit="water", min=0, max=1e11,
           aliases=("总用水量", "取水量", "工业用水量", "water"),
           description="fresh water taken in the year (m³; 吨 accepted as m³): priced by 差别水价"),
        _c("gas_m3", "float64", "用气量", "natural gas use", unit="gas", min=0, max=1e11,
           aliases=("天然气用量", "天然气消费量", "用气总量", "gas"),
           description="natural gas used in the year (m³): priced by 差别气价"),
        _c("emissions_t", "float64", "主要污染物排放量", "main pollutant emissions", unit="mass", min=0,
           max=1e9, aliases=("排放量", "污染物排放当量", "emissions"),
           description="sum of COD, NH3-N, SO2 and NOx emissions (亩均 evaluation's 排放当量)"),
        _money("exports", "出口交货值", "export delivery value", "出口额", "出口", "exports"),
        _money("new_product_revenue", "新产品销售收入", "new-product revenue", "新产品产值", "new product revenue"),
        _money("new_equity_financing", "新增股权融资", "new equity financing", "股权融资", "equity financing",
               description="paid-in equity from qualified institutional investors in the year"),
        _c("ip_class1_high_value", "int64", "I类高价值知识产权数", "class I high-value IP", unit="count",
           min=0, max=1e6, aliases=("一类高价值知识产权", "高价值知识产权")),
        _c("ip_class1", "int64", "I类知识产权数", "class I IP", unit="count", min=0, max=1e6,
           aliases=("一类知识产权", "i类知识产权"),
           description="Class I IP per 63号 annex 1 (invention patents etc.), including high-value ones"),
        _c("ip_class2", "int64", "II类知识产权数", "class II IP", unit="count", min=0, max=1e6,
           aliases=("二类知识产权", "ii类知识产权")),
        _c("invention_patents", "int64", "有效发明专利数", "valid invention patents", unit="count", min=0,
           max=1e6, aliases=("发明专利", "发明专利数", "invention patents")),
    ),
)

PARCELS = Table(
    "parcels", "工业用地", "Parcels", key=("parcel_id",),
    sheet_aliases=("地块", "用地", "土地", "land", "parcel"),
    description="One row per land parcel: area, plot ratio, holder and tenants, contractual "
    "dates and development progress (for the idle-land and low-efficiency rules).",
    columns=(
        _c("parcel_id", "string", "地块编号", "parcel id", required=True,
           aliases=("宗地编号", "地块代码", "不动产单元号", "parcel", "land id")),
        _c("holder_uscc", "string", "土地使用权人信用代码", "holder USCC", code="uscc",
           aliases=("使用权人统一社会信用代码", "权利人信用代码", "holder uscc", "holder")),
        _c("tenant_usccs", "string", "承租企业信用代码", "tenant USCCs", code="uscc_list",
           aliases=("承租企业", "租户", "tenants"),
           description="semicolon-separated USCCs of enterprises renting space on the parcel"),
        _c("region_code", "string", "行政区划代码", "region code", required=True, code="region_county",
           aliases=("区县代码", "所在区县代码", "county code")),
        _c("park", "string", "所在园区", "park", aliases=("园区", "开发区")),
        _c("area_mu", "float64", "用地面积", "area", unit="area", required=True, min=0.01, max=1e6,
           aliases=("土地面积", "宗地面积", "占地面积", "面积", "area")),
        _c("floor_area_ratio", "float64", "容积率", "floor-area ratio", unit="plain", min=0, max=20,
           aliases=("far", "plot ratio")),
        _c("building_area_m2", "float64", "建筑面积", "floor area", unit="floor_area", min=0, max=1e8,
           aliases=("总建筑面积", "building area")),
        _c("land_use", "string", "土地用途", "land use", allowed=LAND_USE, aliases=("用途", "use")),
        _c("approved_on", "date", "批准日期", "approved on", aliases=("批准用地日期", "农转用批准日期")),
        _c("supplied_on", "date", "供地日期", "supplied on", aliases=("出让日期", "合同签订日期")),
        _c("contract_start_date", "date", "约定开工日期", "contractual start date",
           aliases=("合同约定开工日期",)),
        _c("contract_production_date", "date", "约定竣工投产日期", "contractual production date",
           aliases=("约定投产日期", "合同约定竣工日期")),
        _c("actual_start_date", "date", "实际开工日期", "actual start date", aliases=("开工日期",)),
        _c("production_date", "date", "实际投产日期", "production date", aliases=("投产日期",)),
        _c("developed_share", "float64", "已开发面积比例", "developed share", unit="share", min=0, max=1,
           aliases=("开发比例", "已开发比例", "developed")),
        _c("invested_share", "float64", "已投资额比例", "invested share", unit="share", min=0, max=1,
           aliases=("投资比例", "已投资比例", "invested")),
        _c("stopped_since", "date", "停止建设日期", "stopped since", aliases=("停工日期",)),
        _c("status", "string", "地块状态", "status", allowed=PARCEL_STATUS, aliases=("状态", "利用状态")),
    ),
)

PARCEL_STATUS_HISTORY = Table(
    "parcel_status", "地块状态变更", "Parcel status history", key=("parcel_id", "changed_on", "status"),
    sheet_aliases=("地块状态", "状态变更", "再开发台账", "低效用地台账", "parcel status", "status history"),
    description="One row per change of a parcel's status, dated: when it was flagged as "
    "low-efficiency land, went idle or stopped, entered redevelopment, was redeveloped or revived. "
    "Redevelopment progress (zhizao land progress) counts completions by these dates.",
    columns=(
        _c("parcel_id", "string", "地块编号", "parcel id", required=True,
           aliases=("宗地编号", "地块代码", "不动产单元号", "parcel", "land id")),
        _c("changed_on", "date", "变更日期", "changed on", required=True,
           aliases=("日期", "状态日期", "认定日期", "完成日期", "date")),
        _c("status", "string", "地块状态", "status", required=True, allowed=PARCEL_HISTORY_STATUS,
           aliases=("状态", "新状态", "利用状态")),
        _c("note", "string", "备注", "note", aliases=("说明", "remarks")),
    ),
)

LINKS = Table(
    "links", "供应链关系", "Supply links", key=("supplier_uscc", "buyer_uscc", "year", "product_class"),
    sheet_aliases=("供应链", "供货关系", "交易", "发票", "supply", "invoices"),
    description="Supplier → buyer flows per year (e.g. aggregated from VAT e-invoices); one side "
    "may lie outside the region (then its region code says where).",
    columns=(
        _c("supplier_uscc", "string", "供应商信用代码", "supplier USCC", required=True, code="uscc",
           aliases=("销方信用代码", "销售方统一社会信用代码", "supplier")),
        _c("buyer_uscc", "string", "采购方信用代码", "buyer USCC", required=True, code="uscc",
           aliases=("购方信用代码", "购买方统一社会信用代码", "buyer")),
        YEAR,
        _c("product_class", "string", "产品行业代码", "product class", required=True, code="industry_class",
           aliases=("产品类别", "货物行业代码", "product"),
           description="GB/T 4754-2017 class of the product supplied"),
        _money("amount", "交易金额", "amount", "金额", "价税合计", "value", required=True),
        _c("supplier_region_code", "string", "供应商区划代码", "supplier region", code="region",
           aliases=("销方所在地",), description="needed when the supplier is not in `enterprises`"),
        _c("buyer_region_code", "string", "采购方区划代码", "buyer region", code="region",
           aliases=("购方所在地",)),
    ),
)

MONTHLY_STATS = Table(
    "monthly_stats", "月度工业统计", "Monthly statistics", key=("region_code", "division", "period"),
    sheet_aliases=("月度统计", "月报", "工业月报", "monthly"),
    description="Region × GB/T 4754 division × month: 规上 industrial value added at current and "
    "constant prices and gross output; published growth rates kept as their own series "
    "(NBS computes growth on a comparable unit set, 同口径 [U]: do not recompute official growth from levels).",
    columns=(
        _c("region_code", "string", "行政区划代码", "region code", required=True, code="region",
           aliases=("地区代码", "区划代码")),
        _c("division", "string", "行业大类代码", "division", required=True, code="industry_division",
           aliases=("行业代码", "大类代码", "industry division")),
        _c("period", "string", "月份", "period", required=True,
           aliases=("统计月份", "报告期", "month"), description="YYYY-MM"),
        _money("value_added_current", "工业增加值（现价）", "value added, current prices",
               "现价工业增加值", "value added current", min=-1e12),
        _money("value_added_constant", "工业增加值（不变价）", "value added, constant prices",
               "不变价工业增加值", "可比价工业增加值", "value added constant", min=-1e12),
        _money("gross_output", "工业总产值", "gross industrial output", "总产值", "gross output"),
        _c("va_growth_yoy", "float64", "增加值同比增速", "VA growth YoY (published)", unit="percent",
           min=-100, max=1000, aliases=("同比增长", "当月同比")),
        _c("va_growth_cumulative", "float64", "增加值累计增速", "VA growth cumulative (published)",
           unit="percent", min=-100, max=1000, aliases=("累计增长", "累计同比")),
    ),
)

QUARANTINE = Table(
    "quarantine", "隔离区", "Quarantine", key=("source_file", "sheet", "row_number", "column", "reason_code"),
    description="Every rejected row of every import, with where it came from and why. Nothing "
    "is dropped silently; re-importing the same file does not duplicate entries.",
    columns=(
        _c("source_file", "string", "来源文件", "file", required=True),
        _c("sheet", "string", "工作表", "sheet", required=True),
        _c("row_number", "int64", "行号", "row", required=True, description="1-based row in the file/sheet"),
        _c("column", "string", "列", "column", required=True),
        _c("reason_code", "string", "原因代码", "reason code", required=True),
        _c("target_table", "string", "目标表", "target table", required=True),
        _c("value", "string", "值", "value"),
        _c("reason_zh", "string", "原因", "reason (zh)", required=True),
        _c("reason_en", "string", "原因（英文）", "reason (en)", required=True),
        _c("row_json", "string", "原始行", "raw row", description="the whole row as JSON"),
        _c("imported_at", "timestamp", "导入时间", "imported at", required=True),
    ),
)

IMPORT_LOG = Table(
    "import_log", "导入记录", "Import log", key=("run_id", "source_file", "sheet"),
    description="One row per file/sheet per import run with its counts.",
    columns=(
        _c("run_id", "string", "批次", "run", required=True),
        _c("source_file", "string", "来源文件", "file", required=True),
        _c("sheet", "string", "工作表", "sheet", required=True),
        _c("target_table", "string", "目标表", "target table", required=True),
        _c("rows_read", "int64", "读取行数", "rows read", required=True),
        _c("rows_inserted", "int64", "新增行数", "inserted", required=True),
        _c("rows_updated", "int64", "更新行数", "updated", required=True),
        _c("rows_unchanged", "int64", "未变行数", "unchanged", required=True),
        _c("rows_quarantined", "int64", "隔离行数", "quarantined", required=True),
        _c("imported_at", "timestamp", "导入时间", "imported at", required=True),
    ),
)

#: Tables a user imports (in dependency order: enterprises before the tables that refer to them).
DATA_TABLES: tuple[Table, ...] = (ENTERPRISES, INDICATORS, PARCELS, PARCEL_STATUS_HISTORY, LINKS, MONTHLY_STATS)
#: Every table the warehouse holds.
TABLES: dict[str, Table] = {t.name: t for t in (*DATA_TABLES, QUARANTINE, IMPORT_LOG)}


# --------------------------------------------------------------------------------------------
# Header resolution

_UNIT_SUFFIX = re.compile(r"^(?P<base>.*?)(?:[\(\[（【](?P<unit>[^\)\]）】]*)[\)\]）】]|[/／:](?P<unit2>[^/／:]+))$")


@dataclass(frozen=True)
class HeaderMatch:
    """A file header resolved to a column and the factor that converts its unit."""

    header: str
    column: Column
    unit: str  # the unit the header declared ("" if none)
    factor: float


class UnknownUnit(ValueError):
    pass


def split_unit(header: str) -> tuple[str, str]:
    """Split ``营业收入（万元）`` into (``营业收入``, ``万元``); tolerant of spaces and bracket kinds."""
    h = normalize_token(header)
    m = _UNIT_SUFFIX.match(h)
    if m and (m.group("unit") is not None or m.group("unit2") is not None):
        unit = m.group("unit") if m.group("unit") is not None else m.group("unit2")
        return m.group("base"), unit
    return h, ""


@cache
def _alias_index(table_name: str) -> dict[str, Column]:
    table = TABLES[table_name]
    index: dict[str, Column] = {}
    for col in table.columns:
        for alias in (col.name, col.zh, col.en, col.header_zh, *col.aliases):
            key = normalize_token(alias)
            index.setdefault(key, col)
            base, unit = split_unit(alias)
            if unit:
                index.setdefault(base, col)
    return index


def resolve_header(table_name: str, header: str) -> HeaderMatch | None:
    """Match a file header to a column of ``table_name``; None if it names no column.

    Raises ``UnknownUnit`` if the header names a column but a unit of the wrong kind.

    >>> m = resolve_header("indicators", "营业收入（万元）")
    >>> m.column.name, m.factor
    ('revenue', 10000.0)
    >>> resolve_header("parcels", "用地面积(公顷)").factor
    15.0
    """
    index = _alias_index(table_name)
    key = normalize_token(header)
    if key in index:  # whole header is an alias (some aliases contain brackets themselves)
        col = index[key]
        base, unit = split_unit(header)
        if col.unit and unit and normalize_token(col.zh) != key and unit_factor(col.unit, unit) is not None:
            return HeaderMatch(header, col, unit, unit_factor(col.unit, unit))
        return HeaderMatch(header, col, "", 1.0)
    base, unit = split_unit(header)
    col = index.get(base)
    if col is None:
        return None
    if not unit:
        return HeaderMatch(header, col, "", 1.0)
    kind = col.unit or "plain"
    factor = unit_factor(kind, unit)
    if factor is None:
        raise UnknownUnit(
            f"列“{header}”的单位“{unit}”不适用于{col.zh}（应为{UNIT_KINDS[kind].canonical_zh or '无单位'}"
            f"或可换算单位） / header {header!r}: unit {unit!r} is not a {kind} unit for column {col.name}"
        )
    return HeaderMatch(header, col, unit, factor)


def table_for_sheet(sheet_name: str) -> Table | None:
    """The table a sheet's name designates (``企业名录`` → enterprises), or None."""
    key = normalize_token(sheet_name)
    for t in TABLES.values():
        if key in {normalize_token(a) for a in (t.name, t.zh, t.en, *t.sheet_aliases)}:
            return t
    return None


def arrow_schema(table: Table):
    """The pyarrow schema of a warehouse table."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
             "date": pa.date32(), "timestamp": pa.timestamp("us")}
    return pa.schema([pa.field(c.name, types[c.dtype], nullable=not c.required) for c in table.columns])


def duckdb_ddl(table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for DuckDB; key columns are NOT NULL.

    The natural key has no PRIMARY KEY constraint: ``store.Warehouse`` keeps it unique (its index
    would make bulk loads several times slower).
    """
    types = {"string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "bool": "BOOLEAN",
             "date": "DATE", "timestamp": "TIMESTAMP"}
    cols = [f'"{c.name}" {types[c.dtype]}{" NOT NULL" if c.required or c.name in table.key else ""}'
            for c in table.columns]
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({", ".join(cols)})'
