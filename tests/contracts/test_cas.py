"""Consortium CA accreditation, suspension, issuer keys and operators' self-management."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from huren.registry.client import DEFAULT_ADMIN_ROLE, ca_operator_role
from huren.registry.errors import (
    AccessControlBadConfirmation,
    AccessControlUnauthorizedAccount,
    CaNotAccredited,
    DuplicateIssuerKey,
    EmptyName,
    InvalidId,
    IssuerKeyTaken,
    LastCaOperator,
    NoIssuerKeys,
    NoOperators,
    NotCaOperator,
    UnknownCa,
    UnknownIssuerKey,
    ZeroAddress,
)
from huren.registry.types import AccreditCaAction, Ca, CaStatus, ProposalKind, SuspendCaAction
from tests.contracts.conftest import (
    AHCA,
    K1,
    K2,
    K3,
    ZERO32,
    ZERO_ADDRESS,
    ZJCA,
    Net,
    emitted,
    error_args,
)

ZERO_ID = "0x" + "00" * 32
K4 = b"\x04" * 32
ROLE = ca_operator_role(ZJCA)


def test_template_cas(net: Net) -> None:
    v = net.view
    assert v.ca_ids() == (ZJCA, AHCA)
    assert v.ca(ZJCA) == Ca(
        ZJCA, "ZJCA Certificate Authority", CaStatus.ACCREDITED, 1, (K1,), (net.addr("op"),)
    )
    assert v.ca_at(2) == (AHCA, CaStatus.ACCREDITED)
    assert (v.ca_of_issuer_key(K1), v.ca_of_issuer_key(K2), v.ca_of_issuer_key(K3)) == (
        ZJCA,
        AHCA,
        None,
    )
    assert v.ca_operator_role(ZJCA) == ROLE and v.get_role_admin(ROLE) == ROLE
    assert v.issuance_authority(ZJCA, K1, net.addr("op")) == 1
    assert v.is_ca_index_operator(1, net.addr("op")) and not v.is_ca_index_operator(
        2, net.addr("op")
    )
    with pytest.raises(UnknownCa) as e:
        v.ca("nope")
    assert e.value.ca_id == "nope"


@pytest.mark.parametrize(
    ("ca_id", "key", "operator", "error", "args"),
    [
        ("nope", K1, "op", CaNotAccredited, ("nope",)),
        (ZJCA, K1, "op2", NotCaOperator, (ZJCA, "op2")),
        (ZJCA, K2, "op", UnknownIssuerKey, (ZJCA, K2)),
    ],
)
def test_issuance_authority_reverts(net: Net, ca_id, key, operator, error, args) -> None:
    with pytest.raises(error) as e:
        net.view.issuance_authority(ca_id, key, net.addr(operator))
    assert error_args(e.value) == net.resolve(args)


def test_accredit_a_new_ca(net: Net) -> None:
    colleague = net.addr("colleague")
    proposed = net.as_("nantong").propose_accredit_ca("shca", "SHCA", [colleague], [K3, K4])
    payload = encode(
        ["bytes32", "string", "address[]", "bytes32[]"],
        [b"shca".ljust(32, b"\0"), "SHCA", [colleague], [K3, K4]],
    )
    assert emitted(proposed)[0][1:3] == (proposed.proposal_id, ProposalKind.ACCREDIT_CA)
    assert emitted(proposed)[0][-1] == payload
    assert net.view.proposal(proposed.proposal_id).action == AccreditCaAction(
        "shca", "SHCA", (colleague,), (K3, K4)
    )
    role = ca_operator_role("shca")
    voted = net.as_("jiaxing").vote(proposed.proposal_id, True)
    assert emitted(voted)[2:] == [
        ("RoleAdminChanged", role, DEFAULT_ADMIN_ROLE, role),
        ("CaAccredited", "shca", 3, "SHCA", (colleague,), (K3, K4)),
        ("RoleGranted", role, colleague, net.addr("jiaxing")),
    ]
    assert net.view.ca("shca") == Ca("shca", "SHCA", CaStatus.ACCREDITED, 3, (K3, K4), (colleague,))
    assert net.view.ca_ids() == (ZJCA, AHCA, "shca")
    assert net.view.ca_of_issuer_key(K4) == "shca" and net.view.ca_at(3)[0] == "shca"
    assert net.view.issuance_authority("shca", K3, colleague) == 3


@pytest.mark.parametrize(
    ("ca_id", "name", "operators", "keys", "error", "args"),
    [
        (ZERO_ID, "X", ["colleague"], [K3], InvalidId, ()),
        ("shca", "", ["colleague"], [K3], EmptyName, ()),
        ("shca", "X", [], [K3], NoOperators, ("shca",)),
        ("shca", "X", ["colleague", ZERO_ADDRESS], [K3], ZeroAddress, ()),
        ("shca", "X", ["colleague"], [], NoIssuerKeys, ("shca",)),
        ("shca", "X", ["colleague"], [K3, ZERO32], InvalidId, ()),
        ("shca", "X", ["colleague"], [K3, K2], IssuerKeyTaken, (K2, AHCA)),
        (ZJCA, "X", ["op"], [K1, K2], IssuerKeyTaken, (K2, AHCA)),
        (ZJCA, "X", [], [K1], NoOperators, (ZJCA,)),
        ("shca", "X", ["colleague"], [K3, K4, K3], DuplicateIssuerKey, (K3,)),
    ],
    ids=[
        "zero-id",
        "empty-name",
        "no-operators",
        "zero-operator",
        "no-keys",
        "zero-key",
        "key-taken",
        "key-taken-update",
        "update-without-operators",
        "duplicate-key",
    ],
)
def test_propose_accredit_ca_reverts(net: Net, ca_id, name, operators, keys, error, args) -> None:
    ops = [net.addr(o) if o in net.accounts else o for o in operators]
    with pytest.raises(error) as e:
        net.as_("jiaxing").propose_accredit_ca(ca_id, name, ops, keys)
    assert error_args(e.value) == args


def test_suspend_and_reaccredit_with_new_keys(net: Net) -> None:
    proposed = net.as_("jiaxing").propose_suspend_ca(ZJCA)
    assert net.view.proposal(proposed.proposal_id).action == SuspendCaAction(ZJCA)
    voted = net.as_("nantong").vote(proposed.proposal_id, True)
    assert emitted(voted)[-1] == ("CaSuspended", ZJCA)
    ca = net.view.ca(ZJCA)
    assert (ca.status, ca.issuer_key_ids, ca.operators) == (
        CaStatus.SUSPENDED,
        (K1,),
        (net.addr("op"),),
    )
    assert net.view.ca_at(1) == (ZJCA, CaStatus.SUSPENDED)
    assert net.view.ca_of_issuer_key(K1) == ZJCA  # a suspended CA keeps its keys
    assert net.view.is_ca_index_operator(1, net.addr("op"))
    with pytest.raises(CaNotAccredited) as e:
        net.view.issuance_authority(ZJCA, K1, net.addr("op"))
    assert e.value.ca_id == ZJCA
    with pytest.raises(CaNotAccredited):
        net.as_("jiaxing").propose_suspend_ca(ZJCA)
    with pytest.raises(IssuerKeyTaken) as t:  # not even while suspended
        net.as_("jiaxing").propose_accredit_ca(AHCA, "AHCA", [net.addr("op")], [K2, K1])
    assert (t.value.issuer_key_id, t.value.ca_id) == (K1, ZJCA)

    op = net.addr("op")
    again = net.govern(lambda c: c.propose_accredit_ca(ZJCA, "ZJCA (renewed)", [op], [K3]))
    assert emitted(again)[-1] == ("CaAccredited", ZJCA, 1, "ZJCA (renewed)", (op,), (K3,))
    assert net.view.ca(ZJCA) == Ca(
        ZJCA, "ZJCA (renewed)", CaStatus.ACCREDITED, 1, (K3,), (net.addr("op"),)
    )
    assert (net.view.ca_of_issuer_key(K1), net.view.ca_of_issuer_key(K3)) == (None, ZJCA)
    assert net.view.issuance_authority(ZJCA, K3, net.addr("op")) == 1
    with pytest.raises(UnknownIssuerKey):
        net.view.issuance_authority(ZJCA, K1, net.addr("op"))
    ahca_ops = list(net.view.ca(AHCA).operators)
    net.govern(lambda c: c.propose_accredit_ca(AHCA, "AHCA", ahca_ops, [K2, K1]))  # K1 is free
    assert net.view.ca_of_issuer_key(K1) == AHCA and net.view.ca_ids() == (ZJCA, AHCA)


def test_update_of_an_accredited_ca_replaces_its_operators(net: Net) -> None:
    """The lists are complete: how the consortium evicts a compromised operator."""
    colleague = net.addr("colleague")
    result = net.govern(lambda c: c.propose_accredit_ca(ZJCA, "ZJCA", [colleague], [K1, K3]))
    assert emitted(result)[-3:] == [
        ("CaAccredited", ZJCA, 1, "ZJCA", (colleague,), (K1, K3)),
        ("RoleGranted", ROLE, colleague, net.addr("nantong")),
        ("RoleRevoked", ROLE, net.addr("op"), net.addr("nantong")),
    ]
    assert net.view.ca(ZJCA).operators == (colleague,)
    with pytest.raises(NotCaOperator):
        net.view.issuance_authority(ZJCA, K1, net.addr("op"))
    kept = net.govern(
        lambda c: c.propose_accredit_ca(ZJCA, "ZJCA", [colleague, net.addr("op")], [K1])
    )
    assert ("RoleRevoked", ROLE, colleague, net.addr("nantong")) not in emitted(kept)
    assert set(net.view.ca(ZJCA).operators) == {colleague, net.addr("op")}


def test_propose_suspend_unknown_ca(net: Net) -> None:
    with pytest.raises(CaNotAccredited) as e:
        net.as_("jiaxing").propose_suspend_ca("nope")
    assert e.value.ca_id == "nope"


def test_stale_ca_proposals_revert_at_execution(net: Net) -> None:
    first = net.as_("jiaxing").propose_suspend_ca(ZJCA).proposal_id
    second = net.as_("nantong").propose_suspend_ca(ZJCA).proposal_id
    net.as_("xuancheng").vote(first, True)
    with pytest.raises(CaNotAccredited):
        net.as_("xuancheng").vote(second, True)
    colleague = net.addr("colleague")
    a = net.as_("jiaxing").propose_accredit_ca("shca", "SHCA", [colleague], [K3]).proposal_id
    b = net.as_("jiaxing").propose_accredit_ca("bjca", "BJCA", [colleague], [K3]).proposal_id
    net.as_("nantong").vote(a, True)
    with pytest.raises(IssuerKeyTaken) as e:
        net.as_("nantong").vote(b, True)
    assert (e.value.issuer_key_id, e.value.ca_id) == (K3, "shca")


# -- operators manage their colleagues -------------------------------------------------------


def test_operator_grants_and_revokes_a_colleague(net: Net) -> None:
    op, colleague = net.addr("op"), net.addr("colleague")
    granted = net.as_("op").grant_ca_operator(ZJCA, colleague)
    assert emitted(granted) == [("RoleGranted", ROLE, colleague, op)]
    assert set(net.view.ca(ZJCA).operators) == {op, colleague}
    assert net.view.issuance_authority(ZJCA, K1, colleague) == 1
    assert net.view.get_role_member_count(ROLE) == 2
    revoked = net.as_("colleague").revoke_ca_operator(ZJCA, op)  # colleagues are peers
    assert emitted(revoked) == [("RoleRevoked", ROLE, op, colleague)]
    assert net.view.ca(ZJCA).operators == (colleague,)
    with pytest.raises(LastCaOperator) as e:
        net.as_("colleague").revoke_ca_operator(ZJCA, colleague)
    assert (e.value.ca_id, e.value.operator) == (ZJCA, colleague)
    assert emitted(net.as_("colleague").revoke_ca_operator(ZJCA, op)) == []  # not one: no-op


@pytest.mark.parametrize("who", ["outsider", "op2", "jiaxing"])
def test_only_operators_manage_operators(net: Net, who: str) -> None:
    for act in (
        lambda c: c.grant_ca_operator(ZJCA, net.addr("colleague")),
        lambda c: c.revoke_ca_operator(ZJCA, net.addr("op")),
    ):
        with pytest.raises(AccessControlUnauthorizedAccount) as e:
            act(net.as_(who))
        assert (e.value.account, e.value.needed_role) == (net.addr(who), ROLE)
    assert net.view.ca(ZJCA).operators == (net.addr("op"),)


def test_renounce(net: Net) -> None:
    op = net.addr("op")
    with pytest.raises(LastCaOperator) as e:
        net.as_("op").renounce_ca_operator(ZJCA)
    assert (e.value.ca_id, e.value.operator) == (ZJCA, op)
    net.as_("op").grant_ca_operator(ZJCA, net.addr("colleague"))
    with pytest.raises(AccessControlBadConfirmation):
        net.as_("op").renounce_role(ROLE, net.addr("colleague"))
    renounced = net.as_("op").renounce_ca_operator(ZJCA)
    assert emitted(renounced) == [("RoleRevoked", ROLE, op, op)]
    assert net.view.ca(ZJCA).operators == (net.addr("colleague"),)
    with pytest.raises(NotCaOperator):
        net.view.issuance_authority(ZJCA, K1, op)


def test_operators_of_a_suspended_ca_still_manage_colleagues(net: Net) -> None:
    net.govern(lambda c: c.propose_suspend_ca(ZJCA))
    net.as_("op").grant_ca_operator(ZJCA, net.addr("colleague"))
    assert len(net.view.ca(ZJCA).operators) == 2


def test_roles_of_unaccredited_cas_have_no_admin(net: Net) -> None:
    role = ca_operator_role("shca")
    with pytest.raises(AccessControlUnauthorizedAccount) as e:
        net.as_("op").grant_role(role, net.addr("op"))
    assert e.value.needed_role == DEFAULT_ADMIN_ROLE
