"""docs/api.md: its error-code table is what the catalogue and the source say, and its webhook
verification example accepts the signatures the API makes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tools.api_docs import DOC, END, error_statuses, error_table, render

from archbuilder.platform.i18n import catalogue
from archbuilder.services.webhooks import signature


def test_error_table_is_the_catalogue_with_the_statuses_in_the_source() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert render(document, error_table()) == document, (
        "docs/api.md's error codes differ from errors.yaml or the source: run python -m tools.api_docs"
    )
    table = document[: document.index(END)]
    assert all(f"| `{code}` |" in table for code in catalogue())


def test_statuses_are_read_from_classes_and_calls() -> None:
    statuses = error_statuses()
    assert statuses["NOT_FOUND"] >= {404}  # NotFound's class attributes
    assert statuses["INVALID_PAGE_TOKEN"] == {400}  # BadRequest(code=…): the class's status
    assert statuses["UPLOAD_TOO_LARGE"] == {413}  # ArchBuilderError(code=…, status=413)
    # Two classes named RateLimited: the rate limits' (429) and the AI providers' (503).
    assert statuses["RATE_LIMITED"] == {429} and statuses["AI_RATE_LIMITED"] == {503}
    assert statuses["JOB_EXPIRED"] == {"job"}  # recorded on the job: JobError(code=…)


def _verify_from_docs() -> Callable[..., bool]:
    document = DOC.read_text(encoding="utf-8")
    webhooks = document[document.index("## Webhooks") :]
    code = re.search(r"```python\n(.*?)```", webhooks, re.DOTALL)
    assert code, "docs/api.md lost its webhook verification example"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_webhook_verification_example_accepts_our_signatures_only() -> None:
    verify = _verify_from_docs()
    secret, body = "whsec_docs", b'{"id":"evt_1","type":"job.succeeded","data":{}}'
    now = int(time.time())
    assert verify(secret, signature(secret, now, body), body)
    assert not verify(secret, signature(secret, now, body), body + b" ")
    assert not verify("whsec_other", signature(secret, now, body), body)
    assert not verify(secret, signature(secret, now - 3600, body), body)  # a replay
    assert not verify(secret, "v1=00", body)
