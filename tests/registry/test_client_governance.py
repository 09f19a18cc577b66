"""Consortium through the typed client: deployment, proposals and votes, roles, views."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from huren.registry.client import MEMBER_ROLE, RegistryClient, ca_operator_role
from huren.registry.deploy import FoundingMember, deploy, load_deployment, save_deployment
from huren.registry.embedded import EmbeddedBackend
from huren.registry.errors import (
    AccessControlBadConfirmation,
    AccessControlUnauthorizedAccount,
    AlreadyVoted,
    DeploymentMismatch,
    InvalidQuorum,
    InvalidRegionCode,
    LastCaOperator,
    MembershipNotRenounceable,
    NoFounders,
    NotAMember,
    ProposalNotOpen,
    RegistryError,
    UnknownCa,
    UnknownPlatform,
    UnknownProposal,
)
from huren.registry.event_types import CaAccredited, ProposalCreated, ProposalExecuted, VoteCast
from huren.registry.types import (
    AccreditCaAction,
    AddMemberAction,
    CaStatus,
    ProposalKind,
    ProposalStatus,
    SetQuorumAction,
    Vote,
)
from tests.registry.conftest import (
    CA_ID,
    ISSUER_KEY,
    PLATFORM_ID,
    VOTING_PERIOD,
    Clock,
    Network,
    deploy_network,
    new_account,
)


def test_deploy_single_founder_decides_alone(chain: EmbeddedBackend, tmp_path: Path) -> None:
    net = deploy_network(chain, n_centers=1)
    dep = net.deployment
    assert dep.chain_id == chain.chain_id and dep.block_number <= chain.block_number()
    me = net.client(net.centers[0])
    assert me.members() == (net.centers[0].address,)
    assert me.member(net.centers[0].address).name == "center 0"
    assert me.voting_period() == VOTING_PERIOD and me.quorum_percent() == 50
    assert me.consortium() == dep.consortium

    result = me.propose_accredit_ca(CA_ID, "Zhejiang CA", [net.operator.address], [ISSUER_KEY])
    assert result.executed and result.proposal_id == 1 and result.status is ProposalStatus.EXECUTED
    assert [type(e) for e in result.events_of(ProposalCreated)] == [ProposalCreated]
    (accredited,) = result.events_of(CaAccredited)
    assert accredited.ca_id == CA_ID and accredited.issuer_key_ids == (ISSUER_KEY,)
    assert result.events_of(ProposalExecuted)[0].meta.transaction_hash == result.transaction_hash

    path = tmp_path / "node" / "deployment.json"
    save_deployment(path, dep)
    assert load_deployment(path) == dep
    assert json.loads(path.read_text())["format"] == "huren-deployment/2"
    assert dep.audit_anchor is not None
    path.write_text('{"format": "huren-deployment/1", "consortium": "nope"}')
    with pytest.raises(DeploymentMismatch):
        load_deployment(path)


def test_two_of_three_votes(network: Network, clock: Clock) -> None:
    a, b, c = (network.client(x) for x in network.centers)
    new = new_account(network.backend)
    proposed = a.propose_add_member(new.address, "Huzhou center", 330500)
    assert proposed.status is ProposalStatus.OPEN and not proposed.executed
    pid = proposed.proposal_id
    p = a.proposal(pid)
    assert (p.kind, p.status, p.yes, p.no) == (ProposalKind.ADD_MEMBER, ProposalStatus.OPEN, 1, 0)
    assert p.action == AddMemberAction(new.address, "Huzhou center", 330500)
    assert p.proposer == network.centers[0].address
    assert p.expires_at == p.created_at + VOTING_PERIOD
    assert a.vote_of(pid, network.centers[0].address) is Vote.YES
    assert a.vote_of(pid, network.centers[1].address) is Vote.NONE

    with pytest.raises(AlreadyVoted) as caught:
        a.vote(pid, True)
    assert caught.value.id == pid and caught.value.voter == network.centers[0].address
    assert caught.value.transaction_hash is None  # caught by estimation, never mined

    voted = b.vote(pid, True)
    assert voted.executed and voted.proposal_id == pid
    (cast,) = voted.events_of(VoteCast)
    assert (cast.voter, cast.support, cast.yes, cast.no) == (network.centers[1].address, True, 2, 0)
    assert new.address in a.members() and a.member(new.address).index == 4
    with pytest.raises(ProposalNotOpen) as not_open:
        c.vote(pid, False)
    assert not_open.value.status is ProposalStatus.EXECUTED

    # Four members now: two no votes make a strict majority of yes impossible.
    rejected = a.propose_set_quorum(66)
    assert b.vote(rejected.proposal_id, False).status is ProposalStatus.OPEN
    assert c.vote(rejected.proposal_id, False).status is ProposalStatus.REJECTED
    p = a.proposal(rejected.proposal_id)
    assert (p.status, p.yes, p.no, p.action) == (ProposalStatus.REJECTED, 1, 2, SetQuorumAction(66))

    expiring = a.propose_retire_platform(PLATFORM_ID)
    clock.now = a.proposal(expiring.proposal_id).expires_at + 1
    with pytest.raises(ProposalNotOpen) as expired:  # the vote would be in a later block
        b.vote(expiring.proposal_id, True)
    assert expired.value.status is ProposalStatus.EXPIRED
    assert a.proposal(expiring.proposal_id).status is ProposalStatus.OPEN  # as of the head
    new_account(network.backend)  # mines a block at the new time
    assert a.proposal(expiring.proposal_id).status is ProposalStatus.EXPIRED
    assert a.proposal_count() == 2 + 3  # the fixture's two, then this test's three


def test_views_of_the_fixture(network: Network) -> None:
    reader = network.client()
    ca = reader.ca(CA_ID)
    assert (ca.ca_id, ca.name, ca.status, ca.index) == (
        CA_ID,
        "Zhejiang CA",
        CaStatus.ACCREDITED,
        1,
    )
    assert ca.issuer_key_ids == (ISSUER_KEY,) and ca.operators == (network.operator.address,)
    assert reader.ca_ids() == (CA_ID,) and reader.ca_of_issuer_key(ISSUER_KEY) == CA_ID
    assert reader.ca_of_issuer_key(b"\x22" * 32) is None
    assert reader.ca_at(1) == (CA_ID, CaStatus.ACCREDITED)
    assert reader.issuance_authority(CA_ID, ISSUER_KEY, network.operator.address) == 1
    assert reader.is_ca_index_operator(1, network.operator.address)
    platform = reader.platform(PLATFORM_ID)
    assert platform.center == network.centers[0].address and platform.active
    assert reader.platform_ids() == (PLATFORM_ID,)
    assert reader.platform_state(PLATFORM_ID) == (True, True, network.centers[0].address, 1)
    assert reader.platform_state("nowhere") == (False, False, None, 0)
    assert reader.member_index_of(network.centers[2].address) == 3
    assert reader.member_at(2) == (network.centers[1].address, True)
    assert reader.proposal_count() == 2
    first = reader.proposal(1)
    assert isinstance(first.action, AccreditCaAction) and first.action.ca_id == CA_ID
    assert reader.has_role(MEMBER_ROLE, network.centers[0].address)
    assert reader.get_role_member_count(MEMBER_ROLE) == 3
    assert reader.get_role_members(MEMBER_ROLE) == reader.members()
    assert reader.get_role_member(MEMBER_ROLE, 0) == network.centers[0].address
    role = ca_operator_role(CA_ID)
    assert reader.ca_operator_role(CA_ID) == role and reader.get_role_admin(role) == role
    assert reader.supports_interface(bytes.fromhex("01ffc9a7"))
    for call, error in (
        (lambda: reader.ca("nobody"), UnknownCa),
        (lambda: reader.platform("nowhere"), UnknownPlatform),
        (lambda: reader.proposal(99), UnknownProposal),
    ):
        with pytest.raises(error):
            call()
    # Historic reads: before the CA was accredited, there was none.
    with pytest.raises(UnknownCa):
        reader.ca(CA_ID, block=network.deployment.block_number + 1)


def test_ca_operator_roles(network: Network) -> None:
    op = network.ca
    colleague = new_account(network.backend)
    op.grant_ca_operator(CA_ID, colleague.address)
    assert op.has_role(ca_operator_role(CA_ID), colleague.address)
    assert set(op.ca(CA_ID).operators) == {network.operator.address, colleague.address}
    with pytest.raises(AccessControlUnauthorizedAccount) as denied:
        network.client(network.outsider).grant_ca_operator(CA_ID, network.outsider.address)
    assert denied.value.account == network.outsider.address
    assert denied.value.needed_role == ca_operator_role(CA_ID)
    op.with_account(colleague).revoke_ca_operator(CA_ID, network.operator.address)
    with pytest.raises(LastCaOperator) as last:
        op.with_account(colleague).renounce_ca_operator(CA_ID)
    assert (last.value.ca_id, last.value.operator) == (CA_ID, colleague.address)
    center = network.client(network.centers[0])
    with pytest.raises(MembershipNotRenounceable):
        center.renounce_role(MEMBER_ROLE, network.centers[0].address)
    with pytest.raises(AccessControlBadConfirmation):
        center.renounce_role(ca_operator_role(CA_ID), network.centers[1].address)


def test_client_guards(network: Network) -> None:
    reader = network.client()
    assert reader.address is None
    with pytest.raises(RegistryError, match="no account"):
        reader.propose_set_quorum(60)
    with pytest.raises(NotAMember) as outsider:
        reader.with_account(network.outsider).propose_set_quorum(60)
    assert outsider.value.account == network.outsider.address
    with pytest.raises(InvalidQuorum) as bad:
        network.client(network.centers[0]).propose_set_quorum(100)
    assert bad.value.quorum_percent == 100
    other_chain = dataclasses.replace(network.deployment, chain_id=1)
    with pytest.raises(DeploymentMismatch):
        RegistryClient(network.backend, other_chain)
    reader.check_deployment()
    dep = network.deployment
    for wrong in (
        dataclasses.replace(dep, registry=network.outsider.address),  # no code there
        dataclasses.replace(dep, consortium=dep.registry),
    ):
        with pytest.raises(DeploymentMismatch):
            RegistryClient(network.backend, wrong).check_deployment()


def test_deploy_rejects_no_founders(chain: EmbeddedBackend) -> None:
    deployer = new_account(chain)
    with pytest.raises(NoFounders):
        deploy(chain, deployer, [], VOTING_PERIOD)
    with pytest.raises(InvalidRegionCode) as bad:
        deploy(chain, deployer, [FoundingMember(deployer.address, "x", 12)], VOTING_PERIOD)
    assert bad.value.region_code == 12
