"""DocumentStore on Firestore (native mode, one named database per data region).

Values keep the port's JSON model. Two things Firestore cannot hold as they are, it gets
encoded: arrays directly inside arrays (wrapped in ``{"@list": [...]}``) and nothing else.
Every write also stamps ``_updated_at`` with the server time, and a TTL field
(``expires_at`` by default, an ISO string in the port) is mirrored into ``_expire_at`` as a
Firestore timestamp so that a TTL policy can delete the document; both are hidden on read.

Firestore out of reach (``UNAVAILABLE``: connection refused or reset; ``DEADLINE_EXCEEDED``:
no answer) is ``StoreUnavailable``, the 503 with ``Retry-After`` the embedded store answers
when it stays locked. Every call is bounded: the SDK's own retries run for up to a minute
(five for queries) per call, so each RPC gets a retry of at most ``rpc_deadline_s`` instead
(``ARCHBUILDER_FIRESTORE_RPC_DEADLINE_S``, 10 s by default).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.api_core import gapic_v1
from google.api_core.retry import Retry, if_exception_type
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from archbuilder.adapters.gcp.indexes import IndexCatalog
from archbuilder.platform.errors import (
    AlreadyExists,
    BadRequest,
    Contention,
    InternalError,
    NotFound,
    StoreUnavailable,
)
from archbuilder.ports import Query, Snapshot

T = TypeVar("T")

UPDATED_AT = "_updated_at"
EXPIRE_AT = "_expire_at"
_HIDDEN = (UPDATED_AT, EXPIRE_AT)
_LIST = "@list"

_OPS = {
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "in": "in",
    "array_contains": "array_contains",
}
_INEQUALITY = ("!=", "<", "<=", ">", ">=")

DEFAULT_RPC_DEADLINE_S = 10.0
# What Firestore out of reach looks like: refused or reset connections (UNAVAILABLE), no
# answer in time (DEADLINE_EXCEEDED), and the retry giving up on either (RetryError).
_UNREACHABLE = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.RetryError)
# The SDK's retry predicates, per RPC: writes are not retried on a deadline (they may have
# been applied), reads and transaction bookkeeping are.
_WRITE_RPCS = frozenset({"commit", "batch_write", "update_document", "create_document"})
_RETRIED_ON_WRITE = (gexc.ServiceUnavailable, gexc.ResourceExhausted)
_RETRIED_ON_READ = (
    gexc.ServiceUnavailable,
    gexc.ResourceExhausted,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
)
# A rollback only frees the locks early (Firestore expires an abandoned transaction anyway):
# never wait long for it.
_ROLLBACK_DEADLINE_S = 1.0


def split_path(path: str) -> tuple[str, str]:
    """``a/b/c/d`` → (``a/b/c``, ``d``); the same validation as the embedded store."""
    parts = path.split("/")
    if len(parts) < 2 or len(parts) % 2 or any(not p for p in parts):
        raise BadRequest(code="INVALID_PATH", path=path)
    return "/".join(parts[:-1]), parts[-1]


def _encode(value: Any, *, in_list: bool = False) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, in_list=True) for v in value]
        # Firestore refuses an array directly inside an array.
        return {_LIST: items} if in_list else items
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_LIST}:
            return [_decode(v) for v in value[_LIST]]
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _visible(data: Mapping[str, Any] | None) -> dict[str, Any]:
    decoded: dict[str, Any] = _decode(dict(data or {}))
    for key in _HIDDEN:
        decoded.pop(key, None)
    return decoded


def _unreachable(exc: BaseException) -> bool:
    """Whether ``exc``, or what it was raised from or during, is Firestore out of reach."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, _UNREACHABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def _reachable() -> Iterator[None]:
    """Firestore out of reach → ``StoreUnavailable`` (503, ``Retry-After``)."""
    try:
        yield
    except _UNREACHABLE as exc:
        raise StoreUnavailable(reason="unreachable") from exc


class _BoundedRpcs:
    """The SDK's GAPIC client with a bounded retry on every RPC that the caller did not give
    one: at most ``deadline_s`` in all, each attempt within what is left of it.

    The SDK takes ``retry``/``timeout`` on document and query calls, but not on the
    transaction's BeginTransaction, Commit and Rollback (googleapis/python-firestore#221), which
    keep the generated defaults (retried for 60 s); so the bound is set here, where every
    call passes, with the SDK's predicates (``_RETRIED_ON_READ`` / ``_RETRIED_ON_WRITE``).
    """

    def __init__(self, api: Any, deadline_s: float) -> None:
        self._api = api
        self._deadline_s = deadline_s

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._api, name)
        if name.startswith("_") or not callable(attr):
            return attr
        deadline = min(self._deadline_s, _ROLLBACK_DEADLINE_S) if name == "rollback" else self._deadline_s
        retried = _RETRIED_ON_WRITE if name in _WRITE_RPCS else _RETRIED_ON_READ
        retry = Retry(
            predicate=if_exception_type(*retried),
            initial=0.1,
            maximum=1.0,
            multiplier=1.3,
            timeout=deadline,
        )

        def bounded(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("retry", gapic_v1.method.DEFAULT) is gapic_v1.method.DEFAULT:
                kwargs["retry"] = retry
            if kwargs.get("timeout", gapic_v1.method.DEFAULT) in (gapic_v1.method.DEFAULT, None):
                kwargs["timeout"] = deadline
            return attr(*args, **kwargs)

        return bounded


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class FirestoreDocumentStore:
    """The port on a ``google.cloud.firestore.Client`` bound to one named database.

    ``indexes``: when given, a query that needs a composite index the catalogue does not
    declare fails here, as it would in the cloud (the emulator serves every query).
    ``rpc_deadline_s``: how long one RPC (with its retries) may take before the operation
    answers ``StoreUnavailable``; it bounds every call made through ``client`` from now on.
    """

    def __init__(
        self,
        client: firestore.Client,
        *,
        indexes: IndexCatalog | None = None,
        ttl_field: str | None = "expires_at",
        rpc_deadline_s: float = DEFAULT_RPC_DEADLINE_S,
    ) -> None:
        api = client._firestore_api  # the GAPIC client every call of the SDK goes through
        if not isinstance(api, _BoundedRpcs):
            client._firestore_api_internal = _BoundedRpcs(api, rpc_deadline_s)
        self._client = client
        self._indexes = indexes
        self._ttl_field = ttl_field

    @classmethod
    def connect(
        cls, project: str, database: str, *, indexes: IndexCatalog | None = None
    ) -> FirestoreDocumentStore:
        """A store on ``database`` of ``project`` (the emulator when FIRESTORE_EMULATOR_HOST is set)."""
        return cls(firestore.Client(project=project, database=database), indexes=indexes)

    @property
    def client(self) -> firestore.Client:
        return self._client

    def ref(self, path: str) -> firestore.DocumentReference:
        split_path(path)
        return self._client.document(path)

    # -- writes as Firestore stores them -----------------------------------

    def stored(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The document as written: encoded, stamped, with its TTL mirror."""
        out: dict[str, Any] = _encode(dict(data))
        out[UPDATED_AT] = firestore.SERVER_TIMESTAMP
        if self._ttl_field is not None:
            expires = _parse_iso(data.get(self._ttl_field))
            if expires is not None:
                out[EXPIRE_AT] = expires
        return out

    def stored_update(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {key: _encode(value) for key, value in fields.items()}
        out[UPDATED_AT] = firestore.SERVER_TIMESTAMP
        if self._ttl_field is not None and self._ttl_field in fields:
            expires = _parse_iso(fields[self._ttl_field])
            out[EXPIRE_AT] = expires if expires is not None else firestore.DELETE_FIELD
        return out

    # -- single operations ------------------------------------------------

    def get(self, path: str) -> Snapshot | None:
        with _reachable():
            snap = self.ref(path).get()
        if not snap.exists:
            return None
        return Snapshot(id=snap.id, path=path, data=_visible(snap.to_dict()))

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        try:
            with _reachable():
                self.ref(path).create(self.stored(data))
        except gexc.AlreadyExists as exc:
            raise AlreadyExists(path=path) from exc

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        with _reachable():
            self.ref(path).set(self.stored(data))

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        try:
            with _reachable():
                self.ref(path).update(self.stored_update(fields))
        except gexc.NotFound as exc:
            raise NotFound(resource="document", id=split_path(path)[1]) from exc

    def delete(self, path: str, *, recursive: bool = False) -> None:
        ref = self.ref(path)
        with _reachable():
            if recursive:
                # Deletes the subcollections in batches (BulkWriter), then the document.
                self._client.recursive_delete(ref)
            ref.delete()

    # -- queries ----------------------------------------------------------

    def query(self, query: Query) -> list[Snapshot]:
        if self._indexes is not None:
            missing = self._indexes.check(query)
            if missing is not None:
                raise InternalError(code="FIRESTORE_INDEX_MISSING", index=missing.suggestion().to_json())
        if any(f.op == "in" and not f.value for f in query.where):
            return []  # Firestore refuses an empty ``in``; nothing can match it
        fs_query: Any = self._client.collection(query.collection)
        for flt in query.where:
            if flt.op not in _OPS:
                raise BadRequest(code="INVALID_FILTER", op=flt.op)
            value = list(flt.value) if flt.op == "in" else _encode(flt.value)
            fs_query = fs_query.where(filter=FieldFilter(flt.field, _OPS[flt.op], value))
        order = list(query.order_by)
        if order or query.start_after is not None:
            last = order[-1][1] if order else "asc"
            for field, direction in [*order, (FieldPath.document_id(), last)]:
                fs_query = fs_query.order_by(field, direction=_direction(direction))
        if query.start_after is not None:
            if len(query.start_after) != len(order) + 1:
                raise BadRequest(code="INVALID_PAGE_TOKEN")
            *values, last_id = query.start_after
            cursor = [_encode(v) for v in values]
            cursor.append(self._client.collection(query.collection).document(str(last_id)))
            fs_query = fs_query.start_after(cursor)
        if query.limit is not None:
            fs_query = fs_query.limit(int(query.limit))
        with _reachable():
            rows = [
                Snapshot(id=snap.id, path=f"{query.collection}/{snap.id}", data=_visible(snap.to_dict()))
                for snap in fs_query.stream()
            ]
        if not order and query.limit is None and any(f.op in _INEQUALITY for f in query.where):
            # Firestore orders by the inequality field; the port promises id order.
            rows.sort(key=lambda s: s.id)
        return rows

    # -- transactions -----------------------------------------------------

    def transaction(self, fn: Callable[[FirestoreTransaction], T], *, max_attempts: int = 5) -> T:
        """``fn`` in a Firestore transaction; the SDK re-runs it when the commit is aborted.

        Firestore out of reach at any step (begin, a read, the commit) is ``StoreUnavailable``
        and nothing was written; the SDK's rollback of it is bounded to a second.
        """

        def body(txn: firestore.Transaction) -> T:
            return fn(FirestoreTransaction(self, txn))

        for attempt in range(max_attempts):
            try:
                result: T = firestore.transactional(body)(self._client.transaction(max_attempts=max_attempts))
                return result
            except ValueError as exc:
                if isinstance(exc.__cause__, gexc.Aborted):
                    raise Contention() from exc
                if _unreachable(exc):
                    # BeginTransaction failed, then the SDK's rollback of a transaction that
                    # never began raised ValueError during it.
                    raise StoreUnavailable(reason="unreachable") from exc
                raise
            except _UNREACHABLE as exc:
                raise StoreUnavailable(reason="unreachable") from exc
            except gexc.Aborted:
                # A read inside ``fn`` lost a lock; the SDK only retries failed commits.
                time.sleep(min(0.5, 0.01 * 2**attempt) * (0.5 + random.random()))  # noqa: S311 - backoff jitter, not a secret
            except gexc.AlreadyExists as exc:
                raise AlreadyExists(reason="a document created in the transaction exists") from exc
            except gexc.NotFound as exc:
                raise NotFound(resource="document", reason="updated in the transaction") from exc
        raise Contention()


def _direction(direction: str) -> str:
    return firestore.Query.DESCENDING if direction == "desc" else firestore.Query.ASCENDING


class FirestoreTransaction:
    """Reads lock the documents they read; writes are sent with the commit."""

    def __init__(self, store: FirestoreDocumentStore, txn: firestore.Transaction) -> None:
        self._store = store
        self._txn = txn
        self._wrote = False

    def get(self, path: str) -> Snapshot | None:
        if self._wrote:
            raise BadRequest(code="READ_AFTER_WRITE")
        snap = self._store.ref(path).get(transaction=self._txn)
        if not snap.exists:
            return None
        return Snapshot(id=snap.id, path=path, data=_visible(snap.to_dict()))

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        self._wrote = True
        self._txn.create(self._store.ref(path), self._store.stored(data))

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        self._wrote = True
        self._txn.set(self._store.ref(path), self._store.stored(data))

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        self._wrote = True
        self._txn.update(self._store.ref(path), self._store.stored_update(fields))

    def delete(self, path: str) -> None:
        self._wrote = True
        self._txn.delete(self._store.ref(path))


def batch_set(store: FirestoreDocumentStore, documents: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Write many documents in batches of 500 (Firestore's limit per commit); each batch is atomic."""
    client = store.client
    for start in range(0, len(documents), 500):
        batch = client.batch()
        for path, data in documents[start : start + 500]:
            batch.set(store.ref(path), store.stored(data))
        batch.commit()
