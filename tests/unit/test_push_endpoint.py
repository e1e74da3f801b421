"""The emulators' push delivery only POSTs to http(s) endpoints (ruff S310)."""

from __future__ import annotations

import pytest
from cloudevents.http import CloudEvent

from archbuilder.adapters.gcp.pusher import post_cloudevent


@pytest.mark.parametrize("endpoint", ["file:///etc/passwd", "ftp://127.0.0.1/x", "127.0.0.1:8080/push"])
def test_push_endpoints_must_be_http_urls(endpoint: str) -> None:
    event = CloudEvent({"type": "t", "source": "s"}, {"a": 1})
    with pytest.raises(ValueError, match="not an http"):
        post_cloudevent(endpoint, event, timeout_s=1)


def test_an_http_endpoint_that_does_not_answer_is_status_0() -> None:
    event = CloudEvent({"type": "t", "source": "s"}, {"a": 1})
    assert post_cloudevent("http://127.0.0.1:9/push", event, timeout_s=1) == 0
