"""What the authorization service works with: its errors, states, the chain port (and its
adapter over the PKI's CA operator clients) and the view of a request (see
``huren.node.enterprises.authorizations``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from huren.node.db.authorizations_tables import AuthorizationRequest
from huren.node.enterprises import EnterpriseError
from huren.registry import errors as registry_errors
from huren.registry.client import RegistryClient
from huren.registry.types import Right

__all__ = [
    "ACTIVE",
    "ENCRYPTION_RIGHTS",
    "SIGNING_RIGHTS",
    "AuthorizationChain",
    "AuthorizationNotFound",
    "AuthorizationPending",
    "AuthorizationState",
    "AuthorizationView",
    "CaNotServed",
    "IllegalAuthorizationState",
    "InvalidAuthorization",
    "NotStaffCertificate",
    "PkiAuthorizationChain",
    "UnknownAuthorizationPlatform",
    "labels",
    "right_names",
]

SIGNING_RIGHTS = Right.LOGIN | Right.SIGN | Right.SEAL
ENCRYPTION_RIGHTS = Right.ENCRYPT | Right.DECRYPT
RIGHT_LABELS = {
    Right.LOGIN: "登录",
    Right.SIGN: "签名",
    Right.SEAL: "签章",
    Right.ENCRYPT: "加密",
    Right.DECRYPT: "解密",
}


class InvalidAuthorization(EnterpriseError, ValueError):
    status = 422
    code = "INVALID_AUTHORIZATION"


class AuthorizationNotFound(EnterpriseError):
    status = 404
    code = "AUTHORIZATION_NOT_FOUND"


class UnknownAuthorizationPlatform(EnterpriseError):
    status = 404
    code = "UNKNOWN_PLATFORM"


class NotStaffCertificate(EnterpriseError):
    """Not the signing certificate of a staff certificate pair a member of this enterprise
    holds, usable now."""

    status = 422
    code = "NOT_STAFF_CERTIFICATE"


class CaNotServed(EnterpriseError):
    """The staff certificate's CA is not loaded into this node: its operators review
    elsewhere."""

    code = "CA_NOT_SERVED"


class IllegalAuthorizationState(EnterpriseError):
    code = "ILLEGAL_AUTHORIZATION_STATE"


class AuthorizationPending(EnterpriseError):
    code = "AUTHORIZATION_PENDING"


class AuthorizationState(StrEnum):
    PENDING = "pending"  # in the CA's queue
    REJECTED = "rejected"
    GRANTING = "granting"  # approved; the chain grant is being sent
    GRANTED = "granted"
    REPLACED = "replaced"  # a later grant for the same certificate and platform
    WITHDRAWN = "withdrawn"  # deleted while pending
    REVOKING = "revoking"  # deleted; the chain revocation is being sent
    REVOKED = "revoked"


ACTIVE = (
    AuthorizationState.PENDING,
    AuthorizationState.GRANTING,
    AuthorizationState.GRANTED,
    AuthorizationState.REVOKING,
)


class AuthorizationChain(Protocol):
    """The chain writes, as the operator of the CA that issued the staff certificate."""

    def grant(
        self, ca_id: str, staff: bytes, platform_id: str, enterprise: bytes, rights: Right
    ) -> bytes: ...

    def revoke(self, ca_id: str, staff: bytes, platform_id: str) -> bytes | None:
        """The transaction; None when the chain holds no such authorization (done)."""
        ...

    def holding(self, ca_id: str, staff: bytes, platform_id: str) -> tuple[bytes, Right] | None:
        """What the chain holds for the certificate at the platform now: the enterprise
        certificate it was granted under and the rights; None when nothing."""
        ...


class PkiAuthorizationChain:
    """Through the PKI's per-CA clients (the CA's operator account, as for revocations)."""

    def __init__(self, operator_client: Callable[[str], RegistryClient]) -> None:
        self._client = operator_client

    def grant(
        self, ca_id: str, staff: bytes, platform_id: str, enterprise: bytes, rights: Right
    ) -> bytes:
        client = self._client(ca_id)
        result = client.grant_authorization(staff, platform_id, enterprise, rights)
        return bytes(result.transaction_hash)

    def revoke(self, ca_id: str, staff: bytes, platform_id: str) -> bytes | None:
        client = self._client(ca_id)
        try:
            result = client.revoke_authorization(staff, platform_id)
        except registry_errors.NotAuthorized:
            return None
        return bytes(result.transaction_hash)

    def holding(self, ca_id: str, staff: bytes, platform_id: str) -> tuple[bytes, Right] | None:
        found = self._client(ca_id).authorization(staff, platform_id)
        return None if found is None else (bytes(found.enterprise_fingerprint), found.rights)


@dataclass(frozen=True, slots=True)
class AuthorizationView:
    id: str
    enterprise_id: str
    staff_account_id: str
    staff_fingerprint: str
    encryption_fingerprint: str | None
    platform_id: str
    rights: list[str]
    ca_id: str
    state: str
    reviewed_by: str | None
    reason: str | None
    grant_transactions: list[str]
    revoke_transactions: list[str]
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, row: AuthorizationRequest) -> AuthorizationView:
        return cls(
            id=row.id,
            enterprise_id=row.enterprise_id,
            staff_account_id=row.staff_account_id,
            staff_fingerprint=row.staff_fingerprint.hex(),
            encryption_fingerprint=(
                None if row.encryption_fingerprint is None else row.encryption_fingerprint.hex()
            ),
            platform_id=row.platform_id,
            rights=right_names(Right(row.rights)),
            ca_id=row.ca_id,
            state=row.state,
            reviewed_by=row.reviewed_by,
            reason=row.reason,
            grant_transactions=split_hashes(row.grant_transactions),
            revoke_transactions=split_hashes(row.revoke_transactions),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def right_names(rights: Right) -> list[str]:
    return [(r.name or "").lower() for r in Right if rights & r]


def split_hashes(value: str | None) -> list[str]:
    return [] if not value else value.split(",")


def labels(rights: Right) -> str:
    return "、".join(label for r, label in RIGHT_LABELS.items() if rights & r)
