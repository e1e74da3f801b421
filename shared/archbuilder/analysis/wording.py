"""The stored analysis with its sentences in the reader's language (tr, en, de, fr, es)."""

from __future__ import annotations

from dataclasses import dataclass

from archbuilder.analysis.report import ModelAnalysis, Recommendation
from archbuilder.platform.i18n import number_text, phrase

CATALOGUE = "analysis"
BUILTIN = "builtin"


@dataclass(frozen=True)
class Advice:
    """The recommendations' sentences, in the analysis' order, and who wrote them: ``builtin``
    (the templates) or the model provider that phrased them (``ai.tasks.phrase_recommendations``)."""

    texts: list[str]
    phrased_by: str = BUILTIN


def label(key: str, language: str, **params: str | int | float) -> str:
    return phrase(CATALOGUE, f"label_{key}", language, params or None)


def advice_text(recommendation: Recommendation, language: str) -> str:
    """A recommendation's sentence from its template (``advice_<code>`` in analysis.yaml)."""
    return phrase(
        CATALOGUE, f"advice_{recommendation.code}", language, _numbers(recommendation.params, language)
    )


def worded(analysis: ModelAnalysis, language: str, advice: Advice | None = None) -> ModelAnalysis:
    """A copy with every finding's ``message`` and every recommendation's ``text`` written in
    ``language``, numbers in its format. ``advice``: the recommendations' sentences as a model
    provider phrased them; without it (or when it does not fit), the templates'."""
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
    if advice is None or len(advice.texts) != len(analysis.recommendations):
        advice = Advice(texts=[advice_text(r, language) for r in analysis.recommendations])
    recommendations = [
        r.model_copy(update={"text": text})
        for r, text in zip(analysis.recommendations, advice.texts, strict=True)
    ]
    return analysis.model_copy(
        update={
            "findings": findings,
            "recommendations": recommendations,
            "language": language,
            "phrased_by": advice.phrased_by,
        }
    )


def _numbers(params: dict[str, str | int | float], language: str) -> dict[str, str | int | float]:
    return {k: number_text(v, language) if isinstance(v, float) else v for k, v in params.items()}
