"""Consortium platforms: registration, retirement, their views and stale proposals."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from huren.registry.errors import (
    EmptyName,
    InvalidId,
    NotAMember,
    PlatformAlreadyRegistered,
    PlatformNotActive,
    UnknownPlatform,
)
from huren.registry.types import (
    Platform,
    ProposalKind,
    RegisterPlatformAction,
    RetirePlatformAction,
)
from tests.contracts.conftest import ALLIANCE, JX, NT, PLATFORMS, XC, Net, emitted, error_args

ZERO_ID = "0x" + "00" * 32


def test_template_platforms(net: Net) -> None:
    assert net.view.platform_ids() == (JX, NT, XC, ALLIANCE)
    for pid, (center, name) in PLATFORMS.items():
        assert net.view.platform(pid) == Platform(pid, net.addr(center), name, True)
        index = net.view.member_index_of(net.addr(center))
        assert net.view.platform_state(pid) == (True, True, net.addr(center), index)
    assert net.view.platform_state("nope") == (False, False, None, 0)
    with pytest.raises(UnknownPlatform) as e:
        net.view.platform("nope")
    assert e.value.platform_id == "nope"


def test_register_platform(net: Net) -> None:
    n = net.addr("nantong")
    proposed = net.as_("xuancheng").propose_register_platform("nt-zfcg", n, "Nantong procurement")
    payload = encode(
        ["bytes32", "address", "string"], [b"nt-zfcg".ljust(32, b"\0"), n, "Nantong procurement"]
    )
    assert emitted(proposed)[0][2] == ProposalKind.REGISTER_PLATFORM
    assert emitted(proposed)[0][-1] == payload
    assert net.view.proposal(proposed.proposal_id).action == RegisterPlatformAction(
        "nt-zfcg", n, "Nantong procurement"
    )
    voted = net.as_("nantong").vote(proposed.proposal_id, True)
    assert emitted(voted)[-1] == ("PlatformRegistered", "nt-zfcg", n, "Nantong procurement")
    assert net.view.platform("nt-zfcg") == Platform("nt-zfcg", n, "Nantong procurement", True)
    assert net.view.platform_ids()[-1] == "nt-zfcg"


def test_retire_platform(net: Net) -> None:
    proposed = net.as_("xuancheng").propose_retire_platform(NT)
    assert net.view.proposal(proposed.proposal_id).action == RetirePlatformAction(NT)
    voted = net.as_("jiaxing").vote(proposed.proposal_id, True)
    assert emitted(voted)[-1] == ("PlatformRetired", NT)
    assert net.view.platform(NT).active is False
    n = net.addr("nantong")
    assert net.view.platform_state(NT) == (True, False, n, net.view.member_index_of(n))
    with pytest.raises(PlatformNotActive) as e:
        net.as_("jiaxing").propose_retire_platform(NT)
    assert e.value.platform_id == NT
    with pytest.raises(PlatformAlreadyRegistered) as r:  # ids are never reused
        net.as_("jiaxing").propose_register_platform(NT, n, "again")
    assert r.value.platform_id == NT


@pytest.mark.parametrize(
    ("platform_id", "center", "name", "error", "args"),
    [
        (ZERO_ID, "nantong", "X", InvalidId, ()),
        (JX, "nantong", "X", PlatformAlreadyRegistered, (JX,)),
        ("hf-ggzy", "outsider", "X", NotAMember, ("outsider",)),
        ("hf-ggzy", "nantong", "", EmptyName, ()),
    ],
)
def test_propose_register_platform_reverts(net: Net, platform_id, center, name, error, args):
    with pytest.raises(error) as e:
        net.as_("jiaxing").propose_register_platform(platform_id, net.addr(center), name)
    assert error_args(e.value) == net.resolve(args)


def test_propose_retire_unknown_platform(net: Net) -> None:
    with pytest.raises(UnknownPlatform) as e:
        net.as_("jiaxing").propose_retire_platform("nope")
    assert e.value.platform_id == "nope"


@pytest.mark.parametrize(
    ("propose", "error", "arg"),
    [
        (
            lambda c, n: c.propose_register_platform("hf", n.addr("nantong"), "H"),
            PlatformAlreadyRegistered,
            "hf",
        ),
        (lambda c, n: c.propose_retire_platform(NT), PlatformNotActive, NT),
    ],
    ids=["register-twice", "retire-twice"],
)
def test_stale_platform_proposals_revert_at_execution(net: Net, propose, error, arg) -> None:
    first = propose(net.as_("jiaxing"), net).proposal_id
    second = propose(net.as_("nantong"), net).proposal_id
    net.as_("xuancheng").vote(first, True)
    with pytest.raises(error) as e:
        net.as_("xuancheng").vote(second, True)
    assert e.value.platform_id == arg


def test_platform_of_a_center_removed_meanwhile(net: Net) -> None:
    x = net.addr("xuancheng")
    pid = net.as_("jiaxing").propose_register_platform("xc-2", x, "X2").proposal_id
    net.govern(lambda c: c.propose_remove_member(x))
    with pytest.raises(NotAMember) as e:
        net.as_("nantong").vote(pid, True)
    assert e.value.account == x
