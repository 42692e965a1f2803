"""The schema of the explanation document (政策解释树) and of the gap report (差距分析).

``zhizao.policy.explain.explain`` returns one enterprise × one policy as a tree of plain,
JSON-serialisable dicts, and ``zhizao.policy.gap.gap`` turns that tree into the report of what the
enterprise would have to change to qualify. Both stay plain dicts at runtime — the CLI renders
them (``render`` / ``render_gap``), the HTML service package shows them and the web API returns
them as JSON — and this module declares their shape as ``TypedDict`` s: ``ExplanationTree`` and
``GapReport`` are the static types of ``explain()`` and ``gap()``.

Every ``TypedDict`` here forbids keys it does not declare when validated
(``__pydantic_config__ = ConfigDict(extra="forbid")``, set by ``pydantic.with_config``), and
``EXPLANATION`` / ``GAP`` (``pydantic.TypeAdapter``) validate a document in strict mode:
``validate_explanation(tree)`` and ``validate_gap(g)`` raise ``pydantic.ValidationError`` on a
missing key, an extra key, a wrong literal (verdict, status, kind, role …) or a wrong type, and
return the document unchanged (never a coerced copy).

Conventions: a number is ``int`` or ``float`` (``Number``); a value read from the warehouse or
computed by an expression is a ``JSONValue`` (str / bool / number / None — dates are ISO
strings, NaN is None). ``NotRequired`` marks the few keys present only in some documents, each
with the reason: the variant keys of ``policy`` (``extends`` …, only for a province variant), a
not-decidable item's ``origin`` (only for a variant). Kinds that carry different keys are separate ``TypedDict`` s joined by
a union tagged on ``kind`` (the two ``options`` changes, of an ``or`` and of an ``any`` /
``at_least`` rule, told apart by ``need``).

This module imports neither ``explain`` nor ``gap`` (they import it for their annotations).
"""

from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag, TypeAdapter, with_config
from typing_extensions import NotRequired, TypedDict

__all__ = [
    "JSONValue", "Number", "Verdict", "Status", "Role", "CompareOp", "Direction", "Band",
    # the explanation tree
    "ExplanationTree", "PolicyHead", "EnterpriseHead", "RequiredVerdict", "InputValue", "VariableStep",
    "PointsCase", "BandsPointsStep", "CasesPointsStep", "PointsStep", "DimensionScore", "ScoresStep",
    "ComparisonSide", "CompareTerm", "BoolTerm", "NotTerm", "PlainTerm", "TermNode", "ExceptionStep",
    "RuleChild", "WhenRuleStep", "CombinatorRuleStep", "AtLeastRuleStep", "RuleStep", "FloorItem",
    "RouteStep", "Eligibility", "BenefitStep", "BudgetStep", "NotDecidableItem",
    # the gap report
    "GapReport", "RatioHint", "ThresholdChange", "MissingChange", "ExpressionOptionsChange",
    "RuleOption", "RuleOptionsChange", "PolicyChange", "ConditionChange", "Change", "FloorGap",
    "FixedItem", "Climb", "DimensionDeficit", "PointsGap", "RouteGap",
    # validation
    "EXPLANATION", "GAP", "validate_explanation", "validate_gap",
]

_FORBID = with_config(ConfigDict(extra="forbid"))

#: A number of the document: ``int`` or ``float`` (a JSON number).
Number = Union[float, int]
#: A scalar value of the document: a warehouse value or an expression's result (dates as ISO text).
JSONValue = Union[str, bool, int, float, None]

#: The verdict of one enterprise under one policy (``zhizao.policy.results.VERDICTS``).
Verdict = Literal["eligible", "not_eligible", "unknown", "conflict"]
#: A rule's (or route's, floor item's) outcome: true → pass, false → fail, null → unknown.
Status = Literal["pass", "fail", "unknown"]
#: Where a rule counts: in the floor (all must hold), as a route's rule, or elsewhere.
Role = Literal["floor", "route", "other"]
#: A comparison operator of the policy language.
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
#: The direction of a points table's bands.
Direction = Literal["higher_is_better", "lower_is_better"]
#: One band of a points table: ``[threshold, points]`` (threshold null: the else band).
Band = Annotated[list[Union[Number, None]], Field(min_length=2, max_length=2)]


# --- the explanation tree --------------------------------------------------------------------------
@_FORBID
class PolicyHead(TypedDict):
    """The policy explained (政策): identity, document and clause; for a province variant also its base."""

    id: str
    version: str
    name_zh: str
    name_en: str
    issuer: str
    source: str
    origin: str | None                      # file:line of the policy's id (None: built in code)
    # only for a variant (``extends:``, zhizao.policy.variants)
    extends: NotRequired[str]               # the resolved base, id@version
    base_source: NotRequired[str]
    base_file: NotRequired[str | None]
    changes: NotRequired[list[str]]         # "replaced scores", "dropped not_decidable …"


@_FORBID
class EnterpriseHead(TypedDict):
    """The enterprise explained (企业)."""

    uscc: str
    name: str | None
    region_code: str | None


@_FORBID
class RequiredVerdict(TypedDict):
    """The verdict of another policy this one reads (前置政策: ``requires`` / ``policy("id")``)."""

    policy: str
    verdict: Verdict | None


@_FORBID
class InputValue(TypedDict):
    """One input an expression read (输入): its value and display unit."""

    value: JSONValue
    unit: str                               # share / money / count / years / bool / plain


@_FORBID
class VariableStep(TypedDict):
    """A derived variable (派生变量): formula, value, inputs and clause."""

    id: str
    name_zh: str
    name_en: str
    expr: str
    value: JSONValue
    unit: str
    changeable: bool
    inputs: dict[str, InputValue]
    source: str
    origin: str | None


@_FORBID
class PointsCase(TypedDict):
    """One case of a categorical points table (评分档): its condition (null: else), whether it holds, its points."""

    when: str | None
    holds: bool | None
    points: Number | None


@_FORBID
class BandsPointsStep(TypedDict):
    """A points table by value bands (分档评分): the value it reads, the bands, the band that matched."""

    kind: Literal["bands"]
    id: str
    name_zh: str
    name_en: str
    dimension: str | None
    points: Number | None                   # null: the value is unknown
    changeable: bool
    source: str
    matched: int | None                     # index into bands
    max: Number | None
    origin: str | None
    of: str
    value: Number | None
    unit: str
    direction: Direction
    bands: list[Band]
    inputs: dict[str, InputValue]


@_FORBID
class CasesPointsStep(TypedDict):
    """A categorical points table (条件评分): its cases and the first that holds."""

    kind: Literal["cases"]
    id: str
    name_zh: str
    name_en: str
    dimension: str | None
    points: Number | None
    changeable: bool
    source: str
    matched: int | None                     # index into cases
    max: Number | None
    origin: str | None
    cases: list[PointsCase]


#: A points table of the tree (评分表), by ``kind``.
PointsStep = Annotated[Union[BandsPointsStep, CasesPointsStep], Field(discriminator="kind")]


@_FORBID
class DimensionScore(TypedDict):
    """One scoring dimension (评分维度): its score and minimum, and whether it reaches it."""

    id: str
    name_zh: str
    name_en: str
    score: Number | None
    min: Number | None
    max: Number | None
    passed: bool | None


ScoresStep = _FORBID(TypedDict("ScoresStep", {
    "total": Union[Number, None],
    "pass": Number,                         # the pass mark (及格线)
    "passed": Union[bool, None],
    "dimensions": list[DimensionScore],
    "source": str,
    "origin": Union[str, None],
}))
ScoresStep.__doc__ = "The score (总分): total, pass mark, whether it passes, and each dimension."


@_FORBID
class ComparisonSide(TypedDict):
    """One side of a comparison (比较项): its text and value; ``const`` for the threshold side."""

    text: str
    value: JSONValue
    const: bool


@_FORBID
class CompareTerm(TypedDict):
    """A comparison node of a rule's condition (比较): both sides, the operator and the display unit."""

    kind: Literal["compare"]
    text: str
    value: JSONValue
    op: CompareOp
    left: ComparisonSide
    right: ComparisonSide
    unit: str


@_FORBID
class BoolTerm(TypedDict):
    """An ``and`` / ``or`` node of a rule's condition (且 / 或)."""

    kind: Literal["and", "or"]
    text: str
    value: JSONValue
    children: list["TermNode"]


@_FORBID
class NotTerm(TypedDict):
    """A ``not`` node of a rule's condition (非): one child."""

    kind: Literal["not"]
    text: str
    value: JSONValue
    children: list["TermNode"]


@_FORBID
class PlainTerm(TypedDict):
    """Any other term of a rule's condition (a name, a call, a constant): its text and value."""

    kind: Literal["term"]
    text: str
    value: JSONValue


#: A node of a rule's condition tree (条件树), by ``kind``.
TermNode = Annotated[Union[CompareTerm, BoolTerm, NotTerm, PlainTerm], Field(discriminator="kind")]


@_FORBID
class ExceptionStep(TypedDict):
    """An exception to a rule (例外条款): whether it applies and whether it decided the rule."""

    id: str
    when: str
    applies: bool | None
    outcome: bool
    priority: int
    source: str
    decided: bool
    origin: str | None


@_FORBID
class RuleChild(TypedDict):
    """A rule a combinator reads (子规则): its value and status."""

    id: str
    value: bool | None
    status: Status


@_FORBID
class WhenRuleStep(TypedDict):
    """A rule with a condition (条件规则, ``when``): the condition tree, its inputs and the missing ones."""

    kind: Literal["when"]
    id: str
    name_zh: str
    name_en: str
    value: bool | None                      # after exceptions
    status: Status
    role: Role
    changeable: bool
    source: str
    decided_by: str | None                  # the exception that decided it
    exceptions: list[ExceptionStep]
    missing: list[str]                      # raw inputs that are null (when unknown)
    origin: str | None
    text: str
    terms: TermNode
    inputs: dict[str, InputValue]


@_FORBID
class CombinatorRuleStep(TypedDict):
    """A rule combining other rules (组合规则: ``any`` / ``all`` / ``not``)."""

    kind: Literal["any", "all", "not"]
    id: str
    name_zh: str
    name_en: str
    value: bool | None
    status: Status
    role: Role
    changeable: bool
    source: str
    decided_by: str | None
    exceptions: list[ExceptionStep]
    missing: list[str]                      # the missing inputs of the unknown rules it reads
    origin: str | None
    children: list[RuleChild]


@_FORBID
class AtLeastRuleStep(TypedDict):
    """A rule that holds when at least ``k`` of the rules it reads hold (至少满足k项)."""

    kind: Literal["at_least"]
    id: str
    name_zh: str
    name_en: str
    value: bool | None
    status: Status
    role: Role
    changeable: bool
    source: str
    decided_by: str | None
    exceptions: list[ExceptionStep]
    missing: list[str]
    origin: str | None
    k: int
    children: list[RuleChild]


#: A rule of the tree (规则), by ``kind``.
RuleStep = Annotated[Union[WhenRuleStep, CombinatorRuleStep, AtLeastRuleStep], Field(discriminator="kind")]


@_FORBID
class FloorItem(TypedDict):
    """A floor rule of the eligibility (基本条件, all must hold): its value and status."""

    id: str
    value: bool | None
    status: Status


@_FORBID
class RouteStep(TypedDict):
    """A route to qualify (认定途径, one must pass): a rule, the score or both; ``taken`` for the route that passed."""

    id: str
    name_zh: str
    name_en: str
    kind: Literal["rule", "score", "rule+score"]
    rule: str | None
    value: bool | None
    status: Status
    taken: bool


@_FORBID
class Eligibility(TypedDict):
    """The eligibility (认定条件): the floor and the routes."""

    floor: list[FloorItem]
    routes: list[RouteStep]


@_FORBID
class BenefitStep(TypedDict):
    """The benefit (兑现金额): the amount expression, the cap and the amount (negative for a charge)."""

    amount_expr: str
    cap: Number | None
    source: str
    amount_yuan: Number | None
    origin: str | None


@_FORBID
class BudgetStep(TypedDict):
    """The yearly budget (年度预算): its total and order, the enterprise's rank and whether it is within."""

    total: Number
    order: str
    source: str
    rank: int | None
    within_budget: bool | None
    origin: str | None


@_FORBID
class NotDecidableItem(TypedDict):
    """A condition of the official text the data cannot decide (未核验条件): reported, never guessed."""

    id: str
    text_zh: str
    text_en: str
    source: str
    status: Literal["not_checked"]
    origin: NotRequired[str | None]         # only for a variant (explain keeps other policies' items as they were)


@_FORBID
class ExplanationTree(TypedDict):
    """The explanation of one enterprise × one policy (政策解释树), as ``explain()`` returns it."""

    policy: PolicyHead
    enterprise: EnterpriseHead
    year: int
    verdict: Verdict
    route: str | None                       # the route that passed
    score: Number | None
    missing: list[str]                      # inputs whose absence makes the verdict unknown
    conflict: list[str]                     # rules whose exceptions conflict
    requires: list[RequiredVerdict]
    variables: list[VariableStep]
    points: list[PointsStep]
    scores: ScoresStep | None
    rules: list[RuleStep]
    eligibility: Eligibility
    benefit: BenefitStep | None
    budget: BudgetStep | None
    not_decidable: list[NotDecidableItem]


# --- the gap report --------------------------------------------------------------------------------
@_FORBID
class RatioHint(TypedDict):
    """For a ratio ``a / b``: the change of the numerator at the current denominator (约增加研发费用…)."""

    numerator: str
    denominator: str
    numerator_current: Number
    denominator_current: Number
    numerator_needed: Number
    numerator_delta: Number
    unit: str


@_FORBID
class ThresholdChange(TypedDict):
    """A failed threshold (门槛差距): the input, its current value, the value needed and the change."""

    kind: Literal["threshold"]
    input: str
    op: Literal["<", "<=", ">", ">="]       # with the input on the left
    current: JSONValue
    needed: JSONValue
    unit: str
    label_zh: str
    label_en: str
    delta: Number | None                    # needed − current
    relative: Number | None                 # |delta| / |current|
    hint: RatioHint | None
    changeable: bool


@_FORBID
class MissingChange(TypedDict):
    """Inputs to provide before the condition can be decided (需补充数据)."""

    kind: Literal["missing"]
    inputs: list[str]
    text: str


@_FORBID
class ExpressionOptionsChange(TypedDict):
    """An ``or`` in a condition (以下任一): each alternative is the list of changes it needs."""

    kind: Literal["options"]
    text: str
    options: list[list["Change"]]


@_FORBID
class RuleOption(TypedDict):
    """One rule a combinator could still be met by, with its changes."""

    rule: str
    name_zh: str
    name_en: str
    changes: list["Change"]


@_FORBID
class RuleOptionsChange(TypedDict):
    """An ``any`` / ``at_least`` rule (以下至少k项): ``need`` more of the rules listed must hold."""

    kind: Literal["options"]
    text: str                               # the combinator's rule id
    need: int
    options: list[RuleOption]


@_FORBID
class PolicyChange(TypedDict):
    """Another policy to qualify for first (需先符合政策)."""

    kind: Literal["policy"]
    policy: str | None
    text: str
    changeable: bool


@_FORBID
class ConditionChange(TypedDict):
    """Any other condition that must become true (or false) (需要…为是/否)."""

    kind: Literal["condition"]
    text: str
    current: JSONValue
    needed: bool
    changeable: bool


def _change_tag(v: Any) -> str | None:
    """The tag of a change: its ``kind``; the two ``options`` shapes told apart by ``need``."""
    kind = v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None)
    if kind == "options":
        return "rule_options" if isinstance(v, dict) and "need" in v else "options"
    return kind


#: One change of the gap report (调整项), by ``kind``.
Change = Annotated[
    Union[Annotated[ThresholdChange, Tag("threshold")], Annotated[MissingChange, Tag("missing")],
          Annotated[ExpressionOptionsChange, Tag("options")], Annotated[RuleOptionsChange, Tag("rule_options")],
          Annotated[PolicyChange, Tag("policy")], Annotated[ConditionChange, Tag("condition")]],
    Discriminator(_change_tag)]


@_FORBID
class FloorGap(TypedDict):
    """A floor rule that does not hold (未满足的基本条件) and the changes it needs (all of them)."""

    rule: str
    name_zh: str
    name_en: str
    source: str
    status: Literal["fail", "unknown"]
    changes: list[Change]


@_FORBID
class FixedItem(TypedDict):
    """A failed rule the enterprise cannot change (企业无法改变); ``rule: "routes"`` when no route can pass."""

    rule: str
    name_zh: str
    name_en: str
    source: str


@_FORBID
class Climb(TypedDict):
    """A band to climb in a points table (提档): the points gained and the value it needs."""

    table: str
    name_zh: str
    name_en: str
    dimension: str | None
    from_points: Number
    to_points: Number
    gain: Number
    of: str                                 # the value read, or a case's condition
    current: Number | None                  # null for a categorical case
    needed: Number | None
    delta: Number | None
    unit: str
    direction: Direction | None
    cost: Number                            # relative change of the value (1 for a case)


@_FORBID
class DimensionDeficit(TypedDict):
    """A dimension below its minimum (维度差距): the points it lacks."""

    id: str
    name_zh: str
    name_en: str
    deficit: Number


PointsGap = _FORBID(TypedDict("PointsGap", {
    "kind": Literal["points"],
    "score": Union[Number, None],           # null: some points are unknown (see missing)
    "pass": Number,
    "deficit": Union[Number, None],
    "dimension_deficits": list[DimensionDeficit],
    "climbs": list[Climb],                  # the cheapest set reaching the pass mark and every minimum
    "feasible": bool,
    "missing": list[str],
}))
PointsGap.__doc__ = "The points a score route lacks (评分差距): the deficits and the cheapest climbs."


@_FORBID
class RouteGap(TypedDict):
    """A route as an alternative when none passes (可选认定途径): its changes, or its points gap."""

    route: str
    name_zh: str
    name_en: str
    points: PointsGap | None                # a score route
    changes: list[Change]                   # a rule route
    feasible: bool


@_FORBID
class GapReport(TypedDict):
    """What the enterprise would have to change to qualify (差距分析), as ``gap()`` returns it."""

    policy_id: str
    uscc: str
    name: str | None
    year: int
    verdict: Verdict
    qualifies: bool                         # already eligible: every list below is empty
    floor: list[FloorGap]
    routes: list[RouteGap]                  # only when no route passes
    fixed: list[FixedItem]
    missing: list[str]
    reachable: bool                         # no failure the enterprise cannot change stands in the way


# --- validation ------------------------------------------------------------------------------------
#: Validates an explanation tree (``EXPLANATION.validate_python(tree, strict=True)``).
EXPLANATION = TypeAdapter(ExplanationTree)
#: Validates a gap report.
GAP = TypeAdapter(GapReport)


def validate_explanation(tree: Any) -> ExplanationTree:
    """``tree`` checked against ``ExplanationTree`` (strict: no extra or missing key, no wrong
    literal or type); returns ``tree`` itself. Raises ``pydantic.ValidationError``."""
    EXPLANATION.validate_python(tree, strict=True)
    return tree


def validate_gap(g: Any) -> GapReport:
    """``g`` checked against ``GapReport`` (strict); returns ``g`` itself. Raises
    ``pydantic.ValidationError``."""
    GAP.validate_python(g, strict=True)
    return g
