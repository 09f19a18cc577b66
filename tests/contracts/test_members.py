"""Consortium members: removal (and its platforms), re-admission, the last member, stale member
proposals, and the membership role that only proposals change."""

from __future__ import annotations

import pytest

from huren.registry.client import GOVERNANCE_ROLE, MEMBER_ROLE, RegistryClient
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.errors import (
    AccessControlUnauthorizedAccount,
    AlreadyAMember,
    LastMember,
    MembershipNotRenounceable,
    NotAMember,
)
from huren.registry.types import (
    Member,
    ProposalStatus,
    Vote,
)
from tests.contracts.conftest import (
    ALLIANCE,
    CENTERS,
    JX,
    NT,
    XC,
    Net,
    emitted,
)

OPEN, EXECUTED, REJECTED, EXPIRED = (
    ProposalStatus.OPEN,
    ProposalStatus.EXECUTED,
    ProposalStatus.REJECTED,
    ProposalStatus.EXPIRED,
)
NEWCOMER = ("Hefei Public Resource Trading Center", 340100)

# -- members ---------------------------------------------------------------------------------


def test_remove_member_retires_its_platforms(net: Net) -> None:
    j = net.addr("jiaxing")
    proposed = net.as_("nantong").propose_remove_member(j)
    voted = net.as_("xuancheng").vote(proposed.proposal_id, True)
    assert emitted(voted) == [
        ("VoteCast", proposed.proposal_id, net.addr("xuancheng"), True, 2, 0),
        ("ProposalExecuted", proposed.proposal_id),
        ("RoleRevoked", MEMBER_ROLE, j, net.addr("xuancheng")),
        ("MemberRemoved", j),
        ("PlatformRetired", JX),
        ("PlatformRetired", ALLIANCE),
    ]
    assert net.view.member(j) == Member(j, *CENTERS["jiaxing"], 1, False)
    assert net.view.member_index_of(j) == 0 and net.view.member_at(1) == (j, False)
    assert j not in net.view.members() and not net.view.has_role(MEMBER_ROLE, j)
    assert [net.view.platform(p).active for p in (JX, NT, XC, ALLIANCE)] == [
        False,
        True,
        True,
        False,
    ]
    with pytest.raises(NotAMember):
        net.as_("jiaxing").propose_set_quorum(60)


def test_readmitted_member_keeps_its_index(net: Net) -> None:
    x = net.addr("xuancheng")
    net.govern(lambda c: c.propose_remove_member(x))
    added = net.govern(lambda c: c.propose_add_member(x, "Xuancheng (new)", 341802))
    assert emitted(added)[-1] == ("MemberAdded", x, 3, "Xuancheng (new)", 341802)
    assert net.view.member(x) == Member(x, "Xuancheng (new)", 341802, 3, True)
    assert net.view.platform(XC).active is False  # its platforms stay retired


def test_propose_remove_member_reverts(net: Net) -> None:
    with pytest.raises(NotAMember) as e:
        net.as_("jiaxing").propose_remove_member(net.addr("outsider"))
    assert e.value.account == net.addr("outsider")


def test_last_member_cannot_be_removed(fresh_chain) -> None:
    backend, accounts = fresh_chain
    solo = accounts["jiaxing"]
    deployment = deploy(
        backend, accounts["deployer"], [FoundingMember(solo.address, "J", 330400)], 60
    )
    client = RegistryClient(backend, deployment, solo)
    with pytest.raises(LastMember) as e:
        client.propose_remove_member(solo.address)
    assert e.value.account == solo.address
    result = client.propose_set_quorum(70)  # a sole member's proposal passes at once
    assert result.status == EXECUTED and client.quorum_percent() == 70


def test_stale_remove_of_the_last_member_reverts_at_execution(net: Net) -> None:
    net.govern(lambda c: c.propose_remove_member(net.addr("xuancheng")))
    remove_n = net.as_("jiaxing").propose_remove_member(net.addr("nantong")).proposal_id
    remove_j = net.as_("nantong").propose_remove_member(net.addr("jiaxing")).proposal_id
    assert net.as_("jiaxing").vote(remove_j, True).status == EXECUTED
    with pytest.raises(LastMember) as e:
        net.as_("nantong").vote(remove_n, True)
    assert e.value.account == net.addr("nantong")
    assert net.view.members() == (net.addr("nantong"),)


def test_stale_add_member_reverts_the_passing_vote(net: Net) -> None:
    new = net.addr("newcomer")
    first = net.as_("jiaxing").propose_add_member(new, *NEWCOMER).proposal_id
    second = net.as_("nantong").propose_add_member(new, *NEWCOMER).proposal_id
    assert net.as_("nantong").vote(first, True).status == EXECUTED
    assert net.as_("jiaxing").vote(second, True).status == OPEN  # 2 of now 4 members
    with pytest.raises(AlreadyAMember) as e:
        net.as_("xuancheng").vote(second, True)
    assert e.value.account == new
    p = net.view.proposal(second)
    assert (p.status, p.yes, p.no) == (OPEN, 2, 0)
    assert net.view.vote_of(second, net.addr("xuancheng")) == Vote.NONE
    net.as_("xuancheng").vote(second, False)
    assert net.as_("newcomer").vote(second, False).status == REJECTED  # 2 no of 4


# -- membership role -------------------------------------------------------------------------


def test_member_role_is_governed_only_by_proposals(net: Net) -> None:
    j, n = net.addr("jiaxing"), net.addr("nantong")
    with pytest.raises(MembershipNotRenounceable):
        net.as_("jiaxing").renounce_role(MEMBER_ROLE, j)
    for act in (
        lambda c: c.grant_role(MEMBER_ROLE, net.addr("outsider")),
        lambda c: c.revoke_role(MEMBER_ROLE, n),
    ):
        with pytest.raises(AccessControlUnauthorizedAccount) as e:
            act(net.as_("jiaxing"))
        assert (e.value.account, e.value.needed_role) == (j, GOVERNANCE_ROLE)
    assert len(net.view.members()) == 3
