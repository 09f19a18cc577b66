"""What the certificate service hands to issuance, and what it gets back.

``IssuanceRequest`` validates on construction (an approved request that cannot be issued
fails here, before anything is written); ``IssuedCertificate`` is where an issuance stands.
The helpers turn a recorded intent back into what the chain and the signer need.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from huren.node.db.pki_tables import IssuanceState, PkiIssuedCertificate
from huren.node.pki.errors import InvalidIssuanceRequest
from huren.node.pki.profiles import LeafPublicKey, Subject, check_profile, subject_to_json
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope

__all__ = [
    "YEAR_S",
    "IssuanceRequest",
    "IssuedCertificate",
    "certificate_input",
    "fingerprint_of",
    "load_public_key",
    "same_intent",
]

YEAR_S = 365 * 86_400


def _is_address(value: object) -> bool:
    return isinstance(value, str) and len(value) == 42 and value.startswith("0x")


@dataclass(frozen=True, slots=True)
class IssuanceRequest:
    """An issuance the certificate service approved: one certificate (a holder's signing
    and encryption certificates are two requests). ``request_id`` is the application's id
    (plus the usage), so a retried request issues once."""

    request_id: str
    approved_by: str  # the reviewer who approved it, for the record
    ca_id: str
    subject: Subject
    kind: CertificateKind
    usage: KeyUsage
    public_key: LeafPublicKey
    validity_years: int  # 1..3
    scope: Scope
    holder: bytes  # salted commitment to the holder, as on chain
    center: str | None = None  # the member center of a regional certificate
    predecessor: bytes | None = None  # fingerprint of the certificate this one replaces

    def __post_init__(self) -> None:
        if not isinstance(self.request_id, str) or not 0 < len(self.request_id) <= 100:
            raise InvalidIssuanceRequest("request_id must be 1..100 characters")
        if not isinstance(self.approved_by, str) or not 0 < len(self.approved_by) <= 200:
            raise InvalidIssuanceRequest("approved_by must name who approved (1..200)")
        for name, enum in (("kind", CertificateKind), ("usage", KeyUsage), ("scope", Scope)):
            value = getattr(self, name)
            if isinstance(value, bool) or value not in enum._value2member_map_:
                raise InvalidIssuanceRequest(f"{name} {value!r} is not a {enum.__name__}")
            object.__setattr__(self, name, enum(value))
        check_profile(self.subject, self.kind, self.usage, self.public_key)
        years = self.validity_years
        if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 3:
            raise InvalidIssuanceRequest("validity is 1, 2 or 3 years")
        if self.scope == Scope.ALLIANCE and self.center is not None:
            raise InvalidIssuanceRequest("an alliance certificate names no center")
        if self.scope == Scope.REGIONAL and not _is_address(self.center):
            raise InvalidIssuanceRequest("a regional certificate names its center's address")
        for what, value in (("holder", self.holder), ("predecessor", self.predecessor)):
            if value is None and what == "predecessor":
                continue
            if not isinstance(value, bytes) or len(value) != 32 or not any(value):
                raise InvalidIssuanceRequest(f"{what} is 32 bytes, not all zero")

    def public_key_der(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """Where an issuance stands (``state`` is ``IssuanceState``)."""

    serial: str
    ca_id: str
    request_id: str
    state: int
    fingerprint: bytes | None
    der: bytes | None
    transaction_hash: bytes | None
    block_number: int | None

    @classmethod
    def of(cls, row: PkiIssuedCertificate) -> IssuedCertificate:
        return cls(
            row.serial,
            row.ca_id,
            row.request_id,
            row.state,
            row.fingerprint,
            row.der,
            row.transaction_hash,
            row.block_number,
        )

    @property
    def committed(self) -> bool:
        return self.state == IssuanceState.COMMITTED


def load_public_key(der: bytes) -> LeafPublicKey:
    key = serialization.load_der_public_key(der)
    assert isinstance(key, ed25519.Ed25519PublicKey | x25519.X25519PublicKey)
    return key


def same_intent(row: PkiIssuedCertificate, request: IssuanceRequest) -> bool:
    return (
        row.ca_id == request.ca_id
        and row.subject == subject_to_json(request.subject)
        and row.public_key == request.public_key_der()
        and (row.kind, row.usage, row.scope) == (request.kind, request.usage, request.scope)
        and (row.center, row.holder, row.predecessor)
        == (request.center, request.holder, request.predecessor)
        and row.not_after - row.not_before == request.validity_years * YEAR_S
    )


def fingerprint_of(der: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize()


def certificate_input(row: PkiIssuedCertificate) -> CertificateInput:
    assert row.fingerprint is not None
    return CertificateInput(
        fingerprint=row.fingerprint,
        holder=row.holder,
        not_before=row.not_before,
        not_after=row.not_after,
        kind=CertificateKind(row.kind),
        usage=KeyUsage(row.usage),
        scope=Scope(row.scope),
        center=row.center,
        predecessor=row.predecessor,
    )
