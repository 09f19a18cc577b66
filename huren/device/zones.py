"""Zones from the phone (专区, manual 2.15): bind a certificate to a platform's zone, unbind
it, list. The account (its access token) asks the node for a statement and an SMS code; the
device checks the statement says what the holder asked (action, platform, certificate,
account-independent fields the node chose: time near the device's clock), signs it with the
split key through the co-signer, and sends statement, signature and code back.

The co-signer signs for action ``login`` at the platform: the zone is where the holder logs
in (``huren.node.zones.service.ZONE_RIGHT``), so it refuses a certificate not recognized
there for login before anything is recorded.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import httpx

from huren.device.errors import DeviceError, ProtocolViolation
from huren.device.sdk import Device
from huren.node.zones.errors import InvalidStatement
from huren.node.zones.statement import STATEMENT_TTL_S, ZoneAction, ZoneStatement

__all__ = ["ZONE_SIGNING_ACTION", "ZoneClient", "ZoneRefused"]

API = "/v1/zones"
ZONE_SIGNING_ACTION = "login"  # the right the statement is signed under (see above)


class ZoneRefused(DeviceError):
    """The node answered with a problem (``code`` is its machine-readable code)."""

    def __init__(self, status: int, code: str, detail: str, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem = problem


class ZoneClient:
    """The account's side of zones (``access_token``: a login's access token), signing with
    ``device``'s split keys."""

    def __init__(
        self,
        device: Device,
        http: httpx.Client,
        access_token: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.device = device
        self.http = http
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.clock = clock

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body, headers=self.headers)
        if response.status_code >= 400:
            try:
                problem = dict(response.json())
                code, detail = str(problem["code"]), str(problem.get("detail", ""))
            except (ValueError, KeyError, TypeError):
                problem, code = {}, f"HTTP_{response.status_code}"
                detail = response.text[:200]
            raise ZoneRefused(response.status_code, code, detail, problem)
        return response.json()

    def request_code(self, action: ZoneAction) -> dict[str, Any]:
        """Have the node text a code for ``action`` to the account's phone."""
        return dict(self._call("POST", f"{API}/sms-codes", {"action": action}))

    def bind(
        self,
        enrolment_id: str,
        fingerprint: str,
        platform: str,
        *,
        pin: str,
        code: str,
        certificate_der: bytes | None = None,
    ) -> dict[str, Any]:
        """Bind the certificate (hex fingerprint) to ``platform``'s zone; the recorded change."""
        return self._change("bind", enrolment_id, fingerprint, platform, pin, code, certificate_der)

    def unbind(
        self,
        enrolment_id: str,
        fingerprint: str,
        platform: str,
        *,
        pin: str,
        code: str,
        certificate_der: bytes | None = None,
    ) -> dict[str, Any]:
        """Unbind the certificate from ``platform``'s zone; the recorded change."""
        return self._change(
            "unbind", enrolment_id, fingerprint, platform, pin, code, certificate_der
        )

    def zones(self) -> list[dict[str, Any]]:
        """The zones the account's certificates are bound to."""
        return list(self._call("GET", API))

    def statement(self, action: ZoneAction, fingerprint: str, platform: str) -> bytes:
        """A statement from the node, checked to say what was asked (``ProtocolViolation``
        otherwise): the device never signs what the holder did not ask for."""
        answer = self._call(
            "POST",
            f"{API}/statements",
            {"action": action, "fingerprint": fingerprint, "platform_id": platform},
        )
        raw = base64.b64decode(answer["statement"], validate=True)
        try:
            parsed = ZoneStatement.parse(raw)
        except InvalidStatement as exc:
            raise ProtocolViolation(f"the node's statement is malformed: {exc}") from None
        if (
            parsed.action != action
            or parsed.platform_id != platform
            or parsed.fingerprint.hex() != fingerprint.lower()
        ):
            raise ProtocolViolation("the node's statement is not the one asked for")
        if abs(int(self.clock()) - parsed.issued_at) > STATEMENT_TTL_S:
            raise ProtocolViolation("the node's statement is dated far from this device's clock")
        return raw

    def _change(
        self,
        action: ZoneAction,
        enrolment_id: str,
        fingerprint: str,
        platform: str,
        pin: str,
        code: str,
        certificate_der: bytes | None,
    ) -> dict[str, Any]:
        raw = self.statement(action, fingerprint, platform)
        signature = self.device.sign(
            enrolment_id,
            raw,
            pin=pin,
            platform=platform,
            action=ZONE_SIGNING_ACTION,
            fingerprint=fingerprint.lower(),
        )
        body: dict[str, Any] = {
            "statement": base64.b64encode(raw).decode("ascii"),
            "signature": base64.b64encode(signature).decode("ascii"),
            "code": code,
        }
        if certificate_der is not None:
            body["certificate"] = base64.b64encode(certificate_der).decode("ascii")
        return dict(self._call("POST", f"{API}/{action}", body))
