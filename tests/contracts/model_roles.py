"""Plain Python model of the Consortium's AccessControl roles: CA operators administer
their own role (add and remove colleagues, leave), a CA keeps at least one operator, and
nobody changes MEMBER_ROLE directly (only passed proposals do)."""

from __future__ import annotations

from tests.contracts.model_governance import ZERO_ID, Governance, Revert


def ca_role_admin_holders(gov: Governance, ca_id: bytes) -> list[str]:
    """Holders of the role administering ``caOperatorRole(ca_id)``: the role itself once the
    CA was ever accredited, else DEFAULT_ADMIN_ROLE, which nobody holds."""
    return gov.operators.get(ca_id, []) if ca_id in gov.cas else []


def grant_operator(gov: Governance, sender: str, ca_id: bytes, role: bytes, account: str) -> None:
    """``grantRole(caOperatorRole(ca_id), account)``; ``role`` is that role's id, for errors."""
    if sender not in ca_role_admin_holders(gov, ca_id):
        raise Revert("AccessControlUnauthorizedAccount", sender, _admin_role(gov, ca_id, role))
    holders = gov.operators.setdefault(ca_id, [])
    if account not in holders:
        holders.append(account)


def revoke_operator(gov: Governance, sender: str, ca_id: bytes, role: bytes, account: str) -> None:
    """``revokeRole(caOperatorRole(ca_id), account)``: a CA keeps at least one operator."""
    if sender not in ca_role_admin_holders(gov, ca_id):
        raise Revert("AccessControlUnauthorizedAccount", sender, _admin_role(gov, ca_id, role))
    _remove_operator(gov, ca_id, account)


def renounce_operator(gov: Governance, sender: str, ca_id: bytes, confirmation: str) -> None:
    """``renounceRole(caOperatorRole(ca_id), confirmation)``."""
    if confirmation != sender:
        raise Revert("AccessControlBadConfirmation")
    _remove_operator(gov, ca_id, sender)


def _remove_operator(gov: Governance, ca_id: bytes, account: str) -> None:
    holders = gov.operators.get(ca_id, [])
    if account not in holders:
        return
    if ca_id in gov.cas and len(holders) == 1:
        raise Revert("LastCaOperator", ca_id, account)
    holders.remove(account)


def _admin_role(gov: Governance, ca_id: bytes, role: bytes) -> bytes:
    return role if ca_id in gov.cas else ZERO_ID


def member_role_write(gov: Governance, sender: str, governance_role: bytes, renounce: bool) -> None:
    """grantRole/revokeRole/renounceRole on MEMBER_ROLE: membership changes only through
    passed proposals (nobody holds GOVERNANCE_ROLE, its admin) and cannot be renounced."""
    if renounce:
        raise Revert("MembershipNotRenounceable")
    raise Revert("AccessControlUnauthorizedAccount", sender, governance_role)
