"""One loader for every YAML method file — and the fingerprint a result run records.

(The loader itself — ``load(kind, path_or_id)`` with file:line errors, what was expected and a
did-you-mean — is built in this module; see ``load`` below.)

``fingerprint(method)`` says which method produced a result: its id, version and a SHA-256 —
of the file it was read from where the loader recorded it, else of the validated content — so a
stored run can be matched to the method a later call asks for, and a figure traced to it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

__all__ = ["Fingerprint", "fingerprint"]


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
    >>> f.id, len(f.sha256)
    ('shandong', 64)
    """
    sha = getattr(method, "_source_sha256", None) or _content_hash(method)
    version = getattr(method, "version", None)
    return Fingerprint(id=getattr(method, "id", None), version=None if version is None else str(version),
                       sha256=sha, file=getattr(method, "_source_file", None) or getattr(method, "file", None))
