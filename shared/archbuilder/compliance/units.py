"""Units of rule values: conversion to the engine's units at load, and display in the report.

The engine compares in millimetres (lengths), square metres (areas), cubic metres
(volumes), plain ratios and counts. Rules keep the unit their source states (PAİY in
metres, IRC in feet and inches); regions that build in imperial units see imperial values.
"""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction

from archbuilder.platform.i18n import number_text, with_percent


class Quantity(StrEnum):
    length = "length"  # engine unit: mm
    area = "area"  # m²
    volume = "volume"  # m³
    ratio = "ratio"  # plain number, 0.125 = 12.5 %
    items = "count"  # a number of things (rooms, windows, exits)


# unit → (quantity, factor to the engine unit)
UNITS: dict[str, tuple[Quantity, float]] = {
    "mm": (Quantity.length, 1.0),
    "cm": (Quantity.length, 10.0),
    "m": (Quantity.length, 1000.0),
    "in": (Quantity.length, 25.4),
    "ft": (Quantity.length, 304.8),
    "m2": (Quantity.area, 1.0),
    "ft2": (Quantity.area, 0.09290304),
    "m3": (Quantity.volume, 1.0),
    "ft3": (Quantity.volume, 0.028316846592),
    "ratio": (Quantity.ratio, 1.0),
    "percent": (Quantity.ratio, 0.01),
    "count": (Quantity.items, 1.0),
}
IMPERIAL_UNITS = frozenset({"in", "ft", "ft2", "ft3"})


def quantity_of(unit: str) -> Quantity:
    return UNITS[unit][0]


def to_engine(value: float, unit: str) -> float:
    """``value`` in ``unit`` → the engine unit of its quantity (7 ft → 2133.6 mm)."""
    return value * UNITS[unit][1]


def from_engine(value: float, unit: str) -> float:
    return value / UNITS[unit][1]


def display_unit(quantity: Quantity, rule_unit: str, imperial: bool) -> str:
    """The unit a finding reports in: the rule's own unit when it fits the region's system."""
    if quantity is Quantity.length:
        if imperial:
            return rule_unit if rule_unit in ("ft", "in") else "in"
        return "m"
    if quantity is Quantity.area:
        return "ft2" if imperial else "m2"
    if quantity is Quantity.volume:
        return "ft3" if imperial else "m3"
    if quantity is Quantity.ratio:
        return "percent" if rule_unit == "percent" else "ratio"
    return "count"


_DECIMALS = {
    "m": 2,
    "in": 2,
    "ft": 3,
    "m2": 2,
    "ft2": 1,
    "m3": 2,
    "ft3": 1,
    "ratio": 3,
    "percent": 1,
    "count": 0,
}
_SYMBOLS = {
    "m": "m",
    "m2": "m²",
    "m3": "m³",
    "ft2": "ft²",
    "ft3": "ft³",
    "ratio": "",
    "percent": "%",
    "count": "",
}


def rounded(value: float, unit: str) -> float:
    return round(value, _DECIMALS.get(unit, 2))


def feet_inches(mm: float) -> str:
    """A length as architects write it in the US: ``7 ft 2½ in`` (to the nearest quarter inch)."""
    quarters = round(mm / 25.4 * 4)
    sign = "-" if quarters < 0 else ""
    quarters = abs(quarters)
    feet, rest = divmod(quarters, 48)
    whole, frac = divmod(rest, 4)
    fraction = {0: "", 1: "¼", 2: "½", 3: "¾"}[frac]
    return f"{sign}{feet} ft {whole}{fraction} in"


def formatted(engine_value: float, quantity: Quantity, unit: str, language: str) -> str:
    """A value for a message as a reader of ``language`` writes it: ``2.20 m`` (``2,20 m`` in tr,
    de, fr and es), ``7 ft 2½ in``, ``96.9 ft²``, ``0.125``, ``3``, ``12.5%`` (``%12,5`` in tr)."""
    if quantity is Quantity.length and unit in ("ft", "in"):
        return feet_inches(engine_value)
    shown = from_engine(engine_value, unit)
    decimals = _DECIMALS.get(unit, 2)
    text = number_text(shown, language, decimals) if decimals else str(int(round(shown)))
    if unit == "percent":
        return with_percent(text, language)
    symbol = _SYMBOLS.get(unit, unit)
    return f"{text} {symbol}" if symbol else text


def fraction_text(value: float) -> str:
    """A ratio as a fraction when it is a simple one (0.125 → 1/8), else as a number."""
    frac = Fraction(value).limit_denominator(20)
    if abs(float(frac) - value) < 1e-9 and frac.numerator == 1:
        return f"1/{frac.denominator}"
    return f"{value:.3f}"
