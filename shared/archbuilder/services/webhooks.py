"""Outbound webhooks: tenants hear about jobs, reviews and models as they happen.

Each delivery is a document (``tenants/{t}/webhook_deliveries/{d}``) before it is sent, so
nothing is lost: the ``webhook_dispatcher`` function sends it (signed with HMAC-SHA256
over ``"{timestamp}.{body}"``), a failure schedules the next attempt on a backoff that
spans more than 24 hours (the ``maintenance`` function sends what is due), and after the
last attempt the delivery is dead-lettered, visible and replayable by the tenant.
Targets that resolve to any address that is not public (private, loopback, link-local,
shared/CGNAT, reserved, multicast; an IPv4 address inside IPv6 — mapped, translated, NAT64,
6to4, Teredo — is judged as IPv4, and IPv4-compatible ``::a.b.c.d`` and local-use NAT64 are
refused whole) are refused (SSRF) unless the
settings allow them. A send connects to the very address that was checked (so a DNS answer
that changes in between cannot move it) and follows no redirect: a 3xx is a failed attempt.
A send tries at most ``MAX_ADDRESSES`` addresses of the answer, all within one deadline of
``SEND_TIMEOUT_S``; whatever goes wrong in it is a failed attempt, recorded and retried.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import SplitResult, quote, urlsplit

from pydantic import BaseModel, Field, field_validator

from archbuilder.domain.common import StrictModel, invalid
from archbuilder.domain.ids import checked_id, new_id
from archbuilder.domain.permissions import require
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.platform.errors import BadRequest, NotFound, Reason
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import Filter, Query, Transaction
from archbuilder.repositories import TenantPaths, dump
from archbuilder.runtime import Runtime
from archbuilder.services.identity import Principal

EventType = Literal[
    "job.succeeded", "job.failed", "layout.requires_review", "layout.approved", "model.ready", "model.failed"
]
WEBHOOK_DELIVERIES_TOPIC = "webhook-deliveries"
# Delays before attempts 2, 3, …: 1 min up to 12 h, about 26 h in all, then dead-lettered.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=6),
    timedelta(hours=12),
)
SEND_TIMEOUT_S = 10  # one deadline per send: the connects, then the request and the response's head
MAX_ADDRESSES = 3  # of one DNS answer, tried in its order
# Kept as they are when the URL's path and query are percent-encoded for the request line.
_URL_SAFE = "/?=&%:@!$'()*+,;~-._"
_log = get_logger("archbuilder.webhooks")
# Why a webhook target is refused (the words of each language: messages/reasons.yaml).
_DOES_NOT_RESOLVE = Reason("host_does_not_resolve", "the host does not resolve")
_NOT_PUBLIC = Reason("host_not_public", "the host is not a public address")


class WebhookCreate(StrictModel):
    url: str = Field(min_length=8, max_length=2000)
    events: list[EventType] = Field(min_length=1, max_length=10)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
            raise invalid("url_without_credentials")
        if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise invalid("url_characters")
        try:
            _ = parts.port  # ValueError when not a number or out of range
            _ascii_host(parts.hostname)
        except ValueError as exc:  # UnicodeError too
            raise invalid("url_host") from exc
        return value


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    secret: str  # kept to sign deliveries; shown once at creation
    created_at: Timestamp


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: Timestamp


class WebhookCreated(WebhookPublic):
    secret: str


class Delivery(BaseModel):
    id: str
    webhook_id: str
    event_type: str
    event_id: str
    payload: dict[str, Any]
    status: Literal["pending", "delivered", "retrying", "dead"] = "pending"
    attempts: int = 0
    next_attempt_at: Timestamp | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: Timestamp
    delivered_at: Timestamp | None = None


class DeliveryList(BaseModel):
    items: list[Delivery]


class DeliveryRequest(BaseModel):
    """The message on ``webhook-deliveries``."""

    tenant_id: str
    delivery_id: str


def _deliveries(paths: TenantPaths) -> str:
    return f"{paths.root}/webhook_deliveries"


# IPv6 ranges that carry an IPv4 address in their last 32 bits (IPv4-mapped aside, which is
# judged by its IPv4 address alone): a NAT64 or SIIT translator connects to that address.
_IPV4_IN_LOW_BITS = (
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64, well-known prefix
)
# Not globally routable, whatever the Python version's ``is_global`` says about them.
_NOT_GLOBAL_V6 = (
    # IPv4-compatible ``::a.b.c.d``: deprecated (RFC 4291 2.5.5.1) and routed nowhere, yet some
    # stacks and tunnels hand it to the IPv4 address inside. Refused whole, whatever it carries.
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),  # NAT64 for local use (RFC 8215)
)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries besides a mapped one: translated, NAT64,
    6to4, and a Teredo address's server and client."""
    found: list[ipaddress.IPv4Address] = []
    if any(address in network for network in _IPV4_IN_LOW_BITS):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _global_unicast(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address. An IPv4 address carried in IPv6 (mapped,
    translated, NAT64, 6to4, Teredo) must be public as well, and an IPv4-mapped address is
    judged by its IPv4 address alone (that is where a connection to it goes)."""
    if isinstance(address, ipaddress.IPv4Address):
        return _global_unicast(address)
    if address.ipv4_mapped is not None:
        return _global_unicast(address.ipv4_mapped)
    if any(address in network for network in _NOT_GLOBAL_V6):
        return False
    return _global_unicast(address) and all(_global_unicast(inner) for inner in embedded_ipv4(address))


def check_target(url: str, *, allow_private: bool) -> list[str]:
    """The addresses ``url``'s host resolves to; ``BadRequest`` when any of them is not public.

    The refusal does not say which address the name resolved to (that would map the
    internal network for whoever registers a URL).
    """
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise BadRequest(code="WEBHOOK_TARGET_REFUSED", **_DOES_NOT_RESOLVE.as_params()) from exc
    addresses: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not allow_private and not is_public_address(address):
            raise BadRequest(code="WEBHOOK_TARGET_REFUSED", **_NOT_PUBLIC.as_params())
        if str(info[4][0]) not in addresses:
            addresses.append(str(info[4][0]))
    if not addresses:
        raise BadRequest(code="WEBHOOK_TARGET_REFUSED", **_DOES_NOT_RESOLVE.as_params())
    return addresses


def create_webhook(runtime: Runtime, principal: Principal, request: WebhookCreate) -> WebhookCreated:
    require(principal, "webhooks:manage")
    check_target(request.url, allow_private=runtime.settings.webhooks_allow_private)
    hook = Webhook(
        id=new_id("whk"),
        url=request.url,
        events=list(request.events),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_at=now(),
    )
    runtime.store.create(f"{TenantPaths(principal.tenant_id).root}/webhooks/{hook.id}", dump(hook))
    return WebhookCreated(
        id=hook.id, url=hook.url, events=hook.events, created_at=hook.created_at, secret=hook.secret
    )


def list_webhooks(runtime: Runtime, principal: Principal) -> list[WebhookPublic]:
    require(principal, "webhooks:manage")
    rows = runtime.store.query(Query(f"{TenantPaths(principal.tenant_id).root}/webhooks"))
    return [WebhookPublic.model_validate(r.data) for r in rows]


def delete_webhook(runtime: Runtime, principal: Principal, webhook_id: str) -> None:
    require(principal, "webhooks:manage")
    path = f"{TenantPaths(principal.tenant_id).root}/webhooks/{checked_id(webhook_id, 'webhook')}"
    if runtime.store.get(path) is None:
        raise NotFound(resource="webhook", id=webhook_id)
    runtime.store.delete(path)


def emit(runtime: Runtime, tenant_id: str, event_type: EventType, data: dict[str, Any]) -> int:
    """Queue one delivery per webhook of the tenant that listens to ``event_type``; returns how many."""
    paths = TenantPaths(tenant_id)
    hooks = runtime.store.query(
        Query(f"{paths.root}/webhooks", where=[Filter("events", "array_contains", event_type)])
    )
    event_id = new_id("evt")
    moment = now()
    for row in hooks:
        delivery = Delivery(
            id=new_id("dlv"),
            webhook_id=row.id,
            event_type=event_type,
            event_id=event_id,
            payload={
                "id": event_id,
                "type": event_type,
                "created_at": format_timestamp(moment),
                "data": data,
            },
            created_at=moment,
        )
        runtime.store.create(f"{_deliveries(paths)}/{delivery.id}", dump(delivery))
        runtime.bus.publish(
            WEBHOOK_DELIVERIES_TOPIC,
            DeliveryRequest(tenant_id=tenant_id, delivery_id=delivery.id).model_dump(),
            attributes={"tenant_id": tenant_id},
        )
    return len(hooks)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``: what receivers verify."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def attempt(runtime: Runtime, tenant_id: str, delivery_id: str) -> str:
    """Send a delivery once; record the outcome and when to try again. Returns the new status."""
    paths = TenantPaths(tenant_id)
    path = f"{_deliveries(paths)}/{checked_id(delivery_id, 'delivery')}"
    snapshot = runtime.store.get(path)
    if snapshot is None:
        return "missing"
    delivery = Delivery.model_validate(snapshot.data)
    if delivery.status in ("delivered", "dead"):
        return delivery.status
    hook_doc = runtime.store.get(f"{paths.root}/webhooks/{delivery.webhook_id}")
    if hook_doc is None:
        runtime.store.update(path, {"status": "dead", "last_error": "webhook deleted"})
        return "dead"
    hook = Webhook.model_validate(hook_doc.data)
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        status_code, error = _post(runtime, hook, delivery, body)
    except Exception as exc:  # any failure of a send is a failed attempt, never an escape
        # Only the type: the text may quote the URL, and with it a token the tenant put there.
        status_code, error = None, f"send failed: {type(exc).__name__}"
        _log.warning(
            "webhook send failed", extra=log_fields(delivery_id=delivery.id, error=type(exc).__name__)
        )
    moment = now()
    attempts = delivery.attempts + 1
    if status_code is not None and 200 <= status_code < 300:
        fields: dict[str, Any] = {
            "status": "delivered",
            "delivered_at": format_timestamp(moment),
            "next_attempt_at": None,
        }
    elif attempts > len(BACKOFF):
        fields = {"status": "dead", "next_attempt_at": None}
    else:
        fields = {"status": "retrying", "next_attempt_at": format_timestamp(moment + BACKOFF[attempts - 1])}
    fields.update({"attempts": attempts, "last_status_code": status_code, "last_error": error})
    runtime.store.update(path, fields)
    _log.info(
        "webhook attempt",
        extra=log_fields(
            delivery_id=delivery.id, status=fields["status"], http_status=status_code, attempts=attempts
        ),
    )
    return str(fields["status"])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked ``address`` for a URL that names ``host``: the Host header keeps
    the name, the socket goes to the address (a second DNS answer is never asked for)."""

    def __init__(self, host: str, port: int, address: str, *, timeout: float) -> None:
        # The port is always given: without one, http.client reads it from the host, and
        # takes the last group of an IPv6 address for a port.
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to the checked address; SNI and the certificate check use the URL's host name."""

    default_port = http.client.HTTPS_PORT

    def __init__(
        self, host: str, port: int, address: str, *, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, address, timeout=timeout)
        self.tls = context

    def connect(self) -> None:
        super().connect()
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


def _ascii_host(hostname: str | None) -> str:
    """The host as it goes into the Host header and SNI: an international name in IDNA."""
    host = hostname or ""
    return host if host.isascii() else host.encode("idna").decode("ascii")


def _connection(parts: SplitResult, port: int | None, address: str, timeout: float) -> _PinnedHTTPConnection:
    host = _ascii_host(parts.hostname)
    port = port or (http.client.HTTPS_PORT if parts.scheme == "https" else http.client.HTTP_PORT)
    if parts.scheme == "https":
        return _PinnedHTTPSConnection(
            host, port, address, timeout=timeout, context=ssl.create_default_context()
        )
    return _PinnedHTTPConnection(host, port, address, timeout=timeout)


def _post(runtime: Runtime, hook: Webhook, delivery: Delivery, body: bytes) -> tuple[int | None, str | None]:
    try:
        # Checked again at send time (the name may resolve elsewhere now), and the request
        # goes to an address of this very answer.
        addresses = check_target(hook.url, allow_private=runtime.settings.webhooks_allow_private)
        parts = urlsplit(hook.url)
        port = parts.port  # ValueError when out of range
    except BadRequest as refused:
        return None, f"target refused: {refused.params.get('reason')}"
    except ValueError:
        return None, "target refused: invalid port"
    # Percent-encoded: http.client sends the request line as ASCII.
    target = quote(parts.path or "/", safe=_URL_SAFE) + (
        f"?{quote(parts.query, safe=_URL_SAFE)}" if parts.query else ""
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ArchBuilder-Webhooks/1",
        "ArchBuilder-Event": delivery.event_type,
        "ArchBuilder-Delivery": delivery.id,
        "ArchBuilder-Signature": signature(hook.secret, int(time.time()), body),
    }
    deadline = time.monotonic() + SEND_TIMEOUT_S
    connection, error = None, "no address"
    for address in addresses[:MAX_ADDRESSES]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            error = "TimeoutError"
            break
        candidate = _connection(parts, port, address, remaining)
        try:
            candidate.connect()
        except OSError as exc:  # refused, unreachable, TLS: the next address of the answer
            candidate.close()
            error = type(exc).__name__
            continue
        except BaseException:
            candidate.close()
            raise
        connection = candidate
        break
    if connection is None:
        return None, error
    try:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, "TimeoutError"
        if connection.sock is not None:  # what is left of the deadline, for each write and read
            connection.sock.settimeout(remaining)
        connection.request("POST", target, body=body, headers=headers)
        status = int(connection.getresponse().status)
    except (OSError, http.client.HTTPException) as exc:
        return None, type(exc).__name__
    finally:
        connection.close()
    # No redirect is followed: a 3xx is a failed attempt like any other non-2xx answer.
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def send_due(runtime: Runtime, tenant_id: str, *, at: datetime | None = None) -> int:
    """Attempt every delivery of a tenant whose next attempt is due (run by ``maintenance``)."""
    moment = at or now()
    rows = runtime.store.query(
        Query(
            _deliveries(TenantPaths(tenant_id)),
            where=[
                Filter("status", "==", "retrying"),
                Filter("next_attempt_at", "<=", format_timestamp(moment)),
            ],
        )
    )
    for row in rows:
        attempt(runtime, tenant_id, row.id)
    return len(rows)


def list_deliveries(runtime: Runtime, principal: Principal, webhook_id: str) -> DeliveryList:
    require(principal, "webhooks:manage")
    paths = TenantPaths(principal.tenant_id)
    if runtime.store.get(f"{paths.root}/webhooks/{checked_id(webhook_id, 'webhook')}") is None:
        raise NotFound(resource="webhook", id=webhook_id)
    rows = runtime.store.query(
        Query(
            _deliveries(paths),
            where=[Filter("webhook_id", "==", webhook_id)],
            order_by=[("created_at", "desc")],
            limit=200,
        )
    )
    return DeliveryList(items=[Delivery.model_validate(r.data) for r in rows])


def retry_delivery(runtime: Runtime, principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
    """Replay a delivery (dead-lettered or not) now."""
    require(principal, "webhooks:manage")
    paths = TenantPaths(principal.tenant_id)
    path = f"{_deliveries(paths)}/{checked_id(delivery_id, 'delivery')}"

    def reset(txn: Transaction) -> None:
        snapshot = txn.get(path)
        if snapshot is None or snapshot.data.get("webhook_id") != webhook_id:
            raise NotFound(resource="delivery", id=delivery_id)
        txn.update(path, {"status": "pending", "attempts": 0, "next_attempt_at": None})

    runtime.store.transaction(reset)
    attempt(runtime, principal.tenant_id, delivery_id)
    snapshot = runtime.store.get(path)
    assert snapshot is not None
    return Delivery.model_validate(snapshot.data)
