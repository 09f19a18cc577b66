"""The device's files: its device key, and per enrolled key the public key package, the PIN
salt and cost, the sealed share and the certificates issued for the key. Written atomically,
readable by the owner only. (On a phone the device key would sit in the platform keystore.)"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from huren.device.errors import LocalStoreError
from huren.device.pin import PinParams
from huren.node.cosigner.wire import b64d, b64e
from huren.node.keysplit.keys import PublicKeyPackage


@dataclass
class StoredEnrolment:
    enrolment_id: str
    purpose: str
    public_package: bytes
    salt: bytes
    params: PinParams
    sealed_share: bytes
    certificates: list[str] = field(default_factory=list)  # fingerprints, hex

    @property
    def public(self) -> PublicKeyPackage:
        return PublicKeyPackage.from_bytes(self.public_package)

    def to_json(self) -> dict[str, object]:
        return {
            "enrolment_id": self.enrolment_id,
            "purpose": self.purpose,
            "public_package": b64e(self.public_package),
            "salt": b64e(self.salt),
            "opslimit": self.params.opslimit,
            "memlimit": self.params.memlimit,
            "sealed_share": b64e(self.sealed_share),
            "certificates": self.certificates,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> StoredEnrolment:
        try:
            return cls(
                enrolment_id=str(data["enrolment_id"]),
                purpose=str(data["purpose"]),
                public_package=b64d(str(data["public_package"])),
                salt=b64d(str(data["salt"])),
                params=PinParams(int(str(data["opslimit"])), int(str(data["memlimit"]))),
                sealed_share=b64d(str(data["sealed_share"])),
                certificates=[str(c) for c in data.get("certificates", [])],  # type: ignore[attr-defined]
            )
        except (KeyError, ValueError) as error:
            raise LocalStoreError(f"a damaged enrolment file: {error}") from error


class DeviceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _write(self, path: Path, data: dict[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def device_key(self) -> SigningKey:
        """The device key, made on first use."""
        path = self.root / "device.json"
        if path.exists():
            return SigningKey(b64d(json.loads(path.read_text())["device_key"]))
        key = SigningKey.generate()
        self._write(path, {"device_key": b64e(bytes(key))})
        return key

    def save(self, enrolment: StoredEnrolment) -> None:
        self._write(
            self.root / "enrolments" / f"{enrolment.enrolment_id}.json", enrolment.to_json()
        )

    def load(self, enrolment_id: str) -> StoredEnrolment:
        path = self.root / "enrolments" / f"{enrolment_id}.json"
        if not path.exists():
            raise LocalStoreError(f"no enrolment {enrolment_id} on this device")
        return StoredEnrolment.from_json(json.loads(path.read_text()))

    def enrolments(self) -> list[StoredEnrolment]:
        folder = self.root / "enrolments"
        if not folder.exists():
            return []
        return [
            StoredEnrolment.from_json(json.loads(p.read_text()))
            for p in sorted(folder.glob("*.json"))
        ]
