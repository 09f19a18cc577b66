"""Consortium governance: deployment, proposals, votes, quorum math and expiry."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from huren.registry.client import GOVERNANCE_ROLE, MEMBER_ROLE, RegistryClient
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.errors import (
    AlreadyAMember,
    AlreadyVoted,
    EmptyName,
    InvalidQuorum,
    InvalidRegionCode,
    InvalidVotingPeriod,
    LengthMismatch,
    NoFounders,
    NotAMember,
    ProposalNotOpen,
    QuorumNotReached,
    UnknownProposal,
    ZeroAddress,
)
from huren.registry.events import EventStream
from huren.registry.types import (
    AddMemberAction,
    Member,
    ProposalKind,
    ProposalStatus,
    SetQuorumAction,
    Vote,
)
from tests.contracts.conftest import (
    CENTERS,
    NT,
    T_TEST,
    VOTING_PERIOD,
    ZERO_ADDRESS,
    Net,
    deploy_raw,
    emitted,
    error_args,
    fields_of,
)

OPEN, EXECUTED, REJECTED, EXPIRED = (
    ProposalStatus.OPEN,
    ProposalStatus.EXECUTED,
    ProposalStatus.REJECTED,
    ProposalStatus.EXPIRED,
)
NEWCOMER = ("Hefei Public Resource Trading Center", 340100)

# -- deployment ------------------------------------------------------------------------------


def test_deployment_admits_the_founders(fresh_chain) -> None:
    backend, accounts = fresh_chain
    founders = [FoundingMember(accounts[n].address, *CENTERS[n]) for n in CENTERS]
    deployment = deploy(backend, accounts["deployer"], founders, 3600)
    view = RegistryClient(backend, deployment)
    assert set(view.members()) == {f.account for f in founders}
    for index, f in enumerate(founders, start=1):
        assert view.member(f.account) == Member(f.account, f.name, f.region_code, index, True)
        assert view.member_index_of(f.account) == index
        assert view.member_at(index) == (f.account, True)
    assert (view.quorum_percent(), view.voting_period(), view.proposal_count()) == (50, 3600, 0)
    assert view.ca_ids() == () and view.platform_ids() == ()
    assert view.consortium() == deployment.consortium and view.certificate_count() == 0
    assert view.get_role_admin(MEMBER_ROLE) == GOVERNANCE_ROLE
    assert view.get_role_member_count(GOVERNANCE_ROLE) == 0
    assert view.member(accounts["outsider"].address).index == 0
    for interface, supported in (
        (b"\x01\xff\xc9\xa7", True),
        (b"\x79\x65\xdb\x0b", True),
        (b"\x5a\x05\x18\x0f", True),
        (b"\xff\xff\xff\xff", False),
    ):
        assert view.supports_interface(interface) is supported
    events = [fields_of(e) for e in EventStream(backend, deployment).events()]
    added = [e for e in events if e[0] == "MemberAdded"]
    assert added == [
        ("MemberAdded", f.account, i, f.name, f.region_code)
        for i, f in enumerate(founders, start=1)
    ]
    granted = [e for e in events if e[0] == "RoleGranted"]
    assert [(g[1], g[2]) for g in granted] == [(MEMBER_ROLE, f.account) for f in founders]


@pytest.mark.parametrize(
    ("founders", "names", "regions", "period", "error", "args"),
    [
        ([], [], [], 60, NoFounders, ()),
        (["jiaxing", "nantong"], ["J"], [330400, 320600], 60, LengthMismatch, (2, 1)),
        (["jiaxing", "nantong"], ["J", "N"], [330400], 60, LengthMismatch, (2, 1)),
        (["jiaxing"], ["J"], [330400, 320600], 60, LengthMismatch, (1, 2)),
        (["jiaxing"], ["J"], [330400], 0, InvalidVotingPeriod, (0,)),
        (["jiaxing"], ["J"], [330400], 365 * 86400 + 1, InvalidVotingPeriod, (365 * 86400 + 1,)),
        (["jiaxing"], ["J"], [99_999], 60, InvalidRegionCode, (99_999,)),
        (["jiaxing"], ["J"], [1_000_000], 60, InvalidRegionCode, (1_000_000,)),
        (["jiaxing"], [""], [330400], 60, EmptyName, ()),
        (["jiaxing", ZERO_ADDRESS], ["J", "Z"], [330400, 320600], 60, ZeroAddress, ()),
        (["jiaxing", "jiaxing"], ["J", "J2"], [330400, 320600], 60, AlreadyAMember, ("jiaxing",)),
    ],
    ids=[
        "no-founders",
        "names-short",
        "regions-short",
        "regions-long",
        "zero-period",
        "period-over-a-year",
        "region-low",
        "region-high",
        "empty-name",
        "zero-founder",
        "duplicate-founder",
    ],
)
def test_constructor_reverts(fresh_chain, founders, names, regions, period, error, args) -> None:
    backend, accounts = fresh_chain

    def resolve(v):
        return accounts[v].address if v in accounts else v

    with pytest.raises(error) as e:
        deploy_raw(
            backend, accounts["deployer"], [resolve(f) for f in founders], names, regions, period
        )
    assert error_args(e.value) == tuple(resolve(a) for a in args)


# -- proposing -------------------------------------------------------------------------------


def test_propose_add_member_then_pass(net: Net) -> None:
    new = net.addr("newcomer")
    proposed = net.as_("jiaxing").propose_add_member(new, *NEWCOMER)
    pid = proposed.proposal_id
    assert (pid, proposed.status) == (7, OPEN)
    expires = T_TEST + VOTING_PERIOD
    payload = encode(["address", "string", "uint32"], [new, *NEWCOMER])
    j = net.addr("jiaxing")
    assert emitted(proposed) == [
        ("ProposalCreated", pid, ProposalKind.ADD_MEMBER, j, expires, payload),
        ("VoteCast", pid, j, True, 1, 0),
    ]
    p = net.view.proposal(pid)
    assert (p.kind, p.status, p.proposer, p.created_at, p.expires_at, p.yes, p.no) == (
        ProposalKind.ADD_MEMBER,
        OPEN,
        j,
        T_TEST,
        expires,
        1,
        0,
    )
    assert (p.payload, p.action) == (payload, AddMemberAction(new, *NEWCOMER))
    assert net.view.proposal_count() == pid
    assert net.view.vote_of(pid, j) == Vote.YES and net.view.vote_of(pid, new) == Vote.NONE
    assert net.view.member(new).active is False

    voted = net.as_("nantong").vote(pid, True)
    n = net.addr("nantong")
    assert voted.status == EXECUTED
    assert emitted(voted) == [
        ("VoteCast", pid, n, True, 2, 0),
        ("ProposalExecuted", pid),
        ("RoleGranted", MEMBER_ROLE, new, n),
        ("MemberAdded", new, 4, *NEWCOMER),
    ]
    assert net.view.member(new) == Member(new, *NEWCOMER, 4, True)
    assert new in net.view.members() and len(net.view.members()) == 4
    assert net.view.member_at(4) == (new, True) and net.view.has_role(MEMBER_ROLE, new)
    assert net.view.proposal(pid).status == EXECUTED


@pytest.mark.parametrize(
    ("account", "name", "region", "error", "args"),
    [
        (ZERO_ADDRESS, "X", 340100, ZeroAddress, ()),
        ("nantong", "X", 340100, AlreadyAMember, ("nantong",)),
        ("newcomer", "", 340100, EmptyName, ()),
        ("newcomer", "X", 99_999, InvalidRegionCode, (99_999,)),
        ("newcomer", "X", 1_000_000, InvalidRegionCode, (1_000_000,)),
    ],
)
def test_propose_add_member_reverts(net: Net, account, name, region, error, args) -> None:
    with pytest.raises(error) as e:
        net.as_("jiaxing").propose_add_member(*net.resolve([account]), name, region)
    assert error_args(e.value) == net.resolve(args)
    assert net.view.proposal_count() == 6


@pytest.mark.parametrize(
    "propose",
    [
        lambda c, n: c.propose_add_member(n.addr("newcomer"), *NEWCOMER),
        lambda c, n: c.propose_remove_member(n.addr("nantong")),
        lambda c, n: c.propose_accredit_ca("shca", "SHCA", [n.addr("colleague")], [b"\x07" * 32]),
        lambda c, n: c.propose_suspend_ca("zjca"),
        lambda c, n: c.propose_register_platform("hf-ggzy", n.addr("nantong"), "Hefei"),
        lambda c, n: c.propose_retire_platform(NT),
        lambda c, n: c.propose_set_quorum(60),
    ],
    ids=["add", "remove", "accredit", "suspend", "register", "retire", "quorum"],
)
@pytest.mark.parametrize("who", ["outsider", "op"])
def test_only_members_propose(net: Net, propose, who) -> None:
    with pytest.raises(NotAMember) as e:
        propose(net.as_(who), net)
    assert e.value.account == net.addr(who)


def test_membership_is_checked_before_the_arguments(net: Net) -> None:
    """An outsider learns nothing about the state from a proposal's validation."""
    with pytest.raises(NotAMember):
        net.as_("outsider").propose_set_quorum(10)
    with pytest.raises(NotAMember):
        net.as_("outsider").propose_remove_member(net.addr("outsider"))


@pytest.mark.parametrize("quorum", [0, 49, 100, 255])
def test_propose_set_quorum_out_of_range(net: Net, quorum: int) -> None:
    with pytest.raises(InvalidQuorum) as e:
        net.as_("jiaxing").propose_set_quorum(quorum)
    assert e.value.quorum_percent == quorum


def test_set_quorum_executes(net: Net) -> None:
    result = net.as_("jiaxing").propose_set_quorum(66)
    assert net.view.proposal(result.proposal_id).action == SetQuorumAction(66)
    voted = net.as_("xuancheng").vote(result.proposal_id, True)
    assert emitted(voted)[-2:] == [
        ("ProposalExecuted", result.proposal_id),
        ("QuorumChanged", 50, 66),
    ]
    assert net.view.quorum_percent() == 66


# -- voting ----------------------------------------------------------------------------------


def test_vote_reverts_for_outsiders_unknown_ids_and_second_votes(net: Net) -> None:
    pid = net.as_("jiaxing").propose_set_quorum(60).proposal_id
    with pytest.raises(NotAMember) as e:
        net.as_("outsider").vote(pid, True)
    assert e.value.account == net.addr("outsider")
    for bad in (0, pid + 1):
        with pytest.raises(UnknownProposal) as u:
            net.as_("nantong").vote(bad, True)
        assert u.value.id == bad
        with pytest.raises(UnknownProposal):
            net.view.proposal(bad)
    with pytest.raises(AlreadyVoted) as a:
        net.as_("jiaxing").vote(pid, False)
    assert (a.value.id, a.value.voter) == (pid, net.addr("jiaxing"))


def test_one_no_vote_leaves_a_three_member_proposal_open_two_reject_it(net: Net) -> None:
    pid = net.as_("jiaxing").propose_set_quorum(60).proposal_id
    first = net.as_("nantong").vote(pid, False)
    assert first.status == OPEN
    assert emitted(first) == [("VoteCast", pid, net.addr("nantong"), False, 1, 1)]
    assert net.view.vote_of(pid, net.addr("nantong")) == Vote.NO
    second = net.as_("xuancheng").vote(pid, False)
    assert second.status == REJECTED
    assert emitted(second) == [
        ("VoteCast", pid, net.addr("xuancheng"), False, 1, 2),
        ("ProposalRejected", pid),
    ]
    p = net.view.proposal(pid)
    assert (p.status, p.yes, p.no) == (REJECTED, 1, 2)
    assert net.view.quorum_percent() == 50
    with pytest.raises(ProposalNotOpen) as e:
        net.as_("xuancheng").vote(pid, True)
    assert (e.value.id, e.value.status) == (pid, REJECTED)


def test_executed_proposal_is_not_open(net: Net) -> None:
    pid = net.govern(lambda c: c.propose_set_quorum(60)).proposal_id
    with pytest.raises(ProposalNotOpen) as e:
        net.as_("xuancheng").vote(pid, True)
    assert (e.value.id, e.value.status) == (pid, EXECUTED)


def test_expiry(net: Net) -> None:
    a = net.as_("jiaxing").propose_set_quorum(60)
    b = net.as_("jiaxing").propose_set_quorum(70)
    expires = net.view.proposal(a.proposal_id).expires_at
    net.clock.now = expires  # the last second of the voting period still counts
    assert net.as_("nantong").vote(a.proposal_id, False).status == OPEN
    net.clock.now = expires + 5
    with pytest.raises(ProposalNotOpen) as e:
        net.as_("nantong").vote(b.proposal_id, True)
    assert (e.value.id, e.value.status) == (b.proposal_id, EXPIRED)
    before = net.backend.block_number()
    net.mine()
    assert net.view.proposal(b.proposal_id).status == EXPIRED
    assert net.view.proposal(b.proposal_id, block=before).status == OPEN
    assert net.view.proposal(a.proposal_id).status == EXPIRED


# -- quorum math -----------------------------------------------------------------------------


def _add_newcomer(net: Net) -> None:
    net.govern(lambda c: c.propose_add_member(net.addr("newcomer"), *NEWCOMER))


VOTERS = ["nantong", "xuancheng", "newcomer"]


@pytest.mark.parametrize(
    ("members", "quorum", "yes_needed", "no_needed"),
    [
        (3, 50, 2, 2),
        (3, 66, 2, 2),
        (3, 67, 3, 1),
        (4, 50, 3, 2),
        (4, 66, 3, 2),
        (4, 75, 4, 1),
        (4, 99, 4, 1),
    ],
)
def test_quorum_math(net: Net, members, quorum, yes_needed, no_needed) -> None:
    if members == 4:
        _add_newcomer(net)
    if quorum != 50:
        net.govern(lambda c: c.propose_set_quorum(quorum))
    assert net.view.quorum_percent() == quorum
    failing = net.as_("jiaxing").propose_set_quorum(91)
    for i, voter in enumerate(VOTERS[:no_needed], start=1):
        status = net.as_(voter).vote(failing.proposal_id, False).status
        assert status == (REJECTED if i == no_needed else OPEN), (voter, i)
    passing = net.as_("jiaxing").propose_set_quorum(90)
    for i, voter in enumerate(VOTERS[: yes_needed - 1], start=2):
        status = net.as_(voter).vote(passing.proposal_id, True).status
        assert status == (EXECUTED if i == yes_needed else OPEN), (voter, i)
    assert net.view.quorum_percent() == 90


def test_two_members_one_yes_does_not_pass_one_no_rejects(net: Net) -> None:
    net.govern(lambda c: c.propose_remove_member(net.addr("xuancheng")))
    a = net.as_("jiaxing").propose_set_quorum(60)
    assert a.status == OPEN and net.view.proposal(a.proposal_id).yes == 1
    assert net.as_("nantong").vote(a.proposal_id, False).status == REJECTED
    b = net.as_("jiaxing").propose_set_quorum(61)
    assert net.as_("nantong").vote(b.proposal_id, True).status == EXECUTED


def test_removed_members_votes_stop_counting(net: Net) -> None:
    pid = net.as_("xuancheng").propose_set_quorum(60).proposal_id  # xuancheng votes yes
    net.govern(lambda c: c.propose_remove_member(net.addr("xuancheng")))
    assert net.view.proposal(pid).yes == 0  # an open proposal's view counts current members
    voted = net.as_("jiaxing").vote(pid, True)
    assert voted.status == OPEN  # 1 of 2 current members, not 2 of 3
    assert emitted(voted) == [("VoteCast", pid, net.addr("jiaxing"), True, 1, 0)]
    assert net.view.vote_of(pid, net.addr("xuancheng")) == Vote.YES  # kept, but not counted
    with pytest.raises(NotAMember):
        net.as_("xuancheng").vote(pid, False)
    assert net.as_("nantong").vote(pid, True).status == EXECUTED


def test_execute_settles_a_proposal_that_a_departure_decided(net: Net) -> None:
    """With 4 members, 2 yes votes are not a strict majority; once a member who had not
    voted leaves, 2 of 3 are, and any member may settle it without voting."""
    net.govern(lambda c: c.propose_add_member(net.addr("outsider"), "Huzhou", 330500))
    pid = net.as_("jiaxing").propose_set_quorum(60).proposal_id
    assert net.as_("nantong").vote(pid, True).status == OPEN  # 2 of 4
    with pytest.raises(QuorumNotReached) as e:
        net.as_("jiaxing").execute(pid)
    assert error_args(e.value) == (pid, 2, 0, 4)
    net.govern(lambda c: c.propose_remove_member(net.addr("outsider")))
    assert net.view.proposal(pid).yes == 2
    settled = net.as_("xuancheng").execute(pid)
    assert settled.status == EXECUTED
    assert emitted(settled) == [("ProposalExecuted", pid), ("QuorumChanged", 50, 60)]
    with pytest.raises(ProposalNotOpen):
        net.as_("xuancheng").execute(pid)
    with pytest.raises(NotAMember):
        net.as_("outsider").execute(pid)
