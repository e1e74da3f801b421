"""``POST /v1/projects/{p}/layouts`` retried with the same ``Idempotency-Key`` and a prompt brief.

The retry comes after the AI response cache has lost the first answer, and the provider (the
fake OpenAI Responses API, through the real SDK) would read the prompt differently the second
time. The key is looked up before the prompt is read, against the request as sent: the retry
gets the first 202 answer, and neither a second AI call nor a second job or version.
A prompt brief from a tenant past its layout quota is refused before the AI reads it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from archbuilder.ai.response_cache import COLLECTION as AI_CACHE
from archbuilder.ai.settings import get_ai_settings
from archbuilder.billing.usage_ledger import new_usage_record, record_usage
from archbuilder.domain.plans import plan
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain, make_tenant
from tests.unit.ai.fake_servers import BRIEF_3_1, Behaviour, FakeOpenAI

PROMPT = {"prompt": "3+1 daire, 110 m², mutfak salona açık"}
# How the model reads the same words on the retry: two bedrooms, not three.
READ_DIFFERENTLY = copy.deepcopy(BRIEF_3_1)
READ_DIFFERENTLY["rooms"][2]["count"] = 2


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as server:
        assert isinstance(server, FakeOpenAI)
        monkeypatch.setenv("ARCHBUILDER_AI_OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("ARCHBUILDER_SECRET_OPENAI_API_KEY", "sk-test-idempotency")
        monkeypatch.setenv("ARCHBUILDER_AI_OPENAI_TIMEOUT_S", "5")
        monkeypatch.delenv("ARCHBUILDER_AI_VERTEX_PROJECT", raising=False)
        monkeypatch.delenv("ARCHBUILDER_AI_CACHE_TTL_S", raising=False)  # the cache is on
        get_ai_settings.cache_clear()
        yield server
    get_ai_settings.cache_clear()


def forget_cached_answers(runtime: Runtime) -> int:
    """Empty the AI response cache (as its TTL would); how many answers it held."""
    cached = runtime.store.query(Query(collection=AI_CACHE))
    for entry in cached:
        runtime.store.delete(entry.path)
    return len(cached)


def test_a_retry_after_the_ai_cache_expired_replays_the_first_answer_without_the_ai(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, openai_server: FakeOpenAI
) -> None:
    openai_server.then(Behaviour())  # the first reading: 3+1
    openai_server.default = Behaviour(output=READ_DIFFERENTLY)  # any later one: 2+1
    project = client.post("/v1/projects", json={"name": "Moda"}, headers=tenant.headers).json["id"]
    url = f"/v1/projects/{project}/layouts"
    headers = tenant.headers | {"Idempotency-Key": "prompt-brief-1"}

    first = client.post(url, json=PROMPT, headers=headers)
    assert first.status_code == 202, first.json
    assert len(openai_server.requests) == 1
    assert forget_cached_answers(runtime) == 1  # the answer was cached, and now it is gone

    retry = client.post(url, json=PROMPT, headers=headers)
    assert retry.status_code == 202, retry.json
    assert retry.json == first.json
    assert retry.headers["Location"] == first.headers["Location"] == f"/v1/jobs/{first.json['job_id']}"
    assert len(openai_server.requests) == 1  # the provider was not asked again

    drain(runtime)
    root = f"tenants/{tenant.tenant_id}"
    jobs = runtime.store.query(Query(collection=f"{root}/jobs"))
    assert [j.data["id"] for j in jobs] == [first.json["job_id"]]
    layouts = runtime.store.query(Query(collection=f"{root}/projects/{project}/layouts"))
    assert [lay.data["id"] for lay in layouts] == [first.json["layout_id"]]
    versions = runtime.store.query(
        Query(collection=f"{root}/projects/{project}/layouts/{first.json['layout_id']}/versions")
    )
    assert len(versions) == 1
    rooms = {r["type"]: r["count"] for r in layouts[0].data["brief"]["rooms"]}
    assert rooms["bedroom"] == 3  # the first reading is the one planned


def test_the_same_key_with_another_body_is_refused_before_the_ai(
    client: FlaskClient, tenant: TenantCredentials, openai_server: FakeOpenAI
) -> None:
    project = client.post("/v1/projects", json={"name": "Moda"}, headers=tenant.headers).json["id"]
    url = f"/v1/projects/{project}/layouts"
    headers = tenant.headers | {"Idempotency-Key": "prompt-brief-2", "Content-Type": "application/json"}
    sent = '{"prompt": "3+1 daire, 110 m², mutfak salona açık", "open_kitchen": true}'
    first = client.post(url, data=sent, headers=headers)
    assert first.status_code == 202, first.json
    other = client.post(url, json={"prompt": "2+1 daire, 85 m²", "open_kitchen": True}, headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # The same fields in another order and with other spacing are the same request.
    reordered = '{ "open_kitchen" : true , "prompt" : "3+1 daire, 110 m², mutfak salona açık" }'
    again = client.post(url, data=reordered, headers=headers)
    assert again.status_code == 202 and again.json == first.json
    assert len(openai_server.requests) == 1  # neither the refusal nor the replay read the prompt


def test_a_prompt_brief_past_the_layout_quota_is_refused_before_the_ai_reads_it(
    client: FlaskClient, runtime: Runtime, openai_server: FakeOpenAI
) -> None:
    tenant = make_tenant(runtime, plan="free")
    limit = plan("free").quotas.layouts
    assert limit is not None
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", limit, source="earlier"))
    project = client.post("/v1/projects", json={"name": "Moda"}, headers=tenant.headers).json["id"]
    refused = client.post(f"/v1/projects/{project}/layouts", json=PROMPT, headers=tenant.headers)
    assert refused.status_code == 402 and refused.json["error"]["code"] == "PLAN_LIMIT_REACHED"
    assert openai_server.requests == []  # no AI call the tenant could not use, nor its cost
    kinds = [r.data["kind"] for r in runtime.store.query(Query(f"tenants/{tenant.tenant_id}/usage_ledger"))]
    assert kinds == ["layout"]  # the earlier units only
