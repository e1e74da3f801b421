"""Structured JSON logs on stdout, in the shape Cloud Logging reads.

Per-request keys (correlation id, trace, tenant, job) live in ``contextvars`` so that
every line written while handling a request or an event carries them, across threads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_context: ContextVar[dict[str, str]] = ContextVar("archbuilder_log_context", default={})  # noqa: B039

_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


def log_context() -> dict[str, str]:
    """The keys bound to the current request or event."""
    return dict(_context.get())


def bind(**keys: str | None) -> None:
    """Add keys to the current context (None values are ignored)."""
    merged = dict(_context.get())
    merged.update({k: v for k, v in keys.items() if v is not None})
    _context.set(merged)


@contextlib.contextmanager
def bound(**keys: str | None) -> Iterator[None]:
    """Bind keys for the duration of a block, then restore the previous context."""
    token = _context.set({**_context.get(), **{k: v for k, v in keys.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


# Credentials that must never reach a log line, whatever code wrote it. Each pattern takes the
# whole token: the random parts (``secrets.token_urlsafe``, base64url) hold ``-`` and ``_``.
_B64URL = r"[A-Za-z0-9_-]"
_SECRET_PATTERNS = (
    re.compile(rf"ab_(?:live|test)_{_B64URL}{{8,}}"),  # our API keys (services/identity.py)
    re.compile(rf"whsec_{_B64URL}{{8,}}"),  # our webhook secrets (services/webhooks.py) and Stripe's
    re.compile(rf"inv\.{_B64URL}+\.{_B64URL}{{8,}}"),  # invitation tokens (services/members.py)
    re.compile(rf"(?:sk|rk)_(?:live|test)_{_B64URL}{{8,}}"),  # Stripe secret and restricted keys
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}"),  # ID tokens, OAuth tokens
    # A JWT (Firebase ID tokens), a local ID token (``local.<payload>.<signature>``,
    # adapters/local/local_claims.py) and a local signed upload or download token
    # (``<payload>.<signature>``, adapters/local/file_blobs.py): base64url JSON, which starts
    # ``eyJ``, then one or more dot-separated segments.
    re.compile(rf"(?<!{_B64URL})(?:local\.)?eyJ{_B64URL}*(?:\.{_B64URL}+)+"),
    re.compile(r"(?i)(X-Goog-Signature=)[0-9a-f]{16,}"),  # the signature of a GCS signed URL
    re.compile(rf"sk-{_B64URL}{{16,}}"),  # OpenAI keys
    re.compile(rf"AIza{_B64URL}{{30,}}"),  # Google API keys
    re.compile(rf"ya29\.{_B64URL}{{20,}}"),  # Google OAuth access tokens (ARCHBUILDER_AI_VERTEX_ACCESS_TOKEN)
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
)
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    """``text`` with every credential-shaped substring replaced by ``[REDACTED]``."""
    for pattern in _SECRET_PATTERNS:
        # A pattern with a group keeps it (the parameter name of a signed URL) and redacts the rest.
        text = pattern.sub(lambda match: (match.group(1) if match.re.groups else "") + REDACTED, text)
    return text


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line: severity, message, time, trace and our context keys."""

    def __init__(self, gcp_project: str | None = None) -> None:
        super().__init__()
        self._project = gcp_project

    def format(self, record: logging.LogRecord) -> str:
        ctx = _context.get()
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        trace = ctx.get("trace_id")
        if trace:
            entry["logging.googleapis.com/trace"] = (
                f"projects/{self._project}/traces/{trace}" if self._project else trace
            )
        for key in ("correlation_id", "tenant_id", "job_id", "function", "event_id"):
            if key in ctx:
                entry[key] = ctx[key]
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        # Redact the serialised line: covers the message, extra fields and stack traces alike.
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(level: str = "INFO", gcp_project: str | None = None) -> None:
    """Send every ``archbuilder`` log line to stdout as JSON. Safe to call twice."""
    root = logging.getLogger("archbuilder")
    root.setLevel(level)
    root.propagate = False
    for handler in list(root.handlers):
        if getattr(handler, "_archbuilder", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter(gcp_project))
    handler._archbuilder = True  # type: ignore[attr-defined]
    root.addHandler(handler)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name if name.startswith("archbuilder") else f"archbuilder.{name}")


def log_fields(**fields: Any) -> dict[str, Any]:
    """``logger.info("...", extra=log_fields(k=v))`` adds structured fields to a line."""
    return {"fields": fields}


def log_to_file(path: Path, *, max_bytes: int = 20_000_000, backups: int = 3) -> None:
    """Also write every ``archbuilder`` line to ``path`` (the dev server's own log, which
    ``archbuilder admin debug-bundle`` reads), rotated at ``max_bytes``. Safe to call twice."""
    from logging.handlers import RotatingFileHandler

    root = logging.getLogger("archbuilder")
    for handler in list(root.handlers):
        if getattr(handler, "_archbuilder_file", False):
            root.removeHandler(handler)
            handler.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(CloudLoggingFormatter())
    handler._archbuilder_file = True  # type: ignore[attr-defined]
    root.addHandler(handler)
