"""Rule files: read, validated rule by rule, and selected for a region.

A rule file that does not fit the schema stops the load with ``RuleFileError`` naming the
file and the rule id, so a bad edit fails at start-up and in CI, never at check time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from archbuilder.compliance.schema import Rule, RuleFile
from archbuilder.domain.common import REGION_PATTERN, CodeRegion, country_of
from archbuilder.platform.i18n import catalogue

RULES_DIR = Path(__file__).with_name("rules")


class RuleFileError(Exception):
    """A rule file is malformed: ``file``, ``rule_id`` (when known) and the problem."""

    def __init__(self, file: str, rule_id: str | None, problem: str) -> None:
        self.file, self.rule_id, self.problem = file, rule_id, problem
        where = f"{file}, rule {rule_id}" if rule_id else file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for one region, with the version of the data they came from."""

    region: str
    version: str
    rules: tuple[Rule, ...]

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def load_rule_file(path: Path) -> tuple[RuleFile, str]:
    """One file, validated; returns it with the SHA-256 of its bytes."""
    raw_bytes = path.read_bytes()
    try:
        data = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as exc:
        raise RuleFileError(path.name, None, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleFileError(path.name, None, "expected a mapping with country, version and a list of rules")
    for index, raw in enumerate(data["rules"]):
        _check_rule(path.name, index, raw)
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(path.name, None, _problems(exc)) from exc
    _check_file(path.name, parsed)
    return parsed, hashlib.sha256(raw_bytes).hexdigest()


def _check_rule(file: str, index: int, raw: Any) -> None:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        Rule.model_validate(raw)
    except ValidationError as exc:
        raise RuleFileError(file, str(rule_id or f"#{index + 1}"), _problems(exc)) from exc


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'rule'}: {err['msg']}"
        for err in exc.errors(include_url=False)
    )


def _check_file(file: str, parsed: RuleFile) -> None:
    ids = [r.id for r in parsed.rules]
    known = set(ids)
    messages = catalogue("compliance")
    seen: set[str] = set()
    for rule in parsed.rules:
        if rule.id in seen:
            raise RuleFileError(file, rule.id, "duplicate rule id")
        seen.add(rule.id)
        if country_of(rule.region) != parsed.country:
            raise RuleFileError(file, rule.id, f"region {rule.region} is not in country {parsed.country}")
        for ref in (*rule.alternatives, *rule.overrides):
            if ref not in known:
                raise RuleFileError(file, rule.id, f"refers to unknown rule {ref}")
        if rule.message_key not in messages:
            raise RuleFileError(file, rule.id, f"message_key {rule.message_key!r} is not in compliance.yaml")
        if rule.overrides and "-" not in rule.region:
            raise RuleFileError(file, rule.id, "only a subdivision rule (DE-BY, ES-CT) may override others")


@lru_cache(maxsize=8)
def _country(country: str) -> tuple[RuleFile, str]:
    return load_rule_file(RULES_DIR / f"{country}.yaml")


def load_all() -> dict[str, tuple[RuleFile, str]]:
    """Every rule file, validated (what start-up and CI call to fail early)."""
    return {c.value: _country(c.value) for c in CodeRegion}


def rules_for(region: str, on: date | None = None) -> RuleSet:
    """The rules in force for ``region``: ``DE-BY`` = the DE rules, Bavarian ones replacing
    those they override."""
    if not re.match(REGION_PATTERN, region):
        raise ValueError(f"not a building-code region: {region!r}")
    country = country_of(region).value
    parsed, digest = _country(country)
    day = on or date.today()
    chosen = [r for r in parsed.rules if r.region in (country, region) and r.in_force(day)]
    replaced = {ref for r in chosen for ref in r.overrides}
    rules = tuple(r for r in chosen if r.id not in replaced)
    return RuleSet(region=region, version=f"{country}@{parsed.version}+{digest[:8]}", rules=rules)
