"""Interrupted PAdES sealing for scan-to-seal: the node prepares the PDF (signature field,
visible seal appearance, byte range) and the CMS signed attributes; the device and the
co-signer sign those attributes' DER with the split key; the node then embeds the signature.

Between the two steps everything is plain bytes and integers (stored with the request):
the prepared PDF with its placeholder, the byte range's reserved region and document
digest, and the signed attributes. Built on ``huren.node.esign`` (pyHanko).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner, PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from huren.node.esign.errors import EsignError, InvalidSealRequest
from huren.node.esign.seal_pdf import (
    SealPlacement,
    _ClockedPdfSigner,
    _existing_field_names,
    _media_box,
    _open_writer,
    seal_style,
)
from huren.node.esign.signer import ED25519_SIGNATURE_BYTES, to_asn1

__all__ = ["PreparedSeal", "finish_seal", "prepare_seal"]

DIGEST = "sha512"  # what Ed25519 in CMS requires (RFC 8419)


@dataclass(frozen=True, slots=True)
class PreparedSeal:
    prepared_pdf: bytes  # the PDF with the signature placeholder
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attributes: bytes  # DER: what the split key signs


def prepare_seal(
    pdf: bytes,
    certificate: x509.Certificate,
    *,
    seal_png: bytes,
    placement: SealPlacement,
    field_name: str,
    signing_time: datetime,
    chain: list[x509.Certificate] | None = None,
    reason: str | None = None,
) -> PreparedSeal:
    writer = _open_writer(pdf)
    try:
        x0, y0, x1, y1 = _media_box(writer.prev, placement.page)
        existing = _existing_field_names(writer.prev)
    except EsignError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidSealRequest(f"the PDF's page tree or form is malformed: {exc}") from exc
    if (
        placement.x < x0
        or placement.y < y0
        or placement.x + placement.width > x1
        or placement.y + placement.height > y1
    ):
        raise InvalidSealRequest(f"the seal box does not fit page {placement.page}")
    if field_name in existing:
        raise InvalidSealRequest(f"the document already has a field named {field_name!r}")
    signer = _external(certificate, chain or [], bytes(ED25519_SIGNATURE_BYTES))
    pdf_signer = _ClockedPdfSigner(
        signers.PdfSignatureMetadata(field_name=field_name, md_algorithm=DIGEST, reason=reason),
        signer=signer,
        signing_time=signing_time,
        stamp_style=seal_style(seal_png),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name, on_page=placement.page, box=placement.box()
        ),
    )

    async def run() -> PreparedSeal:
        digest, _, output = await pdf_signer.async_digest_doc_for_signing(writer)
        attributes = await signer.signed_attrs(
            digest.document_digest,
            DIGEST,
            attr_settings=PdfCMSSignedAttributes(signing_time=signing_time),
        )
        assert isinstance(output, io.BytesIO)
        return PreparedSeal(
            output.getvalue(),
            digest.document_digest,
            digest.reserved_region_start,
            digest.reserved_region_end,
            attributes.dump(),
        )

    return asyncio.run(run())


def finish_seal(
    prepared: PreparedSeal,
    certificate: x509.Certificate,
    signature: bytes,
    chain: list[x509.Certificate] | None = None,
) -> bytes:
    """The sealed PDF: the CMS with ``signature`` (already verified by the caller) in place."""
    signer = _external(certificate, chain or [], signature)
    attributes = cms.CMSAttributes.load(prepared.signed_attributes)

    async def run() -> bytes:
        signed = await signer.async_sign_prescribed_attributes(DIGEST, signed_attrs=attributes)
        output = io.BytesIO(prepared.prepared_pdf)
        digest = PreparedByteRangeDigest(
            prepared.document_digest, prepared.reserved_start, prepared.reserved_end
        )
        await PdfTBSDocument.async_finish_signing(output, digest, signed)
        return output.getvalue()

    return asyncio.run(run())


def _external(
    certificate: x509.Certificate, chain: list[x509.Certificate], signature: bytes
) -> ExternalSigner:
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    store.register_multiple([to_asn1(c) for c in chain])
    return ExternalSigner(
        signing_cert=to_asn1(certificate), cert_registry=store, signature_value=signature
    )
