"""Every rule of every region: one passing and one failing model, generated from the rule."""

from __future__ import annotations

import pytest

from archbuilder.compliance import check_model, rules_for
from archbuilder.compliance.schema import Rule
from tests.unit.compliance.rule_fixtures import fixture

REGIONS = ("TR", "DE", "DE-BY", "DE-NI", "FR", "FR-13", "ES", "ES-CT", "US")
RULES: dict[str, tuple[str, Rule]] = {}
for _region in REGIONS:
    for _rule in rules_for(_region).rules:
        RULES.setdefault(_rule.id, (_region, _rule))


@pytest.mark.parametrize("passing", [True, False], ids=["pass", "fail"])
@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_passes_and_fails_on_its_fixture(rule_id: str, passing: bool) -> None:
    region, rule = RULES[rule_id]
    report = check_model(fixture(rule, passing), region=region, language="en")
    statuses = {f.status for f in report.findings if f.rule_id == rule_id}
    expected = "pass" if passing else "fail"
    assert statuses == {expected}, [
        (f.status, f.measured, f.limit, f.message) for f in report.findings if f.rule_id == rule_id
    ]
