"""What the checks of a model's prose refuse (``ai/answer_checks.py`` and the ``check`` of
``tasks.phrase_recommendations``), each case answered by the real OpenAI SDK from the fake
Responses server: an answer that breaks a rule is refused and the templates are served."""

from __future__ import annotations

from typing import Any

import pytest

from archbuilder.ai.answer_checks import (
    check_citations,
    check_coded_words,
    check_language,
    check_numbers,
    number_allowed,
)
from archbuilder.ai.language_model import OutputInvalid
from archbuilder.ai.tasks import phrase_recommendations
from archbuilder.analysis.report import Finding, ModelAnalysis, Performance, Recommendation
from archbuilder.analysis.wording import advice_text
from archbuilder.platform.i18n import catalogue, phrase
from archbuilder.runtime import Runtime
from tests.unit.ai.conftest import openai_router
from tests.unit.ai.fake_servers import FakeOpenAI

ANALYSIS = ModelAnalysis(
    model_id="mdl_1",
    source_format="ifc",
    findings=[
        Finding(id="F1", category="health", code="door_window_fills_no_opening", severity="warning", count=5),
        Finding(
            id="F2",
            category="performance",
            code="heavy_elements",
            severity="warning",
            count=3,
            params={"limit": 5000, "most": 12873},
        ),
        Finding(id="F3", category="health", code="missing_georeference", severity="info", count=1),
    ],
    performance=Performance(file_bytes=1000, elements=10),
    recommendations=[
        Recommendation(rank=1, code="fix_openings", params={"count": 5}, finding_ids=["F1"]),
        Recommendation(rank=2, code="simplify_geometry", params={"count": 3}, finding_ids=["F2"]),
        Recommendation(rank=3, code="georeference", params={"count": 1}, finding_ids=["F3"]),
    ],
)
GOOD = [
    {"rank": 1, "finding_ids": ["F1"], "text": "Put the 5 doors and windows of F1 into their walls."},
    {
        "rank": 2,
        "finding_ids": ["F2"],
        "text": "Simplify the 3 heaviest elements (up to 12,873 points each).",
    },
    {"rank": 3, "finding_ids": ["F3"], "text": "Georeference the model so that it lines up with the site."},
]


def _with(index: int, **change: Any) -> list[dict[str, Any]]:
    items = [dict(item) for item in GOOD]
    items[index].update(change)
    return items


REFUSED: dict[str, list[dict[str, Any]]] = {
    "a number no finding holds": _with(0, text="Put the 42 doors and windows into their walls."),
    "a number of another recommendation's finding": _with(0, text="Put the 3 doors of F1 into their walls."),
    "a finding that does not exist": _with(0, text="Put the 5 doors of F1 and F9 into their walls."),
    "a finding the item does not point at": _with(0, text="Put the 5 doors of F2 into their walls."),
    "an element id": _with(0, text="Put door 2O2Fr$t4X7Zf8NOew3FLOH and the others into their walls."),
    "a recommendation dropped": GOOD[:2],
    "the ranking changed": [GOOD[1] | {"rank": 1}, GOOD[0] | {"rank": 2}, GOOD[2]],
    "the findings changed": _with(2, finding_ids=["F3", "F1"]),
    "another language": [
        {**item, "text": text}
        for item, text in zip(
            GOOD,
            [
                "Setzen Sie die 5 Türen und Fenster in ihre Wände.",
                "Vereinfachen Sie die 3 schwersten Elemente.",
                "Georeferenzieren Sie das Modell mit dem Grundstück.",
            ],
            strict=True,
        )
    ],
}


def test_a_good_phrasing_is_used(runtime: Runtime, fake_openai: FakeOpenAI) -> None:
    fake_openai.output = {"items": GOOD}
    advice = phrase_recommendations(
        ANALYSIS, "en", tenant_id="tnt_good", runtime=runtime, router=openai_router(runtime, fake_openai.url)
    )
    assert advice.phrased_by == "openai" and advice.texts == [item["text"] for item in GOOD]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_phrasing_that_breaks_a_rule_gives_the_templates(
    case: str, runtime: Runtime, fake_openai: FakeOpenAI
) -> None:
    fake_openai.output = {"items": REFUSED[case]}
    advice = phrase_recommendations(
        ANALYSIS,
        "en",
        tenant_id="tnt_refused",
        runtime=runtime,
        router=openai_router(runtime, fake_openai.url),
    )
    assert len(fake_openai.requests) == 1, case
    assert advice.phrased_by == "builtin", case
    assert advice.texts == [advice_text(r, "en") for r in ANALYSIS.recommendations]


def test_numbers_may_be_written_the_readers_way_or_a_fraction_rounded() -> None:
    assert number_allowed("12,873", [12873]) and number_allowed("12.873", [12873])
    assert number_allowed("19,4", [19.43]) and number_allowed("19", [19.43])
    assert not number_allowed("20", [19.43]) and not number_allowed("42", [5, 3, 1])


def test_language_markers() -> None:
    check_language("Kapı ve pencereleri duvarlarına yerleştirin (5 öğe).", "tr")
    check_language("Placez les portes et les fenêtres dans leurs murs.", "fr")
    check_language("Coloque las puertas y ventanas en sus muros.", "es")
    with pytest.raises(OutputInvalid):
        check_language("Put the doors and windows into their walls.", "tr")
    with pytest.raises(OutputInvalid):
        check_language("12 / 5", "en")


def test_citations_must_be_given_and_retrieved() -> None:
    cites = ["Madde 29 (1)", "Madde 30"]
    assert check_citations("En az 9 m² [Madde 29 (1)]; bkz. [madde 30].", cites) == [
        "Madde 29 (1)",
        "madde 30",
    ]
    with pytest.raises(OutputInvalid):
        check_citations("no minimum applies", cites)
    with pytest.raises(OutputInvalid):
        check_citations("no minimum applies [Madde 99]", cites)


def test_every_template_passes_the_checks_in_every_language() -> None:
    """The built-in answer goes through the same check: a template it refused would leave no answer."""
    for key in (k for k in catalogue("analysis") if k.startswith("advice_")):
        for language in ("tr", "en", "de", "fr", "es"):
            text = phrase("analysis", key, language, {"count": 7})
            check_language(text, language)
            check_numbers(text, [7], where=key)
            check_coded_words(text, set(), set(), set(), where=key)
