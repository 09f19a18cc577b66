"""The node's SQL tables: the chain index (raw events, checkpoint, recent block hashes) and
the state projected from the contracts' events.

Every projected row carries the EVIDENCE of the event that last set it (block number, block
hash, transaction hash, log index): a recognition answer cites the records it rests on, and
an auditor can look each one up on chain. Certificates keep two sets, the recording and the
revocation. Withdrawn bindings and authorizations stay as rows (``bound`` false, ``rights``
0) so that the withdrawal can be cited too; operators removed from a CA are deleted.

Families: ``Evidence`` holds the evidence columns, ``*Base`` classes the fields that the
services may reuse for read models, the ``table=True`` classes are the tables. Values keep
the registry's conventions (``huren.registry.types``): addresses are checksummed text, CA
and platform ids text, fingerprints and hashes 32-byte ``bytes``, times unix seconds, enums
their contract numbers. Nothing references rows of another entity by foreign key: the chain
is the source of truth and enforces those references; the index rebuilds each entity's rows
on its own after a reorganization (see ``huren.node.indexer``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, SmallInteger
from sqlmodel import Field, SQLModel

__all__ = [
    "NAMING_CONVENTION",
    "QUORUM_DEFAULT_PERCENT",
    "Authorization",
    "Binding",
    "Ca",
    "CaIssuerKey",
    "CaOperator",
    "Certificate",
    "CertificateBase",
    "ChainEvent",
    "Evidence",
    "IndexState",
    "IndexedBlock",
    "Member",
    "Platform",
    "Proposal",
    "Quorum",
    "Vote",
]

# Deterministic constraint names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

QUORUM_DEFAULT_PERCENT = 50  # the Consortium's quorum until a QuorumChanged event

ADDRESS_LEN = 42  # checksummed 0x + 40 hex digits
ID_LEN = 66  # ids are at most 32 characters, or 0x + 64 hex digits for raw ids


# -- evidence ---------------------------------------------------------------------------------


class Evidence(SQLModel):
    """Where the event that last set a row sits on chain."""

    block_number: int = Field(sa_type=BigInteger)
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


# -- the index itself -------------------------------------------------------------------------


class IndexState(SQLModel, table=True):
    """One row: which deployment this database indexes and how far (the checkpoint). The
    checkpoint block and hash change in the same transaction as the rows of its blocks."""

    __tablename__ = "index_state"

    id: int = Field(default=1, primary_key=True)
    chain_id: int = Field(sa_type=BigInteger)
    consortium_address: str = Field(max_length=ADDRESS_LEN)
    registry_address: str = Field(max_length=ADDRESS_LEN)
    deployment_block: int = Field(sa_type=BigInteger)
    anchor_hash: bytes  # hash of the block before the deployment block
    block_number: int = Field(sa_type=BigInteger)  # the checkpoint: last indexed block
    block_hash: bytes


class IndexedBlock(SQLModel, table=True):
    """Hashes of the most recent indexed blocks (the reorg window), to find the common
    ancestor after a reorganization."""

    __tablename__ = "indexed_blocks"

    number: int = Field(sa_type=BigInteger, primary_key=True)
    hash: bytes


class ChainEvent(SQLModel, table=True):
    """Every log of the deployment's contracts, as the chain holds it (re-decodable with
    ``huren.registry.events.decode_log``). ``entity`` names the projected rows the event
    touched (e.g. ``certificate:<fingerprint hex>``), so a reorganization rebuilds just
    those from the events that remain."""

    __tablename__ = "chain_events"
    __table_args__ = (Index("ix_chain_events_entity_position", "entity", "block_number"),)

    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    address: str = Field(max_length=ADDRESS_LEN)
    event: str = Field(max_length=40)  # the event's name, e.g. CertificateRecorded
    topics: bytes  # the topics, 32 bytes each, concatenated
    data: bytes
    entity: str | None = Field(default=None, max_length=200)


# -- consortium -------------------------------------------------------------------------------


class Member(Evidence, table=True):
    """A member center (MemberAdded, MemberRemoved)."""

    __tablename__ = "members"

    account: str = Field(primary_key=True, max_length=ADDRESS_LEN)
    name: str
    region_code: int
    member_index: int = Field(unique=True)
    active: bool


class Ca(Evidence, table=True):
    """A CA institution (CaAccredited, CaSuspended). ``status`` is ``CaStatus``;
    ``operator_role`` is ``Consortium.caOperatorRole(ca_id)``."""

    __tablename__ = "cas"

    ca_id: str = Field(primary_key=True, max_length=ID_LEN)
    name: str
    status: int = Field(sa_type=SmallInteger)
    ca_index: int = Field(unique=True)
    operator_role: bytes = Field(unique=True)


class CaIssuerKey(Evidence, table=True):
    """One of a CA's issuer key identifiers (SHA-256 of an issuing certificate's SPKI), in
    the order of its last accreditation."""

    __tablename__ = "ca_issuer_keys"

    issuer_key_id: bytes = Field(primary_key=True)
    ca_id: str = Field(foreign_key="cas.ca_id", index=True, max_length=ID_LEN)
    position: int


class CaOperator(Evidence, table=True):
    """A current operator of a CA (RoleGranted on its operator role; RoleRevoked deletes)."""

    __tablename__ = "ca_operators"

    ca_id: str = Field(foreign_key="cas.ca_id", primary_key=True, max_length=ID_LEN)
    account: str = Field(primary_key=True, max_length=ADDRESS_LEN)


class Platform(Evidence, table=True):
    """A trading platform (PlatformRegistered, PlatformRetired)."""

    __tablename__ = "platforms"

    platform_id: str = Field(primary_key=True, max_length=ID_LEN)
    center: str = Field(index=True, max_length=ADDRESS_LEN)
    name: str
    active: bool


class Proposal(Evidence, table=True):
    """A governance proposal. ``status`` is ``ProposalStatus`` OPEN, EXECUTED or REJECTED
    (an open proposal past ``expires_at`` reads as expired; nothing on chain marks it)."""

    __tablename__ = "proposals"

    proposal_id: int = Field(sa_type=BigInteger, primary_key=True)
    kind: int = Field(sa_type=SmallInteger)
    proposer: str = Field(max_length=ADDRESS_LEN)
    expires_at: int = Field(sa_type=BigInteger)
    payload: bytes
    status: int = Field(sa_type=SmallInteger)
    yes: int
    no: int


class Vote(Evidence, table=True):
    """A member's vote on a proposal (VoteCast)."""

    __tablename__ = "votes"

    proposal_id: int = Field(
        sa_type=BigInteger, foreign_key="proposals.proposal_id", primary_key=True
    )
    voter: str = Field(primary_key=True, max_length=ADDRESS_LEN)
    support: bool


class Quorum(Evidence, table=True):
    """The quorum after the last QuorumChanged; no row means ``QUORUM_DEFAULT_PERCENT``."""

    __tablename__ = "quorum"

    id: int = Field(default=1, primary_key=True)
    percent: int = Field(sa_type=SmallInteger)
    previous_percent: int = Field(sa_type=SmallInteger)


# -- certificate registry ---------------------------------------------------------------------


class CertificateBase(SQLModel):
    """A certificate record's fields as CertificateRecorded and CertificateRevoked set them
    (``kind``, ``usage``, ``scope``, ``status``, ``revocation_reason`` are the registry's
    enum numbers)."""

    fingerprint: bytes = Field(primary_key=True)
    ca_id: str = Field(max_length=ID_LEN)
    issuer_key_id: bytes
    holder: bytes = Field(index=True)  # salted commitment; a holder's certificate list
    predecessor: bytes | None = None
    kind: int = Field(sa_type=SmallInteger)
    usage: int = Field(sa_type=SmallInteger)
    scope: int = Field(sa_type=SmallInteger)
    center: str | None = Field(default=None, max_length=ADDRESS_LEN)
    not_before: int = Field(sa_type=BigInteger)
    not_after: int = Field(sa_type=BigInteger)
    status: int = Field(sa_type=SmallInteger)
    revocation_reason: int | None = Field(default=None, sa_type=SmallInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)
    revoked_by: str | None = Field(default=None, max_length=ADDRESS_LEN)


class Certificate(CertificateBase, Evidence, table=True):
    """A recorded certificate: the evidence columns cite its CertificateRecorded, the
    ``revoked_*`` ones its CertificateRevoked (null while active)."""

    __tablename__ = "certificates"

    revoked_block_number: int | None = Field(default=None, sa_type=BigInteger)
    revoked_block_hash: bytes | None = None
    revoked_transaction_hash: bytes | None = None
    revoked_log_index: int | None = None


class Binding(Evidence, table=True):
    """A certificate's binding to a platform zone; ``evidence_hash`` and ``by`` are those
    of the last CertificateBound or CertificateUnbound (``bound`` false after the latter)."""

    __tablename__ = "bindings"

    fingerprint: bytes = Field(primary_key=True)
    platform_id: str = Field(primary_key=True, max_length=ID_LEN)
    bound: bool
    evidence_hash: bytes
    by: str = Field(max_length=ADDRESS_LEN)


class Authorization(Evidence, table=True):
    """A staff certificate's authorization at a platform; ``rights`` is the ``Right``
    bitmask, 0 after AuthorizationRevoked (whose enterprise certificate and evidence stay)."""

    __tablename__ = "authorizations"

    staff_fingerprint: bytes = Field(primary_key=True)
    platform_id: str = Field(primary_key=True, max_length=ID_LEN)
    enterprise_fingerprint: bytes
    rights: int = Field(sa_type=SmallInteger)
    by: str = Field(max_length=ADDRESS_LEN)
