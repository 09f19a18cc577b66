"""HTTP to the co-signer: each request signed by the device key (and, for operations with
the key, by the PIN key), problems turned into :class:`CosignerRefused`."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
from nacl.signing import SigningKey

from huren.device.errors import CosignerRefused
from huren.node.cosigner import wire


class CosignerClient:
    def __init__(
        self, http: httpx.Client, device_key: SigningKey, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.http = http
        self.device_key = device_key
        self.device_public_key = bytes(device_key.verify_key)
        self.device_id = wire.device_id_of(self.device_public_key)
        self.clock = clock

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        pin_key: SigningKey | None = None,
    ) -> Any:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        timestamp = int(self.clock())
        nonce = secrets.token_urlsafe(16)
        message = wire.request_message(method, path, self.device_id, timestamp, nonce, content)
        headers = {
            wire.HEADER_DEVICE: self.device_id,
            wire.HEADER_TIMESTAMP: str(timestamp),
            wire.HEADER_NONCE: nonce,
            wire.HEADER_SIGNATURE: wire.b64e(self.device_key.sign(message).signature),
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        if pin_key is not None:
            proof = pin_key.sign(wire.pin_proof_message(message)).signature
            headers[wire.HEADER_PIN_PROOF] = wire.b64e(proof)
        response = self.http.request(method, path, content=content, headers=headers)
        if response.status_code >= 400:
            try:
                problem = dict(response.json())
                code, detail = str(problem["code"]), str(problem.get("detail", ""))
            except (ValueError, KeyError, TypeError):
                problem, code = {}, f"HTTP_{response.status_code}"
                detail = response.text[:200]
            raise CosignerRefused(response.status_code, code, detail, problem)
        return None if response.status_code == 204 else response.json()
