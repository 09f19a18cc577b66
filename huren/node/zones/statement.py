"""The bind/unbind statement a holder signs with the certificate's key (pure: no SQL, no
HTTP; the device builds and checks statements with it too).

Canonical form, UTF-8 (ASCII in practice), one ``name: value`` line each, in this order,
every line ending in ``\\n``::

    huren-zone-statement/1
    action: bind                      bind | unbind
    chain-id: 1337                    the consortium chain's id
    registry: 0x5fbd…                 the CertificateRegistry's address, lowercase
    platform: jiaxing-ggzy            the platform whose zone it is
    certificate: 3f0a…                the certificate's fingerprint, 64 lowercase hex digits
    account: 8c1e…                    the account asking (the SMS code went to its phone)
    issued-at: 1764366000             unix seconds
    nonce: 9b2c…                      32 lowercase hex digits (16 random bytes)

Why each field, against replay: ``action`` keeps a bind statement from serving an unbind;
``chain-id`` and ``registry`` keep it on one consortium deployment; ``platform`` and
``certificate`` say what it binds; ``account`` ties it to the account whose SMS code
confirms it; ``issued-at`` bounds its life (the node accepts ``STATEMENT_TTL_S`` either
way); the nonce makes every statement unique, and the node keeps each (certificate, nonce)
and each evidence hash for good, so none is used twice. The evidence hash the chain records
is SHA-256 of these exact bytes; the signature is Ed25519 over them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from huren.node.zones.errors import InvalidStatement, StatementSignatureInvalid

__all__ = [
    "LABEL",
    "STATEMENT_TTL_S",
    "ZoneAction",
    "ZoneStatement",
    "verify_signature",
]

LABEL = "huren-zone-statement/1"
STATEMENT_TTL_S = 300  # how far issued-at may lie from the node's clock, either way
MAX_STATEMENT_BYTES = 1024

ZoneAction = Literal["bind", "unbind"]
_ACTIONS = ("bind", "unbind")
_FIELDS = (
    "action",
    "chain-id",
    "registry",
    "platform",
    "certificate",
    "account",
    "issued-at",
    "nonce",
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NONCE = re.compile(r"[0-9a-f]{32}")
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")
_ACCOUNT = re.compile(r"[A-Za-z0-9_-]{1,32}")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,18}")


def _platform_ok(value: str) -> bool:
    # The registry's id form: 1..32 printable ASCII without spaces, not 0x (huren.registry.ids)
    return 0 < len(value) <= 32 and all("!" <= c <= "~" for c in value) and value[:2] != "0x"


@dataclass(frozen=True, slots=True)
class ZoneStatement:
    """A statement; the constructor checks every field's form."""

    action: ZoneAction
    chain_id: int
    registry: str
    platform_id: str
    fingerprint: bytes
    account_id: str
    issued_at: int
    nonce: str

    def __post_init__(self) -> None:
        if self.action not in _ACTIONS:
            raise InvalidStatement(f"action {self.action!r} is neither bind nor unbind")
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise InvalidStatement("chain-id is an integer")
        if not 0 < self.chain_id < 2**63:
            raise InvalidStatement("chain-id is a positive 63-bit integer")
        object.__setattr__(self, "registry", str(self.registry).lower())
        if not _ADDRESS.fullmatch(self.registry):
            raise InvalidStatement("registry is an address (0x and 40 hex digits)")
        if not isinstance(self.platform_id, str) or not _platform_ok(self.platform_id):
            raise InvalidStatement("platform is 1..32 printable ASCII characters, not 0x…")
        if not isinstance(self.fingerprint, bytes) or len(self.fingerprint) != 32:
            raise InvalidStatement("certificate is a 32-byte fingerprint")
        if not isinstance(self.account_id, str) or not _ACCOUNT.fullmatch(self.account_id):
            raise InvalidStatement("account is 1..32 of A-Z a-z 0-9 _ -")
        if isinstance(self.issued_at, bool) or not isinstance(self.issued_at, int):
            raise InvalidStatement("issued-at is an integer")
        if not 0 <= self.issued_at < 2**40:
            raise InvalidStatement("issued-at is unix seconds")
        if not isinstance(self.nonce, str) or not _NONCE.fullmatch(self.nonce):
            raise InvalidStatement("nonce is 32 lowercase hex digits")

    @classmethod
    def new(
        cls,
        action: ZoneAction,
        *,
        chain_id: int,
        registry: str,
        platform_id: str,
        fingerprint: bytes,
        account_id: str,
        issued_at: int,
    ) -> ZoneStatement:
        """A statement with a fresh random nonce."""
        return cls(
            action,
            chain_id,
            registry,
            platform_id,
            fingerprint,
            account_id,
            issued_at,
            secrets.token_hex(16),
        )

    def to_bytes(self) -> bytes:
        values = (
            self.action,
            str(self.chain_id),
            self.registry,
            self.platform_id,
            self.fingerprint.hex(),
            self.account_id,
            str(self.issued_at),
            self.nonce,
        )
        lines = [LABEL, *(f"{name}: {value}" for name, value in zip(_FIELDS, values, strict=True))]
        return ("\n".join(lines) + "\n").encode("ascii")

    @property
    def evidence_hash(self) -> bytes:
        """SHA-256 of the canonical bytes: what the chain records."""
        return hashlib.sha256(self.to_bytes()).digest()

    @classmethod
    def parse(cls, raw: bytes) -> ZoneStatement:
        """The statement ``raw`` is, if it is one in canonical form (else ``InvalidStatement``):
        any other spelling of the same fields would hash differently, so none is accepted."""
        if not isinstance(raw, bytes) or not 0 < len(raw) <= MAX_STATEMENT_BYTES:
            raise InvalidStatement(f"a statement is 1..{MAX_STATEMENT_BYTES} bytes")
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidStatement("a statement is ASCII") from None
        if not text.endswith("\n"):
            raise InvalidStatement("a statement ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) != len(_FIELDS) + 1 or lines[0] != LABEL:
            raise InvalidStatement(f"a statement is {LABEL!r} and {len(_FIELDS)} fields")
        values: dict[str, str] = {}
        for name, line in zip(_FIELDS, lines[1:], strict=True):
            prefix = f"{name}: "
            if not line.startswith(prefix):
                raise InvalidStatement(f"expected the field {name!r} here, got {line[:40]!r}")
            values[name] = line[len(prefix) :]
        for name in ("chain-id", "issued-at"):
            if not _DIGITS.fullmatch(values[name]):
                raise InvalidStatement(f"{name} is a decimal number without leading zeros")
        if not _HEX64.fullmatch(values["certificate"]):
            raise InvalidStatement("certificate is 64 lowercase hex digits")
        action = values["action"]
        if action not in _ACTIONS:
            raise InvalidStatement(f"action {action[:20]!r} is neither bind nor unbind")
        statement = cls(
            "bind" if action == "bind" else "unbind",
            int(values["chain-id"]),
            values["registry"],
            values["platform"],
            bytes.fromhex(values["certificate"]),
            values["account"],
            int(values["issued-at"]),
            values["nonce"],
        )
        if statement.to_bytes() != raw:  # e.g. a checksummed (mixed-case) registry address
            raise InvalidStatement("the statement is not in canonical form")
        return statement


def verify_signature(public_key: bytes, statement: bytes, signature: bytes) -> None:
    """Raise ``StatementSignatureInvalid`` unless ``signature`` is the Ed25519 signature of
    ``statement`` under the raw 32-byte ``public_key``."""
    if len(signature) != 64:
        raise StatementSignatureInvalid("an Ed25519 signature is 64 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, statement)
    except (InvalidSignature, ValueError):
        raise StatementSignatureInvalid(
            "the signature does not verify under the certificate's key"
        ) from None
