"""Versioned prompt files (``prompts/<task>.v<n>.yaml``), and rendering user data into them.

User text is data: it is put between the prompt's delimiter tags, and any tag that would
close the block early is neutralised first, so a brief cannot step out of its block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from archbuilder.ai.language_model import RenderedPrompt

PROMPTS = Path(__file__).with_name("prompts")
_FILE = re.compile(r"^(?P<task>[a-z_]+)\.v(?P<n>\d+)\.yaml$")
# Any opening or closing tag of the prompts' data blocks, however it is spelt.
_TAG = re.compile(
    r"<\s*/?\s*(?:brief_text|programme_request|compliance_report|current_brief|feedback_text"
    r"|analysis_findings|library_passages|question)\s*>",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Prompt:
    task: str
    version: str
    system: str
    user: str

    def render(self, **data: str) -> RenderedPrompt:
        """The prompt with ``data`` (already text) placed in its blocks."""
        safe = {key: _TAG.sub("[tag removed]", value) for key, value in data.items()}
        return RenderedPrompt(
            name=self.task, version=self.version, system=self.system, user=self.user.format(**safe)
        )


@cache
def load_prompt(task: str, version: int | None = None) -> Prompt:
    """The prompt of ``task``: the given version, else the highest one on disk."""
    candidates: dict[int, Path] = {}
    for path in PROMPTS.glob(f"{task}.v*.yaml"):
        match = _FILE.match(path.name)
        if match and match.group("task") == task:
            candidates[int(match.group("n"))] = path
    if not candidates:
        raise LookupError(f"no prompt for task {task}")
    chosen = candidates[version if version is not None else max(candidates)]
    with chosen.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return Prompt(task=data["task"], version=data["version"], system=data["system"], user=data["user"])
