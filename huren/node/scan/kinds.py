"""Request kinds: what each scan action asks the device to sign and what the platform gets.

A kind is registered by its action name in :data:`KINDS` (:func:`register_kind`). The
service calls ``prepare`` when a platform creates a request (validate the platform's
parameters, return the content stored with the request and shown to the device),
``message`` for the exact bytes the certificate's key must sign, and ``finish`` after the
signature verified (anything the platform gets besides it, e.g. a sealed PDF). A kind whose
message depends on the signer's certificate (seal: the CMS signed attributes name it) sets
``needs_certificate``: the device presents its certificate first and ``with_certificate``
completes the content. ``prepare`` may return a ``"_blob"`` member (bytes, e.g. the PDF):
it is stored beside the content, not shown, and handed to ``with_certificate``. The device
rebuilds the message with the same kind (``huren.device.scan``), so a node cannot make it sign
other bytes than it showed.

New actions (encrypt, decrypt, ...) are a new :class:`ScanKind` registered here or by their
own module at import time; see docs/scan.md, "Adding a kind".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509

from huren.node.scan import wire
from huren.node.scan.errors import InvalidScanRequest
from huren.registry.types import Right

__all__ = [
    "KINDS",
    "BaseKind",
    "LoginKind",
    "RequestContext",
    "ScanKind",
    "SignKind",
    "register_kind",
]

MAX_TITLE = 200
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a kind may build on: the request's identity and lifetime."""

    platform_id: str
    request_id: str
    created_at: int
    expires_at: int


class ScanKind(Protocol):
    #: the action's name in requests, payloads and the co-signer's records
    action: str
    #: the right the certificate must be recognized for at the platform
    right: Right
    #: the co-signer's signing action (huren.node.cosigner.frame.ACTIONS)
    cosigner_action: str
    #: how long a request of this kind may wait for its answer, seconds (default, maximum)
    ttl_s: int
    max_ttl_s: int

    def prepare(self, params: Mapping[str, Any], context: RequestContext) -> dict[str, Any]:
        """Validate the platform's parameters; the JSON content stored and shown."""
        ...

    def message(self, content: Mapping[str, Any], context: RequestContext) -> bytes:
        """The exact bytes the certificate's key signs."""
        ...

    #: whether the device presents its certificate before the message exists (seal: the
    #: CMS signed attributes name the certificate)
    needs_certificate: bool

    def with_certificate(
        self,
        content: Mapping[str, Any],
        context: RequestContext,
        chain: list[x509.Certificate],
        blob: bytes | None,
    ) -> tuple[dict[str, Any], bytes | None]:
        """(``needs_certificate`` kinds) The content once the signer's certificate (``chain[0]``)
        is known, and the state to keep for ``finish``."""
        ...

    def finish(
        self,
        content: Mapping[str, Any],
        context: RequestContext,
        signature: bytes,
        chain: list[x509.Certificate],
        state: bytes | None,
    ) -> tuple[dict[str, Any], bytes | None]:
        """What the platform gets besides the signature once it verified: JSON extras and a
        document (e.g. the sealed PDF) or None."""
        ...


class BaseKind:
    """Defaults: the message is known at creation, nothing but the signature is returned."""

    needs_certificate = False
    #: answered through its own path, never ``ScanService.approve`` (encrypt, decrypt:
    #: huren.node.scan.bid_answers)
    own_answer = False

    def with_certificate(
        self,
        content: Mapping[str, Any],
        context: RequestContext,
        chain: list[x509.Certificate],
        blob: bytes | None,
    ) -> tuple[dict[str, Any], bytes | None]:
        return dict(content), None

    def finish(
        self,
        content: Mapping[str, Any],
        context: RequestContext,
        signature: bytes,
        chain: list[x509.Certificate],
        state: bytes | None,
    ) -> tuple[dict[str, Any], bytes | None]:
        return {}, None


class LoginKind(BaseKind):
    """扫码登录: the node's random single-use challenge, bound to the platform, 2 minutes."""

    action = "login"
    right = Right.LOGIN
    cosigner_action = "login"
    ttl_s = 120
    max_ttl_s = 120

    def prepare(self, params: Mapping[str, Any], context: RequestContext) -> dict[str, Any]:
        if params:
            raise InvalidScanRequest("a login takes no parameters: the node makes the challenge")
        return {"challenge": secrets.token_hex(32), "title": "log in"}

    def message(self, content: Mapping[str, Any], context: RequestContext) -> bytes:
        return wire.login_message(
            context.platform_id, context.request_id, str(content["challenge"]), context.expires_at
        )


class SignKind(BaseKind):
    """扫码签名: a document's SHA-256 digest with a title to show; the signature is an ordinary
    Ed25519 signature over the 32 digest bytes."""

    action = "sign"
    right = Right.SIGN
    cosigner_action = "sign"
    ttl_s = 300
    max_ttl_s = 600

    def prepare(self, params: Mapping[str, Any], context: RequestContext) -> dict[str, Any]:
        digest = params.get("digest_sha256")
        title = params.get("title")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise InvalidScanRequest("digest_sha256 is 64 lower-case hex digits")
        if not isinstance(title, str) or not 0 < len(title.strip()) <= MAX_TITLE:
            raise InvalidScanRequest(f"title is 1 to {MAX_TITLE} characters")
        if set(params) - {"digest_sha256", "title"}:
            raise InvalidScanRequest("a sign request takes digest_sha256 and title only")
        return {"digest_sha256": digest, "title": title.strip()}

    def message(self, content: Mapping[str, Any], context: RequestContext) -> bytes:
        return bytes.fromhex(str(content["digest_sha256"]))


KINDS: dict[str, ScanKind] = {}


def register_kind(kind: ScanKind) -> ScanKind:
    """Make ``kind`` available under ``kind.action`` (once: a name is never rebound)."""
    if kind.action in KINDS and KINDS[kind.action] is not kind:
        raise ValueError(f"a scan kind {kind.action!r} is registered already")
    KINDS[kind.action] = kind
    return kind


def kind_of(action: str) -> ScanKind:
    kind = KINDS.get(action)
    if kind is None:
        raise InvalidScanRequest(f"action is one of {', '.join(sorted(KINDS))}")
    return kind


register_kind(LoginKind())
register_kind(SignKind())
