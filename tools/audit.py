"""Dependency scanning: pip-audit over every pinned requirements file, npm audit over tools/node.

``python -m tools.audit [--allowlist security/audit-allowlist.yaml]`` (``make audit``) runs
each scanner with JSON output, reads its answer, accepts what the allow-list accepts and fails
on what is left at or above ``high``. Exit codes:

    0  every source answered; no finding at or above high outside the allow-list
    1  a finding at or above high that the allow-list does not accept, or an expired entry
    2  the audit is broken: an invalid allow-list, a scanner missing, an answer not understood
    3  a vulnerability source could not be reached (or answered without data): the audit is
       incomplete, nothing is known about the dependencies it could not check

1 wins over 3 (a known problem is reported even when another source was silent), 2 over both.

Severity: npm audit grades each advisory (info, low, moderate, high, critical). pip-audit's JSON
carries no severity, so every pip-audit finding counts as high: it fails the audit until it is
fixed or allow-listed with a reason.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = REPO_ROOT / "tools" / "node"
ALLOWLIST = REPO_ROOT / "security" / "audit-allowlist.yaml"

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BROKEN = 2
EXIT_UNREACHABLE = 3

Severity = Literal["info", "low", "moderate", "high", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "low": 1, "moderate": 2, "high": 3, "critical": 4}
THRESHOLD: Severity = "high"
PIP_AUDIT_SEVERITY: Severity = "high"  # pip-audit reports none: see the module's docstring
# The vulnerability database pip-audit asks: OSV has the PyPA advisories and GitHub's.
PIP_AUDIT_SERVICE = "osv"
# An allow-list entry accepts a risk for at most this long; then it is reviewed again.
MAX_ACCEPTANCE = timedelta(days=180)
ALLOWLIST_FIELDS = ("id", "package", "reason", "expires", "approved_by")

# How a failed request reads in pip-audit's error output (requests, urllib3, pip-audit's own).
_PIP_AUDIT_NETWORK = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Could not connect",
    "ServiceError",
    "not redirecting properly",
)
# npm error codes of a request that got no answer.
_NPM_NETWORK = {"ENOTFOUND", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "ENETUNREACH"}


class AuditError(Exception):
    """The audit cannot run or cannot read an answer (exit 2)."""


@dataclass(frozen=True)
class Finding:
    """One advisory against one package, as a scanner reported it."""

    ecosystem: Literal["pypi", "npm"]
    package: str
    version: str  # pip-audit: the pinned version; npm audit: the vulnerable range
    id: str
    aliases: tuple[str, ...]
    severity: Severity
    summary: str
    source: str  # the file that was scanned

    @property
    def ids(self) -> set[str]:
        return {self.id, *self.aliases}

    def describe(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return (
            f"{self.severity:<8} {self.ecosystem} {self.package} {self.version}: {self.id}{aliases}"
            f" [{self.source}] {self.summary}"
        )


@dataclass(frozen=True)
class ScanResult:
    """What one scanner run said: findings, and why it is incomplete when it is."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    unreachable: str | None = None


@dataclass(frozen=True)
class AllowEntry:
    """An accepted finding: which advisory on which package, why, until when, and who said so."""

    id: str
    package: str
    reason: str
    expires: date
    approved_by: str

    def matches(self, finding: Finding) -> bool:
        return self.id in finding.ids and _canonical(self.package) == _canonical(finding.package)


@dataclass(frozen=True)
class Verdict:
    blocking: list[Finding]
    accepted: list[tuple[Finding, AllowEntry]]
    below_threshold: list[Finding]
    expired: list[AllowEntry]
    unused: list[AllowEntry]
    unreachable: list[ScanResult]

    @property
    def exit_code(self) -> int:
        if self.blocking or self.expired:
            return EXIT_FINDINGS
        if self.unreachable:
            return EXIT_UNREACHABLE
        return EXIT_OK


def _canonical(name: str) -> str:
    """PEP 503 name normalisation (harmless for npm names, which are lower case already)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --- Allow-list ------------------------------------------------------------------------------


def load_allowlist(text: str, today: date) -> list[AllowEntry]:
    """Entries of ``{"entries": [...]}``; every field is required, ``expires`` within 180 days."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("entries") or [], list):
        raise AuditError("allow-list: expected a mapping with an 'entries' list")
    entries: list[AllowEntry] = []
    for index, raw in enumerate(data.get("entries") or []):
        where = f"allow-list entry {index + 1}"
        if not isinstance(raw, dict):
            raise AuditError(f"{where}: expected a mapping")
        missing = [name for name in ALLOWLIST_FIELDS if not str(raw.get(name) or "").strip()]
        unknown = sorted(set(raw) - set(ALLOWLIST_FIELDS))
        if missing or unknown:
            raise AuditError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
        expires = raw["expires"]
        try:
            expires = expires if isinstance(expires, date) else date.fromisoformat(str(expires))
        except ValueError as exc:
            raise AuditError(f"{where}: expires {raw['expires']!r} is not a YYYY-MM-DD date") from exc
        if expires > today + MAX_ACCEPTANCE:
            raise AuditError(
                f"{where} ({raw['id']}): expires {expires} is more than {MAX_ACCEPTANCE.days} days away"
            )
        entries.append(
            AllowEntry(
                id=str(raw["id"]).strip(),
                package=str(raw["package"]).strip(),
                reason=str(raw["reason"]).strip(),
                expires=expires,
                approved_by=str(raw["approved_by"]).strip(),
            )
        )
    return entries


def judge(results: Sequence[ScanResult], entries: Sequence[AllowEntry], today: date) -> Verdict:
    """Apply the allow-list (entries valid through their ``expires`` day) and the threshold."""
    active = [e for e in entries if e.expires >= today]
    blocking: list[Finding] = []
    accepted: list[tuple[Finding, AllowEntry]] = []
    below: list[Finding] = []
    used: set[AllowEntry] = set()
    for finding in (f for result in results for f in result.findings):
        entry = next((e for e in active if e.matches(finding)), None)
        if entry is not None:
            accepted.append((finding, entry))
            used.add(entry)
        elif SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[THRESHOLD]:
            blocking.append(finding)
        else:
            below.append(finding)
    unreachable = [r for r in results if r.unreachable is not None]
    return Verdict(
        blocking=blocking,
        accepted=accepted,
        below_threshold=below,
        expired=[e for e in entries if e.expires < today],
        # Only meaningful when every source answered: otherwise nothing could have matched.
        unused=[] if unreachable else [e for e in active if e not in used],
        unreachable=unreachable,
    )


# --- pip-audit -------------------------------------------------------------------------------


def requirement_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every pinned requirements file: requirements*.txt, constraints.txt, functions/*/requirements.txt."""
    files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("functions/*/requirements.txt"))
    if (root / "constraints.txt").exists():
        files.append(root / "constraints.txt")
    return files


def parse_pip_audit(stdout: str, stderr: str, source: str) -> ScanResult:
    """pip-audit's ``--format json`` answer: ``{"dependencies": [...], "fixes": [...]}``.

    A dependency it could not look up has ``skip_reason`` instead of ``vulns`` (PyPI answers
    404 for versions it has no vulnerability data for), and pip-audit still exits 0: any
    skipped dependency makes the scan incomplete. No JSON at all means pip-audit stopped; a
    network error then is an unreachable source, anything else a broken audit."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        if any(marker in stderr for marker in _PIP_AUDIT_NETWORK):
            return ScanResult(source=source, unreachable=last)
        raise AuditError(f"pip-audit {source}: no JSON answer: {last}") from None
    try:
        dependencies: list[dict[str, Any]] = data["dependencies"]
        findings: list[Finding] = []
        skipped: list[str] = []
        for dep in dependencies:
            if "skip_reason" in dep:
                skipped.append(str(dep["skip_reason"]))
                continue
            for vuln in dep["vulns"]:
                findings.append(
                    Finding(
                        ecosystem="pypi",
                        package=str(dep["name"]),
                        version=str(dep["version"]),
                        id=str(vuln["id"]),
                        aliases=tuple(str(a) for a in vuln.get("aliases", [])),
                        severity=PIP_AUDIT_SEVERITY,
                        summary=_one_line(str(vuln.get("description") or "")),
                        source=source,
                    )
                )
    except (KeyError, TypeError) as exc:
        raise AuditError(f"pip-audit {source}: unexpected JSON ({exc!r})") from exc
    unreachable = None
    if skipped:
        unreachable = f"{len(skipped)} of {len(dependencies)} packages not checked, e.g. {skipped[0]}"
    return ScanResult(source=source, findings=findings, unreachable=unreachable)


def run_pip_audit(path: Path) -> ScanResult:
    if importlib.util.find_spec("pip_audit") is None:
        raise AuditError("pip-audit is not installed (it is in requirements-dev.txt)")
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(path),
        "--no-deps",  # every line is pinned: audit exactly those versions
        "--disable-pip",
        "--vulnerability-service",
        PIP_AUDIT_SERVICE,
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "30",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=REPO_ROOT)
    return parse_pip_audit(done.stdout, done.stderr, _relative(path))


# --- npm audit -------------------------------------------------------------------------------


def parse_npm_audit(stdout: str, source: str) -> ScanResult:
    """``npm audit --json`` (report version 2): ``vulnerabilities`` keyed by package, each with
    ``via``: advisories (objects with ``source``, ``name``, ``title``, ``url``, ``severity``,
    ``range``) or names of the vulnerable packages it depends on (strings, skipped: their own
    entry carries the advisory). A failed request prints ``{"message": ..., "error": ...}``."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        raise AuditError(f"npm audit {source}: no JSON answer: {stdout.strip()[-300:]!r}") from None
    if not isinstance(data, dict):
        raise AuditError(f"npm audit {source}: unexpected JSON")
    if "auditReportVersion" not in data:
        raw_error = data.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = str(error.get("code") or "")
        if code and code not in _NPM_NETWORK:
            raise AuditError(f"npm audit {source}: {code}: {error.get('summary', '')}")
        reason = str(data.get("message") or error.get("summary") or code or "no report")
        return ScanResult(source=source, unreachable=reason)
    if data["auditReportVersion"] != 2:
        raise AuditError(f"npm audit {source}: report version {data['auditReportVersion']} is not 2")
    findings: dict[tuple[str, str], Finding] = {}
    try:
        for vulnerability in data["vulnerabilities"].values():
            for via in vulnerability["via"]:
                if not isinstance(via, dict):
                    continue
                advisory = str(via["url"]).rstrip("/").rsplit("/", 1)[-1] or str(via["source"])
                finding = Finding(
                    ecosystem="npm",
                    package=str(via["name"]),
                    version=str(via.get("range") or vulnerability.get("range") or ""),
                    id=advisory,
                    aliases=(str(via["source"]),),
                    severity=_npm_severity(str(via["severity"])),
                    summary=_one_line(str(via.get("title") or "")),
                    source=source,
                )
                findings.setdefault((finding.package, finding.id), finding)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AuditError(f"npm audit {source}: unexpected JSON ({exc!r})") from exc
    return ScanResult(source=source, findings=list(findings.values()))


_NPM_SEVERITIES: dict[str, Severity] = {
    "info": "info",
    "low": "low",
    "moderate": "moderate",
    "high": "high",
    "critical": "critical",
}


def _npm_severity(value: str) -> Severity:
    if value not in _NPM_SEVERITIES:
        raise AuditError(f"npm audit: unknown severity {value!r}")
    return _NPM_SEVERITIES[value]


def run_npm_audit(node_dir: Path = NODE_DIR) -> ScanResult:
    npm = shutil.which("npm")
    if npm is None:
        raise AuditError("npm is not installed (needed for npm audit of tools/node)")
    done = subprocess.run(
        [npm, "audit", "--omit=dev", "--json"], capture_output=True, text=True, timeout=600, cwd=node_dir
    )
    return parse_npm_audit(done.stdout, _relative(node_dir / "package-lock.json"))


# --- Report ----------------------------------------------------------------------------------


def render(verdict: Verdict, sources: Iterable[str]) -> str:
    lines: list[str] = []
    for result in verdict.unreachable:
        lines.append(f"NOT CHECKED {result.source}: the vulnerability source could not be reached")
        lines.append(f"    ({result.unreachable})")
    for finding in verdict.blocking:
        lines.append(f"FAIL   {finding.describe()}")
    for entry in verdict.expired:
        lines.append(
            f"FAIL   allow-list entry {entry.id} ({entry.package}) expired on {entry.expires}:"
            " fix the dependency or review the entry again"
        )
    for finding, entry in verdict.accepted:
        lines.append(f"ok     {finding.describe()}")
        lines.append(f"       allow-listed until {entry.expires} by {entry.approved_by}: {entry.reason}")
    for finding in verdict.below_threshold:
        lines.append(f"note   {finding.describe()} (below {THRESHOLD})")
    for entry in verdict.unused:
        lines.append(f"note   allow-list entry {entry.id} ({entry.package}) matched nothing: remove it")
    scanned = ", ".join(sources)
    code = verdict.exit_code
    if code == EXIT_FINDINGS:
        lines.append(
            f"audit FAILED: {len(verdict.blocking)} finding(s) at or above {THRESHOLD},"
            f" expired allow-list entries: {len(verdict.expired)},"
            f" sources not checked: {len(verdict.unreachable)} (exit {code})"
        )
    elif code == EXIT_UNREACHABLE:
        lines.append(
            f"audit INCOMPLETE: {len(verdict.unreachable)} source(s) could not be reached, so nothing is"
            f" known about their dependencies; this is not a pass (exit {code})"
        )
    else:
        lines.append(f"audit passed: no finding at or above {THRESHOLD} in {scanned} (exit {code})")
    return "\n".join(lines) + "\n"


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST)
    args = parser.parse_args(argv)
    today = date.today()
    try:
        entries = load_allowlist(args.allowlist.read_text(encoding="utf-8"), today)
        results = [run_pip_audit(path) for path in requirement_files()]
        results.append(run_npm_audit())
    except (AuditError, OSError, subprocess.TimeoutExpired) as exc:
        sys.stderr.write(f"audit BROKEN: {exc} (exit {EXIT_BROKEN})\n")
        return EXIT_BROKEN
    verdict = judge(results, entries, today)
    sys.stdout.write(render(verdict, [r.source for r in results]))
    return verdict.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
