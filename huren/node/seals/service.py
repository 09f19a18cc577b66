"""Seal management (印章管理) as a service over the records, with the manual's permissions.

- Enterprise seal, legal representative seal and signature: the enterprise's admin adds and
  edits; staff only view (2.11.3.1, 2.12.3.1). None of them is deleted in the manual.
- Personal seals: the person adds (at most three), edits and deletes their own (2.11.3.2).

Who is an enterprise's admin or staff belongs to the enterprise service (a later issue): it
reaches this one through the ``Memberships`` port. Images reach it as ``SealImage``s, made by
``rendered_*``, ``from_photo`` and ``from_handwriting`` or checked on construction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from huren.node.seals.errors import InvalidSealImage, SealPermissionDenied
from huren.node.seals.extract import extract_seal
from huren.node.seals.handwriting import normalize_handwriting
from huren.node.seals.images import open_upload
from huren.node.seals.records import (
    KIND_LIMITS,
    OwnerKind,
    SealImageSource,
    SealKind,
    SealOwner,
    SealRecord,
    SealRepository,
)
from huren.node.seals.render import (
    EnterpriseSealStyle,
    PersonalSealStyle,
    render_enterprise_seal,
    render_personal_seal,
)

__all__ = [
    "EnterpriseRole",
    "Memberships",
    "SealImage",
    "SealService",
    "from_handwriting",
    "from_photo",
    "rendered_enterprise",
    "rendered_personal",
]

MAX_SEAL_IMAGE_BYTES = 4 * 1024 * 1024
MAX_SEAL_IMAGE_SIDE = 4096


class EnterpriseRole(StrEnum):
    ADMIN = "admin"  # 管理员
    STAFF = "staff"  # 办事人员


class Memberships(Protocol):
    """The enterprise service's answer: the person's role in the enterprise, or None."""

    def role_of(self, person_id: str, enterprise_id: str) -> EnterpriseRole | None: ...


@dataclass(frozen=True, slots=True)
class SealImage:
    """A transparent PNG ready to be a seal, and how it was made."""

    png: bytes
    source: SealImageSource

    def __post_init__(self) -> None:
        image = open_upload(
            self.png,
            ("PNG",),
            InvalidSealImage,
            max_bytes=MAX_SEAL_IMAGE_BYTES,
            max_pixels=MAX_SEAL_IMAGE_SIDE * MAX_SEAL_IMAGE_SIDE,
        )
        if image.mode != "RGBA":
            raise InvalidSealImage("a seal image is an RGBA PNG")
        low, _high = image.getchannel("A").getextrema()
        if low != 0:
            raise InvalidSealImage("a seal image needs a transparent background")


def rendered_enterprise(style: EnterpriseSealStyle) -> SealImage:
    return SealImage(render_enterprise_seal(style), SealImageSource.RENDERED)


def rendered_personal(style: PersonalSealStyle) -> SealImage:
    return SealImage(render_personal_seal(style), SealImageSource.RENDERED)


def from_photo(photo: bytes) -> SealImage:
    return SealImage(extract_seal(photo).png, SealImageSource.PHOTO)


def from_handwriting(png: bytes) -> SealImage:
    return SealImage(normalize_handwriting(png).png, SealImageSource.HANDWRITING)


def _new_seal_id() -> str:
    return "seal_" + secrets.token_hex(8)


class SealService:
    def __init__(
        self,
        repository: SealRepository,
        memberships: Memberships,
        clock: Callable[[], int],
        new_id: Callable[[], str] = _new_seal_id,
    ) -> None:
        self._repo = repository
        self._memberships = memberships
        self._clock = clock
        self._new_id = new_id

    def new_id(self) -> str:
        return self._new_id()

    def now(self) -> int:
        return self._clock()

    # -- enterprise kinds -------------------------------------------------------------------

    def _require_role(self, person_id: str, enterprise_id: str, roles: set[EnterpriseRole]) -> None:
        role = self._memberships.role_of(person_id, enterprise_id)
        if role not in roles:
            raise SealPermissionDenied(
                f"{person_id} may not do this for enterprise {enterprise_id}"
                + (f" as {role.value}" if role else " (not a member)")
            )

    def list_enterprise_seals(self, person_id: str, enterprise_id: str) -> Sequence[SealRecord]:
        self._require_role(person_id, enterprise_id, {EnterpriseRole.ADMIN, EnterpriseRole.STAFF})
        return self._repo.list_for(SealOwner(OwnerKind.ENTERPRISE, enterprise_id))

    def add_enterprise_seal(
        self,
        person_id: str,
        enterprise_id: str,
        kind: SealKind,
        image: SealImage,
        label: str = "",
    ) -> SealRecord:
        self._require_role(person_id, enterprise_id, {EnterpriseRole.ADMIN})
        record = SealRecord.create(
            seal_id=self._new_id(),
            owner=SealOwner(OwnerKind.ENTERPRISE, enterprise_id),
            kind=kind,
            source=image.source,
            image_png=image.png,
            now=self._clock(),
            label=label,
        )
        self._repo.add(record, limit=KIND_LIMITS[kind])
        return record

    def edit_enterprise_seal(
        self, person_id: str, seal_id: str, image: SealImage, label: str | None = None
    ) -> SealRecord:
        current = self._repo.get(seal_id)
        if current.owner.kind is not OwnerKind.ENTERPRISE:
            raise SealPermissionDenied("not an enterprise seal")
        self._require_role(person_id, current.owner.owner_id, {EnterpriseRole.ADMIN})
        updated = current.with_image(image.png, image.source, self._clock(), label)
        self._repo.update(updated)
        return updated

    # -- personal seals ---------------------------------------------------------------------

    def list_personal_seals(self, person_id: str) -> Sequence[SealRecord]:
        return self._repo.list_for(SealOwner(OwnerKind.PERSON, person_id))

    def add_personal_seal(self, person_id: str, image: SealImage, label: str = "") -> SealRecord:
        record = SealRecord.create(
            seal_id=self._new_id(),
            owner=SealOwner(OwnerKind.PERSON, person_id),
            kind=SealKind.PERSONAL,
            source=image.source,
            image_png=image.png,
            now=self._clock(),
            label=label,
        )
        self._repo.add(record, limit=KIND_LIMITS[SealKind.PERSONAL])
        return record

    def _own_personal(self, person_id: str, seal_id: str) -> SealRecord:
        current = self._repo.get(seal_id)
        if current.owner != SealOwner(OwnerKind.PERSON, person_id):
            raise SealPermissionDenied("a personal seal is managed by its owner only")
        return current

    def edit_personal_seal(
        self, person_id: str, seal_id: str, image: SealImage, label: str | None = None
    ) -> SealRecord:
        current = self._own_personal(person_id, seal_id)
        updated = current.with_image(image.png, image.source, self._clock(), label)
        self._repo.update(updated)
        return updated

    def delete_personal_seal(self, person_id: str, seal_id: str) -> None:
        self._own_personal(person_id, seal_id)
        self._repo.delete(seal_id)
