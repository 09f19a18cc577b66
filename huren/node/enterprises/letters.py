"""Sealed letters (授权书): what an enterprise admin seals with the enterprise certificate.

The manual's 确认并盖章 (2.7.2, 2.11.4.4.1, 2.11.5.1): the admin confirms a statement, picks
the enterprise certificate, enters the PIN and seals. Here a letter is a canonical, versioned
byte statement signed with Ed25519 by the enterprise's signing certificate (in production the
phone's split key signs the same bytes with the co-signer: FROST gives an ordinary Ed25519
signature). The statement, UTF-8, one ``name: value`` line each, in this order::

    huren authorization letter v1
    kind: join_approval | authorization_grant | admin_transfer | staff_certificate
    enterprise: <USCC>
    subject: <what is approved: application id, staff certificate fingerprint (hex), account id>
    rights: <right names joined by "," in bit order: login,sign,seal,encrypt,decrypt; or "-">
    platforms: <platform ids sorted, joined by ","; or "-">
    nonce: <32 lowercase hex digits>
    issued_at: <unix seconds>

with a final newline. ``LetterStatement.decode`` accepts only exactly what ``encode`` writes
(anything else is ``InvalidLetter``), so one statement has one byte form and a signature
cannot be carried to a differently written copy.

``accept_letter`` checks, raising a typed ``LetterError``: the statement says what the
action does (kind, enterprise, subject, rights, platforms), it was issued within
``LETTER_WINDOW_S`` of now, the signature verifies under the certificate's Ed25519 key, the
certificate is an enterprise signing certificate of this enterprise (its organizationIdentifier
``NTRCN-<USCC>``), held by the admin (issued to the admin's account on this node), recorded in
the index, its CA accredited now, not revoked and within its validity; and its nonce was not
accepted before. The accepted letter is stored (``sealed_letters``) in the caller's
transaction, so it exists if and only if the action it approves commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from huren.node.db.applications_tables import HeldCertificate
from huren.node.db.authorizations_tables import SealedLetterRecord
from huren.node.db.enterprises_tables import Enterprise
from huren.node.db.models import Ca, Certificate
from huren.node.enterprises import EnterpriseError
from huren.node.recognition import NOW, evaluate
from huren.registry.types import CertificateKind, KeyUsage, Reason, Right

__all__ = [
    "LETTER_WINDOW_S",
    "Expected",
    "InvalidLetter",
    "LetterCertificateNotHeld",
    "LetterCertificateRefused",
    "LetterError",
    "LetterExpired",
    "LetterKind",
    "LetterMismatch",
    "LetterReplayed",
    "LetterRequired",
    "LetterSignatureInvalid",
    "LetterStatement",
    "SealedLetter",
    "accept_letter",
    "rights_of_names",
    "seal_with_key",
]

HEADER = "huren authorization letter v1"
LETTER_WINDOW_S = 600  # a letter is sealed just before it is sent; ten minutes either way
MAX_STATEMENT = 4096
MAX_PLATFORMS = 32
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,65}")
_SUBJECT = re.compile(r"[0-9a-f]{16,64}")
_RIGHT_NAMES = tuple((r.name or "").lower() for r in Right)  # bit order
_NTRCN = "NTRCN-"
NO_RIGHTS = Right(0)


class LetterError(EnterpriseError):
    """Root of the sealed letters' errors."""

    status = 422
    code = "INVALID_LETTER"


class InvalidLetter(LetterError, ValueError):
    """Not a canonical statement, or a malformed signature or certificate."""


class LetterRequired(LetterError):
    code = "LETTER_REQUIRED"


class LetterMismatch(LetterError):
    """The statement approves something else than the action it was sent with."""

    code = "LETTER_MISMATCH"


class LetterExpired(LetterError):
    code = "LETTER_EXPIRED"


class LetterSignatureInvalid(LetterError):
    code = "LETTER_SIGNATURE_INVALID"


class LetterCertificateNotHeld(LetterError):
    """Not an enterprise certificate of this enterprise held by its admin."""

    status = 403
    code = "LETTER_CERTIFICATE_NOT_HELD"


class LetterCertificateRefused(LetterError):
    """The certificate is not usable now: unknown to the index, revoked, expired, its CA
    not accredited (``reasons`` says which)."""

    status = 403
    code = "LETTER_CERTIFICATE_REFUSED"

    def __init__(self, message: str, reasons: Reason = Reason.UNKNOWN_CERTIFICATE) -> None:
        super().__init__(message)
        self.reasons = reasons


class LetterReplayed(LetterError):
    status = 409
    code = "LETTER_REPLAYED"


class LetterKind(StrEnum):
    JOIN_APPROVAL = "join_approval"  # 管理员同意用户加入企业 (2.7.2)
    AUTHORIZATION_GRANT = "authorization_grant"  # 新增授权 (2.11.5.1)
    ADMIN_TRANSFER = "admin_transfer"  # 有证转授管理员 (2.11.4.4.1)
    # 管理员同意办事人员申领、续期或重新申领企业证书 (2.12.2.1, .3, .5): the subject is the
    # application id, as for a join; its own kind so a join's letter cannot approve it.
    STAFF_CERTIFICATE = "staff_certificate"


def rights_of_names(names: Sequence[str]) -> Right:
    """``["login", "sign"]`` -> ``Right.LOGIN | Right.SIGN``; ``InvalidLetter`` otherwise."""
    rights = Right(0)
    for name in names:
        if name not in _RIGHT_NAMES:
            raise InvalidLetter(f"unknown right {name!r}; rights are {', '.join(_RIGHT_NAMES)}")
        rights |= Right[name.upper()]
    return rights


def _rights_text(rights: Right) -> str:
    names = [n for r, n in zip(Right, _RIGHT_NAMES, strict=True) if rights & r]
    return ",".join(names) or "-"


@dataclass(frozen=True, slots=True)
class LetterStatement:
    """What a letter says; validated when built (``InvalidLetter``)."""

    kind: LetterKind
    uscc: str
    subject: str
    rights: Right = NO_RIGHTS
    platforms: tuple[str, ...] = ()
    nonce: bytes = b""
    issued_at: int = 0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", LetterKind(self.kind))
        except ValueError:
            raise InvalidLetter(f"unknown letter kind {self.kind!r}") from None
        if not isinstance(self.uscc, str) or re.fullmatch(r"[0-9A-Z]{18}", self.uscc) is None:
            raise InvalidLetter("the enterprise is its 18-character USCC")
        if not isinstance(self.subject, str) or _SUBJECT.fullmatch(self.subject) is None:
            raise InvalidLetter("the subject is 16..64 lowercase hex digits")
        if not isinstance(self.rights, int) or not 0 <= int(self.rights) <= int(Right(31)):
            raise InvalidLetter("rights are a set of login, sign, seal, encrypt, decrypt")
        object.__setattr__(self, "rights", Right(int(self.rights)))
        platforms = tuple(self.platforms)
        if len(platforms) > MAX_PLATFORMS or any(
            not isinstance(p, str) or _ID.fullmatch(p) is None for p in platforms
        ):
            raise InvalidLetter(f"at most {MAX_PLATFORMS} platform ids (lowercase, 1..66)")
        if len(set(platforms)) != len(platforms):
            raise InvalidLetter("a platform is named once")
        object.__setattr__(self, "platforms", tuple(sorted(platforms)))
        if not isinstance(self.nonce, bytes) or len(self.nonce) != 16:
            raise InvalidLetter("a nonce is 16 random bytes")
        if not isinstance(self.issued_at, int) or not 0 < self.issued_at < 2**63:
            raise InvalidLetter("issued_at is unix seconds")

    @classmethod
    def new(
        cls,
        kind: LetterKind,
        uscc: str,
        subject: str,
        *,
        now: int,
        rights: Right = NO_RIGHTS,
        platforms: tuple[str, ...] = (),
    ) -> LetterStatement:
        """A fresh statement (random nonce) issued at ``now``."""
        return cls(kind, uscc, subject, rights, platforms, secrets.token_bytes(16), now)

    def encode(self) -> bytes:
        lines = (
            HEADER,
            f"kind: {self.kind.value}",
            f"enterprise: {self.uscc}",
            f"subject: {self.subject}",
            f"rights: {_rights_text(self.rights)}",
            f"platforms: {','.join(self.platforms) or '-'}",
            f"nonce: {self.nonce.hex()}",
            f"issued_at: {self.issued_at}",
        )
        return ("\n".join(lines) + "\n").encode()

    @classmethod
    def decode(cls, data: bytes) -> LetterStatement:
        """The statement of ``data``, which must be exactly its canonical form."""
        if not isinstance(data, bytes) or len(data) > MAX_STATEMENT:
            raise InvalidLetter(f"a statement has at most {MAX_STATEMENT} bytes")
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidLetter("a statement is ASCII text") from None
        lines = text.split("\n")
        names = ("kind", "enterprise", "subject", "rights", "platforms", "nonce", "issued_at")
        if len(lines) != len(names) + 2 or lines[0] != HEADER or lines[-1] != "":
            raise InvalidLetter(f"not a statement of {HEADER!r}")
        values: dict[str, str] = {}
        for name, line in zip(names, lines[1:-1], strict=True):
            prefix = f"{name}: "
            if not line.startswith(prefix):
                raise InvalidLetter(f"expected the {name} line")
            values[name] = line[len(prefix) :]
        try:
            nonce = bytes.fromhex(values["nonce"])
            issued_at = int(values["issued_at"])
        except ValueError:
            raise InvalidLetter("nonce is hex, issued_at an integer") from None
        rights = values["rights"]
        platforms = values["platforms"]
        statement = cls(
            kind=values["kind"],  # type: ignore[arg-type]  # validated in __post_init__
            uscc=values["enterprise"],
            subject=values["subject"],
            rights=Right(0) if rights == "-" else rights_of_names(rights.split(",")),
            platforms=() if platforms == "-" else tuple(platforms.split(",")),
            nonce=nonce,
            issued_at=issued_at,
        )
        if statement.encode() != data:
            raise InvalidLetter("the statement is not in its canonical form")
        return statement


@dataclass(frozen=True, slots=True)
class SealedLetter:
    """The statement's bytes, the Ed25519 signature over them and the signing enterprise
    certificate (DER)."""

    statement: bytes
    signature: bytes
    certificate_der: bytes

    @classmethod
    def from_pem(cls, statement: bytes, signature: bytes, certificate_pem: str) -> SealedLetter:
        try:
            cert = x509.load_pem_x509_certificate(certificate_pem.encode())
        except (ValueError, TypeError):
            raise InvalidLetter("the certificate is not a PEM X.509 certificate") from None
        return cls(statement, signature, cert.public_bytes(serialization.Encoding.DER))


def seal_with_key(
    statement: LetterStatement, key: ed25519.Ed25519PrivateKey, certificate_der: bytes
) -> SealedLetter:
    """Seal with a whole Ed25519 key (tests, tools): the phone seals the same bytes with its
    split key instead."""
    data = statement.encode()
    return SealedLetter(data, key.sign(data), certificate_der)


@dataclass(frozen=True, slots=True)
class Expected:
    """What the action needs the letter to say."""

    kind: LetterKind
    subject: str
    rights: Right = NO_RIGHTS
    platforms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AcceptedLetter:
    statement: LetterStatement
    certificate_fingerprint: bytes


def accept_letter(
    session: Session,
    letter: SealedLetter | None,
    *,
    enterprise: Enterprise,
    admin_id: str,
    expected: Expected,
    now: int,
) -> AcceptedLetter:
    """Check ``letter`` (see the module docstring) and store it in ``session``."""
    if letter is None:
        raise LetterRequired("this approval is sealed with the enterprise certificate")
    statement = LetterStatement.decode(letter.statement)
    _check_says(statement, enterprise, expected)
    if abs(now - statement.issued_at) > LETTER_WINDOW_S:
        raise LetterExpired(f"a letter is accepted within {LETTER_WINDOW_S} s of its issuing")
    try:
        cert = x509.load_der_x509_certificate(letter.certificate_der)
    except ValueError:
        raise InvalidLetter("the certificate is not an X.509 certificate") from None
    public_key = cert.public_key()
    if not isinstance(public_key, ed25519.Ed25519PublicKey):
        raise LetterCertificateNotHeld("a letter is sealed with an Ed25519 signing certificate")
    if not isinstance(letter.signature, bytes) or len(letter.signature) != 64:
        raise LetterSignatureInvalid("an Ed25519 signature has 64 bytes")
    try:
        public_key.verify(letter.signature, letter.statement)
    except InvalidSignature:
        raise LetterSignatureInvalid("the seal does not verify under the certificate") from None
    fingerprint = hashlib.sha256(letter.certificate_der).digest()
    _check_certificate(session, cert, fingerprint, enterprise, admin_id, now)
    if session.get(SealedLetterRecord, statement.nonce) is not None:
        raise LetterReplayed("this letter was accepted before")
    record = SealedLetterRecord(
        nonce=statement.nonce,
        enterprise_id=enterprise.id,
        account_id=admin_id,
        kind=statement.kind.value,
        subject=statement.subject,
        statement=letter.statement,
        signature=letter.signature,
        certificate_fingerprint=fingerprint,
        accepted_at=now,
    )
    try:  # a concurrent transaction accepting the same letter loses on the primary key
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise LetterReplayed("this letter was accepted before") from None
    return AcceptedLetter(statement, fingerprint)


def _check_says(statement: LetterStatement, enterprise: Enterprise, expected: Expected) -> None:
    wanted = {
        "kind": (statement.kind, expected.kind),
        "enterprise": (statement.uscc, enterprise.uscc),
        "subject": (statement.subject, expected.subject),
        "rights": (statement.rights, expected.rights),
        "platforms": (statement.platforms, tuple(sorted(expected.platforms))),
    }
    wrong = [name for name, (said, want) in wanted.items() if said != want]
    if wrong:
        raise LetterMismatch(f"the letter states another {', '.join(wrong)}")


def _check_certificate(
    session: Session,
    cert: x509.Certificate,
    fingerprint: bytes,
    enterprise: Enterprise,
    admin_id: str,
    now: int,
) -> None:
    identifiers = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    if [a.value for a in identifiers] != [_NTRCN + enterprise.uscc]:
        raise LetterCertificateNotHeld("the certificate is not this enterprise's")
    held = session.get(HeldCertificate, fingerprint)
    if held is None or held.account_id != admin_id:
        raise LetterCertificateNotHeld("the certificate is not held by the enterprise's admin")
    record = session.get(Certificate, fingerprint)
    if record is None:
        raise LetterCertificateRefused(
            "the certificate is not recorded", Reason.UNKNOWN_CERTIFICATE
        )
    if record.kind != CertificateKind.ENTERPRISE or record.usage != KeyUsage.SIGNING:
        raise LetterCertificateNotHeld("a letter is sealed with an enterprise signing certificate")
    ca = session.get(Ca, record.ca_id)
    # The rule of recognition without a platform: platform reasons do not apply to a letter.
    reasons = evaluate(record, ca, None, None, None, Right.SEAL, now, NOW)
    reasons &= ~(Reason.UNKNOWN_PLATFORM | Reason.PLATFORM_RETIRED | Reason.OUT_OF_SCOPE)
    if reasons:
        raise LetterCertificateRefused(
            f"the certificate is not usable now ({reasons!r})", Reason(reasons)
        )
