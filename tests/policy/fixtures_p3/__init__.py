"""Helper P3's test enterprises and test policies (explanations, gap-to-qualify, CLI, package).

The policies ``p3_grant`` and ``p3_topup`` in this folder are made up for the tests (not official
texts). The enterprises below are hand-built so each exercises one path; their expected numbers
are worked out in the comments.

p3_grant: floor = sme, not_abnormal, established (firm_age ≥ 2, cannot change), rd_min
(R&D ≥ 100万 and rd_ratio ≥ 3%, waived for high-tech firms); routes: direct (high-tech or new
equity ≥ 500万) or score ≥ 45 with innovation ≥ 20 and growth ≥ 10; benefit 20% of R&D, cap 30万;
budget 50万 by score.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

DIR = Path(__file__).parent
YEAR = 2024

#: The base firm: eligible by score. rd_ratio 2.8M / 70M = 4% → 15; ip_class1 1 → 20 (innovation 35);
#: growth (66M − 60M) / 60M = 10% → 15; debt 50% → 10 (growth 25); total 60 ≥ 45; benefit 56万 → cap 30万.
BASE_ENT = {"is_sme": True, "on_abnormal_list": False, "registered_on": dt.date(2015, 1, 1), "is_high_tech": False,
            "industry_code": "3451"}
BASE_IND = {"revenue": 70_000_000.0, "main_revenue": 66_000_000.0, "rd_expenditure": 2_800_000.0,
            "total_assets": 100_000_000.0, "total_liabilities": 50_000_000.0, "ip_class1": 1, "ip_class2": 0,
            "new_equity_financing": 0.0}
BASE_PREV = {"main_revenue": 60_000_000.0}

FIRMS = {
    # eligible by score (see above)
    "BASE": ({}, {}, {}),
    # high-tech: rd 50万 (0.71%) fails rd_min, but the waiver makes it true; direct route; benefit 10万
    "HIGHTECH": ({"is_high_tech": True}, {"rd_expenditure": 500_000.0}, {}),
    # the example: rd_ratio 147万 / 7000万 = 2.1% < 3% → needs +0.9 pt, about 63万元 more R&D
    "RDGAP": ({}, {"rd_expenditure": 1_470_000.0}, {}),
    # registered in 2023: firm_age 1 < 2, a rule it cannot change
    "YOUNG": ({"registered_on": dt.date(2023, 6, 1)}, {}, {}),
    # no R&D figure: rd_min unknown → verdict unknown, rd_expenditure named
    "NORD": ({}, {"rd_expenditure": None}, {}),
    # floor holds (rd exactly 3%); score route short: rd 15, ip 0 → innovation 15 < 20; growth 0% → 5,
    # debt 80% → 0 → growth 5 < 10; total 20 < 45. Cheapest climbs: debt ≤ 75% (+5, cost 0.0625) and
    # ip_class1 ≥ 1 (+20, cost 1) → +25, innovation +20, growth +5.
    "SCORE": ({}, {"rd_expenditure": 2_100_000.0, "ip_class1": 0, "ip_class2": 0,
                   "total_liabilities": 80_000_000.0}, {"main_revenue": 66_000_000.0}),
}


def uscc(key: str) -> str:
    """A fixed fake USCC per test firm (the engine does not check the checksum)."""
    return f"91330000P3{key[:6].upper():X<6}00"[:18]


def rows(keys=None):
    """(enterprises, indicators) row dicts of the test firms (``YEAR`` and ``YEAR − 1``)."""
    ents, inds = [], []
    for key in keys or FIRMS:
        e, i, prev = FIRMS[key]
        u = uscc(key)
        ents.append({"uscc": u, "name": f"测试企业{key}", **BASE_ENT, **e})
        inds.append({"uscc": u, "year": YEAR, **BASE_IND, **i})
        inds.append({"uscc": u, "year": YEAR - 1, **BASE_PREV, **prev})
    return ents, inds


def p3_tables(keys=None):
    """Ibis tables of the test firms (``tests.policy.conftest.tables_from_rows``)."""
    from tests.policy.conftest import tables_from_rows

    return tables_from_rows(*rows(keys))


def p3_library():
    from zhizao.policy import load_library

    return load_library(DIR)
