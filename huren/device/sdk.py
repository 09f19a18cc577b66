"""The device SDK: enrol a key with the co-signer, sign, decrypt, change the PIN, list.

The device is the FROST coordinator and the combiner of decryption shares. It never sends
its share: what leaves it is its DKG broadcast, the evaluation of its DKG polynomial at the
co-signer's identifier (the co-signer's piece of the key, not the device's), its
evaluation sealed to the recovery key, commitments, signing packages, decryption requests,
and public keys. Every call needs the PIN for operations with the key; the PIN itself and
anything derived from it but the PIN proof's public key stay on the device.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huren.device import pin as pins
from huren.device.certificates import CertificateShelf
from huren.device.client import CosignerClient
from huren.device.errors import LocalStoreError, ProtocolViolation
from huren.device.store import DeviceStore, StoredEnrolment
from huren.node.cosigner.wire import b64d, b64e
from huren.node.keysplit.decrypt import (
    DecryptionRequest,
    DecryptionShare,
    combine_decryption_shares,
    x25519_public_key,
)
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    SealedDkgShare,
)
from huren.node.keysplit.frost import SignatureShare, SigningCommitment
from huren.node.keysplit.hpke import Aead, enc_of, open_with_dh
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY, KeyPackage
from huren.node.keysplit.signer import Coordinator, SignerParty

API = "/v1/cosigner"


class Device:
    def __init__(
        self,
        home: Path,
        http: httpx.Client,
        *,
        pin_params: pins.PinParams | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = DeviceStore(home)
        extra = {} if clock is None else {"clock": clock}
        self.client = CosignerClient(http, self.store.device_key(), **extra)
        self.pin_params = pin_params or pins.PinParams()

    @property
    def device_id(self) -> str:
        return self.client.device_id

    # -- enrolment ----------------------------------------------------------------------------

    def enrol(
        self,
        ticket: str,
        pin: str,
        *,
        purpose: str = "signing",
        label: str = "",
        recovery_public_key: bytes | None = None,
    ) -> StoredEnrolment:
        """Generate a split key with the co-signer; the device share is sealed under ``pin``.
        ``recovery_public_key``, when given, is checked against the co-signer's parameters."""
        pins.check_pin(pin)
        started = self.client.call(
            "POST",
            f"{API}/enrolments",
            {
                "ticket": ticket,
                "device_public_key": b64e(self.client.device_public_key),
                "purpose": purpose,
                "device_label": label,
            },
        )
        enrolment_id = str(started["enrolment_id"])
        params = DkgParameters.from_bytes(b64d(started["parameters"]))
        _check_parameters(params, recovery_public_key)
        theirs = DkgCommitment.from_bytes(b64d(started["commitment"]))
        participant = DkgParticipant(params, DEVICE)
        ours = participant.round1()
        participant.receive_commitments([ours, theirs])
        messages = participant.round2()
        to_cosigner = next(m for m in messages if isinstance(m, DkgSecretShare))
        to_recovery = next(m for m in messages if isinstance(m, SealedDkgShare))
        if to_cosigner.receiver != COSIGNER or to_recovery.receiver != RECOVERY:
            raise ProtocolViolation("unexpected DKG receivers")
        salt = pins.new_salt()
        stretched = pins.stretch(pin, salt, self.pin_params)
        finished = self.client.call(
            "POST",
            f"{API}/enrolments/{enrolment_id}/finish",
            {
                "commitment": b64e(ours.to_bytes()),
                "secret_share": b64e(to_cosigner.to_bytes()),
                "sealed_share": b64e(to_recovery.to_bytes()),
                "pin_public_key": b64e(bytes(pins.pin_key(stretched).verify_key)),
            },
        )
        key = participant.finish([DkgSecretShare.from_bytes(b64d(finished["secret_share"]))])
        if key.public.to_bytes() != b64d(finished["public_key_package"]):
            raise ProtocolViolation("the co-signer reports another public key package")
        unwrap = b64d(finished["unwrap_secret"], size=32)
        stored = StoredEnrolment(
            enrolment_id=enrolment_id,
            purpose=purpose,
            public_package=key.public.to_bytes(),
            salt=salt,
            params=self.pin_params,
            sealed_share=pins.seal_share(stretched, unwrap, enrolment_id, key),
        )
        self.store.save(stored)
        return stored

    def add_certificate(self, enrolment_id: str, certificate_der: bytes) -> str:
        """Keep a certificate issued for this key (checked to carry it); its fingerprint."""
        stored = self.store.load(enrolment_id)
        try:
            key = x509.load_der_x509_certificate(certificate_der).public_key()
        except ValueError as error:
            raise LocalStoreError("not a DER certificate") from error
        if not isinstance(key, Ed25519PublicKey | X25519PublicKey):
            raise LocalStoreError("the certificate carries neither an Ed25519 nor X25519 key")
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        public = stored.public
        expected = (
            bytes(public.group_public_key)
            if stored.purpose == "signing"
            else x25519_public_key(public)
        )
        if raw != expected:
            raise LocalStoreError("the certificate does not carry this enrolment's key")
        fingerprint = CertificateShelf(self.store.root).put(certificate_der)  # for scans
        if fingerprint not in stored.certificates:
            stored.certificates.append(fingerprint)
            self.store.save(stored)
        return fingerprint

    # -- using the key ------------------------------------------------------------------------

    def _open(self, stored: StoredEnrolment, stretched: bytes, unwrap: str) -> KeyPackage:
        key = pins.open_share(
            stretched, b64d(unwrap, size=32), stored.enrolment_id, stored.sealed_share
        )
        if key.public.to_bytes() != stored.public_package:
            raise LocalStoreError("the sealed share belongs to another key")
        return key

    @staticmethod
    def _fingerprint(stored: StoredEnrolment, fingerprint: str | None) -> str:
        if fingerprint is not None:
            return fingerprint
        if len(stored.certificates) != 1:
            raise LocalStoreError("name the certificate: this key has none or several")
        return stored.certificates[0]

    def sign(
        self,
        enrolment_id: str,
        message: bytes,
        *,
        pin: str,
        platform: str,
        action: str = "sign",
        fingerprint: str | None = None,
    ) -> bytes:
        """An Ed25519 signature under the group key, made with the co-signer (two rounds)."""
        stored = self.store.load(enrolment_id)
        stretched = pins.stretch(pin, stored.salt, stored.params)
        started = self.client.call(
            "POST",
            f"{API}/signings",
            {
                "enrolment_id": enrolment_id,
                "fingerprint": self._fingerprint(stored, fingerprint),
                "platform": platform,
                "action": action,
                "message": b64e(message),
            },
            pin_key=pins.pin_key(stretched),
        )
        key = self._open(stored, stretched, started["unwrap_secret"])
        party = SignerParty(key)
        coordinator = Coordinator(key.public)
        theirs = SigningCommitment.from_bytes(b64d(started["commitment"]))
        if theirs.identifier != COSIGNER:
            raise ProtocolViolation("the co-signer's commitment names another participant")
        package = coordinator.signing_package(message, [party.commit(), theirs])
        answer = self.client.call(
            "POST",
            f"{API}/signings/{started['signing_id']}/share",
            {"package": b64e(package.to_bytes())},
        )
        share = SignatureShare.from_bytes(b64d(answer["signature_share"]))
        return coordinator.aggregate(package, [party.sign(package), share])

    def decrypt(
        self,
        enrolment_id: str,
        hpke_message: bytes,
        *,
        pin: str,
        platform: str,
        aead: Aead = Aead.AES_256_GCM,
        info: bytes = b"",
        aad: bytes = b"",
        fingerprint: str | None = None,
    ) -> bytes:
        """Open an HPKE ``enc ‖ ciphertext`` message to this encryption key; only ``enc``
        goes to the co-signer."""
        public = self.store.load(enrolment_id).public
        dh = self.decapsulate(
            enrolment_id, enc_of(hpke_message), pin=pin, platform=platform, fingerprint=fingerprint
        )
        return open_with_dh(
            hpke_message, dh, x25519_public_key(public), aead=aead, info=info, aad=aad
        )

    def decapsulate(
        self,
        enrolment_id: str,
        enc: bytes,
        *,
        pin: str,
        platform: str,
        fingerprint: str | None = None,
    ) -> bytes:
        """X25519(sk, enc) for a sender's ephemeral ``enc``, made with the co-signer's
        decryption share (its proof checked) and the device's own: the DH value an HPKE
        receiver starts from. Only ``enc`` goes to the co-signer; the whole key never exists."""
        stored = self.store.load(enrolment_id)
        public = stored.public
        request = DecryptionRequest(public.group_public_key, public.epoch, enc)
        stretched = pins.stretch(pin, stored.salt, stored.params)
        answer = self.client.call(
            "POST",
            f"{API}/decryptions",
            {
                "enrolment_id": enrolment_id,
                "fingerprint": self._fingerprint(stored, fingerprint),
                "platform": platform,
                "request": b64e(request.to_bytes()),
            },
            pin_key=pins.pin_key(stretched),
        )
        key = self._open(stored, stretched, answer["unwrap_secret"])
        share = DecryptionShare.from_bytes(b64d(answer["decryption_share"]))
        return combine_decryption_shares(public, request, [share], own_key=key)

    def change_pin(self, enrolment_id: str, old_pin: str, new_pin: str) -> None:
        """Re-seal the share under ``new_pin`` and rotate the PIN proof key at the co-signer."""
        stored = self.store.load(enrolment_id)
        old = pins.stretch(old_pin, stored.salt, stored.params)
        salt = pins.new_salt()
        new = pins.stretch(new_pin, salt, self.pin_params)
        answer = self.client.call(
            "POST",
            f"{API}/enrolments/{enrolment_id}/pin",
            {"pin_public_key": b64e(bytes(pins.pin_key(new).verify_key))},
            pin_key=pins.pin_key(old),
        )
        key = self._open(stored, old, answer["unwrap_secret"])
        unwrap = b64d(answer["unwrap_secret"], size=32)
        stored.salt, stored.params = salt, self.pin_params
        stored.sealed_share = pins.seal_share(new, unwrap, enrolment_id, key)
        self.store.save(stored)

    # -- listings -----------------------------------------------------------------------------

    def devices(self) -> list[dict[str, Any]]:
        return list(self.client.call("GET", f"{API}/devices"))

    def revoke_device(self, device_id: str, *, enrolment_id: str, pin: str) -> dict[str, Any]:
        """Revoke one of the holder's devices (a lost phone), or this one; the PIN of one of
        this device's keys (``enrolment_id``) authorizes it."""
        stored = self.store.load(enrolment_id)
        stretched = pins.stretch(pin, stored.salt, stored.params)
        return dict(
            self.client.call(
                "POST",
                f"{API}/devices/{device_id}/revoke",
                {"enrolment_id": enrolment_id},
                pin_key=pins.pin_key(stretched),
            )
        )

    def enrolments(self) -> list[dict[str, Any]]:
        return list(self.client.call("GET", f"{API}/enrolments"))

    def sessions(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(self.client.call("GET", f"{API}/sessions?limit={limit}"))


def _check_parameters(params: DkgParameters, recovery_public_key: bytes | None) -> None:
    """The device takes part only in huren's 2-of-3 with itself and the co-signer dealing."""
    sealed = dict(params.sealed_recipients)
    if (
        params.threshold != 2
        or params.participants != (DEVICE, COSIGNER, RECOVERY)
        or params.dealers != (DEVICE, COSIGNER)
        or set(sealed) != {RECOVERY}
        or params.previous is not None
    ):
        raise ProtocolViolation("the co-signer proposes other key-generation parameters")
    if recovery_public_key is not None and sealed[RECOVERY] != recovery_public_key:
        raise ProtocolViolation("the recovery share would be sealed to an unexpected key")


__all__ = ["Device"]
