"""Bodies of the zones API (``/v1/zones``). Statements, signatures and certificates travel as
standard base64 (the statement's exact bytes matter: its SHA-256 is the evidence hash);
fingerprints as 64 hex digits, evidence and transaction hashes as ``0x`` hex."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from huren.api.schemas import FingerprintText, PlatformIdText, hex0x
from huren.node.db.zones_tables import ZoneStatementRecord
from huren.node.zones.service import ZoneChange, ZoneView
from huren.node.zones.statement import STATEMENT_TTL_S, ZoneStatement

__all__ = [
    "ChangeIn",
    "ChangeOut",
    "EvidenceOut",
    "StatementIn",
    "StatementOut",
    "ZoneCodeIn",
    "ZoneOut",
]

B64 = Annotated[str, StringConstraints(min_length=4, max_length=8192)]
Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
ZoneActionText = Literal["bind", "unbind"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ZoneCodeIn(_In):
    action: ZoneActionText = Field(description="bind (绑定专区) or unbind (解绑专区)")


class StatementIn(_In):
    action: ZoneActionText
    fingerprint: FingerprintText
    platform_id: PlatformIdText


class StatementOut(BaseModel):
    statement: str = Field(description="base64 of the exact bytes to sign")
    text: str = Field(description="the same statement as text, to show the holder")
    evidence_hash: str = Field(description="SHA-256 of the statement: what the chain records")
    expires_at: int = Field(description="unix seconds after which the node refuses it")

    @classmethod
    def of(cls, statement: ZoneStatement) -> StatementOut:
        raw = statement.to_bytes()
        return cls(
            statement=b64(raw),
            text=raw.decode("ascii"),
            evidence_hash=hex0x(statement.evidence_hash),
            expires_at=statement.issued_at + STATEMENT_TTL_S,
        )


class ChangeIn(_In):
    statement: B64 = Field(description="base64 of the canonical statement")
    signature: B64 = Field(description="base64 of the Ed25519 signature over it")
    code: Code = Field(description="the SMS code sent for this action (POST /v1/zones/sms-codes)")
    certificate: B64 | None = Field(
        default=None,
        description="base64 DER of the certificate, when the node knows no key for it",
    )


class ChangeOut(BaseModel):
    action: ZoneActionText
    fingerprint: str
    platform_id: str
    evidence_hash: str
    transaction_hash: str
    block_number: int

    @classmethod
    def of(cls, change: ZoneChange) -> ChangeOut:
        return cls(
            action=change.action,
            fingerprint=change.fingerprint.hex(),
            platform_id=change.platform_id,
            evidence_hash=hex0x(change.evidence_hash),
            transaction_hash=hex0x(change.transaction_hash),
            block_number=change.block_number,
        )


class ZoneOut(BaseModel):
    fingerprint: str
    platform_id: str
    platform_name: str | None
    evidence_hash: str
    recorded_by: str = Field(description="the center account that recorded the binding")
    block_number: int
    transaction_hash: str
    statement_kept: bool = Field(description="this node keeps the signed statement")

    @classmethod
    def of(cls, view: ZoneView) -> ZoneOut:
        return cls(
            fingerprint=view.fingerprint.hex(),
            platform_id=view.platform_id,
            platform_name=view.platform_name,
            evidence_hash=hex0x(view.evidence_hash),
            recorded_by=view.recorded_by,
            block_number=view.block_number,
            transaction_hash=hex0x(view.transaction_hash),
            statement_kept=view.statement_kept,
        )


class EvidenceOut(BaseModel):
    evidence_hash: str
    action: str
    fingerprint: str
    platform_id: str
    account_id: str
    statement: str = Field(description="base64 of the signed bytes (SHA-256 = evidence_hash)")
    signature: str = Field(description="base64 Ed25519 signature over the statement")
    public_key: str = Field(description="base64 raw Ed25519 key of the certificate")
    key_source: str = Field(description="presented, pki or cosigner: where the key came from")
    state: str = Field(description="pending, recorded or failed")
    result: str | None = Field(description="the chain's refusal, when failed")
    received_at: int
    transaction_hash: str | None
    block_number: int | None

    @classmethod
    def of(cls, row: ZoneStatementRecord) -> EvidenceOut:
        return cls(
            evidence_hash=hex0x(row.evidence_hash),
            action=row.action,
            fingerprint=row.fingerprint.hex(),
            platform_id=row.platform_id,
            account_id=row.account_id,
            statement=b64(row.statement),
            signature=b64(row.signature),
            public_key=b64(row.public_key),
            key_source=row.key_source,
            state=row.state,
            result=row.result,
            received_at=row.received_at,
            transaction_hash=None if row.transaction_hash is None else hex0x(row.transaction_hash),
            block_number=row.block_number,
        )
