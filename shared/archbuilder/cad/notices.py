"""What a CAD reader says about a file it read (what it skipped, guessed or corrected), as codes
with values (``ModelNotice``) worded in any language from ``platform/messages/cad.yaml``.

A model keeps its notices and, for logs and older clients, the same sentences in English
(``warnings``); the API words the notices in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable

from archbuilder.domain.building import BuildingModel, ModelNotice
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue, phrase

CATALOGUE = "cad"


def notice(code: str, **params: str | int | float) -> ModelNotice:
    """A notice ``code`` (a key of ``cad.yaml``) with the values its sentence names."""
    if code not in catalogue(CATALOGUE):
        raise KeyError(f"{code} is not in messages/{CATALOGUE}.yaml")
    return ModelNotice(code=code, params=params)


def notice_text(item: ModelNotice, language: str) -> str:
    """The notice as a sentence in ``language``, its numbers as the reader writes them."""
    return phrase(CATALOGUE, item.code, language, item.params)


def set_notices(model: BuildingModel, notices: Iterable[ModelNotice]) -> BuildingModel:
    """``model`` with ``notices`` and, as its ``warnings``, the same in English."""
    model.notices = list(notices)
    model.warnings = [notice_text(item, DEFAULT_LANGUAGE) for item in model.notices]
    return model


def three_digits(value: float) -> float:
    """``value`` to three significant digits, as a notice shows a size it doubts (42.8, 110)."""
    return float(f"{value:.3g}")
