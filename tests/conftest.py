"""Fixtures shared by every test: an embedded runtime in a temporary folder, tenants, clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
from archbuilder.domain.common import CodeRegion, DataRegion, Language
from archbuilder.platform.settings import Environment, Settings
from archbuilder.runtime import Runtime, build_local_runtime, set_runtime
from archbuilder.services.identity import create_tenant

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.test,
        data_dir=tmp_path / "data",
        event_retry_base_s=0.01,
        event_max_attempts=3,
        webhooks_allow_private=True,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_local_runtime(settings)
    set_runtime(rt)
    yield rt
    assert isinstance(rt.bus, InProcessEventBus)
    rt.bus.drain(timeout=30)
    rt.bus.close()
    set_runtime(None)


@dataclass
class TenantCredentials:
    tenant_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def make_tenant(
    runtime: Runtime, name: str = "Demo Mimarlık", language: str = "tr", plan: str = "professional"
) -> TenantCredentials:
    """A tenant and its owner key. Professional by default, so that plan gates (tested in the
    billing tests) do not stand in the way of the feature under test."""
    tenant, key = create_tenant(
        runtime.store,
        name=name,
        data_region=DataRegion.eu,
        code_region=CodeRegion.TR,
        language=Language(language),
        plan=plan,
    )
    return TenantCredentials(tenant.id, key.api_key)


@pytest.fixture
def tenant(runtime: Runtime) -> TenantCredentials:
    return make_tenant(runtime)


@pytest.fixture
def other_tenant(runtime: Runtime) -> TenantCredentials:
    return make_tenant(runtime, name="Other Architects GmbH", language="de")


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    """The dev server's app: every HTTP function at its route, in-process."""
    from archbuilder.devserver import create_app

    return create_app().test_client()


def drain(runtime: Runtime) -> None:
    assert isinstance(runtime.bus, InProcessEventBus)
    assert runtime.bus.drain(timeout=60), "events still in flight after 60 s"
