"""A job's debug bundle for support: ``archbuilder admin debug-bundle --tenant T --job J``.

One zip with the job, the documents it made or read (layout, versions, upload, model,
project), the events that name it (audit entries, webhook deliveries, usage records, dead
letters), the log lines of its correlation ids, and the names of its stored artifacts. Before
anything is written it is scrubbed: credentials (``platform.logging.redact``: API keys,
webhook and Stripe secrets, tokens), e-mail addresses, IP addresses, people's names (the
fields that hold them), Stripe ids beyond their prefix and four characters, and the tenant's
name. Free text a person typed (a review comment, a room name) keeps its words: only the
patterns above are taken out of it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archbuilder.domain.ids import checked_id
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import NotFound
from archbuilder.platform.logging import REDACTED, redact
from archbuilder.ports import Filter, Query, Snapshot
from archbuilder.repositories import TenantPaths

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime

# Fields whose whole value is a person's name or contact, or a secret.
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "emails",
        "billing_email",
        "customer_email",
        "display_name",
        "full_name",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "contact_name",
        "customer_name",
        "invited_by_email",
        "phone",
        "address",
        "remoteIp",
        "serverIp",
        "client_ip",
        "ip",
        "userAgent",
        "user_agent",
    }
)
SECRET_FIELDS = frozenset(
    {"secret", "api_key", "key_hash", "token", "token_hash", "password", "signing_secret", "session"}
)
# The tenant's own name may be a person's (a sole architect): the bundle keeps these fields only.
TENANT_FIELDS = ("id", "plan", "status", "data_region", "code_region", "language", "created_at")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_STRIPE_ID = re.compile(
    r"\b(cus|sub|si|in|ii|il|pi|ch|py|pm|price|prod|evt|cs|seti|re|txn|acct|card|src|tok|bpc|ba|po)"
    r"_([A-Za-z0-9]{4})[A-Za-z0-9]{4,}"
)
EMAIL_REMOVED = "[EMAIL]"
IP_REMOVED = "[IP]"
SCAN_LIMIT = 2000  # documents read per collection when looking for the job's events


def scrub_text(text: str) -> str:
    """``text`` without credentials, e-mail addresses, IPv4 addresses or whole Stripe ids."""
    text = redact(text)
    text = _EMAIL.sub(EMAIL_REMOVED, text)
    text = _IPV4.sub(IP_REMOVED, text)
    return _STRIPE_ID.sub(lambda m: f"{m[1]}_{m[2]}…", text)


def scrub(value: Any) -> Any:
    """A copy of a JSON value with every personal or secret field and pattern removed."""
    if isinstance(value, dict):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if key in SECRET_FIELDS or key.endswith(("_secret", "_token", "_api_key")):
                cleaned[key] = REDACTED if item else item
            elif key in PERSONAL_FIELDS or key.endswith(("_email", "_name_of_person")):
                cleaned[key] = "[PERSONAL]" if item else item
            else:
                cleaned[key] = scrub(item)
        return cleaned
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


@dataclass
class DebugBundle:
    """What goes into the archive, before it is scrubbed and written."""

    tenant_id: str
    job_id: str
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → data
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    log_lines: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)


def gather(runtime: Runtime, tenant_id: str, job_id: str, log_files: Iterable[Path]) -> DebugBundle:
    """Everything the bundle holds for ``job_id`` of ``tenant_id``; ``NotFound`` if no such job."""
    store = runtime.store
    paths = TenantPaths(tenant_id)
    job_path = paths.job(checked_id(job_id, "job"))
    job = store.get(job_path)
    if job is None:
        raise NotFound(resource="job", id=job_id)
    bundle = DebugBundle(tenant_id, job_id)
    bundle.documents[job_path] = job.data
    tenant = store.get(f"tenants/{tenant_id}")
    if tenant is not None:
        bundle.documents[tenant.path] = {k: tenant.data.get(k) for k in TENANT_FIELDS if k in tenant.data}
        subscription = tenant.data.get("subscription")
        if isinstance(subscription, dict):
            bundle.documents[tenant.path]["subscription"] = subscription
    project_id = job.data.get("project_id")
    if isinstance(project_id, str) and project_id:
        _add(bundle.documents, store.get(paths.project(project_id)))
        _gather_layout(runtime, bundle, paths, project_id, job.data)
        for upload in _matching(store, paths.project(project_id) + "/uploads", job_id):
            bundle.documents[upload.path] = upload.data
            model_id = upload.data.get("model_id")
            if isinstance(model_id, str):
                _add(bundle.documents, store.get(paths.model(project_id, model_id)))
                prefix = f"{paths.blob_prefix(project_id)}/models/{model_id}/"
                bundle.artifacts += [f"artifacts/{name}" for name in runtime.blobs.list(prefix)]
    for hook in store.query(Query(f"tenants/{tenant_id}/webhooks", limit=100)):
        bundle.documents[hook.path] = hook.data  # where events went; the secret is scrubbed
    for collection in ("audit", "webhook_deliveries", "usage_ledger"):
        for snapshot in _mentioning(store, f"tenants/{tenant_id}/{collection}", job_id):
            bundle.events[snapshot.path] = snapshot.data
    for snapshot in _mentioning(store, "dead_letters", job_id):
        bundle.events[snapshot.path] = snapshot.data
    bundle.log_lines = list(job_log_lines(log_files, job_id))
    return bundle


def _add(documents: dict[str, dict[str, Any]], snapshot: Snapshot | None) -> None:
    if snapshot is not None:
        documents[snapshot.path] = snapshot.data


def _gather_layout(
    runtime: Runtime, bundle: DebugBundle, paths: TenantPaths, project_id: str, job: dict[str, Any]
) -> None:
    layout_id = job.get("layout_id") or (job.get("result") or {}).get("layout_id")
    if not isinstance(layout_id, str) or not layout_id:
        return
    layout_path = paths.layout(project_id, layout_id)
    _add(bundle.documents, runtime.store.get(layout_path))
    for version in runtime.store.query(Query(paths.versions(project_id, layout_id), limit=500)):
        bundle.documents[version.path] = version.data
        number = version.data.get("version")
        if isinstance(number, int):
            bundle.versions.append(number)
    bundle.versions.sort()
    for decision in runtime.store.query(Query(f"{layout_path}/decisions", limit=500)):
        bundle.documents[decision.path] = decision.data
    prefix = f"{paths.blob_prefix(project_id)}/layouts/{layout_id}/"
    bundle.artifacts += [f"artifacts/{name}" for name in runtime.blobs.list(prefix)]


def _matching(store: Any, collection: str, job_id: str) -> list[Snapshot]:
    found: list[Snapshot] = store.query(Query(collection, where=[Filter("job_id", "==", job_id)], limit=50))
    return found


def _mentioning(store: Any, collection: str, job_id: str) -> Iterator[Snapshot]:
    """Documents of ``collection`` (the newest ``SCAN_LIMIT``) whose content names the job,
    also inside base64 event data (a dead letter keeps the Pub/Sub message as sent)."""
    snapshots: list[Snapshot] = store.query(Query(collection, limit=SCAN_LIMIT))
    for snapshot in snapshots:
        text = json.dumps(snapshot.data, default=str)
        if job_id in text or job_id in _decoded(snapshot.data):
            yield snapshot


def _decoded(data: dict[str, Any]) -> str:
    event = data.get("event")
    raw = event.get("data") if isinstance(event, dict) else None
    if isinstance(raw, dict):
        raw = raw.get("message", {}).get("data") if isinstance(raw.get("message"), dict) else None
    if not isinstance(raw, str):
        return ""
    try:
        return base64.b64decode(raw, validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def read_log_lines(files: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Log entries from our JSON-lines files, or from ``gcloud logging read --format=json``
    output (a JSON array of entries whose ``jsonPayload`` is our line)."""
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if text.lstrip().startswith("["):
            try:
                entries = json.loads(text)
            except ValueError:
                entries = []
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    payload = entry.get("jsonPayload")
                    yield payload if isinstance(payload, dict) else entry
            continue
        for line in text.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue  # the server's banner and werkzeug's own lines
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                yield parsed


def job_log_lines(files: Iterable[Path], job_id: str) -> Iterator[dict[str, Any]]:
    """The lines that name the job, and every line of the correlation ids those carry (the
    request that created the job and each delivery of its events), in file order."""
    files = list(files)
    correlation_ids = {
        str(line["correlation_id"])
        for line in read_log_lines(files)
        if line.get("job_id") == job_id and line.get("correlation_id")
    }
    for line in read_log_lines(files):
        if line.get("job_id") == job_id or line.get("correlation_id") in correlation_ids:
            yield line


def default_log_files(runtime: Runtime) -> list[Path]:
    """The dev server's log in the data folder (``<data>/logs/archbuilder.jsonl`` and its
    rotations), oldest first."""
    folder = runtime.settings.data_dir / "logs"
    return sorted(folder.glob("archbuilder.jsonl*"), key=lambda p: p.name, reverse=True)


def write_bundle(bundle: DebugBundle, target: Path) -> Path:
    """Scrub and write the bundle as one zip archive."""
    target.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "tenant_id": bundle.tenant_id,
        "job_id": bundle.job_id,
        "created_at": format_timestamp(now()),
        "documents": sorted(bundle.documents),
        "events": sorted(bundle.events),
        "versions": bundle.versions,
        "log_lines": len(bundle.log_lines),
        "artifacts": sorted(bundle.artifacts),
        "removed": "credentials, e-mail and IP addresses, people's names, Stripe ids beyond "
        "prefix and four characters, the tenant's name",
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bundle.json", _json(scrub(summary)))
        for path, data in sorted(bundle.documents.items()):
            archive.writestr(f"documents/{path}.json", _json(scrub(data)))
        for path, data in sorted(bundle.events.items()):
            archive.writestr(f"events/{path}.json", _json(scrub(data)))
        archive.writestr(
            "logs.jsonl",
            "".join(json.dumps(scrub(line), ensure_ascii=False) + "\n" for line in bundle.log_lines),
        )
    return target


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n"
