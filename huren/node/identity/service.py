"""Identity verification (实名认证) three ways: CFCA, Alipay face, bank card four factors.

Inputs are checked locally first (name, resident ID check character, card Luhn, phone), then
whether the account or the ID number is verified already, and only then is the provider
asked. Stored are keyed commitments (HMAC-SHA256 under a key derived from the node's account
secret) of the ID number and of name with ID number, the masked values to show, the method,
the provider's reference and the time: enough to match a later statement of name and ID
(enterprise claims, recovery) and to show the holder who they are, no more.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.accounts.errors import AccountNotFound
from huren.node.accounts.keys import derive_key
from huren.node.accounts.validation import normalize_phone
from huren.node.db.accounts_tables import Account
from huren.node.db.engine import write_session
from huren.node.db.identity_tables import AlipaySession, Identity
from huren.node.identity.checks import check_bank_card, check_resident_id
from huren.node.identity.errors import (
    AlreadyVerified,
    CertificationExpired,
    CertificationPending,
    IdentityMismatch,
    IdentityRejected,
    IdentityTaken,
    InvalidName,
    NotVerified,
    UnknownCertification,
)
from huren.node.ports import AlipayResult, PortRefused, Ports

__all__ = ["AlipayStarted", "IdentityMethod", "IdentityService", "VerifiedIdentity"]

Clock = Callable[[], float]
ALIPAY_SESSION_TTL_S = 15 * 60
_NAME = re.compile(r"[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z·• ]{0,28}[\u3400-\u9fffA-Za-z]?")


class IdentityMethod(enum.Enum):
    CFCA = "cfca"
    ALIPAY = "alipay"
    BANK_CARD = "bank_card"


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    account_id: str
    masked_name: str
    masked_id_number: str
    method: IdentityMethod
    verified_at: int

    @classmethod
    def of(cls, row: Identity) -> VerifiedIdentity:
        return cls(
            row.account_id,
            row.masked_name,
            row.masked_id_number,
            IdentityMethod(row.method),
            row.verified_at,
        )


@dataclass(frozen=True, slots=True)
class AlipayStarted:
    certify_id: str
    url: str  # open in Alipay to scan the face
    expires_in: int


def check_name(name: str) -> str:
    value = name.strip()
    if _NAME.fullmatch(value) is None:
        raise InvalidName("a name has 1-30 Chinese or Latin letters (and · between parts)")
    return value


def mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_id_number(id_number: str) -> str:
    return id_number[:3] + "*" * 11 + id_number[-4:]


@dataclass(frozen=True, slots=True)
class _Subject:
    """A checked name and ID number with their commitments and masks."""

    name: str
    id_number: str
    id_commitment: bytes
    name_commitment: bytes

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class IdentityService:
    def __init__(
        self, engine: Engine, ports: Ports, secret: bytes, *, clock: Clock = time.time
    ) -> None:
        self.engine = engine
        self.ports = ports
        self._key = derive_key(secret, "identity")
        self._clock = clock

    def now(self) -> int:
        return int(self._clock())

    def commitment(self, id_number: str) -> bytes:
        """The keyed commitment of a (checked) resident ID number, as stored."""
        value = check_resident_id(id_number)
        return hmac.new(self._key, f"id|{value}".encode(), hashlib.sha256).digest()

    def _subject(self, name: str, id_number: str) -> _Subject:
        name, id_number = check_name(name), check_resident_id(id_number)
        name_commitment = hmac.new(
            self._key, f"name|{id_number}|{name}".encode(), hashlib.sha256
        ).digest()
        return _Subject(name, id_number, self.commitment(id_number), name_commitment)

    # -- the three methods -----------------------------------------------------------------

    def verify_cfca(self, account_id: str, name: str, id_number: str) -> VerifiedIdentity:
        subject = self._subject(name, id_number)
        self._may_verify(account_id, subject)
        reference = self._ask(lambda: self.ports.cfca.verify(subject.name, subject.id_number))
        return self._record(account_id, subject, IdentityMethod.CFCA, reference)

    def verify_bank_card(
        self, account_id: str, name: str, id_number: str, card_number: str, phone: str
    ) -> VerifiedIdentity:
        subject = self._subject(name, id_number)
        card, phone = check_bank_card(card_number), normalize_phone(phone)
        self._may_verify(account_id, subject)
        reference = self._ask(
            lambda: self.ports.bank.verify(subject.name, subject.id_number, card, phone)
        )
        return self._record(account_id, subject, IdentityMethod.BANK_CARD, reference)

    def start_alipay(self, account_id: str, name: str, id_number: str) -> AlipayStarted:
        subject = self._subject(name, id_number)
        self._may_verify(account_id, subject)
        started = self.ports.alipay.start(subject.name, subject.id_number)
        now = self.now()
        with write_session(self.engine) as session:
            session.add(
                AlipaySession(
                    certify_id=started.certify_id,
                    account_id=account_id,
                    id_commitment=subject.id_commitment,
                    name_commitment=subject.name_commitment,
                    masked_name=subject.masked_name,
                    masked_id_number=subject.masked_id_number,
                    created_at=now,
                    expires_at=now + ALIPAY_SESSION_TTL_S,
                )
            )
        return AlipayStarted(started.certify_id, started.url, ALIPAY_SESSION_TTL_S)

    def complete_alipay(self, account_id: str, certify_id: str) -> VerifiedIdentity:
        """Ask Alipay how the face check went and record the identity when it passed."""
        with Session(self.engine) as session:
            pending = session.get(AlipaySession, certify_id)
        if pending is None or pending.account_id != account_id:
            raise UnknownCertification(f"no face certification {certify_id} of this account")
        if pending.completed_at is not None:
            raise AlreadyVerified("this certification was completed already")
        if self.now() >= pending.expires_at:
            raise CertificationExpired("the face certification expired; start again")
        result = self.ports.alipay.result(certify_id)
        if result is AlipayResult.PENDING:
            raise CertificationPending("the face check is not finished in Alipay yet")
        if result is AlipayResult.FAILED:
            raise IdentityRejected("face_failed", "Alipay's face check did not pass")
        row = Identity(
            account_id=account_id,
            id_commitment=pending.id_commitment,
            name_commitment=pending.name_commitment,
            masked_name=pending.masked_name,
            masked_id_number=pending.masked_id_number,
            method=IdentityMethod.ALIPAY.value,
            provider_reference=certify_id,
            verified_at=self.now(),
        )
        return self._insert(row, completes=certify_id)

    # -- reading and matching --------------------------------------------------------------

    def identity(self, account_id: str) -> VerifiedIdentity | None:
        with Session(self.engine) as session:
            row = session.get(Identity, account_id)
        return None if row is None else VerifiedIdentity.of(row)

    def check_matches(self, account_id: str, name: str, id_number: str) -> None:
        """``IdentityMismatch`` unless name and ID number are the account's verified
        identity (``NotVerified`` when it has none)."""
        subject = self._subject(name, id_number)
        with Session(self.engine) as session:
            row = session.get(Identity, account_id)
        if row is None:
            raise NotVerified("the account has no verified identity")
        same_id = hmac.compare_digest(row.id_commitment, subject.id_commitment)
        if not (same_id and hmac.compare_digest(row.name_commitment, subject.name_commitment)):
            raise IdentityMismatch("the name and ID number are not the account's identity")

    # -- helpers -----------------------------------------------------------------------------

    def _may_verify(self, account_id: str, subject: _Subject) -> None:
        with Session(self.engine) as session:
            if session.get(Account, account_id) is None:
                raise AccountNotFound(f"no account {account_id}")
            if session.get(Identity, account_id) is not None:
                raise AlreadyVerified("the account's identity is verified already")
            taken = session.exec(
                select(Identity.account_id).where(
                    col(Identity.id_commitment) == subject.id_commitment
                )
            ).first()
        if taken is not None:
            raise IdentityTaken("this ID number is verified for another account")

    @staticmethod
    def _ask(call: Callable[[], str]) -> str:
        try:
            return call()
        except PortRefused as refused:
            raise IdentityRejected(refused.reason, str(refused)) from None

    def _record(
        self, account_id: str, subject: _Subject, method: IdentityMethod, reference: str
    ) -> VerifiedIdentity:
        row = Identity(
            account_id=account_id,
            id_commitment=subject.id_commitment,
            name_commitment=subject.name_commitment,
            masked_name=subject.masked_name,
            masked_id_number=subject.masked_id_number,
            method=method.value,
            provider_reference=reference[:64],
            verified_at=self.now(),
        )
        return self._insert(row)

    def _insert(self, row: Identity, completes: str | None = None) -> VerifiedIdentity:
        identity = VerifiedIdentity.of(row)
        try:
            with write_session(self.engine) as session:
                session.add(row)
                if completes is not None:
                    pending = session.get(AlipaySession, completes)
                    assert pending is not None
                    pending.completed_at = self.now()
                    session.add(pending)
        except IntegrityError:  # a concurrent verification won between the check and now
            with Session(self.engine) as session:
                if session.get(Identity, identity.account_id) is not None:
                    raise AlreadyVerified("the account's identity is verified already") from None
            raise IdentityTaken("this ID number is verified for another account") from None
        return identity
