"""One contract for the Secrets port: the environment, and Secret Manager.

Google ships no Secret Manager emulator, so the real client talks gRPC to a small stand-in
for the service (below) that keeps secret versions in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from archbuilder.platform.errors import SecretMissing
from archbuilder.ports import Secrets


class FakeSecretManager:
    """``AccessSecretVersion`` of google.cloud.secretmanager.v1 over real gRPC."""

    def __init__(self) -> None:
        from google.cloud.secretmanager_v1.types import (
            AccessSecretVersionRequest,
            AccessSecretVersionResponse,
        )

        self.versions: dict[str, list[str | None]] = {}  # name → values by version (None: destroyed)
        self.calls = 0
        handler = grpc.method_handlers_generic_handler(
            "google.cloud.secretmanager.v1.SecretManagerService",
            {
                "AccessSecretVersion": grpc.unary_unary_rpc_method_handler(
                    self._access,
                    request_deserializer=AccessSecretVersionRequest.deserialize,
                    response_serializer=AccessSecretVersionResponse.serialize,
                )
            },
        )
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self._server.add_generic_rpc_handlers((handler,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    def _access(self, request: Any, context: grpc.ServicerContext) -> Any:
        from google.cloud.secretmanager_v1.types import AccessSecretVersionResponse, SecretPayload

        self.calls += 1
        _, project, _, name, _, version = request.name.split("/")
        values = self.versions.get(name)
        if not values:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Secret [{name}] not found")
        index = len(values) if version == "latest" else int(version)
        if not 1 <= index <= len(values):
            context.abort(grpc.StatusCode.NOT_FOUND, "version not found")
        value = values[index - 1]
        if value is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "version is destroyed")
        return AccessSecretVersionResponse(name=request.name, payload=SecretPayload(data=value.encode()))

    def client(self) -> Any:
        from google.cloud import secretmanager
        from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
            SecretManagerServiceGrpcTransport,
        )

        channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        return secretmanager.SecretManagerServiceClient(
            transport=SecretManagerServiceGrpcTransport(channel=channel)
        )

    def stop(self) -> None:
        self._server.stop(0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_sm() -> Iterator[FakeSecretManager]:
    server = FakeSecretManager()
    yield server
    server.stop()


@pytest.fixture(params=["env", "secret-manager"])
def secrets(request: pytest.FixtureRequest) -> Secrets:
    """A store holding ``stripe-api-key`` = ``sk_test_123`` and nothing else."""
    if request.param == "env":
        from archbuilder.adapters.local.env_secrets import EnvironmentSecrets

        return EnvironmentSecrets({"ARCHBUILDER_SECRET_STRIPE_API_KEY": "sk_test_123"})
    from archbuilder.adapters.gcp.secret_manager import SecretManagerSecrets

    fake: FakeSecretManager = request.getfixturevalue("fake_sm")
    fake.versions["stripe-api-key"] = ["sk_test_old", "sk_test_123"]
    return SecretManagerSecrets("demo-archbuilder", client=fake.client())


def test_a_secret_is_read_by_name(secrets: Secrets) -> None:
    assert secrets.get("stripe-api-key") == "sk_test_123"


def test_a_missing_secret_fails_clearly_without_its_value(secrets: Secrets) -> None:
    with pytest.raises(SecretMissing) as raised:
        secrets.get("openai-api-key")
    assert raised.value.code == "SECRET_MISSING" and raised.value.params["name"] == "openai-api-key"


def test_secret_manager_versions_and_ttl_cache(fake_sm: FakeSecretManager) -> None:
    from archbuilder.adapters.gcp.secret_manager import SecretManagerSecrets

    clock = Clock()
    fake_sm.versions["k"] = ["v1", None]
    secrets = SecretManagerSecrets("demo-archbuilder", client=fake_sm.client(), ttl_s=60, clock=clock)
    assert secrets.get_version("k", "1") == "v1"
    with pytest.raises(SecretMissing):
        secrets.get("k")  # latest is destroyed
    fake_sm.versions["k"].append("v3")
    assert secrets.get("k") == "v3"
    calls = fake_sm.calls
    fake_sm.versions["k"].append("v4")  # rotated
    clock.now += 59
    assert secrets.get("k") == "v3" and fake_sm.calls == calls  # cached
    clock.now += 2
    assert secrets.get("k") == "v4"  # picked up after the TTL
