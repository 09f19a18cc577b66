"""Plain Python model of Consortium.sol: members, CA accreditation, platforms, proposals.

No chain here: dataclasses and functions that state the contract's NatSpec rules, for the
stateful test (tests/contracts/test_stateful.py) to compare against the deployed contract.
A rule that is violated raises ``Revert(error_name, *args)`` with the Solidity custom error's
name and arguments; callers run operations on a copy (``model.transact``) so a revert leaves
the state untouched, as the EVM does. Addresses are checksummed strings, ids are 32 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_ID = bytes(32)

MIN_QUORUM = 50
MAX_QUORUM = 99

# ProposalKind
ADD_MEMBER, REMOVE_MEMBER, ACCREDIT_CA, SUSPEND_CA = 0, 1, 2, 3
REGISTER_PLATFORM, RETIRE_PLATFORM, SET_QUORUM = 4, 5, 6
# ProposalStatus (Expired is never stored: an open proposal past its expiry reads so)
P_NONE, P_OPEN, P_EXECUTED, P_REJECTED, P_EXPIRED = 0, 1, 2, 3, 4
# CaStatus
CA_NONE, CA_ACCREDITED, CA_SUSPENDED = 0, 1, 2


class Revert(Exception):
    """The model's verdict that the call reverts with custom error ``name(*args)``."""

    def __init__(self, name: str, *args: Any) -> None:
        super().__init__(name, *args)
        self.name = name
        self.args_ = args

    def __repr__(self) -> str:
        return f"{self.name}{self.args_!r}"


@dataclass
class Member:
    name: str
    region_code: int
    index: int
    active: bool


@dataclass
class Ca:
    name: str
    status: int
    index: int
    issuer_key_ids: tuple[bytes, ...]


@dataclass
class Platform:
    center: str
    name: str
    active: bool


@dataclass
class Proposal:
    kind: int
    status: int  # as stored: Open, Executed or Rejected
    proposer: str
    created_at: int
    expires_at: int
    payload: tuple[Any, ...]
    yes: int = 0
    no: int = 0
    votes: dict[str, int] = field(default_factory=dict)  # 1 yes, 2 no


@dataclass
class Governance:
    voting_period: int
    quorum: int = MIN_QUORUM
    members: dict[str, Member] = field(default_factory=dict)  # ever admitted, by account
    member_by_index: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)  # MEMBER_ROLE holders
    cas: dict[bytes, Ca] = field(default_factory=dict)
    ca_by_index: list[bytes] = field(default_factory=list)
    ca_of_key: dict[bytes, bytes] = field(default_factory=dict)
    operators: dict[bytes, list[str]] = field(default_factory=dict)  # caId -> role holders
    platforms: dict[bytes, Platform] = field(default_factory=dict)
    platform_ids: list[bytes] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)  # id i+1


def new_governance(founders: list[tuple[str, str, int]], voting_period: int) -> Governance:
    """The state right after the constructor, founders as (account, name, region code)."""
    gov = Governance(voting_period=voting_period)
    for account, name, region in founders:
        check_new_member(gov, account, name, region)
        _add_member(gov, account, name, region)
    return gov


# ------------------------------------------------------------------ views


def is_member(gov: Governance, account: str) -> bool:
    m = gov.members.get(account)
    return m is not None and m.active


def ca_status(gov: Governance, ca_id: bytes) -> int:
    c = gov.cas.get(ca_id)
    return c.status if c is not None else CA_NONE


def is_operator(gov: Governance, ca_id: bytes, account: str) -> bool:
    return account in gov.operators.get(ca_id, [])


def proposal_status(p: Proposal, now: int) -> int:
    """The status the contract reports at block time ``now``."""
    if p.status == P_OPEN and now > p.expires_at:
        return P_EXPIRED
    return p.status


def platform_state(gov: Governance, platform_id: bytes) -> tuple[bool, bool, str, int]:
    """(registered, active, center, center's member index) as IConsortium reports them."""
    p = gov.platforms.get(platform_id)
    if p is None:
        return False, False, ZERO_ADDRESS, 0
    m = gov.members.get(p.center)
    return True, p.active, p.center, m.index if m is not None else 0


def issuance_authority(gov: Governance, ca_id: bytes, key_id: bytes, operator: str) -> int:
    """The CA's index when ``operator`` may record its issuance under ``key_id``."""
    c = gov.cas.get(ca_id)
    if c is None or c.status != CA_ACCREDITED:
        raise Revert("CaNotAccredited", ca_id)
    if not is_operator(gov, ca_id, operator):
        raise Revert("NotCaOperator", ca_id, operator)
    if gov.ca_of_key.get(key_id) != ca_id:
        raise Revert("UnknownIssuerKey", ca_id, key_id)
    return c.index


# ------------------------------------------------------------------ checks


def check_new_member(gov: Governance, account: str, name: str, region: int) -> None:
    if account == ZERO_ADDRESS:
        raise Revert("ZeroAddress")
    if is_member(gov, account):
        raise Revert("AlreadyAMember", account)
    if not name:
        raise Revert("EmptyName")
    if not 100000 <= region <= 999999:
        raise Revert("InvalidRegionCode", region)


def check_removable_member(gov: Governance, account: str) -> None:
    if not is_member(gov, account):
        raise Revert("NotAMember", account)
    if len(gov.current) == 1:
        raise Revert("LastMember", account)


def check_accreditation(
    gov: Governance, ca_id: bytes, name: str, operators: tuple[str, ...], keys: tuple[bytes, ...]
) -> None:
    if ca_id == ZERO_ID:
        raise Revert("InvalidId")
    if not name:
        raise Revert("EmptyName")
    if not operators:  # the list is complete: unlisted operators lose the role
        raise Revert("NoOperators", ca_id)
    if ZERO_ADDRESS in operators:
        raise Revert("ZeroAddress")
    if not keys:
        raise Revert("NoIssuerKeys", ca_id)
    for n, key in enumerate(keys):
        if key == ZERO_ID:
            raise Revert("InvalidId")
        owner = gov.ca_of_key.get(key)
        if owner is not None and owner != ca_id:
            raise Revert("IssuerKeyTaken", key, owner)
        if key in keys[:n]:
            raise Revert("DuplicateIssuerKey", key)


def check_new_platform(gov: Governance, platform_id: bytes, center: str, name: str) -> None:
    if platform_id == ZERO_ID:
        raise Revert("InvalidId")
    if platform_id in gov.platforms:
        raise Revert("PlatformAlreadyRegistered", platform_id)
    if not is_member(gov, center):
        raise Revert("NotAMember", center)
    if not name:
        raise Revert("EmptyName")


def check_active_platform(gov: Governance, platform_id: bytes) -> None:
    p = gov.platforms.get(platform_id)
    if p is None:
        raise Revert("UnknownPlatform", platform_id)
    if not p.active:
        raise Revert("PlatformNotActive", platform_id)


# ------------------------------------------------------------------ proposals and votes


def propose(gov: Governance, sender: str, now: int, kind: int, payload: tuple[Any, ...]) -> int:
    """Any ``propose*`` call at block time ``now``; returns the new proposal's id. Only
    members propose (checked first: an outsider learns nothing), then the kind's checks."""
    if not is_member(gov, sender):
        raise Revert("NotAMember", sender)
    if kind == ADD_MEMBER:
        check_new_member(gov, *payload)
    elif kind == REMOVE_MEMBER:
        check_removable_member(gov, *payload)
    elif kind == ACCREDIT_CA:
        check_accreditation(gov, *payload)
    elif kind == SUSPEND_CA:
        if ca_status(gov, payload[0]) != CA_ACCREDITED:
            raise Revert("CaNotAccredited", payload[0])
    elif kind == REGISTER_PLATFORM:
        check_new_platform(gov, *payload)
    elif kind == RETIRE_PLATFORM:
        check_active_platform(gov, *payload)
    elif not MIN_QUORUM <= payload[0] <= MAX_QUORUM:
        raise Revert("InvalidQuorum", payload[0])
    p = Proposal(kind, P_OPEN, sender, now, now + gov.voting_period, payload)
    gov.proposals.append(p)
    p.votes[sender] = 1
    _decide(gov, p)
    return len(gov.proposals)


def vote(gov: Governance, sender: str, now: int, proposal_id: int, support: bool) -> None:
    p = _open_proposal(gov, sender, now, proposal_id)
    if sender in p.votes:
        raise Revert("AlreadyVoted", proposal_id, sender)
    p.votes[sender] = 1 if support else 2
    _decide(gov, p)


def execute(gov: Governance, sender: str, now: int, proposal_id: int) -> None:
    """Settle an open proposal that membership changes decided since its last vote."""
    p = _open_proposal(gov, sender, now, proposal_id)
    if not _decide(gov, p):
        raise Revert("QuorumNotReached", proposal_id, p.yes, p.no, len(gov.current))


def count_votes(gov: Governance, p: Proposal) -> tuple[int, int]:
    """(yes, no) of the current members: a removed member's vote stops counting."""
    yes = sum(1 for a in gov.current if p.votes.get(a) == 1)
    return yes, sum(1 for a in gov.current if p.votes.get(a) == 2)


def reported_votes(gov: Governance, p: Proposal) -> tuple[int, int]:
    """(yes, no) as the ``proposal`` view reports them: live while the proposal is stored
    open (also once it reads Expired), as stored when it was decided."""
    return count_votes(gov, p) if p.status == P_OPEN else (p.yes, p.no)


def _open_proposal(gov: Governance, sender: str, now: int, proposal_id: int) -> Proposal:
    if not is_member(gov, sender):
        raise Revert("NotAMember", sender)
    if not 1 <= proposal_id <= len(gov.proposals):
        raise Revert("UnknownProposal", proposal_id)
    p = gov.proposals[proposal_id - 1]
    status = proposal_status(p, now)
    if status != P_OPEN:
        raise Revert("ProposalNotOpen", proposal_id, status)
    return p


def _decide(gov: Governance, p: Proposal) -> bool:
    """Store the current members' tally; passing executes, hopelessness rejects. Returns
    whether the proposal was decided."""
    p.yes, p.no = count_votes(gov, p)
    n = len(gov.current)
    if p.yes * 100 > n * gov.quorum:
        p.status = P_EXECUTED
        _execute(gov, p.kind, p.payload)
        return True
    if p.no * 100 >= n * (100 - gov.quorum):
        p.status = P_REJECTED
        return True
    return False


def _execute(gov: Governance, kind: int, payload: tuple[Any, ...]) -> None:
    """Re-checks against the state at execution time; a stale proposal reverts the vote."""
    if kind == ADD_MEMBER:
        check_new_member(gov, *payload)
        _add_member(gov, *payload)
    elif kind == REMOVE_MEMBER:
        (account,) = payload
        check_removable_member(gov, account)
        gov.members[account].active = False
        gov.current.remove(account)
        for p in gov.platforms.values():
            if p.center == account:
                p.active = False
    elif kind == ACCREDIT_CA:
        check_accreditation(gov, *payload)
        _accredit(gov, *payload)
    elif kind == SUSPEND_CA:
        (ca_id,) = payload
        if ca_status(gov, ca_id) != CA_ACCREDITED:
            raise Revert("CaNotAccredited", ca_id)
        gov.cas[ca_id].status = CA_SUSPENDED
    elif kind == REGISTER_PLATFORM:
        platform_id, center, name = payload
        check_new_platform(gov, platform_id, center, name)
        gov.platforms[platform_id] = Platform(center, name, True)
        gov.platform_ids.append(platform_id)
    elif kind == RETIRE_PLATFORM:
        (platform_id,) = payload
        check_active_platform(gov, platform_id)
        gov.platforms[platform_id].active = False
    else:
        gov.quorum = payload[0]


def _add_member(gov: Governance, account: str, name: str, region: int) -> None:
    m = gov.members.get(account)
    if m is None:
        gov.member_by_index.append(account)
        m = gov.members[account] = Member(name, region, len(gov.member_by_index), True)
    m.name, m.region_code, m.active = name, region, True
    if account not in gov.current:
        gov.current.append(account)


def _accredit(
    gov: Governance, ca_id: bytes, name: str, operators: tuple[str, ...], keys: tuple[bytes, ...]
) -> None:
    c = gov.cas.get(ca_id)
    if c is None:
        gov.ca_by_index.append(ca_id)
        c = gov.cas[ca_id] = Ca(name, CA_NONE, len(gov.ca_by_index), ())
    for key in c.issuer_key_ids:
        gov.ca_of_key.pop(key, None)
    for key in keys:
        gov.ca_of_key[key] = ca_id
    c.issuer_key_ids, c.name, c.status = tuple(keys), name, CA_ACCREDITED
    holders = gov.operators.setdefault(ca_id, [])
    for op in operators:
        if op not in holders:
            holders.append(op)
    holders[:] = [op for op in holders if op in operators]  # the list is complete
