"""One loader for every YAML method file — and the fingerprint a result run records.

A method is data: one YAML file validated by a frozen Pydantic model (``MethodModel``: every
model of a method file derives from it, rejects unknown keys, and remembers the file it was read
from and the SHA-256 of its bytes). The kinds (``KINDS``): land methods, low-efficiency-land
rules, redevelopment targets, cluster sets, tier criteria, diagnosis settings, the synthetic
province's calibration and policies; each has its model, its shipped folder under
``zhizao/methods/`` and a default id.

* ``load(kind, path_or_id)`` — a shipped id (``load("land", "shandong")``) or a YAML path; shipped
  files are read once (cached). ``parse(kind, text, origin=…)`` validates text. ``available(kind)``
  lists the shipped ids.
* Every problem is a ``zhizao.errors.MethodError`` naming the file and the line (from the YAML
  node the failing field was read from), the field path, what was wrong and what was expected,
  with a did-you-mean for an unknown field, an unknown choice or an unknown shipped id::

      zhizao/methods/land/x.yaml:14: segments.above_scale.items[0].wieght: unknown field `wieght`
      (did you mean `weight`?): expected one of id, weight, benchmark, cap, floor, direction, missing, source

  A policy's errors are ``PolicyError`` (``zhizao.policy.model``), a ``MethodError`` too.
* The YAML machinery is shared with the policy loader: ``compose`` (marks, duplicate keys, invalid
  YAML with its line, ``x-…`` anchor keys dropped, "must be a mapping"), ``node_at`` / ``line_at``
  (a Pydantic location → its node and line), ``pydantic_problems`` (the messages).

``fingerprint(method)`` says which method produced a result: its id, version and a SHA-256 —
of the file it was read from where the loader recorded it, else of the validated content — so a
stored run can be matched to the method a later call asks for, and a figure traced to it.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from zhizao.errors import MethodError

__all__ = ["Fingerprint", "fingerprint", "MethodModel", "FieldError", "Kind", "KINDS", "Problem", "Problems",
           "load", "parse", "available", "kind_of", "compose", "node_at", "line_at", "loc_text", "clean_loc",
           "pydantic_problems", "validate", "method_error", "field_names"]


# --- the base model ----------------------------------------------------------------------------

class MethodModel(BaseModel):
    """Base of every method model: frozen, unknown keys refused; ``_source_file`` and
    ``_source_sha256`` are set by the loader (the file read and the SHA-256 of its bytes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    _source_file: str | None = PrivateAttr(None)
    _source_sha256: str | None = PrivateAttr(None)


class FieldError(ValueError):
    """A validator's error about a field below the model it validates: ``loc`` is the path from
    that model (``("segments", "above_scale", "classing")``), so the loader can cite the line of
    the field itself rather than of the whole model."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc, self.message = tuple(loc), message


# --- problems ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One problem of a file: its line (1-based, None when it has none), English and Chinese text
    (each starting with the field path where there is one)."""

    line: int | None
    en: str
    zh: str


class Problems(Exception):
    """What the YAML machinery raises; each front end turns it into its error class."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].en)
        self.problems = problems

    @property
    def errors(self) -> list[tuple[int | None, str]]:
        return [(p.line, p.en) for p in self.problems]


# --- YAML with lines --------------------------------------------------------------------------

def _duplicate_keys(node, out: list) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for k, v in node.value:
            key = getattr(k, "value", None)
            line = k.start_mark.line + 1
            if key in seen:
                out.append(Problem(line, f"key {key!r} appears twice in one mapping (first on line {seen[key]})",
                                   f"键 {key!r} 在同一映射中出现两次（第一次在第 {seen[key]} 行）"))
            else:
                seen[key] = line
            _duplicate_keys(v, out)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _duplicate_keys(v, out)


def compose(text: str, *, shape: str = "id: …") -> tuple:
    """``(YAML root node, mapping)`` of a method file's text, top-level ``x-…`` keys (YAML anchors
    only) left out. ``Problems`` for YAML that is invalid (with the line), repeats a key (both
    lines) or is not a mapping (``shape`` shows the expected first keys)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = f"{e.problem or e}" + (f" ({e.context})" if e.context else "")
        raise Problems([Problem(line, f"not valid YAML: {what}", "不是有效的 YAML")]) from None
    except yaml.YAMLError as e:
        raise Problems([Problem(None, f"not valid YAML: {e}", "不是有效的 YAML")]) from None
    dupes: list = []
    _duplicate_keys(root, dupes)
    if dupes:
        raise Problems(dupes)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise Problems([Problem(root.start_mark.line + 1 if root is not None else None,
                                f"the file must be a mapping ({shape}): expected `key: value` lines",
                                f"文件须为映射（{shape}）：应为 `键: 值` 形式的行")])
    return root, {k: v for k, v in data.items() if not str(k).startswith("x-")}


def node_at(root, loc) -> tuple[object, bool]:
    """The deepest YAML node on the path ``loc`` and whether the whole path was found (a part that
    is neither a key nor an index — a Pydantic union tag — is skipped)."""
    node, found = root, True
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == str(part):
                    node = v
                    break
            else:
                return node, False
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node, False
            node = node.value[part]
    return node, found


def line_at(root, loc) -> int | None:
    """The 1-based line of the node at ``loc`` (of its deepest ancestor in the file)."""
    if root is None:
        return None
    node, _ = node_at(root, loc)
    return node.start_mark.line + 1


def loc_text(loc) -> str:
    """``("rules", 1, "when")`` → ``rules[1].when``."""
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


_TAGS = ("float", "int", "str", "bool", "none", "date", "datetime", "dict", "list", "tuple")


def clean_loc(loc) -> tuple:
    """A Pydantic error location without its union tags (``'float'``, ``'tuple[…]'``, ``'[key]'``)."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in _TAGS)))


def _has_tag(loc) -> bool:
    return len(clean_loc(loc)) != len(tuple(loc))


# --- the models behind a location -------------------------------------------------------------

def _is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _step(tp, part) -> list:
    """The types one path part below the annotation ``tp``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _step(args[0], part)
    if origin in (typing.Union, types.UnionType):
        return [t for a in args for t in _step(a, part)]
    if _is_model(tp):
        for name, f in tp.model_fields.items():
            if part in (name, f.alias):
                return [f.annotation]
        return []
    if origin in (list, set, frozenset) and isinstance(part, int):
        return list(args[:1])
    if origin is tuple and isinstance(part, int):
        if len(args) == 2 and args[1] is Ellipsis:
            return [args[0]]
        return [args[part]] if part < len(args) else []
    if origin is dict:
        return [args[1]] if len(args) == 2 else []
    return []


def _models(tp) -> list:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _models(args[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in args for m in _models(a)]
    return [tp] if _is_model(tp) else []


def _models_at(model, loc) -> list:
    current = [model]
    for part in loc:
        current = [t for tp in current for t in _step(tp, part)]
    return [m for tp in current for m in _models(tp)]


def _field_list(model) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


@functools.cache
def field_names(model) -> tuple[str, ...]:
    """Every field name (alias where one is set) of ``model`` and of the models below it."""
    out: dict[str, None] = {}
    seen: set = set()

    def walk(tp):
        if _is_model(tp):
            if tp in seen:
                return
            seen.add(tp)
            for name, f in tp.model_fields.items():
                out.setdefault(f.alias or name)
                walk(f.annotation)
        for a in typing.get_args(tp):
            if a is not Ellipsis and not isinstance(a, (str, int, float, bool)):
                walk(a)

    walk(model)
    return tuple(out)


# --- Pydantic errors → problems ---------------------------------------------------------------

def _hint(word: str, choices) -> list[str]:
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)


def _expected(msg: str) -> str:
    """Pydantic's ``Input should be …`` said as ``expected …``."""
    if msg.startswith("Input should be "):
        rest = msg[len("Input should be "):]
        return "expected " + (rest if rest.startswith(("a ", "an ", "'", "\"")) or rest[:1].isdigit()
                              else "a value " + rest)
    return msg


def _got(err, hint: str | None = None) -> str:
    """`` (got 'x'; did you mean 'y'?)`` — the value the file gave (a scalar), and the close match."""
    v = err.get("input")
    if isinstance(v, (dict, list, tuple)) or err["type"] in ("value_error", "model_type", "assertion_error"):
        return f" (did you mean {hint!r}?)" if hint else ""
    text = repr(v)
    text = text if len(text) <= 60 else text[:57] + "…"
    return f" (got {text}" + (f"; did you mean {hint!r}?" if hint else "") + ")"


def _one(err, model) -> tuple[str, str, str]:
    """(English, Chinese, what was given) of one Pydantic error, after the field path."""
    loc = clean_loc(err["loc"])
    t = err["type"]
    if t == "missing":
        return (f"missing field: expected `{loc[-1]}`", f"缺少字段 `{loc[-1]}`", "")
    if t == "extra_forbidden":
        here = _models_at(model, loc[:-1]) if model is not None else []
        names = sorted({n for m in here for n in _field_list(m)}) if here else \
            (list(field_names(model)) if model is not None else [])
        hint = _hint(loc[-1], names)
        fields = ", ".join(_field_list(here[0])) if len(here) == 1 else ""
        return (f"unknown field `{loc[-1]}`" + (f" (did you mean `{hint[0]}`?)" if hint else "")
                + (f": expected one of {fields}" if fields else ": expected one of the fields of this section"),
                f"未知字段 `{loc[-1]}`" + (f"（是否应为 `{hint[0]}`？）" if hint else ""), "")
    if t == "value_error":
        e = (err.get("ctx") or {}).get("error")
        msg = e.message if isinstance(e, FieldError) else err["msg"].removeprefix("Value error, ")
        return (msg, "取值有误", "")
    close = []
    if t in ("literal_error", "enum") and isinstance(err.get("input"), str):
        options = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        close = _hint(err["input"], options)
    return (_expected(err["msg"]), "取值有误", _got(err, close[0] if close else None))


def _full_loc(err) -> tuple:
    e = (err.get("ctx") or {}).get("error") if err["type"] == "value_error" else None
    return tuple(err["loc"]) + (e.loc if isinstance(e, FieldError) else ())


def pydantic_problems(e: ValidationError, locate: Callable, model=None) -> list[Problem]:
    """Every error of ``e`` as a ``Problem``. ``locate(loc)`` gives ``(line, field path text)`` of a
    Pydantic location; ``model`` is the model validated (for the did-you-mean over its field
    names). The errors of the arms of one union at one field are said as one problem (``expected
    a valid list or 'all'``); unknown fields come first (a misspelt key also makes the key it
    stands for missing)."""
    parts: list[list] = []                 # [line, where, [en…], zh, got]
    unions: dict[tuple, int] = {}
    errs = e.errors()
    errs = [x for x in errs if x["type"] == "extra_forbidden"] + [x for x in errs if x["type"] != "extra_forbidden"]
    for err in errs:
        loc = _full_loc(err)
        line, where = locate(loc)
        en, zh, got = _one({**err, "loc": loc}, model)
        key = clean_loc(loc)
        union = _has_tag(err["loc"]) and en.startswith("expected ")
        if union and key in unions:
            parts[unions[key]][2].append(en[len("expected "):])
            continue
        if union:
            unions[key] = len(parts)
        parts.append([line, where or "(top level)", [en], zh, got])
    same: dict[tuple, list] = {}           # one YAML node read at several paths (an anchor): said once
    for n, (line, where, ens, zh, got) in enumerate(parts):
        en = " or ".join(ens) + got
        key = (line, en) if line is not None else (n,)
        if key in same:
            same[key][1].append(where)
        else:
            same[key] = [line, [where], en, zh]
    out = []
    for line, wheres, en, zh in same.values():
        also = f" (the same lines are read as {', '.join(wheres[1:])} too)" if wheres[1:] else ""
        out.append(Problem(line, f"{wheres[0]}{also}: {en}",
                           f"{wheres[0]} {zh}" if zh == "取值有误" else f"{wheres[0]}：{zh}"))
    return out


def validate(model, data: dict, root):
    """``model.model_validate(data)``, its errors as ``Problems`` with the lines of ``root`` (the
    composed YAML of ``data``)."""
    def locate(loc):
        return line_at(root, loc), loc_text(clean_loc(loc))

    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise Problems(pydantic_problems(e, locate, model)) from None


# --- the kinds --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """A kind of method file: its model (``module:Class``), its shipped folder under
    ``zhizao/methods/``, the default shipped id, its names, and which files of the folder are of
    this kind (``prefix``: ids that start with it; ``others``: prefixes of other kinds sharing the
    folder)."""

    name: str
    model: str
    folder: str
    default: str | None
    zh: str
    en: str
    prefix: str = ""
    others: tuple[str, ...] = ()
    shape: str = "id: …, name_zh: …"

    @property
    def model_class(self) -> type:
        return _attr(self.model)

    @property
    def directory(self):
        return resources.files("zhizao").joinpath("methods", *self.folder.split("/"))

    def origin(self, file_id: str) -> str:
        return f"zhizao/methods/{self.folder}/{file_id}.yaml"


def _attr(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind("land", "zhizao.land.method:LandMethod", "land", "zhejiang-county-default", "亩均评价方法",
         "land method"),
    Kind("lowland", "zhizao.land.lowland:LowlandRules", "land/lowland", "zhejiang", "低效用地认定规则",
         "low-efficiency-land rules", others=("targets-",)),
    Kind("targets", "zhizao.land.redevelop:TargetPlan", "land/lowland", "targets-zhejiang", "低效用地再开发目标",
         "redevelopment target plan", prefix="targets-"),
    Kind("clusters", "zhizao.clusters.method:ClusterSet", "clusters", "zhejiang-415x", "产业集群定义",
         "cluster set", others=("tiers-", "diagnosis-")),
    Kind("tiers", "zhizao.clusters.method:TierCriteria", "clusters", "tiers-zhejiang", "集群梯度标准",
         "tier criteria", prefix="tiers-"),
    Kind("diagnosis", "zhizao.clusters.method:DiagnosisSettings", "clusters", "diagnosis-default", "集群诊断设置",
         "diagnosis settings", prefix="diagnosis-"),
    Kind("calibration", "zhizao.data.synth.calibration:Calibration", "synth", "zhejiang", "合成省份校准参数",
         "synthetic-province calibration", shape="name: …, province: …"),
    Kind("policy", "zhizao.policy.model:Policy", "policies", None, "政策", "policy", shape="id: …, rules: …"),
]}


def kind_of(kind: str) -> Kind:
    """The ``Kind`` named ``kind``; ``ValueError`` (with a did-you-mean) for another name."""
    k = KINDS.get(kind)
    if k is None:
        hint = _hint(kind, KINDS)
        raise ValueError(f"no kind of method file {kind!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                         + f"; kinds: {', '.join(KINDS)}")
    return k


def available(kind: str) -> list[str]:
    """Ids of the shipped files of ``kind`` (file names without ``.yaml``; for policies, each id
    once however many versions it has)."""
    k = kind_of(kind)
    if k.name == "policy":
        from zhizao.policy.model import available_policies

        return available_policies()
    d = k.directory
    if not d.is_dir():
        return []
    ids = [f.name.rsplit(".", 1)[0] for f in d.iterdir() if f.name.endswith((".yaml", ".yml"))]
    return sorted(i for i in ids if i.startswith(k.prefix) and not i.startswith(k.others))


# --- errors -----------------------------------------------------------------------------------

def method_error(k: Kind, origin: str | None, problems: list[Problem]) -> MethodError:
    """The ``MethodError`` of ``problems`` found in ``origin``: Chinese and English text naming
    the kind, the file, the line, the field path, what was wrong and what was expected."""
    first = problems[0]
    where = origin if first.line is None else f"{origin}:{first.line}"
    line_zh = f" 第 {first.line} 行" if first.line else ""
    return MethodError(f"{k.zh}文件 {origin}{line_zh}有误：{first.zh}", f"{where}: {first.en}",
                       file=origin, line=first.line, errors=[(p.line, p.en) for p in problems])


# --- parse and load ---------------------------------------------------------------------------

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse(k: Kind, text: str, origin: str, sha: str):
    try:
        root, data = compose(text, shape=k.shape)
        obj = validate(k.model_class, data, root)
    except Problems as e:
        raise method_error(k, origin, e.problems) from None
    if hasattr(obj, "_source_sha256"):
        obj._source_file, obj._source_sha256 = origin, sha
    return obj


def parse(kind: str, text: str, *, origin: str = "<string>"):
    """Validate the YAML ``text`` of a method file of ``kind``; ``MethodError`` (``PolicyError`` for
    a policy) naming ``origin``, the line and what was expected.

    >>> from zhizao.errors import MethodError
    >>> try:
    ...     parse("tiers", "id: t\\nname_zh: t\\nname_en: t\\nsource: s\\nscaling: {kind: none, sorce: s}\\n",
    ...           origin="t.yaml")
    ... except MethodError as e:
    ...     print(e.en); print(e.errors[1:])
    t.yaml:5: scaling.sorce: unknown field `sorce` (did you mean `source`?): expected one of kind, reference, unit, source
    [(5, 'scaling.source: missing field: expected `source`'), (1, 'tiers: missing field: expected `tiers`')]
    """
    k = kind_of(kind)
    if k.name == "policy":
        from zhizao.policy.model import parse_policy

        return parse_policy(text, origin=origin)
    return _parse(k, text, origin, _sha256(text.encode("utf-8")))


def _is_path(path_or_id) -> bool:
    if isinstance(path_or_id, Path):
        return True
    p = Path(str(path_or_id))
    return p.suffix in (".yaml", ".yml") or "/" in str(path_or_id) or p.is_file()


def _read(k: Kind, path: Path, origin: str) -> tuple[str, str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MethodError(f"{k.zh}文件 {origin} 不存在", f"{origin}: no such {k.en} file",
                          file=origin) from None
    except OSError as e:
        raise MethodError(f"{k.zh}文件 {origin} 无法读取：{e.strerror or e}",
                          f"{origin}: cannot read the {k.en} file: {e.strerror or e}", file=origin) from None
    try:
        return raw.decode("utf-8"), _sha256(raw)
    except UnicodeDecodeError as e:
        raise MethodError(f"{k.zh}文件 {origin} 不是 UTF-8 编码", f"{origin}: not UTF-8 text ({e.reason} at byte "
                          f"{e.start}): expected a UTF-8 YAML file", file=origin) from None


def load(kind: str, path_or_id=None):
    """A method of ``kind`` by shipped id (default: the kind's default), by YAML path, or a model
    already validated (returned as it is). Shipped files are read once.

    >>> load("land", "shandong").id
    'shandong'
    >>> try:
    ...     load("land", "shangdong")
    ... except MethodError as e:
    ...     print(e.en)
    no shipped land method 'shangdong' (did you mean 'shandong'?); shipped: linhai-fixed, shandong, zhejiang-county-default
    """
    k = kind_of(kind)
    if k.name == "policy":
        from zhizao.policy.model import load_policy

        return load_policy(path_or_id)
    if isinstance(path_or_id, BaseModel):
        if isinstance(path_or_id, k.model_class):
            return path_or_id
        raise TypeError(f"expected a {k.model.rpartition(':')[2]} ({k.en}), got {type(path_or_id).__name__}")
    if path_or_id is None:
        path_or_id = k.default
    if _is_path(path_or_id):
        p = Path(path_or_id)
        text, sha = _read(k, p, str(p))
        return _parse(k, text, str(p), sha)
    return _shipped(k.name, str(path_or_id))


@functools.cache
def _shipped(kind: str, file_id: str):
    k = KINDS[kind]
    ids = available(kind)
    if file_id not in ids:
        hint = _hint(file_id, ids)
        shipped = ", ".join(ids) or "none"
        raise MethodError(f"没有名为 {file_id!r} 的已发布{k.zh}" + (f"（是否应为 {hint[0]!r}？）" if hint else "")
                          + f"；已发布：{shipped}",
                          f"no shipped {k.en} {file_id!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                          + f"; shipped: {shipped}")
    f = k.directory / f"{file_id}.yaml"
    raw = f.read_bytes()
    return _parse(k, raw.decode("utf-8"), k.origin(file_id), _sha256(raw))


# --- fingerprints -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Fingerprint:
    id: str | None
    version: str | None
    sha256: str
    file: str | None = None


def _content_hash(method) -> str:
    if hasattr(method, "model_dump"):
        data = method.model_dump(mode="json", by_alias=True)
    else:
        data = method
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(method) -> Fingerprint:
    """Id, version and hash of a validated method object (land method, policy, cluster set …).

    The hash is the one the loader recorded for the file (``_source_sha256``) where there is one,
    else a hash of the validated content (a method built in code, or merged from a variant).

    >>> from zhizao.land import load_method
    >>> f = fingerprint(load_method("shandong"))
    >>> f.id, len(f.sha256), f.file
    ('shandong', 64, 'zhizao/methods/land/shandong.yaml')
    """
    sha = getattr(method, "_source_sha256", None) or _content_hash(method)
    version = getattr(method, "version", None)
    return Fingerprint(id=getattr(method, "id", None), version=None if version is None else str(version),
                       sha256=sha, file=getattr(method, "_source_file", None) or getattr(method, "file", None))
