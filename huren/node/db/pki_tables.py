"""The PKI's tables (see ``huren.node.pki``): what this node's CAs issued, and the last CRL
of each issuing CA.

``pki_issued_certificates`` is the issuance intent and its outcome, one row per certificate:
written RESERVED (serial reserved, everything to sign recorded) before the CA signs, SIGNED
with the DER and its fingerprint, SUBMITTED just before its batch is sent to the chain and
COMMITTED once the batch's transaction is mined.
The chain's own record stays in ``certificates`` (the index); the OCSP responder and the CRL
join the two on the fingerprint. Serials are lowercase hex (up to 159 bits: more than a
BIGINT holds) and unique across the node's CAs.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, SmallInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["IssuanceState", "PkiCrl", "PkiIssuedCertificate"]

ADDRESS_LEN = 42
ID_LEN = 66


class IssuanceState:
    RESERVED = 1  # intent recorded, serial reserved, not signed yet
    SIGNED = 2  # signed, waiting for its batch
    SUBMITTED = 3  # its batch went to the chain; whether it was mined is checked on recovery
    COMMITTED = 4  # recorded on chain: downloadable


class PkiIssuedCertificate(SQLModel, table=True):
    """One certificate a CA of this node issues or issued (``IssuanceState``)."""

    __tablename__ = "pki_issued_certificates"

    serial: str = Field(primary_key=True, max_length=40)
    ca_id: str = Field(index=True, max_length=ID_LEN)
    issuer_key_id: bytes
    request_id: str = Field(unique=True, max_length=100)
    state: int = Field(sa_type=SmallInteger, index=True)
    approved_by: str = Field(max_length=200)
    subject: str  # JSON, see huren.node.pki.profiles.subject_to_json
    public_key: bytes  # SubjectPublicKeyInfo DER
    kind: int = Field(sa_type=SmallInteger)
    usage: int = Field(sa_type=SmallInteger)
    scope: int = Field(sa_type=SmallInteger)
    center: str | None = Field(default=None, max_length=ADDRESS_LEN)
    holder: bytes
    predecessor: bytes | None = None
    not_before: int = Field(sa_type=BigInteger)
    not_after: int = Field(sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger)
    fingerprint: bytes | None = Field(default=None, unique=True)
    der: bytes | None = None
    signed_at: int | None = Field(default=None, sa_type=BigInteger)
    transaction_hash: bytes | None = None
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    committed_at: int | None = Field(default=None, sa_type=BigInteger)
    revocation_reason: int | None = Field(default=None, sa_type=SmallInteger)
    revocation_requested_at: int | None = Field(default=None, sa_type=BigInteger)
    revocation_transaction_hash: bytes | None = None


class PkiCrl(SQLModel, table=True):
    """The last CRL of an issuing CA and the revocations it lists (``entries_digest``): a new
    one is signed, with the next number, when the index's revocations differ or it ages."""

    __tablename__ = "pki_crls"

    ca_id: str = Field(primary_key=True, max_length=ID_LEN)
    crl_number: int = Field(sa_type=BigInteger)
    entries_digest: bytes
    this_update: int = Field(sa_type=BigInteger)
    next_update: int = Field(sa_type=BigInteger)
    der: bytes
