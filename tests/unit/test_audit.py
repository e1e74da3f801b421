"""tools/audit.py reads pip-audit's and npm audit's JSON answers, applies the allow-list and the
severity threshold, and tells an unreachable source from a clean one. Offline, on answers in
tests/unit/fixtures/audit/:

- recorded on a development machine (no vulnerability service reachable):
  ``pip_audit_pypi_no_data.json`` (PyPI's per-version JSON answers 404: every package skipped),
  ``pip_audit_osv_unreachable.stderr`` (OSV's host does not resolve), ``npm_audit_405.json``
  (the advisory endpoint answers 405), ``npm_audit_econnrefused.json``, ``npm_audit_enolock.json``;
- written in the scanners' own shape: ``pip_audit_vulns.json`` by pip-audit 2.10.1's JSON
  formatter, ``npm_audit_vulns.json`` / ``npm_audit_clean.json`` after npm's report version 2.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from tools import audit
from tools.audit import AllowEntry, AuditError, Finding, ScanResult

from tests.conftest import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
TODAY = date(2026, 12, 4)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def entry(id: str, package: str, expires: date = TODAY + timedelta(days=30)) -> AllowEntry:
    return AllowEntry(
        id=id, package=package, reason="not reachable from our code", expires=expires, approved_by="a"
    )


# --- pip-audit --------------------------------------------------------------------------------


def test_pip_audit_findings_are_read_with_their_aliases_and_count_as_high() -> None:
    result = audit.parse_pip_audit(fixture("pip_audit_vulns.json"), "", "requirements.txt")
    assert result.unreachable is None
    by_package = {f.package: f for f in result.findings}
    assert set(by_package) == {"jinja2", "werkzeug"}  # flask: no vulns
    jinja = by_package["jinja2"]
    assert (jinja.version, jinja.id, jinja.aliases) == ("3.1.4", "CVE-2024-56201", ("GHSA-q2x7-8rv6-6q7h",))
    assert jinja.severity == "high" and jinja.source == "requirements.txt"
    assert "sandbox breakout" in jinja.summary


def test_pip_audit_that_skipped_packages_is_incomplete_not_clean() -> None:
    # pip-audit exits 0 and says "No known vulnerabilities found" for this answer.
    result = audit.parse_pip_audit(fixture("pip_audit_pypi_no_data.json"), "", "requirements.txt")
    assert result.findings == []
    assert result.unreachable is not None
    assert "15 of 15 packages not checked" in result.unreachable
    assert "not found on PyPI" in result.unreachable


def test_pip_audit_network_error_is_an_unreachable_source() -> None:
    result = audit.parse_pip_audit("", fixture("pip_audit_osv_unreachable.stderr"), "constraints.txt")
    assert result.unreachable is not None and "api.osv.dev" in result.unreachable


def test_pip_audit_other_failures_break_the_audit() -> None:
    with pytest.raises(AuditError, match="no JSON answer"):
        audit.parse_pip_audit("", "ERROR:pip_audit._cli:requirement file does not exist\n", "x.txt")
    with pytest.raises(AuditError, match="unexpected JSON"):
        audit.parse_pip_audit('{"deps": []}', "", "x.txt")


def test_every_pinned_requirements_file_is_audited() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in audit.requirement_files()}
    assert {
        "requirements.txt",
        "requirements-dev.txt",
        "requirements-gcp.txt",
        "requirements-emulators.txt",
        "requirements-checkov.txt",
        "constraints.txt",
    } <= names
    # --no-deps audits exactly the listed versions: so every line must pin one.
    for path in audit.requirement_files():
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            assert not line or line.startswith("-r ") or "==" in line, (path.name, line)


# --- npm audit --------------------------------------------------------------------------------


def test_npm_advisories_are_read_once_each_with_their_severity() -> None:
    result = audit.parse_npm_audit(fixture("npm_audit_vulns.json"), "tools/node/package-lock.json")
    assert result.unreachable is None
    got = {(f.package, f.id, f.severity, f.version) for f in result.findings}
    # firebase-tools and express only point at the packages that carry the advisories.
    assert got == {
        ("cookie", "GHSA-pxg6-pf52-xh8x", "low", "<0.7.0"),
        ("protobufjs", "GHSA-h755-8qp9-cq85", "critical", ">=7.0.0 <7.2.5"),
        ("tar", "GHSA-f5x3-32g6-xq36", "moderate", "<6.2.1"),
        ("ws", "GHSA-3h5v-q93c-6h6q", "high", ">=8.0.0 <8.17.1"),
    }
    ws = next(f for f in result.findings if f.package == "ws")
    assert ws.aliases == ("1098392",) and ws.ecosystem == "npm"


def test_npm_clean_report_has_no_findings() -> None:
    assert audit.parse_npm_audit(fixture("npm_audit_clean.json"), "lock") == ScanResult(source="lock")


@pytest.mark.parametrize(
    ("name", "reason"),
    [("npm_audit_405.json", "405 Method Not Allowed"), ("npm_audit_econnrefused.json", "ECONNREFUSED")],
)
def test_npm_endpoint_errors_are_an_unreachable_source(name: str, reason: str) -> None:
    result = audit.parse_npm_audit(fixture(name), "lock")
    assert result.findings == [] and result.unreachable is not None and reason in result.unreachable


def test_npm_errors_of_our_own_break_the_audit() -> None:
    with pytest.raises(AuditError, match="ENOLOCK"):
        audit.parse_npm_audit(fixture("npm_audit_enolock.json"), "lock")
    with pytest.raises(AuditError, match="no JSON"):
        audit.parse_npm_audit("npm ERR! something\n", "lock")
    with pytest.raises(AuditError, match="report version"):
        audit.parse_npm_audit('{"auditReportVersion": 1, "advisories": {}}', "lock")


# --- Allow-list ---------------------------------------------------------------------------------


def test_the_repository_allowlist_is_valid() -> None:
    audit.load_allowlist(audit.ALLOWLIST.read_text(encoding="utf-8"), date.today())


def test_allowlist_entries_need_every_field_and_a_near_date() -> None:
    good = """
entries:
  - id: GHSA-3h5v-q93c-6h6q
    package: ws
    reason: The Auth emulator only listens on 127.0.0.1 in tests.
    expires: 2027-01-31
    approved_by: security@example.com
"""
    (only,) = audit.load_allowlist(good, TODAY)
    assert only == AllowEntry(
        id="GHSA-3h5v-q93c-6h6q",
        package="ws",
        reason="The Auth emulator only listens on 127.0.0.1 in tests.",
        expires=date(2027, 1, 31),
        approved_by="security@example.com",
    )
    assert audit.load_allowlist("entries: []\n", TODAY) == []
    with pytest.raises(AuditError, match=r"missing \['reason'\]"):
        audit.load_allowlist(good.replace("reason: The Auth", "reason: ''\n    note: The Auth"), TODAY)
    with pytest.raises(AuditError, match="not a YYYY-MM-DD date"):
        audit.load_allowlist(good.replace("2027-01-31", "next spring"), TODAY)
    with pytest.raises(AuditError, match="more than 180 days away"):
        audit.load_allowlist(good.replace("2027-01-31", "2027-12-31"), TODAY)
    with pytest.raises(AuditError, match="'entries' list"):
        audit.load_allowlist("- id: x\n", TODAY)


def _findings() -> list[ScanResult]:
    return [
        audit.parse_pip_audit(fixture("pip_audit_vulns.json"), "", "requirements.txt"),
        audit.parse_npm_audit(fixture("npm_audit_vulns.json"), "tools/node/package-lock.json"),
    ]


def test_high_and_critical_findings_fail_and_lower_ones_are_notes() -> None:
    verdict = audit.judge(_findings(), [], TODAY)
    assert {f.package for f in verdict.blocking} == {"jinja2", "werkzeug", "protobufjs", "ws"}
    assert {f.package for f in verdict.below_threshold} == {"cookie", "tar"}
    assert verdict.exit_code == audit.EXIT_FINDINGS
    report = audit.render(verdict, ["requirements.txt"])
    assert "audit FAILED: 4 finding(s) at or above high" in report


def test_allowlisted_findings_pass_by_any_alias_and_normalised_name() -> None:
    entries = [
        entry("GHSA-q2x7-8rv6-6q7h", "Jinja2"),  # the alias, not pip-audit's chosen id
        entry("CVE-2024-49766", "werkzeug"),
        entry("GHSA-h755-8qp9-cq85", "protobufjs"),
        entry("1098392", "ws"),  # npm's numeric advisory id works too
    ]
    verdict = audit.judge(_findings(), entries, TODAY)
    assert verdict.blocking == [] and verdict.expired == [] and verdict.unused == []
    assert len(verdict.accepted) == 4
    assert verdict.exit_code == audit.EXIT_OK
    report = audit.render(verdict, ["requirements.txt", "tools/node/package-lock.json"])
    assert "allow-listed until" in report and "audit passed" in report


def test_an_entry_accepts_only_its_own_package() -> None:
    verdict = audit.judge(_findings(), [entry("GHSA-3h5v-q93c-6h6q", "firebase-tools")], TODAY)
    assert "ws" in {f.package for f in verdict.blocking}
    assert [e.package for e in verdict.unused] == ["firebase-tools"]


def test_expired_entries_fail_even_when_nothing_matches_them() -> None:
    last_day = entry("GHSA-3h5v-q93c-6h6q", "ws", expires=TODAY)
    assert audit.judge(_findings()[1:], [last_day], TODAY).accepted  # valid through its day
    stale = entry("GHSA-0000-0000-0000", "left-pad", expires=TODAY - timedelta(days=1))
    clean = [ScanResult(source="requirements.txt")]
    verdict = audit.judge(clean, [stale], TODAY)
    assert verdict.expired == [stale] and verdict.exit_code == audit.EXIT_FINDINGS
    assert "expired on 2026-12-03" in audit.render(verdict, ["requirements.txt"])
    # An expired entry no longer accepts its finding either.
    verdict = audit.judge(_findings(), [entry("CVE-2024-56201", "jinja2", TODAY - timedelta(days=1))], TODAY)
    assert "jinja2" in {f.package for f in verdict.blocking}


def test_an_unreachable_source_is_its_own_exit_code_and_never_a_pass() -> None:
    results = [
        audit.parse_pip_audit("", fixture("pip_audit_osv_unreachable.stderr"), "requirements.txt"),
        audit.parse_npm_audit(fixture("npm_audit_405.json"), "tools/node/package-lock.json"),
    ]
    verdict = audit.judge(results, [entry("CVE-2024-56201", "jinja2")], TODAY)
    assert verdict.exit_code == audit.EXIT_UNREACHABLE
    assert verdict.unused == []  # nothing could have matched
    report = audit.render(verdict, ["requirements.txt"])
    assert "NOT CHECKED requirements.txt: the vulnerability source could not be reached" in report
    assert "audit INCOMPLETE" in report and "(exit 3)" in report
    # A known finding elsewhere still fails the audit as a finding.
    results.append(audit.parse_npm_audit(fixture("npm_audit_vulns.json"), "other"))
    assert audit.judge(results, [], TODAY).exit_code == audit.EXIT_FINDINGS


def test_exit_codes_are_distinct() -> None:
    codes = [audit.EXIT_OK, audit.EXIT_FINDINGS, audit.EXIT_BROKEN, audit.EXIT_UNREACHABLE]
    assert codes == [0, 1, 2, 3]


def test_main_reports_a_broken_allowlist_as_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "allow.yaml"
    bad.write_text("entries:\n  - id: X\n", encoding="utf-8")
    assert audit.main(["--allowlist", str(bad)]) == audit.EXIT_BROKEN
    assert "audit BROKEN" in capsys.readouterr().err


def test_finding_description_names_everything_a_reviewer_needs() -> None:
    finding = Finding("pypi", "jinja2", "3.1.4", "CVE-1", ("GHSA-1",), "high", "sandbox", "requirements.txt")
    assert finding.describe() == "high     pypi jinja2 3.1.4: CVE-1 (GHSA-1) [requirements.txt] sandbox"
