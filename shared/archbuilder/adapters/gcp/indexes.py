"""Which composite index a query needs, and the catalogue declared in ``firestore.indexes.json``.

Firestore serves a query from its automatic single-field indexes (merging them for pure
equality queries); anything that orders or ranges over one field while filtering or
ordering on another needs a declared composite index, or the query fails in the cloud.
The emulator never enforces this, so the adapter checks queries against the catalogue
itself and a test checks the services' queries against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from archbuilder.ports import Query

IndexMode = Literal["ASCENDING", "DESCENDING", "CONTAINS"]

_EQUALITY = ("==", "in")
_INEQUALITY = ("!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class IndexField:
    path: str
    mode: IndexMode


@dataclass(frozen=True)
class CompositeIndex:
    """A composite index on one collection group, as declared: fields in index order."""

    collection_group: str
    fields: tuple[IndexField, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "collectionGroup": self.collection_group,
            "queryScope": "COLLECTION",
            "fields": [
                {"fieldPath": f.path, "arrayConfig": "CONTAINS"}
                if f.mode == "CONTAINS"
                else {"fieldPath": f.path, "order": f.mode}
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class NeededIndex:
    """What a query needs: its equality fields (in any order, either direction), then ``tail``
    (the array-contains field, then the ordered fields) exactly."""

    collection_group: str
    equality: frozenset[str]
    tail: tuple[IndexField, ...]

    def satisfied_by(self, declared: CompositeIndex) -> bool:
        n = len(self.equality)
        return (
            declared.collection_group == self.collection_group
            and len(declared.fields) == n + len(self.tail)
            and {f.path for f in declared.fields[:n]} == self.equality
            and all(f.mode != "CONTAINS" for f in declared.fields[:n])
            and declared.fields[n:] == self.tail
        )

    def suggestion(self) -> CompositeIndex:
        """The index to declare for this query."""
        head = tuple(IndexField(p, "ASCENDING") for p in sorted(self.equality))
        return CompositeIndex(self.collection_group, head + self.tail)


def collection_group(collection: str) -> str:
    """``tenants/t1/projects`` → ``projects``: indexes are declared per collection id."""
    return collection.rsplit("/", 1)[-1]


def required_index(query: Query) -> NeededIndex | None:
    """The composite index ``query`` needs, or None when single-field indexes serve it."""
    ordered: list[IndexField] = [
        IndexField(f, "DESCENDING" if d == "desc" else "ASCENDING") for f, d in query.order_by
    ]
    ordered_paths = {f.path for f in ordered}
    # Inequality fields not ordered explicitly are ordered implicitly, by field path.
    for path in sorted({f.field for f in query.where if f.op in _INEQUALITY} - ordered_paths):
        ordered.append(IndexField(path, "ASCENDING"))
        ordered_paths.add(path)
    contains = [IndexField(f.field, "CONTAINS") for f in query.where if f.op == "array_contains"]
    equality = sorted({f.field for f in query.where if f.op in _EQUALITY} - ordered_paths)
    paths = set(equality) | ordered_paths | {c.path for c in contains}
    if len(paths) <= 1 and len(contains) <= 1:
        return None
    if not ordered:
        return None  # equality and array-contains only: served by merging single-field indexes
    return NeededIndex(collection_group(query.collection), frozenset(equality), (*contains, *ordered))


@dataclass(frozen=True)
class IndexCatalog:
    indexes: tuple[CompositeIndex, ...]

    @classmethod
    def load(cls, path: Path) -> IndexCatalog:
        """Read a ``firestore.indexes.json`` (the Firebase CLI / Terraform format)."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        indexes = []
        for item in raw.get("indexes", []):
            if any("vectorConfig" in f for f in item["fields"]):
                continue  # a vector index serves find_nearest (firestore_regulations), no port query
            fields = tuple(
                IndexField(f["fieldPath"], "CONTAINS" if f.get("arrayConfig") else f["order"])
                for f in item["fields"]
            )
            indexes.append(CompositeIndex(item["collectionGroup"], fields))
        return cls(tuple(indexes))

    def covers(self, needed: NeededIndex) -> bool:
        return any(needed.satisfied_by(declared) for declared in self.indexes)

    def check(self, query: Query) -> NeededIndex | None:
        """The missing index ``query`` needs, or None when it can run."""
        needed = required_index(query)
        if needed is None or self.covers(needed):
            return None
        return needed
