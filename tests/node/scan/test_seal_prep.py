"""Interrupted sealing: prepare the signed attributes, sign their DER elsewhere (here a plain
Ed25519 key standing in for the split key), finish; pyHanko's validator finds it intact."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from huren.node.esign import verify_seals
from huren.node.esign.seal_pdf import SealPlacement
from huren.node.scan.seal_prep import finish_seal, prepare_seal
from tests.node.esign.conftest import NOW, SIGNED_AT, Pki, make_pki, minimal_pdf, red_disc_png


def test_prepare_sign_elsewhere_finish() -> None:
    pki: Pki = make_pki("scan seal")
    pdf = minimal_pdf()
    prepared = prepare_seal(
        pdf,
        pki.leaf,
        seal_png=red_disc_png(),
        placement=SealPlacement(page=1, x=300, y=100, width=120, height=120),
        field_name="Seal1",
        signing_time=SIGNED_AT,
        chain=[pki.issuing_ca],
    )
    assert prepared.prepared_pdf.startswith(pdf)
    signature = pki.leaf_key.sign(prepared.signed_attributes)
    key = pki.leaf.public_key()
    assert isinstance(key, Ed25519PublicKey)
    sealed = finish_seal(prepared, pki.leaf, signature, chain=[pki.issuing_ca])
    (report,) = verify_seals(sealed, [pki.root], at=NOW)
    assert report.intact and report.trusted and report.field_name == "Seal1"
