"""Consortium methods of the typed client: governance proposals, votes, CA operator roles and
every view. One method per contract function, snake_case; see ``RegistryClient``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from huren.registry.abi import checksum, decode_proposal_action
from huren.registry.backend import BlockId, RawLog
from huren.registry.client_core import CONSORTIUM as F
from huren.registry.client_core import ClientCore, ProposalResult, TxResult, addr, b32, ident
from huren.registry.errors_base import RegistryError
from huren.registry.ids import ZERO32, decode_id
from huren.registry.types import (
    Ca,
    CaStatus,
    Member,
    Platform,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Vote,
)

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "GOVERNANCE_ROLE",
    "MEMBER_ROLE",
    "ConsortiumMethods",
    "ca_operator_role",
]

MEMBER_ROLE = keccak(text="huren.consortium.member")
GOVERNANCE_ROLE = keccak(text="huren.consortium.governance")
DEFAULT_ADMIN_ROLE = ZERO32

_CREATED = keccak(text="ProposalCreated(uint256,uint8,address,uint64,bytes)")
_EXECUTED = keccak(text="ProposalExecuted(uint256)")
_REJECTED = keccak(text="ProposalRejected(uint256)")


def ca_operator_role(ca_id: str) -> bytes:
    """The role of CA ``ca_id``'s operators, as ``Consortium.caOperatorRole`` computes it."""
    return keccak(encode(["string", "bytes32"], ["huren.ca.operator", ident(ca_id)]))


class ConsortiumMethods(ClientCore):
    # -- proposals (each returns the proposal id and its status after the proposer's vote) --

    def propose_add_member(self, account: str, name: str, region_code: int) -> ProposalResult:
        """Propose admitting center ``account`` (region code: GB/T 2260, six digits)."""
        return self._propose(
            F["proposeAddMember"],
            ["address", "string", "uint32"],
            [addr(account), name, region_code],
        )

    def propose_remove_member(self, account: str) -> ProposalResult:
        """Propose removing member ``account``; its platforms retire with it."""
        return self._propose(F["proposeRemoveMember"], ["address"], [addr(account)])

    def propose_accredit_ca(
        self, ca_id: str, name: str, operators: Sequence[str], issuer_key_ids: Sequence[bytes]
    ) -> ProposalResult:
        """Propose accrediting (or re-accrediting, or updating) CA ``ca_id``."""
        return self._propose(
            F["proposeAccreditCa"],
            ["bytes32", "string", "address[]", "bytes32[]"],
            [
                ident(ca_id),
                name,
                [addr(a) for a in operators],
                [b32(k, "issuer key id") for k in issuer_key_ids],
            ],
        )

    def propose_suspend_ca(self, ca_id: str) -> ProposalResult:
        return self._propose(F["proposeSuspendCa"], ["bytes32"], [ident(ca_id)])

    def propose_register_platform(self, platform_id: str, center: str, name: str) -> ProposalResult:
        return self._propose(
            F["proposeRegisterPlatform"],
            ["bytes32", "address", "string"],
            [ident(platform_id), addr(center), name],
        )

    def propose_retire_platform(self, platform_id: str) -> ProposalResult:
        return self._propose(F["proposeRetirePlatform"], ["bytes32"], [ident(platform_id)])

    def propose_set_quorum(self, quorum_percent: int) -> ProposalResult:
        """Propose that yes votes must exceed ``quorum_percent``% of members (50..99)."""
        return self._propose(F["proposeSetQuorum"], ["uint8"], [quorum_percent])

    def vote(self, proposal_id: int, support: bool) -> ProposalResult:
        """Vote on an open proposal; the deciding vote executes or rejects it."""
        data = F["vote"] + encode(["uint256", "bool"], [proposal_id, support])
        receipt = self._send(self._consortium, data)
        return ProposalResult(receipt, proposal_id, _status_after(receipt.logs, proposal_id))

    def execute(self, proposal_id: int) -> ProposalResult:
        """Settle an open proposal that membership changes decided since the last vote;
        ``QuorumNotReached`` when the current members' votes decide nothing yet."""
        data = F["execute"] + encode(["uint256"], [proposal_id])
        receipt = self._send(self._consortium, data)
        return ProposalResult(receipt, proposal_id, _status_after(receipt.logs, proposal_id))

    def _propose(self, fn: bytes, types: list[str], args: list[Any]) -> ProposalResult:
        receipt = self._send(self._consortium, fn + encode(types, args))
        created = [log for log in receipt.logs if log.topics and log.topics[0] == _CREATED]
        if len(created) != 1:
            raise RegistryError("proposal transaction without exactly one ProposalCreated")
        proposal_id = int.from_bytes(created[0].topics[1], "big")
        return ProposalResult(receipt, proposal_id, _status_after(receipt.logs, proposal_id))

    # -- roles -------------------------------------------------------------------------------

    def grant_ca_operator(self, ca_id: str, account: str) -> TxResult:
        """Add a colleague as operator of CA ``ca_id`` (the caller must operate it)."""
        return self.grant_role(ca_operator_role(ca_id), account)

    def revoke_ca_operator(self, ca_id: str, account: str) -> TxResult:
        """Remove an operator of CA ``ca_id``; the last one cannot be removed."""
        return self.revoke_role(ca_operator_role(ca_id), account)

    def renounce_ca_operator(self, ca_id: str) -> TxResult:
        """Stop operating CA ``ca_id`` (not as its last operator)."""
        return self.renounce_role(ca_operator_role(ca_id), self.account.address)

    def grant_role(self, role: bytes, account: str) -> TxResult:
        args = [b32(role, "role"), addr(account)]
        return self._write(self._consortium, F["grantRole"], ["bytes32", "address"], args)

    def revoke_role(self, role: bytes, account: str) -> TxResult:
        args = [b32(role, "role"), addr(account)]
        return self._write(self._consortium, F["revokeRole"], ["bytes32", "address"], args)

    def renounce_role(self, role: bytes, caller_confirmation: str) -> TxResult:
        args = [b32(role, "role"), addr(caller_confirmation)]
        return self._write(self._consortium, F["renounceRole"], ["bytes32", "address"], args)

    # -- views -------------------------------------------------------------------------------

    def member(self, account: str, *, block: BlockId = "latest") -> Member:
        """A member's record; a never-admitted account reads as index 0, inactive."""
        name, region, index, active = self._cv(
            "member", ["address"], [addr(account)], ["string", "uint32", "uint32", "bool"], block
        )
        return Member(addr(account), name, region, index, active)

    def members(self, *, block: BlockId = "latest") -> tuple[str, ...]:
        """The current members' accounts."""
        return _addresses(self._cv("members", [], [], ["address[]"], block)[0])

    def member_index_of(self, account: str, *, block: BlockId = "latest") -> int:
        """The index of active member ``account``, 0 when it is not one."""
        return int(self._cv("memberIndexOf", ["address"], [addr(account)], ["uint32"], block)[0])

    def member_at(self, index: int, *, block: BlockId = "latest") -> tuple[str, bool]:
        """(account, active) of the member with ``index`` (reverts Panic past the end)."""
        account, active = self._cv("memberAt", ["uint32"], [index], ["address", "bool"], block)
        return checksum(account), bool(active)

    def ca(self, ca_id: str, *, block: BlockId = "latest") -> Ca:
        """CA ``ca_id`` with its current operators; raises ``UnknownCa``."""
        out = ["string", "uint8", "uint32", "bytes32[]", "address[]"]
        name, status, index, keys, ops = self._cv("ca", ["bytes32"], [ident(ca_id)], out, block)
        return Ca(ca_id, name, CaStatus(status), index, tuple(keys), _addresses(ops))

    def ca_ids(self, *, block: BlockId = "latest") -> tuple[str, ...]:
        """Every CA ever accredited, in accreditation order."""
        return tuple(decode_id(i) for i in self._cv("caIds", [], [], ["bytes32[]"], block)[0])

    def ca_of_issuer_key(self, issuer_key_id: bytes, *, block: BlockId = "latest") -> str | None:
        """The CA that issuer key ``issuer_key_id`` belongs to, None when none."""
        key = b32(issuer_key_id, "issuer key id")
        (raw,) = self._cv("caOfIssuerKey", ["bytes32"], [key], ["bytes32"], block)
        return None if raw == ZERO32 else decode_id(raw)

    def ca_at(self, ca_index: int, *, block: BlockId = "latest") -> tuple[str, CaStatus]:
        """(ca_id, status) of the CA with ``ca_index`` (reverts Panic past the end)."""
        raw, status = self._cv("caAt", ["uint32"], [ca_index], ["bytes32", "uint8"], block)
        return decode_id(raw), CaStatus(status)

    def issuance_authority(
        self, ca_id: str, issuer_key_id: bytes, operator: str, *, block: BlockId = "latest"
    ) -> int:
        """The CA index when ``operator`` may record under the key; raises otherwise."""
        args = [ident(ca_id), b32(issuer_key_id, "issuer key id"), addr(operator)]
        types = ["bytes32", "bytes32", "address"]
        return int(self._cv("issuanceAuthority", types, args, ["uint32"], block)[0])

    def is_ca_index_operator(
        self, ca_index: int, account: str, *, block: BlockId = "latest"
    ) -> bool:
        args = [ca_index, addr(account)]
        return bool(self._cv("isCaIndexOperator", ["uint32", "address"], args, ["bool"], block)[0])

    def ca_operator_role(self, ca_id: str, *, block: BlockId = "latest") -> bytes:
        """The role as the contract computes it (``ca_operator_role()`` does it locally)."""
        return bytes(self._cv("caOperatorRole", ["bytes32"], [ident(ca_id)], ["bytes32"], block)[0])

    def platform(self, platform_id: str, *, block: BlockId = "latest") -> Platform:
        """Platform ``platform_id``; raises ``UnknownPlatform``."""
        out = ["address", "string", "bool"]
        center, name, active = self._cv("platform", ["bytes32"], [ident(platform_id)], out, block)
        return Platform(platform_id, checksum(center), name, active)

    def platform_ids(self, *, block: BlockId = "latest") -> tuple[str, ...]:
        """Every platform ever registered, in registration order."""
        return tuple(decode_id(i) for i in self._cv("platformIds", [], [], ["bytes32[]"], block)[0])

    def platform_state(
        self, platform_id: str, *, block: BlockId = "latest"
    ) -> tuple[bool, bool, str | None, int]:
        """(registered, active, center or None, center's member index)."""
        out = ["bool", "bool", "address", "uint32"]
        reg, active, center, index = self._cv(
            "platformState", ["bytes32"], [ident(platform_id)], out, block
        )
        return reg, active, (checksum(center) if reg else None), index

    def proposal(self, proposal_id: int, *, block: BlockId = "latest") -> Proposal:
        """Proposal ``proposal_id``, its payload decoded; raises ``UnknownProposal``."""
        out = ["uint8", "uint8", "address", "uint64", "uint64", "uint32", "uint32", "bytes"]
        kind, status, proposer, created, expires, yes, no, payload = self._cv(
            "proposal", ["uint256"], [proposal_id], out, block
        )
        action = decode_proposal_action(kind, payload)
        return Proposal(
            proposal_id, ProposalKind(kind), ProposalStatus(status), checksum(proposer),
            created, expires, yes, no, payload, action,
        )  # fmt: skip

    def proposal_count(self, *, block: BlockId = "latest") -> int:
        """Proposals so far; ids run from 1 to this."""
        return int(self._cv("proposalCount", [], [], ["uint256"], block)[0])

    def vote_of(self, proposal_id: int, voter: str, *, block: BlockId = "latest") -> Vote:
        args = [proposal_id, addr(voter)]
        return Vote(self._cv("voteOf", ["uint256", "address"], args, ["uint8"], block)[0])

    def quorum_percent(self, *, block: BlockId = "latest") -> int:
        return int(self._cv("quorumPercent", [], [], ["uint8"], block)[0])

    def voting_period(self, *, block: BlockId = "latest") -> int:
        """Seconds a proposal stays open."""
        return int(self._cv("votingPeriod", [], [], ["uint64"], block)[0])

    def has_role(self, role: bytes, account: str, *, block: BlockId = "latest") -> bool:
        args = [b32(role, "role"), addr(account)]
        return bool(self._cv("hasRole", ["bytes32", "address"], args, ["bool"], block)[0])

    def get_role_admin(self, role: bytes, *, block: BlockId = "latest") -> bytes:
        args = [b32(role, "role")]
        return bytes(self._cv("getRoleAdmin", ["bytes32"], args, ["bytes32"], block)[0])

    def get_role_member(self, role: bytes, index: int, *, block: BlockId = "latest") -> str:
        args = [b32(role, "role"), index]
        return checksum(
            self._cv("getRoleMember", ["bytes32", "uint256"], args, ["address"], block)[0]
        )

    def get_role_member_count(self, role: bytes, *, block: BlockId = "latest") -> int:
        args = [b32(role, "role")]
        return int(self._cv("getRoleMemberCount", ["bytes32"], args, ["uint256"], block)[0])

    def get_role_members(self, role: bytes, *, block: BlockId = "latest") -> tuple[str, ...]:
        args = [b32(role, "role")]
        return _addresses(self._cv("getRoleMembers", ["bytes32"], args, ["address[]"], block)[0])

    def supports_interface(self, interface_id: bytes, *, block: BlockId = "latest") -> bool:
        args = [bytes(interface_id)]
        return bool(self._cv("supportsInterface", ["bytes4"], args, ["bool"], block)[0])

    def _cv(
        self, fn: str, types: list[str], args: list[Any], out: list[str], block: BlockId
    ) -> tuple[Any, ...]:
        return self._view(self._consortium, F[fn], types, args, out, block)


def _addresses(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(checksum(v) for v in values)


def _status_after(logs: Sequence[RawLog], proposal_id: int) -> ProposalStatus:
    topic = proposal_id.to_bytes(32, "big")
    for log in logs:
        topics = log.topics
        if len(topics) == 2 and topics[1] == topic:
            if topics[0] == _EXECUTED:
                return ProposalStatus.EXECUTED
            if topics[0] == _REJECTED:
                return ProposalStatus.REJECTED
    return ProposalStatus.OPEN
