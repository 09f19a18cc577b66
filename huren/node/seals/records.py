"""Seal records: the pure domain model, its rules, and the repository port.

Kinds (the manual, 2.11.3): an enterprise has its enterprise seal (公章), the legal
representative's seal (法人章) and the legal representative's handwritten signature
(法人手写签名); a person has up to three personal seals (电子私章). Personal data stays off
chain: a record holds the image and its SHA-256, never the holder's name or ID number.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from huren.node.seals.errors import InvalidSealRecord, SealLimitReached, SealNotFound

__all__ = [
    "KIND_LIMITS",
    "MAX_PERSONAL_SEALS",
    "InMemorySealRepository",
    "OwnerKind",
    "SealImageSource",
    "SealKind",
    "SealOwner",
    "SealRecord",
    "SealRepository",
    "needs_seal_extraction",
    "personal_seal_for_certificate",
]

MAX_PERSONAL_SEALS = 3


class SealKind(StrEnum):
    ENTERPRISE = "enterprise"  # 公章 (and special-purpose seals such as 合同专用章)
    LEGAL_REPRESENTATIVE = "legal_representative"  # 法人章
    LEGAL_REPRESENTATIVE_SIGNATURE = "legal_representative_signature"  # 法人手写签名
    PERSONAL = "personal"  # 电子私章

    @property
    def owner_kind(self) -> OwnerKind:
        return OwnerKind.PERSON if self is SealKind.PERSONAL else OwnerKind.ENTERPRISE


class OwnerKind(StrEnum):
    ENTERPRISE = "enterprise"
    PERSON = "person"


class SealImageSource(StrEnum):
    RENDERED = "rendered"  # custom style (自定义样式)
    PHOTO = "photo"  # extracted from a photo of a stamped template (拍照上传)
    HANDWRITING = "handwriting"  # uploaded PNG (手写签名)


# How many records of a kind one owner may hold. Personal: the manual's three. The enterprise
# kinds are "add and edit" in the manual: one legal representative seal and signature; a few
# enterprise seals, since special-purpose seals (contract, finance) are enterprise seals too.
KIND_LIMITS: dict[SealKind, int] = {
    SealKind.ENTERPRISE: 5,
    SealKind.LEGAL_REPRESENTATIVE: 1,
    SealKind.LEGAL_REPRESENTATIVE_SIGNATURE: 1,
    SealKind.PERSONAL: MAX_PERSONAL_SEALS,
}

# A signature is handwriting; a seal is stamped (photo) or drawn; a personal seal may be
# either, since the manual's template takes a stamp or a signed name.
ALLOWED_SOURCES: dict[SealKind, frozenset[SealImageSource]] = {
    SealKind.ENTERPRISE: frozenset({SealImageSource.RENDERED, SealImageSource.PHOTO}),
    SealKind.LEGAL_REPRESENTATIVE: frozenset({SealImageSource.RENDERED, SealImageSource.PHOTO}),
    SealKind.LEGAL_REPRESENTATIVE_SIGNATURE: frozenset({SealImageSource.HANDWRITING}),
    SealKind.PERSONAL: frozenset(SealImageSource),
}

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LABEL_MAX = 40


@dataclass(frozen=True, slots=True)
class SealOwner:
    kind: OwnerKind
    owner_id: str  # enterprise id or person id as the accounts/enterprise services name them

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.owner_id):
            raise InvalidSealRecord("owner id: 1-64 of A-Z a-z 0-9 _ -")


@dataclass(frozen=True, slots=True)
class SealRecord:
    seal_id: str
    owner: SealOwner
    kind: SealKind
    source: SealImageSource
    label: str
    image_png: bytes
    image_sha256: str
    created_at: int  # unix seconds, from the injected clock
    updated_at: int

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.seal_id):
            raise InvalidSealRecord("seal id: 1-64 of A-Z a-z 0-9 _ -")
        if self.kind.owner_kind is not self.owner.kind:
            owner = self.kind.owner_kind.value
            raise InvalidSealRecord(f"a {self.kind.value} seal belongs to an {owner}")
        if self.source not in ALLOWED_SOURCES[self.kind]:
            raise InvalidSealRecord(f"a {self.kind.value} cannot come from {self.source.value}")
        if len(self.label) > _LABEL_MAX:
            raise InvalidSealRecord(f"label: at most {_LABEL_MAX} characters")
        if any(unicodedata.category(c)[0] == "C" for c in self.label):
            # control, format and surrogate code points (NUL: PostgreSQL's text refuses it)
            raise InvalidSealRecord("label: no control or format characters")
        if hashlib.sha256(self.image_png).hexdigest() != self.image_sha256:
            raise InvalidSealRecord("image digest does not match the image")
        if self.updated_at < self.created_at:
            raise InvalidSealRecord("updated before created")

    @classmethod
    def create(
        cls,
        *,
        seal_id: str,
        owner: SealOwner,
        kind: SealKind,
        source: SealImageSource,
        image_png: bytes,
        now: int,
        label: str = "",
    ) -> SealRecord:
        return cls(
            seal_id=seal_id,
            owner=owner,
            kind=kind,
            source=source,
            label=label,
            image_png=image_png,
            image_sha256=hashlib.sha256(image_png).hexdigest(),
            created_at=now,
            updated_at=now,
        )

    def with_image(
        self, image_png: bytes, source: SealImageSource, now: int, label: str | None = None
    ) -> SealRecord:
        return replace(
            self,
            image_png=image_png,
            image_sha256=hashlib.sha256(image_png).hexdigest(),
            source=source,
            label=self.label if label is None else label,
            updated_at=now,
        )


def personal_seal_for_certificate(seals: Iterable[SealRecord]) -> SealRecord | None:
    """The personal seal a personal-certificate application reuses, if the person has one.

    The manual (2.11.3.2): when the person already has a personal seal, applying for a
    personal certificate does not extract one from the application form again. The oldest
    seal is reused (the one the first certificate brought), ties broken by id.
    """
    personal = [s for s in seals if s.kind is SealKind.PERSONAL]
    owners = {s.owner for s in personal}
    if len(owners) > 1:
        raise InvalidSealRecord("seals of several people were passed for one application")
    if not personal:
        return None
    return min(personal, key=lambda s: (s.created_at, s.seal_id))


def needs_seal_extraction(seals: Iterable[SealRecord]) -> bool:
    """Whether the application must extract a seal from the uploaded form (抠章)."""
    return personal_seal_for_certificate(seals) is None


class SealRepository(Protocol):
    """Storage of seal records (SQL later; ``InMemorySealRepository`` for tests and dev)."""

    def add(self, record: SealRecord, *, limit: int) -> None:
        """Store a new record, atomically refusing with ``SealLimitReached`` when its
        owner already holds ``limit`` records of its kind (two concurrent adds cannot both
        pass)."""
        ...

    def get(self, seal_id: str) -> SealRecord:
        """The record, or ``SealNotFound``."""
        ...

    def update(self, record: SealRecord) -> None:
        """Replace an existing record (same id), or ``SealNotFound``."""
        ...

    def delete(self, seal_id: str) -> None:
        """Remove a record, or ``SealNotFound``."""
        ...

    def list_for(self, owner: SealOwner) -> Sequence[SealRecord]:
        """The owner's records, oldest first."""
        ...


class InMemorySealRepository:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, SealRecord] = {}

    def add(self, record: SealRecord, *, limit: int) -> None:
        with self._lock:
            if record.seal_id in self._records:
                raise InvalidSealRecord(f"seal id {record.seal_id} exists")
            held = sum(
                1
                for r in self._records.values()
                if r.owner == record.owner and r.kind is record.kind
            )
            if held >= limit:
                raise SealLimitReached(
                    f"{record.owner.kind} {record.owner.owner_id} already has {held} "
                    f"{record.kind.value} seal(s); at most {limit}"
                )
            self._records[record.seal_id] = record

    def get(self, seal_id: str) -> SealRecord:
        with self._lock:
            try:
                return self._records[seal_id]
            except KeyError:
                raise SealNotFound(f"no seal {seal_id}") from None

    def update(self, record: SealRecord) -> None:
        with self._lock:
            if record.seal_id not in self._records:
                raise SealNotFound(f"no seal {record.seal_id}")
            self._records[record.seal_id] = record

    def delete(self, seal_id: str) -> None:
        with self._lock:
            if self._records.pop(seal_id, None) is None:
                raise SealNotFound(f"no seal {seal_id}")

    def list_for(self, owner: SealOwner) -> Sequence[SealRecord]:
        with self._lock:
            mine = [r for r in self._records.values() if r.owner == owner]
        return sorted(mine, key=lambda r: (r.created_at, r.seal_id))
