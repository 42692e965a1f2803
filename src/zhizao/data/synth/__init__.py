"""``zhizao synth``: a calibrated synthetic industrial province (合成工业省份).

:func:`generate` returns the five data tables of the warehouse (``enterprises``, ``indicators``,
``parcels``, ``links``, ``monthly_stats``) for a synthetic province, each conforming exactly to
:func:`zhizao.data.schema.arrow_schema`. The province is calibrated to published Zhejiang
figures (``src/zhizao/methods/synth/zhejiang.yaml``, each figure with its source) and
:func:`calibration_report` compares what a generated province shows with each target.

The generator is pure (no files, no printing; progress goes to an optional callback) and
deterministic: the same ``seed`` gives the same tables bit for bit. It is vectorised throughout
(no Python loop over firms, parcels or links), so a province of a million enterprises takes
well under a minute.

Every enterprise name starts with ``（合成）`` and every parcel id with ``SYN-``: nothing here is a
real enterprise.

>>> tables = generate(enterprises=2_000, seed=7)
>>> sorted(tables)
['enterprises', 'indicators', 'links', 'monthly_stats', 'parcel_status', 'parcels']
>>> tables["enterprises"].num_rows
2000
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from zhizao.codes.uscc import generate_usccs
from zhizao.data import schema
from zhizao.data.synth._util import bool_array, float_array, int_array
from zhizao.data.synth.calibration import Calibration, load_calibration
from zhizao.data.synth.catalog import build_geography, build_industry
from zhizao.data.synth.enterprises import build_enterprises
from zhizao.data.synth.land import build_parcels, build_status_history, firm_land
from zhizao.data.synth.links import build_links
from zhizao.data.synth.monthly import build_monthly
from zhizao.data.synth.panel import Panel, add_water_gas, build_panel
from zhizao.data.synth.population import build_population
from zhizao.data.synth.report import (
    CalibrationRow,
    calibration_report,
    render_calibration_table,
    render_cluster_table,
)
from zhizao.data.synth.traits import build_traits

__all__ = [
    "DEFAULT_SEED",
    "Calibration",
    "CalibrationRow",
    "SynthConfig",
    "calibration_markdown",
    "calibration_report",
    "generate",
    "load_calibration",
    "render_calibration_table",
    "render_cluster_table",
]

DEFAULT_SEED = 20261127
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SynthConfig:
    """The arguments of :func:`generate`, as one value (e.g. for the CLI or a fixture)."""

    seed: int = DEFAULT_SEED
    enterprises: int = 50_000
    province: str = "330000"
    years: tuple[int, ...] = (2022, 2023, 2024)
    months: bool = True

    def generate(self, *, calibration: Calibration | None = None,
                 progress: Progress | None = None) -> dict[str, pa.Table]:
        return generate(enterprises=self.enterprises, seed=self.seed, province=self.province,
                        years=self.years, months=self.months, calibration=calibration,
                        progress=progress)


def generate(*, enterprises: int = 50_000, seed: int = DEFAULT_SEED, province: str = "330000",
             years: Sequence[int] = (2022, 2023, 2024), months: bool = True,
             calibration: Calibration | None = None,
             progress: Progress | None = None) -> dict[str, pa.Table]:
    """Generate a synthetic province.

    Parameters
    ----------
    enterprises:
        Number of industrial enterprise legal units (rows of ``enterprises``), ≥ 100.
    seed:
        Seed of the one ``numpy.random.Generator`` used throughout.
    province:
        GB/T 2260 province code. The shipped calibration is Zhejiang's (330000); another
        province keeps the non-geographic parameters, spreads firms evenly over its prefectures
        and plants no clusters.
    years:
        Consecutive calendar years of indicators, links and monthly statistics.
    months:
        Whether to build ``monthly_stats`` (an empty table otherwise).
    calibration:
        A :class:`Calibration`; default the shipped ``zhejiang.yaml``.
    progress:
        Called as ``progress(stage, fraction_done)``.

    Returns
    -------
    dict of table name → ``pyarrow.Table`` with exactly ``schema.arrow_schema(...)``.
    """
    ys = tuple(int(y) for y in years)
    if enterprises < 100:
        raise ValueError("enterprises must be at least 100")
    if not ys or any(b != a + 1 for a, b in zip(ys, ys[1:])):
        raise ValueError(f"years must be consecutive, got {ys}")
    cal = calibration if calibration is not None else load_calibration()
    say = progress or (lambda stage, frac: None)
    rng = np.random.default_rng(seed)

    say("catalogue", 0.0)
    geo = build_geography(province, cal, rng)
    cat = build_industry(cal, rng)
    say("population", 0.05)
    pop = build_population(int(enterprises), ys, geo, cat, cal, rng)
    tr = build_traits(pop, geo, cat, cal, rng)
    say("indicators", 0.2)
    panel = build_panel(pop, tr, cat, cal, rng)
    add_water_gas(panel, cal, np.random.default_rng([seed, 2589]))
    uscc_np = generate_usccs(pop.n, rng=rng, region_codes=np.array(geo.counties)[pop.county])
    uscc = pa.array(uscc_np, pa.string())
    if isinstance(uscc, pa.ChunkedArray):
        uscc = uscc.combine_chunks()
    del uscc_np
    say("enterprises", 0.4)
    ent = build_enterprises(uscc, pop, tr, panel, geo, cat, cal, rng)
    ind = _indicators_table(uscc, pop, panel)
    say("parcels", 0.55)
    land = firm_land(pop, tr, panel, cal, rng)
    parcels = build_parcels(uscc, ent.column("park").combine_chunks(), land, pop, tr, geo, cat, cal, rng)
    status_history = build_status_history(parcels, int(ys[-1]), np.random.default_rng([seed, 4754]))
    say("links", 0.7)
    links = build_links(uscc, pop, tr, panel, geo, cat, cal, rng)
    say("monthly_stats", 0.9)
    if months:
        monthly = build_monthly(pop, panel, geo, cat, cal, rng)
    else:
        monthly = schema.arrow_schema(schema.MONTHLY_STATS).empty_table()
    say("done", 1.0)
    return {"enterprises": ent, "indicators": ind, "parcels": parcels, "parcel_status": status_history,
            "links": links, "monthly_stats": monthly}


def calibration_markdown(*, enterprises: int = 50_000, seed: int = DEFAULT_SEED,
                         calibration: Calibration | None = None) -> str:
    """Generate a province and render its target-vs-achieved table (docs/synthetic.md).

    Regenerate the documentation table with::

        python -c "from zhizao.data.synth import calibration_markdown; print(calibration_markdown())"
    """
    cal = calibration if calibration is not None else load_calibration()
    tables = generate(enterprises=enterprises, seed=seed, calibration=cal)
    return render_calibration_table(calibration_report(tables, cal), enterprises=enterprises, seed=seed)


def _indicators_table(uscc: pa.Array, pop, panel: Panel) -> pa.Table:
    c, mk = panel.cols, panel.masks
    years = np.array(pop.years)
    cols: dict[str, pa.Array] = {
        "uscc": uscc.take(pa.array(panel.firm)),
        "year": int_array(years[panel.year_idx]),
        "above_scale": bool_array(c["above_scale"]),
    }
    for col in schema.INDICATORS.columns[3:]:
        v = c[col.name]
        if col.dtype == "int64":
            cols[col.name] = int_array(v, mk.get(col.name))
        else:
            cols[col.name] = float_array(v, mk.get(col.name))
    return pa.table(cols, schema=schema.arrow_schema(schema.INDICATORS))
