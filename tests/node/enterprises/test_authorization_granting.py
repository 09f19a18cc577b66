"""Settling ``granting`` requests: the chain refused the grant (the CA rejects it, the admin
deletes it), the grant landed but the node's commit did not (finished, or revoked on
delete), part of it landed, and the race between an approval's chain writes and a
rejection or delete (interleaved deterministically by a chain double that runs a hook
around each grant)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from huren.node.enterprises import authorizations as A
from huren.registry.backend import ChainUnavailable
from huren.registry.errors import CertificateNotActive
from huren.registry.types import Right
from tests.node.enterprises.conftest import ADMIN, ENTERPRISE, PLATFORM, World
from tests.node.enterprises.test_authorization_service import (
    FlakyChain,
    _ask,
    _changes,
    _kinds,
)

Hook = Callable[[bytes], None]


class HookedChain(FlakyChain):
    """A FlakyChain whose grants can be refused per certificate, and which calls
    ``before_grant`` (the transaction not yet mined) and ``after_grant`` (mined) with the
    certificate, so a test acts in between."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: set[bytes] = set()
        self.before_grant: Hook | None = None
        self.after_grant: Hook | None = None

    def grant(
        self, ca_id: str, staff: bytes, platform_id: str, enterprise: bytes, rights: Right
    ) -> bytes:
        if self.before_grant is not None:
            self.before_grant(staff)
        if staff in self.refused:  # the chain's answer for a revoked staff certificate
            raise CertificateNotActive(staff)
        tx = super().grant(ca_id, staff, platform_id, enterprise, rights)
        if self.after_grant is not None:
            self.after_grant(staff)
        return tx


class CommitLost(Exception):
    """The node stopped between the chain's grant and its own commit."""


@pytest.fixture
def world(world_any_db: World) -> World:
    """On SQLite and PostgreSQL (the row locks matter on the latter)."""
    return world_any_db


@pytest.fixture
def chain() -> HookedChain:
    return HookedChain()


@pytest.fixture
def service(world: World, chain: HookedChain) -> A.AuthorizationService:
    return A.AuthorizationService(
        world.engine, chain, served_cas=lambda: frozenset({"zjca"}), clock=lambda: 1_800_000_000
    )


def _stuck(world: World, service: A.AuthorizationService, chain: HookedChain) -> str:
    request = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)
    chain.refused.add(world.staff_signing)
    with pytest.raises(CertificateNotActive):
        service.ca_approve("zjca", request, "王审核")
    assert service.ca_detail("zjca", request).state == "granting"
    chain.refused.clear()  # what follows is not another approval
    return request


def _lost_commit(world: World, service: A.AuthorizationService, chain: HookedChain) -> str:
    """Approved, granted on chain for both certificates, the node's commit never made."""
    request = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)

    def crash(staff: bytes) -> None:
        if staff == world.staff_encryption:
            raise CommitLost

    chain.after_grant = crash
    with pytest.raises(CommitLost):
        service.ca_approve("zjca", request, "王审核")
    chain.after_grant = None
    assert service.ca_detail("zjca", request).state == "granting"
    return request


def test_a_refused_grant_is_rejected(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _stuck(world, service, chain)
    before = _changes(world)
    view = service.ca_reject("zjca", request, "王审核", "证书已吊销")
    assert view.state == "rejected" and view.reason == "证书已吊销"
    assert _changes(world) == before + 1 and "authorization_rejected" in _kinds(world)
    assert service.ca_queue("zjca") == [] and chain.held == {}
    with pytest.raises(A.IllegalAuthorizationState):
        service.ca_approve("zjca", request, "王审核")


def test_a_refused_grant_is_deleted(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _stuck(world, service, chain)
    before = _changes(world)
    (view,) = service.delete(ADMIN, ENTERPRISE, request_id=request)
    assert view.state == "withdrawn" and _changes(world) == before + 1
    assert [c[0] for c in chain.calls] == []  # nothing to take back


def test_the_chain_unread_no_rejection(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _stuck(world, service, chain)
    chain.down = True
    with pytest.raises(ChainUnavailable):
        service.ca_reject("zjca", request, "王审核", "证书已吊销")
    with pytest.raises(ChainUnavailable):
        service.delete(ADMIN, ENTERPRISE, platform_id=PLATFORM)
    assert service.ca_detail("zjca", request).state == "granting"


def test_a_landed_grant_is_finished_instead_of_rejected(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _lost_commit(world, service, chain)
    before = _changes(world)
    view = service.ca_reject("zjca", request, "王审核", "卡住了")
    assert view.state == "granted" and view.reason is None  # says so: granted, not rejected
    assert view.grant_transactions == []  # on chain, its transactions not known to the node
    assert _changes(world) == before + 1
    assert "authorization_granted" in _kinds(world)
    assert "authorization_rejected" not in _kinds(world)
    # It is an ordinary granted request now: deleting revokes it on chain.
    (deleted,) = service.delete(ADMIN, ENTERPRISE, request_id=request)
    assert deleted.state == "revoked" and chain.held == {}


def test_a_landed_grant_deleted_is_revoked(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _lost_commit(world, service, chain)
    before = _changes(world)
    (view,) = service.delete(ADMIN, ENTERPRISE, request_id=request)
    assert view.state == "revoked" and len(view.revoke_transactions) == 2
    assert chain.held == {}
    assert _changes(world) == before + 1 and "authorization_revoked" in _kinds(world)


def test_a_partly_landed_grant_is_not_rejected_but_deleted(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)
    chain.refused.add(world.staff_encryption)  # the signing grant lands, the other not
    with pytest.raises(CertificateNotActive):
        service.ca_approve("zjca", request, "王审核")
    with pytest.raises(A.IllegalAuthorizationState, match="part of the grant"):
        service.ca_reject("zjca", request, "王审核", "卡住了")
    (view,) = service.delete(ADMIN, ENTERPRISE, request_id=request)
    assert view.state == "revoked" and chain.held == {}


def test_rejected_while_the_grant_is_in_flight(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    """The rejection reads the chain before the grant is mined: the approval's second
    transaction finds ``rejected`` and takes the grant back; the request stays rejected."""
    request = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)
    rejected: list[str] = []

    def reject_now(staff: bytes) -> None:
        if staff == world.staff_signing and not rejected:
            rejected.append(service.ca_reject("zjca", request, "李审核", "撤回").state)

    chain.before_grant = reject_now
    before = _changes(world)
    view = service.ca_approve("zjca", request, "王审核")
    assert rejected == ["rejected"]
    assert view.state == "rejected" and view.reason == "撤回"
    assert len(view.revoke_transactions) == 2 and chain.held == {}
    # the rejection, then the take-back's return to rejected
    assert _changes(world) == before + 2
    assert "authorization_granted" not in _kinds(world)


def test_rejected_in_flight_puts_the_earlier_grant_back(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    first = _ask(world, service, Right.SIGN, 1)
    service.ca_approve("zjca", first, "王审核")
    second = _ask(world, service, Right.LOGIN | Right.DECRYPT, 2)
    answers: list[str] = []

    def reject_now(staff: bytes) -> None:
        if not answers:  # before the first grant: the chain still holds the first's
            answers.append(service.ca_reject("zjca", second, "李审核", "撤回").state)

    chain.before_grant = reject_now
    assert service.ca_approve("zjca", second, "王审核").state == "rejected"
    assert answers == ["rejected"]
    assert service.ca_detail("zjca", first).state == "granted"
    assert chain.held == {(world.staff_signing, PLATFORM): int(Right.SIGN)}


def test_rejected_after_the_grant_landed_finishes_it(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    """The rejection reads the chain after both grants are mined, before the approval's
    commit: it records the grant; the approval's commit finds it done."""
    request = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)
    answers: list[str] = []

    def reject_now(staff: bytes) -> None:
        if staff == world.staff_encryption:
            answers.append(service.ca_reject("zjca", request, "李审核", "撤回").state)

    chain.after_grant = reject_now
    view = service.ca_approve("zjca", request, "王审核")
    assert answers == ["granted"] and view.state == "granted"
    assert _kinds(world).count("authorization_granted") == 1
    assert len(chain.held) == 2


def test_deleted_while_the_grant_is_in_flight(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _ask(world, service, Right.SEAL, 1)

    def delete_now(staff: bytes) -> None:
        (gone,) = service.delete(ADMIN, ENTERPRISE, request_id=request)
        assert gone.state == "withdrawn"

    chain.before_grant = delete_now
    view = service.ca_approve("zjca", request, "王审核")
    assert view.state == "withdrawn" and chain.held == {}
    assert len(view.revoke_transactions) == 1
    assert "authorization_granted" not in _kinds(world)


def test_a_failed_take_back_is_retried(
    world: World, service: A.AuthorizationService, chain: HookedChain
) -> None:
    request = _ask(world, service, Right.SEAL, 1)

    def reject_then_fail(staff: bytes) -> None:
        service.ca_reject("zjca", request, "李审核", "撤回")
        chain.before_grant = None
        chain.after_grant = lambda _: setattr(chain, "down", True)

    chain.before_grant = reject_then_fail
    assert service.ca_approve("zjca", request, "王审核").state == "revoking"
    assert chain.held != {}  # the take-back failed: the intent is kept
    chain.down = False
    assert service.finish_revocations() == 1
    assert service.ca_detail("zjca", request).state == "rejected" and chain.held == {}
