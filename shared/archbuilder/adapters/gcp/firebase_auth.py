"""Firebase Auth ID tokens for people: verified with firebase-admin, tenant and role from custom claims.

The tenant and role are custom claims set by our member management (``tenant_id``,
``role``), never anything the request says. Sensitive routes ask for the revocation check,
which costs one call to the Auth API per request.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import firebase_admin  # type: ignore[import-untyped]
from firebase_admin import auth

from archbuilder.domain.tenancy import Role
from archbuilder.platform.errors import Unauthenticated
from archbuilder.ports import SignedInUser

ROLES = tuple(role.value for role in Role)


@dataclass(frozen=True)
class FirebaseIdentity:
    uid: str
    tenant_id: str
    role: str
    email: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


class FirebaseTokenVerifier:
    """Verifies ID tokens of one Firebase project (the Auth emulator when
    ``FIREBASE_AUTH_EMULATOR_HOST`` is set), and is the ``Claims`` port in the cloud."""

    def __init__(self, project: str, *, app: firebase_admin.App | None = None) -> None:
        self.app = app or _app_for(project)

    def verify(self, id_token: str, *, check_revoked: bool = False) -> FirebaseIdentity:
        claims = self._claims_of(id_token, check_revoked=check_revoked)
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

    def verify_signed_in(self, id_token: str) -> SignedInUser:
        """A valid, unrevoked ID token of anyone signed in, member of a tenant or not (accepting
        an invitation)."""
        claims = self._claims_of(id_token, check_revoked=True)
        tenant_id = claims.get("tenant_id")
        email = claims.get("email")
        return SignedInUser(
            uid=str(claims["uid"]),
            email=email if isinstance(email, str) else None,
            email_verified=bool(claims.get("email_verified")),
            tenant_id=tenant_id if isinstance(tenant_id, str) and tenant_id else None,
        )

    def _claims_of(self, id_token: str, *, check_revoked: bool) -> dict[str, Any]:
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
        return claims

    def set_membership(self, uid: str, *, tenant_id: str, role: str) -> None:
        """Write the custom claims; they reach the user's next ID token."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        auth.set_custom_user_claims(uid, {"tenant_id": tenant_id, "role": role}, app=self.app)

    def clear_membership(self, uid: str) -> None:
        """Drop the tenant claims; the person's next ID token belongs to no tenant."""
        # A Firebase account that is gone already carries no claims either.
        with contextlib.suppress(auth.UserNotFoundError):
            auth.set_custom_user_claims(uid, None, app=self.app)

    def tenant_of(self, uid: str) -> str | None:
        """The ``tenant_id`` custom claim stored on the account (one Auth API call)."""
        try:
            user = auth.get_user(uid, app=self.app)
        except auth.UserNotFoundError:
            return None
        tenant_id = (user.custom_claims or {}).get("tenant_id")
        return tenant_id if isinstance(tenant_id, str) and tenant_id else None

    def revoke(self, uid: str) -> None:
        """Revoke every refresh token; ID tokens issued before fail the revocation check."""
        auth.revoke_refresh_tokens(uid, app=self.app)


# The ``Claims`` port in the cloud.
FirebaseClaims = FirebaseTokenVerifier


def _app_for(project: str) -> firebase_admin.App:
    name = f"archbuilder-{project}"
    try:
        return firebase_admin.get_app(name)
    except ValueError:
        # No explicit credential: application default credentials in the cloud; the
        # emulator needs none.
        return firebase_admin.initialize_app(options={"projectId": project}, name=name)
