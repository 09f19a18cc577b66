"""Seal management (印章管理, manual 2.11.3, 2.12.3, 2.18.2) as the node serves it: the seal
service over the node's database, its memberships from the enterprise records, uploads
checked like application attachments, and the seal a certificate application brings.

- Enterprise seal, legal representative seal and signature: the enterprise's admin adds and
  edits, its staff view; anyone else sees nothing (an unknown seal and another's are the
  same 404).
- Personal seals: their owner adds (at most three), edits and deletes.
- Each comes from a custom style (a round red enterprise seal, a square seal in a chosen
  colour), a handwritten PNG with transparency, or a photo the red seal is extracted from.
- 2.11.3.2: when a personal application (or an enterprise claim) is approved, the seal on
  its stamped form is extracted and kept, unless the person (the enterprise) already has
  one: "当电子私章中存在印章时，申领个人证书时，不会进行抠章".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node import enterprises
from huren.node.applications.attachments import check_media
from huren.node.applications.model import ApplicationKind, AttachmentKind
from huren.node.db.applications_tables import Application, ApplicationAttachment
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.seals.errors import (
    InvalidSealRecord,
    InvalidSealStyle,
    NoSealFound,
    SealError,
    SealLimitReached,
    SealNotFound,
    SealPermissionDenied,
    UnreadablePhoto,
)
from huren.node.seals.records import (
    ALLOWED_SOURCES,
    KIND_LIMITS,
    OwnerKind,
    SealImageSource,
    SealKind,
    SealOwner,
    SealRecord,
    needs_seal_extraction,
)
from huren.node.seals.render import EnterpriseSealStyle, PersonalSealStyle
from huren.node.seals.service import (
    EnterpriseRole,
    SealImage,
    SealService,
    from_handwriting,
    from_photo,
    rendered_enterprise,
    rendered_personal,
)
from huren.node.seals.sql_repository import SqlSealRepository

__all__ = [
    "ENTERPRISE_KINDS",
    "EnterpriseMemberships",
    "EnterpriseSeals",
    "FormSeal",
    "SealManagement",
    "SealOverview",
    "SealStyle",
]

log = logging.getLogger(__name__)

SealStyle = EnterpriseSealStyle | PersonalSealStyle
ENTERPRISE_KINDS = frozenset(k for k in SealKind if k.owner_kind is OwnerKind.ENTERPRISE)
PHOTO_MEDIA = frozenset({"image/png", "image/jpeg"})
HANDWRITING_MEDIA = frozenset({"image/png"})
FORM_LABEL = "申领书"  # the label of a seal taken from an application form


class EnterpriseMemberships:
    """The seal service's ``Memberships`` port over the enterprise records."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def role_of(self, person_id: str, enterprise_id: str) -> EnterpriseRole | None:
        with Session(self._engine) as session:
            role = enterprises.role_of(session, enterprise_id, person_id)
        return None if role is None else EnterpriseRole(role.value)


@dataclass(frozen=True, slots=True)
class EnterpriseSeals:
    enterprise_id: str
    name: str
    role: EnterpriseRole
    seals: tuple[SealRecord, ...]


@dataclass(frozen=True, slots=True)
class SealOverview:
    """Every seal an account sees (我的印章): its own, and its enterprises'."""

    personal: tuple[SealRecord, ...]
    enterprises: tuple[EnterpriseSeals, ...]


class FormSeal(StrEnum):
    """What an approved application's form gave (``SealManagement.on_application_approved``)."""

    EXTRACTED = "extracted"
    ALREADY_HELD = "already_held"  # the rule: no extraction when a seal exists
    NO_FORM = "no_form"  # no form attached, or a PDF (scans as images only)
    NO_SEAL_FOUND = "no_seal_found"  # the photo holds no red seal (a signed name, say)
    NOT_APPLICABLE = "not_applicable"  # other kinds of application bring no seal


def _shape_for(kind: SealKind, style: SealStyle) -> None:
    """An enterprise seal is round; the legal representative's seal and personal seals are
    square; a signature is handwritten only."""
    if kind is SealKind.LEGAL_REPRESENTATIVE_SIGNATURE:
        raise InvalidSealStyle("a signature is handwritten, not drawn")
    round_kind = kind is SealKind.ENTERPRISE
    if round_kind != isinstance(style, EnterpriseSealStyle):
        shape = "round" if round_kind else "square"
        raise InvalidSealStyle(f"a {kind.value} seal is drawn {shape}")


def _check_source(kind: SealKind, source: SealImageSource) -> None:
    if source not in ALLOWED_SOURCES[kind]:
        raise InvalidSealRecord(f"a {kind.value} cannot come from {source.value}")


def _rendered(style: SealStyle) -> SealImage:
    if isinstance(style, EnterpriseSealStyle):
        return rendered_enterprise(style)
    return rendered_personal(style)


class SealManagement:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.repository = SqlSealRepository(engine)
        self.memberships = EnterpriseMemberships(engine)
        self.service = SealService(self.repository, self.memberships, clock=lambda: int(clock()))

    # -- images -----------------------------------------------------------------------------

    @staticmethod
    def styled(kind: SealKind, style: SealStyle) -> SealImage:
        _shape_for(kind, style)
        return _rendered(style)

    @staticmethod
    def photo(data: bytes, declared: str | None) -> SealImage:
        """The red seal extracted from a photo (PNG or JPEG, by content)."""
        check_media(data, declared, PHOTO_MEDIA, "seal photo")
        return from_photo(data)

    @staticmethod
    def handwriting(data: bytes, declared: str | None) -> SealImage:
        """A handwritten PNG with transparency, checked and normalized."""
        check_media(data, declared, HANDWRITING_MEDIA, "handwritten seal")
        return from_handwriting(data)

    # -- reading ----------------------------------------------------------------------------

    def overview(self, account_id: str) -> SealOverview:
        with Session(self.engine) as session:
            rows = session.exec(
                select(EnterpriseMember, Enterprise)
                .where(
                    EnterpriseMember.account_id == account_id,
                    EnterpriseMember.enterprise_id == Enterprise.id,
                )
                .order_by(col(Enterprise.name), col(Enterprise.id))
            ).all()
            memberships = [(e.id, e.name, EnterpriseRole(m.role)) for m, e in rows]
        return SealOverview(
            personal=tuple(self.service.list_personal_seals(account_id)),
            enterprises=tuple(
                EnterpriseSeals(eid, name, role, tuple(self.enterprise_seals(account_id, eid)))
                for eid, name, role in memberships
            ),
        )

    def enterprise_seals(self, account_id: str, enterprise_id: str) -> Sequence[SealRecord]:
        return self.service.list_enterprise_seals(account_id, enterprise_id)

    def get(self, account_id: str, seal_id: str) -> SealRecord:
        """A seal the account may see; anyone else's is ``SealNotFound``, as an unknown one."""
        record = self.repository.get(seal_id)
        owner = record.owner
        if owner.kind is OwnerKind.PERSON:
            visible = owner.owner_id == account_id
        else:
            visible = self.memberships.role_of(account_id, owner.owner_id) is not None
        if not visible:
            raise SealNotFound(f"no seal {seal_id}")
        return record

    # -- changing ---------------------------------------------------------------------------

    def add_personal(self, account_id: str, image: SealImage, label: str = "") -> SealRecord:
        return self.service.add_personal_seal(account_id, image, label)

    def add_enterprise(
        self,
        account_id: str,
        enterprise_id: str,
        kind: SealKind,
        image: SealImage,
        label: str = "",
    ) -> SealRecord:
        if kind not in ENTERPRISE_KINDS:
            raise InvalidSealRecord(f"a {kind.value} seal is not an enterprise's")
        return self.service.add_enterprise_seal(account_id, enterprise_id, kind, image, label)

    # Checks made before an image is drawn, decoded or extracted (seconds of work for a
    # photo), so that a caller who may not add or edit is refused first.

    def check_room(self, account_id: str) -> None:
        """A personal seal may still be added (the add itself decides, atomically)."""
        held = len(self.service.list_personal_seals(account_id))
        if held >= KIND_LIMITS[SealKind.PERSONAL]:
            raise SealLimitReached(f"you have {held} personal seals; at most {held} are kept")

    def check_add(
        self, account_id: str, enterprise_id: str, kind: SealKind, source: SealImageSource
    ) -> None:
        """The account is the enterprise's admin and ``kind`` may come from ``source``."""
        if kind not in ENTERPRISE_KINDS:
            raise InvalidSealRecord(f"a {kind.value} seal is not an enterprise's")
        role = self.memberships.role_of(account_id, enterprise_id)
        if role is not EnterpriseRole.ADMIN:
            who = "not a member" if role is None else f"as {role.value}"
            raise SealPermissionDenied(f"only the enterprise's admin adds its seals ({who})")
        _check_source(kind, source)

    def check_edit(self, account_id: str, seal_id: str, source: SealImageSource) -> SealRecord:
        """The seal, if the account may edit it (its owner; the enterprise's admin) with an
        image from ``source``; ``SealNotFound`` for anyone who does not see it."""
        current = self.get(account_id, seal_id)
        owner = current.owner
        if owner.kind is OwnerKind.ENTERPRISE:
            role = self.memberships.role_of(account_id, owner.owner_id)
            if role is not EnterpriseRole.ADMIN:
                raise SealPermissionDenied("only the enterprise's admin edits its seals")
        _check_source(current.kind, source)
        return current

    def edit(
        self, account_id: str, seal_id: str, image: SealImage, label: str | None = None
    ) -> SealRecord:
        """A new image and optionally a new label."""
        current = self.get(account_id, seal_id)
        if current.owner.kind is OwnerKind.PERSON:
            return self.service.edit_personal_seal(account_id, seal_id, image, label)
        return self.service.edit_enterprise_seal(account_id, seal_id, image, label)

    def relabel(self, account_id: str, seal_id: str, label: str) -> SealRecord:
        current = self.get(account_id, seal_id)
        return self.edit(account_id, seal_id, SealImage(current.image_png, current.source), label)

    def delete(self, account_id: str, seal_id: str) -> None:
        current = self.get(account_id, seal_id)
        if current.owner.kind is OwnerKind.ENTERPRISE:
            raise SealPermissionDenied("an enterprise's seals are edited, not deleted")
        self.service.delete_personal_seal(account_id, seal_id)

    # -- the seal an application brings -----------------------------------------------------

    def on_application_approved(self, application_id: str) -> FormSeal:
        """After the CA approved: a personal application's form gives the person's personal
        seal, an enterprise claim's form the enterprise seal, unless one is held already."""
        with Session(self.engine) as session:
            row = session.get(Application, application_id)
            if row is None:
                raise SealNotFound(f"no application {application_id}")
            form = session.get(
                ApplicationAttachment, (application_id, AttachmentKind.APPLICATION_FORM.value)
            )
            kind, account_id, enterprise_id = row.kind, row.account_id, row.enterprise_id
            form_data = None if form is None else (form.media_type, form.data)
        if kind == ApplicationKind.PERSONAL.value:
            owner = SealOwner(OwnerKind.PERSON, account_id)
            seal_kind = SealKind.PERSONAL
        elif kind == ApplicationKind.CLAIM_ENTERPRISE.value and enterprise_id is not None:
            owner = SealOwner(OwnerKind.ENTERPRISE, enterprise_id)
            seal_kind = SealKind.ENTERPRISE
        else:
            return FormSeal.NOT_APPLICABLE
        held = self.repository.list_for(owner)
        if seal_kind is SealKind.PERSONAL:
            extract = needs_seal_extraction(held)  # the manual's rule (2.11.3.2)
        else:
            extract = not any(r.kind is seal_kind for r in held)
        if not extract:
            return FormSeal.ALREADY_HELD
        if form_data is None or form_data[0] not in PHOTO_MEDIA:
            return FormSeal.NO_FORM
        try:
            image = from_photo(form_data[1])
        except (NoSealFound, UnreadablePhoto) as exc:
            log.info("application %s: no seal taken from the form: %s", application_id, exc)
            return FormSeal.NO_SEAL_FOUND
        record = SealRecord.create(
            seal_id=self.service.new_id(),
            owner=owner,
            kind=seal_kind,
            source=SealImageSource.PHOTO,
            image_png=image.png,
            now=self.service.now(),
            label=FORM_LABEL,
        )
        try:
            self.repository.add(record, limit=KIND_LIMITS[seal_kind])
        except SealError as exc:  # a seal added meanwhile took the last slot
            log.info("application %s: form seal not kept: %s", application_id, exc)
            return FormSeal.ALREADY_HELD
        return FormSeal.EXTRACTED
