"""Log lines are JSON objects Cloud Logging understands, with the request's context keys."""

from __future__ import annotations

import io
import json
import logging

from archbuilder.platform.logging import CloudLoggingFormatter, bound, get_logger, log_fields


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter("demo-project"))
    logger = get_logger("archbuilder.test-capture")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_line_carries_severity_trace_and_context() -> None:
    logger, stream = capture()
    with bound(
        correlation_id="c-1", trace_id="0af7651916cd43dd8448eb211c80319c", tenant_id="tnt_1", job_id="job_9"
    ):
        logger.warning("planning", extra=log_fields(rooms=7))
    logger.info("after")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["severity"] == "WARNING" and first["message"] == "planning" and first["rooms"] == 7
    assert (
        first["logging.googleapis.com/trace"]
        == "projects/demo-project/traces/0af7651916cd43dd8448eb211c80319c"
    )
    assert (first["correlation_id"], first["tenant_id"], first["job_id"]) == ("c-1", "tnt_1", "job_9")
    assert "correlation_id" not in second and second["severity"] == "INFO"


def test_exceptions_are_kept_in_one_line() -> None:
    logger, stream = capture()
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["severity"] == "ERROR" and "ValueError: boom" in entry["stack_trace"]


def test_credentials_are_redacted_wherever_they_appear() -> None:
    logger, stream = capture()
    key = "ab_live_" + "k" * 43
    with bound(correlation_id="c-2"):
        logger.info(f"using {key}", extra=log_fields(header=f"Bearer {'t' * 40}", openai="sk-" + "a" * 40))
        try:
            raise RuntimeError(f"stripe failed with whsec_{'s' * 20}")
        except RuntimeError:
            logger.exception("call failed")
    text = stream.getvalue()
    for secret in (key, "t" * 40, "a" * 40, "s" * 20):
        assert secret not in text
    assert text.count("[REDACTED]") >= 4
