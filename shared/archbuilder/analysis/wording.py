"""The stored analysis with its sentences in the reader's language (tr, en, de, fr, es)."""

from __future__ import annotations

from dataclasses import dataclass

from archbuilder.analysis.report import ModelAnalysis, Recommendation, ReviewItem, StoreyReview
from archbuilder.layout.design_review import check_message
from archbuilder.platform.i18n import number_text, phrase

CATALOGUE = "analysis"
REVIEW = "design_review"
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
            "design_review": [_storey_worded(s, language) for s in analysis.design_review],
            "language": language,
            "phrased_by": advice.phrased_by,
        }
    )


def review_text(key: str, language: str) -> str:
    """A label of the design review catalogue (``check_<id>``, ``status_<status>`` …)."""
    return phrase(REVIEW, key, language)


def _storey_worded(storey: StoreyReview, language: str) -> StoreyReview:
    checks = [c.model_copy(update={"message": _check_text(c, language)}) for c in storey.checks]
    return storey.model_copy(update={"checks": checks})


def _check_text(check: ReviewItem, language: str) -> str:
    """The check's advice (the layout review's sentence with the spaces' names), or why the
    model cannot answer it; then the spaces it could not judge."""
    rooms = ", ".join(check.rooms)
    if check.reason is not None:
        text = phrase(REVIEW, f"reason_{check.reason}", language, {"rooms": rooms} if rooms else None)
    elif check.message_key is not None:
        text = check_message(check.message_key, language, check.rooms, check.value, {})
    else:
        text = ""
    if check.unjudged:
        text += " " + phrase(REVIEW, "unjudged", language, {"rooms": ", ".join(check.unjudged)})
    return text.strip()


def _numbers(params: dict[str, str | int | float], language: str) -> dict[str, str | int | float]:
    return {k: number_text(v, language) if isinstance(v, float) else v for k, v in params.items()}
