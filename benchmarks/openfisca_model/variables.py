"""创新型中小企业 (工信部企业〔2022〕63号 附件1) written as OpenFisca variables.

Missing data: the warehouse has nulls, OpenFisca has none. Numbers and yes/no facts are carried
as float64 with NaN for "unknown", and every condition is a tri-state float (1 = true, 0 = false,
NaN = unknown) combined with Kleene's logic (``and3``/``or3``/``not3``) — the SQL three-valued
logic the zhizao engine and the hand-written query use. Categorical levels are Enums with an
``unknown`` member. OpenFisca stores ``float`` variables as float32: a ratio exactly on a band
edge (30,000 yuan R&D / 1,000,000 revenue = 3%) then lands just below it and drops a band (on
hand-made edge cases scores moved by up to 10 points), so the variables here are widened to
float64 (``F64``) and all three implementations do the same arithmetic.

The score route follows the zhizao engine: decided even where some points tables are unknown
when every value they could take gives the same answer (see ``route_score``); the 自主研发I类
IP bonus the warehouse cannot decide is its own points table, unknown where it could apply.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from .entities import Enterprise

NAN = float("nan")
YEAR, ETERNITY = DateUnit.YEAR, DateUnit.ETERNITY
REF = "《优质中小企业梯度培育管理暂行办法》工信部企业〔2022〕63号 附件1"


# --- three-valued logic on float arrays (1 true, 0 false, NaN unknown) -----------------------

def tri(cond, *inputs):
    """A comparison as tri-state: NaN where any input is NaN."""
    out = cond.astype(np.float64)
    for x in inputs:
        out[np.isnan(x)] = NAN
    return out


def and3(*xs):
    false = np.zeros(len(xs[0]), dtype=bool)
    true = np.ones(len(xs[0]), dtype=bool)
    for x in xs:
        false |= x == 0
        true &= x == 1
    return np.where(false, 0.0, np.where(true, 1.0, NAN))


def or3(*xs):
    true = np.zeros(len(xs[0]), dtype=bool)
    false = np.ones(len(xs[0]), dtype=bool)
    for x in xs:
        true |= x == 1
        false &= x == 0
    return np.where(true, 1.0, np.where(false, 0.0, NAN))


def not3(x):
    return 1.0 - x


def div(a, b):
    """a / b, unknown where b is 0 or either is unknown (the engine's division by 0 → null)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, NAN, a / b)


class F64(Variable):
    """Base of the float variables: float64 storage (OpenFisca's ``float`` is float32).

    OpenFisca reads a variable's attributes from its own class ``__dict__`` only, so
    ``__init_subclass__`` writes ``value_type = float`` and ``default_value = NaN`` into each
    subclass.
    """

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.value_type = float
        cls.default_value = NAN

    def __init__(self, baseline_variable=None):
        super().__init__(baseline_variable)
        self.dtype = np.float64


class Level(Enum):
    national = "国家级"
    provincial = "省级"
    municipal = "市级"
    below_municipal = "市级以下"
    none = "无"
    unknown = "未知"


class Verdict(Enum):
    eligible = "eligible"
    not_eligible = "not_eligible"
    unknown = "unknown"


# --- inputs: the warehouse columns the rule reads ------------------------------------------------

def _input(name, period, label):
    return type(name, (F64,), {"entity": Enterprise, "definition_period": period, "label": label,
                               "__module__": __name__})


def _level(name, label):
    return type(name, (Variable,), {"value_type": Enum, "possible_values": Level,
                                    "default_value": Level.unknown, "entity": Enterprise,
                                    "definition_period": ETERNITY, "label": label,
                                    "__module__": __name__})


INPUTS = [
    _input("revenue", YEAR, "营业收入 (元)"),
    _input("main_revenue", YEAR, "主营业务收入 (元)"),
    _input("rd_expenditure", YEAR, "研发费用 (元)"),
    _input("total_assets", YEAR, "资产总计 (元)"),
    _input("total_liabilities", YEAR, "负债合计 (元)"),
    _input("new_equity_financing", YEAR, "新增股权融资 (元)"),
    _input("ip_class1_high_value", YEAR, "I类高价值知识产权数"),
    _input("ip_class1", YEAR, "I类知识产权数"),
    _input("ip_class2", YEAR, "II类知识产权数"),
    _input("is_sme", ETERNITY, "中小企业 (tri-state)"),
    _input("on_abnormal_list", ETERNITY, "列入经营异常或严重失信名单 (tri-state)"),
    _input("major_incident_3y", ETERNITY, "近三年重大安全质量环境事故 (tri-state)"),
    _input("is_high_tech", ETERNITY, "高新技术企业 (tri-state)"),
    _input("strategic_emerging", ETERNITY, "属于战略性新兴产业 (tri-state)"),
    _level("st_award_level", "近三年科技奖励级别"),
    type("high_tech_valid_until", (Variable,), {"value_type": date, "entity": Enterprise,
                                                "definition_period": ETERNITY, "label": "高企证书有效期至 (NaT = unknown)",
                                                "__module__": __name__}),
    _level("rd_institution_level", "研发机构级别"),
]


# --- derived variables ---------------------------------------------------------------------------

class rd_ratio(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "研发费用占营业收入比重", REF

    def formula(enterprise, period):
        return div(enterprise("rd_expenditure", period), enterprise("revenue", period))


class main_revenue_growth(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "主营业务收入增长率", REF

    def formula(enterprise, period):
        now = enterprise("main_revenue", period)
        before = enterprise("main_revenue", period.last_year)
        return div(now - before, before)


class debt_ratio(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "资产负债率", REF

    def formula(enterprise, period):
        return div(enterprise("total_liabilities", period), enterprise("total_assets", period))


class main_business_share(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "主营业务收入占营业收入比重", REF

    def formula(enterprise, period):
        return div(enterprise("main_revenue", period), enterprise("revenue", period))


def _equity_years(enterprise, period):
    return (enterprise("new_equity_financing", period), enterprise("new_equity_financing", period.last_year),
            enterprise("new_equity_financing", period.last_year.last_year))


class equity_financing_3y(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "近三年新增股权融资总额 (元)", REF

    def formula(enterprise, period):
        a, b, c = _equity_years(enterprise, period)
        return a + b + c


class equity_financing_3y_known(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "近三年新增股权融资 (已知年份之和, 下限)", REF

    def formula(enterprise, period):
        return sum(np.nan_to_num(x, nan=0.0) for x in _equity_years(enterprise, period))


# --- points tables -------------------------------------------------------------------------------

def _banded(scale, x):
    """A single-amount scale (edge → higher band), unknown where the value is unknown."""
    return np.where(np.isnan(x), NAN, scale.calc(x))


class points_ip(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "知识产权 points", REF

    def formula(enterprise, period, parameters):
        p = parameters(period).innovative_sme.points.ip
        hv, c1, c2 = (enterprise(v, period) for v in ("ip_class1_high_value", "ip_class1", "ip_class2"))
        # first condition that holds; an unknown condition before it makes the points unknown
        # cases in order; the first that holds gives its points, an unknown one before it makes
        # the points unknown, and with no case holding (no else) they are unknown too
        none = and3(tri(c1 == 0, c1), tri(c2 == 0, c2))
        return np.select([np.isnan(hv), hv >= 1, np.isnan(c1), c1 >= 1, np.isnan(c2), c2 >= 1, none == 1],
                         [NAN, p.class1_high_value, NAN, p.class1, NAN, p.class2, p.none], NAN)


class points_ip_self_developed(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "自主研发I类知识产权 (15 vs 10 points)", REF
    documentation = """The 5 points between the 自主研发I类 (15) and I类 (10) bands: the warehouse does not
    tell self-developed from acquired IP, so they are unknown for Class-I IP that is not
    high-value, and 0 where that case is definitely out."""

    def formula(enterprise, period, parameters):
        hv, c1 = enterprise("ip_class1_high_value", period), enterprise("ip_class1", period)
        out = and3(tri(c1 >= 1, c1), tri(hv == 0, hv))
        return np.where(out == 0, 0.0, NAN)


class points_rd(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "研发投入强度 points", REF

    def formula(enterprise, period, parameters):
        return _banded(parameters(period).innovative_sme.points.rd_ratio, enterprise("rd_ratio", period))


class points_growth(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "主营业务收入增长率 points", REF

    def formula(enterprise, period, parameters):
        return _banded(parameters(period).innovative_sme.points.main_revenue_growth,
                       enterprise("main_revenue_growth", period))


class points_debt(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "资产负债率 points", REF

    def formula(enterprise, period, parameters):
        p = parameters(period).innovative_sme.points.debt_ratio
        x = enterprise("debt_ratio", period)
        return np.select([np.isnan(x), x <= p.good_max, x <= p.fair_max],
                         [NAN, p.good_points, p.fair_points], p.else_points)


class points_strategic(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "主导产品所属领域 points", REF

    def formula(enterprise, period, parameters):
        p = parameters(period).innovative_sme.points.strategic_emerging
        s = enterprise("strategic_emerging", period)
        return np.select([np.isnan(s), s == 1], [NAN, p.inside], p.outside)


class points_main_share(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "主营业务收入占比 points", REF

    def formula(enterprise, period, parameters):
        return _banded(parameters(period).innovative_sme.points.main_business_share,
                       enterprise("main_business_share", period))


class score_innovation(F64):
    entity, definition_period, label = Enterprise, YEAR, "创新能力 (max 40)"

    def formula(enterprise, period):
        return (enterprise("points_ip", period) + enterprise("points_ip_self_developed", period)
                + enterprise("points_rd", period))


class score_growth(F64):
    entity, definition_period, label = Enterprise, YEAR, "成长性 (max 30)"

    def formula(enterprise, period):
        return enterprise("points_growth", period) + enterprise("points_debt", period)


class score_specialization(F64):
    entity, definition_period, label = Enterprise, YEAR, "专业化 (max 30)"

    def formula(enterprise, period):
        return enterprise("points_strategic", period) + enterprise("points_main_share", period)


class score(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "评价得分 (max 100)", REF

    def formula(enterprise, period):
        return (enterprise("score_innovation", period) + enterprise("score_growth", period)
                + enterprise("score_specialization", period))


# --- rules (tri-state) ---------------------------------------------------------------------------

class rule_sme(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "属于中小企业", REF + " 申报条件"

    def formula(enterprise, period):
        return enterprise("is_sme", period)


class rule_not_abnormal(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "未被列入经营异常名录或严重失信主体名单", REF

    def formula(enterprise, period):
        return not3(enterprise("on_abnormal_list", period))


class rule_no_incident(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "近三年未发生重大安全、质量、环境污染事故", REF

    def formula(enterprise, period):
        return not3(enterprise("major_incident_3y", period))


def _level_in(arr, *levels):
    unknown = arr == Level.unknown
    out = np.zeros(len(arr), dtype=np.float64)
    for lv in levels:
        out[arr == lv] = 1.0
    out[unknown] = NAN
    return out


class rule_award(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "近三年获得省级以上科技奖励", REF + " 直接认定(一)"

    def formula(enterprise, period):
        return _level_in(enterprise("st_award_level", period), Level.national, Level.provincial)


class rule_high_tech(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "有效期内高新技术企业", REF + " 直接认定(二)"

    def formula(enterprise, period):
        until = enterprise("high_tech_valid_until", period)
        until_year = until.astype("datetime64[Y]").astype(np.float64) + 1970  # NaT → NaN
        until_year[np.isnat(until)] = NAN
        # valid through the end of the evaluation year: year(valid_until) >= Y
        return and3(enterprise("is_high_tech", period), tri(until_year >= period.start.year, until_year))


class rule_rd_institution(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "省部级以上研发机构", REF + " 直接认定(三)"

    def formula(enterprise, period):
        return _level_in(enterprise("rd_institution_level", period), Level.national, Level.provincial)


class rule_equity(F64):
    entity, definition_period, label, reference = Enterprise, YEAR, "近三年新增股权融资 500万元以上", REF + " 直接认定(四)"

    def formula(enterprise, period, parameters):
        least = parameters(period).innovative_sme.qualification.equity_financing_min
        known, x = enterprise("equity_financing_3y_known", period), enterprise("equity_financing_3y", period)
        return or3(tri(known >= least, known), tri(x >= least, x))


class rule_floor(F64):
    entity, definition_period, label = Enterprise, YEAR, "申报基本条件 (all)"

    def formula(enterprise, period):
        return and3(enterprise("rule_sme", period), enterprise("rule_not_abnormal", period),
                    enterprise("rule_no_incident", period))


class route_direct(F64):
    entity, definition_period, label = Enterprise, YEAR, "直接认定 (any)"

    def formula(enterprise, period):
        return or3(*(enterprise(r, period) for r in ("rule_award", "rule_high_tech", "rule_rd_institution",
                                                      "rule_equity")))


class route_score(F64):
    entity, definition_period, label = Enterprise, YEAR, "评分认定: 60 分以上且各项不低于最低分"
    documentation = """Decided even where some points tables are unknown, when every value they could
    take gives the same answer: fails if the total or a dimension misses its minimum even with
    every unknown table at its highest points; passes if they all reach it with every unknown
    table at its lowest (0, except the main-product field: every field outside the strategic
    emerging industries gets 5, so its lowest is 5); else unknown."""

    def formula(enterprise, period, parameters):
        q = parameters(period).innovative_sme.qualification
        pts = parameters(period).innovative_sme.points
        top = {"points_ip": pts.ip.class1_high_value, "points_ip_self_developed": pts.ip.self_developed_bonus,
               "points_rd": max(pts.rd_ratio.amounts),
               "points_growth": max(pts.main_revenue_growth.amounts), "points_debt": pts.debt_ratio.good_points,
               "points_strategic": pts.strategic_emerging.inside, "points_main_share": max(pts.main_business_share.amounts)}
        dims = {"innovation": (("points_ip", "points_ip_self_developed", "points_rd"), q.innovation_min),
                "growth": (("points_growth", "points_debt"), q.growth_min),
                "specialization": (("points_strategic", "points_main_share"), q.specialization_min)}
        low = {v: 0.0 for v in top}
        low["points_strategic"] = pts.strategic_emerging.outside
        val = {v: enterprise(v, period) for v in top}

        def bound(names, high):
            return sum(np.where(np.isnan(val[v]), top[v] if high else low[v], val[v]) for v in names)

        fails = bound(top, True) < q.score_pass
        sure = bound(top, False) >= q.score_pass
        for names, least in dims.values():
            fails |= bound(names, True) < least
            sure &= bound(names, False) >= least
        return np.select([fails, sure], [0.0, 1.0], NAN)


class verdict(Variable):
    value_type = Enum
    possible_values = Verdict
    default_value = Verdict.unknown
    entity, definition_period, label = Enterprise, YEAR, "创新型中小企业 verdict"

    def formula(enterprise, period):
        floor = enterprise("rule_floor", period)
        routes = or3(enterprise("route_direct", period), enterprise("route_score", period))
        return np.select([(floor == 0) | (routes == 0), (floor == 1) & (routes == 1)],
                         [Verdict.not_eligible.index, Verdict.eligible.index], Verdict.unknown.index)


FORMULAS = [rd_ratio, main_revenue_growth, debt_ratio, main_business_share, equity_financing_3y,
            equity_financing_3y_known,
            points_ip, points_ip_self_developed, points_rd, points_growth, points_debt, points_strategic, points_main_share,
            score_innovation, score_growth, score_specialization, score,
            rule_sme, rule_not_abnormal, rule_no_incident, rule_award, rule_high_tech, rule_rd_institution,
            rule_equity, rule_floor, route_direct, route_score, verdict]
