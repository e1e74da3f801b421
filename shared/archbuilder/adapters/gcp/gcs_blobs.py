"""BlobStore on a Cloud Storage bucket (regional; one per data region).

Writes carry generation preconditions so that a retried write never clobbers a newer
object (``if_generation_match=0``: only if absent). Upload URLs are V4 signed PUT URLs
whose signed headers pin the content type, the exact size and "create only", so the
client can neither send another file nor overwrite one already received.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth
import google.auth.transport.requests
from google.api_core import exceptions as gexc
from google.auth import credentials as ga_credentials
from google.cloud import storage  # type: ignore[attr-defined]  # no py.typed

from archbuilder.platform.errors import BadRequest, Conflict
from archbuilder.ports import SignedUrl


def check_name(name: str) -> None:
    """The object names the embedded store accepts, and no others."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise BadRequest(code="INVALID_OBJECT_NAME", name=name[:200])


class GcsBlobStore:
    """One bucket. ``signer``: credentials with a private key (a service-account key; tests);
    without one, URLs are signed through the IAM signBlob API with the runtime's service
    account, which needs ``roles/iam.serviceAccountTokenCreator`` on itself."""

    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        *,
        signer: ga_credentials.Signing | None = None,
        signed_url_endpoint: str | None = None,
    ) -> None:
        self._client = client
        self._bucket = client.bucket(bucket)
        self.bucket = bucket
        self._signer = signer
        self._endpoint = signed_url_endpoint

    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_generation_match: int | None = None,
    ) -> int:
        check_name(name)
        blob = self._bucket.blob(name)
        try:
            blob.upload_from_string(data, content_type=content_type, if_generation_match=if_generation_match)
        except gexc.PreconditionFailed as exc:
            raise Conflict(code="GENERATION_MISMATCH", name=name) from exc
        return int(blob.generation or 0)

    def get(self, name: str) -> bytes | None:
        check_name(name)
        try:
            return bytes(self._bucket.blob(name).download_as_bytes())
        except gexc.NotFound:
            return None

    def generation(self, name: str) -> int | None:
        """The live generation of ``name``, or None when there is no such object."""
        check_name(name)
        blob = self._bucket.get_blob(name)
        return int(blob.generation) if blob is not None and blob.generation else None

    def list(self, prefix: str) -> list[str]:
        return sorted(str(b.name) for b in self._client.list_blobs(self.bucket, prefix=prefix))

    def delete(self, name: str) -> None:
        check_name(name)
        with contextlib.suppress(gexc.NotFound):
            self._bucket.blob(name).delete()

    def signed_upload_url(
        self, name: str, *, content_type: str, size_bytes: int, sha256: str, expires_in_s: int
    ) -> SignedUrl:
        check_name(name)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in_s)
        # Every header here is signed: the client must send exactly these values.
        extra = {
            "x-goog-content-length-range": f"{size_bytes},{size_bytes}",
            "x-goog-if-generation-match": "0",
            "x-goog-meta-sha256": sha256,
        }
        kwargs = self._signing_kwargs()
        url = self._bucket.blob(name).generate_signed_url(
            version="v4",
            expiration=timedelta(seconds=expires_in_s),
            method="PUT",
            content_type=content_type,
            headers=extra,
            **kwargs,
        )
        return SignedUrl(url=url, headers={"Content-Type": content_type, **extra}, expires_at=expires_at)

    def signed_download_url(self, name: str, *, expires_in_s: int) -> SignedUrl:
        """A V4 signed GET URL for the object."""
        check_name(name)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in_s)
        url = self._bucket.blob(name).generate_signed_url(
            version="v4", expiration=timedelta(seconds=expires_in_s), method="GET", **self._signing_kwargs()
        )
        return SignedUrl(url=url, headers={}, expires_at=expires_at)

    def _signing_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self._signer is not None:
            kwargs["credentials"] = self._signer
        else:
            kwargs.update(_iam_signing())
        if self._endpoint:
            kwargs["api_access_endpoint"] = self._endpoint
        return kwargs


def _iam_signing() -> dict[str, Any]:
    """Sign with the runtime's own service account (Cloud Functions has no private key)."""
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    email = getattr(credentials, "service_account_email", None)
    return {"service_account_email": email, "access_token": credentials.token}
