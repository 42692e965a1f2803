"""The rules-as-code policy operations users run (惠企政策): the library, one policy's check of
every enterprise (or one county's), one enterprise's explanation with its gap to qualify, the
免申即享 push list, an enterprise's service package, and the reach of the whole library.

Each function takes a ``Service`` and plain values and returns a frozen dataclass that the CLI,
the web app and the reports render without computing.

Region scope: a policy file may say where it applies (``applies_to``: GB/T 2260 codes; none:
national). Counts, push lists and packages cover the enterprises where a policy applies; a
package lists the policies of other regions apart (``other_region``), never as "not eligible".

Another lever's result: a policy that reads a stored result (``inputs``: the land evaluation by
the Shandong method …) reads the rows of the current run that computed it with that method and
covers the year. When there is none, ``MissingRun`` names the run and the command that computes
it — the enterprise's data are not what is missing.

Speed: the evaluation of a policy for a year (the whole warehouse, one compiled Ibis expression)
is kept in the service per (policy file hash, year, the runs it reads), so a warm service answers
an explanation, a package or a county check from memory; a data import drops it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from zhizao.errors import InvalidInput, MethodError, MissingRun, NotFound, ZhizaoError
from zhizao.policy.results import SECTIONS, TABLES, VERDICTS
from zhizao.policy.tree import ExplanationTree, FixedItem, GapReport, NotDecidableItem
from zhizao.services import runs
from zhizao.services.registry import Lever, LeverRun

__all__ = ["warm", "verdicts", "PolicyVerdict", "LEVER", "library", "get_policy", "show", "check", "explain", "push", "package", "reach",
           "standard_run", "package_rows", "PolicyDetail", "PolicyCheck", "RuleTally", "PolicyExplanation",
           "PushList", "PolicyPackage", "PackageEntry", "PolicyReach"]

LEVER_NAME = "policy"
Progress = Callable[[str, float], None]


def _quiet(stage: str, fraction: float) -> None:
    pass


def _region(code) -> str:
    from zhizao.codes.regions import region_label

    if code is None or code == "":
        return "—"
    return region_label(code)


# --- the library and one policy --------------------------------------------------------------------
def _memo(svc, key, compute):
    """``svc.memo`` (kept until the data change); computed each time without a service (``list``
    and ``show`` need no warehouse)."""
    return compute() if svc is None else svc.memo(key, compute, data_only=True)


def _dir_key(path) -> tuple:
    """A library folder by its files and their modification times (an edited file is read again)."""
    from zhizao.policy.model import policies_dir

    d = Path(path) if path is not None else policies_dir()
    try:
        files = sorted((f.name, f.stat().st_mtime_ns) for f in d.glob("*.y*ml"))
    except OSError:
        files = []
    return (str(d.resolve()) if d.exists() else str(d), tuple(files))


def library(svc, path=None):
    """The policy library (``zhizao.policy.load_library``: the shipped one, or the folder
    ``path``), loaded once per service (again when a file changes). ``MethodError`` with the file
    and line of a policy that does not load."""
    from zhizao.policy import Library, load_library

    if isinstance(path, Library):
        return path
    if path is not None and not Path(path).is_dir():
        raise NotFound(f"政策库目录 {path} 不存在", f"policy library folder {path} does not exist", where=str(path))

    def load():
        try:
            return load_library(path)
        except ZhizaoError:
            raise
        except OSError as e:
            raise MethodError(f"政策库 {path} 无法读取：{e}", f"policy library {path} cannot be read: {e}",
                              file=str(path)) from None

    return _memo(svc, ("policy.library", _dir_key(path)), load)


def _window(p) -> str:
    return f"{p.valid_from} – {p.valid_to or '…'}"


def get_policy(svc, spec: str, *, year: int | None = None, library_path=None):
    """A policy by id (the version of the library valid in ``year``; the latest without a year)
    or by the path of a YAML file. ``NotFound`` (with the closest ids) for an unknown id,
    ``InvalidInput`` when no version is valid in ``year``."""
    from zhizao.policy import Policy, load_policy

    if isinstance(spec, Policy):
        p = spec
    elif str(spec).endswith((".yaml", ".yml")) or Path(str(spec)).is_file():
        if not Path(spec).is_file():
            raise NotFound(f"政策文件 {spec} 不存在", f"policy file {spec} does not exist", where=str(spec))
        p = _memo(svc, ("policy.file", str(Path(spec).resolve()), Path(spec).stat().st_mtime_ns),
                  lambda: load_policy(spec))
    else:
        lib = library(svc, library_path)
        if spec not in lib:
            close = difflib.get_close_matches(spec, list(lib), n=3)
            hint_zh = f"（是否指 {'、'.join(close)}？）" if close else ""
            hint_en = f" (did you mean {', '.join(close)}?)" if close else ""
            raise NotFound(f"政策库 {lib.directory} 中没有政策 {spec!r}{hint_zh}；现有：{'、'.join(lib)}",
                           f"no policy {spec!r} in the library ({lib.directory}){hint_en}; policies: "
                           f"{', '.join(lib) or 'none'}", where=spec)
        versions = lib.versions(spec)
        p = next((v for v in reversed(versions) if year is None or v.covers(year)), None)
        if p is None:
            have = "; ".join(f"{v.version} ({_window(v)})" for v in versions)
            raise InvalidInput(f"政策 {spec} 没有适用于 {year} 年的版本（现有版本：{have}）",
                               f"policy {spec} has no version valid in {year} (versions: {have})", where="--year")
    if year is not None and not p.covers(year):
        raise InvalidInput(f"政策 {p.id}（{p.version}）有效期为 {_window(p)}，不适用于 {year} 年",
                           f"policy {p.id} ({p.version}) is not valid in {year} (valid {_window(p)})",
                           where="--year")
    return p


@dataclass(frozen=True)
class PolicyDetail:
    """What ``show`` gives: the policy (a validated ``Policy``), what it needs from the warehouse
    and other policies, and where it applies."""

    policy: object
    dependencies: object              # zhizao.policy.graph.Dependencies
    region: str                       # 全国 national, or 上海市 310000


def show(svc, spec: str, *, library_path=None) -> PolicyDetail:
    from zhizao.policy import dependencies

    lib = library(svc, library_path)
    p = get_policy(svc, spec, library_path=lib)
    return PolicyDetail(p, dependencies(p, lib), p.region_label)


# --- the evaluation (one compiled expression per policy and year, kept in the service) -------------
def _required(policy, lib, year: int) -> list:
    from zhizao.policy.graph import evaluation_order

    return evaluation_order(policy, lib, year=year)


def _input_run(svc, table: str, method_id: str | None, year: int):
    """The current run that wrote ``table`` (with ``method_id``) and covers ``year``."""
    for r in runs.list_runs(svc):
        if table in r.tables and (method_id is None or r.method_id == method_id) and year in r.years:
            return r
    return None


def _missing_run(policy, alias: str, spec, year: int) -> MissingRun:
    mid = spec.where.get("method_id")
    base = spec.command or f"zhizao {spec.table}"
    command = base + (f" --method {mid}" if mid else "") + f" --year {year}"
    lever = base.split()[1] if base.startswith("zhizao ") and len(base.split()) > 1 else spec.table
    what_zh = f"按方法 {mid} 计算的" if mid else ""
    what_en = f" by the {mid} method" if mid else ""
    return MissingRun(
        f"政策 {policy.id} 读取{what_zh} {spec.table} 中 {year} 年的结果（输入 {alias}），但尚未计算：请先运行 `{command}`",
        f"policy {policy.id} reads {spec.table}{what_en} for {year} (input {alias}), which has not been computed: "
        f"run `{command}` first", lever=lever, method_id=mid, command=command, where=f"{policy.id}.inputs.{alias}")


def _bound_tables(svc, policy, lib, year: int) -> tuple[dict, tuple]:
    """The tables the policy (and those it requires) read: the warehouse's, with each stored
    result input replaced by the rows of the run that computed it; and those runs' ids.
    ``MissingRun`` when a result input has no such run. Kept per (policy, year) until the
    warehouse changes (a new run is a change)."""
    from zhizao.methodfile import fingerprint

    required = tuple(fingerprint(q).sha256 for q in _required(policy, lib, year))
    return svc.memo(("policy.bound_tables", fingerprint(policy).sha256, required, year),
                    lambda: _bind_tables(svc, policy, lib, year))


def _bind_tables(svc, policy, lib, year: int) -> tuple[dict, tuple]:
    tables = dict(svc.tables())
    used = []
    for q in [*_required(policy, lib, year), policy]:
        for alias, spec in q.inputs.items():
            if not spec.table.startswith("result_"):
                continue
            run = _input_run(svc, spec.table, spec.where.get("method_id"), year)
            if run is None:
                raise _missing_run(q, alias, spec, year)
            tables[spec.table] = runs.rows(svc, run, spec.table)
            used.append(run.run_id)
    return tables, tuple(sorted(set(used)))


def _evaluation_key(policy, lib, year: int, used: tuple) -> tuple:
    """What an evaluation depends on: the policy file, the policies it requires, the year and the
    runs it reads."""
    from zhizao.methodfile import fingerprint

    return (fingerprint(policy).sha256, tuple(fingerprint(q).sha256 for q in _required(policy, lib, year)),
            year, used)


def _compiled(svc, policy, lib, year: int):
    """``(Ibis expression of the evaluation, bound tables, run ids read)``, compiled once per
    (policy file, the policies it requires, year, runs read) in the service."""
    from zhizao.policy import evaluate

    tables, used = _bound_tables(svc, policy, lib, year)
    key = ("policy.expr", *_evaluation_key(policy, lib, year, used))

    def build():
        try:
            return evaluate(tables, policy, year=year, library=lib)
        except ZhizaoError:
            raise
        except ValueError as e:
            raise InvalidInput(f"政策 {policy.id}：{e}", f"policy {policy.id}: {e}", where=policy.id) from None

    return svc.memo(key, build, data_only=True), tables, used


def _evaluated(svc, policy, lib, year: int) -> tuple[pa.Table, dict, tuple]:
    """The evaluation of every enterprise of the warehouse for ``year`` (pyarrow), the tables it
    read and the runs it read — computed once per (policy, year, runs read) in the service."""
    expr, tables, used = _compiled(svc, policy, lib, year)
    key = ("policy.evaluation", *_evaluation_key(policy, lib, year, used))
    return svc.memo(key, lambda: expr.to_pyarrow(), data_only=True), tables, used


def _in_region(ev: pa.Table, prefixes: tuple[str, ...]) -> pa.Table:
    if not prefixes:
        return ev
    codes = pc.fill_null(ev.column("region_code"), "")
    mask = None
    for pre in prefixes:
        m = pc.starts_with(codes, pre)
        mask = m if mask is None else pc.or_(mask, m)
    return ev.filter(mask)


def _prefixes(policy) -> tuple[str, ...]:
    from zhizao.codes.regions import region_prefix

    return tuple(region_prefix(r) for r in policy.applies_to)


def _check_region(region: str | None) -> str | None:
    from zhizao.codes.regions import check_region_code, normalize_region_code, region_prefix

    if region is None or region == "":
        return None
    reason = check_region_code(region)
    if reason is not None:
        raise InvalidInput(f"区划代码 {region} 无效：{reason}", f"region code {region!r} is not valid: {reason}",
                           where="--region")
    return region_prefix(normalize_region_code(region))


# --- check -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleTally:
    """How often one rule fails or is unknown among the not-eligible and unknown enterprises."""

    rule_id: str
    name_zh: str
    false: int
    unknown: int
    changeable: bool
    source: str


@dataclass(frozen=True)
class PolicyCheck:
    """What ``check`` gives: the verdict counts of the enterprises where the policy applies (in
    ``region`` when one was asked), the money, the rules that fail most, the inputs most often
    missing, the gap summary, and the run that stored the tables."""

    policy: object
    year: int
    region: str | None                # the county / prefecture asked (label), None: the warehouse
    applies: str                      # where the policy applies (全国 national / 上海市 310000)
    counts: dict[str, int]            # verdict → enterprises, in VERDICTS order
    total: int
    outside: int                      # enterprises of the warehouse (or region) where it does not apply
    eligible_amount: float            # sum of benefit_yuan of the eligible (negative for a charge)
    within_budget_firms: int | None
    within_budget_amount: float | None
    failing: tuple[RuleTally, ...]
    missing_top: tuple[tuple[str, int], ...]
    gap_near: int                     # not eligible, every failed floor condition changeable
    gap_fixed: int                    # not eligible, a failed floor condition it cannot change
    synthetic: bool
    evaluation: pa.Table = field(repr=False)
    gaps: pa.Table = field(repr=False)
    run: runs.Run | None = None
    input_runs: tuple[str, ...] = ()
    table: str = ""
    gap_table: str = ""


def _counts(ev: pa.Table) -> dict[str, int]:
    got = {r["values"]: r["counts"] for r in pc.value_counts(ev.column("verdict")).to_pylist()} if ev.num_rows else {}
    return {v: int(got.get(v, 0)) for v in VERDICTS}


def _failing(ev: pa.Table, policy) -> tuple[RuleTally, ...]:
    not_ok = ev.filter(pc.is_in(ev.column("verdict"), value_set=pa.array(["not_eligible", "unknown"])))
    rows = []
    for r in policy.rules:
        col = f"rule_{r.id}"
        if col not in not_ok.column_names or not not_ok.num_rows:
            continue
        c = not_ok.column(col)
        false = int(pc.sum(pc.cast(pc.invert(pc.fill_null(c, True)), "int64")).as_py() or 0)
        unknown = int(c.null_count)
        if false or unknown:
            rows.append(RuleTally(r.id, r.name_zh or "", false, unknown, bool(r.changeable), r.source))
    return tuple(sorted(rows, key=lambda x: (-x.false, -x.unknown, x.rule_id)))


def _missing_top(ev: pa.Table, n: int = 10) -> tuple[tuple[str, int], ...]:
    if not ev.num_rows:
        return ()
    parts = pc.list_flatten(pc.split_pattern(pc.fill_null(ev.column("missing"), ""), ";"))
    parts = parts.filter(pc.not_equal(parts, ""))
    if not len(parts):
        return ()
    top = sorted(pc.value_counts(parts).to_pylist(), key=lambda x: (-x["counts"], x["values"]))[:n]
    return tuple((x["values"], int(x["counts"])) for x in top)


def _money(ev: pa.Table, policy) -> tuple[float, int | None, float | None]:
    eligible = ev.filter(pc.equal(ev.column("verdict"), "eligible"))
    total = float(pc.sum(eligible.column("benefit_yuan")).as_py() or 0.0) if eligible.num_rows else 0.0
    if "within_budget" not in ev.column_names:
        return total, None, None
    inside = eligible.filter(pc.fill_null(eligible.column("within_budget"), False))
    amount = float(pc.sum(inside.column("benefit_yuan")).as_py() or 0.0) if inside.num_rows else 0.0
    return total, inside.num_rows, amount


def _scoped(svc, policy, lib, year: int, region: str | None) -> tuple[pa.Table, int, dict, tuple]:
    """The evaluation rows where the policy applies (and in ``region``), how many enterprises of
    the region it does not apply to, the tables and runs read."""
    ev, tables, used = _evaluated(svc, policy, lib, year)
    pre = _check_region(region)
    if pre is not None:
        ev = _in_region(ev, (pre,))
    inside = _in_region(ev, _prefixes(policy))
    return inside, ev.num_rows - inside.num_rows, tables, used


def check(svc, spec: str, *, year: int | None = None, library_path=None, region: str | None = None,
          store: bool = True, progress: Progress | None = None) -> PolicyCheck:
    """Evaluate a policy for every enterprise of ``year`` (default: the latest) where it applies —
    or those of one ``region`` (a county or prefecture code) — with the gap of every not-eligible
    one; with ``store``, recorded as a run of ``policy.check``: ``result_policy_<id>`` and
    ``result_policy_gap_<id>``."""
    import ibis

    from zhizao.policy.gap import gap_table

    cb = progress or _quiet
    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    p = get_policy(svc, spec, year=year, library_path=lib)
    cb("evaluate", 0.1)
    ev, outside, tables, used = _scoped(svc, p, lib, year, region)
    cb("gap", 0.6)
    gaps = gap_table(ibis.memtable(ev), p, tables, year=year).to_pyarrow() if ev.num_rows else \
        gap_table(ibis.memtable(ev), p, tables, year=year).limit(0).to_pyarrow()
    run = None
    if store:
        cb("store", 0.85)
        run = runs.record(svc, lever=LEVER_NAME, analysis="policy.check", method=p, years=[year],
                          tables={f"policy_{p.id}": ev, f"policy_gap_{p.id}": gaps},
                          parameters={"region": region, "input_runs": list(used)},
                          key={"policy": p.id, "region": region or "all"})
    cb("done", 1.0)
    fixed = near = 0
    if gaps.num_rows:
        blocked = pc.and_(pc.equal(gaps.column("kind"), "fixed"), pc.equal(gaps.column("role"), "floor"))
        fixed_set = set(gaps.filter(blocked).column("uscc").to_pylist())
        near = len(set(gaps.column("uscc").to_pylist()) - fixed_set)
        fixed = len(fixed_set)
    total, wb_firms, wb_amount = _money(ev, p)
    return PolicyCheck(policy=p, year=year, region=_region(region) if region else None, applies=p.region_label,
                       counts=_counts(ev), total=ev.num_rows, outside=outside, eligible_amount=total,
                       within_budget_firms=wb_firms, within_budget_amount=wb_amount, failing=_failing(ev, p),
                       missing_top=_missing_top(ev), gap_near=near, gap_fixed=fixed, synthetic=svc.is_synthetic(),
                       evaluation=ev, gaps=gaps, run=run, input_runs=used, table=f"result_policy_{p.id}",
                       gap_table=f"result_policy_gap_{p.id}")


# --- explain ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyExplanation:
    """Why one enterprise is (not) eligible: the explanation tree (``zhizao.policy.explain``, a
    JSON-able document: every rule with its inputs, threshold, value and clause) and, when it is
    not eligible, the gap to qualify (``zhizao.policy.gap``)."""

    policy: object
    year: int
    uscc: str
    name: str | None
    region: str                       # 湖州市吴兴区 330502
    applies: bool                     # the policy applies where the enterprise is
    applies_to: str                   # where it applies
    verdict: str | None
    tree: ExplanationTree
    gap: GapReport | None
    input_runs: tuple[str, ...] = ()


def _inputs(svc, uscc: str, year: int, lags: int = 3) -> dict:
    """The enterprise's inputs (``zhizao.policy.explain.enterprise_inputs``), read with two
    prepared queries (compiled once per service) and kept per enterprise and year."""
    from zhizao.policy.explain import inputs_from_rows

    def read():
        t = svc.tables()
        ent = svc.query("policy.inputs.enterprise", lambda p: t["enterprises"].filter(
            t["enterprises"].uscc == p["uscc"]), uscc=uscc).to_pylist()

        def build(p):
            ind = t["indicators"]
            return ind.filter((ind.uscc == p["uscc"]) & (ind.year >= year - lags) & (ind.year <= year))

        ind = svc.query(("policy.inputs.indicators", year, lags), build, uscc=uscc).to_pylist()
        return inputs_from_rows(ent[0] if ent else None, ind, year, t["indicators"].columns, lags=lags)

    return svc.memo(("policy.inputs", uscc, year), read, data_only=True)


def _one_row(ev: pa.Table, uscc: str) -> pa.Table:
    return ev.filter(pc.equal(ev.column("uscc"), uscc))


def _tree(svc, p, lib, uscc: str, year: int, required: dict | None = None) -> tuple[dict, tuple]:
    from zhizao.policy.explain import explain as lever_explain

    ev, tables, used = _evaluated(svc, p, lib, year)
    row = _one_row(ev, uscc)
    if not row.num_rows:
        raise NotFound(f"企业 {uscc} 没有 {year} 年的指标，无法按政策 {p.id} 评估",
                       f"{uscc} has no indicators for {year}: policy {p.id} cannot be evaluated", where=uscc)
    if required is None:
        required = {}
        for q in _required(p, lib, year):
            qev, _, _ = _evaluated(svc, q, lib, year)
            r = _one_row(qev, uscc)
            required[q.id] = r.column("verdict")[0].as_py() if r.num_rows else None
    tree = lever_explain(tables if p.inputs else None, p, uscc=uscc, year=year, library=lib, evaluation=row,
                         inputs=_inputs(svc, uscc, year), required=required)
    return tree, used


def explain(svc, spec: str, uscc: str, *, year: int | None = None, library_path=None) -> PolicyExplanation:
    """Explain ``uscc``'s verdict under a policy in ``year`` (default: the latest), with the gap to
    qualify when it is not eligible. A policy of another region is explained too, marked
    ``applies=False``. Writes nothing."""
    from zhizao.policy.gap import gap

    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    p = get_policy(svc, spec, year=year, library_path=lib)
    ent = svc.enterprise(uscc)                      # NotFound for an unknown USCC
    tree, used = _tree(svc, p, lib, uscc, year)
    g = gap(tree, p) if tree["verdict"] != "eligible" else None
    return PolicyExplanation(policy=p, year=year, uscc=uscc, name=ent.get("name"), region=_region(ent.get("region_code")),
                             applies=p.applies_in(ent.get("region_code")), applies_to=p.region_label,
                             verdict=tree["verdict"], tree=tree, gap=g, input_runs=used)


# --- push ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PushList:
    """The 免申即享 push list: the eligible enterprises where the policy applies, with route,
    score, amount and budget rank (``eligible``, pyarrow), and the totals."""

    policy: object
    year: int
    eligible: pa.Table = field(repr=False)
    amount: float
    within_budget_firms: int | None
    within_budget_amount: float | None
    synthetic: bool
    run: runs.Run | None = None


def push(svc, spec: str, *, year: int | None = None, library_path=None, region: str | None = None,
         store: bool = True) -> PushList:
    """The push list of a policy for ``year``; with ``store``, the evaluation is recorded as a run
    of ``policy.push`` (``result_policy_<id>``)."""
    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    p = get_policy(svc, spec, year=year, library_path=lib)
    ev, _, _, used = _scoped(svc, p, lib, year, region)
    run = None
    if store:
        run = runs.record(svc, lever=LEVER_NAME, analysis="policy.push", method=p, years=[year],
                          tables={f"policy_{p.id}": ev}, parameters={"region": region, "input_runs": list(used)},
                          key={"policy": p.id, "region": region or "all"})
    eligible = ev.filter(pc.equal(ev.column("verdict"), "eligible"))
    total, wb_firms, wb_amount = _money(ev, p)
    return PushList(p, year, eligible, total, wb_firms, wb_amount, svc.is_synthetic(), run)


# --- the service package ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageEntry:
    """One policy of a package: its identity, where it applies, and — by section — the verdict
    with amount and basis, the gap, the missing inputs, the missing run, or why not evaluated."""

    section: str                      # one of SECTIONS
    policy_id: str
    version: str
    name_zh: str
    name_en: str
    issuer: str
    source: str
    applies_to: str
    verdict: str | None = None
    route: str | None = None
    route_name_zh: str | None = None
    route_name_en: str | None = None
    score: float | None = None
    amount_yuan: float | None = None
    has_benefit: bool = False
    charge: bool = False              # a surcharge the enterprise pays (eligible = charged)
    within_budget: bool | None = None
    basis: tuple[str, ...] = ()
    not_checked: tuple[NotDecidableItem, ...] = ()   # the not-decidable conditions (dicts of the tree)
    missing: tuple[str, ...] = ()
    conflict: tuple[str, ...] = ()
    fixed: tuple[FixedItem, ...] = ()                # failed rules it cannot change (dicts of the gap)
    gap: GapReport | None = None
    explanation: ExplanationTree | None = None
    message: str | None = None        # errors / needs_run: what happened (zh)
    message_en: str | None = None
    command: str | None = None        # needs_run: the command that computes the missing run


@dataclass(frozen=True)
class PolicyPackage:
    """An enterprise's policy service package (企业政策服务包) for a year: every policy of the
    library valid that year, by section (``SECTIONS``), and the total it can receive."""

    uscc: str
    name: str | None
    region_code: str | None
    region: str
    industry_code: str | None
    year: int
    synthetic: bool
    generated_on: str
    sections: dict                    # section → tuple[PackageEntry, ...]
    total_amount_yuan: float
    run: runs.Run | None = None

    def __getattr__(self, name):      # pkg.qualified … (templates read the sections by name)
        if name in SECTIONS:
            return self.sections.get(name, ())
        raise AttributeError(name)


def _head(p) -> dict:
    return {"policy_id": p.id, "version": str(p.version or ""), "name_zh": p.name_zh, "name_en": p.name_en,
            "issuer": p.issuer or "", "source": p.source, "applies_to": p.region_label}


def _route_name(tree: dict, lang: str) -> str | None:
    r = next((r for r in tree["eligibility"]["routes"] if r["taken"]), None)
    return None if r is None else (r["name_zh"] if lang == "zh" else r["name_en"])


def _basis(tree: dict) -> tuple[str, ...]:
    """The clauses an eligible verdict rests on: the policy, the floor rules and the taken route."""
    out = [tree["policy"]["source"]]
    by_id = {s["id"]: s for s in tree["rules"]}
    for f in tree["eligibility"]["floor"]:
        s = by_id.get(f["id"])
        if s and s["source"] and s["source"] not in out:
            out.append(s["source"])
    for r in tree["eligibility"]["routes"]:
        if r["taken"]:
            src = ((tree["scores"] or {}).get("source") if r["kind"] == "score"
                   else by_id.get(r["rule"], {}).get("source"))
            if src and src not in out:
                out.append(src)
    if tree["benefit"] and tree["benefit"]["source"] not in out:
        out.append(tree["benefit"]["source"])
    return tuple(out)


def _dependency_order(policies: list, lib, year: int) -> list:
    """Policies ordered so that the ones another reads come first."""
    ids = {p.id for p in policies}
    by_id = {p.id: p for p in policies}
    done, seen = [], set()

    def visit(p):
        if p.id in seen:
            return
        seen.add(p.id)
        for q in _required(p, lib, year):
            if q.id in ids:
                visit(by_id[q.id])
        done.append(p)

    for p in sorted(policies, key=lambda x: x.id):
        visit(p)
    return done


def _is_charge(p) -> bool:
    """A charge (差别化电价): "eligible" means the enterprise pays; not eligible is not a gap."""
    return p.benefit is not None and p.benefit.kind == "charge"


def _valid_policies(lib, year: int) -> list:
    out = []
    for pid in lib:
        v = next((v for v in reversed(lib.versions(pid)) if v.covers(year)), None)
        if v is not None:
            out.append(v)
    return out


def package(svc, uscc: str, *, year: int | None = None, library_path=None, store: bool = False,
            progress: Progress | None = None) -> PolicyPackage:
    """The service package of ``uscc`` for ``year`` (default: the latest) over every policy of the
    library valid that year: ``qualified`` (amount and basis), ``near`` (not eligible, every failed
    condition can be changed: the gap), ``unknown`` (missing data or a conflict), ``needs_run``
    (another lever's result is not computed with the method the policy reads: the command),
    ``out`` (a failed condition it cannot change), ``other_region`` (applies elsewhere; not
    evaluated) and ``errors``. With ``store``, recorded as a run of ``policy.package``
    (``result_policy_package``, replacing this enterprise and year's earlier package)."""
    from zhizao.policy.gap import gap

    cb = progress or _quiet
    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    ent = svc.enterprise(uscc)
    code = ent.get("region_code")
    sections: dict[str, list] = {s: [] for s in SECTIONS}
    verdicts: dict[str, str | None] = {}
    reachable: dict[str, bool] = {}
    total = 0.0
    policies = _dependency_order(_valid_policies(lib, year), lib, year)
    for i, p in enumerate(policies):
        cb(p.id, i / max(len(policies), 1))
        head = _head(p)
        if not p.applies_in(code):
            sections["other_region"].append(PackageEntry("other_region", **head))
            continue
        try:
            required = {q.id: verdicts.get(q.id) for q in _required(p, lib, year)}
            tree, _ = _tree(svc, p, lib, uscc, year, required=required)
        except MissingRun as e:
            verdicts[p.id] = None
            sections["needs_run"].append(PackageEntry("needs_run", **head, message=e.zh, message_en=e.en,
                                                      command=e.command))
            continue
        except ZhizaoError as e:
            verdicts[p.id] = None
            sections["errors"].append(PackageEntry("errors", **head, message=e.zh, message_en=e.en))
            continue
        verdicts[p.id] = tree["verdict"]
        g = gap(tree, p, reachable=reachable)
        reachable[p.id] = tree["verdict"] != "not_eligible" or g["reachable"]
        v = tree["verdict"]
        section = ("qualified" if v == "eligible" else "unknown" if v in ("unknown", "conflict")
                   else "out" if _is_charge(p) else "near" if g["reachable"] else "out")
        entry = PackageEntry(
            section, **head, verdict=v, route=tree["route"], route_name_zh=_route_name(tree, "zh"),
            route_name_en=_route_name(tree, "en"), score=tree["score"],
            amount_yuan=(tree["benefit"] or {}).get("amount_yuan"), has_benefit=tree["benefit"] is not None,
            charge=_is_charge(p),
            within_budget=(tree["budget"] or {}).get("within_budget"), basis=_basis(tree),
            not_checked=tuple(tree["not_decidable"]), missing=tuple(tree["missing"]),
            conflict=tuple(tree["conflict"]), fixed=tuple(g["fixed"]), gap=g, explanation=tree)
        if _is_charge(p) and section == "out":
            entry = dataclasses.replace(entry, gap=None, fixed=())
        sections[section].append(entry)
        if section == "qualified" and entry.amount_yuan is not None and entry.within_budget is not False \
                and not _is_charge(p):
            total += entry.amount_yuan
    cb("done", 1.0)
    pkg = PolicyPackage(uscc=uscc, name=ent.get("name"), region_code=code, region=_region(code),
                        industry_code=ent.get("industry_code"), year=year, synthetic=svc.is_synthetic(),
                        generated_on=_dt.date.today().isoformat(),
                        sections={s: tuple(v) for s, v in sections.items()}, total_amount_yuan=total)
    if store:
        run = runs.record(svc, lever=LEVER_NAME, analysis="policy.package", years=[year],
                          tables={"policy_package": package_rows(pkg)},
                          parameters={"library": lib.directory}, key={"uscc": uscc, "year": year})
        pkg = dataclasses.replace(pkg, run=run)
    return pkg


_PACKAGE_SCHEMA = pa.schema([
    ("uscc", pa.string()), ("name", pa.string()), ("year", pa.int64()), ("policy_id", pa.string()),
    ("version", pa.string()), ("section", pa.string()), ("verdict", pa.string()), ("route", pa.string()),
    ("score", pa.float64()), ("amount_yuan", pa.float64()), ("within_budget", pa.bool_()),
    ("missing", pa.string()), ("fixed", pa.string()), ("gap_json", pa.string()), ("message", pa.string()),
    ("synthetic", pa.bool_()), ("generated_on", pa.string())])


@dataclass(frozen=True)
class PolicyVerdict:
    """One policy's verdict for one enterprise, read from the policy's evaluation of the whole
    warehouse (no explanation, no gap: what a profile lists)."""

    policy_id: str
    version: str
    name_zh: str
    name_en: str
    issuer: str
    source: str
    applies_to: str
    section: str                      # applies / other_region / needs_run / errors
    verdict: str | None = None
    route: str | None = None
    score: float | None = None
    amount_yuan: float | None = None
    charge: bool = False
    message: str | None = None
    command: str | None = None


def warm(svc, *, year: int | None = None, library_path=None) -> int:
    """Compute and keep every policy's evaluation of the whole warehouse for ``year`` (default the
    latest), as a long-running server does at start so that the first profile or count does not
    wait for them. Returns how many were evaluated (policies that need a missing run are skipped)."""
    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    n = 0
    for p in _dependency_order(_valid_policies(lib, year), lib, year):
        try:
            _evaluated(svc, p, lib, year)
            n += 1
        except ZhizaoError:
            continue
    return n


def verdicts(svc, uscc: str, *, year: int | None = None, library_path=None) -> tuple[PolicyVerdict, ...]:
    """The verdict of every policy valid in ``year`` for ``uscc``: one row of each policy's
    evaluation of the whole warehouse, which a warm service computes once per (policy, year,
    data) and keeps — so a profile answers in milliseconds. ``package`` gives the reasons and
    gaps; this gives the verdicts."""
    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    code = svc.enterprise(uscc).get("region_code")
    out = []
    for p in _dependency_order(_valid_policies(lib, year), lib, year):
        head = _head(p)
        if not p.applies_in(code):
            out.append(PolicyVerdict(**head, section="other_region", charge=_is_charge(p)))
            continue
        try:
            ev, _, _ = _evaluated(svc, p, lib, year)
        except MissingRun as e:
            out.append(PolicyVerdict(**head, section="needs_run", message=e.zh, command=e.command))
            continue
        except ZhizaoError as e:
            out.append(PolicyVerdict(**head, section="errors", message=e.zh))
            continue
        rows = ev.filter(pc.equal(ev.column("uscc"), uscc)).slice(0, 1).to_pylist()
        r = rows[0] if rows else {}
        out.append(PolicyVerdict(**head, section="applies", verdict=r.get("verdict"), route=r.get("route"),
                                 score=r.get("score"), amount_yuan=r.get("benefit_yuan"), charge=_is_charge(p)))
    return tuple(out)


def package_rows(pkg: PolicyPackage) -> pa.Table:
    """The package as rows of ``result_policy_package``: one per policy."""
    rows = []
    for section in SECTIONS:
        for e in pkg.sections.get(section, ()):
            rows.append({"uscc": pkg.uscc, "name": pkg.name, "year": pkg.year, "policy_id": e.policy_id,
                         "version": e.version, "section": section, "verdict": e.verdict, "route": e.route,
                         "score": e.score, "amount_yuan": e.amount_yuan, "within_budget": e.within_budget,
                         "missing": ";".join(e.missing), "fixed": ";".join(f["rule"] for f in e.fixed),
                         "gap_json": json.dumps(e.gap, ensure_ascii=False) if e.gap else None,
                         "message": e.message, "synthetic": pkg.synthetic,
                         "generated_on": pkg.generated_on})
    return pa.Table.from_pylist(rows, schema=_PACKAGE_SCHEMA)


# --- the reach of the library ----------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyReach:
    """Every policy valid in ``year``: for those that apply where the warehouse's enterprises are,
    the verdict counts and amounts (``rows``: one per policy; ``by_county``: per policy and
    county); the others listed apart with where they apply, or with the run they need."""

    year: int
    rows: tuple[dict, ...]
    by_county: pa.Table = field(repr=False)
    run: runs.Run | None = None


_REACH_SCHEMA = pa.schema([("policy_id", pa.string()), ("version", pa.string()), ("year", pa.int64()),
                           ("region_code", pa.string()), ("enterprises", pa.int64()), ("eligible", pa.int64()),
                           ("not_eligible", pa.int64()), ("unknown", pa.int64()), ("conflict", pa.int64()),
                           ("amount_yuan", pa.float64())])


def _by_county(ev: pa.Table, p, year: int) -> list[dict]:
    if not ev.num_rows:
        return []
    amount = pc.if_else(pc.equal(ev.column("verdict"), "eligible"), ev.column("benefit_yuan"), None)
    t = pa.table({"region_code": ev.column("region_code"), "verdict": ev.column("verdict"),
                  "amount": pc.cast(amount, pa.float64())})
    per = t.group_by(["region_code", "verdict"]).aggregate([("verdict", "count"), ("amount", "sum")]).to_pylist()
    out: dict[str, dict] = {}
    for r in per:
        row = out.setdefault(r["region_code"], {"policy_id": p.id, "version": str(p.version), "year": year,
                                                "region_code": r["region_code"], "enterprises": 0,
                                                **{v: 0 for v in VERDICTS}, "amount_yuan": 0.0})
        row[r["verdict"]] = int(r["verdict_count"])
        row["enterprises"] += int(r["verdict_count"])
        row["amount_yuan"] += float(r["amount_sum"] or 0.0)
    return [out[k] for k in sorted(out, key=lambda c: c or "")]


def reach(svc, *, year: int | None = None, library_path=None, store: bool = True,
          progress: Progress | None = None) -> PolicyReach:
    """The verdict counts of every policy valid in ``year`` where it applies; with ``store``,
    recorded as a run of ``policy.reach`` (``result_policy_reach``)."""
    cb = progress or _quiet
    year, _ = svc.resolve_year(year)
    lib = library(svc, library_path)
    present = _warehouse_regions(svc)
    rows, county_rows = [], []
    policies = _valid_policies(lib, year)
    for i, p in enumerate(policies):
        cb(p.id, i / max(len(policies), 1))
        where = p.applies_to[0] if p.applies_to else "national"
        head = {"policy_id": p.id, "version": str(p.version), "name_zh": p.name_zh, "name_en": p.name_en,
                "applies_to": where, "applies": p.region_label}
        if not any(p.applies_in(c) for c in present):
            rows.append({**head, "eligible": None, "status": "other_region",
                         "note": f"applies in {p.region_label}: no enterprise of the warehouse is there"})
            continue
        try:
            ev, _, _, _ = _scoped(svc, p, lib, year, None)
        except MissingRun as e:
            rows.append({**head, "eligible": None, "status": "needs_run", "note": f"needs a run: `{e.command}`"})
            continue
        counts = _counts(ev)
        total, _, _ = _money(ev, p)
        rows.append({**head, **counts, "enterprises": ev.num_rows, "benefit_yuan": total, "status": "evaluated",
                     "note": ""})
        county_rows += _by_county(ev, p, year)
    cb("done", 1.0)
    by_county = pa.Table.from_pylist(county_rows, schema=_REACH_SCHEMA)
    run = None
    if store:
        run = runs.record(svc, lever=LEVER_NAME, analysis="policy.reach", years=[year],
                          tables={"policy_reach": by_county}, parameters={"library": lib.directory})
    return PolicyReach(year, tuple(rows), by_county, run)


def _warehouse_regions(svc) -> tuple[str, ...]:
    """The distinct county codes of the warehouse's enterprises."""
    def read():
        e = svc.tables()["enterprises"]
        return tuple(sorted(c for c in e.select("region_code").distinct().to_pyarrow().column(0).to_pylist() if c))

    return svc.memo("policy.regions", read, data_only=True)


# --- the lever -------------------------------------------------------------------------------------
def standard_run(svc, year: int) -> LeverRun:
    """What the demo runs for policies: the reach of the library in ``year`` (one run); summary:
    one row per policy (counts, amounts, or why it is listed apart)."""
    r = reach(svc, year=year)
    summary = pa.Table.from_pylist([{k: x.get(k) for k in ("policy_id", "version", "name_zh", "applies_to",
                                                             "eligible", "not_eligible", "unknown", "conflict",
                                                             "benefit_yuan", "status", "note")} for x in r.rows])
    here = [x for x in r.rows if x.get("eligible") is not None]
    apart = [x for x in r.rows if x.get("eligible") is None]
    text = "；".join(f"{x['name_zh']} {x['eligible']:,}" for x in here)
    zh = f"{year} 免申即享（符合的企业数）：{text}" + (f"；另有 {len(apart)} 项政策不适用于本地或待计算" if apart else "")
    en = f"{year} eligible without applying: " + "; ".join(f"{x['policy_id']} {x['eligible']:,}" for x in here)
    if apart:
        en += f"; {len(apart)} listed apart (another region, or a run needed)"
    return LeverRun(runs=[r.run], summaries={"policy_reach": summary}, findings=[f"{zh} / {en}"])


LEVER = Lever(name="policy", zh="惠企政策", en="policies", tables=TABLES, standard_run=standard_run)
