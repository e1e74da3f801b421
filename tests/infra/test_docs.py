"""docs/deploy.md names every resource Terraform creates; operations.md has a runbook for
every alert policy."""

from __future__ import annotations

from tests.infra.support import REGION_MODULE, REPO_ROOT, resources


def test_deploy_guide_names_every_resource() -> None:
    guide = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    created = set(resources(REGION_MODULE)) | set(resources(REPO_ROOT))
    missing = sorted(address for address in created if f"`{address}`" not in guide)
    assert not missing, f"docs/deploy.md does not name: {missing}"


def test_operations_has_a_runbook_per_alert() -> None:
    ops = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for address, body in resources(REGION_MODULE).items():
        if address.startswith("google_monitoring_alert_policy."):
            title = body["display_name"].split(": ", 1)[1]
            assert f"### {title}" in ops, f"no runbook heading '### {title}' for {address}"
