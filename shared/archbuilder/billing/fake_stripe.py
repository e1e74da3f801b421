"""A small fake of the Stripe REST API, for tests and local runs (``STRIPE_API_BASE``).

Speaks the real shapes of what ArchBuilder calls: customers, Checkout Sessions, billing
portal sessions, subscriptions (retrieve, list with ``expand``) and billing meter events;
form-encoded bodies with bracketed keys, ``Idempotency-Key`` replay, Stripe's error body.
Meter events are deduplicated on ``identifier`` as Stripe does; every receipt is counted,
so a test can see a double send. Run it alone with ``python -m archbuilder.billing.fake_stripe``.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

_KEY = re.compile(r"^([^\[]+)((?:\[[^\]]*\])*)$")
_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``line_items[0][price]=p`` and ``expand[]=x`` → nested dicts and lists, as Stripe reads them."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            continue
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        # ``a[]`` appends: each value gets the next index.
        leaf = parts[-1] if parts[-1] != "" else str(len(node))
        node[leaf] = value
    decoded: dict[str, Any] = _listify(root)
    return decoded


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


@dataclass
class _Stored:
    status: int
    body: dict[str, Any]


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: a proof run makes tens of thousands."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class StripeApiError(Exception):
    def __init__(
        self, status: int, message: str, *, code: str | None = None, kind: str = "invalid_request_error"
    ):
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind


class FakeStripe:
    """The fake server and its state. ``start()`` serves on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.meter_events: dict[str, dict[str, Any]] = {}  # by identifier, first receipt
        self.meter_receipts = 0  # every meter event request that reached the fake, duplicates too
        self.requests: list[tuple[str, str]] = []
        self.api_versions: set[str] = set()
        self._idempotent: dict[str, _Stored] = {}
        self._lose_meter_responses = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._map = Map(
            [
                Rule("/v1/customers", methods=["POST"], endpoint="create_customer"),
                Rule("/v1/customers/<cid>", methods=["GET"], endpoint="get_customer"),
                Rule("/v1/checkout/sessions", methods=["POST"], endpoint="create_checkout"),
                Rule("/v1/billing_portal/sessions", methods=["POST"], endpoint="create_portal"),
                Rule("/v1/subscriptions", methods=["GET"], endpoint="list_subscriptions"),
                Rule("/v1/subscriptions/<sid>", methods=["GET"], endpoint="get_subscription"),
                Rule("/v1/billing/meter_events", methods=["POST"], endpoint="create_meter_event"),
            ]
        )

    # -- lifecycle --------------------------------------------------------

    def start(self) -> FakeStripe:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state for tests --------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):010d}"

    def put_subscription(self, subscription: dict[str, Any]) -> None:
        with self._lock:
            self.subscriptions[subscription["id"]] = subscription

    def put_invoice(self, invoice: dict[str, Any]) -> None:
        with self._lock:
            self.invoices[invoice["id"]] = invoice

    def lose_meter_responses(self, count: int) -> None:
        """The next ``count`` meter events are stored but answered with a 500 (a lost reply)."""
        with self._lock:
            self._lose_meter_responses = count

    def meter_totals(self) -> dict[tuple[str, str], int]:
        """Sum of values per (customer, event name), each identifier once: what Stripe would bill."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        with self._lock:
            for event in self.meter_events.values():
                totals[(event["payload"]["stripe_customer_id"], event["event_name"])] += int(
                    event["payload"]["value"]
                )
        return dict(totals)

    # -- HTTP -------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _respond(self, request: Request) -> Response:
        try:
            endpoint, args = self._map.bind_to_environ(request.environ).match()
        except NotFound:
            return _error(
                StripeApiError(404, f"Unrecognized request URL ({request.method}: {request.path}).")
            )
        except HTTPException as exc:
            return _error(StripeApiError(exc.code or 400, str(exc)))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer sk_"):
            return _error(StripeApiError(401, "Invalid API Key provided.", kind="authentication_error"))
        version = request.headers.get("Stripe-Version")
        params = decode_form(
            request.args.items(multi=True) if request.method == "GET" else request.form.items(multi=True)
        )
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        with self._lock:
            self.requests.append((request.method, request.path))
            if version:
                self.api_versions.add(version)
            if key and key in self._idempotent:
                stored = self._idempotent[key]
                return _json(stored.body, stored.status, {"Idempotent-Replayed": "true"})
            try:
                body = getattr(self, "_" + endpoint)(params, **args)
                status = 200
            except _LostResponse:
                return _error(
                    StripeApiError(500, "An unknown error occurred.", kind="api_error"), retry=False
                )
            except StripeApiError as exc:
                return _error(exc)
            if key:
                self._idempotent[key] = _Stored(status, body)
        return _json(body, status)

    # -- endpoints (called under the lock) --------------------------------

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer_id = self.new_id("cus")
        customer: dict[str, Any] = {
            "id": customer_id,
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata") or {},
            "livemode": False,
        }
        self.customers[customer_id] = customer
        return customer

    def _get_customer(self, params: dict[str, Any], cid: str) -> dict[str, Any]:
        if cid not in self.customers:
            raise StripeApiError(404, f"No such customer: '{cid}'", code="resource_missing")
        return self.customers[cid]

    def _create_checkout(self, params: dict[str, Any]) -> dict[str, Any]:
        for name in ("success_url", "mode", "line_items"):
            if not params.get(name):
                raise StripeApiError(400, f"Missing required param: {name}.", code="parameter_missing")
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise StripeApiError(400, f"No such customer: '{customer}'", code="resource_missing")
        session_id = self.new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "customer": customer,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "line_items_requested": params["line_items"],
            "subscription_data_requested": params.get("subscription_data") or {},
            "status": "open",
            "payment_status": "unpaid",
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "subscription": None,
            "url": f"{self.url}/pay/{session_id}",
            "livemode": False,
        }
        self.checkout_sessions[session_id] = session
        return session

    def _create_portal(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = params.get("customer")
        if customer not in self.customers:
            raise StripeApiError(400, f"No such customer: '{customer}'", code="resource_missing")
        session_id = self.new_id("bps")
        session = {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": params.get("return_url"),
            "url": f"{self.url}/portal/{session_id}",
            "livemode": False,
        }
        self.portal_sessions[session_id] = session
        return session

    def _expanded(self, subscription: dict[str, Any], expand: list[str], prefix: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(json.dumps(subscription))
        invoice = result.get("latest_invoice")
        if f"{prefix}latest_invoice" in expand and isinstance(invoice, str) and invoice in self.invoices:
            result["latest_invoice"] = self.invoices[invoice]
        return result

    def _get_subscription(self, params: dict[str, Any], sid: str) -> dict[str, Any]:
        if sid not in self.subscriptions:
            raise StripeApiError(404, f"No such subscription: '{sid}'", code="resource_missing")
        return self._expanded(self.subscriptions[sid], list(params.get("expand") or []), "")

    def _list_subscriptions(self, params: dict[str, Any]) -> dict[str, Any]:
        status = params.get("status")
        found = [
            s
            for s in self.subscriptions.values()
            if s.get("customer") == params.get("customer")
            and (
                status == "all"
                or s.get("status") == status
                or (status is None and s.get("status") != "canceled")
            )
        ]
        found.sort(key=lambda s: (-int(s.get("created") or 0), s["id"]))
        after = params.get("starting_after")
        if after:
            ids = [s["id"] for s in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        limit = int(params.get("limit") or 10)
        expand = list(params.get("expand") or [])
        return {
            "object": "list",
            "data": [self._expanded(s, expand, "data.") for s in found[:limit]],
            "has_more": len(found) > limit,
            "url": "/v1/subscriptions",
        }

    def _create_meter_event(self, params: dict[str, Any]) -> dict[str, Any]:
        payload = params.get("payload") or {}
        if not params.get("event_name") or "stripe_customer_id" not in payload or "value" not in payload:
            raise StripeApiError(
                400, "event_name, payload[stripe_customer_id] and payload[value] are required."
            )
        if not str(payload["value"]).isdigit():
            raise StripeApiError(400, "payload[value] must be a whole number.")
        self.meter_receipts += 1
        identifier = params.get("identifier") or self.new_id("mev")
        event = self.meter_events.get(identifier)
        if event is None:
            event = {
                "object": "billing.meter_event",
                "created": int(time.time()),
                "event_name": params["event_name"],
                "identifier": identifier,
                "livemode": False,
                "payload": payload,
                "timestamp": int(params.get("timestamp") or time.time()),
            }
            self.meter_events[identifier] = event
        if self._lose_meter_responses > 0:
            self._lose_meter_responses -= 1
            raise _LostResponse()
        return event


class _LostResponse(Exception):
    """The work was done but the reply never arrives (answered as a 500)."""


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    response.headers["Request-Id"] = f"req_fake{time.monotonic_ns()}"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(exc: StripeApiError, *, retry: bool | None = None) -> Response:
    body: dict[str, Any] = {"error": {"type": exc.kind, "message": exc.message}}
    if exc.code:
        body["error"]["code"] = exc.code
    headers = {"Stripe-Should-Retry": "true" if retry else "false"} if retry is not None else {}
    return _json(body, exc.status, headers)


def main() -> None:  # pragma: no cover - manual use
    with FakeStripe() as fake:
        sys.stderr.write(f"fake Stripe on {fake.url}: export STRIPE_API_BASE={fake.url}\n")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover - manual use
    main()
