"""The one entity of the benchmark model: an enterprise (legal unit), no group entities."""

from openfisca_core.entities import build_entity

Enterprise = build_entity(
    key="enterprise",
    plural="enterprises",
    label="Enterprise (legal unit, keyed by USCC)",
    doc="One industrial enterprise; indicators are yearly, attributes are eternal.",
    is_person=True,
)

entities = [Enterprise]
