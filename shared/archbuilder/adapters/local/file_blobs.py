"""BlobStore on a folder: the embedded default for Cloud Storage."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cloudevents.http import CloudEvent

from archbuilder.platform.errors import BadRequest, Conflict, NotFound, PermissionDenied
from archbuilder.platform.events import storage_finalized_event
from archbuilder.ports import SignedUrl


@dataclass(frozen=True)
class FinalizedObject:
    """What Cloud Storage reports when an object is written."""

    bucket: str
    name: str
    generation: int
    size: int
    content_type: str
    md5_base64: str

    def cloud_event(self) -> CloudEvent:
        """The ``object.finalized`` CloudEvent Eventarc would deliver for this write, now."""
        return storage_finalized_event(
            bucket=self.bucket,
            name=self.name,
            generation=self.generation,
            size=self.size,
            content_type=self.content_type,
            md5_base64=self.md5_base64,
            created_at=datetime.now(UTC),
        )


class FolderBlobStore:
    """A bucket as a folder: objects are files under ``root``; the generation is the file's
    mtime in nanoseconds. ``on_finalized`` is called after every write, as a bucket with a
    notification sends ``object.finalized``."""

    def __init__(
        self,
        root: Path | str,
        *,
        bucket: str = "local",
        on_finalized: Callable[[FinalizedObject], None] | None = None,
        signing_key: bytes = b"",
    ) -> None:
        self._root = Path(root).resolve()
        self._root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.bucket = bucket
        self._on_finalized = on_finalized
        self._signing_key = signing_key or os.urandom(32)

    def _file(self, name: str) -> Path:
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise BadRequest(code="INVALID_OBJECT_NAME", name=name[:200])
        return self._root.joinpath(*parts)

    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_generation_match: int | None = None,
    ) -> int:
        target = self._file(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            current = target.stat().st_mtime_ns if target.exists() else 0
            if if_generation_match is not None and current != if_generation_match:
                raise Conflict(code="GENERATION_MISMATCH", name=name)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
            generation = target.stat().st_mtime_ns
            if generation <= current:
                # Keep generations strictly increasing even on coarse clocks.
                generation = current + 1
                os.utime(target, ns=(generation, generation))
        if self._on_finalized is not None:
            md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
            self._on_finalized(FinalizedObject(self.bucket, name, generation, len(data), content_type, md5))
        return generation

    # -- signed uploads (the local stand-in for a V4 signed URL) ---------------

    def signed_upload_url(
        self, name: str, *, content_type: str, size_bytes: int, sha256: str, expires_in_s: int
    ) -> SignedUrl:
        """A path on the dev server that accepts exactly this object, until it expires."""
        self._file(name)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in_s)
        claims = {
            "o": name,
            "c": content_type,
            "s": size_bytes,
            "h": sha256,
            "e": int(expires_at.timestamp()),
        }
        body = (
            base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        )
        signature = hmac.new(self._signing_key, body.encode(), hashlib.sha256).hexdigest()
        return SignedUrl(
            url=f"/v1/uploads/{body}.{signature}",
            headers={"Content-Type": content_type},
            expires_at=expires_at,
        )

    def signed_download_url(self, name: str, *, expires_in_s: int) -> SignedUrl:
        """A path on the dev server that serves this object until it expires."""
        self._file(name)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in_s)
        body, signature = self._sign({"o": name, "e": int(expires_at.timestamp()), "d": 1})
        return SignedUrl(url=f"/v1/downloads/{body}.{signature}", headers={}, expires_at=expires_at)

    def read_signed_download(self, token: str) -> tuple[str, bytes]:
        """The object a download token names, if the token is genuine and not expired."""
        claims = self._verify(token)
        if not claims.get("d"):
            raise PermissionDenied(code="DOWNLOAD_LINK_INVALID")
        data = self.get(claims["o"])
        if data is None:
            raise NotFound(resource="file", id=claims["o"].rsplit("/", 1)[-1])
        return str(claims["o"]), data

    def _sign(self, claims: dict[str, Any]) -> tuple[str, str]:
        body = (
            base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        )
        return body, hmac.new(self._signing_key, body.encode(), hashlib.sha256).hexdigest()

    def _verify(self, token: str) -> dict[str, Any]:
        body, _, signature = token.partition(".")
        expected = hmac.new(self._signing_key, body.encode(), hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(signature, expected):
            raise PermissionDenied(code="DOWNLOAD_LINK_INVALID")
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if claims["e"] < datetime.now(UTC).timestamp():
            raise PermissionDenied(code="DOWNLOAD_LINK_INVALID")
        return claims

    def accept_signed_upload(self, token: str, data: bytes, content_type: str) -> str:
        """Check a PUT against its signed URL and store the object; returns the object name.

        Refuses a bad or expired signature, another content type, size or checksum than
        signed, and a second upload to the same name (the URL is single-use).
        """
        body, _, signature = token.partition(".")
        expected = hmac.new(self._signing_key, body.encode(), hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(signature, expected):
            raise PermissionDenied(code="UPLOAD_SIGNATURE_INVALID")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if claims["e"] < datetime.now(UTC).timestamp():
            raise PermissionDenied(code="UPLOAD_URL_EXPIRED")
        if content_type != claims["c"]:
            raise BadRequest(
                code="UPLOAD_CONTENT_TYPE_MISMATCH", expected=claims["c"], received=content_type[:100]
            )
        if len(data) != claims["s"]:
            raise BadRequest(code="UPLOAD_SIZE_MISMATCH", expected=claims["s"], received=len(data))
        if hashlib.sha256(data).hexdigest() != claims["h"]:
            raise BadRequest(code="UPLOAD_CHECKSUM_MISMATCH")
        try:
            self.put(claims["o"], data, content_type=content_type, if_generation_match=0)
        except Conflict as exc:
            raise Conflict(code="UPLOAD_ALREADY_RECEIVED") from exc
        return str(claims["o"])

    def get(self, name: str) -> bytes | None:
        target = self._file(name)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> list[str]:
        names = []
        for path in self._root.rglob("*"):
            if path.is_file() and not path.name.startswith(".upload-"):
                name = path.relative_to(self._root).as_posix()
                if name.startswith(prefix):
                    names.append(name)
        return sorted(names)

    def delete(self, name: str) -> None:
        self._file(name).unlink(missing_ok=True)
