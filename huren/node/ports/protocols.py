"""The ports' Protocols: what the node asks of each external service.

Adapters must be safe to call from several threads, must not retry a refused request, and
must raise only ``huren.node.ports.errors.PortError``s (a timeout as ``PortTimeout``).
Arguments are already validated locally (phone format, ID check digit, card Luhn).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "AlipayCertification",
    "AlipayFaceVerifier",
    "AlipayResult",
    "BankFourFactorVerifier",
    "CfcaIdentityVerifier",
    "Ports",
    "SmsSender",
    "WeChatIdentity",
    "WeChatOAuth",
]


class SmsSender(Protocol):
    """An SMS gateway (e.g. Alibaba Cloud SMS with a template): deliver ``text`` to a
    mainland mobile number ``phone`` (11 digits). Returns the gateway's message id."""

    def send(self, phone: str, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class WeChatIdentity:
    """Who WeChat says the user is: ``openid`` per app, ``unionid`` across the developer's
    apps when WeChat gives one."""

    openid: str
    unionid: str | None = None


class WeChatOAuth(Protocol):
    """WeChat Open Platform app login: exchange the one-time ``code`` the app received
    (sns/oauth2/access_token). An invalid or already used code is a ``PortRefused``."""

    def exchange(self, code: str) -> WeChatIdentity: ...


class CfcaIdentityVerifier(Protocol):
    """CFCA (中金) identity check of a name against a resident ID number. Returns the
    provider's reference of a match; a mismatch is ``PortRefused(reason="mismatch")``."""

    def verify(self, name: str, id_number: str) -> str: ...


class AlipayResult(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # the face did not match, or the user gave up
    PENDING = "pending"  # the user has not finished in the Alipay app yet


@dataclass(frozen=True, slots=True)
class AlipayCertification:
    """A started face certification: the user opens ``url`` in Alipay."""

    certify_id: str
    url: str


class AlipayFaceVerifier(Protocol):
    """Alipay face verification (alipay.user.certify.open.initialize / certify / query):
    ``start`` for a name and ID number, the user scans their face in Alipay, ``result``
    asks how it went."""

    def start(self, name: str, id_number: str) -> AlipayCertification: ...

    def result(self, certify_id: str) -> AlipayResult: ...


class BankFourFactorVerifier(Protocol):
    """Bank card four-factor check (name, ID number, card number, reserved phone) through a
    payment or verification provider. Returns the provider's reference of a match; a
    mismatch is ``PortRefused(reason="mismatch")``."""

    def verify(self, name: str, id_number: str, card_number: str, phone: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Ports:
    """The node's external services."""

    sms: SmsSender
    wechat: WeChatOAuth
    cfca: CfcaIdentityVerifier
    alipay: AlipayFaceVerifier
    bank: BankFourFactorVerifier
