"""Views not covered elsewhere: the contracts' public constants against their Python mirrors,
role enumeration, and the index views' panics outside their range."""

from __future__ import annotations

import pytest

from huren.contracts.artifacts import load
from huren.registry import client as client_module
from huren.registry.abi import function_selectors
from huren.registry.client import MEMBER_ROLE, ca_operator_role
from huren.registry.errors import Panic
from huren.registry.types import CertificateKind, CertificateStatus, KeyUsage, Reason, Right, Scope
from tests.contracts.conftest import ZJCA, Net

MIRRORS = {
    "KIND": CertificateKind,
    "USAGE": KeyUsage,
    "SCOPE": Scope,
    "STATUS": CertificateStatus,
    "RIGHT": Right,
    "REASON": Reason,
}


def _constants(contract: str) -> list[str]:
    return [
        item["name"]
        for item in load(contract).abi
        if item["type"] == "function" and item["name"].isupper() and not item["inputs"]
    ]


@pytest.mark.parametrize("name", _constants("CertificateRegistry"))
def test_registry_constants_match_the_python_enums(net: Net, name: str) -> None:
    raw = net.backend.call(net.deployment.registry, function_selectors("CertificateRegistry")[name])
    prefix, _, member = name.partition("_")
    assert int.from_bytes(raw, "big") == MIRRORS[prefix][member].value


@pytest.mark.parametrize("name", _constants("Consortium"))
def test_consortium_role_constants(net: Net, name: str) -> None:
    raw = net.backend.call(net.deployment.consortium, function_selectors("Consortium")[name])
    assert raw == getattr(client_module, name)


def test_role_enumeration(net: Net) -> None:
    members = net.view.get_role_members(MEMBER_ROLE)
    assert members == net.view.members() and len(members) == 3
    assert [net.view.get_role_member(MEMBER_ROLE, i) for i in range(3)] == list(members)
    assert net.view.get_role_member(ca_operator_role(ZJCA), 0) == net.addr("op")
    with pytest.raises(Panic) as e:
        net.view.get_role_member(MEMBER_ROLE, 3)
    assert e.value.code == 0x32


@pytest.mark.parametrize(
    ("ask", "code"),
    [
        (lambda v, n: v.member_at(0), 0x11),
        (lambda v, n: v.member_at(4), 0x32),
        (lambda v, n: v.ca_at(0), 0x11),
        (lambda v, n: v.ca_at(3), 0x32),
        (lambda v, n: v.is_ca_index_operator(0, n.addr("op")), 0x11),
        (lambda v, n: v.is_ca_index_operator(3, n.addr("op")), 0x32),
    ],
    ids=["member-0", "member-past", "ca-0", "ca-past", "operator-0", "operator-past"],
)
def test_index_views_panic_outside_their_range(net: Net, ask, code: int) -> None:
    with pytest.raises(Panic) as e:
        ask(net.view, net)
    assert e.value.code == code
