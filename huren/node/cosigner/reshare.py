"""Certificate recovery at the co-signer: a new device enrols by **resharing** the keys of an
approved recovery (证书找回; docs/cosigner.md, *Recovery*).

The dealers are the co-signer and the offline recovery holder (:mod:`.recovery_agent`); the
participants are the new device, the co-signer and the recovery holder; the epoch advances
and the group key — the certificate's public key — stays. Both dealers' evaluations for the
device are sealed to a transport key the device made for this call (X25519, never stored),
so the co-signer relays the recovery holder's piece without reading it: it never learns the
new device share. In one write transaction, after every computation succeeded: the
enrolment moves to the new device (new share at rest, new unwrap secret, new PIN key, PIN
failures and lock cleared, epoch + 1), the recovery holder's resealed share is kept, the old
device is revoked, the recovery application is completed (``RecoveryGrants.redeem``), and
every step is recorded in ``cosigner_operations`` and the operation log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.audit.oplog import OperationRecord as TracedOperation
from huren.node.cosigner import at_rest, wire
from huren.node.cosigner.auth import SignedRequest
from huren.node.cosigner.errors import (
    CosignerError,
    EnrolmentState,
    HolderMismatch,
    InvalidRequest,
)
from huren.node.cosigner.records import OK, OperationRecord
from huren.node.cosigner.recovery_agent import (
    RecoveryAgent,
    RecoveryAgentRefused,
    RecoveryAuthorization,
    RecoveryAuthorizer,
    RecoveryMaterial,
)
from huren.node.cosigner.service import CosignerService
from huren.node.db.cosigner_tables import (
    CosignerCertificate,
    CosignerDevice,
    CosignerEnrolment,
)
from huren.node.db.recovery_tables import RecoveryShare
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    RecoveryEnvelope,
    SealedDkgShare,
)
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY, KeyPackage, PublicKeyPackage

__all__ = [
    "CosignerRecovery",
    "GrantedKey",
    "RecoveredKey",
    "RecoveryGrant",
    "RecoveryGrants",
    "RecoveryTicketRefused",
    "device_reshare_parameters",
]


class RecoveryTicketRefused(CosignerError):
    """Unknown, wrong, expired or used recovery ticket, or its recovery is not paid (one
    answer for all, as for enrolment tickets)."""

    status = 403
    code = "RECOVERY_TICKET_REFUSED"


def device_reshare_parameters(
    session_id: bytes, previous: PublicKeyPackage, recovery_public_key: bytes, transport: bytes
) -> DkgParameters:
    """keysplit's ``recovery_reshare_parameters`` with the new device's evaluations sealed to
    its transport key as well: co-signer and recovery deal, device, co-signer and recovery
    receive, the device's and recovery's pieces sealed."""
    return DkgParameters(
        session_id=session_id,
        threshold=previous.threshold,
        participants=(DEVICE, COSIGNER, RECOVERY),
        dealers=(COSIGNER, RECOVERY),
        sealed_recipients=((DEVICE, transport), (RECOVERY, recovery_public_key)),
        previous=previous,
    )


@dataclass(frozen=True, slots=True)
class GrantedKey:
    enrolment_id: str
    fingerprint: bytes
    old_epoch: int


@dataclass(frozen=True, slots=True)
class RecoveryGrant:
    """What an approved, paid recovery lets a new device take over."""

    recovery_id: str
    holder: str
    old_device_id: str
    keys: tuple[GrantedKey, ...]


class RecoveryGrants(Protocol):
    """The recovery applications, as the co-signer sees them (no import of applications)."""

    def find(self, session: Session, ticket: str, *, now: int) -> RecoveryGrant:
        """The grant of an unused, unexpired recovery ticket of a paid recovery (read only)."""
        ...

    def redeem(
        self,
        session: Session,
        grant: RecoveryGrant,
        *,
        device_id: str,
        new_epochs: Mapping[str, int],
        now: int,
    ) -> None:
        """Mark the ticket used and the recovery completed, in ``session``."""
        ...


@dataclass(frozen=True, slots=True)
class RecoveredKey:
    """The new device's part of one reshare: everything it needs to finish as a participant."""

    enrolment_id: str
    purpose: str
    parameters: bytes
    commitments: tuple[bytes, ...]
    sealed_shares: tuple[bytes, ...]  # both dealers' evaluations at DEVICE, sealed to it
    public_package: bytes
    unwrap_secret: bytes
    fingerprints: tuple[bytes, ...]  # the certificates bound to the key (unchanged)


@dataclass
class _Reshared:
    enrolment: CosignerEnrolment
    granted: GrantedKey
    cosigner_key: KeyPackage
    sealed_recovery: bytes
    answer: RecoveredKey


class CosignerRecovery:
    def __init__(
        self,
        service: CosignerService,
        agent: RecoveryAgent,
        grants: RecoveryGrants,
        authorizer: RecoveryAuthorizer,
    ) -> None:
        self.service = service
        self.agent = agent
        self.grants = grants
        self.authorizer = authorizer

    def recover(
        self,
        request: SignedRequest,
        *,
        ticket: str,
        device_public_key: bytes,
        transport_public_key: bytes,
        pin_public_keys: Mapping[str, bytes],
        device_label: str = "",
    ) -> list[RecoveredKey]:
        """Reshare every key of the ticket's recovery onto the calling (new) device."""
        wire.check_public_key(device_public_key, "device public key")
        for pin_key in pin_public_keys.values():
            wire.check_public_key(pin_key, "PIN public key")
        if len(transport_public_key) != 32:
            raise InvalidRequest("the transport public key is 32 bytes (X25519)")
        service = self.service
        record = OperationRecord("recover", detail="reshare onto a new device")
        done: list[_Reshared] = []
        with service._operation(record, request, public_key=device_public_key) as (
            s,
            device,
            now,
        ):
            grant = self.grants.find(s, ticket, now=now)
            record.holder = grant.holder
            record.detail = f"recovery {grant.recovery_id}"
            if device is not None and device.holder != grant.holder:
                raise HolderMismatch("this device belongs to another holder")
            if request.device_id == grant.old_device_id:
                raise InvalidRequest("a recovery moves the keys to a new device")
            if set(pin_public_keys) != {k.enrolment_id for k in grant.keys}:
                raise InvalidRequest("send one PIN public key for each key of the recovery")
            # Everything is computed first; the rows change only once every reshare succeeded
            # (the frame commits its record even when a refusal ends the body).
            for granted in grant.keys:
                reshared = self._reshare(s, grant, granted, transport_public_key)
                done.append(reshared)
            # The application first: a refusal there changes nothing (a ticket used meanwhile
            # is this frame's refusal; an illegal transition rolls everything back).
            self.grants.redeem(
                s,
                grant,
                device_id=request.device_id,
                new_epochs={r.enrolment.enrolment_id: r.cosigner_key.epoch for r in done},
                now=now,
            )
            self._commit(s, grant, done, request, device, device_public_key, device_label, now)
            self._store(s, grant, done, pin_public_keys, request.device_id, now)
        return [r.answer for r in done]

    # -- one enrolment ----------------------------------------------------------------------

    def _reshare(
        self, session: Session, grant: RecoveryGrant, granted: GrantedKey, transport: bytes
    ) -> _Reshared:
        service = self.service
        enrolment = session.get(CosignerEnrolment, granted.enrolment_id, with_for_update=True)
        if enrolment is None or enrolment.holder != grant.holder:
            raise EnrolmentState("the recovery names a key the co-signer does not hold")
        if enrolment.epoch != granted.old_epoch or enrolment.device_id != grant.old_device_id:
            raise EnrolmentState("the key was reshared or moved since the recovery was approved")
        previous = PublicKeyPackage.from_bytes(enrolment.public_package)
        envelope = RecoveryEnvelope.from_bytes(enrolment.recovery_envelope)
        recovery_public_key = envelope.params.sealed_key_of(RECOVERY)
        assert recovery_public_key is not None  # enrolment parameters always seal to it
        params = device_reshare_parameters(
            secrets.token_bytes(16), previous, recovery_public_key, transport
        )
        authorization = self.authorizer.authorize(
            RecoveryAuthorization(
                grant.recovery_id,
                enrolment.enrolment_id,
                enrolment.group_public_key,
                enrolment.epoch,
                params.digest,
            )
        )
        stored = session.get(RecoveryShare, enrolment.enrolment_id)
        material = (
            RecoveryMaterial(enrolment.epoch, envelope=enrolment.recovery_envelope)
            if stored is None
            else RecoveryMaterial(stored.epoch, sealed_key_package=stored.sealed_key_package)
        )
        cosigner = DkgParticipant(params, COSIGNER, previous_share=service._key(enrolment))
        ours = cosigner.round1()
        theirs = DkgCommitment.from_bytes(
            self.agent.commit(authorization, params.to_bytes(), material)
        )
        if theirs.sender != RECOVERY:
            raise RecoveryAgentRefused("the recovery holder committed as another participant")
        commitments = [ours, theirs]
        public = cosigner.receive_commitments(commitments)
        agent_messages = [
            _round_two(m)
            for m in self.agent.deal(params.digest, [c.to_bytes() for c in commitments])
        ]
        our_messages = cosigner.round2()
        to_cosigner = [m for m in agent_messages if m.receiver == COSIGNER]
        for_device = [m for m in (*our_messages, *agent_messages) if m.receiver == DEVICE]
        to_recovery = [m for m in our_messages if m.receiver == RECOVERY]
        if not all(isinstance(m, SealedDkgShare) for m in for_device) or len(for_device) != 2:
            raise RecoveryAgentRefused("the device's pieces must both be sealed to it")
        key = cosigner.finish(to_cosigner)
        sealed_recovery = self.agent.finish(params.digest, [m.to_bytes() for m in to_recovery])
        if key.public != public or key.epoch != previous.epoch + 1:
            raise EnrolmentState("the reshare did not give the expected key set")
        unwrap = secrets.token_bytes(32)
        answer = RecoveredKey(
            enrolment.enrolment_id,
            enrolment.purpose,
            params.to_bytes(),
            tuple(c.to_bytes() for c in commitments),
            tuple(m.to_bytes() for m in for_device),
            public.to_bytes(),
            unwrap,
            tuple(
                bytes(f)
                for f in session.exec(
                    select(CosignerCertificate.fingerprint).where(
                        col(CosignerCertificate.enrolment_id) == enrolment.enrolment_id
                    )
                ).all()
            ),
        )
        return _Reshared(enrolment, granted, key, sealed_recovery, answer)

    # -- the one transaction's writes -------------------------------------------------------

    def _commit(
        self,
        session: Session,
        grant: RecoveryGrant,
        done: Sequence[_Reshared],
        request: SignedRequest,
        device: CosignerDevice | None,
        device_public_key: bytes,
        label: str,
        now: int,
    ) -> None:
        """The new device registered, the old one revoked (its requests refused from now)."""
        if device is None:
            session.add(
                CosignerDevice(
                    device_id=request.device_id,
                    public_key=device_public_key,
                    holder=grant.holder,
                    label=label[:200],
                    created_at=now,
                    last_seen_at=now,
                )
            )
            session.flush()
        old = session.get(CosignerDevice, grant.old_device_id)
        if old is not None and old.revoked_at is None:
            old.revoked_at = now
            session.add(old)
        _record(
            session,
            OperationRecord(
                "revoke_device",
                holder=grant.holder,
                device_id=request.device_id,
                detail=f"device {grant.old_device_id} replaced by recovery {grant.recovery_id}",
            ),
            now,
            subject=grant.old_device_id,
        )

    def _store(
        self,
        session: Session,
        grant: RecoveryGrant,
        done: Sequence[_Reshared],
        pin_public_keys: Mapping[str, bytes],
        device_id: str,
        now: int,
    ) -> None:
        kek = self.service._kek
        for item in done:
            e, key = item.enrolment, item.cosigner_key
            old_epoch, e.epoch = e.epoch, key.epoch
            e.device_id = device_id
            e.public_package = key.public.to_bytes()
            e.sealed_share = at_rest.seal(
                kek, at_rest.SHARE, e.enrolment_id, e.epoch, key.to_bytes()
            )
            e.sealed_unwrap = at_rest.seal(
                kek, at_rest.UNWRAP, e.enrolment_id, e.epoch, item.answer.unwrap_secret
            )
            e.pin_public_key = pin_public_keys[e.enrolment_id]
            e.pin_failures, e.locked_at = 0, None
            session.add(e)
            share = session.get(RecoveryShare, e.enrolment_id)
            if share is None:
                share = RecoveryShare(
                    enrolment_id=e.enrolment_id,
                    epoch=e.epoch,
                    sealed_key_package=item.sealed_recovery,
                    updated_at=now,
                )
            share.epoch, share.sealed_key_package, share.updated_at = (
                e.epoch,
                item.sealed_recovery,
                now,
            )
            session.add(share)
            _record(
                session,
                OperationRecord(
                    "recovery_reshare",
                    holder=grant.holder,
                    device_id=device_id,
                    enrolment_id=e.enrolment_id,
                    fingerprint=item.granted.fingerprint,
                    action=e.purpose,
                    digest=hashlib.sha256(e.public_package).digest(),
                    detail=(
                        f"recovery {grant.recovery_id}: epoch {old_epoch} -> {e.epoch}, "
                        f"device {grant.old_device_id} -> {device_id}"
                    ),
                ),
                now,
                subject=item.granted.fingerprint.hex(),
            )
            self.service._nonce_stores.pop(e.enrolment_id, None)  # old-epoch nonces


def _record(session: Session, record: OperationRecord, now: int, *, subject: str) -> None:
    """A co-signer record and its operation-log row, in the caller's transaction."""
    record.write(session, at=now, result=OK)
    traced = TracedOperation(
        actor=record.holder or record.device_id or "unknown device",
        operation=Operation.RECOVERY,
        subject=subject,
        digest=record.digest,
    )
    OperationLog(session.get_bind(), clock=lambda: now).append_in(session.connection(), traced)  # type: ignore[arg-type]


def _round_two(data: bytes) -> DkgSecretShare | SealedDkgShare:
    try:
        return DkgSecretShare.from_bytes(data)
    except KeysplitError:
        try:
            return SealedDkgShare.from_bytes(data)
        except KeysplitError as error:
            raise RecoveryAgentRefused("the recovery holder sent a malformed message") from error
