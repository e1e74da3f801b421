"""Tenants, their members and API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from archbuilder.domain.common import DataRegion, Language, RegionCode, StrictModel, invalid
from archbuilder.domain.timestamps import Timestamp


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    architect = "architect"
    viewer = "viewer"
    billing = "billing"


class Tenant(BaseModel):
    id: str
    name: str
    data_region: DataRegion
    code_region: RegionCode
    language: Language
    plan: str = "free"
    status: str = "active"
    created_at: Timestamp


class Member(BaseModel):
    """A person of the tenant, at ``tenants/{t}/members/{uid}`` (uid = their Firebase uid)."""

    uid: str
    role: Role
    email: str | None = None
    created_at: Timestamp
    updated_at: Timestamp | None = None
    invited_by: str | None = None  # the actor who sent the invitation


class MemberList(BaseModel):
    items: list[Member]
    next_page_token: str | None = None


class MemberUpdate(StrictModel):
    role: Role


class MemberChanged(BaseModel):
    """A member's role changed; their claims carry it from their next ID token on."""

    member: Member
    claims_updated: bool
    # The changed member's app should refresh its ID token (``getIdToken(true)``); the API
    # itself honours the new role at once.
    refresh_id_token: bool = True


class MemberRemoveQuery(StrictModel):
    # Also pseudonymise the member's audit entries and review history (GDPR / KVKK); owners only.
    erase: bool = False


class MemberRemoved(BaseModel):
    uid: str
    removed: bool  # False when only a former member's audit entries were erased
    erased: bool
    pseudonym: str | None = None  # what the audit log now says instead of ``user:<uid>``
    audit_entries_pseudonymised: int = 0
    # Other records that named them: review decisions, corrected versions, review assignments,
    # the invitations they sent and the members those invitations brought in.
    records_pseudonymised: int = 0


EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class InvitationCreate(StrictModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    role: Role = Role.architect
    expires_in_days: int = Field(default=7, ge=1, le=30)

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str) -> str:
        return email.lower()


class Invitation(BaseModel):
    """As stored at ``tenants/{t}/invitations/{sha256 of the token}``; the token itself is never kept."""

    id: str
    tenant_id: str
    email: str
    role: Role
    created_at: Timestamp
    expires_at: Timestamp
    invited_by: str
    accepted_at: Timestamp | None = None
    accepted_by: str | None = None  # the uid that accepted


class InvitationPublic(BaseModel):
    id: str
    email: str
    role: Role
    created_at: Timestamp
    expires_at: Timestamp


class InvitationCreated(InvitationPublic):
    """Returned once: the token goes to the invitee (in the link the web app mails)."""

    token: str
    # POST ``{"token": …}`` here with the invitee's Firebase ID token. The token travels in the
    # body, never in a URL, so no load balancer, proxy or browser history records it.
    accept_path: str


class InvitationAccept(StrictModel):
    token: str = Field(min_length=1, max_length=200)


class InvitationAccepted(BaseModel):
    tenant_id: str
    member: Member
    # The new claims reach the next ID token: refresh it (``getIdToken(true)``) before
    # calling the API as a member.
    refresh_id_token: bool = True


class ApiKeyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.architect
    # Limit the key to these actions (see domain/permissions.py); empty = everything the role allows.
    scopes: list[str] = Field(default_factory=list, max_length=20)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        from archbuilder.domain.permissions import ACTIONS

        unknown = [s for s in scopes if s not in ACTIONS]
        if unknown:
            raise invalid("unknown_scopes", unknown=", ".join(unknown), known=", ".join(ACTIONS))
        return sorted(set(scopes))


class ApiKeyRotate(StrictModel):
    # How long the old key keeps working after the new one is issued.
    overlap_hours: float = Field(default=24, ge=0, le=24 * 30)


class ApiKey(BaseModel):
    """An API key as stored (document id = SHA-256 of the key; the key itself is never kept)."""

    key_id: str
    tenant_id: str
    name: str
    role: Role
    prefix: str
    scopes: list[str] = Field(default_factory=list)
    created_at: Timestamp
    expires_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
    last_used_at: Timestamp | None = None
    rotated_to: str | None = None  # key_id of the key that replaced this one

    def is_active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    role: Role
    scopes: list[str]
    prefix: str
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None


class ApiKeyCreated(ApiKeyPublic):
    """Returned once, at creation: the only time the key is shown."""

    api_key: str


class ApiKeyList(BaseModel):
    items: list[ApiKeyPublic]
    next_page_token: str | None = None


class Me(BaseModel):
    tenant_id: str
    tenant_name: str
    role: Role
    data_region: DataRegion
    code_region: RegionCode
    language: Language
    plan: str
    credential: str
    api_key_id: str | None = None
    user_id: str | None = None  # the Firebase uid of a signed-in person
    scopes: list[str] = Field(default_factory=list)
