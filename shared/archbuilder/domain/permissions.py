"""Who may do what: the role × action matrix, written once as data.

An action is also an API-key scope: a key created with scopes may do only those actions,
and never more than its role allows. ``docs/security.md`` renders this table (a test keeps
the two in agreement).
"""

from __future__ import annotations

from typing import Protocol

from archbuilder.domain.tenancy import Role
from archbuilder.platform.errors import PermissionDenied

_EVERYONE = frozenset(Role)
_ADMINS = frozenset({Role.owner, Role.admin})
_WRITERS = frozenset({Role.owner, Role.admin, Role.architect})
_READERS = frozenset({Role.owner, Role.admin, Role.architect, Role.viewer})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "me:read": _EVERYONE,
    "api_keys:manage": _ADMINS,
    "members:read": _EVERYONE,
    "members:manage": _ADMINS,
    "members:erase": frozenset({Role.owner}),
    "audit:read": _ADMINS,
    "review_policy:manage": _ADMINS,
    "webhooks:manage": _ADMINS,
    "privacy:export": _ADMINS,
    "billing:read": frozenset({Role.owner, Role.admin, Role.billing}),
    "billing:manage": frozenset({Role.owner, Role.billing}),
    "usage:read": _EVERYONE,
    "privacy:erase": frozenset({Role.owner}),
    "projects:read": _READERS,
    "projects:write": _WRITERS,
    "projects:delete": _ADMINS,
    "layouts:read": _READERS,
    "layouts:write": _WRITERS,
    "layouts:review": _WRITERS,
    "models:read": _READERS,
    "models:write": _WRITERS,
    "compliance:run": _READERS,
    "regulations:read": _READERS,
    "regulations:write": _WRITERS,
    "jobs:read": _READERS,
}
ACTIONS = tuple(PERMISSIONS)


class Actor(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def scopes(self) -> tuple[str, ...]: ...


def allowed(role: str, action: str, scopes: tuple[str, ...] = ()) -> bool:
    """True if ``role`` may do ``action`` and, when ``scopes`` are set, one of them is ``action``."""
    if role not in {r.value for r in PERMISSIONS.get(action, frozenset())}:
        return False
    return not scopes or action in scopes


def actions_of(role: Role | str) -> frozenset[str]:
    """Every action ``role`` may do."""
    return frozenset(action for action, roles in PERMISSIONS.items() if Role(role) in roles)


def may_grant(granter: Role | str, role: Role | str) -> bool:
    """True if someone with role ``granter`` may hand out ``role`` (a key, an invitation, a
    role change): only when every action of ``role`` is one of the granter's own. Ranks do
    not decide: ``billing`` may manage billing, which ``admin`` may not, so an admin cannot
    grant it."""
    return actions_of(role) <= actions_of(granter)


def require(actor: Actor | str, action: str) -> None:
    """Raise ``PermissionDenied`` unless the actor's role (and key scopes) allow ``action``."""
    role, scopes = (actor, ()) if isinstance(actor, str) else (actor.role, actor.scopes)
    if not allowed(role, action, scopes):
        raise PermissionDenied(role=role, action=action)


def permission_table() -> str:
    """The matrix as a Markdown table (``docs/security.md`` embeds it; a test keeps them equal)."""
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for action, allowed_roles in PERMISSIONS.items():
        cells = " | ".join("✓" if role in allowed_roles else "–" for role in roles)
        lines.append(f"| `{action}` | {cells} |")
    return "\n".join(lines)
