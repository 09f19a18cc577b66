"""Downloading an application's certificates for split keys, on the device.

With the account's access token: get the application's one-time enrolment tickets
(``POST /v1/applications/{id}/enrolment-tickets``), enrol a signing and an encryption key
with the co-signer under the PIN (a renewal keeps its encryption key: signing only), then
download with ``key_source: "enrolment"``. The certificates are checked to carry the
enrolled keys and kept with them in the device store (``Device.add_certificate``); their
chains are kept in ``applications/<id>.json`` beside the enrolment ids.

The enrolment ids are written before the download is asked for, so a download interrupted
after the node issued (a lost answer, a crash) is finished by running this again: the
same enrolments get the same certificates, and no new keys are made.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huren.device.errors import DeviceError, LocalStoreError, ProtocolViolation
from huren.device.sdk import Device
from huren.device.store import StoredEnrolment
from huren.node.cosigner.wire import b64d
from huren.node.keysplit.decrypt import x25519_public_key

__all__ = ["ApplicationRefused", "DownloadedCertificates", "download_certificates"]

APPLICATIONS = "/v1/applications"


class ApplicationRefused(DeviceError):
    """The node's application API answered with a problem (``code`` is machine-readable)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class DownloadedCertificates:
    application_id: str
    signing_enrolment: str
    encryption_enrolment: str | None  # None: a kept encryption key from no enrolment
    signing_fingerprint: str
    encryption_fingerprint: str
    signing_chain_pem: str
    encryption_chain_pem: str
    warnings: tuple[str, ...]


def _account_call(
    device: Device, token: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = device.client.http.post(
        path, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code >= 400:
        try:
            problem = dict(response.json())
            code, detail = str(problem["code"]), str(problem.get("detail", ""))
        except (ValueError, KeyError, TypeError):
            code, detail = f"HTTP_{response.status_code}", response.text[:200]
        raise ApplicationRefused(response.status_code, code, detail)
    answer: dict[str, Any] = response.json()
    return answer


def _state_path(device: Device, application_id: str) -> Path:
    if not application_id.isalnum() or len(application_id) > 64:
        raise LocalStoreError("an application id is a short alphanumeric string")
    return device.store.root / "applications" / f"{application_id}.json"


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomically, readable by the owner only (as the device store writes)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _enrol(
    device: Device,
    state: dict[str, Any],
    path: Path,
    token: str,
    pin: str,
    label: str,
    recovery_public_key: bytes | None,
) -> None:
    """Tickets, then one enrolment per purpose not enrolled yet; each id is written as soon
    as it exists (an interrupted run goes on from there)."""
    application_id = state["application_id"]
    issued = _account_call(device, token, f"{APPLICATIONS}/{application_id}/enrolment-tickets")
    offered = b64d(str(issued["recovery_public_key"]), size=32)
    if recovery_public_key is not None and offered != recovery_public_key:
        raise ProtocolViolation("the node names an unexpected recovery key")
    purposes = [str(t["purpose"]) for t in issued["tickets"]]
    if sorted(purposes) not in (["signing"], ["encryption", "signing"]):
        raise ProtocolViolation(f"unexpected ticket purposes {purposes}")
    for ticket in issued["tickets"]:
        purpose = str(ticket["purpose"])
        if purpose in state["enrolments"]:
            continue
        stored = device.enrol(
            str(ticket["ticket"]), pin, purpose=purpose, label=label, recovery_public_key=offered
        )
        state["enrolments"][purpose] = stored.enrolment_id
        _write(path, state)
    state["enrolled"] = True
    _write(path, state)


def _leaf(chain_pem: str) -> bytes:
    try:
        return x509.load_pem_x509_certificates(chain_pem.encode())[0].public_bytes(Encoding.DER)
    except (ValueError, IndexError) as error:
        raise ProtocolViolation("the node's answer carries no certificate chain") from error


def _carries(stored: StoredEnrolment, der: bytes) -> bool:
    key = x509.load_der_x509_certificate(der).public_key()
    if not isinstance(key, Ed25519PublicKey | X25519PublicKey):
        return False
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    public = stored.public
    if stored.purpose == "signing":
        return raw == bytes(public.group_public_key)
    return raw == x25519_public_key(public)


def download_certificates(
    device: Device,
    application_id: str,
    account_token: str,
    pin: str,
    *,
    label: str = "",
    recovery_public_key: bytes | None = None,
    new_keys: bool = False,
) -> DownloadedCertificates:
    """Enrol this application's keys (or reuse those enrolled for it before; ``new_keys``
    forgets them), download its certificates, and keep them with the keys.
    ``recovery_public_key``, when given, must be the key the node's tickets seal the
    recovery share to."""
    path = _state_path(device, application_id)
    if new_keys and path.exists():
        path.unlink()
    state: dict[str, Any] = (
        json.loads(path.read_text())
        if path.exists()
        else {"application_id": application_id, "enrolments": {}}
    )
    if not state.get("enrolled"):
        _enrol(device, state, path, account_token, pin, label, recovery_public_key)
    enrolments: dict[str, str] = state["enrolments"]
    body: dict[str, Any] = {"key_source": "enrolment", "signing_enrolment": enrolments["signing"]}
    if "encryption" in enrolments:
        body["encryption_enrolment"] = enrolments["encryption"]
    answer = _account_call(device, account_token, f"{APPLICATIONS}/{application_id}/download", body)
    signing_der = _leaf(str(answer["signing_chain_pem"]))
    encryption_der = _leaf(str(answer["encryption_chain_pem"]))
    signing_fingerprint = device.add_certificate(enrolments["signing"], signing_der)
    encryption_enrolment = enrolments.get("encryption")
    if encryption_enrolment is None:  # a renewal: the key enrolled for the predecessor
        encryption_enrolment = next(
            (
                e.enrolment_id
                for e in device.store.enrolments()
                if e.purpose == "encryption" and _carries(e, encryption_der)
            ),
            None,
        )
    if encryption_enrolment is not None:
        encryption_fingerprint = device.add_certificate(encryption_enrolment, encryption_der)
    else:  # the kept key is not a split one on this device
        encryption_fingerprint = hashlib.sha256(encryption_der).hexdigest()
    if (signing_fingerprint, encryption_fingerprint) != (
        answer["signing_fingerprint"],
        answer["encryption_fingerprint"],
    ):
        raise ProtocolViolation("the node reports other fingerprints than its certificates")
    result = DownloadedCertificates(
        application_id=application_id,
        signing_enrolment=enrolments["signing"],
        encryption_enrolment=encryption_enrolment,
        signing_fingerprint=signing_fingerprint,
        encryption_fingerprint=encryption_fingerprint,
        signing_chain_pem=str(answer["signing_chain_pem"]),
        encryption_chain_pem=str(answer["encryption_chain_pem"]),
        warnings=tuple(str(w) for w in answer.get("warnings", [])),
    )
    state.update(
        signing_fingerprint=signing_fingerprint,
        encryption_fingerprint=encryption_fingerprint,
        encryption_enrolment=encryption_enrolment,
        signing_chain_pem=result.signing_chain_pem,
        encryption_chain_pem=result.encryption_chain_pem,
    )
    _write(path, state)
    return result
