"""Synthetic but realistic Chinese enterprise names, built vectorised.

A name is ``（合成）`` + county short name + a two-character brand + an industry word + an
optional ``科技`` + a legal-form suffix, e.g. ``（合成）新昌瑞泰轴承有限公司``. The ``（合成）``
mark says the row is synthetic wherever the name is shown.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SYNTHETIC_MARK = "（合成）"

BRAND_FIRST = tuple("瑞恒华泰宏达鑫盛新金永天嘉立中东海宇德信安康正通汇博明远兴凯欣丰利昌隆荣彩力美佳福顺亚万")
BRAND_SECOND = tuple("达泰丰盛祥源发通宇腾辉晟邦锐创科诚顺和润捷航星峰翔宝福林成业华昌鸿")

DIVISION_WORDS = {
    "06": "煤业", "07": "油气", "08": "矿业", "09": "矿业", "10": "矿业", "11": "矿业服务", "12": "矿业",
    "13": "食品", "14": "食品", "15": "饮品", "16": "烟草", "17": "纺织", "18": "服饰", "19": "鞋业",
    "20": "木业", "21": "家具", "22": "纸业", "23": "印务", "24": "工艺品", "25": "石化", "26": "化工",
    "27": "药业", "28": "化纤", "29": "塑业", "30": "建材", "31": "钢业", "32": "金属材料", "33": "五金",
    "34": "机械", "35": "装备", "36": "汽车部件", "37": "车船", "38": "电器", "39": "电子", "40": "仪表",
    "41": "制品", "42": "再生资源", "43": "机电维修", "44": "热电", "45": "燃气", "46": "水务",
}

CLASS_WORDS = {
    "3451": "轴承", "3452": "轴承", "3453": "齿轮", "1761": "经编", "1762": "印染", "1763": "袜业",
    "1771": "家纺", "3854": "厨具", "3861": "燃气具", "3853": "电器", "3855": "电器", "3856": "电器",
    "3857": "电器配件", "3859": "电器", "3670": "汽配", "2511": "石化", "2614": "化工", "2651": "新材料",
    "3441": "泵业", "3812": "电机", "3443": "阀门", "3312": "门业", "3322": "工具", "3389": "日用品",
    "3381": "厨具", "3465": "电动工具", "2822": "化纤", "2821": "锦纶", "2826": "氨纶", "2710": "药业",
    "2720": "制药", "3921": "通信", "3939": "视讯", "3982": "电路", "3823": "电气", "3829": "电气",
    "3821": "变压器", "1952": "鞋业", "1951": "鞋业", "1959": "鞋业", "3973": "集成电路",
    "3562": "半导体设备", "4014": "分析仪器",
}

SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司")


def industry_words(classes: tuple[str, ...]) -> list[str]:
    return [CLASS_WORDS.get(c, DIVISION_WORDS.get(c[:2], "实业")) for c in classes]


def enterprise_names(rng: np.random.Generator, county_short: tuple[str, ...], county: np.ndarray,
                     classes: tuple[str, ...], cls: np.ndarray, tech: np.ndarray,
                     suffix: np.ndarray) -> pa.Array:
    """Names for every enterprise; ``tech`` adds 科技, ``suffix`` indexes ``SUFFIXES``."""
    n = len(county)
    mark = pa.array(np.full(n, SYNTHETIC_MARK))
    place = pa.array(list(county_short), pa.string()).take(pa.array(county))
    b1 = pa.array(list(BRAND_FIRST)).take(pa.array(rng.integers(0, len(BRAND_FIRST), n)))
    b2 = pa.array(list(BRAND_SECOND)).take(pa.array(rng.integers(0, len(BRAND_SECOND), n)))
    word = pa.array(industry_words(classes), pa.string()).take(pa.array(cls))
    techs = pa.array(["", "科技"]).take(pa.array(np.asarray(tech, dtype=np.int64)))
    suf = pa.array(list(SUFFIXES)).take(pa.array(np.asarray(suffix, dtype=np.int64)))
    return pc.binary_join_element_wise(mark, place, b1, b2, word, techs, suf, "")
