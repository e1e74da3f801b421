"""One contract for the RegulationLibrary port, on SQLite (FTS5) and on Firestore (the emulator,
with embeddings from a fake Vertex AI server through the real google-genai SDK).

The Firestore emulator (1.19) runs ``find_nearest`` with equality pre-filters on a collection
group, so the vector half of the hybrid search is exercised for real here; what the emulator
does not check is that the composite and vector indexes exist (the cloud does):
``test_the_indexes_the_adapter_needs_are_declared`` compares them with firestore.indexes.json.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from archbuilder.domain.timestamps import now
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.regulations.library import RegulationLibrary, SearchFilter
from archbuilder.regulations.model import GLOBAL, DocumentFormat, Passage, RegulationDocument
from archbuilder.regulations.stemming import query_stems
from tests.conftest import REPO_ROOT
from tests.contract.conftest import PROJECT
from tests.contract.fake_embeddings import FakeVertexEmbeddings, cosine_distance, fake_vector
from tests.unit.ai.fake_servers import Behaviour

A, B = "t_alpha", "t_beta"
_clock = [now() - timedelta(hours=1)]


def ai_settings(url: str, **extra: Any) -> Any:
    from archbuilder.ai.settings import AiSettings

    return AiSettings(
        vertex_project="demo-project",
        vertex_location="europe-west4",
        vertex_base_url=f"{url}/",
        vertex_access_token="static-test-token",
        embedding_timeout_s=2.0,
        _env_file=None,
        **extra,
    )


@pytest.fixture(scope="module")
def fake_vertex() -> Iterator[FakeVertexEmbeddings]:
    with FakeVertexEmbeddings().running() as server:
        assert isinstance(server, FakeVertexEmbeddings)
        yield server


@pytest.fixture
def firestore_client(firestore_emulator: Any) -> Iterator[Any]:
    from google.cloud import firestore

    # A fresh named database per test: the emulator creates it on first use.
    client = firestore.Client(project=PROJECT, database=f"regulations-{uuid.uuid4().hex[:12]}")
    yield client
    client.close()  # type: ignore[no-untyped-call]


def firestore_library(client: Any, fake: FakeVertexEmbeddings) -> Any:
    from archbuilder.adapters.gcp.firestore_regulations import FirestoreRegulationLibrary
    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore
    from archbuilder.adapters.gcp.vertex_embeddings import VertexEmbedder
    from archbuilder.ai.ledger import UsageLedger

    fake.requests.clear()
    fake.script.clear()
    return FirestoreRegulationLibrary(
        client, VertexEmbedder(ai_settings(fake.url)), ledger=UsageLedger(FirestoreDocumentStore(client))
    )


@pytest.fixture(params=["sqlite", "firestore"])
def library(
    request: pytest.FixtureRequest, tmp_path: Path, fake_vertex: FakeVertexEmbeddings
) -> Iterator[Any]:
    if request.param == "sqlite":
        from archbuilder.adapters.local.sqlite_regulations import SqliteRegulationLibrary

        sqlite = SqliteRegulationLibrary(tmp_path / "regulations.sqlite3")
        yield sqlite
        sqlite.close()
        return
    yield firestore_library(request.getfixturevalue("firestore_client"), fake_vertex)


@pytest.fixture
def cloud(firestore_client: Any, fake_vertex: FakeVertexEmbeddings) -> Any:
    return firestore_library(firestore_client, fake_vertex)


def document(
    region: str, language: str, title: str, short: str | None, texts: list[tuple[str | None, str | None, str]]
) -> tuple[RegulationDocument, list[Passage]]:
    """A document of ``texts``: (article, paragraph, text) each, cited as "Madde a (p)"."""
    _clock[0] += timedelta(seconds=1)
    document_id = f"reg_{uuid.uuid4().hex[:16]}"
    passages = [
        Passage(
            id=f"p{n}",
            document_id=document_id,
            citation=(f"Madde {article}" + (f" ({paragraph})" if paragraph else "")) if article else None,
            article=article,
            paragraph=paragraph,
            language=language,
            ordinal=n,
            text=text,
        )
        for n, (article, paragraph, text) in enumerate(texts, start=1)
    ]
    doc = RegulationDocument(
        id=document_id,
        scope="tenant",
        region=region,
        language=language,
        title=title,
        short=short,
        filename="x.txt",
        format=DocumentFormat.text,
        pages=1,
        passages=len(passages),
        created_at=_clock[0],
    )
    return doc, passages


IMAR = (
    "TR",
    "tr",
    "İmar Yönetmeliği",
    "PAİY",
    [
        (None, None, "Planlı Alanlar İmar Yönetmeliği, genel hükümler."),
        ("29", "1", "Yatak odasının alanı en az 9 metrekare olur."),
        ("29", "2", "Mutfak alanı en az 5 metrekare olur."),
        ("30", None, "Merdiven genişliği en az 120 santimetre olur."),
    ],
)


def add(library: RegulationLibrary, tenant: str, spec: Any) -> tuple[RegulationDocument, list[Passage]]:
    doc, passages = document(*spec)
    library.add(tenant, doc, passages)
    return doc, passages


def find(
    library: RegulationLibrary, tenant: str, query: str, language: str = "tr", **where: Any
) -> list[Any]:
    terms = query_stems(query, language)
    return library.search(terms, SearchFilter(tenant_id=tenant, language=language, text=query, **where))


# -- the contract, on both adapters ---------------------------------------------------


def test_documents_passages_and_owners(library: RegulationLibrary) -> None:
    own, passages = add(library, A, IMAR)
    shared, _ = add(library, GLOBAL, IMAR)
    assert [d.id for d in library.documents(A)] == [shared.id, own.id]  # newest first
    assert [d.id for d in library.documents(A, include_global=False)] == [own.id]
    assert [d.id for d in library.documents(GLOBAL)] == [shared.id]
    assert library.document(A, own.id) == (own, A)
    assert library.document(A, shared.id) == (shared, GLOBAL)
    assert library.passage(A, own.id, "p2") == passages[1]
    assert library.passage(A, shared.id, "p4") is not None
    assert library.passage(A, own.id, "p99") is None
    assert library.passages(A, own.id) == passages
    assert len(library.passages(A, shared.id)) == 4 and library.passages(B, own.id) == []


def test_a_tenant_never_reads_finds_or_removes_another_tenants_document(library: RegulationLibrary) -> None:
    theirs, _ = add(library, B, IMAR)
    assert library.documents(A) == []
    assert library.document(A, theirs.id) is None
    assert library.passage(A, theirs.id, "p2") is None
    assert library.passages(A, theirs.id) == []
    assert find(library, A, "yatak odası") == []
    assert library.article(A, "TR", ["PAİY"], "29", "1") is None
    assert library.remove(A, theirs.id) is False
    assert library.document(B, theirs.id) is not None
    # The global library is read-only to a tenant: removing it through a tenant does nothing.
    shared, _ = add(library, GLOBAL, IMAR)
    assert library.remove(A, shared.id) is False and library.document(A, shared.id) is not None
    hits = find(library, A, "yatak odaları")
    assert hits and {h.document.id for h in hits} == {shared.id}


def test_search_is_stemmed_ranked_and_filtered(library: RegulationLibrary) -> None:
    own, _ = add(library, A, IMAR)
    german, _ = add(
        library,
        GLOBAL,
        (
            "DE-BY",
            "de",
            "Bayerische Bauordnung",
            "BayBO",
            [("48", "2", "Aufenthaltsräume müssen eine lichte Raumhöhe haben.")],
        ),
    )
    other_land, _ = add(
        library,
        GLOBAL,
        (
            "DE-NW",
            "de",
            "Bauordnung NRW",
            "BauO NRW",
            [("48", "1", "Aufenthaltsräume müssen ausreichend belüftet sein.")],
        ),
    )
    national, _ = add(
        library,
        GLOBAL,
        ("DE", "de", "Musterbauordnung", "MBO", [("47", "1", "Aufenthaltsräume müssen gelüftet werden.")]),
    )
    hits = find(library, A, "yatak odaları", region="TR")
    assert hits[0].passage.citation == "Madde 29 (1)" and hits[0].document.id == own.id
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert find(library, A, "yatak odaları", region="DE") == []
    bavaria = {h.document.id for h in find(library, A, "Aufenthaltsräume", language="de", region="DE-BY")}
    assert bavaria == {german.id, national.id}  # its own and its country's, not another Land's
    germany = {h.document.id for h in find(library, A, "Aufenthaltsräume", language="de", region="DE")}
    assert germany == {german.id, other_land.id, national.id}
    assert len(find(library, A, "Aufenthaltsräume", language="de", limit=2)) == 2
    assert library.search([], SearchFilter(tenant_id=A)) == []


def test_article_prefers_the_tenants_own_document_and_the_paragraph(library: RegulationLibrary) -> None:
    shared, _ = add(library, GLOBAL, IMAR)
    assert library.article(A, "TR", ["PAİY"], "29", "2")[0].text.startswith("Mutfak")  # type: ignore[index]
    assert library.article(A, "TR", ["paiy"], "29", None) is None  # names compare case-folded, not folded
    first = library.article(A, "TR", ["İmar Yönetmeliği"], "29", None)
    assert first is not None and first[0].paragraph == "1" and first[1].id == shared.id
    assert library.article(A, "DE", ["PAİY"], "29", "1") is None
    own, _ = add(library, A, IMAR)
    mine = library.article(A, "TR", ["PAİY"], "29", "1")
    assert mine is not None and mine[1].id == own.id
    assert library.article(A, "TR", ["PAİY"], "30", "7")[0].citation == "Madde 30"  # type: ignore[index]


def test_remove_takes_the_document_and_its_passages(library: RegulationLibrary) -> None:
    own, _ = add(library, A, IMAR)
    assert library.remove(A, own.id) is True
    assert library.document(A, own.id) is None and library.passage(A, own.id, "p2") is None
    assert find(library, A, "yatak odası") == []
    assert library.article(A, "TR", ["PAİY"], "29", "1") is None
    assert library.remove(A, own.id) is False


# -- the cloud adapter: vectors, fusion, cost, failures --------------------------------


def test_google_genai_calls_vertex_embeddings_over_http(
    cloud: Any, fake_vertex: FakeVertexEmbeddings
) -> None:
    add(cloud, A, IMAR)
    find(cloud, A, "yatak odası")
    indexing, question = fake_vertex.requests
    assert indexing["path"] == (
        "/v1/projects/demo-project/locations/europe-west4/publishers/google/models/text-embedding-005:predict"
    )
    assert indexing["headers"]["Authorization"] == "Bearer static-test-token"
    assert len(indexing["json"]["instances"]) == 4
    assert indexing["json"]["instances"][1]["task_type"] == "RETRIEVAL_DOCUMENT"
    assert indexing["json"]["instances"][1]["content"].startswith("Madde 29 (1)\nYatak")
    assert indexing["json"]["parameters"] == {"outputDimensionality": 768, "autoTruncate": True}
    assert question["json"]["instances"] == [{"content": "yatak odası", "task_type": "RETRIEVAL_QUERY"}]


def test_vectors_find_what_the_stems_miss_and_fusion_ranks_both_first(cloud: Any) -> None:
    spec = (
        "DE",
        "de",
        "Musterbauordnung",
        "MBO",
        [
            ("47", "1", "Schlafzimmer Fläche"),
            ("47", "2", "Die Fläche der Küche und der Bäder."),
            ("48", "1", "Treppen und Geländer."),
        ],
    )
    doc, _ = add(cloud, GLOBAL, spec)
    # "Schlafzimmerfläche" stems to one word no passage has: no lexical hit, a vector one.
    query = "Schlafzimmerfläche"
    assert set(query_stems(query, "de")).isdisjoint(query_stems("Schlafzimmer Fläche", "de"))
    assert (
        cosine_distance(fake_vector(query, 768), fake_vector("Madde 47 (1)\nSchlafzimmer Fläche", 768)) < 0.6
    )
    hits = find(cloud, A, query, language="de")
    assert [h.passage.id for h in hits] == ["p1"] and hits[0].document.id == doc.id
    # Both halves agree on p1 for "Schlafzimmer Fläche"; p2 shares a stem only.
    ranked = find(cloud, A, "Fläche Schlafzimmer", language="de")
    assert [h.passage.id for h in ranked][:2] == ["p1", "p2"]
    assert ranked[0].score > ranked[1].score
    # Far from everything and no shared stem: nothing (max_distance).
    assert find(cloud, A, "Zwischenboden", language="de") == []


def test_vectors_keep_tenants_apart(cloud: Any) -> None:
    add(cloud, B, IMAR)
    add(cloud, A, ("TR", "tr", "Otopark Yönetmeliği", "OTY", [("5", "1", "Otopark alanı ayrılır.")]))
    # Tenant B's passage is the nearest to this question, but A's search never sees it.
    hits = find(cloud, A, "Yatak odasının alanı en az 9 metrekare olur.")
    assert all(h.document.title == "Otopark Yönetmeliği" for h in hits)
    own = find(cloud, B, "Yatak odasının alanı en az 9 metrekare olur.")
    assert own and own[0].passage.citation == "Madde 29 (1)"


def test_a_tenants_embeddings_go_to_the_cost_ledger(cloud: Any, firestore_client: Any) -> None:
    from archbuilder.ai.pricing import load_prices

    own, passages = add(cloud, A, IMAR)
    add(cloud, GLOBAL, IMAR)  # the operator's: billed to no tenant
    rows = [s.to_dict() for s in firestore_client.collection(f"tenants/{A}/usage_ledger").stream()]
    assert len(rows) == 1
    row = rows[0]
    tokens = sum(max(1, len(text) // 4) for text in _embedded_texts(passages))
    assert row["task"] == "regulations.embed" and row["provider"] == "vertex"
    assert row["model"] == "text-embedding-005" and row["tokens"]["input"] == tokens
    assert row["price_version"] == load_prices().version and row["cost_micro_usd"] >= 0
    usage = list(firestore_client.collection(f"tenants/{A}/usage").stream())
    assert usage[0].to_dict()["ai_calls"] == 1


def _embedded_texts(passages: list[Passage]) -> list[str]:
    return [f"{p.citation}\n{p.text}" if p.citation else p.text for p in passages]


def test_without_the_embedding_provider_search_is_lexical_and_adding_fails_cleanly(
    cloud: Any, fake_vertex: FakeVertexEmbeddings
) -> None:
    from archbuilder.ai.language_model import ProviderError

    own, _ = add(cloud, A, IMAR)
    fake_vertex.then(Behaviour(kind="status", status=503))
    hits = find(cloud, A, "yatak odaları")
    assert hits and hits[0].passage.citation == "Madde 29 (1)"
    fake_vertex.then(Behaviour(kind="status", status=503))
    doc, passages = document(*IMAR)
    with pytest.raises(ProviderError):
        cloud.add(A, doc, passages)
    assert cloud.document(A, doc.id) is None and cloud.passage(A, doc.id, "p1") is None
    assert [d.id for d in cloud.documents(A)] == [own.id]


def test_library_for_picks_firestore_on_google_cloud(
    firestore_client: Any, fake_vertex: FakeVertexEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archbuilder.adapters.gcp import vertex_embeddings
    from archbuilder.adapters.gcp.firestore_regulations import FirestoreRegulationLibrary
    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore
    from archbuilder.ai import settings as ai
    from archbuilder.regulations.library import library_for, optional_library

    runtime: Any = SimpleNamespace(
        settings=SimpleNamespace(uses_google_cloud=True), store=FirestoreDocumentStore(firestore_client)
    )
    monkeypatch.setattr(ai, "get_ai_settings", lambda: ai.AiSettings(_env_file=None, vertex_project=None))
    with pytest.raises(ArchBuilderError) as refused:
        library_for(runtime)
    assert (refused.value.code, refused.value.status) == ("REGULATION_LIBRARY_NOT_CONFIGURED", 501)
    assert optional_library(runtime) is None
    configured = ai_settings(fake_vertex.url)
    monkeypatch.setattr(ai, "get_ai_settings", lambda: configured)
    monkeypatch.setattr(
        vertex_embeddings, "default_embedder", lambda: vertex_embeddings.VertexEmbedder(configured)
    )
    chosen = library_for(runtime)
    assert isinstance(chosen, FirestoreRegulationLibrary)
    add(chosen, A, IMAR)
    assert find(chosen, A, "yatak odası")[0].passage.citation == "Madde 29 (1)"


def test_the_indexes_the_adapter_needs_are_declared() -> None:
    from archbuilder.adapters.gcp.firestore_regulations import required_indexes
    from archbuilder.adapters.gcp.indexes import IndexCatalog
    from archbuilder.ai.settings import AiSettings

    path = REPO_ROOT / "firestore.indexes.json"
    declared = [json.dumps(i, sort_keys=True) for i in json.loads(path.read_text())["indexes"]]
    dimension = AiSettings(_env_file=None).embedding_dimension
    for index in required_indexes(dimension):
        assert json.dumps(index, sort_keys=True) in declared, index
    IndexCatalog.load(path)  # vector indexes do not trip the port's catalogue


# -- scoring and fusion, without I/O ---------------------------------------------------


def test_bm25_and_reciprocal_rank_fusion() -> None:
    from archbuilder.adapters.gcp.firestore_regulations import bm25, fuse

    candidates = [
        (["madde", "29"], ["yatak", "oda", "alan", "yatak"]),
        ([], ["oda", "kapı", "pencer", "oda", "cam", "çerçeve"]),
        (["yatak"], ["başka", "metin"]),
    ]
    scores = bm25(["yatak", "oda"], candidates, (2.0, 1.0))
    assert min(scores) > 0 and scores[0] > scores[1]  # both stems beat one
    head, body = bm25(["yatak"], [(["yatak"], ["a", "b"]), ([], ["yatak", "a", "b"])], (2.0, 1.0))
    assert head > body  # the citation, title and part weigh twice the text
    assert bm25(["x"], [], (1.0,)) == []
    fused = fuse([["a", "b", "c"], ["c", "a"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert [key for key, _ in fuse([["x", "y"], ["y", "x"]])] == ["x", "y"]  # ties: first ranked first


def test_how_the_embedded_index_splits_a_compound_never_depends_on_another_tenants_words(
    tmp_path: Any,
) -> None:
    """The embedded index searches an unknown long stem ("treppenstuf") as two stems it holds; it
    must hold them in the libraries the caller sees, else the caller could tell from its own
    results that another tenant's documents use a word."""
    from archbuilder.adapters.local.sqlite_regulations import SqliteRegulationLibrary

    library = SqliteRegulationLibrary(tmp_path / "regulations.sqlite3")
    add(library, "ten_b", ("DE", "de", "B", None, [("1", None, "Jede Treppe hat ein Geländer.")]))
    assert find(library, "ten_b", "Treppenstufen", language="de") == []  # no library B sees has "stuf"
    add(library, "ten_a", ("DE", "de", "A", None, [("2", None, "Jede Stufe ist höchstens 17 cm hoch.")]))
    assert find(library, "ten_b", "Treppenstufen", language="de") == []  # A's "stuf" changes nothing
    add(library, "ten_b", ("DE", "de", "B2", None, [("3", None, "Die Stufe ist rutschfest.")]))
    assert {h.passage.article for h in find(library, "ten_b", "Treppenstufen", language="de")} == {"1", "3"}
