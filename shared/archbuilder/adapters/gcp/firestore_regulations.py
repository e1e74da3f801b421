"""The regulation library on Firestore, with hybrid search: stems and embeddings, fused by rank.

Layout: a document at ``regulation_documents/{d}`` (the global library) or
``tenants/{t}/regulation_documents/{d}``, its passages below it in ``regulation_passages``.
Each passage keeps ``tenant_id`` ('' for the global library), its region, country and
language, ``stems`` (its distinct stems, for ``array_contains_any``), the citation, title and
part (``head_stems``) and text (``body_stems``) as stems in order (for the scoring), made by
the same function as the embedded index (``regulations/stemming.py``), and ``embedding``, a
vector from ``embedder`` (Vertex AI).

Search runs per library the caller sees (its own, then the global one), each query
pre-filtered on ``tenant_id`` by equality — the isolation between tenants — and on country
and language when asked:

* lexical: ``array_contains_any`` on ``stems`` (30 terms a query), at most
  ``candidates`` passages a query, scored in Python like BM25 (citation, title and part weigh
  twice the body; the IDF is over the candidates, which are all the passages holding a
  term unless the bound cut them);
* vectors: ``find_nearest`` (cosine) on ``embedding``, ``neighbours`` a library, no
  farther than ``max_distance``;

fused by reciprocal rank (``1 / (rrf_k + rank)`` summed over both rankings); the score of a
hit is that sum. A subdivision (DE-BY) is filtered on its country in the query and on the
region after it. The composite and vector indexes these queries need are
``REQUIRED_INDEXES`` (declared in ``firestore.indexes.json``, created by Terraform).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector

from archbuilder.ai.language_model import ProviderError, TokenUsage
from archbuilder.ai.ledger import LedgerRecord, UsageLedger, ledger_id
from archbuilder.ai.pricing import PriceTable, load_prices
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import AlreadyExists
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.regulations.library import Hit, SearchFilter
from archbuilder.regulations.model import GLOBAL, Passage, RegulationDocument
from archbuilder.regulations.stemming import stems
from archbuilder.repositories import TenantPaths

DOCUMENTS = "regulation_documents"
PASSAGES = "regulation_passages"
EMBEDDING = "embedding"
DISTANCE = "_distance"
EMBED_TASK = "regulations.embed"
_ANY_LIMIT = 30  # values of one array_contains_any
_BATCH = 200  # passages a write batch (a passage with its vector is a few tens of KiB at most)
_HEAD_WEIGHT, _BODY_WEIGHT = 2.0, 1.0
_K1, _B = 1.2, 0.75
_log = get_logger("archbuilder.regulations")


class Embedding(Protocol):
    @property
    def vectors(self) -> list[list[float]]: ...

    @property
    def input_tokens(self) -> int: ...


class Embedder(Protocol):
    provider: str
    model: str
    dimension: int

    def embed(self, texts: Sequence[str], *, query: bool) -> Embedding: ...


@dataclass(frozen=True)
class Tuning:
    candidates: int = 300  # lexical candidates a query (a library, 30 terms)
    neighbours: int = 50  # find_nearest's limit a library (at most 1000)
    max_distance: float | None = 0.6  # cosine distance; farther neighbours are no hits
    rrf_k: int = 60


def required_indexes(dimension: int) -> list[dict[str, Any]]:
    """The composite indexes of the queries below, as ``firestore.indexes.json`` writes them:
    equality fields in name order, then the array or vector field."""

    def index(equal: Sequence[str], last: dict[str, Any]) -> dict[str, Any]:
        fields: list[dict[str, Any]] = [{"fieldPath": f, "order": "ASCENDING"} for f in sorted(equal)]
        if "vectorConfig" in last:
            fields.append({"fieldPath": "__name__", "order": "ASCENDING"})
        return {"collectionGroup": PASSAGES, "queryScope": "COLLECTION_GROUP", "fields": [*fields, last]}

    vector = {"fieldPath": EMBEDDING, "vectorConfig": {"dimension": dimension, "flat": {}}}
    stems = {"fieldPath": "stems", "arrayConfig": "CONTAINS"}
    combos = [
        ["tenant_id"],
        ["country", "tenant_id"],
        ["language", "tenant_id"],
        ["country", "language", "tenant_id"],
    ]
    return [
        *(index(c, stems) for c in combos),
        *(index(c, vector) for c in combos),
        index(["article", "country", "tenant_id"], {"fieldPath": "ordinal", "order": "ASCENDING"}),
    ]


class FirestoreRegulationLibrary:
    def __init__(
        self,
        client: firestore.Client,
        embedder: Embedder,
        *,
        ledger: UsageLedger | None = None,
        prices: PriceTable | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        self._client = client
        self._embedder = embedder
        self._ledger = ledger
        self._prices = prices or load_prices()
        self._tuning = tuning or Tuning()

    # -- paths ----------------------------------------------------------------------

    def _documents(self, tenant_id: str) -> firestore.CollectionReference:
        if tenant_id == GLOBAL:
            return self._client.collection(DOCUMENTS)
        return self._client.collection(f"{TenantPaths(tenant_id).root}/{DOCUMENTS}")

    def _libraries(self, tenant_id: str, include_global: bool = True) -> list[str]:
        return [tenant_id] if tenant_id == GLOBAL or not include_global else [tenant_id, GLOBAL]

    # -- writes ---------------------------------------------------------------------

    def add(self, tenant_id: str, document: RegulationDocument, passages: Sequence[Passage]) -> None:
        ref = self._documents(tenant_id).document(document.id)
        if ref.get(field_paths=["tenant_id"]).exists:
            raise AlreadyExists(path=ref.path)
        started = time.monotonic()
        embedded = (
            self._embedder.embed([_embedding_text(p) for p in passages], query=False) if passages else None
        )
        if embedded is not None:
            self._record(tenant_id, document, embedded.input_tokens, started)
        country = document.region.split("-", 1)[0]
        try:
            for start in range(0, len(passages), _BATCH):
                batch = self._client.batch()
                for i in range(start, min(start + _BATCH, len(passages))):
                    assert embedded is not None
                    passage = passages[i]
                    head = " ".join(x for x in (passage.citation, passage.title, passage.part) if x)
                    head_stems, body_stems = (
                        stems(head, passage.language),
                        stems(passage.text, passage.language),
                    )
                    batch.set(
                        ref.collection(PASSAGES).document(passage.id),
                        {
                            "tenant_id": tenant_id,
                            "document_id": document.id,
                            "region": document.region,
                            "country": country,
                            "language": passage.language,
                            "article": passage.article,
                            "paragraph": passage.paragraph,
                            "ordinal": passage.ordinal,
                            "stems": sorted(set(head_stems) | set(body_stems)),
                            "head_stems": " ".join(head_stems),
                            "body_stems": " ".join(body_stems),
                            EMBEDDING: Vector(embedded.vectors[i]),
                            "data": passage.model_dump_json(),
                        },
                    )
                batch.commit()
            # Last: a document is seen only once every passage of it is written.
            ref.create(
                {
                    "tenant_id": tenant_id,
                    "region": document.region,
                    "country": country,
                    "language": document.language,
                    "created_at": format_timestamp(document.created_at),
                    "data": document.model_dump_json(),
                }
            )
        except gexc.AlreadyExists as exc:
            raise AlreadyExists(path=ref.path) from exc
        except BaseException:
            self._client.recursive_delete(ref)  # no passages without their document
            raise

    def _record(self, tenant_id: str, document: RegulationDocument, tokens: int, started: float) -> None:
        """The embedding of a tenant's document in the AI cost ledger (the global library is
        the operator's: not billed to a tenant)."""
        if self._ledger is None or tenant_id == GLOBAL:
            return
        model = self._embedder.model
        cost = self._prices.cost(model, TokenUsage(input_tokens=tokens))
        self._ledger.record(
            LedgerRecord(
                id=ledger_id(self._embedder.provider, f"{tenant_id}/{document.id}"),
                tenant_id=tenant_id,
                provider=self._embedder.provider,
                model=model,
                task=EMBED_TASK,
                prompt_version="-",
                input_tokens=tokens,
                output_tokens=0,
                cached_tokens=0,
                reasoning_tokens=0,
                cost_micro_usd=cost.micro_usd,
                price_version=cost.price_version,
                latency_ms=round((time.monotonic() - started) * 1000),
                created_at=now(),
            )
        )

    def remove(self, tenant_id: str, document_id: str) -> bool:
        ref = self._documents(tenant_id).document(document_id)
        if not ref.get(field_paths=["tenant_id"]).exists:
            return False
        ref.delete()  # first: passages whose document is gone are never returned
        self._client.recursive_delete(ref)
        return True

    # -- reads ----------------------------------------------------------------------

    def documents(self, tenant_id: str, *, include_global: bool = True) -> list[RegulationDocument]:
        found = [
            RegulationDocument.model_validate_json(snap.get("data"))
            for library in self._libraries(tenant_id, include_global)
            for snap in self._documents(library).select(["data"]).stream()
        ]
        found.sort(key=lambda d: d.id)
        found.sort(key=lambda d: format_timestamp(d.created_at), reverse=True)
        return found

    def document(self, tenant_id: str, document_id: str) -> tuple[RegulationDocument, str] | None:
        for library in self._libraries(tenant_id):
            snap = self._documents(library).document(document_id).get(field_paths=["data"])
            if snap.exists:
                return RegulationDocument.model_validate_json(snap.get("data")), library
        return None

    def passage(self, tenant_id: str, document_id: str, passage_id: str) -> Passage | None:
        for library in self._libraries(tenant_id):
            ref = self._documents(library).document(document_id)
            wanted = ref.collection(PASSAGES).document(passage_id)
            found = {s.reference.path: s for s in self._client.get_all([ref, wanted], field_paths=["data"])}
            if ref.path in found and found[ref.path].exists:
                snap = found.get(wanted.path)
                return Passage.model_validate_json(snap.get("data")) if snap and snap.exists else None
        return None

    def passages(self, tenant_id: str, document_id: str) -> list[Passage]:
        for library in self._libraries(tenant_id):
            ref = self._documents(library).document(document_id)
            if ref.get(field_paths=["tenant_id"]).exists:
                rows = ref.collection(PASSAGES).order_by("ordinal").select(["data"]).stream()
                return [Passage.model_validate_json(row.get("data")) for row in rows]
        return []

    def article(
        self, tenant_id: str, country: str, names: Sequence[str], article: str, paragraph: str | None
    ) -> tuple[Passage, RegulationDocument] | None:
        wanted = {name.casefold() for name in names if name}
        candidates: list[tuple[Any, RegulationDocument]] = []
        for library in self._libraries(tenant_id):  # the tenant's own documents first
            query = (
                self._client.collection_group(PASSAGES)
                .where(filter=FieldFilter("tenant_id", "==", library))
                .where(filter=FieldFilter("country", "==", country))
                .where(filter=FieldFilter("article", "==", article))
                .order_by("ordinal")
                .select(["paragraph", "data"])
            )
            rows = list(query.stream())
            documents = self._owners(rows)
            own = [
                (row, documents[_owner(row)])
                for row in rows
                if _owner(row) in documents
                and (
                    (documents[_owner(row)].short or "").casefold() in wanted
                    or documents[_owner(row)].title.casefold() in wanted
                )
            ]
            own.sort(key=lambda c: format_timestamp(c[1].created_at), reverse=True)  # stable: ordinal
            candidates.extend(own)
        best = next(
            (c for c in candidates if paragraph is not None and c[0].get("paragraph") == paragraph), None
        )
        best = best or next((c for c in candidates if c[0].get("paragraph") is None), None)
        best = best or next(iter(candidates), None)
        if best is None:
            return None
        return Passage.model_validate_json(best[0].get("data")), best[1]

    def _owners(self, rows: Iterable[Any]) -> dict[str, RegulationDocument]:
        """The documents (that still exist) of these passages, by path."""
        refs = {_owner(row): row.reference.parent.parent for row in rows}
        if not refs:
            return {}
        return {
            snap.reference.path: RegulationDocument.model_validate_json(snap.get("data"))
            for snap in self._client.get_all(list(refs.values()), field_paths=["data"])
            if snap.exists
        }

    # -- search ---------------------------------------------------------------------

    def search(self, terms: Sequence[str], where: SearchFilter) -> list[Hit]:
        distinct = list(dict.fromkeys(t for t in terms if t))
        if not distinct:
            return []
        libraries = self._libraries(where.tenant_id)
        lexical = self._lexical(distinct, libraries, where)
        vector = self._nearest(where.text or " ".join(distinct), libraries, where)
        fused = fuse([lexical, vector], k=self._tuning.rrf_k)
        hits: list[Hit] = []
        chosen = fused[: where.limit * 2]  # room for passages whose document is being removed
        refs = [self._client.document(path) for path, _ in chosen]
        snaps = {s.reference.path: s for s in self._client.get_all(refs, field_paths=["data"]) if s.exists}
        documents = self._owners(snaps.values())
        for path, score in chosen:
            snap = snaps.get(path)
            if snap is None or _owner(snap) not in documents:
                continue
            hits.append(Hit(Passage.model_validate_json(snap.get("data")), documents[_owner(snap)], score))
            if len(hits) == where.limit:
                break
        return hits

    def _filtered(self, library: str, where: SearchFilter) -> Any:
        query: Any = self._client.collection_group(PASSAGES).where(
            filter=FieldFilter("tenant_id", "==", library)
        )
        if where.region:
            query = query.where(filter=FieldFilter("country", "==", where.region.split("-", 1)[0]))
        if where.language:
            query = query.where(filter=FieldFilter("language", "==", where.language))
        return query

    def _lexical(self, terms: list[str], libraries: list[str], where: SearchFilter) -> list[str]:
        """Paths of the passages holding any of ``terms``, best first."""
        candidates: dict[str, tuple[list[str], list[str]]] = {}
        for library in libraries:
            for start in range(0, len(terms), _ANY_LIMIT):
                query = (
                    self._filtered(library, where)
                    .where(
                        filter=FieldFilter("stems", "array_contains_any", terms[start : start + _ANY_LIMIT])
                    )
                    .select(["region", "head_stems", "body_stems"])
                    .limit(self._tuning.candidates)
                )
                for snap in query.stream():
                    if _in_region(snap.get("region"), where.region):
                        candidates[snap.reference.path] = (
                            str(snap.get("head_stems")).split(),
                            str(snap.get("body_stems")).split(),
                        )
        paths = list(candidates)
        scores = bm25(terms, [candidates[p] for p in paths], (_HEAD_WEIGHT, _BODY_WEIGHT))
        order = sorted(range(len(paths)), key=lambda i: -scores[i])
        return [paths[i] for i in order if scores[i] > 0]

    def _nearest(self, text: str, libraries: list[str], where: SearchFilter) -> list[str]:
        """Paths of the passages nearest to ``text``, nearest first; none when the embedding
        provider fails (the search is then lexical only)."""
        try:
            vector = self._embedder.embed([text], query=True).vectors[0]
        except ProviderError as exc:
            _log.warning("regulation search without vectors", extra=log_fields(code=exc.code))
            return []
        found: list[tuple[float, str]] = []
        for library in libraries:
            query = (
                self._filtered(library, where)
                .select(["region", DISTANCE])
                .find_nearest(
                    EMBEDDING,
                    Vector(vector),
                    limit=min(1000, max(self._tuning.neighbours, where.limit)),
                    distance_measure=DistanceMeasure.COSINE,
                    distance_result_field=DISTANCE,
                    distance_threshold=self._tuning.max_distance,
                )
            )
            try:
                rows = list(query.stream())
            except gexc.FailedPrecondition as exc:  # the vector index is missing or building
                _log.warning("regulation search without vectors", extra=log_fields(reason=str(exc)[:200]))
                return []
            found.extend(
                (float(snap.get(DISTANCE)), snap.reference.path)
                for snap in rows
                if _in_region(snap.get("region"), where.region)
            )
        found.sort()
        return [path for _, path in found]


# -- pieces without I/O ---------------------------------------------------------------


def bm25(
    terms: Sequence[str], candidates: Sequence[Sequence[Sequence[str]]], weights: Sequence[float]
) -> list[float]:
    """BM25 of each candidate (one stem list a field, weighted) for ``terms``; the collection
    statistics (IDF, average length) are those of ``candidates``."""
    n = len(candidates)
    if n == 0:
        return []
    wanted = set(terms)
    scores = [0.0] * n
    for column, weight in enumerate(weights):
        fields = [c[column] for c in candidates]
        average = sum(len(f) for f in fields) / n or 1.0
        counts = [Counter(t for t in f if t in wanted) for f in fields]
        df = Counter(term for count in counts for term in count)
        for i, count in enumerate(counts):
            norm = _K1 * (1 - _B + _B * len(fields[i]) / average)
            for term, tf in count.items():
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                scores[i] += weight * idf * tf * (_K1 + 1) / (tf + norm)
    return scores


def fuse(rankings: Sequence[Sequence[str]], *, k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each key scores ``1 / (k + rank)`` in every ranking it is in;
    best first, ties in the order the keys were first ranked."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def _in_region(region: Any, wanted: str | None) -> bool:
    """A country (DE) matches all of its regions (the query filters the country); a
    subdivision (DE-BY) its own documents and its country's national ones."""
    if not wanted or "-" not in wanted:
        return True
    return region in (wanted, wanted.split("-", 1)[0])


def _owner(snap: Any) -> str:
    return str(snap.reference.parent.parent.path)


def _embedding_text(passage: Passage) -> str:
    head = " ".join(x for x in (passage.citation, passage.title, passage.part) if x)
    return f"{head}\n{passage.text}" if head else passage.text
