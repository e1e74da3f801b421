"""Small shared model pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from archbuilder.platform.i18n import phrase


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
    """Building-code country."""

    TR = "TR"
    DE = "DE"
    FR = "FR"
    ES = "ES"
    US = "US"


REGION_PATTERN = r"^(TR|DE|FR|ES|US)(-[A-Z0-9]{1,3})?$"
# A building-code region: a country, optionally with a subdivision (DE-BY, ES-CT, US-CA).
RegionCode = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]


def country_of(region: str) -> CodeRegion:
    """``DE-BY`` → ``DE``."""
    return CodeRegion(region.split("-", 1)[0])


IMPERIAL_COUNTRIES = frozenset({CodeRegion.US})  # codes and drawings in feet and inches


def builds_imperial(region: str | None) -> bool:
    """Whether a code region (``US``, ``US-CA``) measures in feet and inches."""
    return region is not None and country_of(region) in IMPERIAL_COUNTRIES


def invalid(error_type: str, **context: Any) -> PydanticCustomError:
    """The error a validator raises for a value it refuses: its ``type`` is a key of
    ``platform/messages/validation.yaml`` (the HTTP edge words it in the caller's language),
    its English message that entry's English text with ``context`` filled in."""
    return PydanticCustomError(error_type, phrase("validation", error_type, "en"), context)
