"""A Pub/Sub push request (what our push subscriptions send, pubsub.tf) reaches a CloudEvent
function as the messagePublished event our handlers unwrap."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from functions_framework import create_app

from archbuilder.platform.events import unwrap_pubsub

FUNCTION = """
import functions_framework

SEEN = []


@functions_framework.cloud_event
def handler(event):
    SEEN.append(event)
"""


def test_push_envelope_becomes_a_message_published_event(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text(FUNCTION, encoding="utf-8")
    app = create_app("handler", str(source), "cloudevent")
    body = {
        "message": {
            "data": base64.b64encode(json.dumps({"job_id": "j1", "tenant_id": "t1"}).encode()).decode(),
            "attributes": {"correlation_id": "c-123"},
            "messageId": "4242",
            "publishTime": "2026-11-26T01:00:00.000Z",
        },
        "subscription": "projects/p/subscriptions/archbuilder-eu-layout-worker--layout-requests",
        "deliveryAttempt": 1,
    }
    response = app.test_client().post(
        "/projects/p/topics/archbuilder-eu-layout-requests",
        json=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.data

    import sys

    seen = next(m for name, m in sys.modules.items() if getattr(m, "__file__", None) == str(source)).SEEN
    message = unwrap_pubsub(seen[-1])
    assert message.data == {"job_id": "j1", "tenant_id": "t1"}
    assert message.attributes["correlation_id"] == "c-123"
    assert message.message_id == "4242"
    assert message.published_at.year == 2026
