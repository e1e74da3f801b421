"""Small shared model pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


def utcnow() -> datetime:
    return datetime.now(UTC)


class StrictModel(BaseModel):
    """Input model: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Language(StrEnum):
    tr = "tr"
    en = "en"
    de = "de"
    fr = "fr"
    es = "es"


class DataRegion(StrEnum):
    """Data-residency region a tenant is pinned to."""

    eu = "eu"
    us = "us"
    asia = "asia"


class CodeRegion(StrEnum):
    """Building-code region (country); subdivisions come with the compliance engine."""

    TR = "TR"
    DE = "DE"
    FR = "FR"
    ES = "ES"
    US = "US"
