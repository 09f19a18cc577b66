"""The frame every co-signer operation runs in (:class:`ServiceFrame`); the operations
themselves are in :mod:`.service`.

Every operation takes the device's :class:`~.auth.SignedRequest` and works in one write
transaction: authenticate the device (signature, clock, nonce), find the enrolment, check
the lock and the PIN proof, check that the certificate is bound to the key and recognized
at the platform for the action, take part, write the operation record, commit, and only
then hand out the result. A refusal is recorded and committed too (a PIN failure counts).

Nonces and the state between two rounds live in this object's memory, so one process must
serve both rounds of a signing (as the keysplit nonce store requires).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.cosigner import at_rest, wire
from huren.node.cosigner.auth import SignedRequest, authenticate
from huren.node.cosigner.enrolment import (
    SIGNING,
    PendingEnrolment,
)
from huren.node.cosigner.errors import (
    CertificateNotBound,
    CosignerError,
    InvalidRequest,
    KeyLocked,
    NotRecognized,
    PinProofFailed,
    UnknownEnrolment,
)
from huren.node.cosigner.records import OK, OperationRecord
from huren.node.db.cosigner_tables import CosignerCertificate, CosignerDevice, CosignerEnrolment
from huren.node.db.engine import write_session
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.frost import SigningCommitment
from huren.node.keysplit.keys import KeyPackage
from huren.node.keysplit.signer import NonceStore
from huren.node.recognition import IndexCache, RecognitionError, recognize
from huren.registry.errors_base import RegistryError
from huren.registry.types import Right

MAX_PIN_FAILURES = 5
ENROLMENT_TTL_S = 600
SIGNING_TTL_S = 120
MAX_MESSAGE = 4096
MAX_PENDING = 10_000
# encrypt: the holder signs its choice of a bid file's recipients (huren.node.scan.bid_wire)
ACTIONS = {"login": Right.LOGIN, "sign": Right.SIGN, "seal": Right.SEAL, "encrypt": Right.SIGN}

Clock = Callable[[], int]
T = TypeVar("T")


def wall_clock() -> int:
    return int(time.time())


@dataclass(frozen=True, slots=True)
class EnrolmentStarted:
    enrolment_id: str
    parameters: bytes  # DkgParameters
    commitment: bytes  # the co-signer's DkgCommitment


@dataclass(frozen=True, slots=True)
class EnrolmentFinished:
    public_package: bytes
    secret_share: bytes  # the co-signer's DkgSecretShare for the device
    unwrap_secret: bytes


@dataclass(frozen=True, slots=True)
class SigningStarted:
    signing_id: str
    commitment: bytes
    unwrap_secret: bytes


@dataclass(frozen=True, slots=True)
class PendingSigning:
    device_id: str
    enrolment_id: str
    message: bytes
    commitment: SigningCommitment
    record: OperationRecord
    expires_at: int
    # Kept from round one (validating a share costs ~2 ms); no more exposed in memory than
    # the nonces kept beside it, and gone with them.
    key: KeyPackage = field(repr=False)


class Pending(Generic[T]):
    """State kept between two rounds, by a random id, until it expires (bounded in size)."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._items: OrderedDict[str, tuple[int, T]] = OrderedDict()

    def put(self, key: str, value: T, *, expires_at: int, now: int) -> None:
        with self._lock:
            for old in [k for k, (at, _) in self._items.items() if at < now]:
                del self._items[old]
            self._items[key] = (expires_at, value)
            while len(self._items) > MAX_PENDING:
                self._items.popitem(last=False)

    def peek(self, key: str, *, now: int) -> T | None:
        """The value, left in place; None when unknown or expired."""
        with self._lock:
            entry = self._items.get(key)
        if entry is None or entry[0] < now:
            return None
        return entry[1]

    def take(self, key: str, *, now: int) -> T | None:
        """The value once (it is removed), or None when unknown or expired."""
        with self._lock:
            entry = self._items.pop(key, None)
        if entry is None or entry[0] < now:
            return None
        return entry[1]


class ServiceFrame:
    def __init__(
        self,
        engine: Engine,
        kek: bytes,
        *,
        clock: Clock = wall_clock,
        index_cache: IndexCache | None = None,
    ) -> None:
        if len(kek) != at_rest.KEK_BYTES:
            raise ValueError("the key-encryption key is 32 bytes")
        self.engine = engine
        self.clock = clock
        self._kek = kek
        self._index_cache = index_cache
        self._lock = threading.Lock()
        self._enrolments: Pending[PendingEnrolment] = Pending(self._lock)
        self._signings: Pending[PendingSigning] = Pending(self._lock)
        self._nonce_stores: OrderedDict[str, NonceStore] = OrderedDict()

    # -- the frame of every operation ---------------------------------------------------------

    @contextlib.contextmanager
    def _operation(
        self,
        record: OperationRecord | None,
        request: SignedRequest,
        *,
        public_key: bytes | None = None,
    ) -> Iterator[tuple[Session, CosignerDevice | None, int]]:
        """One write transaction: authenticate, run the body, write ``record`` (None for
        reads) with the outcome, commit, and only then raise the body's refusal if any."""
        now = self.clock()
        failure: CosignerError | KeysplitError | None = None
        with write_session(self.engine) as session:
            device = authenticate(session, request, now=now, public_key=public_key)
            try:
                yield session, device, now
            except (CosignerError, KeysplitError) as error:
                failure = error
            if record is not None:
                record.device_id = request.device_id
                if record.holder is None and device is not None:
                    record.holder = device.holder
                record.write(session, at=now, result=OK if failure is None else failure.code)
        if failure is not None:
            raise failure

    def _enrolment(
        self,
        session: Session,
        device: CosignerDevice | None,
        enrolment_id: str,
        purpose: str | None,
    ) -> CosignerEnrolment:
        enrolment = session.get(CosignerEnrolment, enrolment_id, with_for_update=True)
        if device is None or enrolment is None or enrolment.device_id != device.device_id:
            raise UnknownEnrolment("no such enrolment on this device")
        if purpose is not None and enrolment.purpose != purpose:
            raise InvalidRequest(f"this is a{'n' if purpose != SIGNING else ''} {purpose} key")
        return enrolment

    def _check_pin(
        self, session: Session, enrolment: CosignerEnrolment, request: SignedRequest, now: int
    ) -> None:
        """The lock, then the PIN proof; a wrong proof counts, the fifth in a row locks."""
        if enrolment.locked_at is not None:
            raise KeyLocked("the key is locked after 5 wrong PINs; verify your identity again")
        if request.pin_proof is None:
            raise PinProofFailed("this operation needs a PIN proof", MAX_PIN_FAILURES)
        try:
            wire.verify_ed25519(
                enrolment.pin_public_key,
                wire.pin_proof_message(request.message),
                request.pin_proof,
                refusal=PinProofFailed("wrong PIN", 0),
            )
        except PinProofFailed:
            enrolment.pin_failures += 1
            if enrolment.pin_failures >= MAX_PIN_FAILURES:
                enrolment.locked_at = now
            session.add(enrolment)
            remaining = MAX_PIN_FAILURES - enrolment.pin_failures
            if remaining <= 0:
                raise KeyLocked(
                    "5 wrong PINs: the key is locked until identity is verified"
                ) from None
            raise PinProofFailed(f"wrong PIN; {remaining} tries left", remaining) from None
        if enrolment.pin_failures:
            enrolment.pin_failures = 0
            session.add(enrolment)

    def _check_certificate(
        self,
        session: Session,
        enrolment: CosignerEnrolment,
        fingerprint: bytes,
        platform_id: str,
        action: Right,
    ) -> None:
        bound = session.get(CosignerCertificate, fingerprint)
        if bound is None or bound.enrolment_id != enrolment.enrolment_id:
            raise CertificateNotBound("no certificate with this fingerprint is bound to the key")
        try:
            answer = recognize(
                session,
                fingerprint,
                platform_id,
                action,
                cache=self._index_cache,
                clock=lambda: datetime.fromtimestamp(self.clock(), UTC),
            )
        except (RecognitionError, RegistryError) as error:
            raise InvalidRequest(str(error)) from error
        if not answer.recognized:
            reasons = answer.reason_codes
            raise NotRecognized(
                f"the certificate is not recognized at {platform_id}: {', '.join(reasons)}",
                reasons,
            )

    def _key(self, enrolment: CosignerEnrolment) -> KeyPackage:
        share = at_rest.open_sealed(
            self._kek,
            at_rest.SHARE,
            enrolment.enrolment_id,
            enrolment.epoch,
            enrolment.sealed_share,
        )
        return KeyPackage.from_bytes(share)

    def _unwrap(self, enrolment: CosignerEnrolment) -> bytes:
        return at_rest.open_sealed(
            self._kek,
            at_rest.UNWRAP,
            enrolment.enrolment_id,
            enrolment.epoch,
            enrolment.sealed_unwrap,
        )

    def _nonces(self, enrolment_id: str) -> NonceStore:
        with self._lock:
            store = self._nonce_stores.pop(enrolment_id, None) or NonceStore()
            self._nonce_stores[enrolment_id] = store
            while len(self._nonce_stores) > MAX_PENDING:
                self._nonce_stores.popitem(last=False)
            return store
