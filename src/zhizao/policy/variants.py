"""Province variants (``extends:``): a policy file that states only what differs from a base.

A variant names its base with ``extends: <policy id>`` (or ``<id>@<version>`` to pin one version)
and states ``id``, ``version`` and ``source`` (the province's document making the changes); every
other top-level key is optional and inherited when absent. The merge, on the mappings the files
hold (``Policy._raw``), is declarative:

* a top-level value or section (``scores``, ``eligibility``, ``benefit``, ``budget``, ``inputs``,
  ``requires``, ``notes``, ``valid_from``, ``valid_to``, names, ``issuer``, ``entity``) that the
  variant states replaces the base's whole;
* ``variables`` merge by name: a stated name replaces the base's variable whole, a new one is
  appended (the base's order kept, so a new variable may read the base's);
* ``rules``, ``points`` and ``not_decidable`` merge by ``id``: a stated id replaces the base's item
  whole (a changed rule carries its own ``source``), a new id is appended;
* ``drop: {rules: [ids], points: [ids], variables: [ids], not_decidable: [ids]}`` removes base
  items; an id the base lacks is an error, and so is an id both dropped and stated.

The base is looked up in the variant's own directory (never the file itself), then in the shipped
library (``Resolver``); bases may be variants themselves, a cycle is an error naming it. The
merged mapping is validated exactly like a policy file (``model._build``). Each merged part
remembers where it was read (``Policy.origin_of``): errors in the variant's own keys cite its
lines; an error in an inherited item cites the variant's ``drop:`` (or ``extends:``) line and names
the base item and its file and line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from zhizao.policy.model import (Policy, PolicyError, _build, _clean_loc, _files, _line, _loc_text,
                                 _shipped_origin, _stem_matches, _trace_where, available_policies,
                                 policies_dir, read_file)

__all__ = ["Change", "Resolver", "build", "MERGED_BY_ID", "DROPPABLE"]

#: Sections merged item by item (lists by ``id``; ``variables`` by name).
MERGED_BY_ID = ("rules", "points", "not_decidable")
DROPPABLE = ("rules", "points", "variables", "not_decidable")
REQUIRED = ("id", "version", "source")
_OWN = ("extends", "drop")
_ITEM = {"rules": "rule", "points": "points table", "not_decidable": "not_decidable item", "variables": "variable"}
_EXTENDS = re.compile(r"^([a-z][a-z0-9_]*)(?:@(\S+))?$")


@dataclass(frozen=True)
class Change:
    """One thing a variant states over its base: ``action`` (``replaced`` / ``added`` /
    ``dropped``), the ``section`` (``rules``, ``scores``, ``name_zh`` …) and the ``item`` id (None
    for a whole section or top-level value)."""

    action: str
    section: str
    item: str | None = None

    def __str__(self) -> str:
        return f"{self.action} {self.section}" + (f" {self.item}" if self.item is not None else "")


# --- finding the base ---------------------------------------------------------------------------


def _key(f) -> str:
    try:
        return str(Path(str(f)).resolve())
    except OSError:
        return str(f)


@dataclass(frozen=True)
class Resolver:
    """Where a variant's base is looked up: ``directory`` (the variant's own; None for text not
    read from a file) without the variant's own file, then the shipped library. ``stack`` holds
    ``(file key, file name)`` of the files being read, the variant's own last (a cycle check)."""

    directory: object = None
    stack: tuple = ()

    @classmethod
    def for_file(cls, f, origin: str, stack: tuple = ()) -> Resolver:
        return cls(getattr(f, "parent", None), (*stack, (_key(f), getattr(f, "name", origin))))

    def _places(self) -> list[tuple[object, bool]]:
        shipped = policies_dir()
        places = []
        if self.directory is not None and _key(self.directory) != _key(shipped):
            places.append((self.directory, False))
        if shipped.is_dir():
            places.append((shipped, True))
        return places

    def _others(self, directory) -> list:
        own = self.stack[-1][0] if self.stack else None
        return [f for f in _files(directory) if _key(f) != own]

    def versions(self, policy_id: str, version: str | None) -> list[Policy]:
        """Every version of ``policy_id`` (only ``version`` when given) in the first place that has
        one; ``PolicyError`` (without a file) for a cycle of ``extends``."""
        for directory, shipped in self._places():
            found = []
            for f in self._others(directory):
                if not _stem_matches(f.name.rsplit(".", 1)[0], policy_id):
                    continue
                keys = [k for k, _ in self.stack]
                if _key(f) in keys:
                    names = [n for _, n in self.stack[keys.index(_key(f)):]] + [f.name]
                    raise PolicyError(None, None, "extends: the policies extend each other in a cycle: "
                                      + " → ".join(names))
                found.append(read_file(f, origin=_shipped_origin(f.name) if shipped else None, _stack=self.stack))
            found = [p for p in found if p.id == policy_id and (version is None or p.version == version)]
            if found:
                return found
        return []

    def candidates(self) -> list[str]:
        """The policy ids a variant may extend (its own file left out)."""
        ids = set(available_policies())
        if self.directory is not None:
            ids |= {f.name.rsplit(".", 1)[0].split("@", 1)[0] for f in self._others(self.directory)}
        return sorted(ids)

    def searched(self) -> str:
        return " and ".join(("zhizao/methods/policies" if shipped else str(d)) for d, shipped in self._places())


def _base(data: dict, root, origin: str, resolver: Resolver) -> Policy:
    line = _line(root, ("extends",))
    spec = data["extends"]
    m = _EXTENDS.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise PolicyError(origin, line, f"extends: {spec!r} is not a policy id: expected `extends: <policy id>` "
                                        "or `<policy id>@<version>` (e.g. specialized_sme@2022-63)")
    pid, version = m.groups()
    try:
        found = resolver.versions(pid, version)
        if not found and version is not None:
            others = resolver.versions(pid, None)
            if others:
                raise PolicyError(origin, line, f"extends: policy {pid} has no version {version!r}; versions: "
                                  + ", ".join(f"{p.version} ({p.file})" for p in others))
    except PolicyError as e:
        if e.file is None:
            raise PolicyError(origin, line, e.message) from None
        raise
    if not found:
        candidates = resolver.candidates()
        hint = difflib.get_close_matches(pid, candidates, n=1)
        raise PolicyError(origin, line, f"extends: unknown policy {pid!r}"
                          + (f" (did you mean {hint[0]!r}?)" if hint else "")
                          + f": expected one of {', '.join(candidates) or 'none'} (looked in {resolver.searched()}; "
                            "never the file itself)")
    return max(found, key=lambda p: p.valid_from)


# --- the merge ----------------------------------------------------------------------------------


def _fail(origin, root, loc, message):
    raise PolicyError(origin, _line(root, loc), f"{_loc_text(loc)}: {message}")


def _key_line(root, key: str) -> int | None:
    """The line of a top-level key itself (``_line`` gives its value's, the next line for a block)."""
    for k, _ in getattr(root, "value", []):
        if getattr(k, "value", None) == key:
            return k.start_mark.line + 1
    return None


def _base_ids(base: Policy, section: str) -> list[str]:
    got = base._raw.get(section) or ({} if section == "variables" else [])
    return list(got) if section == "variables" else [item["id"] for item in got]


def _drops(data: dict, root, origin: str, base: Policy) -> dict[str, list[str]]:
    spec = data.get("drop")
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        _fail(origin, root, ("drop",), "expected a mapping {rules: [ids], points: [ids], variables: [ids], "
                                       "not_decidable: [ids]}")
    out = {}
    for section, ids in spec.items():
        if section not in DROPPABLE:
            hint = difflib.get_close_matches(str(section), DROPPABLE, n=1)
            _fail(origin, root, ("drop", section), f"cannot drop from {section!r}"
                  + (f" (did you mean {hint[0]!r}?)" if hint else "") + f": expected one of {', '.join(DROPPABLE)}")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            _fail(origin, root, ("drop", section), "expected a list of ids")
        have = _base_ids(base, section)
        for k, i in enumerate(ids):
            if i not in have:
                hint = difflib.get_close_matches(i, have, n=1)
                _fail(origin, root, ("drop", section, k),
                      f"the base {base.id}@{base.version} ({base.file}) has no {_ITEM[section]} {i!r}"
                      + (f" (did you mean {hint[0]!r}?)" if hint else "")
                      + f": expected one of {', '.join(have) or 'none'}")
        out[section] = list(ids)
    return out


def _merge_items(section: str, data: dict, root, origin: str, base: Policy, dropped: list[str],
                 changes: list) -> tuple:
    """The merged items of a list section (or of ``variables``) and, per merged item, where it
    came from: ``("own", index or name)`` or ``("base", index or name)``."""
    is_map = section == "variables"
    base_items = base._raw.get(section) or ({} if is_map else [])
    own = data.get(section, {} if is_map else [])
    if is_map and not isinstance(own, dict):
        _fail(origin, root, (section,), "expected a mapping of variables (merged by name with the base's)")
    if not is_map and not isinstance(own, list):
        _fail(origin, root, (section,), f"expected a list of items with `id` (merged by id with the base's {section})")
    pairs = list(base_items.items()) if is_map else [(it["id"], it) for it in base_items]
    merged = [(k, it, ("base", k if is_map else j)) for j, (k, it) in enumerate(pairs) if k not in dropped]
    index = {k: n for n, (k, _, _) in enumerate(merged)}
    seen = set()
    own_pairs = list(own.items()) if is_map else list(enumerate(own))
    for pos, (k, it) in enumerate(own_pairs):
        loc = (section, k)
        if not is_map:
            if not isinstance(it, dict) or not isinstance(it.get("id"), str):
                _fail(origin, root, loc, "an item of a variant needs an `id` (items are merged with the base's by id)")
            k, loc = it["id"], (section, pos)
        if k in dropped:
            _fail(origin, root, loc, f"{_ITEM[section]} {k!r} is both dropped (drop.{section}) and stated: "
                                     "expected one or the other (a stated item replaces the base's)")
        if k in seen:
            _fail(origin, root, loc, f"{_ITEM[section]} {k!r} is stated twice")
        seen.add(k)
        came = ("own", loc[1])
        if k in index:
            merged[index[k]] = (k, it, came)
            changes.append(Change("replaced", section, k))
        else:
            index[k] = len(merged)
            merged.append((k, it, came))
            changes.append(Change("added", section, k))
    items = {k: it for k, it, _ in merged} if is_map else [it for _, it, _ in merged]
    return items, [(k, came) for k, _, came in merged]


def _merge(data: dict, root, origin: str, base: Policy) -> tuple[dict, dict, list]:
    """The merged mapping, where each part was read (see ``model._trace_where``), the changes."""
    drops = _drops(data, root, origin, base)
    changes = [Change("dropped", s, i) for s, ids in drops.items() for i in ids]
    merged = dict(base._raw)
    where: dict = {(): ("file", origin, root, ())}
    own = [k for k in data if k not in _OWN]
    for k in merged:
        if k not in own:
            where[(k,)] = ("policy", base, (k,))
    for k in own:
        if k in MERGED_BY_ID or k == "variables":
            continue
        merged[k] = data[k]
        if k not in REQUIRED:
            changes.append(Change("replaced" if k in base._raw else "added", k))
    for section in (*MERGED_BY_ID, "variables"):
        if section not in data and section not in drops:
            continue
        merged[section], came = _merge_items(section, data, root, origin, base, drops.get(section, []), changes)
        for n, (k, (who, at)) in enumerate(came):
            loc = (section, k if section == "variables" else n)
            where[loc] = ("file", origin, root, (section, at)) if who == "own" else ("policy", base, (section, at))
    order = {c: _key_line(root, "drop" if c.action == "dropped" else c.section) or 0 for c in changes}
    return merged, where, sorted(changes, key=lambda c: order[c])       # stable: in file order


def _describe(merged: dict, loc: tuple) -> str:
    section = loc[0] if loc else ""
    if section in MERGED_BY_ID and len(loc) > 1 and isinstance(loc[1], int):
        return f"{_ITEM[section]} {merged[section][loc[1]]['id']}"
    if section == "variables" and len(loc) > 1:
        return f"variable {loc[1]}"
    return f"section {section}" if section else "the policy"


def build(data: dict, root, origin: str, resolver: Resolver) -> Policy:
    """The policy a variant file describes: its base found by ``resolver``, the merge, the checks
    of an ordinary policy; ``PolicyError`` naming the file and line."""
    if "extends" not in data:
        raise PolicyError(origin, _key_line(root, "drop"),
                          "drop: only a variant drops items: expected `extends: <policy id>` beside `drop`")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise PolicyError(origin, _line(root, ("extends",)),
                          f"a variant must state {', '.join(f'`{k}`' for k in missing)} (its own id, version and "
                          "the document that makes the changes); everything else may be inherited")
    base = _base(data, root, origin, resolver)
    merged, where, changes = _merge(data, root, origin, base)
    blame = _key_line(root, "drop" if "drop" in data else "extends")

    def locate(loc):
        file, r, target = _trace_where(where, tuple(loc), origin)
        text = _loc_text(_clean_loc(target))
        if file == origin:
            return _line(r, target), text
        at = f"{file}:{_line(r, target)}" if r is not None else str(file)
        return blame, (f"{text or _describe(merged, tuple(loc))} ({_describe(merged, _clean_loc(loc))}, inherited "
                       f"from {at}; the variant's changes break it)")

    policy = _build(merged, origin, where, locate)
    policy._base = base
    policy._changes = tuple(changes)
    return policy
