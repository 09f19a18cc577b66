"""Who may see and do what in the console: roles, their permissions, and the navigation.

Roles (a signed-in person acts in exactly one):
- ``center-operator``: the center running this node (signs in with the node-admin key for
  now): everything the console offers, including governance through the node's account;
- ``ca-operator``: a person's account granted the operation of one or more CA institutions
  (``huren.node.console_roles``): their CAs' PKI status pages and review queues;
- ``auditor``: a person's account granted auditing: reads everything and runs replays;
- ``platform``: a trading platform signed in with one of its API keys: the consortium's
  public state read-only and certificate lookup, recognition answers for its own platform
  only (as ``/v1/recognition`` allows a platform key).

Pages declare the ``Permission`` they need; the navigation shows only the entries the role
holds. A later page adds a ``NavItem`` to ``NAVIGATION`` and, when new, a permission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "NAVIGATION",
    "ROLE_PERMISSIONS",
    "NavItem",
    "Permission",
    "Principal",
    "Role",
    "current_nav",
]


class Role(StrEnum):
    CENTER_OPERATOR = "center-operator"
    CA_OPERATOR = "ca-operator"
    AUDITOR = "auditor"
    PLATFORM = "platform"


class Permission(StrEnum):
    VIEW_CONSORTIUM = "view-consortium"  # members, CAs, platforms, proposals, chain events
    LOOKUP_CERTIFICATES = "lookup-certificates"  # record, history, evidence
    RECOGNIZE_ANYWHERE = "recognize-anywhere"  # recognition at every platform, not just own
    GOVERN = "govern"  # propose and vote with the node's operator account
    REVIEW_APPLICATIONS = "review-applications"  # the CA's review queue (PKI work)
    RUN_AUDIT = "run-audit"  # replays of the node's chain against its index
    VIEW_CA_PKI = "view-ca-pki"  # a CA's certificates, CRL, issuance (a CA operator: own CAs)
    MANAGE_ROLES = "manage-roles"  # grant accounts the CA operator and auditor roles


_READ = frozenset({Permission.VIEW_CONSORTIUM, Permission.LOOKUP_CERTIFICATES})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CENTER_OPERATOR: _READ
    | {
        Permission.RECOGNIZE_ANYWHERE,
        Permission.GOVERN,
        Permission.RUN_AUDIT,
        Permission.VIEW_CA_PKI,
        Permission.MANAGE_ROLES,
    },
    Role.CA_OPERATOR: _READ
    | {Permission.RECOGNIZE_ANYWHERE, Permission.REVIEW_APPLICATIONS, Permission.VIEW_CA_PKI},
    Role.AUDITOR: _READ | {Permission.RECOGNIZE_ANYWHERE, Permission.RUN_AUDIT},
    Role.PLATFORM: _READ,
}

ROLE_TITLES = {
    Role.CENTER_OPERATOR: "center operator",
    Role.CA_OPERATOR: "CA operator",
    Role.AUDITOR: "auditor",
    Role.PLATFORM: "platform",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in person: a role, and what they signed in as (``subject``: ``node-admin``,
    a platform id, or an account's phone; ``key_id`` the platform key's id, re-checked on
    every request). An account's session carries its id, its token version and, for a CA
    operator, the CAs it operates: all re-read on every request (a changed password or a
    revoked grant ends the session)."""

    role: Role
    subject: str
    key_id: str | None = None
    account_id: str | None = None
    token_version: int | None = None
    ca_ids: tuple[str, ...] = ()

    @property
    def platform_id(self) -> str | None:
        return self.subject if self.role == Role.PLATFORM else None

    @property
    def title(self) -> str:
        return ROLE_TITLES[self.role]

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def may_see_ca(self, ca_id: str) -> bool:
        """A CA's PKI pages: the center operator sees every CA, a CA operator its own."""
        if not self.may(Permission.VIEW_CA_PKI):
            return False
        return self.role == Role.CENTER_OPERATOR or ca_id in self.ca_ids


@dataclass(frozen=True, slots=True)
class NavItem:
    """An entry of the navigation bar: current on its path and below, and on the paths
    ``also`` matches (a CA's review queues, under the CA's path, are the Review entry's)."""

    label: str
    path: str
    permission: Permission
    also: str | None = None  # a regular expression of other paths of this entry

    def score(self, path: str) -> int:
        """How well ``path`` belongs here: 2 by ``also``, 1 under ``path``, 0 not at all."""
        if self.also is not None and re.match(self.also, path):
            return 2
        return 1 if path.startswith(self.path) else 0


def current_nav(items: list[NavItem], path: str) -> NavItem | None:
    """The entry ``path`` belongs to best (none when it belongs to none)."""
    best = max(items, key=lambda n: n.score(path), default=None)
    return best if best is not None and best.score(path) > 0 else None


# In order of the navigation bar. The platform-side scan pages join here when they exist.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Consortium", "/console/consortium", Permission.VIEW_CONSORTIUM),
    NavItem("Proposals", "/console/proposals", Permission.VIEW_CONSORTIUM),
    NavItem("Chain events", "/console/events", Permission.VIEW_CONSORTIUM),
    NavItem("Certificates", "/console/certificates", Permission.LOOKUP_CERTIFICATES),
    NavItem("CAs", "/console/ca", Permission.VIEW_CA_PKI),
    NavItem(
        "Review",
        "/console/review",
        Permission.REVIEW_APPLICATIONS,
        r"/console/ca/[^/]+/(review|authorizations)",
    ),
    NavItem("Replays", "/console/audit", Permission.RUN_AUDIT),
    NavItem("Roles", "/console/roles", Permission.MANAGE_ROLES),
)
