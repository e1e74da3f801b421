"""Recall@5 of the regulation library on the question set (tests/fixtures/regulations/questions/).

The five fixture documents (one a language, invented wording) are added through the real
``add_document`` path (sandboxed reader included); each question goes through the search use
case and through ``ask`` (the built-in provider behind ``POST /v1/regulations:ask``) with its
region and language. A question is answered at k when a passage among the first k carries one
of its expected citations, in its language's document.

Every third question of each language is held out: it was written with the others and was not
looked at while retrieval was tuned, and its recall is reported on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from archbuilder.regulations.library import RegulationLibrary
from archbuilder.services import regulations
from archbuilder.services.identity import Principal

QUESTIONS_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "regulations" / "questions"
QUESTIONS_FILE = QUESTIONS_DIR / "questions.yaml"
K = 5
TENANT = "ten_recall"


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    region: str
    expected: tuple[str, ...]
    document: str  # the title of the fixture that answers it
    holdout: bool


@dataclass
class Outcome:
    """Per question: the rank (1-based) of the first expected passage, or None beyond ``K``."""

    question: Question
    search_rank: int | None
    ask_rank: int | None
    search_citations: list[str | None] = field(default_factory=list)


def load_questions(path: Path = QUESTIONS_FILE) -> tuple[dict[str, dict[str, str]], list[Question]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    documents: dict[str, dict[str, str]] = raw["documents"]
    questions = [
        Question(
            text=item["q"],
            language=language,
            region=documents[language]["region"],
            expected=tuple(item["expected"]),
            document=documents[language]["title"],
            holdout=bool(item.get("holdout", False)),
        )
        for language, items in raw["questions"].items()
        for item in items
    ]
    return documents, questions


def principal(tenant_id: str = TENANT) -> Principal:
    return Principal(
        tenant_id=tenant_id, role="architect", language="en", code_region="TR", credential="bench"
    )


def add_fixtures(
    library: RegulationLibrary, documents: dict[str, dict[str, str]], tenant_id: str = TENANT
) -> None:
    """Add the question set's documents to ``tenant_id``'s library (the real path, sandbox included)."""
    for language, spec in documents.items():
        regulations.add_document(
            library,
            tenant_id,
            filename=spec["file"],
            data=(QUESTIONS_DIR / spec["file"]).read_bytes(),
            region=spec["region"],
            language=language,
            title=spec["title"],
        )


# The older fixtures of tests/fixtures/regulations/: the same subjects in the same languages
# and regions, other wording and numbers; added as distractors for a harder measure.
DISTRACTORS = {
    "tr_imar.txt": ("TR", "tr"),
    "de_bauordnung.html": ("DE", "de"),
    "fr_construction.txt": ("FR", "fr"),
    "es_edificacion.txt": ("ES", "es"),
    "en_residential.txt": ("US", "en"),
}


def add_distractors(library: RegulationLibrary, tenant_id: str = TENANT) -> None:
    for filename, (region, language) in DISTRACTORS.items():
        regulations.add_document(
            library,
            tenant_id,
            filename=filename,
            data=(QUESTIONS_DIR.parent / filename).read_bytes(),
            region=region,
            language=language,
            title=filename,
        )


def _rank(found: list[tuple[str | None, str]], question: Question) -> int | None:
    """The rank of the first passage of the question's document with an expected citation."""
    for rank, (citation, document) in enumerate(found[:K], start=1):
        if document == question.document and citation in question.expected:
            return rank
    return None


def evaluate(
    library: RegulationLibrary, questions: list[Question], *, with_language: bool = True
) -> list[Outcome]:
    """Each question through search (first ``K``) and ask (``K`` passages at most)."""
    caller = principal()
    outcomes = []
    for question in questions:
        language = question.language if with_language else None
        found = regulations.search(
            library, caller, question.text, region=question.region, language=language, limit=K
        )
        answer = regulations.ask(
            library,
            caller,
            question.text,
            region=question.region,
            language=language,
            reply_language=question.language,
            limit=K,
        )
        searched = [(r.citation, r.document) for r in found.results]
        asked = [(p.citation, p.document) for p in answer.passages]
        outcomes.append(
            Outcome(question, _rank(searched, question), _rank(asked, question), [c for c, _ in searched])
        )
    return outcomes


def recall(outcomes: list[Outcome], *, via: str = "search") -> float:
    if not outcomes:
        return 0.0
    hits = sum(1 for o in outcomes if (o.search_rank if via == "search" else o.ask_rank) is not None)
    return hits / len(outcomes)


def by_language(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        grouped[outcome.question.language].append(outcome)
    return dict(grouped)
