"""Webhook targets on a server that refuses private addresses (the default outside tests):
an IPv4 address carried inside an IPv6 one is judged as that IPv4 address, at registration
and again when a delivery is sent. Nothing here connects anywhere but loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from archbuilder.platform.settings import Settings
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit
from tests.functional.test_webhooks import Receiver, _serving


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings (``tests/conftest.py``), but private targets are refused, as in
    production."""
    return settings.model_copy(update={"webhooks_allow_private": False})


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names under ``.test`` answer the addresses a test puts here (IPv4 or IPv6)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host in answers:
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0, 0, 0))
                if ":" in address
                else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))
                for address in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    """A loopback endpoint that must hear nothing; yields it and its port."""
    app = Receiver(refuse=0)
    with _serving(app) as base:
        yield app, int(base.rsplit(":", 1)[1])


def _register(client: FlaskClient, tenant: TenantCredentials, url: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/webhooks", json={"url": url, "events": ["job.succeeded"]}, headers=tenant.headers)


@pytest.mark.parametrize(
    "host",
    [
        "::127.0.0.1",  # IPv4-compatible loopback (::7f00:1)
        "::7f00:1",
        "::a9fe:a9fe",  # IPv4-compatible metadata server (169.254.169.254)
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "::",  # unspecified
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "64:ff9b::a9fe:a9fe",  # NAT64, well-known prefix
        "64:ff9b:1::a00:1",  # NAT64, local-use prefix
        "2002:a9fe:a9fe::1",  # 6to4
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_ipv6_literals_carrying_a_private_ipv4_address_are_refused_at_registration(
    client: FlaskClient, tenant: TenantCredentials, receiver: tuple[Receiver, int], host: str
) -> None:
    app, port = receiver
    refused = _register(client, tenant, f"http://[{host}]:{port}/hooks")
    assert refused.status_code == 400, refused.json
    error = refused.json["error"]
    assert (
        error["code"] == "WEBHOOK_TARGET_REFUSED"
        and error["details"]["reason"] == "the host is not a public address"
    )
    assert client.get("/v1/webhooks", headers=tenant.headers).json["items"] == []
    assert app.received == []


@pytest.mark.parametrize("address", ["::7f00:1", "::a9fe:a9fe", "64:ff9b:1::a00:1", "::ffff:0:a9fe:a9fe"])
def test_a_name_answering_an_ipv6_address_carrying_a_private_ipv4_one_is_refused_at_registration(
    client: FlaskClient, tenant: TenantCredentials, dns: dict[str, list[str]], address: str
) -> None:
    dns["hook.test"] = ["8.8.8.8", address]  # one address that is not public is enough
    refused = _register(client, tenant, "http://hook.test/hooks")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "WEBHOOK_TARGET_REFUSED"
    assert "a9fe" not in refused.json["error"]["message"] and "7f00" not in refused.json["error"]["message"]


def test_a_name_that_rebinds_to_ipv4_compatible_loopback_is_refused_at_delivery(
    client: FlaskClient,
    runtime: Runtime,
    tenant: TenantCredentials,
    dns: dict[str, list[str]],
    receiver: tuple[Receiver, int],
) -> None:
    """Public when registered, then the DNS answer moves to loopback written as IPv6: the send
    checks the new answer and connects nowhere."""
    app, port = receiver
    forms = {
        "compatible.test": "::127.0.0.1",
        "mapped.test": "::ffff:127.0.0.1",
        "nat64.test": "64:ff9b::7f00:1",
    }
    hooks = {}
    for name in forms:
        dns[name] = ["8.8.8.8"]  # never connected to: the answer changes before any send
        created = _register(client, tenant, f"http://{name}:{port}/hooks")
        assert created.status_code == 201, created.json
        hooks[name] = created.json["id"]
    for name, address in forms.items():
        dns[name] = [address]
    submit(client, tenant, new_project(client, tenant), BRIEF)
    drain(runtime)
    for name, hook_id in hooks.items():
        (delivery,) = client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=tenant.headers).json["items"]
        assert delivery["status"] == "retrying" and delivery["attempts"] == 1, (name, delivery)
        assert delivery["last_error"] == "target refused: the host is not a public address", (name, delivery)
    assert app.received == []


def test_a_refused_target_is_explained_in_the_callers_language(
    client: FlaskClient, tenant: TenantCredentials, dns: dict[str, list[str]]
) -> None:
    dns["hook.test"] = ["10.0.0.7"]
    for language, words in (("tr", "herkese açık bir adrese"), ("de", "keine öffentliche Adresse")):
        refused = client.post(
            "/v1/webhooks",
            json={"url": "http://hook.test/hooks", "events": ["job.succeeded"]},
            headers={**tenant.headers, "Accept-Language": language},
        )
        error = refused.json["error"]
        assert refused.status_code == 400 and error["code"] == "WEBHOOK_TARGET_REFUSED"
        assert words in error["message"] and "public" not in error["message"], error["message"]
        assert error["details"]["reason_code"] == "host_not_public"
