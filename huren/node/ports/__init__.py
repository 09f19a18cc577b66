"""External services behind ports: SMS, WeChat OAuth, CFCA identity, Alipay face
verification and bank four-factor verification.

Each port is a ``Protocol`` (``huren.node.ports.protocols``) that a real adapter implements;
``huren.node.ports.simulators`` has a deterministic dev simulator of each, which fails, times
out and refuses on documented magic inputs. Every port raises only ``PortError``s: a
``PortRefused`` is the provider's considered "no" (the caller decides what it means), a
``PortTimeout`` or ``PortUnavailable`` says nothing about the request.
"""

from __future__ import annotations

from huren.node.ports.errors import (
    PortError,
    PortNotConfigured,
    PortRefused,
    PortTimeout,
    PortUnavailable,
)
from huren.node.ports.protocols import (
    AlipayCertification,
    AlipayFaceVerifier,
    AlipayResult,
    BankFourFactorVerifier,
    CfcaIdentityVerifier,
    Ports,
    SmsSender,
    WeChatIdentity,
    WeChatOAuth,
)

__all__ = [
    "AlipayCertification",
    "AlipayFaceVerifier",
    "AlipayResult",
    "BankFourFactorVerifier",
    "CfcaIdentityVerifier",
    "PortError",
    "PortNotConfigured",
    "PortRefused",
    "PortTimeout",
    "PortUnavailable",
    "Ports",
    "SmsSender",
    "WeChatIdentity",
    "WeChatOAuth",
]
