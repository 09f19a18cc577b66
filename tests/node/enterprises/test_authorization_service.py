"""The authorization service over a chain that fails when told to: what is recorded before
and after each chain write, retries, replacing grants, rights split over the pair, and the
operation log written with each change."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.db.messages_tables import Message
from huren.node.enterprises import EnterpriseNotFound, NotEnterpriseAdmin
from huren.node.enterprises import authorizations as A
from huren.node.enterprises.letters import LetterKind, LetterStatement, seal_with_key
from huren.registry.backend import ChainUnavailable
from huren.registry.types import Right
from tests.node.enterprises.conftest import (
    ADMIN,
    ENTERPRISE,
    NOW,
    OUTSIDER,
    PLATFORM,
    STAFF,
    USCC,
    World,
)


class FlakyChain:
    """Records grants and revocations; raises ChainUnavailable while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[tuple[str, bytes, str, int]] = []
        self.held: dict[tuple[bytes, str], int] = {}
        self.under: dict[tuple[bytes, str], bytes] = {}  # the enterprise certificate

    def grant(
        self, ca_id: str, staff: bytes, platform_id: str, enterprise: bytes, rights: Right
    ) -> bytes:
        if self.down:
            raise ChainUnavailable("the chain is down")
        self.calls.append(("grant", staff, platform_id, int(rights)))
        self.held[(staff, platform_id)] = int(rights)
        self.under[(staff, platform_id)] = enterprise
        return bytes([len(self.calls)]) * 32

    def revoke(self, ca_id: str, staff: bytes, platform_id: str) -> bytes | None:
        if self.down:
            raise ChainUnavailable("the chain is down")
        self.calls.append(("revoke", staff, platform_id, 0))
        if self.held.pop((staff, platform_id), None) is None:
            return None
        return bytes([len(self.calls)]) * 32

    def holding(self, ca_id: str, staff: bytes, platform_id: str) -> tuple[bytes, Right] | None:
        if self.down:
            raise ChainUnavailable("the chain is down")
        rights = self.held.get((staff, platform_id))
        return None if rights is None else (self.under[(staff, platform_id)], Right(rights))


@pytest.fixture
def world(world_any_db: World) -> World:
    """These tests run on SQLite and PostgreSQL."""
    return world_any_db


@pytest.fixture
def chain() -> FlakyChain:
    return FlakyChain()


@pytest.fixture
def service(world: World, chain: FlakyChain) -> A.AuthorizationService:
    return A.AuthorizationService(
        world.engine, chain, served_cas=lambda: frozenset({"zjca"}), clock=lambda: NOW
    )


def _ask(world: World, service: A.AuthorizationService, rights: Right, nonce: int) -> str:
    statement = LetterStatement(
        LetterKind.AUTHORIZATION_GRANT,
        USCC,
        world.staff_signing.hex(),
        rights,
        (PLATFORM,),
        bytes([nonce]) * 16,
        NOW,
    )
    letter = seal_with_key(statement, world.admin_key, world.admin_der)
    (view,) = service.request(ADMIN, ENTERPRISE, world.staff_signing, [PLATFORM], rights, letter)
    assert view.state == "pending"
    return view.id


def _changes(world: World) -> int:
    with world.engine.connect() as conn:
        rows = OperationLog.rows(conn)
    return sum(r.record.operation == Operation.AUTHORIZATION_CHANGE for r in rows)


def _kinds(world: World) -> list[str]:
    with Session(world.engine) as session:
        return [m.kind for m in session.exec(select(Message).order_by(Message.id))]  # type: ignore[arg-type]


def test_grant_fails_then_is_sent_again(
    world: World, service: A.AuthorizationService, chain: FlakyChain
) -> None:
    request = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)
    assert _changes(world) == 1
    chain.down = True
    with pytest.raises(ChainUnavailable):
        service.ca_approve("zjca", request, "王审核")
    assert service.ca_detail("zjca", request).state == "granting"  # recorded before the write
    assert [v.id for v in service.ca_queue("zjca")] == [request]  # still the CA's to finish
    assert _changes(world) == 1 and "authorization_granted" not in _kinds(world)
    with pytest.raises(ChainUnavailable):  # no rejecting what the chain was not asked about
        service.ca_reject("zjca", request, "王审核", "晚了")
    chain.down = False
    granted = service.ca_approve("zjca", request, "王审核")
    assert granted.state == "granted" and len(granted.grant_transactions) == 2
    # Signing rights to the signing certificate, encryption rights to its partner.
    assert chain.held == {
        (world.staff_signing, PLATFORM): int(Right.SIGN),
        (world.staff_encryption, PLATFORM): int(Right.DECRYPT),
    }
    assert _changes(world) == 2 and _kinds(world).count("authorization_granted") == 1


def test_a_new_grant_replaces_the_old_and_drops_rights_it_lacks(
    world: World, service: A.AuthorizationService, chain: FlakyChain
) -> None:
    first = _ask(world, service, Right.SIGN | Right.DECRYPT, 1)
    service.ca_approve("zjca", first, "王审核")
    second = _ask(world, service, Right.LOGIN, 2)
    assert service.ca_approve("zjca", second, "王审核").state == "granted"
    assert service.ca_detail("zjca", first).state == "replaced"
    assert chain.held == {(world.staff_signing, PLATFORM): int(Right.LOGIN)}  # decrypt revoked
    views = service.listing(ADMIN, ENTERPRISE, platform_id=PLATFORM)
    assert [v.id for v in views] == [second]


def test_revocation_fails_then_finishes(
    world: World, service: A.AuthorizationService, chain: FlakyChain
) -> None:
    request = _ask(world, service, Right.SEAL, 1)
    service.ca_approve("zjca", request, "王审核")
    before = _changes(world)
    chain.down = True
    (view,) = service.delete(ADMIN, ENTERPRISE, staff_account_id=STAFF)
    assert view.state == "revoking"  # the chain failure is logged, the intent kept
    assert _changes(world) == before
    # A new grant now would be taken away by the revocation still to be sent.
    with pytest.raises(A.AuthorizationPending):
        _ask(world, service, Right.LOGIN, 2)
    assert service.finish_revocations() == 0
    chain.down = False
    assert service.finish_revocations() == 1
    assert service.ca_detail("zjca", request).state == "revoked"
    assert chain.held == {}
    assert _changes(world) == before + 1 and "authorization_revoked" in _kinds(world)
    assert service.finish_revocations() == 0


def test_who_may_do_what(world: World, service: A.AuthorizationService) -> None:
    with pytest.raises(EnterpriseNotFound):
        service.listing(OUTSIDER, ENTERPRISE)
    with pytest.raises(NotEnterpriseAdmin):
        service.delete(STAFF, ENTERPRISE, platform_id=PLATFORM)
    with pytest.raises(A.InvalidAuthorization):
        service.delete(ADMIN, ENTERPRISE, platform_id=PLATFORM, staff_account_id=STAFF)
    with pytest.raises(A.InvalidAuthorization):
        service.request(ADMIN, ENTERPRISE, world.staff_signing, [], Right.SIGN, None)
    with pytest.raises(A.InvalidAuthorization):
        service.request(ADMIN, ENTERPRISE, world.staff_signing, [PLATFORM], Right(0), None)
    with pytest.raises(A.NotStaffCertificate):  # the encryption one is not what is named
        service.request(ADMIN, ENTERPRISE, world.staff_encryption, [PLATFORM], Right.SIGN, None)
    only_jsca = A.AuthorizationService(
        world.engine, FlakyChain(), served_cas=lambda: frozenset({"jsca"}), clock=lambda: NOW
    )
    with pytest.raises(A.CaNotServed):
        only_jsca.request(ADMIN, ENTERPRISE, world.staff_signing, [PLATFORM], Right.SIGN, None)
    request = _ask(world, service, Right.SIGN, 1)
    with pytest.raises(A.AuthorizationNotFound):
        service.ca_detail("jsca", request)
    with pytest.raises(A.InvalidAuthorization):
        service.ca_reject("zjca", request, "王审核", " ")
    assert service.ca_reject("zjca", request, "王审核", "不清晰").state == "rejected"
    assert service.listing(STAFF, ENTERPRISE, history=True)[0].reason == "不清晰"
