"""The function manifest (``functions/manifest.yaml``): what runs, on which trigger."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parents[2]
# In the repository the manifest is at functions/manifest.yaml; a deployed bundle carries it
# beside the archbuilder package.
MANIFEST_PATH = next(
    (
        candidate
        for candidate in (
            REPO_ROOT / "functions" / "manifest.yaml",
            Path(__file__).resolve().parents[1] / "functions" / "manifest.yaml",
        )
        if candidate.exists()
    ),
    REPO_ROOT / "functions" / "manifest.yaml",
)
_loading = threading.RLock()  # FunctionSpec.load


class HttpTrigger(BaseModel):
    type: Literal["http"]
    routes: list[str] = Field(min_length=1)


class PubSubTrigger(BaseModel):
    type: Literal["pubsub"]
    topic: str


class StorageTrigger(BaseModel):
    type: Literal["storage"]
    bucket: str
    event: Literal["finalized"] = "finalized"


class FunctionSpec(BaseModel):
    name: str
    entry_point: str
    trigger: HttpTrigger | PubSubTrigger | StorageTrigger = Field(discriminator="type")
    memory: str = "256Mi"
    timeout_s: int = 60
    max_event_age_s: int | None = None
    secrets: list[str] = Field(default_factory=list)

    def load(self) -> Callable[..., Any]:
        """Import the function's entry point from ``functions/<name>/main.py``.

        Loaded by file path, as Cloud Functions does, so that it works from any working
        directory (the ``archbuilder`` console script does not run from the repository).
        """
        module_name = f"functions.{self.name}.main"
        # One loader at a time: the local bus's workers deliver concurrently, and a module is in
        # sys.modules before it has run (a second worker would find no entry point in it).
        with _loading:
            module = sys.modules.get(module_name)
            if module is None:
                path = MANIFEST_PATH.parent / self.name / "main.py"
                spec = importlib.util.spec_from_file_location(module_name, path)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {path}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[module_name]
                    raise
        entry: Callable[..., Any] = getattr(module, self.entry_point)
        return entry


class Manifest(BaseModel):
    functions: list[FunctionSpec]

    def http_functions(self) -> list[FunctionSpec]:
        return [f for f in self.functions if isinstance(f.trigger, HttpTrigger)]

    def event_subscriptions(self) -> list[tuple[str, FunctionSpec]]:
        """(trigger key, function) for every event function: a Pub/Sub topic name, or
        ``storage:<bucket>:finalized`` for a bucket notification."""
        keys: list[tuple[str, FunctionSpec]] = []
        for spec in self.functions:
            if isinstance(spec.trigger, PubSubTrigger):
                keys.append((spec.trigger.topic, spec))
            elif isinstance(spec.trigger, StorageTrigger):
                keys.append((storage_trigger_key(spec.trigger.bucket), spec))
        return keys

    def route_for(self, path: str) -> FunctionSpec | None:
        """The HTTP function that serves ``path``: the most specific matching template."""
        best: tuple[int, int, FunctionSpec] | None = None
        for spec in self.http_functions():
            assert isinstance(spec.trigger, HttpTrigger)
            for template in spec.trigger.routes:
                if template_matches(template, path):
                    score = (_literal_segments(template), len(template))
                    if best is None or score > best[:2]:
                        best = (*score, spec)
        return best[2] if best else None


def storage_trigger_key(bucket: str) -> str:
    return f"storage:{bucket}:finalized"


def template_matches(template: str, path: str) -> bool:
    want = template.strip("/").split("/")
    have = path.strip("/").split("/")
    for i, part in enumerate(want):
        if part == "**":
            return len(have) > i
        if i >= len(have) or (part != "*" and part != have[i]):
            return False
    return len(have) == len(want)


def _literal_segments(template: str) -> int:
    return sum(1 for part in template.strip("/").split("/") if part not in ("*", "**"))


@lru_cache(maxsize=4)
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    with path.open(encoding="utf-8") as fh:
        return Manifest.model_validate(yaml.safe_load(fh))
