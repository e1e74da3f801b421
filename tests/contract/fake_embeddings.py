"""A local stand-in for Vertex AI text embeddings: ``POST …/publishers/google/models/{m}:predict``.

It speaks the wire format google-genai uses for ``text-embedding-*`` models on Vertex
(``instances[].content`` in, ``predictions[].embeddings.values`` and ``statistics`` out), so
the adapter's real SDK call is exercised over HTTP. The vectors are deterministic: signed
hashing of each word's character trigrams into ``outputDimensionality`` slots, normalised.
Texts sharing words or parts of words (a German compound and its parts) are near; texts
sharing none are close to orthogonal (cosine distance about 1).
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from werkzeug.wrappers import Request

from tests.unit.ai.fake_servers import Behaviour, FakeServer

_PREDICT = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/models/(?P<model>[^/:]+):predict$"
)
_WORD = re.compile(r"\w+")


def fake_vector(text: str, dimension: int) -> list[float]:
    vector = [0.0] * dimension
    for word in _WORD.findall(text.lower()):
        padded = f" {word} "
        for i in range(len(padded) - 2):
            digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "big") % dimension
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def cosine_distance(a: list[float], b: list[float]) -> float:
    return 1.0 - sum(x * y for x, y in zip(a, b, strict=True))


class FakeVertexEmbeddings(FakeServer):
    def answer(self, request: Request, body: Any, behaviour: Behaviour) -> dict[str, Any]:
        assert _PREDICT.match(request.path), request.path
        dimension = int(body.get("parameters", {}).get("outputDimensionality", 768))
        predictions = []
        characters = 0
        for instance in body["instances"]:
            text = str(instance["content"])
            characters += len(text)
            predictions.append(
                {
                    "embeddings": {
                        "values": fake_vector(text, dimension),
                        "statistics": {"token_count": max(1, len(text) // 4), "truncated": False},
                    }
                }
            )
        return {"predictions": predictions, "metadata": {"billableCharacterCount": characters}}

    def error_body(self, status: int) -> dict[str, Any]:
        name = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": f"fake {status}", "status": name}}
