"""Inbox messages: typed kinds (``MessageKind``), ``post`` for other services inside their
transaction, ``Inbox`` for the holder. Errors derive from ``MessageError``."""

from __future__ import annotations

from huren.node.messages.inbox import (
    Inbox,
    InvalidMessage,
    MessageError,
    MessageNotFound,
    MessageView,
    RecipientNotFound,
    post,
)
from huren.node.messages.kinds import MessageKind

__all__ = [
    "Inbox",
    "InvalidMessage",
    "MessageError",
    "MessageKind",
    "MessageNotFound",
    "MessageView",
    "RecipientNotFound",
    "post",
]
