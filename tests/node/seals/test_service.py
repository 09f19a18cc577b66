"""Seal records and management: kinds, limits, permissions, and the rule that a personal
certificate application reuses an existing personal seal instead of extracting one."""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field

import pytest
from PIL import Image, ImageDraw

from huren.node.seals.errors import (
    InvalidSealImage,
    InvalidSealRecord,
    SealLimitReached,
    SealNotFound,
    SealPermissionDenied,
)
from huren.node.seals.records import (
    MAX_PERSONAL_SEALS,
    InMemorySealRepository,
    OwnerKind,
    SealImageSource,
    SealKind,
    SealOwner,
    SealRecord,
    needs_seal_extraction,
    personal_seal_for_certificate,
)
from huren.node.seals.render import EnterpriseSealStyle, PersonalSealStyle
from huren.node.seals.service import (
    EnterpriseRole,
    SealImage,
    SealService,
    from_handwriting,
    rendered_enterprise,
    rendered_personal,
)

ENTERPRISE = "ent-91310115MA1K4XXXX"
ADMIN, STAFF, OUTSIDER = "p-admin", "p-staff", "p-outsider"


@dataclass
class Members:
    roles: dict[tuple[str, str], EnterpriseRole] = field(
        default_factory=lambda: {
            (ADMIN, ENTERPRISE): EnterpriseRole.ADMIN,
            (STAFF, ENTERPRISE): EnterpriseRole.STAFF,
        }
    )

    def role_of(self, person_id: str, enterprise_id: str) -> EnterpriseRole | None:
        return self.roles.get((person_id, enterprise_id))


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000

    def __call__(self) -> int:
        self.now += 1
        return self.now


def small_png() -> bytes:
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, 60, 60), outline=(220, 0, 0, 255), width=4)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def signature_png() -> bytes:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(30, 80), (120, 30), (270, 90)], fill=(0, 0, 0, 255), width=6)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def service() -> SealService:
    counter = iter(range(1, 1000))
    return SealService(
        InMemorySealRepository(), Members(), Clock(), new_id=lambda: f"seal{next(counter)}"
    )


def image(source: SealImageSource = SealImageSource.RENDERED) -> SealImage:
    return SealImage(small_png(), source)


def test_admin_adds_and_edits_enterprise_seals_staff_only_view(service: SealService) -> None:
    seal = service.add_enterprise_seal(
        ADMIN, ENTERPRISE, SealKind.ENTERPRISE, rendered_enterprise(EnterpriseSealStyle("某某公司"))
    )
    service.add_enterprise_seal(ADMIN, ENTERPRISE, SealKind.LEGAL_REPRESENTATIVE, image())
    service.add_enterprise_seal(
        ADMIN,
        ENTERPRISE,
        SealKind.LEGAL_REPRESENTATIVE_SIGNATURE,
        from_handwriting(signature_png()),
    )
    kinds = [s.kind for s in service.list_enterprise_seals(STAFF, ENTERPRISE)]
    assert kinds == [
        SealKind.ENTERPRISE,
        SealKind.LEGAL_REPRESENTATIVE,
        SealKind.LEGAL_REPRESENTATIVE_SIGNATURE,
    ]
    edited = service.edit_enterprise_seal(ADMIN, seal.seal_id, image(SealImageSource.PHOTO))
    assert edited.source is SealImageSource.PHOTO
    assert edited.created_at == seal.created_at < edited.updated_at
    assert edited.image_sha256 == hashlib.sha256(small_png()).hexdigest()

    with pytest.raises(SealPermissionDenied, match="as staff"):
        service.add_enterprise_seal(STAFF, ENTERPRISE, SealKind.ENTERPRISE, image())
    with pytest.raises(SealPermissionDenied, match="as staff"):
        service.edit_enterprise_seal(STAFF, seal.seal_id, image())
    with pytest.raises(SealPermissionDenied, match="not a member"):
        service.list_enterprise_seals(OUTSIDER, ENTERPRISE)
    assert service.list_enterprise_seals(ADMIN, ENTERPRISE)[0] == edited


def test_one_legal_representative_seal_and_signature(service: SealService) -> None:
    service.add_enterprise_seal(ADMIN, ENTERPRISE, SealKind.LEGAL_REPRESENTATIVE, image())
    with pytest.raises(SealLimitReached):
        service.add_enterprise_seal(ADMIN, ENTERPRISE, SealKind.LEGAL_REPRESENTATIVE, image())


def test_a_signature_must_be_handwriting(service: SealService) -> None:
    with pytest.raises(InvalidSealRecord, match="cannot come from"):
        service.add_enterprise_seal(
            ADMIN, ENTERPRISE, SealKind.LEGAL_REPRESENTATIVE_SIGNATURE, image()
        )


def test_personal_seals_at_most_three_add_edit_delete(service: SealService) -> None:
    style = PersonalSealStyle("张小明")
    seals = [service.add_personal_seal(STAFF, rendered_personal(style)) for _ in range(3)]
    with pytest.raises(SealLimitReached, match="at most 3"):
        service.add_personal_seal(STAFF, image())
    # Another person's seals are theirs alone.
    service.add_personal_seal(ADMIN, image())
    with pytest.raises(SealPermissionDenied):
        service.delete_personal_seal(ADMIN, seals[0].seal_id)
    with pytest.raises(SealPermissionDenied):
        service.edit_personal_seal(ADMIN, seals[0].seal_id, image())

    service.edit_personal_seal(STAFF, seals[1].seal_id, image(SealImageSource.PHOTO), "photo")
    service.delete_personal_seal(STAFF, seals[0].seal_id)
    with pytest.raises(SealNotFound):
        service.delete_personal_seal(STAFF, seals[0].seal_id)
    service.add_personal_seal(STAFF, from_handwriting(signature_png()))  # room again
    listed = service.list_personal_seals(STAFF)
    assert len(listed) == MAX_PERSONAL_SEALS
    assert [s.label for s in listed][:1] == ["photo"]


def test_personal_seal_limit_holds_under_concurrent_adds() -> None:
    service = SealService(InMemorySealRepository(), Members(), Clock())
    png = rendered_personal(PersonalSealStyle("张三"))
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def add() -> None:
        barrier.wait()
        try:
            service.add_personal_seal("p-racer", png)
            outcomes.append("ok")
        except SealLimitReached:
            outcomes.append("limit")

    threads = [threading.Thread(target=add) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["limit"] * 5 + ["ok"] * 3


def test_enterprise_seal_cannot_be_edited_through_personal_calls(service: SealService) -> None:
    seal = service.add_enterprise_seal(ADMIN, ENTERPRISE, SealKind.ENTERPRISE, image())
    with pytest.raises(SealPermissionDenied):
        service.delete_personal_seal(ADMIN, seal.seal_id)
    personal = service.add_personal_seal(ADMIN, image())
    with pytest.raises(SealPermissionDenied):
        service.edit_enterprise_seal(ADMIN, personal.seal_id, image())


def test_seal_images_must_be_transparent_pngs() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, format="PNG")
    with pytest.raises(InvalidSealImage, match="RGBA"):
        SealImage(buf.getvalue(), SealImageSource.RENDERED)
    buf = io.BytesIO()
    Image.new("RGBA", (64, 64), (255, 0, 0, 255)).save(buf, format="PNG")
    with pytest.raises(InvalidSealImage, match="transparent"):
        SealImage(buf.getvalue(), SealImageSource.RENDERED)
    with pytest.raises(InvalidSealImage):
        SealImage(b"\xff\xd8\xff\xe0 jpeg", SealImageSource.PHOTO)


def record(owner: str, seal_id: str, created_at: int) -> SealRecord:
    return SealRecord.create(
        seal_id=seal_id,
        owner=SealOwner(OwnerKind.PERSON, owner),
        kind=SealKind.PERSONAL,
        source=SealImageSource.RENDERED,
        image_png=small_png(),
        now=created_at,
    )


def test_application_extracts_a_seal_only_when_the_person_has_none() -> None:
    assert needs_seal_extraction([])
    assert personal_seal_for_certificate([]) is None
    seals = [record("p1", "b", 20), record("p1", "a", 10), record("p1", "c", 10)]
    assert not needs_seal_extraction(seals)
    assert personal_seal_for_certificate(seals) == seals[1]  # the oldest; ties by id
    # Enterprise seals the person can see do not count as their personal seal.
    enterprise = SealRecord.create(
        seal_id="e",
        owner=SealOwner(OwnerKind.ENTERPRISE, "ent1"),
        kind=SealKind.ENTERPRISE,
        source=SealImageSource.RENDERED,
        image_png=small_png(),
        now=1,
    )
    assert needs_seal_extraction([enterprise])
    with pytest.raises(InvalidSealRecord, match="several people"):
        personal_seal_for_certificate([record("p1", "a", 1), record("p2", "b", 1)])


def test_application_rule_over_the_service(service: SealService) -> None:
    assert needs_seal_extraction(service.list_personal_seals(STAFF))
    service.add_personal_seal(STAFF, image())
    assert not needs_seal_extraction(service.list_personal_seals(STAFF))


@pytest.mark.parametrize(
    "build",
    [
        lambda: SealOwner(OwnerKind.PERSON, "has space"),
        lambda: SealRecord.create(
            seal_id="x",
            owner=SealOwner(OwnerKind.PERSON, "p"),
            kind=SealKind.ENTERPRISE,
            source=SealImageSource.RENDERED,
            image_png=b"png",
            now=1,
        ),
        lambda: SealRecord(
            seal_id="x",
            owner=SealOwner(OwnerKind.PERSON, "p"),
            kind=SealKind.PERSONAL,
            source=SealImageSource.RENDERED,
            label="",
            image_png=b"png",
            image_sha256="00" * 32,
            created_at=1,
            updated_at=1,
        ),
        lambda: record("p", "x" * 65, 1),
    ],
)
def test_invalid_records(build: object) -> None:
    with pytest.raises(InvalidSealRecord):
        build()  # type: ignore[operator]
