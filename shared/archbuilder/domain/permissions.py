"""Who may do what: the role × action matrix, written once as data."""

from __future__ import annotations

from archbuilder.domain.tenancy import Role
from archbuilder.platform.errors import PermissionDenied

_ALL = frozenset(Role)
_WRITERS = frozenset({Role.owner, Role.admin, Role.architect})
_READERS = frozenset({Role.owner, Role.admin, Role.architect, Role.viewer})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "me:read": _ALL,
    "api_keys:manage": frozenset({Role.owner, Role.admin}),
    "projects:read": _READERS,
    "projects:write": _WRITERS,
    "projects:delete": frozenset({Role.owner, Role.admin}),
    "layouts:read": _READERS,
    "layouts:write": _WRITERS,
    "jobs:read": _READERS,
}


def require(role: str, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``role`` may do ``action``."""
    allowed = PERMISSIONS.get(action, frozenset())
    if role not in {r.value for r in allowed}:
        raise PermissionDenied(role=role, action=action)
