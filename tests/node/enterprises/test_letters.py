"""Sealed letters: one canonical byte form, and every reason a letter is refused.

The vector below was written by hand from the format in ``huren.node.enterprises.letters``
(it is what ``encode`` must give for those fields)."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlmodel import Session, delete, update

from huren.node.db.authorizations_tables import SealedLetterRecord
from huren.node.db.engine import write_session
from huren.node.db.enterprises_tables import Enterprise
from huren.node.db.models import Ca, Certificate
from huren.node.enterprises import letters as L
from huren.registry.types import CaStatus, CertificateKind, CertificateStatus, Reason, Right
from tests.node.enterprises.conftest import (
    ADMIN,
    ENTERPRISE,
    NOW,
    OTHER_USCC,
    OUTSIDER,
    PLATFORM,
    USCC,
    World,
    make_certificate,
)

VECTOR = (
    b"huren authorization letter v1\n"
    b"kind: authorization_grant\n"
    b"enterprise: 91350100M000100Y43\n"
    b"subject: " + b"ab" * 32 + b"\n"
    b"rights: login,seal,decrypt\n"
    b"platforms: alliance,jiaxing-ggzy\n"
    b"nonce: 000102030405060708090a0b0c0d0e0f\n"
    b"issued_at: 1800000000\n"
)


def test_the_canonical_form() -> None:
    statement = L.LetterStatement(
        L.LetterKind.AUTHORIZATION_GRANT,
        USCC,
        "ab" * 32,
        Right.DECRYPT | Right.LOGIN | Right.SEAL,
        ("jiaxing-ggzy", "alliance"),  # sorted when built
        bytes(range(16)),
        NOW,
    )
    assert statement.encode() == VECTOR
    assert L.LetterStatement.decode(VECTOR) == statement
    bare = L.LetterStatement.new(L.LetterKind.JOIN_APPROVAL, USCC, "0" * 16, now=NOW)
    assert b"rights: -\nplatforms: -\n" in bare.encode()
    assert L.LetterStatement.decode(bare.encode()) == bare


@pytest.mark.parametrize(
    "data",
    [
        VECTOR.replace(b"v1", b"v2"),
        VECTOR.rstrip(b"\n"),
        VECTOR + b"extra\n",
        VECTOR.replace(b"login,seal,decrypt", b"seal,login,decrypt"),  # not in bit order
        VECTOR.replace(b"alliance,jiaxing-ggzy", b"jiaxing-ggzy,alliance"),  # unsorted
        VECTOR.replace(b"alliance,jiaxing-ggzy", b"alliance,alliance"),
        VECTOR.replace(b"0a0b0c", b"0A0B0C"),  # upper-case hex
        VECTOR.replace(b"kind: ", b"kind:  "),
        VECTOR.replace(b"issued_at: 1800000000", b"issued_at: 01800000000"),
        VECTOR.replace(b"issued_at: 1800000000", b"issued_at: +1800000000"),
        VECTOR.replace(b"rights: login,seal,decrypt", b"rights: "),
        VECTOR.replace(b"rights: login", b"rights: admin"),
        VECTOR.replace(b"authorization_grant", b"everything"),
        VECTOR.replace(b"91350100M000100Y43", b"91350100m000100y43"),
        VECTOR.replace(b"ab" * 32, b"AB" * 32),
        VECTOR.replace(b"nonce: 00", b"nonce: "),
        VECTOR.replace(b"\n", b"\r\n"),
        VECTOR.replace(b"jiaxing-ggzy", "嘉兴".encode()),
        b"x" * 5000,
    ],
)
def test_anything_but_the_canonical_form_is_refused(data: bytes) -> None:
    with pytest.raises(L.InvalidLetter):
        L.LetterStatement.decode(data)


def _accept(world: World, letter: L.SealedLetter | None, **over: object) -> L.AcceptedLetter:
    expected = L.Expected(L.LetterKind.AUTHORIZATION_GRANT, "ab" * 32, Right.SIGN, (PLATFORM,))
    fields = {"admin_id": ADMIN, "expected": expected, "now": NOW, **over}
    with write_session(world.engine) as session:
        enterprise = session.get(Enterprise, ENTERPRISE)
        assert enterprise is not None
        return L.accept_letter(session, letter, enterprise=enterprise, **fields)  # type: ignore[arg-type]


def _letter(
    world: World,
    *,
    key: ed25519.Ed25519PrivateKey | None = None,
    der: bytes | None = None,
    **over: object,
) -> L.SealedLetter:
    fields: dict[str, object] = {
        "kind": L.LetterKind.AUTHORIZATION_GRANT,
        "uscc": USCC,
        "subject": "ab" * 32,
        "rights": Right.SIGN,
        "platforms": (PLATFORM,),
        "nonce": b"\x07" * 16,
        "issued_at": NOW,
        **over,
    }
    statement = L.LetterStatement(**fields)  # type: ignore[arg-type]
    return L.seal_with_key(statement, key or world.admin_key, der or world.admin_der)


def test_a_good_letter_is_accepted_once(world: World) -> None:
    letter = _letter(world)
    accepted = _accept(world, letter)
    assert accepted.certificate_fingerprint == world.admin_fingerprint
    with pytest.raises(L.LetterReplayed):
        _accept(world, letter)
    with pytest.raises(L.LetterRequired):
        _accept(world, None)
    # Within ten minutes either way of its issuing.
    _accept(world, _letter(world, nonce=b"\x08" * 16), now=NOW + L.LETTER_WINDOW_S)
    for now in (NOW + L.LETTER_WINDOW_S + 1, NOW - L.LETTER_WINDOW_S - 1):
        with pytest.raises(L.LetterExpired):
            _accept(world, _letter(world, nonce=b"\x09" * 16), now=now)


@pytest.mark.parametrize(
    "over",
    [
        {"kind": L.LetterKind.ADMIN_TRANSFER},
        {"uscc": OTHER_USCC},
        {"subject": "cd" * 32},
        {"rights": Right.SIGN | Right.LOGIN},
        {"platforms": (PLATFORM, "alliance")},
        {"platforms": ()},
    ],
)
def test_a_letter_stating_something_else_is_a_mismatch(
    world: World, over: dict[str, object]
) -> None:
    with pytest.raises(L.LetterMismatch):
        _accept(world, _letter(world, **over))


def test_the_seal_must_verify(world: World) -> None:
    good = _letter(world)
    for signature in (good.signature[:-1] + bytes([good.signature[-1] ^ 1]), b"\x00" * 63):
        with pytest.raises(L.LetterSignatureInvalid):
            _accept(world, dataclasses.replace(good, signature=signature))
    with pytest.raises(L.LetterSignatureInvalid):  # another key, the admin's certificate
        _accept(world, _letter(world, key=ed25519.Ed25519PrivateKey.generate()))
    with pytest.raises(L.InvalidLetter):
        _accept(world, dataclasses.replace(good, certificate_der=b"\x30\x03junk"))


def test_only_the_admins_own_usable_enterprise_certificate_seals(world: World) -> None:
    # Another enterprise's certificate (right key, wrong USCC in the subject).
    other = make_certificate(world.admin_key, OTHER_USCC, "南通某某")
    world.add_certificate(other, ADMIN, CertificateKind.ENTERPRISE)
    with pytest.raises(L.LetterCertificateNotHeld):
        _accept(world, _letter(world, der=other))
    # This enterprise's certificate, held by someone else.
    key = ed25519.Ed25519PrivateKey.generate()
    theirs = make_certificate(key, USCC, "嘉兴某某")
    world.add_certificate(theirs, OUTSIDER, CertificateKind.ENTERPRISE)
    with pytest.raises(L.LetterCertificateNotHeld):
        _accept(world, _letter(world, key=key, der=theirs))
    # Held by the admin but not recorded on chain (the index does not know it).
    unrecorded_key = ed25519.Ed25519PrivateKey.generate()
    unrecorded = make_certificate(unrecorded_key, USCC, "嘉兴某某")
    world.add_certificate(unrecorded, ADMIN, CertificateKind.ENTERPRISE)
    with write_session(world.engine) as session:
        session.execute(
            delete(Certificate).where(
                Certificate.fingerprint == hashlib.sha256(unrecorded).digest()  # type: ignore[arg-type]
            )
        )
    with pytest.raises(L.LetterCertificateRefused) as refused:
        _accept(world, _letter(world, key=unrecorded_key, der=unrecorded))
    assert refused.value.reasons == Reason.UNKNOWN_CERTIFICATE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": int(CertificateStatus.REVOKED), "revoked_at": NOW - 1}, Reason.REVOKED),
        ({"not_after": NOW - 1}, Reason.EXPIRED),
        ({"not_before": NOW + 1}, Reason.NOT_YET_VALID),
        ({"kind": int(CertificateKind.STAFF)}, None),
    ],
)
def test_an_unusable_certificate_seals_nothing(
    world: World, change: dict[str, int], reason: Reason | None
) -> None:
    with write_session(world.engine) as session:
        session.execute(
            update(Certificate)
            .where(Certificate.fingerprint == world.admin_fingerprint)  # type: ignore[arg-type]
            .values(**change)
        )
    if reason is None:
        with pytest.raises(L.LetterCertificateNotHeld):
            _accept(world, _letter(world))
        return
    with pytest.raises(L.LetterCertificateRefused) as refused:
        _accept(world, _letter(world))
    assert refused.value.reasons == reason


def test_a_suspended_ca_seals_nothing(world: World) -> None:
    with write_session(world.engine) as session:
        session.execute(update(Ca).values(status=int(CaStatus.SUSPENDED)))
    with pytest.raises(L.LetterCertificateRefused) as refused:
        _accept(world, _letter(world))
    assert refused.value.reasons == Reason.CA_NOT_ACCREDITED
    with Session(world.engine) as session:  # nothing was stored
        assert session.get(SealedLetterRecord, b"\x07" * 16) is None


def test_a_replay_racing_past_the_check_loses_on_the_primary_key(
    world_any_db: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent transaction may pass the nonce check before the first one commits: its
    insert then fails on the primary key, which is a LETTER_REPLAYED (not a 500), and the
    caller's transaction stays usable (the insert ran in a savepoint)."""
    world = world_any_db
    letter = _letter(world)
    _accept(world, letter)
    real_get = Session.get

    def blind_get(self: Session, entity: Any, ident: Any, **kw: Any) -> Any:
        if entity is SealedLetterRecord:  # as if the other commit came after the check
            return None
        return real_get(self, entity, ident, **kw)

    monkeypatch.setattr(Session, "get", blind_get)
    with write_session(world.engine) as session:
        enterprise = session.get(Enterprise, ENTERPRISE)
        assert enterprise is not None
        expected = L.Expected(L.LetterKind.AUTHORIZATION_GRANT, "ab" * 32, Right.SIGN, (PLATFORM,))
        with pytest.raises(L.LetterReplayed):
            L.accept_letter(
                session, letter, enterprise=enterprise, admin_id=ADMIN, expected=expected, now=NOW
            )
        assert session.get(Enterprise, ENTERPRISE) is not None  # still usable
