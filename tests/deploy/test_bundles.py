"""Each function's source bundle imports in a clean virtual environment and exposes its entry point.

The environment has only the bundle's pinned requirements (no repository on the path), on
Python 3.12 when this machine has it (the Cloud Functions runtime), and is kept under
``build/`` keyed by the requirements so that later runs only import.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tools.bundle import build_bundle, main, pinned_requirements

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

PROBE = """
import importlib, json, sys
sys.path.insert(0, ".")
entry = open("ENTRY_POINT").read().strip()
main = importlib.import_module("main")
fn = getattr(main, entry)
repo_leak = [p for p in sys.path if "shared" in p]
print(json.dumps({"callable": callable(fn), "leak": repo_leak, "version": sys.version_info[:2]}))
"""


def _python312() -> str:
    """A working Python 3.12 (pyenv shims may name one that is not selected), else this one."""
    candidates = [
        shutil.which("python3.12"),
        *sorted(glob.glob("/root/.pyenv/versions/3.12*/bin/python3.12")),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True, timeout=30).returncode == 0:
            return candidate
    return sys.executable


@pytest.fixture(scope="session")
def bundle_python() -> Path:
    requirements = "\n".join(pinned_requirements())
    interpreter = _python312()
    key = hashlib.sha256((interpreter + requirements).encode()).hexdigest()[:12]
    venv = REPO_ROOT / "build" / f".bundle-venv-{key}"
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    # xdist workers share the environment: one builds it while the others wait.
    with (venv.parent / ".bundle-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build_venv(interpreter, venv, requirements)
    return python


def _build_venv(interpreter: str, venv: Path, requirements: str) -> None:
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, timeout=120)
        req = venv / "requirements.txt"
        req.write_text(requirements + "\n")
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(req)],
            check=True,
            timeout=900,
        )
        (venv / ".complete").touch()


def _functions() -> list[str]:
    from archbuilder.manifest import load_manifest

    return [f.name for f in load_manifest().functions]


@pytest.mark.parametrize("name", _functions())
def test_bundle_imports_and_finds_its_entry_point(name: str, bundle_python: Path, tmp_path: Path) -> None:
    bundle = build_bundle(name, tmp_path)
    assert (bundle / "main.py").exists() and (bundle / "archbuilder" / "__init__.py").exists()
    assert all("==" in line for line in (bundle / "requirements.txt").read_text().splitlines()[1:])
    result = subprocess.run(
        [str(bundle_python), "-I", "-c", PROBE],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"callable": True, "leak": [], "version": report["version"]}


def test_make_bundles_writes_an_sbom_listing_each_pinned_package_with_its_version(tmp_path: Path) -> None:
    assert (
        main(["api_identity", "--out", str(tmp_path / "functions"), "--sbom-out", str(tmp_path / "sbom")])
        == 0
    )
    bundle_pins = (tmp_path / "functions" / "api_identity" / "requirements.txt").read_text().splitlines()[1:]
    assert bundle_pins == pinned_requirements()
    bom = json.loads((tmp_path / "sbom" / "api_identity.cdx.json").read_text())
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert bom["metadata"]["component"]["name"] == "archbuilder-api_identity"
    assert "serialNumber" not in bom and "timestamp" not in bom["metadata"]  # reproducible
    components = {c["name"]: c for c in bom["components"]}
    pins = dict(line.split("==", 1) for line in bundle_pins)
    assert set(components) == set(pins)
    for name, version in pins.items():
        purl_name = re.sub(r"[-_.]+", "-", name).lower()
        assert components[name]["version"] == version, name
        assert components[name]["purl"] == f"pkg:pypi/{purl_name}@{version}", name
