"""DocumentStore on a SQLite file: the embedded default for Firestore.

Each document is a row (collection path, id, JSON data, version). Transactions are
optimistic like Firestore's: reads record the version they saw, writes are buffered,
and the commit (under SQLite's write lock) fails with contention when a read document
changed meanwhile; ``transaction`` then runs the function again.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from archbuilder.adapters.local.sqlite_threads import ThreadConnections
from archbuilder.platform.errors import AlreadyExists, BadRequest, Contention, NotFound, StoreUnavailable
from archbuilder.ports import Filter, Query, Snapshot

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
"""

_SQL_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def split_path(path: str) -> tuple[str, str]:
    """``a/b/c/d`` → (``a/b/c``, ``d``). A document path has an even number of segments."""
    parts = path.split("/")
    if len(parts) < 2 or len(parts) % 2 or any(not p for p in parts):
        raise BadRequest(code="INVALID_PATH", path=path)
    return "/".join(parts[:-1]), parts[-1]


def _json_path(field: str) -> str:
    if not all(part.replace("_", "").isalnum() for part in field.split(".")):
        raise BadRequest(code="INVALID_FIELD", field=field)
    return "$." + field


def _sql_value(value: Any) -> Any:
    # json_extract returns 1/0 for JSON booleans and text for strings.
    if isinstance(value, bool):
        return int(value)
    return value


def _apply_update(data: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Apply Firestore-style field paths (``a.b``) to a copy of ``data``."""
    result: dict[str, Any] = json.loads(json.dumps(data))
    for key, value in fields.items():
        parts = key.split(".")
        target = result
        for part in parts[:-1]:
            nxt = target.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                target[part] = nxt
            target = nxt
        target[parts[-1]] = value
    return result


class SqliteDocumentStore:
    """A thread-safe document store in one SQLite file (one connection per thread)."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self._path = str(path)
        self._busy_timeout_s = busy_timeout_s
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self._connect)
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    # -- connection -------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (``sqlite_threads``: closed when the thread ends)."""
        return self._connections.get()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=self._busy_timeout_s, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={round(self._busy_timeout_s * 1000)}")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _read(self, path: str) -> tuple[dict[str, Any], int] | None:
        collection, doc_id = split_path(path)
        row = (
            self._connection()
            .execute("SELECT data, version FROM documents WHERE collection=? AND id=?", (collection, doc_id))
            .fetchone()
        )
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        return data, int(row[1])

    # -- single operations ------------------------------------------------

    def get(self, path: str) -> Snapshot | None:
        found = self._read(path)
        if found is None:
            return None
        return Snapshot(id=split_path(path)[1], path=path, data=found[0])

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        self.transaction(lambda txn: txn.create(path, data))

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        self.transaction(lambda txn: txn.set(path, data))

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        self.transaction(lambda txn: txn.update(path, fields))

    def delete(self, path: str, *, recursive: bool = False) -> None:
        collection, doc_id = split_path(path)
        conn = self._connection()
        _begin(conn)
        try:
            conn.execute("DELETE FROM documents WHERE collection=? AND id=?", (collection, doc_id))
            if recursive:
                prefix = path + "/"
                conn.execute(
                    "DELETE FROM documents WHERE substr(collection, 1, ?) = ?", (len(prefix), prefix)
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def query(self, query: Query) -> list[Snapshot]:
        sql, params = self._compile(query)
        rows = self._connection().execute(sql, params).fetchall()
        return [
            Snapshot(id=row[0], path=f"{query.collection}/{row[0]}", data=json.loads(row[1])) for row in rows
        ]

    def _compile(self, query: Query) -> tuple[str, list[Any]]:
        clauses = ["collection = ?"]
        params: list[Any] = [query.collection]
        for flt in query.where:
            clause, values = self._compile_filter(flt)
            clauses.append(clause)
            params.extend(values)
        order = [(f"json_extract(data, '{_json_path(f)}')", d) for f, d in query.order_by]
        last_direction = order[-1][1] if order else "asc"
        order.append(("id", last_direction))
        if query.start_after is not None:
            if len(query.start_after) != len(order):
                raise BadRequest(code="INVALID_PAGE_TOKEN")
            clause, values = _after_clause(order, list(query.start_after))
            clauses.append(clause)
            params.extend(values)
        sql = "SELECT id, data FROM documents WHERE " + " AND ".join(clauses)  # noqa: S608 - only checked field paths (_json_path) in the SQL, values bound
        sql += " ORDER BY " + ", ".join(f"{expr} {d.upper()}" for expr, d in order)
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(int(query.limit))
        return sql, params

    @staticmethod
    def _compile_filter(flt: Filter) -> tuple[str, list[Any]]:
        expr = f"json_extract(data, '{_json_path(flt.field)}')"
        if flt.op in _SQL_OPS:
            if flt.value is None and flt.op in ("==", "!="):
                return f"{expr} IS {'NOT ' if flt.op == '!=' else ''}NULL", []
            return f"{expr} {_SQL_OPS[flt.op]} ?", [_sql_value(flt.value)]
        if flt.op == "in":
            values = [_sql_value(v) for v in flt.value]
            if not values:
                return "0", []
            return f"{expr} IN ({', '.join('?' for _ in values)})", values
        if flt.op == "array_contains":
            return (
                f"EXISTS (SELECT 1 FROM json_each(data, '{_json_path(flt.field)}') WHERE value = ?)",  # noqa: S608 - checked field path, value bound
                [_sql_value(flt.value)],
            )
        raise BadRequest(code="INVALID_FILTER", op=flt.op)

    # -- transactions -----------------------------------------------------

    def transaction(self, fn: Callable[[SqliteTransaction], T], *, max_attempts: int = 5) -> T:
        for attempt in range(max_attempts):
            txn = SqliteTransaction(self)
            result = fn(txn)
            try:
                self._commit(txn)
                return result
            except Contention:
                # Jittered backoff so that racing writers do not collide again.
                time.sleep(min(0.5, 0.005 * 2**attempt) * (0.5 + random.random()))  # noqa: S311 - backoff jitter, not a secret
        raise Contention()

    def _commit(self, txn: SqliteTransaction) -> None:
        conn = self._connection()
        _begin(conn)
        try:
            for path, seen_version in txn.reads.items():
                current = self._read(path)
                if (current[1] if current else 0) != seen_version:
                    raise Contention()
            for op, path, data in txn.writes:
                self._apply(conn, op, path, data)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _apply(self, conn: sqlite3.Connection, op: str, path: str, data: Mapping[str, Any]) -> None:
        collection, doc_id = split_path(path)
        current = self._read(path)
        if op == "delete":
            conn.execute("DELETE FROM documents WHERE collection=? AND id=?", (collection, doc_id))
            return
        if op == "create" and current is not None:
            raise AlreadyExists(path=path)
        if op == "update":
            if current is None:
                raise NotFound(resource="document", id=doc_id)
            data = _apply_update(current[0], data)
        version = (current[1] if current else 0) + 1
        conn.execute(
            "INSERT OR REPLACE INTO documents (collection, id, data, version) VALUES (?, ?, ?, ?)",
            (collection, doc_id, json.dumps(dict(data), separators=(",", ":")), version),
        )


def _begin(conn: sqlite3.Connection) -> None:
    """Take the write lock; another writer holding it past the busy timeout is an outage."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreUnavailable(reason="locked") from exc
        raise


def _after_clause(order: Sequence[tuple[str, str]], values: list[Any]) -> tuple[str, list[Any]]:
    """Keyset pagination: rows strictly after ``values`` in the given order."""
    ors: list[str] = []
    params: list[Any] = []
    for i, (expr, direction) in enumerate(order):
        parts = [f"{order[j][0]} = ?" for j in range(i)]
        params.extend(_sql_value(v) for v in values[:i])
        parts.append(f"{expr} {'>' if direction == 'asc' else '<'} ?")
        params.append(_sql_value(values[i]))
        ors.append("(" + " AND ".join(parts) + ")")
    return "(" + " OR ".join(ors) + ")", params


class SqliteTransaction:
    """Reads go straight to the database and are remembered; writes wait for the commit."""

    def __init__(self, store: SqliteDocumentStore) -> None:
        self._store = store
        self.reads: dict[str, int] = {}
        self.writes: list[tuple[str, str, Mapping[str, Any]]] = []

    def get(self, path: str) -> Snapshot | None:
        if self.writes:
            raise BadRequest(code="READ_AFTER_WRITE")
        found = self._store._read(path)
        # The first read's version is the one the transaction decided on: a second read of a
        # document another writer changed meanwhile must not hide that change from the commit.
        self.reads.setdefault(path, found[1] if found else 0)
        if found is None:
            return None
        return Snapshot(id=split_path(path)[1], path=path, data=found[0])

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        split_path(path)
        self.writes.append(("create", path, dict(data)))

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        split_path(path)
        self.writes.append(("set", path, dict(data)))

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        split_path(path)
        self.writes.append(("update", path, dict(fields)))

    def delete(self, path: str) -> None:
        split_path(path)
        self.writes.append(("delete", path, {}))
