"""Access and refresh tokens: HS256 JWTs (pyjwt) under a key derived from the account secret.

An access token (``typ`` access) lives ``ACCESS_TTL_S`` and carries the account's
``token_version``: a password or phone change moves the version and every older access
token stops working. A refresh token (``typ`` refresh) names a row of ``refresh_tokens`` by
``jti`` and its family (one per login); the service rotates it on every use and revokes the
family when a rotated one comes back. Expiry is checked against the injected clock, not
pyjwt's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import jwt

from huren.node.accounts.errors import InvalidToken, TokenExpired

__all__ = ["ACCESS_TTL_S", "REFRESH_TTL_S", "TokenCodec", "TokenPair"]

ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 30 * 86_400
WECHAT_TICKET_TTL_S = 10 * 60
ISSUER = "huren-node"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    refresh_expires_in: int


class TokenCodec:
    """Encodes and checks the node's JWTs (access, refresh, WeChat bind ticket)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, typ: str, subject: str, now: int, ttl: int, **claims: Any) -> str:
        payload = {"iss": ISSUER, "typ": typ, "sub": subject, "iat": now, "exp": now + ttl}
        payload.update(claims)
        return jwt.encode(payload, self._key, algorithm=ALGORITHM)

    def decode(self, token: str, typ: str, now: int) -> dict[str, Any]:
        """The claims of a genuine token of type ``typ``; ``TokenExpired`` once past its
        ``exp``, ``InvalidToken`` for anything else wrong."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"invalid token: {type(exc).__name__}") from None
        if claims.get("typ") != typ or not isinstance(claims.get("sub"), str):
            raise InvalidToken(f"not a {typ} token")
        exp = claims.get("exp")
        if not isinstance(exp, int):
            raise InvalidToken("invalid token: exp")
        if now >= exp:
            raise TokenExpired(f"the {typ} token expired")
        return claims


def new_id() -> str:
    """A random 128-bit id (hex), for accounts, token ids and families."""
    return secrets.token_hex(16)
