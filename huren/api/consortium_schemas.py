"""Bodies of the consortium endpoints: index reads out, governance proposals and votes in."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

from huren.api.schemas import ChainRef, hex0x
from huren.node.db.models import Evidence as EvidenceColumns
from huren.registry.client import ProposalResult

__all__ = [
    "CaOut",
    "MemberOut",
    "PlatformOut",
    "ProposalIn",
    "ProposalOut",
    "ProposalResultOut",
    "QuorumOut",
    "VoteIn",
    "VoteOut",
    "evidence_of",
]

Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=66)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
KeyId = Annotated[str, StringConstraints(pattern=r"^(?:0x)?[0-9a-fA-F]{64}$")]


def evidence_of(row: EvidenceColumns) -> ChainRef:
    """Where the event that last set ``row`` sits on chain."""
    return ChainRef(
        block_number=row.block_number,
        block_hash=hex0x(row.block_hash),
        transaction_hash=hex0x(row.transaction_hash),
        log_index=row.log_index,
    )


class MemberOut(BaseModel):
    account: str
    name: str
    region_code: int
    index: int
    active: bool
    last_event: ChainRef


class CaOut(BaseModel):
    id: str
    name: str
    status: str = Field(examples=["accredited", "suspended"])
    index: int
    operators: list[str]
    issuer_key_ids: list[str]
    last_event: ChainRef


class PlatformOut(BaseModel):
    id: str
    name: str
    center: str
    active: bool
    last_event: ChainRef


class QuorumOut(BaseModel):
    percent: int
    last_event: ChainRef | None


class VoteOut(BaseModel):
    voter: str
    support: bool


class ProposalOut(BaseModel):
    id: int
    kind: str = Field(examples=["accredit_ca"])
    status: str = Field(examples=["open", "executed", "rejected", "expired"])
    proposer: str
    expires_at: int
    yes: int
    no: int
    action: dict[str, Any]
    votes: list[VoteOut]
    last_event: ChainRef


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddMember(_Strict):
    kind: Literal["add_member"]
    account: Address
    name: Name
    region_code: int = Field(ge=100_000, le=999_999, description="GB/T 2260 region code")


class RemoveMember(_Strict):
    kind: Literal["remove_member"]
    account: Address


class AccreditCa(_Strict):
    kind: Literal["accredit_ca"]
    ca_id: Ident
    name: Name
    operators: list[Address] = Field(max_length=100)
    issuer_key_ids: list[KeyId] = Field(min_length=1, max_length=100)


class SuspendCa(_Strict):
    kind: Literal["suspend_ca"]
    ca_id: Ident


class RegisterPlatform(_Strict):
    kind: Literal["register_platform"]
    platform_id: Ident
    center: Address
    name: Name


class RetirePlatform(_Strict):
    kind: Literal["retire_platform"]
    platform_id: Ident


class SetQuorum(_Strict):
    kind: Literal["set_quorum"]
    quorum_percent: int = Field(ge=50, le=99)


class ProposalIn(
    RootModel[
        Annotated[
            AddMember
            | RemoveMember
            | AccreditCa
            | SuspendCa
            | RegisterPlatform
            | RetirePlatform
            | SetQuorum,
            Field(discriminator="kind"),
        ]
    ]
):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "suspend_ca", "ca_id": "zjca"},
                {"kind": "set_quorum", "quorum_percent": 66},
            ]
        }
    )


class VoteIn(_Strict):
    support: bool


class ProposalResultOut(BaseModel):
    """The proposal's status right after the transaction (a proposer's own yes vote, or the
    deciding vote, may already have executed it)."""

    proposal_id: int
    status: str
    transaction_hash: str
    block_number: int

    @classmethod
    def of(cls, r: ProposalResult) -> ProposalResultOut:
        return cls(
            proposal_id=r.proposal_id,
            status=r.status.name.lower(),
            transaction_hash=hex0x(r.transaction_hash),
            block_number=r.block_number,
        )
