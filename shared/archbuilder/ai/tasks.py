"""The AI tasks as functions: read a brief, propose a programme, explain compliance findings,
revise a brief from an architect's feedback, phrase a model analysis' recommendations, answer a
question from the regulation library's passages.

Each builds its prompt from a versioned file, hands the call to the router (which picks
the provider and records cost), and checks the answer against our own models before it
is passed on: an answer that does not make a valid ``Brief`` is a failed call, and the
router falls back, unless the text itself asks for an impossible programme (the caller's
error, 422 ``PROMPT_BRIEF_INVALID``: see ``parse_brief``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from archbuilder.ai.answer_checks import (
    check_citations,
    check_coded_words,
    check_language,
    check_numbers,
    coded_words,
)
from archbuilder.ai.brief_drafts import draft_to_brief, read_plannable_brief
from archbuilder.ai.brief_edits import apply_edits
from archbuilder.ai.brief_reader import LANGUAGES, detect_language, say
from archbuilder.ai.builtin_provider import BuiltinProvider
from archbuilder.ai.language_model import LanguageModel, OutputInvalid
from archbuilder.ai.ledger import UsageLedger
from archbuilder.ai.outputs import (
    BriefDraft,
    BriefEdit,
    FindingExplanation,
    FindingsExplanation,
    PassagesAnswer,
    PhrasedRecommendations,
    ProgrammeDraft,
    RevisionDraft,
)
from archbuilder.ai.pricing import load_prices
from archbuilder.ai.prompts import load_prompt
from archbuilder.ai.response_cache import ResponseCache, cache_key
from archbuilder.ai.router import BUILTIN, Call, Outcome, Router
from archbuilder.ai.routing import Measures, load_routing
from archbuilder.ai.settings import AiSettings, get_ai_settings
from archbuilder.analysis.wording import Advice, advice_text
from archbuilder.domain.brief import Adjacency, Brief, BuildingType, RoomRequest, Side
from archbuilder.domain.common import country_of
from archbuilder.domain.timestamps import now as utc_now
from archbuilder.platform.errors import ArchBuilderError, SecretMissing
from archbuilder.platform.logging import get_logger, log_fields

if TYPE_CHECKING:
    from archbuilder.analysis.report import ModelAnalysis
    from archbuilder.runtime import Runtime

_log = get_logger("archbuilder.ai")
_DEFAULT_REGION = {"tr": "TR", "de": "DE", "fr": "FR", "es": "ES", "en": "US"}


class AiUsage(BaseModel):
    """What one answer cost: stored with every result."""

    prompt_version: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float
    price_version: str
    latency_ms: int
    cached: bool
    ledger_id: str | None
    route: list[str]


class ParsedBrief(BaseModel):
    brief: Brief
    confidence: float = Field(ge=0, le=1)
    assumptions: list[str]
    provider: str
    model: str
    usage: AiUsage


class ProposedProgramme(BaseModel):
    rooms: list[RoomRequest]
    adjacency: list[Adjacency]
    confidence: float
    assumptions: list[str]
    provider: str
    model: str
    usage: AiUsage


class ExplainedFindings(BaseModel):
    summary: str
    items: list[FindingExplanation]
    provider: str
    model: str
    usage: AiUsage


class RevisedBrief(BaseModel):
    """A brief revised from feedback: the edits applied, those that could not be, and why."""

    brief: Brief
    edits: list[BriefEdit]
    not_applied: list[BriefEdit]
    not_understood: list[str]
    assumptions: list[str]  # sentences in the brief's language: each edit's outcome, then the reader's
    confidence: float
    provider: str
    model: str
    usage: AiUsage


# -- the router of a runtime -------------------------------------------------------

_routers: dict[int, tuple[weakref.ReferenceType[Any], Router]] = {}
_routers_lock = threading.Lock()


def build_router(runtime: Runtime, settings: AiSettings | None = None) -> Router:
    """A router over every configured provider (the built-in one always)."""
    settings = settings or get_ai_settings()
    providers: dict[str, LanguageModel] = {"builtin": BuiltinProvider()}
    if settings.enabled and settings.openai_enabled and _has_secret(runtime, settings.openai_secret):
        from archbuilder.ai.openai_provider import OpenAIProvider

        secrets, name = runtime.secrets, settings.openai_secret
        providers["openai"] = OpenAIProvider(settings, lambda: secrets.get(name))
    if settings.enabled and settings.vertex_project:
        from archbuilder.ai.gemini_provider import GeminiProvider

        providers["gemini"] = GeminiProvider(settings)
    return Router(
        providers,
        rules=load_routing(),
        prices=load_prices(),
        settings=settings,
        cache=ResponseCache(runtime.store, settings.cache_ttl_s),
        ledger=UsageLedger(runtime.store),
    )


def router_for(runtime: Runtime) -> Router:
    """The runtime's router, built once (its breakers must outlive a request)."""
    with _routers_lock:
        entry = _routers.get(id(runtime))
        if entry is not None and entry[0]() is runtime:
            return entry[1]
        router = build_router(runtime)
        _routers[id(runtime)] = (weakref.ref(runtime), router)
        return router


def _has_secret(runtime: Runtime, name: str) -> bool:
    try:
        runtime.secrets.get(name)
    except SecretMissing:
        return False
    return True


def _plan(runtime: Runtime, tenant_id: str) -> str | None:
    snapshot = runtime.store.get(f"tenants/{tenant_id}")
    return str(snapshot.data.get("plan")) if snapshot and snapshot.data.get("plan") else None


def _usage(outcome: Outcome[Any]) -> AiUsage:
    return AiUsage(
        prompt_version=outcome.prompt_version,
        input_tokens=outcome.usage.input_tokens,
        output_tokens=outcome.usage.output_tokens,
        cached_tokens=outcome.usage.cached_tokens,
        reasoning_tokens=outcome.usage.reasoning_tokens,
        cost_usd=outcome.cost.usd,
        price_version=outcome.cost.price_version,
        latency_ms=outcome.latency_ms,
        cached=outcome.cached,
        ledger_id=outcome.ledger_id,
        route=outcome.reasons,
    )


# -- 1. brief from text -------------------------------------------------------------


def parse_brief(
    text: str,
    language: str | None,
    region: str | None,
    *,
    tenant_id: str,
    runtime: Runtime,
    router: Router | None = None,
    correlation_id: str | None = None,
) -> ParsedBrief:
    """A structured brief from plain text, with its confidence and the assumptions made."""
    lang = language or detect_language(text) or "en"
    code_region = region or _DEFAULT_REGION.get(lang, "US")
    prompt = load_prompt("parse_brief").render(text=text, language=lang, region=code_region)

    def check(draft: BriefDraft) -> None:
        try:
            draft_to_brief(draft, region=code_region, language=lang)
        except ValidationError as exc:
            # Whose fault is an answer that is no valid brief? The built-in reader reads the
            # same text by rule: if its reading is no valid brief either, the text asks for an
            # impossible programme ("1000000 m²"), and that is the caller's error (422,
            # PromptBriefInvalid, raised here: not a ProviderError, so the router stops without
            # counting it against the provider). If the text reads as a valid brief, the model
            # answered garbage: a provider fault (OutputInvalid), and the router falls back.
            read_plannable_brief(text, lang, code_region)
            raise OutputInvalid(
                reason="draft is not a valid brief",
                fields=[".".join(map(str, e["loc"])) for e in exc.errors()][:5],
            ) from exc

    call: Call[BriefDraft] = Call(
        task="parse_brief",
        prompt=prompt,
        data={"text": text, "language": lang, "region": code_region},
        output=BriefDraft,
        language=lang,
        tenant_id=tenant_id,
        plan=_plan(runtime, tenant_id),
        measures=Measures(text_chars=len(text)),
        check=check,
        correlation_id=correlation_id,
    )
    outcome = (router or router_for(runtime)).run(call)
    brief, assumptions = draft_to_brief(outcome.output, region=code_region, language=lang)
    _log.info(
        "brief parsed",
        extra=log_fields(
            provider=outcome.provider, model=outcome.model, cost_usd=outcome.cost.usd, cached=outcome.cached
        ),
    )
    return ParsedBrief(
        brief=brief,
        confidence=outcome.output.confidence,
        assumptions=assumptions,
        provider=outcome.provider,
        model=outcome.model,
        usage=_usage(outcome),
    )


def brief_from_prompt(
    brief: Brief,
    *,
    tenant_id: str,
    runtime: Runtime,
    region: str | None = None,
    language: str | None = None,
    router: Router | None = None,
) -> tuple[Brief, list[str]]:
    """Fill a brief from its ``prompt``: what the client set explicitly always wins.

    Rooms, area, building type, entrance, ``open_kitchen`` and ``party_walls`` come from
    the text only where the brief does not give them; adjacency wishes are added to the
    brief's own. Party walls the text implies ("terrace house": either side of the
    entrance) are turned with the brief's own entrance when that lands on one of them.
    Returns the brief and the assumptions made. A brief without a prompt is returned as it is.
    """
    if not brief.prompt:
        return brief, []
    lang = (brief.language.value if brief.language else None) or language
    parsed = parse_brief(
        brief.prompt, lang, brief.region or region, tenant_id=tenant_id, runtime=runtime, router=router
    )
    read = parsed.brief
    given = brief.model_fields_set
    update: dict[str, Any] = {}
    if not brief.rooms:
        update["rooms"] = read.rooms
    if "building_type" not in given:
        update["building_type"] = read.building_type
    if brief.footprint is None and brief.total_area_m2 is None:
        update["total_area_m2"] = read.total_area_m2
    if "entrance" not in given:
        update["entrance"] = read.entrance
    if "open_kitchen" not in given:
        update["open_kitchen"] = read.open_kitchen
    assumptions = list(parsed.assumptions)
    if "party_walls" not in given and read.party_walls:
        update["party_walls"] = _walls_for_entrance(
            read, brief, given, assumptions, read.language.value if read.language else "en"
        )
    known = {frozenset((a.a, a.b)) for a in brief.adjacency}
    update["adjacency"] = [
        *brief.adjacency,
        *(a for a in read.adjacency if frozenset((a.a, a.b)) not in known),
    ]
    merged = Brief.model_validate({**brief.model_dump(), **{k: _dumped(v) for k, v in update.items()}})
    return merged, assumptions


_QUARTER_TURNS = (Side.north, Side.east, Side.south, Side.west)


def _walls_for_entrance(
    read: Brief, brief: Brief, given: set[str], said: list[str], language: str
) -> list[Side]:
    """The prompt's party walls, turned with the brief's own entrance side when that is one of them."""
    walls = list(read.party_walls)
    side = brief.entrance.side if "entrance" in given else None
    if side is None or side not in walls or read.entrance.side is None:
        return walls
    turn = _QUARTER_TURNS.index(side) - _QUARTER_TURNS.index(read.entrance.side)
    turned = [_QUARTER_TURNS[(_QUARTER_TURNS.index(w) + turn) % 4] for w in walls]
    turned = sorted({w for w in turned if w != side}, key=list(Side).index)

    def names(sides: list[Side]) -> str:
        return ", ".join(say(f"side_{s}", language) for s in sides)

    said.append(
        say(
            "party_walls_turned",
            language,
            before=names(walls),
            after=names(turned),
            side=say(f"side_{side}", language),
        )
    )
    return turned


def _dumped(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_dumped(v) for v in value]
    return value


# -- 2. programme proposal -----------------------------------------------------------


def propose_programme(
    building_type: BuildingType,
    total_area_m2: float,
    household: int,
    region: str,
    language: str,
    *,
    tenant_id: str,
    runtime: Runtime,
    router: Router | None = None,
) -> ProposedProgramme:
    """Rooms, target areas and adjacencies for a building, never below the region's minimums."""
    from archbuilder.layout.room_minimums import room_minimums  # the planner's data, loaded when used

    minimums = {
        t.value: m.area_m2 for t, m in room_minimums(region, building_type).items() if m.area_m2 is not None
    }
    request = {
        "building_type": building_type.value,
        "total_area_m2": total_area_m2,
        "household": household,
        "region": region,
        "country": country_of(region).value,
        "language": language,
        "minimums_m2": minimums,
    }
    prompt = load_prompt("propose_programme").render(request=json.dumps(request, ensure_ascii=False))

    def check(draft: ProgrammeDraft) -> None:
        if not draft.rooms:
            raise OutputInvalid(reason="no rooms")
        for room in draft.rooms:
            floor = minimums.get(room.type.value)
            if floor is not None and room.target_area_m2 is not None and room.target_area_m2 < floor:
                raise OutputInvalid(reason="below the region's minimum", room=room.type.value)

    call: Call[ProgrammeDraft] = Call(
        task="propose_programme",
        prompt=prompt,
        data=request,
        output=ProgrammeDraft,
        language=language,
        tenant_id=tenant_id,
        plan=_plan(runtime, tenant_id),
        measures=Measures(rooms=household + 3),
        check=check,
    )
    outcome = (router or router_for(runtime)).run(call)
    draft = outcome.output
    return ProposedProgramme(
        rooms=[
            RoomRequest(type=r.type, count=r.count, name=r.name, target_area_m2=r.target_area_m2)
            for r in draft.rooms
        ],
        adjacency=[Adjacency(a=a.a.value, b=a.b.value, kind=a.kind) for a in draft.adjacency],
        confidence=draft.confidence,
        assumptions=draft.assumptions,
        provider=outcome.provider,
        model=outcome.model,
        usage=_usage(outcome),
    )


# -- 3. explanation of findings ------------------------------------------------------


def explain_findings(
    report: dict[str, Any],
    language: str,
    *,
    tenant_id: str,
    runtime: Runtime,
    router: Router | None = None,
) -> ExplainedFindings:
    """A short explanation and a concrete fix for each error finding of a compliance report.

    ``report`` is the §4 report shape as a plain dict (region, findings with rule_id,
    status, severity, space_id, metric, measured, limit, unit, citation).
    """
    errors = [
        f
        for f in report.get("findings", [])
        if f.get("status") == "fail" and f.get("severity", "error") == "error"
    ]
    wanted = {(str(f["rule_id"]), f.get("space_id")) for f in errors}
    slim = {"region": report.get("region"), "findings": errors}
    prompt = load_prompt("explain_findings").render(
        language=language, report=json.dumps(slim, ensure_ascii=False)
    )

    def check(answer: FindingsExplanation) -> None:
        got = {(i.rule_id, i.space_id) for i in answer.items}
        if got != wanted:
            raise OutputInvalid(reason="explanations do not match the error findings")

    call: Call[FindingsExplanation] = Call(
        task="explain_findings",
        prompt=prompt,
        data={"report": slim, "language": language},
        output=FindingsExplanation,
        language=language,
        tenant_id=tenant_id,
        plan=_plan(runtime, tenant_id),
        measures=Measures(constraints=len(errors)),
        check=check,
    )
    outcome = (router or router_for(runtime)).run(call)
    return ExplainedFindings(
        summary=outcome.output.summary,
        items=outcome.output.items,
        provider=outcome.provider,
        model=outcome.model,
        usage=_usage(outcome),
    )


# -- 4. revision of a brief from an architect's feedback ---------------------------------


def apply_feedback(
    brief: Brief,
    feedback: str,
    *,
    tenant_id: str,
    runtime: Runtime,
    language: str,
    current_areas: Mapping[str, float] | None = None,
    router: Router | None = None,
    correlation_id: str | None = None,
) -> RevisedBrief:
    """The brief with the edits the feedback asks for ("make the kitchen bigger").

    The model (or the built-in reader) only names edits (``outputs.BriefEdit``); they are
    applied here, one by one, to a copy of the brief, each kept only if the brief stays
    valid. ``language`` is the brief's: every sentence is said in it. ``current_areas``
    (room name or type → m² in the version the feedback is about) makes "bigger" bigger
    than what was drawn. Whether the programme still fits is the planner's call.
    """
    lang = language if language in LANGUAGES else "en"
    summary = _brief_summary(brief)
    prompt = load_prompt("revise_brief").render(
        brief=json.dumps(summary, ensure_ascii=False), feedback=feedback, language=lang
    )
    has_words = re.search(r"\w", feedback) is not None

    def check(draft: RevisionDraft) -> None:
        if has_words and not draft.edits and not draft.not_understood:
            raise OutputInvalid(reason="feedback neither turned into edits nor reported as not understood")

    call: Call[RevisionDraft] = Call(
        task="revise_brief",
        prompt=prompt,
        data={"feedback": feedback, "brief": summary, "language": lang},
        output=RevisionDraft,
        language=lang,
        tenant_id=tenant_id,
        plan=_plan(runtime, tenant_id),
        measures=Measures(
            text_chars=len(feedback),
            rooms=sum(r.count for r in brief.rooms),
            constraints=len(brief.adjacency),
        ),
        check=check,
        correlation_id=correlation_id,
    )
    outcome = (router or router_for(runtime)).run(call)
    draft = outcome.output
    applied = apply_edits(brief, draft.edits, language=lang, current_areas=current_areas)
    assumptions = [
        *applied.sentences,
        *(say("feedback_not_understood", lang, phrase=phrase) for phrase in draft.not_understood),
        *draft.assumptions,
    ]
    if not applied.applied:
        assumptions.append(say("feedback_no_edit", lang))
    _log.info(
        "brief revised",
        extra=log_fields(
            provider=outcome.provider,
            model=outcome.model,
            edits=len(applied.applied),
            not_applied=len(applied.rejected),
            not_understood=len(draft.not_understood),
            cost_usd=outcome.cost.usd,
        ),
    )
    return RevisedBrief(
        brief=applied.brief,
        edits=applied.applied,
        not_applied=applied.rejected,
        not_understood=draft.not_understood,
        assumptions=assumptions,
        confidence=draft.confidence,
        provider=outcome.provider,
        model=outcome.model,
        usage=_usage(outcome),
    )


def revise_brief(
    brief: Brief,
    feedback: str,
    *,
    tenant_id: str,
    runtime: Runtime,
    language: str,
    current_areas: Mapping[str, float] | None = None,
    router: Router | None = None,
) -> tuple[Brief, list[str]]:
    """The revised brief and what was applied, not applied and not understood (``apply_feedback``)."""
    revised = apply_feedback(
        brief,
        feedback,
        tenant_id=tenant_id,
        runtime=runtime,
        language=language,
        current_areas=current_areas,
        router=router,
    )
    return revised.brief, revised.assumptions


def _brief_summary(brief: Brief) -> dict[str, Any]:
    """What a model needs to know of a brief to edit it (no geometry)."""
    area = brief.total_area_m2
    if area is None and brief.footprint is not None:
        area = round(brief.footprint.area_m2(), 1)
    return {
        "building_type": brief.building_type.value,
        "total_area_m2": area,
        "rooms": [
            {
                "type": r.type.value,
                "name": r.name,
                "count": r.count,
                "target_area_m2": r.target_area_m2,
                "en_suite": r.en_suite,
            }
            for r in brief.rooms
        ],
        "adjacency": [{"a": a.a, "b": a.b, "kind": a.kind.value} for a in brief.adjacency],
        "entrance_side": brief.entrance.side.value if brief.entrance.side else None,
        "open_kitchen": brief.open_kitchen,
        "party_walls": [side.value for side in brief.party_walls],
    }


def _has_model_provider(router: Router) -> bool:
    """Whether a model provider may answer at all (else the built-in one answers: no call)."""
    return router.settings.enabled and any(name != BUILTIN for name in router.providers)


# -- 5. the recommendations of a model analysis, phrased -----------------------------------

PHRASE_RECOMMENDATIONS = "phrase_recommendations"
# Attempts whose provider answered, and the answer was refused or failed its check.
_ANSWER_REJECTED = frozenset({"AI_OUTPUT_INVALID", "AI_OUTPUT_REFUSED"})
MAX_ADVICE_CHARS = 400


def phrase_recommendations(
    analysis: ModelAnalysis,
    language: str,
    *,
    tenant_id: str,
    runtime: Runtime,
    router: Router | None = None,
) -> Advice:
    """The sentences of the analysis' ranked recommendations in ``language``, phrased by a model
    provider from the findings they point at (codes, severities, counts and measured numbers;
    no element ids, no names from the file), else the templates (``wording.advice_text``).

    Kept per (the content hash of what the model is given, language) in the response cache,
    so reading an analysis again is one store read; an answer that failed its check is kept
    as the templates' too (a provider that invents is not paid again for the same analysis),
    an outage is not (the next read tries again). The model's answer is refused
    (``OutputInvalid``, the router falls back) when it adds, drops or reorders a
    recommendation, changes the findings one points at, names a finding that does not exist
    or that the recommendation does not point at, writes a number that none of its findings
    holds (a fraction may be rounded), a word with digits that is not in the data (an
    element id), or is not written in ``language``.
    """
    recommendations = analysis.recommendations
    templates = [advice_text(r, language) for r in recommendations]
    builtin = Advice(texts=templates)
    router = router or router_for(runtime)
    if not recommendations or not _has_model_provider(router):
        return builtin
    by_id = {f.id: f for f in analysis.findings}
    pointed_at = [
        by_id[i] for i in dict.fromkeys(i for r in recommendations for i in r.finding_ids) if i in by_id
    ]
    facts: dict[str, Any] = {
        "recommendations": [
            {"rank": r.rank, "advice": r.code, "numbers": _numbers_of(r.params), "finding_ids": r.finding_ids}
            for r in recommendations
        ],
        "findings": [
            {
                "id": f.id,
                "code": f.code,
                "severity": f.severity,
                "count": f.count,
                "numbers": _numbers_of(f.params),
            }
            for f in pointed_at
        ],
    }
    prompt = load_prompt(PHRASE_RECOMMENDATIONS)
    content_hash = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()
    cache = ResponseCache(runtime.store, router.settings.cache_ttl_s)
    key = cache_key(
        tenant_id=tenant_id,
        task=PHRASE_RECOMMENDATIONS,
        prompt_version=prompt.version,
        provider="any",
        model="any",
        data={"analysis": content_hash, "language": language},
    )
    moment = utc_now()
    hit = cache.get(key, moment)
    if hit is not None and len(hit.get("texts") or []) == len(templates):
        return Advice(texts=[str(t) for t in hit["texts"]], phrased_by=str(hit["phrased_by"]))

    data: dict[str, Any] = {
        "language": language,
        "recommendations": [
            {**given, "template": template}
            for given, template in zip(facts["recommendations"], templates, strict=True)
        ],
        "findings": facts["findings"],
    }
    known_ids = set(by_id)
    given_words = coded_words(json.dumps(facts))

    def check(answer: PhrasedRecommendations) -> None:
        if len(answer.items) != len(recommendations):
            raise OutputInvalid(reason="not one item per recommendation", items=len(answer.items))
        for given, item in zip(recommendations, answer.items, strict=True):
            where = f"rank {given.rank}"
            if item.rank != given.rank or item.finding_ids != given.finding_ids:
                raise OutputInvalid(reason="ranking or findings changed", item=where)
            text = item.text.strip()
            if not text or len(text) > MAX_ADVICE_CHARS:
                raise OutputInvalid(reason="empty or too long", item=where)
            allowed = list(_numbers_of(given.params).values())
            for finding in (by_id[i] for i in given.finding_ids if i in by_id):
                allowed += [finding.count, *_numbers_of(finding.params).values()]
            check_coded_words(text, set(given.finding_ids), known_ids, given_words, where=where)
            check_numbers(text, allowed, where=where)
        check_language(" ".join(item.text for item in answer.items), language)

    call: Call[PhrasedRecommendations] = Call(
        task=PHRASE_RECOMMENDATIONS,
        prompt=prompt.render(language=language, findings=json.dumps(data, ensure_ascii=False)),
        data=data,
        output=PhrasedRecommendations,
        language=language,
        tenant_id=tenant_id,
        plan=_plan(runtime, tenant_id),
        measures=Measures(constraints=len(recommendations)),
        check=check,
    )
    try:
        outcome = router.run(call)
    except ArchBuilderError as exc:  # every provider failed, or the budget refuses: the templates
        _log.warning("recommendations not phrased", extra=log_fields(code=exc.code))
        return builtin
    advice = Advice(texts=[item.text.strip() for item in outcome.output.items], phrased_by=outcome.provider)
    rejected = any(attempt.result in _ANSWER_REJECTED for attempt in outcome.attempts)
    if outcome.provider != BUILTIN or rejected:
        cache.put(
            key,
            {
                "tenant_id": tenant_id,
                "task": PHRASE_RECOMMENDATIONS,
                "prompt_version": prompt.version,
                "phrased_by": advice.phrased_by,
                "model": outcome.model,
                "texts": advice.texts,
            },
            moment,
        )
    _log.info(
        "recommendations phrased",
        extra=log_fields(
            provider=outcome.provider, model=outcome.model, cost_usd=outcome.cost.usd, rejected=rejected
        ),
    )
    return advice


def _numbers_of(params: Mapping[str, str | int | float]) -> dict[str, int | float]:
    """The measured numbers of a finding's or a recommendation's parameters (names from the
    file, such as a space's, are not given to a model)."""
    return {k: v for k, v in params.items() if isinstance(v, int | float) and not isinstance(v, bool)}


# -- 6. an answer from the regulation library's passages -----------------------------------

ANSWER_FROM_PASSAGES = "answer_from_passages"
MAX_ANSWER_CHARS = 2000


@dataclass(frozen=True)
class LibraryPassage:
    """A retrieved passage as a model sees it."""

    document: str
    citation: str | None
    page: int | None
    text: str


class WrittenAnswer(BaseModel):
    """Prose from the passages, or none (``text`` null: the built-in answer, whose answer is
    the passages themselves)."""

    text: str | None
    provider: str
    model: str


def passage_cites(passages: list[LibraryPassage]) -> list[str]:
    """What a model writes in brackets for each passage: its citation, with the document's
    title when two passages share a citation, the title alone for a passage without one."""
    counts = Counter(p.citation for p in passages)
    return [
        p.citation
        if p.citation and counts[p.citation] == 1
        else f"{p.document}, {p.citation}"
        if p.citation
        else p.document
        for p in passages
    ]


def answer_from_passages(
    question: str,
    passages: list[LibraryPassage],
    language: str,
    *,
    tenant_id: str,
    runtime: Runtime,
    router: Router | None = None,
) -> WrittenAnswer:
    """An answer to ``question`` written by a model provider from ``passages`` only, each
    statement with its passage's citation in brackets; else none (the built-in answer).

    The passages and the question go in the prompt's data blocks, the rules (answer only
    from them, cite, say not found) in its system part. An answer that cites nothing, or
    cites what was not retrieved, is refused (``OutputInvalid``) and the router falls back:
    a passage that says "ignore previous instructions" can make a model answer what it says,
    but not with a citation of a retrieved passage for it.
    """
    builtin = WrittenAnswer(text=None, provider=BUILTIN, model="builtin-v1")
    router = router or router_for(runtime)
    if not passages or not _has_model_provider(router):
        return builtin
    cites = passage_cites(passages)
    given = [
        {"cite": cite, "document": p.document, "page": p.page, "text": p.text}
        for cite, p in zip(cites, passages, strict=True)
    ]
    data: dict[str, Any] = {"question": question, "language": language, "passages": given}
    prompt = load_prompt(ANSWER_FROM_PASSAGES).render(
        language=language, passages=json.dumps(given, ensure_ascii=False, indent=1), question=question
    )

    def check(answer: PassagesAnswer) -> None:
        if len(answer.answer) > MAX_ANSWER_CHARS:
            raise OutputInvalid(reason="answer too long")
        check_citations(answer.answer, cites)

    call: Call[PassagesAnswer] = Call(
        task=ANSWER_FROM_PASSAGES,
        prompt=prompt,
        data=data,
        output=PassagesAnswer,
        language=language,
        tenant_id=tenant_id,
        plan=_plan(runtime, tenant_id),
        measures=Measures(text_chars=len(question)),
        check=check,
    )
    try:
        outcome = router.run(call)
    except ArchBuilderError as exc:
        _log.warning("library answer not written", extra=log_fields(code=exc.code))
        return builtin
    if outcome.provider == BUILTIN:
        return builtin
    return WrittenAnswer(text=outcome.output.answer.strip(), provider=outcome.provider, model=outcome.model)
