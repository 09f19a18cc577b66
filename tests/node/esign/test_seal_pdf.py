"""PDF e-seals: pyHanko's validator must call our seals intact, trusted and untouched, grade a
second seal's update as form filling, and catch a changed byte; the split-key signer must only
embed signatures that verify.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from huren.node.esign import (
    InvalidSealRequest,
    LocalEd25519RawSigner,
    RawSignatureInvalid,
    SealedDocumentModified,
    SealNotIntact,
    SealNotTrusted,
    SealPlacement,
    SplitKeySigner,
    UnreadablePdf,
    seal_pdf,
    verify_seals,
)
from huren.node.esign.signer import to_asn1
from tests.node.esign.conftest import NOW, SIGNED_AT, Pki, red_disc_png

PLACE = SealPlacement(page=1, x=380, y=80, width=120, height=120)


class CountingRawSigner:
    """The raw-signer port as the split-key service would present it; counts real rounds."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.inner = LocalEd25519RawSigner(key)
        self.messages: list[bytes] = []

    def sign(self, message: bytes) -> bytes:
        self.messages.append(message)
        return self.inner.sign(message)


def signer_for(pki: Pki) -> SplitKeySigner:
    return SplitKeySigner(
        pki.leaf, LocalEd25519RawSigner(pki.leaf_key), chain=[pki.issuing_ca, pki.root]
    )


def seal(pdf: bytes, pki: Pki, name: str, placement: SealPlacement = PLACE) -> bytes:
    return seal_pdf(
        pdf,
        signer=signer_for(pki),
        seal_png=red_disc_png(),
        placement=placement,
        signing_time=SIGNED_AT,
        field_name=name,
        reason="投标文件签章",
    )


def pyhanko_status(sealed: bytes, roots: list[Pki], index: int = 0):  # type: ignore[no-untyped-def]
    reader = PdfFileReader(io.BytesIO(sealed))
    context = ValidationContext(
        trust_roots=[to_asn1(p.root) for p in roots], moment=NOW, allow_fetching=False
    )
    return validate_pdf_signature(reader.embedded_signatures[index], context)


def test_one_seal_is_intact_trusted_and_untouched(pdf: bytes, pki: Pki) -> None:
    raw = CountingRawSigner(pki.leaf_key)
    signer = SplitKeySigner(pki.leaf, raw, chain=[pki.issuing_ca])
    sealed = seal_pdf(
        pdf,
        signer=signer,
        seal_png=red_disc_png(),
        placement=PLACE,
        signing_time=SIGNED_AT,
        field_name="enterprise",
    )
    assert sealed.startswith(pdf)  # an incremental update: the original bytes are kept
    assert len(raw.messages) == 1  # the dry run sizing the placeholder never asks the holder

    status = pyhanko_status(sealed, [pki])
    assert status.intact and status.valid and status.trusted
    assert status.modification_level == ModificationLevel.NONE
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.md_algorithm == "sha512"
    assert status.signing_cert.public_key.algorithm == "ed25519"

    (report,) = verify_seals(sealed, [pki.root], at=NOW)
    assert report.field_name == "enterprise"
    assert report.modification_level == "NONE"
    assert report.covers_entire_file
    assert "alliance" in report.signer_subject
    assert report.signed_at == SIGNED_AT  # the injected clock, not the system's


def test_signing_time_must_be_timezone_aware(pdf: bytes, pki: Pki) -> None:
    with pytest.raises(InvalidSealRequest, match="timezone"):
        seal_pdf(
            pdf,
            signer=signer_for(pki),
            seal_png=red_disc_png(),
            placement=PLACE,
            signing_time=SIGNED_AT.replace(tzinfo=None),
            field_name="e",
        )


def test_visible_seal_image_sits_on_the_chosen_page_and_box(pdf: bytes, pki: Pki) -> None:
    sealed = seal(pdf, pki, "enterprise")
    reader = PdfFileReader(io.BytesIO(sealed))
    page = reader.root["/Pages"]["/Kids"][1]
    annots = [a.get_object() for a in page["/Annots"]]
    (widget,) = [a for a in annots if a["/T"] == "enterprise"]
    assert [float(v) for v in widget["/Rect"]] == [380, 80, 500, 200]
    appearance = widget["/AP"]["/N"]
    xobjects = appearance["/Resources"]["/XObject"]
    images = _images_in(xobjects)
    assert images, "the seal image must be in the widget's appearance"
    assert "/SMask" in images[0]  # transparency survives: the page shows through the seal
    first_page = reader.root["/Pages"]["/Kids"][0]
    assert "/Annots" not in first_page


def _images_in(xobjects: Any) -> list[Any]:
    """Image XObjects, also inside nested form XObjects (pyHanko wraps the background)."""
    found: list[Any] = []
    for key in xobjects:
        obj = xobjects[key].get_object()
        if obj.get("/Subtype") == "/Image":
            found.append(obj)
        elif "/Resources" in obj and "/XObject" in obj["/Resources"]:
            found.extend(_images_in(obj["/Resources"]["/XObject"]))
    return found


def test_enterprise_then_legal_representative_seal(pdf: bytes, pki: Pki, second_pki: Pki) -> None:
    once = seal(pdf, pki, "enterprise")
    twice = seal(
        once, second_pki, "legal_rep", SealPlacement(page=1, x=240, y=80, width=100, height=100)
    )
    assert twice.startswith(once)

    first = pyhanko_status(twice, [pki, second_pki], 0)
    second = pyhanko_status(twice, [pki, second_pki], 1)
    assert first.intact and first.trusted
    # The second seal's update added a signature field and its appearance, nothing else.
    assert first.modification_level == ModificationLevel.FORM_FILLING
    assert first.docmdp_ok
    assert first.coverage.name == "ENTIRE_REVISION"
    assert second.intact and second.trusted
    assert second.modification_level == ModificationLevel.NONE

    reports = verify_seals(twice, [pki.root, second_pki.root], at=NOW)
    assert [(r.field_name, r.modification_level) for r in reports] == [
        ("enterprise", "FORM_FILLING"),
        ("legal_rep", "NONE"),
    ]


def test_a_changed_byte_in_the_signed_range_is_detected(pdf: bytes, pki: Pki) -> None:
    sealed = seal(pdf, pki, "enterprise")
    at = sealed.index(b"Tender document page 1")
    tampered = sealed[:at] + b"X" + sealed[at + 1 :]  # same length: offsets stay right
    status = pyhanko_status(tampered, [pki])
    assert not status.intact
    with pytest.raises(SealNotIntact):
        verify_seals(tampered, [pki.root], at=NOW)


def test_content_changed_after_sealing_is_reported(pdf: bytes, pki: Pki) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    sealed = seal(pdf, pki, "enterprise")
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    page_ref, _ = writer.find_page_for_modification(0)  # type: ignore[no-untyped-call]
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Price: 1 yuan) Tj ET")
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    with pytest.raises(SealedDocumentModified):
        verify_seals(out.getvalue(), [pki.root], at=NOW)


def test_untrusted_root_is_refused(pdf: bytes, stranger_pki: Pki, pki: Pki) -> None:
    sealed = seal(pdf, stranger_pki, "enterprise")
    assert not pyhanko_status(sealed, [pki]).trusted
    with pytest.raises(SealNotTrusted):
        verify_seals(sealed, [pki.root], at=NOW)


def test_raw_signer_with_the_wrong_key_is_caught_before_embedding(pdf: bytes, pki: Pki) -> None:
    signer = SplitKeySigner(pki.leaf, LocalEd25519RawSigner(Ed25519PrivateKey.generate()))
    with pytest.raises(RawSignatureInvalid):
        seal_pdf(
            pdf,
            signer=signer,
            seal_png=red_disc_png(),
            placement=PLACE,
            signing_time=SIGNED_AT,
            field_name="x",
        )


def test_raw_signer_returning_garbage_length_is_refused(pdf: bytes, pki: Pki) -> None:
    class Short:
        def sign(self, message: bytes) -> bytes:
            return b"\x01" * 63

    signer = SplitKeySigner(pki.leaf, Short())
    with pytest.raises(RawSignatureInvalid, match="63 bytes"):
        seal_pdf(
            pdf,
            signer=signer,
            seal_png=red_disc_png(),
            placement=PLACE,
            signing_time=SIGNED_AT,
            field_name="x",
        )


def test_holder_refusal_reaches_the_caller(pdf: bytes, pki: Pki) -> None:
    class Refusing:
        def sign(self, message: bytes) -> bytes:
            raise PermissionError("holder declined on the phone")

    signer = SplitKeySigner(pki.leaf, Refusing())
    with pytest.raises(PermissionError, match="declined"):
        seal_pdf(
            pdf,
            signer=signer,
            seal_png=red_disc_png(),
            placement=PLACE,
            signing_time=SIGNED_AT,
            field_name="x",
        )


def test_non_ed25519_certificate_is_refused(pki: Pki) -> None:
    with pytest.raises(InvalidSealRequest, match="Ed25519"):
        SplitKeySigner(pki.issuing_ca, LocalEd25519RawSigner(pki.leaf_key))


@pytest.mark.parametrize(
    ("placement", "message"),
    [
        (dict(page=2, x=0, y=0, width=100, height=100), "does not exist"),
        (dict(page=0, x=550, y=0, width=100, height=100), "does not fit"),
        (dict(page=0, x=0, y=800, width=100, height=100), "does not fit"),
    ],
)
def test_placement_outside_the_document(
    pdf: bytes, pki: Pki, placement: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidSealRequest, match=message):
        seal(pdf, pki, "enterprise", SealPlacement(**placement))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        dict(page=-1, x=0, y=0, width=10, height=10),
        dict(page=0, x=-1, y=0, width=10, height=10),
        dict(page=0, x=0, y=0, width=0, height=10),
        dict(page=0, x=0, y=0, width=float("nan"), height=10),
    ],
)
def test_placement_values_are_validated(fields: dict[str, float]) -> None:
    with pytest.raises(InvalidSealRequest):
        SealPlacement(**fields)  # type: ignore[arg-type]


def test_duplicate_field_name_and_bad_inputs(pdf: bytes, pki: Pki) -> None:
    sealed = seal(pdf, pki, "enterprise")
    with pytest.raises(InvalidSealRequest, match="already has a field"):
        seal(sealed, pki, "enterprise")
    with pytest.raises(InvalidSealRequest, match="field name"):
        seal(pdf, pki, "企业 章")
    with pytest.raises(UnreadablePdf):
        seal(b"%PDF-1.7\nnot really", pki, "enterprise")
    no_media_box = pdf.replace(b"/MediaBox [0 0 595 842]", b" " * 23)  # offsets stay right
    with pytest.raises(UnreadablePdf, match="MediaBox"):
        seal(no_media_box, pki, "enterprise")
    with pytest.raises(InvalidSealRequest, match="PNG"):
        seal_pdf(
            pdf,
            signer=signer_for(pki),
            seal_png=b"GIF89a",
            placement=PLACE,
            signing_time=SIGNED_AT,
            field_name="e",
        )
    with pytest.raises(SealNotIntact, match="no seal"):
        verify_seals(pdf, [pki.root], at=NOW)


def test_rendered_enterprise_and_legal_representative_seals_end_to_end(
    pdf: bytes, pki: Pki, second_pki: Pki
) -> None:
    from huren.node.seals.render import (
        EnterpriseSealStyle,
        PersonalSealStyle,
        render_enterprise_seal,
        render_personal_seal,
    )

    enterprise_png = render_enterprise_seal(EnterpriseSealStyle("上海某某科技有限公司"))
    legal_rep_png = render_personal_seal(PersonalSealStyle("张小明", size_px=200))
    once = seal_pdf(
        pdf,
        signer=signer_for(pki),
        seal_png=enterprise_png,
        placement=SealPlacement(page=0, x=360, y=420, width=150, height=150),
        signing_time=SIGNED_AT,
        field_name="enterprise_seal",
    )
    twice = seal_pdf(
        once,
        signer=signer_for(second_pki),
        seal_png=legal_rep_png,
        placement=SealPlacement(page=0, x=380, y=300, width=80, height=80),
        signing_time=SIGNED_AT,
        field_name="legal_representative_seal",
    )
    reports = verify_seals(twice, [pki.root, second_pki.root], at=NOW)
    assert [r.field_name for r in reports] == ["enterprise_seal", "legal_representative_seal"]
    assert "legal-rep" in reports[1].signer_subject


def test_seal_checked_after_the_certificate_expired_is_not_trusted(pdf: bytes, pki: Pki) -> None:
    sealed = seal(pdf, pki, "enterprise")
    with pytest.raises(SealNotTrusted):
        verify_seals(sealed, [pki.root], at=NOW + dt.timedelta(days=400))
