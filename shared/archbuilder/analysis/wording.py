"""The stored analysis with its sentences in the reader's language (tr, en, de, fr, es)."""

from __future__ import annotations

from archbuilder.analysis.report import ModelAnalysis
from archbuilder.platform.i18n import number_text, phrase

CATALOGUE = "analysis"


def label(key: str, language: str, **params: str | int | float) -> str:
    return phrase(CATALOGUE, f"label_{key}", language, params or None)


def worded(analysis: ModelAnalysis, language: str) -> ModelAnalysis:
    """A copy with every finding's ``message`` and every recommendation's ``text`` written in
    ``language``, numbers in its format."""
    findings = [
        f.model_copy(
            update={
                "message": phrase(
                    CATALOGUE, f.code, language, _numbers(f.params | {"count": f.count}, language)
                )
            }
        )
        for f in analysis.findings
    ]
    advice = [
        r.model_copy(
            update={"text": phrase(CATALOGUE, f"advice_{r.code}", language, _numbers(r.params, language))}
        )
        for r in analysis.recommendations
    ]
    return analysis.model_copy(update={"findings": findings, "recommendations": advice, "language": language})


def _numbers(params: dict[str, str | int | float], language: str) -> dict[str, str | int | float]:
    return {k: number_text(v, language) if isinstance(v, float) else v for k, v in params.items()}
