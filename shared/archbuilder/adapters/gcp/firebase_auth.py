"""Firebase Auth ID tokens for people: verified with firebase-admin, tenant and role from custom claims.

The tenant and role are custom claims set by our member management (``tenant_id``,
``role``), never anything the request says. Sensitive routes ask for the revocation check,
which costs one call to the Auth API per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import firebase_admin  # type: ignore[import-untyped]
from firebase_admin import auth

from archbuilder.platform.errors import Unauthenticated

ROLES = ("owner", "admin", "architect", "viewer")


@dataclass(frozen=True)
class FirebaseIdentity:
    uid: str
    tenant_id: str
    role: str
    email: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


class FirebaseTokenVerifier:
    """Verifies ID tokens of one Firebase project (the Auth emulator when
    ``FIREBASE_AUTH_EMULATOR_HOST`` is set)."""

    def __init__(self, project: str, *, app: firebase_admin.App | None = None) -> None:
        self.app = app or _app_for(project)

    def verify(self, id_token: str, *, check_revoked: bool = False) -> FirebaseIdentity:
        try:
            claims: dict[str, Any] = auth.verify_id_token(id_token, app=self.app, check_revoked=check_revoked)
        except auth.RevokedIdTokenError as exc:
            raise Unauthenticated(reason="token revoked") from exc
        except auth.ExpiredIdTokenError as exc:
            raise Unauthenticated(reason="token expired") from exc
        except auth.UserDisabledError as exc:
            raise Unauthenticated(reason="user disabled") from exc
        except (auth.InvalidIdTokenError, ValueError) as exc:
            raise Unauthenticated(reason="invalid token") from exc
        tenant_id, role = claims.get("tenant_id"), claims.get("role")
        if not isinstance(tenant_id, str) or not tenant_id or role not in ROLES:
            # A signed-in person who is not a member of any tenant yet.
            raise Unauthenticated(reason="no tenant membership")
        return FirebaseIdentity(
            uid=str(claims["uid"]),
            tenant_id=tenant_id,
            role=str(role),
            email=claims.get("email"),
            claims=claims,
        )

    def set_membership(self, uid: str, *, tenant_id: str, role: str) -> None:
        """Write the custom claims; they reach the user's next ID token."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        auth.set_custom_user_claims(uid, {"tenant_id": tenant_id, "role": role}, app=self.app)

    def revoke(self, uid: str) -> None:
        """Revoke every refresh token; ID tokens issued before fail the revocation check."""
        auth.revoke_refresh_tokens(uid, app=self.app)


def _app_for(project: str) -> firebase_admin.App:
    name = f"archbuilder-{project}"
    try:
        return firebase_admin.get_app(name)
    except ValueError:
        # No explicit credential: application default credentials in the cloud; the
        # emulator needs none.
        return firebase_admin.initialize_app(options={"projectId": project}, name=name)
