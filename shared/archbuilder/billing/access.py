"""Who may see and change billing: the ``billing:*`` and ``usage:read`` actions.

The role × action table lives in ``domain/permissions.py``; until it carries these rows the
roles below apply (the same rows proposed for it), so the endpoints work either way.
"""

from __future__ import annotations

from archbuilder.domain.permissions import PERMISSIONS, require
from archbuilder.domain.tenancy import Role
from archbuilder.platform.errors import PermissionDenied
from archbuilder.services.identity import Principal

PROPOSED_PERMISSIONS: dict[str, frozenset[Role]] = {
    "billing:read": frozenset({Role.owner, Role.admin, Role.billing}),
    "billing:manage": frozenset({Role.owner, Role.billing}),
    "usage:read": frozenset({Role.owner, Role.admin, Role.architect, Role.viewer, Role.billing}),
}


def require_billing_action(principal: Principal, action: str) -> None:
    """Raise ``PermissionDenied`` unless the caller may do ``action`` (one of the keys above)."""
    if action in PERMISSIONS:
        require(principal, action)
        return
    allowed_roles = {r.value for r in PROPOSED_PERMISSIONS[action]}
    if principal.role not in allowed_roles or (principal.scopes and action not in principal.scopes):
        raise PermissionDenied(role=principal.role, action=action)
