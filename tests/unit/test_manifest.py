"""The manifest routes every API path to the function whose route table serves it."""

from __future__ import annotations

import re

from archbuilder.api.openapi import all_apis
from archbuilder.manifest import load_manifest, template_matches


def test_templates_match_segments() -> None:
    assert template_matches("/v1/projects/*/layouts", "/v1/projects/p1/layouts")
    assert not template_matches("/v1/projects/*/layouts", "/v1/projects/p1/layouts/l1")
    assert template_matches("/v1/projects/*/layouts/**", "/v1/projects/p1/layouts/l1/versions/1")
    assert not template_matches("/v1/projects/**", "/v1/projects")


def test_every_route_is_served_by_its_own_function() -> None:
    manifest = load_manifest()
    for api in all_apis():
        for route in api.routes:
            sample = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "x1", route.path)
            spec = manifest.route_for(sample)
            assert spec is not None, f"no function serves {route.method} {route.path}"
            assert spec.name == api.name, f"{route.path} goes to {spec.name}, defined in {api.name}"


def test_every_function_has_an_entry_point() -> None:
    for spec in load_manifest().functions:
        assert callable(spec.load()), spec.name
