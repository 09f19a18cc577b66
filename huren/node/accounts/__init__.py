"""Accounts: registration and login by SMS code, password (argon2id) or WeChat; access and
rotating refresh tokens; changing phone, login password and certificate password.

``AccountService`` is the entry point; errors derive from ``AccountError``.
"""

from __future__ import annotations

from huren.node.accounts.codes import Purpose
from huren.node.accounts.errors import AccountError
from huren.node.accounts.service import (
    AccountInfo,
    AccountService,
    CodeSent,
    Login,
    Policy,
    WeChatBindNeeded,
)
from huren.node.accounts.tokens import TokenPair

__all__ = [
    "AccountError",
    "AccountInfo",
    "AccountService",
    "CodeSent",
    "Login",
    "Policy",
    "Purpose",
    "TokenPair",
    "WeChatBindNeeded",
]
