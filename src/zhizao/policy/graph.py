"""The static dependency graph: which inputs and which other policies a policy needs.

* ``Library`` — the policies of a directory (every version of each id), cross-references checked:
  a ``policy("id")`` or ``requires`` entry must name a policy of the library, and references must
  not form a cycle (``PolicyError`` naming it ``a → b → a``, with the file and line of the first
  reference).
* ``dependencies(policy, library)`` — the warehouse columns (lags as ``revenue@-1``), the policies
  (transitively, in evaluation order) and the variables a policy needs; the calculator form asks
  for exactly these, and the engine names the missing columns before evaluating.
* ``inputs(policy, node)`` — the base inputs behind an expression (variables expanded to the
  columns they read), used for the ``missing`` column of the evaluation table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from zhizao.policy import expr as E
from zhizao.policy.model import (ENTERPRISE_COLUMNS, INDICATOR_COLUMNS, Policy, PolicyError, _files, find_cycle,
                                 _shipped_origin, pick_version, policies_dir, read_file)

__all__ = ["Library", "Dependencies", "load_library", "dependencies", "evaluation_order", "inputs",
           "policy_inputs", "column_of", "input_of"]


class Library(Mapping):
    """Policies by id (``library[id]`` is the latest version; ``get(id, year=…)`` the one valid in a
    year; ``versions(id)`` all of them)."""

    def __init__(self, policies: Iterable[Policy], *, directory: str | None = None):
        self._versions: dict[str, list[Policy]] = {}
        for p in policies:
            self._versions.setdefault(p.id, []).append(p)
        for vs in self._versions.values():
            vs.sort(key=lambda v: v.valid_from)
        self.directory = directory

    def __getitem__(self, policy_id: str) -> Policy:
        if policy_id not in self._versions:
            raise KeyError(f"no policy {policy_id!r} in the library; it has {', '.join(self) or 'none'}")
        return self._versions[policy_id][-1]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._versions))

    def __len__(self) -> int:
        return len(self._versions)

    def versions(self, policy_id: str) -> list[Policy]:
        return list(self._versions.get(policy_id, []))

    def get(self, policy_id: str, default=None, *, year: int | None = None):
        """The version of ``policy_id`` valid in ``year`` (latest when no year); ``default`` when the
        id is unknown; ``PolicyError`` when no version covers the year."""
        if policy_id not in self._versions:
            return default
        return pick_version(self._versions[policy_id], year)

    def all_versions(self) -> list[Policy]:
        return [v for pid in self for v in self._versions[pid]]

    def __repr__(self) -> str:
        return f"Library({', '.join(self)})"


def load_library(dir: str | Path | None = None) -> Library:  # noqa: A002 - the contract's name
    """Every policy of ``dir`` (default: the shipped ``zhizao/methods/policies``), checked:
    file names match ids, versions of one id do not overlap in time, every referenced policy
    exists, and references do not form a cycle. A variant (``extends:``) is merged with its base
    first (``zhizao.policy.variants``: the base from ``dir`` itself, else the shipped library), and
    these checks apply to the merged policy."""
    if dir is None:
        d = policies_dir()
        files = _files(d) if d.is_dir() else []
        policies = [read_file(f, origin=_shipped_origin(f.name)) for f in files]
        directory = "zhizao/methods/policies"
    else:
        d = Path(dir)
        if not d.is_dir():
            raise PolicyError(str(d), None, "not a directory of policy files")
        policies = [read_file(f) for f in _files(d)]
        directory = str(d)
    lib = Library(policies, directory=directory)
    _check_versions(lib)
    _check_references(lib)
    return lib


def _check_versions(lib: Library) -> None:
    for pid in lib:
        vs = lib.versions(pid)
        for a, b in zip(vs, vs[1:]):
            a_end = a.valid_to.year if a.valid_to else None
            if a_end is None or a_end >= b.valid_from.year:
                raise PolicyError(b.file, b.line_of("id"),
                                  f"policy {pid} version {b.version!r} (from {b.valid_from}) overlaps version "
                                  f"{a.version!r} of {a.file} (valid {a.valid_from}–{a.valid_to or '…'}): "
                                  "expected validity windows that do not share a year")


def _ref_line(p: Policy, ref: str) -> int | None:
    return p._refs.get(ref) or p.line_of("id")


def _check_references(lib: Library) -> None:
    for p in lib.all_versions():
        for ref in p.required_policies:
            if ref not in lib:
                raise PolicyError(p.file, _ref_line(p, ref),
                                  f"policy {p.id} refers to unknown policy {ref!r}: expected one of "
                                  f"{', '.join(lib) or 'none'}")
    edges = {pid: sorted({r for v in lib.versions(pid) for r in v.required_policies}) for pid in lib}
    cycle = find_cycle(edges)
    if cycle:
        first = lib[cycle[0]]
        raise PolicyError(first.file, _ref_line(first, cycle[1]),
                          "policies refer to each other in a cycle: " + " → ".join(cycle))


def evaluation_order(policy: Policy, library: Library | None, *, year: int | None = None) -> list[Policy]:
    """The policies ``policy`` needs, transitively, each before the policies that read it (the
    policy itself excluded), from ``library`` (None: only for a policy that requires none).
    ``PolicyError`` for an unknown reference, a missing library or a cycle."""
    out: dict[str, Policy] = {}
    path: list[str] = [policy.id]

    def visit(p: Policy):
        for ref in p.required_policies:
            if ref in path:
                cycle = path[path.index(ref):] + [ref]
                raise PolicyError(p.file, _ref_line(p, ref),
                                  "policies refer to each other in a cycle: " + " → ".join(cycle))
            if ref in out:
                continue
            q = _resolve(p, ref, library, year)
            path.append(ref)
            visit(q)
            path.pop()
            out[ref] = q

    visit(policy)
    return list(out.values())


def _resolve(p: Policy, ref: str, library: Library | None, year: int | None) -> Policy:
    if library is None:
        raise PolicyError(p.file, _ref_line(p, ref), f"policy {p.id} refers to {ref!r} but no library was given: "
                                                     "expected library= (zhizao.policy.load_library()) holding it")
    q = library.get(ref, year=year)
    if q is None:
        raise PolicyError(p.file, _ref_line(p, ref), f"policy {p.id} refers to {ref!r}, which is not in the "
                                                     f"library ({', '.join(library) or 'empty'})")
    return q


# --- inputs -----------------------------------------------------------------------------------


def inputs(policy: Policy, node: E.Node | None) -> set[str]:
    """The base inputs ``node`` reads: warehouse columns, ``col@-k`` lags and ``policy:id``, with
    the policy's variables expanded to what they read (``rule:id`` names are left out)."""
    if node is None:
        return set()
    out: set[str] = set()
    seen: set[str] = set()

    def walk(names):
        for n in names:
            if n.startswith("rule:"):
                continue
            if n in policy.variables:
                if n not in seen:
                    seen.add(n)
                    walk(E.names(policy.variables[n].node))
            else:
                out.add(n)

    walk(E.names(node))
    return out


def column_of(key: str) -> str | None:
    """The warehouse column behind an input key (``revenue@-1`` → ``revenue``; a column of an extra
    input table stays qualified, ``land.land_class``); None for ``policy:`` and ``not_decidable:``."""
    if key.startswith(("policy:", "not_decidable:")):
        return None
    return key.split("@", 1)[0]


def input_of(policy: Policy, key: str) -> tuple[str, str] | None:
    """``(alias, column)`` when ``key`` reads a column of one of the policy's extra input tables."""
    alias, dot, col = key.partition(".")
    if dot and alias in policy.inputs and "@" not in key:
        return alias, col
    return None


def policy_inputs(policy: Policy) -> set[str]:
    """Every base input of every expression of the policy (variables, points, rules, exceptions,
    benefit, budget order)."""
    nodes = [v.node for v in policy.variables.values()]
    for t in policy.points:
        nodes.append(t.node)
        nodes += [c.node for c in t.cases or []]
    for r in policy.rules:
        nodes.append(r.node)
        nodes += [x.node for x in r.exceptions]
    if policy.benefit is not None:
        nodes.append(policy.benefit.node)
    if policy.budget is not None:
        nodes.append(policy.budget.node)
    out: set[str] = set()
    for n in nodes:
        out |= inputs(policy, n)
    # the budget order may also read the policy's own outputs (score, points_…): not inputs;
    # undecided("id") reads not_decidable:id, which no table holds (named in `missing` only)
    return {k for k in out if k.startswith("policy:") or column_of(k) in ENTERPRISE_COLUMNS
            or column_of(k) in INDICATOR_COLUMNS or input_of(policy, k) is not None}


@dataclass(frozen=True)
class Dependencies:
    """What a policy needs: ``columns`` (warehouse columns, lags as ``revenue@-1``; of the policy
    and of every policy it requires), ``policies`` (transitively, in evaluation order),
    ``variables`` (the policy's own, in order), and ``own_columns`` (its own expressions only)."""

    policy: str
    columns: tuple[str, ...]
    policies: tuple[str, ...]
    variables: tuple[str, ...]
    own_columns: tuple[str, ...]
    #: extra input tables (of the policy and the policies it requires): (alias, table name, command
    #: that creates it); their columns appear in ``columns`` qualified, ``land.land_class``
    input_tables: tuple[tuple[str, str, str | None], ...] = ()

    @property
    def tables(self) -> dict[str, tuple[str, ...]]:
        """The plain columns needed per warehouse table (lags folded into their column), the extra
        input tables by table name."""
        cols = sorted({column_of(c) for c in self.columns})
        out = {"enterprises": tuple(c for c in cols if c in ENTERPRISE_COLUMNS),
               "indicators": tuple(c for c in cols if c in INDICATOR_COLUMNS and c not in ENTERPRISE_COLUMNS)}
        for alias, table, _ in self.input_tables:
            out[table] = tuple(sorted({*out.get(table, ()), *(c.split(".", 1)[1] for c in cols
                                                             if c.startswith(alias + "."))}))
        return out


def _sort_key(k: str):
    col, _, lag = k.partition("@")
    return (col, lag)


def dependencies(policy: Policy | str, library: Library | None = None, *, year: int | None = None) -> Dependencies:
    """The static dependencies of ``policy`` (a ``Policy``, or an id of ``library``; see
    ``Dependencies``); the policies it requires come from ``library``."""
    if isinstance(policy, Policy):
        p = policy
    elif library is not None and policy in library:
        p = library.get(policy, year=year)
    else:
        raise PolicyError(None, None, f"policy {policy!r} is not in the library "
                                      + (f"({', '.join(library) or 'empty'})" if library is not None
                                         else "(none given): expected a Policy or library= holding it"))
    order = evaluation_order(p, library, year=year)
    own = {k for k in policy_inputs(p) if not k.startswith("policy:")}
    cols = set(own)
    for q in order:
        cols |= {k for k in policy_inputs(q) if not k.startswith("policy:")}
    ins: dict = {}
    for q in [*order, p]:
        for alias, spec in q.inputs.items():
            ins.setdefault((alias, spec.table), spec.command)
    return Dependencies(
        policy=p.id,
        columns=tuple(sorted(cols, key=_sort_key)),
        policies=tuple(q.id for q in order),
        variables=tuple(p.variables),
        own_columns=tuple(sorted(own, key=_sort_key)),
        input_tables=tuple((a, t, c) for (a, t), c in sorted(ins.items())),
    )
