"""Helpers of the infrastructure tests: find terraform and checkov, read HCL, evaluate the
manifest module offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
REGION_MODULE = INFRA / "modules" / "region"
MANIFEST_MODULE = INFRA / "modules" / "manifest"
MANIFEST_PATH = REPO_ROOT / "functions" / "manifest.yaml"
# checkov lives in its own virtual environment: it pins bc-python-hcl2, which installs the
# same `hcl2` package as python-hcl2 (used here) in an incompatible version.
CHECKOV_VENV = REPO_ROOT / ".venv" / "checkov"


def terraform() -> str:
    """The terraform binary; the test fails (never skips) without it."""
    found = os.environ.get("TERRAFORM") or shutil.which("terraform")
    if not found:
        pytest.fail(
            "terraform is not installed: the infrastructure checks need terraform >= 1.9 on PATH "
            "(or TERRAFORM=/path/to/terraform). Install it from your package manager or "
            "https://developer.hashicorp.com/terraform/install",
            pytrace=False,
        )
    return found


def checkov() -> str:
    """The checkov executable: CHECKOV, the project's tool venv, or PATH."""
    candidates = [os.environ.get("CHECKOV"), str(CHECKOV_VENV / "bin" / "checkov"), shutil.which("checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(
        f"checkov is not installed: `make test` installs it into {CHECKOV_VENV.relative_to(REPO_ROOT)} "
        "(or set CHECKOV=/path/to/checkov)",
        pytrace=False,
    )


def tf_env(tmp: Path) -> dict[str, str]:
    """An environment in which terraform reads no user configuration and never phones home."""
    config = tmp / "terraformrc"
    config.write_text("", encoding="utf-8")
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
    }


def run_tf(args: list[str], cwd: Path, tmp: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform(), *args], cwd=cwd, env=tf_env(tmp), capture_output=True, text=True, timeout=timeout
    )


def evaluate_manifest_module(tmp: Path, manifest_path: Path = MANIFEST_PATH) -> dict[str, Any]:
    """Apply infra/modules/manifest (pure: no providers, no network) and return its outputs."""
    work = tmp / "eval"
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(
        f"""
module "manifest" {{
  source        = {json.dumps(str(MANIFEST_MODULE))}
  manifest_path = {json.dumps(str(manifest_path))}
}}

output "all" {{
  value = module.manifest
}}
""",
        encoding="utf-8",
    )
    for args in (["init", "-no-color", "-backend=false"], ["apply", "-no-color", "-auto-approve"]):
        done = run_tf(args, work, tmp)
        assert done.returncode == 0, f"terraform {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    out = run_tf(["output", "-no-color", "-json", "all"], work, tmp)
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# --- HCL through python-hcl2 -------------------------------------------------------------


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and block labels; drop them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def load_hcl(path: Path) -> dict[str, Any]:
    import hcl2

    with path.open(encoding="utf-8") as fh:
        parsed: dict[str, Any] = _unquote(hcl2.load(fh))
    return parsed


@cache
def load_dir(folder: Path) -> dict[str, list[Any]]:
    """Every top-level block of every .tf file in ``folder``, by block type (parsed once per
    test process: python-hcl2 takes a few seconds over the region module; read-only)."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        for kind, blocks in load_hcl(path).items():
            merged.setdefault(kind, []).extend(blocks if isinstance(blocks, list) else [blocks])
    return merged


def resources(folder: Path) -> dict[str, dict[str, Any]]:
    """``{"google_x.name": body}`` for every resource block in ``folder``."""
    found: dict[str, dict[str, Any]] = {}
    for block in load_dir(folder).get("resource", []):
        for rtype, named in block.items():
            for name, body in named.items():
                found[f"{rtype}.{name}"] = body
    return found


def locals_of(folder: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in load_dir(folder).get("locals", []):
        merged.update(block)
    return merged
