"""The interfaces services depend on. Each has an embedded and a Google Cloud adapter.

The semantics are Firestore's, Cloud Storage's and Pub/Sub's, so the cloud adapters can
be dropped in without touching a service:

- Documents live at slash-separated paths that alternate collection and id
  (``tenants/t1/projects/p1``). Values are JSON-compatible; timestamps are stored as
  fixed-width ISO-8601 UTC strings so that they order correctly.
- A transaction reads first and writes after; its function may run more than once
  (on contention), so it must have no side effects besides the transaction's writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from archbuilder.domain.brief import Brief
    from archbuilder.domain.layout import PlanResult

T = TypeVar("T")

FilterOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "array_contains"]
Direction = Literal["asc", "desc"]


@dataclass(frozen=True)
class Snapshot:
    """A document as read: its id, full path and data."""

    id: str
    path: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Filter:
    field: str
    op: FilterOp
    value: Any


@dataclass(frozen=True)
class Query:
    """A query on one collection. ``start_after`` holds the order-by values, then the id."""

    collection: str
    where: Sequence[Filter] = ()
    order_by: Sequence[tuple[str, Direction]] = ()
    limit: int | None = None
    start_after: Sequence[Any] | None = None


class Transaction(Protocol):
    def get(self, path: str) -> Snapshot | None: ...
    def create(self, path: str, data: Mapping[str, Any]) -> None: ...
    def set(self, path: str, data: Mapping[str, Any]) -> None: ...
    def update(self, path: str, fields: Mapping[str, Any]) -> None: ...
    def delete(self, path: str) -> None: ...


class DocumentStore(Protocol):
    def get(self, path: str) -> Snapshot | None: ...

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        """Write a new document; raise ``AlreadyExists`` if one is there."""

    def set(self, path: str, data: Mapping[str, Any]) -> None: ...

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        """Change top-level or dotted fields of an existing document; ``NotFound`` if absent."""

    def delete(self, path: str, *, recursive: bool = False) -> None:
        """Delete a document (and with ``recursive`` every document below it)."""

    def query(self, query: Query) -> list[Snapshot]: ...

    def transaction(self, fn: Callable[[Transaction], T], *, max_attempts: int = 5) -> T:
        """Run ``fn`` in a transaction, retrying it on contention; ``Contention`` when out of tries."""


@dataclass(frozen=True)
class SignedUrl:
    url: str  # absolute, or a path on this server (the local adapter) that the edge makes absolute
    headers: dict[str, str]
    expires_at: datetime


class BlobStore(Protocol):
    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_generation_match: int | None = None,
    ) -> int:
        """Store an object and return its generation. ``if_generation_match=0``: only if absent."""

    def get(self, name: str) -> bytes | None: ...

    def signed_upload_url(
        self, name: str, *, content_type: str, size_bytes: int, sha256: str, expires_in_s: int
    ) -> SignedUrl:
        """A URL the client PUTs the object to, valid for ``expires_in_s``, with the headers to send."""

    def signed_download_url(self, name: str, *, expires_in_s: int) -> SignedUrl:
        """A URL that reads the object without credentials until it expires."""

    def list(self, prefix: str) -> list[str]: ...

    def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class PublishedMessage:
    topic: str
    message_id: str
    data: bytes
    attributes: dict[str, str] = field(default_factory=dict)


class EventBus(Protocol):
    def publish(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Publish a JSON message; return its message id."""


class Secrets(Protocol):
    def get(self, name: str) -> str:
        """The secret's current value; ``SecretMissing`` when there is none."""


class LayoutPlanner(Protocol):
    """Turns a resolved brief into a layout payload (see ``domain.layout.PlanResult``)."""

    name: str

    def plan(self, brief: Brief) -> PlanResult:
        """The best layout for the brief."""

    def plan_variants(self, brief: Brief) -> list[PlanResult]:
        """Up to ``brief.options.variants`` layouts, best first."""


@dataclass(frozen=True)
class SignedInUser:
    """A person whose ID token verified, whether or not they belong to a tenant yet."""

    uid: str
    email: str | None = None
    email_verified: bool = False
    tenant_id: str | None = None  # the ``tenant_id`` custom claim, when the token carries one


class Claims(Protocol):
    """People's sign-in: Firebase Authentication in the cloud, a signed local token embedded.

    ``tenant_id`` and ``role`` travel as custom claims; they reach a person's *next* ID token,
    so whoever changes them tells the client to refresh its token.
    """

    def verify_signed_in(self, id_token: str) -> SignedInUser:
        """Verify an ID token without asking for membership claims; ``Unauthenticated`` if invalid."""

    def set_membership(self, uid: str, *, tenant_id: str, role: str) -> None:
        """Set the person's ``tenant_id`` and ``role`` claims."""

    def clear_membership(self, uid: str) -> None:
        """Remove the person's tenant claims (they were removed from the tenant)."""

    def tenant_of(self, uid: str) -> str | None:
        """The tenant the person's stored claims name now (not the copy in an older ID token);
        ``None`` when they name none or the person is unknown."""
