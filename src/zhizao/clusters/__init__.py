"""Cluster analytics (产业集群分析): specialisation, concentration, relatedness, complexity, tiers, diagnosis.

The lever behind ``zhizao clusters`` (docs/clusters.md):

* matrices — :func:`build_matrix` (region × industry × year from the warehouse, Ibis on DuckDB or
  Spark), :func:`firm_cells` (firm-level cells for concentration);
* kernels (NumPy/SciPy, a whole ``(T, R, I)`` stack per call) — specialisation
  (:func:`location_quotient`, :func:`rca`, :func:`mcp`, :func:`krugman_index`, :func:`gini`,
  :func:`locational_gini`, :func:`hoover_index`, :func:`entropy`, :func:`variety`,
  :func:`herfindahl`), concentration (:func:`firm_concentration`), growth (:func:`shift_share`,
  :func:`growth_rates`), relatedness (:func:`co_occurrence`, :func:`proximity`,
  :func:`relatedness`, :func:`density`, :func:`density_internal_avg`,
  :func:`density_external_avg`, :func:`entry_exit`) and complexity (:func:`complexity`,
  :func:`eci_pci`, :func:`morc`, :func:`mort`, :func:`coi`, :func:`cog`) — equal to EconGeo's and
  ecomplexity's on the same matrix;
* :func:`indices_tables` — all of them as long tables;
* clusters — definitions, tier criteria and diagnosis settings as YAML (:func:`load_clusters`,
  :func:`clusters_from_synth`, :func:`load_tier_criteria`, :func:`load_diagnosis_settings`),
  :func:`cluster_profiles`, :func:`assign_tiers`, :func:`diagnose` / :func:`render` (大而不强),
  :func:`detect_clusters` and :func:`new_star_candidates`.
"""

from zhizao.clusters.candidates import detect_clusters, new_star_candidates
from zhizao.clusters.complexity import Complexity, EciPci, cog, coi, complexity, diversity, eci_pci, morc, mort, ubiquity
from zhizao.clusters.concentration import FirmConcentration, firm_concentration
from zhizao.clusters.diagnosis import DiagnosisResult, diagnose, render
from zhizao.clusters.growth import GrowthRates, ShiftShare, growth_rates, shift_share
from zhizao.clusters.indices import IndexTables, indices_tables
from zhizao.clusters.matrix import FirmCells, RegionIndustryMatrix, build_matrix, firm_cells
from zhizao.clusters.method import (
    ClusterSet,
    DiagnosisSettings,
    MethodError,
    TierCriteria,
    clusters_from_synth,
    load_clusters,
    load_diagnosis_settings,
    load_tier_criteria,
)
from zhizao.clusters.profile import cluster_profiles
from zhizao.clusters.relatedness import (
    EntryExit,
    co_occurrence,
    density,
    density_external_avg,
    density_internal_avg,
    entry_exit,
    proximity,
    relatedness,
)
from zhizao.clusters.specialisation import (
    Variety,
    entropy,
    gini,
    herfindahl,
    hoover_index,
    krugman_index,
    location_quotient,
    locational_gini,
    mcp,
    rca,
    variety,
)
from zhizao.clusters.tiers import assign_tiers

__all__ = [
    "ClusterSet", "Complexity", "DiagnosisResult", "DiagnosisSettings", "EciPci", "EntryExit", "FirmCells",
    "FirmConcentration", "GrowthRates", "IndexTables", "MethodError", "RegionIndustryMatrix", "ShiftShare",
    "TierCriteria", "Variety", "assign_tiers", "build_matrix", "cluster_profiles", "clusters_from_synth",
    "co_occurrence", "cog", "coi", "complexity", "density", "density_external_avg", "density_internal_avg",
    "detect_clusters", "diagnose", "diversity", "eci_pci", "entropy", "entry_exit", "firm_cells",
    "firm_concentration", "gini", "growth_rates", "herfindahl", "hoover_index", "indices_tables", "krugman_index",
    "load_clusters", "load_diagnosis_settings", "load_tier_criteria", "location_quotient", "locational_gini",
    "mcp", "morc", "mort", "new_star_candidates", "proximity", "rca", "relatedness", "render", "shift_share",
    "ubiquity", "variety",
]
