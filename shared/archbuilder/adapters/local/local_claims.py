"""The embedded ``Claims`` port: sign-in tokens signed with a local key, claims in the store.

There is no Firebase on a laptop, so a developer (or a test) mints an ID token for a uid
with ``issue_token``. A token is ``local.<payload>.<HMAC-SHA256>``, both parts URL-safe
base64; the payload carries the uid, the email (verified unless the issuer says otherwise),
the expiry and, like a Firebase ID token, the custom claims as they were when it was issued.
Claims live at ``local_claims/{uid}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from archbuilder.domain.ids import checked_id
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import Unauthenticated
from archbuilder.ports import DocumentStore, SignedInUser

PREFIX = "local."
COLLECTION = "local_claims"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LocalClaims:
    def __init__(self, store: DocumentStore, signing_key: bytes) -> None:
        self._store = store
        # Its own key, derived from the local signing key, so tokens and upload URLs never mix.
        self._key = hmac.new(signing_key, b"archbuilder-local-claims", hashlib.sha256).digest()

    def issue_token(
        self, uid: str, *, email: str | None = None, email_verified: bool = True, ttl_s: int = 3600
    ) -> str:
        """An ID token for ``uid`` carrying its current claims (what signing in does); like
        Firebase's, it says whether the email address was verified."""
        checked_id(uid, "user")
        payload: dict[str, Any] = {
            "uid": uid,
            "email": email,
            "email_verified": email_verified,
            "exp": int(time.time()) + ttl_s,
        }
        payload.update(self.claims_of(uid))
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return PREFIX + body + "." + _b64(self._sign(body))

    def claims_of(self, uid: str) -> dict[str, str]:
        found = self._store.get(f"{COLLECTION}/{checked_id(uid, 'user')}")
        if found is None:
            return {}
        return {k: str(found.data[k]) for k in ("tenant_id", "role") if k in found.data}

    def verify_signed_in(self, id_token: str) -> SignedInUser:
        payload = self._payload(id_token)
        tenant_id = payload.get("tenant_id")
        email = payload.get("email")
        return SignedInUser(
            uid=str(payload["uid"]),
            email=email if isinstance(email, str) else None,
            email_verified=isinstance(email, str) and payload.get("email_verified") is True,
            tenant_id=tenant_id if isinstance(tenant_id, str) and tenant_id else None,
        )

    def set_membership(self, uid: str, *, tenant_id: str, role: str) -> None:
        self._store.set(
            f"{COLLECTION}/{checked_id(uid, 'user')}",
            {"tenant_id": tenant_id, "role": role, "updated_at": format_timestamp(now())},
        )

    def clear_membership(self, uid: str) -> None:
        self._store.delete(f"{COLLECTION}/{checked_id(uid, 'user')}")

    def tenant_of(self, uid: str) -> str | None:
        return self.claims_of(uid).get("tenant_id") or None

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()

    def _payload(self, id_token: str) -> dict[str, Any]:
        if not id_token.startswith(PREFIX) or len(id_token) > 4096 or id_token.count(".") != 2:
            raise Unauthenticated(reason="invalid token")
        _, body, signature = id_token.split(".")
        try:
            valid = hmac.compare_digest(_unb64(signature), self._sign(body))
            payload = json.loads(_unb64(body)) if valid else None
        except (ValueError, UnicodeDecodeError) as exc:
            raise Unauthenticated(reason="invalid token") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("uid"), str):
            raise Unauthenticated(reason="invalid token")
        if not isinstance(payload.get("exp"), int) or payload["exp"] < time.time():
            raise Unauthenticated(reason="token expired")
        return payload
