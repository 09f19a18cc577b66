"""The co-signing service: enrolment, signing and split-decryption rounds over byte messages,
PIN change, and what a device may list. See :mod:`.frame` for what every operation checks
and docs/cosigner.md for the protocol and the threat model."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.cosigner import at_rest, wire
from huren.node.cosigner.auth import SignedRequest
from huren.node.cosigner.enrolment import ENCRYPTION, PURPOSES, SIGNING, PendingEnrolment
from huren.node.cosigner.errors import (
    EnrolmentState,
    HolderMismatch,
    InvalidRequest,
    UnknownDevice,
    UnknownSigning,
)
from huren.node.cosigner.frame import (
    ACTIONS,
    ENROLMENT_TTL_S,
    MAX_MESSAGE,
    SIGNING_TTL_S,
    EnrolmentFinished,
    EnrolmentStarted,
    PendingSigning,
    SigningStarted,
)
from huren.node.cosigner.records import OperationRecord, operations_of
from huren.node.cosigner.sessions import SessionOperations
from huren.node.cosigner.tickets import consume_ticket, find_ticket
from huren.node.db.cosigner_tables import (
    CosignerCertificate,
    CosignerDevice,
    CosignerEnrolment,
    CosignerOperation,
)
from huren.node.keysplit.decrypt import DecryptionRequest, decryption_share
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParticipant,
    DkgSecretShare,
    RecoveryEnvelope,
    SealedDkgShare,
    enrolment_parameters,
)
from huren.node.keysplit.frost import SigningPackage
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY
from huren.node.keysplit.signer import SignerParty
from huren.registry.types import Right

__all__ = ["CosignerService", "EnrolmentInfo"]


@dataclass(frozen=True, slots=True)
class EnrolmentInfo:
    enrolment_id: str
    purpose: str
    group_public_key: bytes
    epoch: int
    created_at: int
    locked: bool
    pin_failures: int
    fingerprints: tuple[bytes, ...]


class CosignerService(SessionOperations):
    # -- enrolment ----------------------------------------------------------------------------

    def start_enrolment(
        self,
        request: SignedRequest,
        *,
        ticket: str,
        device_public_key: bytes,
        purpose: str,
        device_label: str = "",
    ) -> EnrolmentStarted:
        """Round one: the ticket is checked, the DKG parameters made, the co-signer commits."""
        wire.check_public_key(device_public_key, "device public key")
        if purpose not in PURPOSES:
            raise InvalidRequest(f"purpose is one of {', '.join(PURPOSES)}")
        record = OperationRecord("enrol_start", action=purpose)
        with self._operation(record, request, public_key=device_public_key) as (s, device, now):
            row = find_ticket(s, ticket, now=now)
            record.holder = row.holder
            if device is not None and device.holder != row.holder:
                raise HolderMismatch("this device belongs to another holder")
            enrolment_id = secrets.token_hex(16)
            record.enrolment_id = enrolment_id
            params = enrolment_parameters(secrets.token_bytes(16), row.recovery_public_key)
            participant = DkgParticipant(params, COSIGNER)
            commitment = participant.round1()
            pending = PendingEnrolment(
                enrolment_id=enrolment_id,
                participant=participant,
                commitment=commitment,
                device_id=request.device_id,
                device_public_key=device_public_key,
                device_label=device_label[:200],
                holder=row.holder,
                purpose=purpose,
                ticket_id=row.ticket_id,
                expires_at=now + ENROLMENT_TTL_S,
            )
            self._enrolments.put(enrolment_id, pending, expires_at=pending.expires_at, now=now)
        return EnrolmentStarted(enrolment_id, params.to_bytes(), commitment.to_bytes())

    def finish_enrolment(
        self,
        request: SignedRequest,
        enrolment_id: str,
        *,
        commitment: bytes,
        secret_share: bytes,
        sealed_share: bytes,
        pin_public_key: bytes,
    ) -> EnrolmentFinished:
        """Round two: the device's messages in, the co-signer's share for the device out."""
        wire.check_public_key(pin_public_key, "PIN public key")
        # Looked at before the device is authenticated (its key may be known only from round
        # one), taken only after: a forged request cannot use up someone's enrolment.
        pending = self._enrolments.peek(enrolment_id, now=self.clock())
        if pending is None or pending.device_id != request.device_id:
            raise EnrolmentState("no enrolment in progress with this id (expired or finished)")
        record = OperationRecord("enrol", enrolment_id=enrolment_id, action=pending.purpose)
        key = pending.device_public_key
        with self._operation(record, request, public_key=key) as (s, device, now):
            record.holder = pending.holder
            if self._enrolments.take(enrolment_id, now=now) is not pending:
                raise EnrolmentState("this enrolment was finished or expired meanwhile")
            device_commitment = DkgCommitment.from_bytes(commitment)
            to_cosigner = DkgSecretShare.from_bytes(secret_share)
            to_recovery = SealedDkgShare.from_bytes(sealed_share)
            if device_commitment.sender != DEVICE or to_recovery.receiver != RECOVERY:
                raise InvalidRequest("the device's messages name the wrong participants")
            participant = pending.participant
            public = participant.receive_commitments([device_commitment, pending.commitment])
            ours = participant.round2()
            key_package = participant.finish([to_cosigner])
            for_device = next(m for m in ours if isinstance(m, DkgSecretShare))
            sealed_ours = next(m for m in ours if isinstance(m, SealedDkgShare))
            envelope = RecoveryEnvelope(
                participant.params,
                RECOVERY,
                (device_commitment, pending.commitment),
                (to_recovery, sealed_ours),
            )
            consume_ticket(s, pending.ticket_id, enrolment_id, now=now)
            if device is None:
                s.add(
                    CosignerDevice(
                        device_id=pending.device_id,
                        public_key=pending.device_public_key,
                        holder=pending.holder,
                        label=pending.device_label,
                        created_at=now,
                        last_seen_at=now,
                    )
                )
                s.flush()
            elif device.holder != pending.holder:
                raise HolderMismatch("this device belongs to another holder")
            unwrap = secrets.token_bytes(32)
            epoch = public.epoch
            s.add(
                CosignerEnrolment(
                    enrolment_id=enrolment_id,
                    device_id=pending.device_id,
                    holder=pending.holder,
                    purpose=pending.purpose,
                    ticket_id=pending.ticket_id,
                    group_public_key=bytes(public.group_public_key),
                    epoch=epoch,
                    public_package=public.to_bytes(),
                    sealed_share=at_rest.seal(
                        self._kek, at_rest.SHARE, enrolment_id, epoch, key_package.to_bytes()
                    ),
                    sealed_unwrap=at_rest.seal(
                        self._kek, at_rest.UNWRAP, enrolment_id, epoch, unwrap
                    ),
                    pin_public_key=pin_public_key,
                    recovery_envelope=envelope.to_bytes(),
                    created_at=now,
                )
            )
        return EnrolmentFinished(public.to_bytes(), for_device.to_bytes(), unwrap)

    # -- signing ------------------------------------------------------------------------------

    def start_signing(
        self,
        request: SignedRequest,
        enrolment_id: str,
        *,
        fingerprint: bytes,
        platform_id: str,
        action: str,
        message: bytes,
        session_id: str | None = None,
    ) -> SigningStarted:
        """Round one (PIN proof, certificate recognized): the co-signer's commitment, and the
        unwrap secret the device needs to open its sealed share. Within a signing session
        (``session_id``, see :mod:`.sessions`) no PIN proof is needed and no unwrap secret is
        handed out."""
        if action not in ACTIONS:
            raise InvalidRequest(f"a signing action is one of {', '.join(ACTIONS)}")
        if not 0 < len(message) <= MAX_MESSAGE:
            raise InvalidRequest(f"the message is 1 to {MAX_MESSAGE} bytes")
        record = OperationRecord(
            "sign_commit",
            enrolment_id=enrolment_id,
            fingerprint=fingerprint,
            platform_id=platform_id,
            action=action,
            digest=hashlib.sha256(message).digest(),
        )
        with self._operation(record, request) as (s, device, now):
            enrolment = self._enrolment(s, device, enrolment_id, SIGNING)
            if session_id is None:
                self._check_pin(s, enrolment, request, now)
            else:
                record.detail = f"session {session_id}"
                self._check_session(
                    s,
                    enrolment,
                    request,
                    session_id,
                    fingerprint=fingerprint,
                    platform_id=platform_id,
                    action=action,
                    now=now,
                )
            self._check_certificate(s, enrolment, fingerprint, platform_id, ACTIONS[action])
            key = self._key(enrolment)
            commitment = SignerParty(key, nonce_store=self._nonces(enrolment_id)).commit()
            signing_id = secrets.token_hex(16)
            pending = PendingSigning(
                request.device_id,
                enrolment_id,
                message,
                commitment,
                record,
                now + SIGNING_TTL_S,
                key,
            )
            self._signings.put(signing_id, pending, expires_at=pending.expires_at, now=now)
            unwrap = self._unwrap(enrolment) if session_id is None else b""
        return SigningStarted(signing_id, commitment.to_bytes(), unwrap)

    def finish_signing(self, request: SignedRequest, signing_id: str, package: bytes) -> bytes:
        """Round two: the co-signer's signature share over the package, once per commitment."""
        pending = self._signings.peek(signing_id, now=self.clock())  # taken once authenticated
        if pending is None or pending.device_id != request.device_id:
            raise UnknownSigning("no signing in progress with this id (used or expired)")
        first = pending.record
        record = OperationRecord(
            "sign",
            enrolment_id=pending.enrolment_id,
            fingerprint=first.fingerprint,
            platform_id=first.platform_id,
            action=first.action,
            digest=first.digest,
        )
        with self._operation(record, request) as (s, device, now):
            if self._signings.take(signing_id, now=now) is not pending:
                raise UnknownSigning("this signing was used or expired meanwhile")
            enrolment = self._enrolment(s, device, pending.enrolment_id, SIGNING)
            if enrolment.locked_at is not None:
                raise EnrolmentState("the key was locked meanwhile")
            signing_package = SigningPackage.from_bytes(package)
            if signing_package.message != pending.message:
                raise InvalidRequest("the package signs another message than round one named")
            if signing_package.commitment_of(COSIGNER) != pending.commitment:
                raise InvalidRequest("the package carries another co-signer commitment")
            if enrolment.epoch != pending.key.epoch:  # reshared meanwhile (recovery)
                raise EnrolmentState("the key was reshared meanwhile")
            party = SignerParty(pending.key, nonce_store=self._nonces(pending.enrolment_id))
            share = party.sign(signing_package).to_bytes()
        return share  # only now: its record is committed

    # -- split decryption ---------------------------------------------------------------------

    def decrypt(
        self,
        request: SignedRequest,
        enrolment_id: str,
        *,
        fingerprint: bytes,
        platform_id: str,
        decryption_request: bytes,
    ) -> tuple[bytes, bytes]:
        """The co-signer's decryption share for one HPKE ``enc`` (it never sees the
        ciphertext), with the unwrap secret; (share, unwrap secret)."""
        record = OperationRecord(
            "decrypt",
            enrolment_id=enrolment_id,
            fingerprint=fingerprint,
            platform_id=platform_id,
            action="decrypt",
            digest=hashlib.sha256(decryption_request).digest(),
        )
        with self._operation(record, request) as (s, device, now):
            enrolment = self._enrolment(s, device, enrolment_id, ENCRYPTION)
            self._check_pin(s, enrolment, request, now)
            self._check_certificate(s, enrolment, fingerprint, platform_id, Right.DECRYPT)
            parsed = DecryptionRequest.from_bytes(decryption_request)
            share = decryption_share(self._key(enrolment), parsed).to_bytes()
            unwrap = self._unwrap(enrolment)
        return share, unwrap

    # -- PIN, listings --------------------------------------------------------------------------

    def change_pin(
        self, request: SignedRequest, enrolment_id: str, *, new_pin_public_key: bytes
    ) -> bytes:
        """Replace the PIN proof key (the request carries a proof by the old PIN); returns the
        unwrap secret so the device can re-seal its share under the new PIN."""
        wire.check_public_key(new_pin_public_key, "PIN public key")
        record = OperationRecord("pin_change", enrolment_id=enrolment_id)
        with self._operation(record, request) as (s, device, now):
            enrolment = self._enrolment(s, device, enrolment_id, None)
            self._check_pin(s, enrolment, request, now)
            enrolment.pin_public_key = new_pin_public_key
            s.add(enrolment)
            unwrap = self._unwrap(enrolment)
        return unwrap

    def devices(self, request: SignedRequest) -> Sequence[CosignerDevice]:
        """The devices of the calling device's holder."""
        with self._operation(None, request) as (s, device, _):
            assert device is not None
            holder = device.holder
            rows = s.exec(
                select(CosignerDevice)
                .where(col(CosignerDevice.holder) == holder)
                .order_by(col(CosignerDevice.created_at))
            ).all()
        return rows

    def revoke_device(
        self, request: SignedRequest, device_id: str, *, enrolment_id: str
    ) -> CosignerDevice:
        """Revoke one of the holder's devices (a lost phone) from another one, or itself: its
        requests are refused from then on, so its shares are of no use until recovery. The
        request carries a PIN proof for one of the calling device's keys (a stolen phone
        alone cannot revoke its owner's other devices); a wrong one counts as for any use."""
        record = OperationRecord(
            "revoke_device", enrolment_id=enrolment_id, detail=f"device {device_id}"
        )
        with self._operation(record, request) as (s, device, now):
            self._check_pin(s, self._enrolment(s, device, enrolment_id, None), request, now)
            assert device is not None
            target = s.get(CosignerDevice, device_id)
            if target is None or target.holder != device.holder:
                raise UnknownDevice("no such device of this holder")
            if target.revoked_at is None:
                target.revoked_at = now
                s.add(target)
        return target

    def enrolments(self, request: SignedRequest) -> list[EnrolmentInfo]:
        """The calling device's keys, with their certificates and lock state."""
        with self._operation(None, request) as (s, device, _):
            assert device is not None
            out = [self._info(s, e) for e in self._enrolments_of(s, device.device_id)]
        return out

    def sessions(self, request: SignedRequest, limit: int = 100) -> Sequence[CosignerOperation]:
        """The holder's operation records, newest first (what was signed where, and when)."""
        with self._operation(None, request) as (s, device, _):
            assert device is not None
            rows = operations_of(s, holder=device.holder, limit=min(max(limit, 1), 500))
        return rows

    @staticmethod
    def _enrolments_of(session: Session, device_id: str) -> Sequence[CosignerEnrolment]:
        query = select(CosignerEnrolment).where(col(CosignerEnrolment.device_id) == device_id)
        return session.exec(query.order_by(col(CosignerEnrolment.created_at))).all()

    @staticmethod
    def _info(session: Session, e: CosignerEnrolment) -> EnrolmentInfo:
        certs = session.exec(
            select(CosignerCertificate.fingerprint).where(
                col(CosignerCertificate.enrolment_id) == e.enrolment_id
            )
        ).all()
        return EnrolmentInfo(
            e.enrolment_id,
            e.purpose,
            e.group_public_key,
            e.epoch,
            e.created_at,
            e.locked_at is not None,
            e.pin_failures,
            tuple(bytes(c) for c in certs),
        )
