"""Small shared model pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


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
