"""The signed-in account's inbox (``/v1/messages``), and ``/v1/internal/messages`` through
which the node's operator tools post a typed message (node-admin key; services inside the
node call ``huren.node.messages.post`` in their own transaction instead)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep, AccountServicesDep
from huren.api.account_schemas import InternalMessageIn, MessageOut, ReadAllOut, UnreadCountOut
from huren.api.deps import AdminDep

router = APIRouter(prefix="/v1/messages", tags=["messages"], responses=ACCOUNT_RESPONSES)
internal_router = APIRouter(
    prefix="/v1/internal/messages", tags=["messages"], responses=ACCOUNT_RESPONSES
)

MessageId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("")
def messages(
    account: AccountDep,
    services: AccountServicesDep,
    unread: bool = False,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="page: ids below")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[MessageOut]:
    """Newest first."""
    views = services.inbox.list_messages(account.id, unread_only=unread, before=before, limit=limit)
    return [MessageOut.of(v) for v in views]


@router.get("/unread-count")
def unread_count(account: AccountDep, services: AccountServicesDep) -> UnreadCountOut:
    return UnreadCountOut(unread=services.inbox.unread_count(account.id))


@router.post("/read-all")
def read_all(account: AccountDep, services: AccountServicesDep) -> ReadAllOut:
    return ReadAllOut(marked=services.inbox.mark_all_read(account.id))


@router.get("/{message_id}")
def message(message_id: MessageId, account: AccountDep, services: AccountServicesDep) -> MessageOut:
    return MessageOut.of(services.inbox.get(account.id, message_id))


@router.post("/{message_id}/read")
def read(message_id: MessageId, account: AccountDep, services: AccountServicesDep) -> MessageOut:
    return MessageOut.of(services.inbox.mark_read(account.id, message_id))


@router.delete("/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(message_id: MessageId, account: AccountDep, services: AccountServicesDep) -> Response:
    services.inbox.delete(account.id, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@internal_router.post("", status_code=status.HTTP_201_CREATED)
def post_message(body: InternalMessageIn, _: AdminDep, services: AccountServicesDep) -> MessageOut:
    return MessageOut.of(services.inbox.post(body.account_id, body.kind, body.params))
