"""创新型中小企业 (工信部企业〔2022〕63号 附件1) as a minimal OpenFisca tax-benefit system.

Only ``benchmarks/policy_vs_openfisca.py`` imports this package (and openfisca-core 46.0.1). The
rules mirror ``src/zhizao/methods/policies/innovative_sme.yaml``; the thresholds live in
``parameters/innovative_sme/*.yaml`` as OpenFisca parameters.

    system = InnovativeSMESystem()
    sim = build_simulation(system, ids, {"revenue": {"2024": arr, "2023": arr}, "is_sme": {...}})
    sim.calculate("verdict", "2024")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from .entities import entities
from .variables import FORMULAS, INPUTS, Level, Verdict

PARAMETERS = Path(__file__).parent / "parameters"

__all__ = ["InnovativeSMESystem", "Level", "Verdict", "build_simulation"]


class InnovativeSMESystem(TaxBenefitSystem):
    def __init__(self) -> None:
        super().__init__(entities)
        self.add_variables(*INPUTS, *FORMULAS)
        self.load_parameters(str(PARAMETERS))


def build_simulation(system: TaxBenefitSystem, ids: np.ndarray, inputs: dict[str, dict[str, np.ndarray]]):
    """A simulation of ``len(ids)`` enterprises with ``inputs[variable][period] = array``."""
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("enterprise", ids)
    sim = builder.build(system)
    for name, by_period in inputs.items():
        for period, values in by_period.items():
            sim.set_input(name, period, values)
    return sim
