"""A seal signed by a real two-party FROST round (device + co-signer shares of a 2-of-3 key):
the whole key never exists, and pyHanko still calls the seal intact and trusted."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyhanko.pdf_utils.reader import PdfFileReader

from huren.node.esign import (
    FrostRawSigner,
    SealPlacement,
    SplitKeySigner,
    seal_pdf,
    verify_seals,
)
from huren.node.keysplit import Coordinator, KeysplitError, SignerParty
from huren.node.keysplit.dealer import trusted_dealer_keygen
from huren.node.keysplit.group import encode_point
from huren.node.keysplit.keys import COSIGNER, DEVICE, KeyPackage
from tests.node.esign.conftest import NOW, SIGNED_AT, Pki, red_disc_png

PLACE = SealPlacement(page=0, x=400, y=60, width=120, height=120)


@pytest.fixture(scope="module")
def shares() -> dict[int, KeyPackage]:
    # A trusted dealer is for tests only; enrolment uses the DKG (huren.node.keysplit.dkg).
    return {k.identifier: k for k in trusted_dealer_keygen(3, 2)}


def test_frost_signed_seal_verifies(pdf: bytes, pki: Pki, shares: dict[int, KeyPackage]) -> None:
    device, cosigner = shares[DEVICE], shares[COSIGNER]
    group_key = Ed25519PublicKey.from_public_bytes(encode_point(device.group_public_key))
    certificate = pki.issue(group_key, "split-key holder")
    raw = FrostRawSigner(Coordinator(device.public), [SignerParty(device), SignerParty(cosigner)])
    signer = SplitKeySigner(certificate, raw, chain=[pki.issuing_ca])
    sealed = seal_pdf(
        pdf,
        signer=signer,
        seal_png=red_disc_png(),
        placement=PLACE,
        signing_time=SIGNED_AT,
        field_name="split",
    )
    (report,) = verify_seals(sealed, [pki.root], at=NOW)
    assert report.intact and report.trusted and report.modification_level == "NONE"
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    assert signature.signer_cert.public_key.algorithm == "ed25519"


def test_a_party_failing_midway_yields_no_document(
    pdf: bytes, pki: Pki, shares: dict[int, KeyPackage]
) -> None:
    device, cosigner = shares[DEVICE], shares[COSIGNER]
    group_key = Ed25519PublicKey.from_public_bytes(encode_point(device.group_public_key))
    certificate = pki.issue(group_key, "split-key holder")

    class ReplayingDevice:
        """Signs once, then answers a second package with the same (erased) nonces."""

        def __init__(self) -> None:
            self.party = SignerParty(device)
            self.first = self.party.commit()

        def commit(self):  # type: ignore[no-untyped-def]
            return self.first

        def sign(self, package):  # type: ignore[no-untyped-def]
            return self.party.sign(package)

    replaying = ReplayingDevice()
    raw = FrostRawSigner(Coordinator(device.public), [replaying, SignerParty(cosigner)])
    signer = SplitKeySigner(certificate, raw, chain=[pki.issuing_ca])
    seal_pdf(
        pdf,
        signer=signer,
        seal_png=red_disc_png(),
        placement=PLACE,
        signing_time=SIGNED_AT,
        field_name="one",
    )
    with pytest.raises(KeysplitError):  # nonce reuse is refused by the device's party
        seal_pdf(
            pdf,
            signer=signer,
            seal_png=red_disc_png(),
            placement=PLACE,
            signing_time=SIGNED_AT,
            field_name="two",
        )
