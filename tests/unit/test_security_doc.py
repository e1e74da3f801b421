"""docs/security.md shows the permission matrix the code enforces."""

from __future__ import annotations

from pathlib import Path

from archbuilder.domain.permissions import permission_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_documented_matrix_is_the_enforced_one() -> None:
    assert permission_table() in DOC.read_text(encoding="utf-8"), (
        "docs/security.md is out of date: paste the output of "
        "`python -c 'from archbuilder.domain.permissions import permission_table; print(permission_table())'`"
    )
