"""The port of the regulation library: documents, their passages, and a search over them.

Every call names the tenant it reads for: a tenant sees its own documents and the global
library (tenant ``GLOBAL``), never another tenant's. The embedded adapter is SQLite with
FTS5 (``adapters/local/sqlite_regulations.py``); the cloud one is Firestore with embeddings
from Vertex AI, hybrid search (``adapters/gcp/firestore_regulations.py``, docs/regulations.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from archbuilder.platform.errors import ArchBuilderError
from archbuilder.regulations.model import Passage, RegulationDocument

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime


@dataclass(frozen=True)
class SearchFilter:
    tenant_id: str
    region: str | None = (
        None  # a country (TR) matches its subdivisions (DE matches DE-BY), a subdivision its country
    )
    language: str | None = None
    limit: int = 10
    text: str | None = None  # the question as asked: what the cloud adapter embeds (else the terms)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    document: RegulationDocument
    score: float  # higher is better


class RegulationLibrary(Protocol):
    def add(self, tenant_id: str, document: RegulationDocument, passages: Sequence[Passage]) -> None:
        """Store a document and index its passages (``tenant_id`` GLOBAL: the global library)."""
        ...

    def documents(self, tenant_id: str, *, include_global: bool = True) -> list[RegulationDocument]:
        """The documents the tenant sees, newest first."""
        ...

    def document(self, tenant_id: str, document_id: str) -> tuple[RegulationDocument, str] | None:
        """A document the tenant sees and the tenant it belongs to (GLOBAL or its own)."""
        ...

    def passage(self, tenant_id: str, document_id: str, passage_id: str) -> Passage | None: ...

    def passages(self, tenant_id: str, document_id: str) -> list[Passage]:
        """Every passage of a document the tenant sees, in the document's order (a tenant's
        export of its data)."""
        ...

    def remove(self, tenant_id: str, document_id: str) -> bool:
        """Delete a document of ``tenant_id``'s own library (GLOBAL: of the global one)."""
        ...

    def search(self, terms: Sequence[str], where: SearchFilter) -> list[Hit]:
        """Passages with any of the stemmed ``terms``, best first (BM25 embedded)."""
        ...

    def article(
        self, tenant_id: str, country: str, names: Sequence[str], article: str, paragraph: str | None
    ) -> tuple[Passage, RegulationDocument] | None:
        """The passage of ``article`` (and ``paragraph``, else the article's first passage) in a
        document of ``country`` the tenant sees whose short name or title is one of ``names``."""
        ...


EMBEDDED_FILE = "regulations.sqlite3"  # the embedded index, in the data folder (backed up with it)
_libraries: dict[Path, RegulationLibrary] = {}
_lock = threading.Lock()


def library_for(runtime: Runtime) -> RegulationLibrary:
    """The library of this runtime: the embedded SQLite index under the data folder, or on
    Google Cloud the Firestore adapter with embeddings from Vertex AI. Without an embedding
    provider there (``ARCHBUILDER_AI_VERTEX_PROJECT`` unset): 501
    REGULATION_LIBRARY_NOT_CONFIGURED (an index in a function's memory or /tmp would differ
    per instance)."""
    settings = runtime.settings
    if settings.uses_google_cloud:
        return _cloud_library(runtime)
    path = (settings.data_dir / EMBEDDED_FILE).resolve()
    with _lock:
        if path not in _libraries:
            from archbuilder.adapters.local.sqlite_regulations import SqliteRegulationLibrary

            _libraries[path] = SqliteRegulationLibrary(path)
        return _libraries[path]


def _cloud_library(runtime: Runtime) -> RegulationLibrary:
    from archbuilder.ai.settings import get_ai_settings

    if not get_ai_settings().vertex_project:
        raise ArchBuilderError(code="REGULATION_LIBRARY_NOT_CONFIGURED", status=501)
    from archbuilder.adapters.gcp.firestore_regulations import FirestoreRegulationLibrary
    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore
    from archbuilder.adapters.gcp.vertex_embeddings import default_embedder
    from archbuilder.ai.ledger import UsageLedger

    store = runtime.store
    if not isinstance(store, FirestoreDocumentStore):
        raise ArchBuilderError(code="REGULATION_LIBRARY_NOT_CONFIGURED", status=501)
    return FirestoreRegulationLibrary(store.client, default_embedder(), ledger=UsageLedger(store))


def optional_library(runtime: Runtime) -> RegulationLibrary | None:
    """The library where one is configured, else None: what reads it on the side (findings
    linked to their passages) works without it."""
    try:
        return library_for(runtime)
    except ArchBuilderError:
        return None
