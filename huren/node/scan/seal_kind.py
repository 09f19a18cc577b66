"""扫码签章: a visible e-seal on a PDF, signed by the split key through pyHanko's interrupted
signing (``seal_prep``). The platform sends the PDF, the page and box, a title and optionally
the seal image; the device presents its certificate, the node prepares the signature field and
the CMS signed attributes, the device and the co-signer sign those attributes' DER, and the
node embeds the signature: the platform gets the sealed PDF."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from PIL import Image, ImageDraw

from huren.node.esign.errors import EsignError
from huren.node.esign.seal_pdf import SealPlacement
from huren.node.scan.errors import InvalidScanRequest
from huren.node.scan.kinds import MAX_TITLE, BaseKind, RequestContext, register_kind
from huren.node.scan.seal_prep import PreparedSeal, finish_seal, prepare_seal
from huren.registry.types import Right

__all__ = ["SealKind", "default_seal_png"]

MAX_PDF = 700 * 1024  # base64 in a JSON body under the API's 1 MiB limit
MAX_PNG = 200 * 1024
_PARAMS = {"pdf", "title", "page", "x", "y", "width", "height", "seal_png"}


def default_seal_png(size: int = 160) -> bytes:
    """A plain red ring, when the platform sends no seal image."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((6, 6, size - 6, size - 6), outline=(200, 20, 20, 255), width=8)
    draw.ellipse((size // 2 - 14, size // 2 - 14, size // 2 + 14, size // 2 + 14), fill="red")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _b64(value: object, what: str, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 4:
        raise InvalidScanRequest(f"{what} is base64 of at most {limit} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidScanRequest(f"{what} is not base64") from error


class SealKind(BaseKind):
    action = "seal"
    right = Right.SEAL
    cosigner_action = "seal"
    ttl_s = 300
    max_ttl_s = 600
    needs_certificate = True

    def prepare(self, params: Mapping[str, Any], context: RequestContext) -> dict[str, Any]:
        if set(params) - _PARAMS or not {"pdf", "title", "page", "x", "y"} <= set(params):
            raise InvalidScanRequest(f"a seal request takes {', '.join(sorted(_PARAMS))}")
        pdf = _b64(params["pdf"], "pdf", MAX_PDF)
        if not pdf.startswith(b"%PDF-"):
            raise InvalidScanRequest("pdf is not a PDF")
        title = params["title"]
        if not isinstance(title, str) or not 0 < len(title.strip()) <= MAX_TITLE:
            raise InvalidScanRequest(f"title is 1 to {MAX_TITLE} characters")
        seal = params.get("seal_png")
        png = default_seal_png() if seal is None else _b64(seal, "seal_png", MAX_PNG)
        numbers = {}
        for name, default in (
            ("page", None),
            ("x", None),
            ("y", None),
            ("width", 120),
            ("height", 120),
        ):
            value = params.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidScanRequest(f"{name} is a number")
            numbers[name] = value
        try:
            SealPlacement(
                int(numbers["page"]),
                float(numbers["x"]),
                float(numbers["y"]),
                float(numbers["width"]),
                float(numbers["height"]),
            )
        except EsignError as error:
            raise InvalidScanRequest(str(error)) from error
        return {
            "title": title.strip(),
            "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "pdf_bytes": len(pdf),
            **numbers,
            "seal_png_sha256": hashlib.sha256(png).hexdigest(),
            "_blob": json.dumps(
                {"pdf": base64.b64encode(pdf).decode(), "png": base64.b64encode(png).decode()}
            ).encode(),
        }

    def message(self, content: Mapping[str, Any], context: RequestContext) -> bytes:
        attributes = content.get("signed_attributes")
        return b"" if attributes is None else base64.b64decode(str(attributes))

    def with_certificate(
        self,
        content: Mapping[str, Any],
        context: RequestContext,
        chain: list[x509.Certificate],
        blob: bytes | None,
    ) -> tuple[dict[str, Any], bytes | None]:
        assert blob is not None
        inputs = json.loads(blob)
        try:
            prepared = prepare_seal(
                base64.b64decode(inputs["pdf"]),
                chain[0],
                seal_png=base64.b64decode(inputs["png"]),
                placement=SealPlacement(
                    int(content["page"]),
                    float(content["x"]),
                    float(content["y"]),
                    float(content["width"]),
                    float(content["height"]),
                ),
                field_name=f"huren-seal-{context.request_id[:16]}",
                signing_time=datetime.fromtimestamp(context.created_at, UTC),
                chain=chain[1:],
                reason=str(content["title"])[:100],
            )
        except EsignError as error:
            raise InvalidScanRequest(f"the PDF cannot be sealed: {error}") from error
        state = json.dumps(
            {
                "prepared_pdf": base64.b64encode(prepared.prepared_pdf).decode(),
                "document_digest": prepared.document_digest.hex(),
                "reserved": [prepared.reserved_start, prepared.reserved_end],
            }
        ).encode()
        completed = dict(content)
        completed["signed_attributes"] = base64.b64encode(prepared.signed_attributes).decode()
        return completed, state

    def finish(
        self,
        content: Mapping[str, Any],
        context: RequestContext,
        signature: bytes,
        chain: list[x509.Certificate],
        state: bytes | None,
    ) -> tuple[dict[str, Any], bytes | None]:
        assert state is not None
        kept = json.loads(state)
        prepared = PreparedSeal(
            base64.b64decode(kept["prepared_pdf"]),
            bytes.fromhex(kept["document_digest"]),
            int(kept["reserved"][0]),
            int(kept["reserved"][1]),
            self.message(content, context),
        )
        sealed = finish_seal(prepared, chain[0], signature, chain=chain[1:])
        extras = {"sealed_pdf_sha256": hashlib.sha256(sealed).hexdigest()}
        return extras, sealed


register_kind(SealKind())
