"""The inbox: typed kinds with checked parameters, posting inside another service's
transaction, listing, unread count, reading, deleting, and nobody else's messages."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from huren.node.db.engine import write_session
from huren.node.messages import (
    Inbox,
    InvalidMessage,
    MessageKind,
    MessageNotFound,
    RecipientNotFound,
    post,
)
from tests.node.accounts.conftest import FakeClock, Phones


@pytest.fixture
def inbox(db: Engine, clock: FakeClock) -> Inbox:
    return Inbox(db, clock=clock)


def account(phones: Phones, phone: str) -> str:
    phones.clock.advance(60)
    return phones.accounts.login_sms(phone, phones.code(phone)).account.id


def test_every_kind_renders_with_its_parameters(inbox: Inbox, phones: Phones) -> None:
    alice = account(phones, "13800138000")
    for kind in MessageKind:
        params = {name: f"v-{name}" for name in kind.spec.params}
        message = inbox.post(alice, kind, params)
        assert message.kind is kind and message.title == kind.spec.title
        assert all(
            f"v-{name}" in message.body for name in kind.spec.params if name in kind.spec.body
        )
        if kind.spec.action is not None:
            assert message.action is not None and "{" not in message.action
    assert inbox.unread_count(alice) == len(MessageKind)


def test_rejection_carries_its_reason_and_links_to_resubmission(
    inbox: Inbox, phones: Phones
) -> None:
    alice = account(phones, "13800138000")
    message = inbox.post(
        alice,
        MessageKind.APPLICATION_REJECTED,
        {"application_id": "A-42", "reason": "营业执照图片不清晰"},
    )
    assert "营业执照图片不清晰" in message.body
    assert message.action == "application:A-42/resubmit"
    assert message.params == {"application_id": "A-42", "reason": "营业执照图片不清晰"}


@pytest.mark.parametrize(
    "params",
    [
        {"application_id": "A-1"},  # reason missing
        {"application_id": "A-1", "reason": "x", "extra": "y"},
        {"application_id": "A-1", "reason": ""},
        {"application_id": "A-1", "reason": "x" * 201},
        {"application_id": "A-1", "reason": ["list"]},
        {"application_id": True, "reason": "x"},
    ],
)
def test_bad_parameters_are_refused(
    inbox: Inbox, phones: Phones, params: dict[str, object]
) -> None:
    alice = account(phones, "13800138000")
    with pytest.raises(InvalidMessage):
        inbox.post(alice, MessageKind.APPLICATION_REJECTED, params)
    assert inbox.unread_count(alice) == 0


def test_unknown_recipient(inbox: Inbox) -> None:
    with pytest.raises(RecipientNotFound):
        inbox.post("0" * 32, MessageKind.CERTIFICATE_READY, {"application_id": "A"})


def test_a_message_posted_in_a_failed_transaction_never_appears(
    db: Engine, inbox: Inbox, phones: Phones, clock: FakeClock
) -> None:
    alice = account(phones, "13800138000")
    with pytest.raises(RuntimeError), write_session(db) as session:
        post(session, alice, MessageKind.CERTIFICATE_READY, {"application_id": "A"}, now=1)
        raise RuntimeError("the issuing service failed after posting")
    assert inbox.list_messages(alice) == []


def test_read_list_delete(inbox: Inbox, phones: Phones, clock: FakeClock) -> None:
    alice, bob = account(phones, "13800138000"), account(phones, "13900139000")
    ids = []
    for i in range(5):
        clock.advance(1)
        ids.append(inbox.post(alice, MessageKind.CERTIFICATE_READY, {"application_id": i}).id)
    bobs = inbox.post(bob, MessageKind.CERTIFICATE_READY, {"application_id": "B"}).id
    assert [m.id for m in inbox.list_messages(alice)] == ids[::-1]
    assert [m.id for m in inbox.list_messages(alice, limit=2)] == ids[:2:-1]
    assert [m.id for m in inbox.list_messages(alice, before=ids[2])] == ids[1::-1]
    read = inbox.mark_read(alice, ids[0])
    assert read.read_at == int(clock())
    clock.advance(5)
    assert inbox.mark_read(alice, ids[0]).read_at == read.read_at
    assert inbox.unread_count(alice) == 4
    assert ids[0] not in [m.id for m in inbox.list_messages(alice, unread_only=True)]
    inbox.delete(alice, ids[1])
    with pytest.raises(MessageNotFound):
        inbox.get(alice, ids[1])
    assert inbox.mark_all_read(alice) == 3
    assert inbox.unread_count(alice) == 0 and inbox.unread_count(bob) == 1
    for action in (inbox.get, inbox.mark_read, inbox.delete):  # bob's is not alice's
        with pytest.raises(MessageNotFound):
            action(alice, bobs)
    assert inbox.get(bob, bobs).read_at is None
