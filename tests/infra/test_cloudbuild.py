"""cloudbuild.yaml: a valid step graph that checks, plans every region, applies them in
parallel and smoke-tests each after its apply."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.infra.support import REPO_ROOT, load_dir


def check_graph(steps: list[dict[str, Any]]) -> None:
    """Ids present and unique; every waitFor names an earlier step (or is "-")."""
    seen: list[str] = []
    for index, step in enumerate(steps):
        sid = step.get("id")
        assert sid, f"step {index} ({step.get('name')}) has no id"
        assert sid not in seen, f"duplicate step id {sid}"
        for dep in step.get("waitFor", []):
            assert dep == "-" or dep in seen, f"{sid} waits for {dep}, which is not an earlier step"
        seen.append(sid)


def ancestors(steps: list[dict[str, Any]], sid: str) -> set[str]:
    """Steps that finish before ``sid`` starts (no waitFor = after every earlier step)."""
    by_id = {s["id"]: (i, s) for i, s in enumerate(steps)}
    index, step = by_id[sid]
    direct = step.get("waitFor")
    deps = [s["id"] for s in steps[:index]] if direct is None else [d for d in direct if d != "-"]
    found: set[str] = set()
    for dep in deps:
        found |= {dep} | ancestors(steps, dep)
    return found


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "cloudbuild.yaml").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def regions() -> set[str]:
    variables = load_dir(REPO_ROOT)["variable"]
    default = next(v["regions"] for v in variables if "regions" in v)["default"]
    return set(default)


def test_step_graph_is_valid(build: dict[str, Any]) -> None:
    check_graph(build["steps"])


def test_checks_run_before_any_plan(build: dict[str, Any], regions: set[str]) -> None:
    steps = build["steps"]
    for region in regions:
        before = ancestors(steps, f"plan-{region}")
        assert {"lint", "typecheck", "test", "checkov", "bundle", "audit", "sbom"} <= before, (region, before)


def test_every_region_is_planned_applied_and_smoke_tested(build: dict[str, Any], regions: set[str]) -> None:
    steps = build["steps"]
    ids = {s["id"] for s in steps}
    for region in regions:
        assert {f"plan-{region}", f"apply-{region}", f"smoke-{region}"} <= ids, region
        # An apply waits for every region's plan, and for no other apply (parallel).
        before = ancestors(steps, f"apply-{region}")
        assert {f"plan-{r}" for r in regions} <= before
        assert not {f"apply-{r}" for r in regions} & before, (
            f"apply-{region} is serialised behind another apply"
        )
        assert f"apply-{region}" in ancestors(steps, f"smoke-{region}")
    # No step for a region that Terraform does not know.
    stale = {i.split("-", 1)[1] for i in ids if i.startswith(("plan-", "apply-", "smoke-"))} - regions
    assert not stale, stale


def test_region_steps_use_their_region(build: dict[str, Any], regions: set[str]) -> None:
    by_id = {s["id"]: s for s in build["steps"]}
    for region in regions:
        for kind in ("plan", "apply"):
            env = by_id[f"{kind}-{region}"]["env"]
            assert f"TF_REGION={region}" in env and f"TF_DATA_DIR=/workspace/.terraform-{region}" in env
        assert f"SMOKE_REGION={region}" in by_id[f"smoke-{region}"]["env"]
        script = by_id[f"plan-{region}"]["args"][-1]
        assert "workspace select -or-create" in script and "deploy_regions" in script
        assert "-out=" in script
        apply = by_id[f"apply-{region}"]["args"][-1]
        assert "_DEPLOY" in apply and "BRANCH_NAME" in apply and ".tfplan" in apply
        assert "tests/infra/smoke.py" in by_id[f"smoke-{region}"]["args"][-1]


def test_dependency_audit_runs_with_npm_and_fails_the_build(build: dict[str, Any]) -> None:
    by_id = {s["id"]: s for s in build["steps"]}
    script = by_id["audit"]["args"][-1]
    assert "make audit" in script and "npm" in script  # npm audit needs npm on the image
    assert script.lstrip().startswith("set -euo pipefail")
    assert not any(s in script for s in ("|| true", "exit 0", "--ignore-vuln")), (
        "the audit must be able to fail"
    )
    assert "install" in ancestors(build["steps"], "audit")
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\naudit: " in makefile and "-m tools.audit" in makefile


def test_every_bundle_gets_an_sbom_before_any_plan(build: dict[str, Any], regions: set[str]) -> None:
    steps = build["steps"]
    by_id = {s["id"]: s for s in steps}
    assert "make bundles" in by_id["bundle"]["args"][-1]  # tools/bundle.py writes build/sbom/
    assert "bundle" in ancestors(steps, "sbom")
    script = by_id["sbom"]["args"][-1]
    assert "build/sbom/*.cdx.json" in script and "gcloud storage cp" in script
    assert "_DEPLOY" in script and "BRANCH_NAME" in script  # kept for what a deploy build ships
    for region in regions:
        assert {"audit", "sbom"} <= ancestors(steps, f"apply-{region}")


def test_graph_check_fails_on_bad_graphs() -> None:
    with pytest.raises(AssertionError, match="not an earlier step"):
        check_graph([{"id": "a", "waitFor": ["b"]}, {"id": "b"}])
    with pytest.raises(AssertionError, match="duplicate"):
        check_graph([{"id": "a"}, {"id": "a"}])
    with pytest.raises(AssertionError, match="no id"):
        check_graph([{"name": "python"}])


def test_the_ocr_image_is_built_and_pushed_before_any_plan_names_it(
    build: dict[str, Any], regions: set[str]
) -> None:
    steps = build["steps"]
    by_id = {s["id"]: s for s in steps}
    script = by_id["ocr-image"]["args"][-1]
    assert "docker build -f infra/ocr/Dockerfile" in script and "docker push" in script
    assert script.index("_DEPLOY") < script.index("docker push")  # pushed by deploy builds only
    assert "DOCKER_BUILDKIT=1" in by_id["ocr-image"]["env"]  # reads infra/ocr/Dockerfile.dockerignore
    image = "${_ARTIFACT_LOCATION}-docker.pkg.dev/$PROJECT_ID/archbuilder/ocr:$COMMIT_SHA"
    assert image in script
    for region in regions:
        assert "ocr-image" in ancestors(steps, f"plan-{region}")
        assert f'-var="ocr_image={image}"' in by_id[f"plan-{region}"]["args"][-1]
    assert (REPO_ROOT / "infra" / "ocr" / "Dockerfile").is_file()
