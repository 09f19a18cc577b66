"""The device's copies of its certificates (DER, by SHA-256 fingerprint): a scan approval
sends the certificate so the node can verify the signature under its key."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from huren.device.errors import LocalStoreError

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class CertificateShelf:
    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / "certificates"

    def put(self, der: bytes) -> str:
        """Keep ``der`` (written atomically, mode 0600); its fingerprint in hex."""
        fingerprint = hashlib.sha256(der).hexdigest()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.folder / f"{fingerprint}.der"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(der)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return fingerprint

    def get(self, fingerprint: str) -> bytes:
        if not _FINGERPRINT.fullmatch(fingerprint):
            raise LocalStoreError("a fingerprint is 64 hex digits")
        path = self.folder / f"{fingerprint}.der"
        if not path.exists():
            raise LocalStoreError(f"no copy of certificate {fingerprint}: add it again")
        der = path.read_bytes()
        if hashlib.sha256(der).hexdigest() != fingerprint:
            raise LocalStoreError(f"the copy of certificate {fingerprint} is damaged")
        return der
