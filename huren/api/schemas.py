"""Request and response bodies of the API (pydantic), and their conversions.

Wire conventions: certificate fingerprints are 64 lowercase hex digits (accepted also with
``0x``, in upper case, or colon-separated as ``openssl x509 -fingerprint`` prints them);
chain hashes, issuer key ids and evidence hashes are ``0x``-prefixed hex; addresses are
checksummed; times are unix seconds except ``evaluated_at`` (RFC 3339).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from huren.node.recognition import MAX_BATCH, Evidence, RecognitionAnswer
from huren.registry.types import Right

__all__ = [
    "FINGERPRINT_PATTERN",
    "Action",
    "BatchIn",
    "BatchOut",
    "ChainRef",
    "EvidenceOut",
    "FingerprintText",
    "IndexOut",
    "RecognitionOut",
    "hex0x",
    "parse_fingerprint",
]

FINGERPRINT_PATTERN = r"^(?:0x)?[0-9A-Fa-f]{64}$|^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$"
FingerprintText = Annotated[str, StringConstraints(pattern=FINGERPRINT_PATTERN)]
PlatformIdText = Annotated[str, StringConstraints(min_length=1, max_length=66)]
MAX_UINT64 = 2**64 - 1
EXAMPLE_FP = "5e1c7a0e3f4b2d6a9c8e7f1a0b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c"
EXAMPLE_HASH = "0x" + "ab" * 32
PEM_EXAMPLE = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"


class Action(StrEnum):
    """What the platform wants to do with the certificate (omit for none in particular)."""

    login = "login"
    sign = "sign"
    seal = "seal"
    encrypt = "encrypt"
    decrypt = "decrypt"

    @property
    def right(self) -> Right:
        return Right[self.name.upper()]

    @classmethod
    def of(cls, action: Right | int) -> Action | None:
        """The action of a right bit; None for 0 (no action in particular)."""
        return None if int(action) == 0 else _BY_RIGHT[Right(int(action))]


_BY_RIGHT = {a.right: a for a in Action}


def parse_fingerprint(text: str) -> bytes:
    """The 32 bytes of a fingerprint in any accepted spelling (already pattern-checked)."""
    text = text.removeprefix("0x").replace(":", "")
    return bytes.fromhex(text)


def hex0x(value: bytes) -> str:
    return "0x" + value.hex()


def _evidence(e: Evidence) -> dict[str, Any]:
    return {
        "role": e.role,
        "event": e.event,
        "block_number": e.block_number,
        "block_hash": hex0x(e.block_hash),
        "transaction_hash": hex0x(e.transaction_hash),
        "log_index": e.log_index,
    }


class ChainRef(BaseModel):
    """Where an event sits on chain: look it up in any block explorer or node."""

    block_number: int
    block_hash: str = Field(examples=[EXAMPLE_HASH])
    transaction_hash: str = Field(examples=[EXAMPLE_HASH])
    log_index: int


class EvidenceOut(ChainRef):
    """The chain event that last set a record the answer rests on; ``role`` is what the
    record is to the answer (certificate, revocation, ca, platform, authorization)."""

    role: str = Field(examples=["certificate"])
    event: str = Field(examples=["CertificateRecorded"])

    @classmethod
    def of(cls, e: Evidence) -> EvidenceOut:
        return cls.model_validate(_evidence(e))


class IndexOut(BaseModel):
    """How fresh the index the answer came from is: ``lag_blocks`` behind the chain head
    (null when the chain cannot be reached right now), ``indexed_block`` its last block."""

    lag_blocks: int | None
    indexed_block: int | None


class RecognitionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fingerprint": EXAMPLE_FP,
                    "platform": "nantong-ggzy",
                    "action": "sign",
                    "at": 1_800_000_000,
                    "recognized": False,
                    "reasons": ["CA_NOT_ACCREDITED", "REVOKED"],
                    "reason_bits": 6,
                    "evidence": [
                        {
                            "role": "certificate",
                            "event": "CertificateRecorded",
                            "block_number": 42,
                            "block_hash": EXAMPLE_HASH,
                            "transaction_hash": EXAMPLE_HASH,
                            "log_index": 0,
                        }
                    ],
                    "index": {"lag_blocks": 0, "indexed_block": 57},
                    "evaluated_at": "2027-01-15T08:00:00Z",
                }
            ]
        }
    )

    fingerprint: str = Field(description="SHA-256 of the certificate's DER, hex")
    platform: str
    action: Action | None = Field(description="null: no action in particular")
    at: int = Field(description="the time the validity window was checked at (unix s)")
    recognized: bool
    reasons: list[str] = Field(description="every failed condition, as Reason names")
    reason_bits: int = Field(description="the same as the contract's bitmask")
    evidence: list[EvidenceOut]
    index: IndexOut
    evaluated_at: datetime

    @classmethod
    def of(cls, a: RecognitionAnswer) -> RecognitionOut:
        # From plain data in one validation: pydantic builds the nested models in its core,
        # in about half the time of building each one in Python.
        return cls.model_validate(
            {
                "fingerprint": a.fingerprint.hex(),
                "platform": a.platform_id,
                "action": Action.of(a.action),
                "at": a.at,
                "recognized": a.recognized,
                "reasons": a.reason_codes,
                "reason_bits": int(a.reasons),
                "evidence": [_evidence(e) for e in a.evidence],
                "index": {"lag_blocks": a.index_lag, "indexed_block": a.indexed_block},
                "evaluated_at": a.evaluated_at,
            }
        )


class CertificateIn(BaseModel):
    """A certificate as JSON: PEM text, or its DER in base64."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "certificate": PEM_EXAMPLE,
                    "platform": "nantong-ggzy",
                    "action": "login",
                }
            ]
        },
    )

    certificate: str = Field(max_length=65_536)
    platform: PlatformIdText | None = None
    action: Action | None = None
    at: int | None = Field(default=None, ge=0, le=MAX_UINT64)


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"fingerprints": [EXAMPLE_FP], "platform": "jiaxing-ggzy", "action": "seal"}
            ]
        },
    )

    fingerprints: list[FingerprintText] = Field(
        min_length=1, description=f"at most {MAX_BATCH}; answers come back in this order"
    )
    platform: PlatformIdText | None = None
    action: Action | None = None
    at: int | None = Field(default=None, ge=0, le=MAX_UINT64)


class BatchItemOut(BaseModel):
    fingerprint: str
    recognized: bool
    reasons: list[str]
    reason_bits: int
    evidence: list[EvidenceOut]


class BatchOut(BaseModel):
    platform: str
    action: Action | None
    at: int
    count: int
    recognized_count: int
    index: IndexOut
    evaluated_at: datetime
    results: list[BatchItemOut]

    @classmethod
    def of(cls, answers: list[RecognitionAnswer], platform: str, action: Any, at: int) -> BatchOut:
        first = answers[0]
        return cls.model_validate(
            {
                "platform": platform,
                "action": Action.of(action),
                "at": at,
                "count": len(answers),
                "recognized_count": sum(a.recognized for a in answers),
                "index": {"lag_blocks": first.index_lag, "indexed_block": first.indexed_block},
                "evaluated_at": first.evaluated_at,
                "results": [
                    {
                        "fingerprint": a.fingerprint.hex(),
                        "recognized": a.recognized,
                        "reasons": a.reason_codes,
                        "reason_bits": int(a.reasons),
                        "evidence": [_evidence(e) for e in a.evidence],
                    }
                    for a in answers
                ],
            }
        )
