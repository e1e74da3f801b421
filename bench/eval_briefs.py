"""Field-level accuracy of reading briefs written in plain language (``make eval-briefs``).

Reads ``bench/data/briefs_eval.yaml`` (briefs in tr, en, de, fr, es with the structured
brief a careful architect would extract) and prints, per language, how often each field
comes out right: building type, gross area (within 1 %), the whole room programme
(every type with its count), each room type's count, adjacency wishes and entrance side.
The built-in provider always runs; OpenAI and Gemini run when they are configured
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
FIELDS = ("building_type", "area", "rooms", "room_counts", "adjacency", "entrance")
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
    return {
        "building_type": float(draft.building_type.value == expected["building_type"]),
        "area": float(area is not None and abs(area - want_area) <= max(0.01 * want_area, 0.6)),
        "rooms": float(rooms == want_rooms),
        "room_counts": sum(rooms.get(t, 0) == want_rooms.get(t, 0) for t in types) / len(types),
        "adjacency": float(pairs == want_pairs),
        "entrance": float(side == expected.get("entrance_side")),
    }


def evaluate(
    read: Callable[[str, str], BriefDraft], cases: list[dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Mean score per language and field, plus ``all``; failures (errors) score 0."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    misses: list[str] = []
    for case in cases:
        try:
            got = score(read(case["text"], case["language"]), case["expected"])
        except ProviderError as exc:
            got = dict.fromkeys(FIELDS, 0.0)
            misses.append(f"{case['id']}: {exc.code}")
        for group in (case["language"], "all"):
            counts[group] += 1
            for name, value in got.items():
                sums[group][name] += value
        if got["rooms"] < 1 or got["area"] < 1:
            misses.append(f"{case['id']}: {case['text']}")
    table = {group: {f: sums[group][f] / counts[group] for f in FIELDS} for group in counts}
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
