"""The embedded regulation library: one SQLite file, passages in an FTS5 index ranked by BM25.

The index holds stems, not words (``regulations/stemming.py`` makes them, the same way for
documents and questions). Tenant isolation is a column on every passage and document that
every query filters on: the caller's tenant or GLOBAL ('').
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from archbuilder.adapters.local.sqlite_threads import ThreadConnections
from archbuilder.domain.timestamps import format_timestamp
from archbuilder.regulations.library import Hit, SearchFilter
from archbuilder.regulations.model import GLOBAL, Passage, RegulationDocument
from archbuilder.regulations.stemming import stems

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, region TEXT NOT NULL, country TEXT NOT NULL,
  language TEXT NOT NULL, short TEXT, title TEXT NOT NULL, created_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_tenant ON documents (tenant_id, created_at);
CREATE TABLE IF NOT EXISTS passages (
  seq INTEGER PRIMARY KEY, document_id TEXT NOT NULL, id TEXT NOT NULL, tenant_id TEXT NOT NULL,
  region TEXT NOT NULL, country TEXT NOT NULL, language TEXT NOT NULL, article TEXT, paragraph TEXT,
  ordinal INTEGER NOT NULL, data TEXT NOT NULL, UNIQUE (document_id, id));
CREATE INDEX IF NOT EXISTS passages_by_article ON passages (country, article, paragraph);
CREATE VIRTUAL TABLE IF NOT EXISTS passage_index USING fts5(head, body, tokenize = 'unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS passage_terms USING fts5vocab(passage_index, 'row');
"""
_HEAD_WEIGHT, _BODY_WEIGHT = 2.0, 1.0
# A query stem at least this long that the index does not hold is looked up as a compound of two
# stems it holds ("treppenstuf" → "trepp" + "stuf", "guardrail" → "guard" + "rail"), with the
# linking letters of German compounds ("Treppen|stufen", "Wohnungs|tür") dropped from the head.
_COMPOUND_MIN, _PART_MIN = 8, 3
_LINKS = ("en", "es", "s", "n", "e")


class SqliteRegulationLibrary:
    def __init__(self, path: Path, *, busy_timeout_s: float = 10.0) -> None:
        self._path = path
        self._busy_timeout_s = busy_timeout_s
        self._connections = ThreadConnections(self._connect)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (``sqlite_threads``: closed when the thread ends)."""
        yield self._connections.get()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=self._busy_timeout_s, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def add(self, tenant_id: str, document: RegulationDocument, passages: Sequence[Passage]) -> None:
        country = document.region.split("-", 1)[0]
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        document.id,
                        tenant_id,
                        document.region,
                        country,
                        document.language,
                        document.short,
                        document.title,
                        format_timestamp(document.created_at),
                        document.model_dump_json(),
                    ),
                )
                for passage in passages:
                    cursor = db.execute(
                        "INSERT INTO passages (document_id, id, tenant_id, region, country, language,"
                        " article, paragraph, ordinal, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            document.id,
                            passage.id,
                            tenant_id,
                            document.region,
                            country,
                            passage.language,
                            passage.article,
                            passage.paragraph,
                            passage.ordinal,
                            passage.model_dump_json(),
                        ),
                    )
                    head = " ".join(x for x in (passage.citation, passage.title, passage.part) if x)
                    db.execute(
                        "INSERT INTO passage_index (rowid, head, body) VALUES (?, ?, ?)",
                        (
                            cursor.lastrowid,
                            " ".join(stems(head, passage.language)),
                            " ".join(stems(passage.text, passage.language)),
                        ),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def documents(self, tenant_id: str, *, include_global: bool = True) -> list[RegulationDocument]:
        tenants = (tenant_id, GLOBAL) if include_global else (tenant_id,)
        marks = ", ".join("?" for _ in tenants)
        with self._connection() as db:
            rows = db.execute(
                f"SELECT data FROM documents WHERE tenant_id IN ({marks}) ORDER BY created_at DESC, id",  # noqa: S608
                tenants,
            ).fetchall()
        return [RegulationDocument.model_validate_json(row[0]) for row in rows]

    def document(self, tenant_id: str, document_id: str) -> tuple[RegulationDocument, str] | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT data, tenant_id FROM documents WHERE id = ? AND tenant_id IN (?, ?)",
                (document_id, tenant_id, GLOBAL),
            ).fetchone()
        return (RegulationDocument.model_validate_json(row[0]), row[1]) if row else None

    def passage(self, tenant_id: str, document_id: str, passage_id: str) -> Passage | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT data FROM passages WHERE document_id = ? AND id = ? AND tenant_id IN (?, ?)",
                (document_id, passage_id, tenant_id, GLOBAL),
            ).fetchone()
        return Passage.model_validate_json(row[0]) if row else None

    def passages(self, tenant_id: str, document_id: str) -> list[Passage]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT data FROM passages WHERE document_id = ? AND tenant_id IN (?, ?)"
                " ORDER BY ordinal, seq",
                (document_id, tenant_id, GLOBAL),
            ).fetchall()
        return [Passage.model_validate_json(row[0]) for row in rows]

    def remove(self, tenant_id: str, document_id: str) -> bool:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                found = db.execute(
                    "SELECT 1 FROM documents WHERE id = ? AND tenant_id = ?", (document_id, tenant_id)
                ).fetchone()
                if found:
                    db.execute(
                        "DELETE FROM passage_index"
                        " WHERE rowid IN (SELECT seq FROM passages WHERE document_id = ?)",
                        (document_id,),
                    )
                    db.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
                    db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return found is not None

    def search(self, terms: Sequence[str], where: SearchFilter) -> list[Hit]:
        distinct = list(dict.fromkeys(t for t in terms if t))
        if not distinct:
            return []
        with self._connection() as db:
            distinct = list(
                dict.fromkeys(part for t in distinct for part in self._parts(db, t, where.tenant_id))
            )
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in distinct)
        sql = [
            f"SELECT p.data, d.data, bm25(passage_index, {_HEAD_WEIGHT}, {_BODY_WEIGHT}) AS rank",
            "FROM passage_index JOIN passages p ON p.seq = passage_index.rowid",
            "JOIN documents d ON d.id = p.document_id",
            "WHERE passage_index MATCH ? AND p.tenant_id IN (?, ?)",
        ]
        params: list[object] = [match, where.tenant_id, GLOBAL]
        if where.region:
            country = where.region.split("-", 1)[0]
            if country == where.region:
                sql.append("AND p.country = ?")
                params.append(country)
            else:  # a subdivision: its own documents and its country's national ones
                sql.append("AND (p.region = ? OR p.region = ?)")
                params.extend([where.region, country])
        if where.language:
            sql.append("AND p.language = ?")
            params.append(where.language)
        sql.append("ORDER BY rank LIMIT ?")
        params.append(where.limit)
        with self._connection() as db:
            rows = db.execute(" ".join(sql), params).fetchall()
        return [
            Hit(Passage.model_validate_json(p), RegulationDocument.model_validate_json(d), -float(rank))
            for p, d, rank in rows
        ]

    def _parts(self, db: sqlite3.Connection, term: str, tenant_id: str) -> list[str]:
        """``term``, and where the libraries the tenant sees do not hold it, the two held stems it
        is made of (the split with the longest parts; none when no split has both parts held)."""

        def held(stem: str) -> bool:
            return _held(db, stem, tenant_id)

        if len(term) < _COMPOUND_MIN or held(term):
            return [term]
        best: tuple[str, str] | None = None
        for cut in range(_PART_MIN + 1, len(term) - _PART_MIN + 1):
            head, tail = term[:cut], term[cut:]
            heads = [head] + [head[: -len(link)] for link in _LINKS if head.endswith(link)]
            for candidate in heads:
                if len(candidate) < _PART_MIN + 1 or not held(tail) or not held(candidate):
                    continue
                if best is None or min(len(candidate), len(tail)) > min(len(best[0]), len(best[1])):
                    best = (candidate, tail)
        return [term, *best] if best else [term]

    def article(
        self, tenant_id: str, country: str, names: Sequence[str], article: str, paragraph: str | None
    ) -> tuple[Passage, RegulationDocument] | None:
        wanted = {name.casefold() for name in names if name}
        with self._connection() as db:
            rows = db.execute(
                "SELECT p.data, d.data, d.short, d.title, p.paragraph FROM passages p"
                " JOIN documents d ON d.id = p.document_id"
                " WHERE p.country = ? AND p.article = ? AND p.tenant_id IN (?, ?)"
                " ORDER BY (p.tenant_id = ?) DESC, d.created_at DESC, p.ordinal",
                (country, article, tenant_id, GLOBAL, tenant_id),
            ).fetchall()
        candidates = [r for r in rows if (r[2] or "").casefold() in wanted or r[3].casefold() in wanted]
        best = next((r for r in candidates if paragraph is not None and r[4] == paragraph), None)
        best = best or next((r for r in candidates if r[4] is None), None) or next(iter(candidates), None)
        if best is None:
            return None
        return Passage.model_validate_json(best[0]), RegulationDocument.model_validate_json(best[1])

    def close(self) -> None:
        self._connections.close()


def _held(db: sqlite3.Connection, term: str, tenant_id: str) -> bool:
    """Whether a passage the tenant sees (its own, the global library) holds ``term``. The word
    list of the whole index answers "no" cheaply; a "yes" is checked within the tenant's
    libraries, so that how a query is split never depends on another tenant's words."""
    if db.execute("SELECT 1 FROM passage_terms WHERE term = ?", (term,)).fetchone() is None:
        return False
    found = db.execute(
        "SELECT 1 FROM passage_index JOIN passages p ON p.seq = passage_index.rowid"
        " WHERE passage_index MATCH ? AND p.tenant_id IN (?, ?) LIMIT 1",
        ('"' + term.replace('"', '""') + '"', tenant_id, GLOBAL),
    ).fetchone()
    return found is not None
