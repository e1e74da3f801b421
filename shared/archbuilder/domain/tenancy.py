"""Tenants, their members and API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from archbuilder.domain.common import DataRegion, Language, RegionCode, StrictModel
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
    uid: str
    role: Role
    email: str | None = None
    created_at: Timestamp


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
            raise ValueError(f"unknown scopes {unknown}; known: {', '.join(ACTIONS)}")
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
    scopes: list[str] = Field(default_factory=list)
