"""Deterministic dev simulators of the ports, and a stand-in for ports a node lacks.

They answer at once (never sleep) and decide by magic inputs, so a test or a person at a dev
node can provoke each outcome:

SMS (``SimulatedSms``): the number's last four digits
    ``0000`` refused (``blocked``: the gateway's blacklist), ``0408`` timeout,
    ``0503`` unavailable; any other number is delivered to the in-memory ``outbox``, which a
    dev node shows at ``GET /v1/dev/sms-outbox`` so a person can log in.

WeChat (``SimulatedWeChat``): a code reads ``<user>.<anything>``; the part before the first
    dot names the WeChat user, so every code of ``alice.*`` gives alice's same openid. Codes
    are single use (a second exchange is refused ``code_used``, like WeChat's 40163);
    ``timeout`` and ``unavailable`` behave as named; a code starting ``bad`` is refused
    ``invalid_code``.

Identity (``SimulatedCfca``, ``SimulatedAlipay``, ``SimulatedBank``): the holder's name
    containing ``超时`` times out, ``故障`` is unavailable, ``拒绝`` is refused ``mismatch``
    (name and ID number do not belong together). Alipay: ``未通过`` makes the face check
    fail, ``等待`` leaves it pending; an unknown certify id is refused. Bank: a reserved
    phone ending ``0000`` is refused ``phone_mismatch``. Anything else matches, with a
    reference derived from the inputs.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass

from huren.node.ports.errors import PortNotConfigured, PortRefused, PortTimeout, PortUnavailable
from huren.node.ports.protocols import (
    AlipayCertification,
    AlipayResult,
    Ports,
    WeChatIdentity,
)

__all__ = [
    "SentSms",
    "SimulatedAlipay",
    "SimulatedBank",
    "SimulatedCfca",
    "SimulatedSms",
    "SimulatedWeChat",
    "simulated_ports",
    "unconfigured_ports",
]


def _ref(prefix: str, *parts: str) -> str:
    return prefix + "-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class SentSms:
    phone: str
    text: str
    message_id: str


class SimulatedSms:
    """An SMS gateway whose delivered messages stay readable in ``outbox``."""

    def __init__(self, *, keep: int = 1000) -> None:
        self._lock = threading.Lock()
        self._sent: list[SentSms] = []
        self._counter = itertools.count(1)
        self._keep = keep

    def send(self, phone: str, text: str) -> str:
        tail = phone[-4:]
        if tail == "0000":
            raise PortRefused("sms", "blocked", f"the gateway refuses to deliver to {phone}")
        if tail == "0408":
            raise PortTimeout("sms", "the gateway did not answer in time")
        if tail == "0503":
            raise PortUnavailable("sms", "the gateway answered 503")
        with self._lock:
            message = SentSms(phone, text, f"sms-{next(self._counter)}")
            self._sent.append(message)
            del self._sent[: -self._keep]
        return message.message_id

    def outbox(self, phone: str | None = None) -> list[SentSms]:
        """Delivered messages, newest first, of one number or all."""
        with self._lock:
            return [m for m in reversed(self._sent) if phone is None or m.phone == phone]


class SimulatedWeChat:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[str] = set()

    def exchange(self, code: str) -> WeChatIdentity:
        if code == "timeout":
            raise PortTimeout("wechat", "sns/oauth2/access_token did not answer in time")
        if code == "unavailable":
            raise PortUnavailable("wechat", "sns/oauth2/access_token answered -1 (system busy)")
        if code.startswith("bad") or not code:
            raise PortRefused("wechat", "invalid_code", "invalid code (40029)")
        with self._lock:
            if code in self._used:
                raise PortRefused("wechat", "code_used", "code been used (40163)")
            self._used.add(code)
        user = code.split(".", 1)[0]
        return WeChatIdentity(
            openid="o" + hashlib.sha256(f"openid|{user}".encode()).hexdigest()[:27],
            unionid="u" + hashlib.sha256(f"unionid|{user}".encode()).hexdigest()[:27],
        )


def _identity_outcome(port: str, name: str) -> None:
    if "超时" in name:
        raise PortTimeout(port, "the identity service did not answer in time")
    if "故障" in name:
        raise PortUnavailable(port, "the identity service failed")
    if "拒绝" in name:
        raise PortRefused(port, "mismatch", "the name and the ID number do not match")


class SimulatedCfca:
    def verify(self, name: str, id_number: str) -> str:
        _identity_outcome("cfca", name)
        return _ref("cfca", name, id_number)


class SimulatedAlipay:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[str, str] = {}  # certify id -> name
        self._counter = itertools.count(1)

    def start(self, name: str, id_number: str) -> AlipayCertification:
        if "超时" in name:
            raise PortTimeout("alipay", "certify.open.initialize did not answer in time")
        if "故障" in name:
            raise PortUnavailable("alipay", "certify.open.initialize failed")
        with self._lock:
            certify_id = _ref("alipay", name, id_number, str(next(self._counter)))
            self._started[certify_id] = name
        return AlipayCertification(certify_id, f"https://openapi.alipay.com/sim?id={certify_id}")

    def result(self, certify_id: str) -> AlipayResult:
        with self._lock:
            name = self._started.get(certify_id)
        if name is None:
            raise PortRefused("alipay", "unknown_certify_id", f"no certification {certify_id}")
        if "拒绝" in name or "未通过" in name:
            return AlipayResult.FAILED
        if "等待" in name:
            return AlipayResult.PENDING
        return AlipayResult.PASSED


class SimulatedBank:
    def verify(self, name: str, id_number: str, card_number: str, phone: str) -> str:
        _identity_outcome("bank", name)
        if phone.endswith("0000"):
            raise PortRefused("bank", "phone_mismatch", "the reserved phone does not match")
        return _ref("bank", name, id_number, card_number, phone)


def simulated_ports() -> Ports:
    """Fresh simulators of every port (a dev node's)."""
    return Ports(
        sms=SimulatedSms(),
        wechat=SimulatedWeChat(),
        cfca=SimulatedCfca(),
        alipay=SimulatedAlipay(),
        bank=SimulatedBank(),
    )


class _Unconfigured:
    def __init__(self, port: str) -> None:
        self.port = port

    def _refuse(self) -> PortNotConfigured:
        return PortNotConfigured(self.port, "no adapter is configured for this service")

    def send(self, phone: str, text: str) -> str:
        raise self._refuse()

    def exchange(self, code: str) -> WeChatIdentity:
        raise self._refuse()

    def verify(self, name: str, id_number: str, card_number: str = "", phone: str = "") -> str:
        raise self._refuse()

    def start(self, name: str, id_number: str) -> AlipayCertification:
        raise self._refuse()

    def result(self, certify_id: str) -> AlipayResult:
        raise self._refuse()


def unconfigured_ports() -> Ports:
    """Ports that all answer ``PortNotConfigured``: a non-dev node until real adapters are
    plugged in (the simulators would accept anyone)."""
    return Ports(
        sms=_Unconfigured("sms"),
        wechat=_Unconfigured("wechat"),
        cfca=_Unconfigured("cfca"),
        alipay=_Unconfigured("alipay"),
        bank=_Unconfigured("bank"),
    )
