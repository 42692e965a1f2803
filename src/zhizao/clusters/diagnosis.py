"""The 大而不强 (big but not strong) diagnosis of clusters.

Each cluster of a profile table (its ``cluster`` rows) gets a **scale percentile** (规模) and
**strength percentiles** (实力) among the clusters of the table, on the dimensions of the settings
(``methods/clusters/diagnosis-default.yaml``: productivity 生产效率, innovation 创新能力,
profitability 盈利能力, leading-firm strength 龙头企业实力). A percentile is mid-rank:
``100 × (number below + ½ × number equal) / n`` over the clusters with a value (a metric where
lower is better is ranked reversed); a dimension's percentile is the mean of its metrics', the
scale and strength percentiles the means of theirs (missing values are skipped).

Verdict: big = scale ≥ ``scale.big_percentile``; strong = strength ≥ ``strong_percentile``:
大而强 (big and strong), 大而不强 (big but not strong), 小而强 (small but strong), 小而弱 (small and
weak). A dimension below ``weak_percentile`` is named weak, with each of its metrics against the
provincial benchmark (the ``benchmark`` row: all manufacturing of the province) and the national
one where the settings give it.

Data first: :func:`diagnose` returns tables; :func:`render` writes them as zh or en text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import rankdata

from zhizao.clusters.method import (
    METRIC_LABELS,
    DiagnosisSettings,
    format_values,
)
from zhizao.clusters.tiers import cluster_rows

__all__ = ["VERDICTS", "DiagnosisResult", "diagnose", "percentiles", "render"]

#: (big, strong) → (zh, en)
VERDICTS = {
    (True, True): ("大而强", "big and strong"),
    (True, False): ("大而不强", "big but not strong"),
    (False, True): ("小而强", "small but strong"),
    (False, False): ("小而弱", "small and weak"),
}


def percentiles(x, *, higher_is_better: bool = True) -> np.ndarray:
    """Mid-rank percentile (0–100) of each value among the non-NaN values; NaN stays NaN.

    >>> percentiles([10.0, 20.0, 20.0, float("nan"), 40.0]).tolist()
    [12.5, 50.0, 50.0, nan, 87.5]
    >>> percentiles([1.0, 2.0], higher_is_better=False).tolist()
    [75.0, 25.0]
    """
    v = np.asarray(x, dtype=np.float64)
    v = v if higher_is_better else -v
    ok = ~np.isnan(v)
    out = np.full(v.shape, np.nan)
    n = int(ok.sum())
    if n:
        out[ok] = (rankdata(v[ok], method="average") - 0.5) / n * 100.0
    return out


def _nanmean(stack: list[np.ndarray]) -> np.ndarray:
    a = np.vstack(stack)
    cnt = (~np.isnan(a)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, np.nansum(a, axis=0) / np.maximum(cnt, 1), np.nan)


@dataclass(frozen=True)
class DiagnosisResult:
    """``clusters``: one row per cluster (percentiles, verdict, weak dimensions); ``weaknesses``:
    one row per cluster × weak dimension × metric, with the benchmarks; ``settings``: what was used."""

    clusters: pa.Table
    weaknesses: pa.Table
    settings: DiagnosisSettings

    def verdict_of(self, cluster_id: str) -> str:
        t = self.clusters.filter(pc.equal(self.clusters.column("cluster_id"), cluster_id))
        if not t.num_rows:
            raise KeyError(f"no cluster {cluster_id!r} in the diagnosis")
        return t.column("verdict")[0].as_py()

    def to_dicts(self) -> list[dict]:
        """One dict per cluster, its weak points under ``weaknesses``."""
        weak = self.weaknesses.to_pylist()
        out = []
        for row in self.clusters.to_pylist():
            row["weaknesses"] = [w for w in weak if w["cluster_id"] == row["cluster_id"]]
            out.append(row)
        return out


def diagnose(profiles, settings: DiagnosisSettings) -> DiagnosisResult:
    """Scale and strength percentiles, the verdict and the weak dimensions of every cluster.

    Parameters
    ----------
    profiles
        A profile table (``cluster_profiles``; Arrow or Ibis) with its ``cluster`` rows (the peers)
        and, for the provincial benchmark, its ``benchmark`` row.
    settings
        :class:`~zhizao.clusters.method.DiagnosisSettings`, validated (``load_diagnosis_settings(id or path)``).

    Returns
    -------
    DiagnosisResult
        ``clusters`` columns: ``cluster_id``, ``name_zh``, ``name_en``, ``region_code``,
        ``scale_percentile``, ``<dimension>_percentile`` for each dimension, ``strength_percentile``,
        ``big``, ``strong``, ``verdict`` (大而不强 …), ``verdict_en``, ``weak_dimensions``
        (``;``-joined dimension ids). ``weaknesses`` columns: ``cluster_id``, ``dimension``,
        ``dimension_zh``, ``dimension_en``, ``percentile``, ``metric``, ``value``,
        ``province_benchmark``, ``ratio_to_province``, ``national_benchmark``, ``ratio_to_national``.
    """
    if not isinstance(settings, DiagnosisSettings):
        raise TypeError(f"settings: expected DiagnosisSettings (zhizao.clusters.load_diagnosis_settings), "
                        f"got {type(settings).__name__}")
    s = settings
    t = profiles if isinstance(profiles, pa.Table) else profiles.to_pyarrow()
    peers = cluster_rows(t)
    bench = t.filter(pc.equal(t.column("scope"), "benchmark"))
    n = peers.num_rows

    def col(tab, name):
        return tab.column(name).to_numpy(zero_copy_only=False).astype(np.float64)

    def pct(ref):
        return percentiles(col(peers, ref.column), higher_is_better=ref.direction == "higher_is_better")

    scale = _nanmean([pct(m) for m in s.scale.metrics])
    dims = list(s.dimensions)
    dim_pct = {d: _nanmean([pct(m) for m in s.dimensions[d].metrics]) for d in dims}
    strength = _nanmean([dim_pct[d] for d in dims])
    with np.errstate(invalid="ignore"):
        big = scale >= s.scale.big_percentile
        strong = strength >= s.strong_percentile
        weak = {d: dim_pct[d] < s.weak_percentile for d in dims}
    zh = np.where(big, np.where(strong, "大而强", "大而不强"), np.where(strong, "小而强", "小而弱"))
    en = np.where(big, np.where(strong, "big and strong", "big but not strong"),
                  np.where(strong, "small but strong", "small and weak"))
    weak_names = np.full(n, "", dtype=object)
    for d in dims:
        w = np.where(weak[d], d, "").astype(object)
        weak_names = np.where(weak_names == "", w, np.where(w == "", weak_names, weak_names + ";" + w))
    clusters = pa.table({
        "cluster_id": peers.column("cluster_id"), "name_zh": peers.column("name_zh"),
        "name_en": peers.column("name_en"), "region_code": peers.column("region_code"),
        "scale_percentile": pa.array(scale),
        **{f"{d}_percentile": pa.array(dim_pct[d]) for d in dims},
        "strength_percentile": pa.array(strength),
        "big": pa.array(big), "strong": pa.array(strong),
        "verdict": pa.array(zh.astype(object), pa.string()), "verdict_en": pa.array(en.astype(object), pa.string()),
        "weak_dimensions": pa.array(weak_names, pa.string()),
    })

    # weak points: one row per cluster × weak dimension × metric (cluster-major order)
    entries = [(d, m.column) for d in dims for m in s.dimensions[d].metrics]
    E = len(entries)
    mask = np.column_stack([weak[d] for d, _ in entries]) if E else np.zeros((n, 0), bool)
    ci, ei = np.nonzero(mask)
    values = np.column_stack([col(peers, m) for _, m in entries])[ci, ei] if E else np.zeros(0)
    prov = np.array([col(bench, m)[0] if bench.num_rows else np.nan for _, m in entries], dtype=np.float64)[ei]
    nat = np.array([np.nan if s.national_value(m) is None else s.national_value(m) for _, m in entries],
                   dtype=np.float64)[ei]
    with np.errstate(invalid="ignore", divide="ignore"):
        r_prov = np.where(prov != 0, values / prov, np.nan)
        r_nat = np.where(nat != 0, values / nat, np.nan)
    d_of = np.array([d for d, _ in entries], dtype=object)[ei]
    weaknesses = pa.table({
        "cluster_id": peers.column("cluster_id").take(pa.array(ci, pa.int64())),
        "dimension": pa.array(d_of, pa.string()),
        "dimension_zh": pa.array(np.array([s.dimensions[d].name_zh for d, _ in entries], dtype=object)[ei], pa.string()),
        "dimension_en": pa.array(np.array([s.dimensions[d].name_en for d, _ in entries], dtype=object)[ei], pa.string()),
        "percentile": pa.array(np.column_stack([dim_pct[d] for d, _ in entries])[ci, ei] if E else np.zeros(0)),
        "metric": pa.array(np.array([m for _, m in entries], dtype=object)[ei], pa.string()),
        "value": pa.array(values), "province_benchmark": pa.array(prov, from_pandas=True),
        "ratio_to_province": pa.array(r_prov, from_pandas=True),
        "national_benchmark": pa.array(nat, from_pandas=True), "ratio_to_national": pa.array(r_nat, from_pandas=True),
    })
    return DiagnosisResult(clusters, weaknesses, s)


def render(result: DiagnosisResult, *, lang: str = "zh", cluster_id: str | None = None) -> str:
    """The diagnosis as text, one paragraph per cluster (``lang`` ``zh`` or ``en``).

    Each paragraph: name, verdict, scale and strength percentiles, then the weak dimensions with
    each metric's value against the provincial (全省制造业) and national benchmarks.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang: {lang!r} is not zh or en")
    zh = lang == "zh"
    c = result.clusters
    w = result.weaknesses
    if cluster_id is not None:
        c = c.filter(pc.equal(c.column("cluster_id"), cluster_id))
        w = w.filter(pc.equal(w.column("cluster_id"), cluster_id))
    # the weak-point phrases, vectorised over rows
    metric = w.column("metric").to_pylist()
    label = np.array([METRIC_LABELS[m][0 if zh else 1] for m in metric], dtype=object)
    val = np.array([format_values(m, [v], lang=lang)[0] for m, v in zip(metric, w.column("value").to_pylist())],
                   dtype=object)
    prov = np.array([format_values(m, [np.nan if v is None else v], lang=lang)[0]
                     for m, v in zip(metric, w.column("province_benchmark").to_pylist())], dtype=object)
    ratio = np.asarray(w.column("ratio_to_province").to_numpy(zero_copy_only=False), dtype=np.float64)
    pct_s = np.where(np.isnan(ratio), "", np.char.mod("%.0f%%", ratio * 100))
    nat = np.asarray(w.column("national_benchmark").to_numpy(zero_copy_only=False), dtype=np.float64)
    nat_s = np.array([format_values(m, [v], lang=lang)[0] for m, v in zip(metric, nat)], dtype=object)
    if zh:
        phrase = label + " " + val + "（全省制造业 " + prov + np.where(pct_s == "", "", "，为其 " + pct_s.astype(object)) \
            + np.where(np.isnan(nat), "", "；全国 " + nat_s) + "）"
    else:
        phrase = label + " " + val + " (provincial manufacturing " + prov \
            + np.where(pct_s == "", "", ", " + pct_s.astype(object) + " of it") \
            + np.where(np.isnan(nat), "", "; national " + nat_s) + ")"
    by_cluster: dict[tuple[str, str], list[str]] = {}
    dim_name = w.column("dimension_zh" if zh else "dimension_en").to_pylist()
    for cid, d, p in zip(w.column("cluster_id").to_pylist(), dim_name, phrase.tolist()):
        by_cluster.setdefault((cid, d), []).append(p)
    dims = list(result.settings.dimensions)
    paras = []
    for row in c.to_pylist():
        name = row["name_zh"] if zh else row["name_en"]
        head = (f"{name}（{row['region_code']}）：{row['verdict']}。规模百分位 {row['scale_percentile']:.0f}，"
                f"实力百分位 {row['strength_percentile']:.0f}（"
                + "，".join(f"{result.settings.dimensions[d].name_zh} {row[d + '_percentile']:.0f}" for d in dims)
                + "）。") if zh else (
            f"{name} ({row['region_code']}): {row['verdict_en']}. Scale percentile {row['scale_percentile']:.0f}, "
            f"strength percentile {row['strength_percentile']:.0f} ("
            + ", ".join(f"{result.settings.dimensions[d].name_en} {row[d + '_percentile']:.0f}" for d in dims)
            + ").")
        weak = [d for d in (row["weak_dimensions"] or "").split(";") if d]
        if weak:
            parts = []
            for d in weak:
                dn = result.settings.dimensions[d].name_zh if zh else result.settings.dimensions[d].name_en
                parts.append(f"{dn}：" + "；".join(by_cluster.get((row["cluster_id"], dn), [])) if zh
                             else f"{dn}: " + "; ".join(by_cluster.get((row["cluster_id"], dn), [])))
            head += ("短板 — " + "。".join(parts) + "。") if zh else (" Weak points — " + ". ".join(parts) + ".")
        paras.append(head)
    return "\n".join(paras)
