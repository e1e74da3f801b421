"""Terraform and functions/manifest.yaml agree: every function, topic, trigger, secret and
route of the manifest exists in the Terraform, and the Terraform invents none.

Two halves: the manifest module (infra/modules/manifest) is *evaluated* by terraform,
offline, and its outputs compared with the Python loader; the region and root modules are
*read* with python-hcl2 to check that every per-function resource is generated from those
outputs rather than written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from archbuilder.manifest import HttpTrigger, Manifest, PubSubTrigger, StorageTrigger, load_manifest
from tests.infra.support import (
    MANIFEST_PATH,
    REGION_MODULE,
    REPO_ROOT,
    evaluate_manifest_module,
    load_dir,
    locals_of,
    resources,
)

# Cloud Functions (2nd gen) limits the Terraform relies on.
MEMORY = {"128Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi", "8Gi", "16Gi", "32Gi"}
EVENT_TIMEOUT_MAX_S = 540
HTTP_TIMEOUT_MAX_S = 3600
LONGEST_REGION_KEY = 8  # region_key validation in infra/modules/region/variables.tf


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(MANIFEST_PATH)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return evaluate_manifest_module(tmp_path_factory.mktemp("tf"))


@pytest.fixture(scope="module")
def region() -> dict[str, dict[str, Any]]:
    return resources(REGION_MODULE)


def test_every_function_with_its_settings(manifest: Manifest, evaluated: dict[str, Any]) -> None:
    tf = evaluated["functions"]
    assert set(tf) == {f.name for f in manifest.functions}
    for spec in manifest.functions:
        got = tf[spec.name]
        assert got["entry_point"] == spec.entry_point, spec.name
        assert got["memory"] == spec.memory, spec.name
        assert got["timeout_s"] == spec.timeout_s, spec.name
        assert got["max_event_age_s"] == spec.max_event_age_s, spec.name
        assert got["trigger_type"] == spec.trigger.type, spec.name
        assert sorted(got["secrets"]) == sorted(spec.secrets), spec.name


def test_every_trigger(manifest: Manifest, evaluated: dict[str, Any]) -> None:
    want_subs = {
        (spec.name, spec.trigger.topic)
        for spec in manifest.functions
        if isinstance(spec.trigger, PubSubTrigger)
    }
    got_subs = {(s["function"], s["topic"]) for s in evaluated["subscriptions"].values()}
    assert got_subs == want_subs
    assert set(evaluated["topics"]) == {topic for _, topic in want_subs}

    want_storage = {
        spec.name: spec.trigger.bucket
        for spec in manifest.functions
        if isinstance(spec.trigger, StorageTrigger)
    }
    assert {k: f["bucket"] for k, f in evaluated["storage_functions"].items()} == want_storage
    assert set(evaluated["http_functions"]) == {f.name for f in manifest.http_functions()}
    assert evaluated["has_maintenance"] == any(f.name == "maintenance" for f in manifest.functions)


def test_every_secret(manifest: Manifest, evaluated: dict[str, Any]) -> None:
    assert set(evaluated["secrets"]) == {s for f in manifest.functions for s in f.secrets}


def test_every_route_once_in_manifest_order(manifest: Manifest, evaluated: dict[str, Any]) -> None:
    routes = evaluated["routes"]
    want = {
        (spec.name, r)
        for spec in manifest.http_functions()
        if isinstance(spec.trigger, HttpTrigger)
        for r in spec.trigger.routes
    }
    assert {(r["function"], r["template"]) for r in routes} == want
    priorities = [r["priority"] for r in routes]
    assert priorities == sorted(priorities) and len(set(priorities)) == len(priorities)

    # The load balancer takes the first rule (by priority) that matches; for a path made
    # from each template that must be the function the manifest routes it to.
    for _, template in sorted(want):
        path = template.replace("**", "rest/of/path").replace("*", "segment1")
        first = next(r for r in routes if _lb_matches(r["template"], path))
        expected = manifest.route_for(path)
        assert expected is not None, path
        assert first["function"] == expected.name, (path, first, expected.name)


def _lb_matches(template: str, path: str) -> bool:
    """URL-map semantics: full match, `*` one segment, trailing `**` zero or more segments."""
    pattern = (
        "^"
        + "/".join(
            "(/.*)?" if part == "**" else "[^/]+" if part == "*" else re.escape(part)
            for part in template.rstrip("/").split("/")
        ).replace("/(/.*)?", "(/.*)?")
        + "$"
    )
    return re.match(pattern, path) is not None


def test_route_templates_fit_the_url_map(manifest: Manifest) -> None:
    for spec in manifest.http_functions():
        assert isinstance(spec.trigger, HttpTrigger)
        for template in spec.trigger.routes:
            parts = template.split("/")
            assert template.startswith("/"), template
            operators = [p for p in parts if p in ("*", "**")]
            assert len(operators) <= 5, f"{template}: a URL-map path template allows 5 wildcards"
            assert "**" not in parts[:-1], f"{template}: `**` must be the last segment"
            for part in parts[1:]:
                assert part in ("*", "**") or re.fullmatch(r"[A-Za-z0-9._~:@!$&'()+,;=-]+", part), (
                    template,
                    part,
                )


def test_functions_fit_cloud_functions_limits(manifest: Manifest) -> None:
    for spec in manifest.functions:
        assert spec.memory in MEMORY, f"{spec.name}: memory {spec.memory}"
        limit = HTTP_TIMEOUT_MAX_S if isinstance(spec.trigger, HttpTrigger) else EVENT_TIMEOUT_MAX_S
        assert 1 <= spec.timeout_s <= limit, f"{spec.name}: timeout {spec.timeout_s} s > {limit} s"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name), spec.name
        for secret in spec.secrets:
            assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,200}", secret), f"{spec.name}: secret name {secret}"
    for spec in manifest.functions:
        if isinstance(spec.trigger, PubSubTrigger):
            assert re.fullmatch(r"[a-z][a-z0-9-]{2,200}", spec.trigger.topic), spec.trigger.topic
    maintenance = next((f for f in manifest.functions if f.name == "maintenance"), None)
    if maintenance is not None:
        # Cloud Scheduler publishes to the topic named maintenance (scheduler.tf).
        assert isinstance(maintenance.trigger, PubSubTrigger) and maintenance.trigger.topic == "maintenance"


def test_service_account_ids_stay_unique() -> None:
    """iam.tf cuts ab-<region>-<function> to 30 characters; no two functions may collide."""
    names = [f.name for f in load_manifest(MANIFEST_PATH).functions]
    for region in ("eu", "us", "asia", "x" * LONGEST_REGION_KEY):
        ids = [f"ab-{region}-{n.replace('_', '-')}"[:30].strip("-") for n in names]
        assert len(set(ids)) == len(ids), f"service-account ids collide for region {region}: {ids}"
        assert all(re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", i) for i in ids), ids


def test_region_resources_are_generated_from_the_manifest(region: dict[str, dict[str, Any]]) -> None:
    gen = {
        "google_service_account.fn": "${local.functions}",
        "data.archive_file.bundle": None,
        "google_storage_bucket_object.source": "${local.functions}",
        "google_cloudfunctions2_function.fn": "${local.functions}",
        "google_compute_region_network_endpoint_group.fn": "${local.http_functions}",
        "google_compute_backend_service.fn": "${local.http_functions}",
        "google_cloud_run_service_iam_member.public_http": "${local.http_functions}",
        "google_cloud_run_service_iam_member.pusher": "${local.pubsub_functions}",
        "google_cloud_run_service_iam_member.eventarc": "${local.storage_functions}",
        "google_pubsub_subscription.push": "${module.manifest.subscriptions}",
        "google_pubsub_topic.dead_letter": "${module.manifest.subscriptions}",
        "google_pubsub_topic.topic": "${toset(local.all_topics)}",
        "google_secret_manager_secret.secret": "${toset(local.all_secrets)}",
    }
    for address, for_each in gen.items():
        if for_each is None:
            continue
        assert address in region, f"{address} missing from the region module"
        assert region[address].get("for_each") == for_each, f"{address} is not generated from the manifest"

    local = locals_of(REGION_MODULE)
    assert local["functions"] == "${module.manifest.functions}"
    assert "module.manifest.topics" in local["all_topics"]
    assert "module.manifest.secrets" in local["all_secrets"]

    url_map = region["google_compute_url_map.api"]
    matcher = url_map["path_matcher"][0]
    dynamic = matcher["dynamic"][0]["route_rules"]
    assert dynamic["for_each"] == "${module.manifest.routes}"

    function = region["google_cloudfunctions2_function.fn"]
    assert function["build_config"][0]["runtime"] == "python312"
    assert function["build_config"][0]["entry_point"] == "${each.value.entry_point}"
    service = function["service_config"][0]
    assert service["available_memory"] == "${each.value.memory}"
    assert service["timeout_seconds"] == "${each.value.timeout_s}"
    assert "secret_environment_variables" in {k for d in service["dynamic"] for k in d}


def test_every_storage_trigger_bucket_exists(manifest: Manifest) -> None:
    buckets = locals_of(REGION_MODULE)["bucket_names"]
    for spec in manifest.functions:
        if isinstance(spec.trigger, StorageTrigger):
            assert spec.trigger.bucket in buckets, (
                f"{spec.name}: no bucket `{spec.trigger.bucket}` in Terraform"
            )
            assert f"google_storage_bucket.{spec.trigger.bucket}" in resources(REGION_MODULE)


def test_every_function_has_decided_grants(manifest: Manifest) -> None:
    access = locals_of(REGION_MODULE)["access"]
    missing = sorted({f.name for f in manifest.functions} - set(access))
    assert not missing, (
        f"{missing}: add the function to local.access in infra/modules/region/main.tf "
        "(which buckets it reads or writes, which topics it publishes)"
    )


def test_root_instantiates_one_region_module_per_region() -> None:
    root = load_dir(REPO_ROOT)
    module = next(m["region"] for m in root["module"] if "region" in m)
    assert module["source"] == "./infra/modules/region"
    assert module["for_each"] == "${local.active_regions}"
    assert module["manifest_path"] == "${path.root}/functions/manifest.yaml"
    regions = next(v["regions"] for v in root["variable"] if "regions" in v)["default"]
    assert set(regions) == {"eu", "us", "asia"}
    for key, region in regions.items():
        assert region["location"] != region["backup_location"], key
    backend = root["terraform"][0]["backend"][0]
    assert "gcs" in backend


def test_future_manifest_entries_are_handled(tmp_path: Path) -> None:
    """Functions other helpers are adding (several topics, secrets, maintenance) evaluate."""
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    data["functions"] += [
        {
            "name": "billing_worker_x",
            "entry_point": "billing_worker_x",
            "trigger": {"type": "pubsub", "topics": ["billing-events-x", "usage-events-x"]},
            "secrets": ["stripe-api-key-x"],
        },
        {
            "name": "maintenance",
            "entry_point": "maintenance",
            "trigger": {"type": "pubsub", "topic": "maintenance"},
        },
    ]
    data["functions"] = [f for f in data["functions"] if f["name"] != "maintenance"] + [data["functions"][-1]]
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = evaluate_manifest_module(tmp_path, path)
    assert out["has_maintenance"] is True
    assert {"billing-events-x", "usage-events-x", "maintenance"} <= set(out["topics"])
    assert "stripe-api-key-x" in out["secrets"]
    assert out["functions"]["billing_worker_x"]["memory"] == "256Mi"  # the loader's default
