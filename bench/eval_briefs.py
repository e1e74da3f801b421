"""Field-level accuracy of reading briefs written in plain language (``make eval-briefs``).

Reads ``bench/data/briefs_eval.yaml`` (briefs in tr, en, de, fr, es with the structured
brief a careful architect would extract) and prints, per language, how often each field
comes out right: building type, gross area (within 1 %), the whole room programme
(every type with its count), each room type's count, adjacency wishes, entrance side, and
the fields that shape the plan: ``open_kitchen``, ``party_walls`` (the set of sides) and
``en_suite`` (how many bathrooms or WCs open only into a bedroom). Since most briefs ask for
none of these, a second line scores them on the briefs that do ask, and counts the briefs
where one was set without being asked for. The built-in provider always runs; OpenAI and Gemini run when they are configured
(``ARCHBUILDER_SECRET_OPENAI_API_KEY``, ``ARCHBUILDER_AI_VERTEX_PROJECT``). This calls
real providers when configured, so it is a command, not a test.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from archbuilder.ai.builtin_provider import BuiltinProvider
from archbuilder.ai.language_model import LanguageModel, ModelRequest, ProviderError
from archbuilder.ai.outputs import BriefDraft
from archbuilder.ai.prompts import load_prompt
from archbuilder.ai.settings import AiSettings

DATA = Path(__file__).with_name("data") / "briefs_eval.yaml"
FIELDS = (
    "building_type",
    "area",
    "rooms",
    "room_counts",
    "adjacency",
    "entrance",
    "open_kitchen",
    "party_walls",
    "en_suite",
)
# The plan-shaping fields and their value when a brief does not ask for them.
PLAN_FIELDS: dict[str, Any] = {"open_kitchen": False, "party_walls": [], "en_suite": 0}
LANGUAGES = ("tr", "en", "de", "fr", "es")
REGIONS = {"tr": "TR", "en": "US", "de": "DE", "fr": "FR", "es": "ES"}


def load_cases() -> list[dict[str, Any]]:
    with DATA.open(encoding="utf-8") as fh:
        cases: list[dict[str, Any]] = yaml.safe_load(fh)["briefs"]
    return cases


def score(draft: BriefDraft, expected: dict[str, Any]) -> dict[str, float]:
    """1.0 or 0.0 per field (``room_counts``: the share of room types counted right)."""
    rooms: dict[str, int] = {}
    for room in draft.rooms:
        rooms[room.type.value] = rooms.get(room.type.value, 0) + room.count
    want_rooms: dict[str, int] = expected["rooms"]
    types = set(rooms) | set(want_rooms)
    area, want_area = draft.total_area_m2, float(expected["total_area_m2"])
    pairs = {frozenset((a.a.value, a.b.value)) for a in draft.adjacency}
    want_pairs = {frozenset(p) for p in expected.get("adjacency", [])}
    side = draft.entrance_side.value if draft.entrance_side else None
    got = plan_fields(draft)
    return {
        "building_type": float(draft.building_type.value == expected["building_type"]),
        "area": float(area is not None and abs(area - want_area) <= max(0.01 * want_area, 0.6)),
        "rooms": float(rooms == want_rooms),
        "room_counts": sum(rooms.get(t, 0) == want_rooms.get(t, 0) for t in types) / len(types),
        "adjacency": float(pairs == want_pairs),
        "entrance": float(side == expected.get("entrance_side")),
        **{name: float(got[name] == wanted(expected, name)) for name in PLAN_FIELDS},
    }


def plan_fields(draft: BriefDraft) -> dict[str, Any]:
    """``open_kitchen``, ``party_walls`` (sorted side names) and ``en_suite`` (a count) of a draft."""
    return {
        "open_kitchen": draft.open_kitchen,
        "party_walls": sorted(side.value for side in draft.party_walls),
        "en_suite": sum(r.count for r in draft.rooms if r.en_suite),
    }


def wanted(expected: dict[str, Any], name: str) -> Any:
    value = expected.get(name, PLAN_FIELDS[name])
    return sorted(value) if isinstance(value, list) else value


def evaluate(
    read: Callable[[str, str], BriefDraft], cases: list[dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Mean score per language and field, plus ``all``; failures (errors) score 0."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    misses: list[str] = []
    for case in cases:
        expected = case["expected"]
        try:
            got = score(read(case["text"], case["language"]), expected)
        except ProviderError as exc:
            got = dict.fromkeys(FIELDS, 0.0)
            misses.append(f"{case['id']}: {exc.code}")
        for group in (case["language"], "all"):
            counts[group] += 1
            for name, value in got.items():
                sums[group][name] += value
        for name, default in PLAN_FIELDS.items():
            # "asked": the brief sets the field; "unasked": the reader must leave it at its default.
            group = "_asked" if wanted(expected, name) != default else "_unasked"
            sums[group][name] += got[name]
            sums[group][f"{name}_n"] += 1
        if got["rooms"] < 1 or got["area"] < 1:
            misses.append(f"{case['id']}: {case['text']}")
        elif any(got[name] < 1 for name in (*PLAN_FIELDS, "adjacency", "entrance")):
            misses.append(f"{case['id']} (plan fields): {case['text']}")
    table = {group: {f: sums[group][f] / counts[group] for f in FIELDS} for group in counts}
    for group in ("_asked", "_unasked"):
        table[group] = {k: v for k, v in sums[group].items()}
    table["_misses"] = {m: 0.0 for m in misses}
    return table


def reader_for(provider: LanguageModel, model: str) -> Callable[[str, str], BriefDraft]:
    prompt = load_prompt("parse_brief")

    def read(text: str, language: str) -> BriefDraft:
        region = REGIONS[language]
        request = ModelRequest(
            task="parse_brief",
            model=model,
            prompt=prompt.render(text=text, language=language, region=region),
            data={"text": text, "language": language, "region": region},
            language=language,
            max_output_tokens=2048,
        )
        return provider.complete(request, BriefDraft).output

    return read


def configured_providers(settings: AiSettings) -> list[tuple[str, LanguageModel, str]]:
    providers: list[tuple[str, LanguageModel, str]] = [("builtin", BuiltinProvider(), "builtin-v1")]
    from archbuilder.adapters.local.env_secrets import EnvironmentSecrets

    secrets = EnvironmentSecrets()
    try:
        secrets.get(settings.openai_secret)
    except Exception:
        pass
    else:
        from archbuilder.ai.openai_provider import OpenAIProvider

        model = settings.model_for("openai", "light")
        providers.append(
            ("openai", OpenAIProvider(settings, lambda: secrets.get(settings.openai_secret)), model)
        )
    if settings.vertex_project:
        from archbuilder.ai.gemini_provider import GeminiProvider

        providers.append(("gemini", GeminiProvider(settings), settings.model_for("gemini", "light")))
    return providers


def render(name: str, table: dict[str, dict[str, float]], cases: int) -> str:
    lines = [
        f"### {name} ({cases} briefs)",
        "",
        "| language | " + " | ".join(FIELDS) + " |",
        "|---|" + "---|" * len(FIELDS),
    ]
    for group in (*LANGUAGES, "all"):
        if group in table:
            cells = " | ".join(f"{100 * table[group][f]:.0f} %" for f in FIELDS)
            lines.append(f"| {group} | {cells} |")
    asked, unasked = table.get("_asked", {}), table.get("_unasked", {})
    right = ", ".join(
        f"{name} {asked.get(name, 0):.0f}/{asked.get(f'{name}_n', 0):.0f}" for name in PLAN_FIELDS
    )
    wrong = ", ".join(
        f"{name} {unasked.get(f'{name}_n', 0) - unasked.get(name, 0):.0f}/{unasked.get(f'{name}_n', 0):.0f}"
        for name in PLAN_FIELDS
    )
    lines += ["", f"Briefs that ask for them, right: {right}. Set without being asked: {wrong}."]
    return "\n".join(lines)


def main() -> int:
    cases = load_cases()
    verbose = "-v" in sys.argv
    worst = 1.0
    for name, provider, model in configured_providers(AiSettings()):
        table = evaluate(reader_for(provider, model), cases)
        print(render(f"{name} · {model}", table, len(cases)))
        if verbose:
            for miss in table["_misses"]:
                print("  miss:", miss)
        print()
        if name == "builtin":
            worst = min(table["all"]["rooms"], table["all"]["area"])
    target = 0.9
    print(
        f"built-in provider: rooms and areas right in ≥ {target:.0%} of briefs: {'yes' if worst >= target else 'NO'}"
    )
    return 0 if worst >= target else 1


if __name__ == "__main__":
    raise SystemExit(main())
