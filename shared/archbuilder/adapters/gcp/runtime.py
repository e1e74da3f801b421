"""The runtime on Google Cloud (or on the emulators): every port on its Google adapter.

Settings of its own (env prefix ``ARCHBUILDER_``) say which database, buckets and topics;
names may contain ``{project}`` and ``{region}``, filled from the main settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from archbuilder.platform.settings import Settings
from archbuilder.ports import Secrets
from archbuilder.runtime import Runtime

INDEXES_PATH = Path(__file__).resolve().parents[4] / "firestore.indexes.json"


class GcpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARCHBUILDER_", env_file=".env", extra="ignore")

    firestore_database: str = "archbuilder-{region}"
    uploads_bucket: str = "{project}-uploads-{region}"
    artifacts_bucket: str = "{project}-artifacts-{region}"
    topic_prefix: str = ""
    # Upload URLs: signed by this service account through IAM signBlob (the function's own
    # account when unset), or with a key file (local and tests only).
    signing_key_file: Path | None = None
    signed_url_endpoint: str | None = None
    secret_cache_ttl_s: float = 300.0
    # ``env``: secrets from ARCHBUILDER_SECRET_* (emulated runs: Secret Manager has no emulator).
    secrets_backend: Literal["secret-manager", "env"] = "secret-manager"
    # Fail queries that need an undeclared composite index, as Firestore does (emulated runs).
    strict_indexes: bool = False
    # Firestore or Pub/Sub out of reach: how long one call (with its retries) may take before
    # the request answers 503 STORE_UNAVAILABLE / BUS_UNAVAILABLE (docs/operations.md).
    firestore_rpc_deadline_s: float = 10.0
    pubsub_publish_timeout_s: float = 10.0

    def resolve(self, template: str, settings: Settings) -> str:
        return template.format(project=settings.gcp_project, region=settings.data_region)


def build_gcp_runtime(settings: Settings, gcp: GcpSettings | None = None) -> Runtime:
    """Firestore, Cloud Storage, Pub/Sub and Secret Manager for ``settings.gcp_project``.

    On the emulators the clients follow ``FIRESTORE_EMULATOR_HOST``, ``PUBSUB_EMULATOR_HOST``
    and ``STORAGE_EMULATOR_HOST``.
    """
    from google.cloud import firestore, storage  # type: ignore[attr-defined]  # storage: no py.typed
    from google.oauth2 import service_account

    from archbuilder.adapters.gcp.firebase_auth import FirebaseClaims
    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore
    from archbuilder.adapters.gcp.gcs_blobs import GcsBlobStore
    from archbuilder.adapters.gcp.indexes import IndexCatalog
    from archbuilder.adapters.gcp.pubsub_bus import PubSubEventBus
    from archbuilder.adapters.gcp.secret_manager import SecretManagerSecrets
    from archbuilder.layout.planner import SpinePlanner

    gcp = gcp or GcpSettings()
    project = settings.gcp_project
    if project is None:
        raise ValueError("build_gcp_runtime needs ARCHBUILDER_GCP_PROJECT")
    indexes = IndexCatalog.load(INDEXES_PATH) if gcp.strict_indexes else None
    store = FirestoreDocumentStore(
        firestore.Client(project=project, database=gcp.resolve(gcp.firestore_database, settings)),
        indexes=indexes,
        rpc_deadline_s=gcp.firestore_rpc_deadline_s,
    )
    signer = (
        service_account.Credentials.from_service_account_file(str(gcp.signing_key_file))  # type: ignore[no-untyped-call]
        if gcp.signing_key_file
        else None
    )
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        client = storage.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    else:
        client = storage.Client(project=project)

    def bucket(template: str) -> GcsBlobStore:
        return GcsBlobStore(
            client,
            gcp.resolve(template, settings),
            signer=signer,
            signed_url_endpoint=gcp.signed_url_endpoint,
        )

    secrets: Secrets
    if gcp.secrets_backend == "env":
        from archbuilder.adapters.local.env_secrets import EnvironmentSecrets

        secrets = EnvironmentSecrets()
    else:
        secrets = SecretManagerSecrets(project, ttl_s=gcp.secret_cache_ttl_s)
    return Runtime(
        settings=settings,
        store=store,
        blobs=bucket(gcp.artifacts_bucket),
        uploads=bucket(gcp.uploads_bucket),
        bus=PubSubEventBus(project, topic_prefix=gcp.topic_prefix, timeout_s=gcp.pubsub_publish_timeout_s),
        secrets=secrets,
        planner=SpinePlanner(),
        # People's custom claims: the Firebase project is the Google Cloud project unless set.
        claims=FirebaseClaims(settings.firebase_project or project),
    )
