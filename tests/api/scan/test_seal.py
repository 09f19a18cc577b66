"""扫码签章 end to end: the platform sends a PDF and a place, the device presents its
certificate, signs the CMS signed attributes with the co-signer, and the node embeds the
signature; pyHanko's validator finds the seal intact and trusted."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest

from huren.device.errors import CosignerRefused
from huren.node.esign import verify_seals
from tests.api.cosigner.support import PIN
from tests.api.scan.conftest import ROOT, World
from tests.node.esign.conftest import minimal_pdf


def _seal_request(world: World, **extra: object) -> dict:
    pdf = minimal_pdf()
    params = {
        "pdf": base64.b64encode(pdf).decode(),
        "title": "投标函",
        "page": 1,
        "x": 300,
        "y": 100,
    }
    return world.create("seal", params=params, **extra) | {"pdf": pdf}


def test_seal_by_scan(world: World) -> None:
    created = _seal_request(world)
    scanned = world.phone.scan(created["payload"])
    assert scanned.needs_certificate and scanned.message == b""
    assert "seal on PDF: 投标函" in scanned.describe()
    assert world.phone.approve(scanned, pin=PIN)["status"] == "approved"
    status = world.status(created["request_id"])
    assert status["status"] == "approved"
    document = world.env.http.get(
        f"/v1/scan/requests/{created['request_id']}/document",
        headers=world.env.headers("alliance"),
    )
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    sealed = document.content
    assert sealed.startswith(created["pdf"])
    assert status["result"]["sealed_pdf_sha256"] == hashlib.sha256(sealed).hexdigest()
    (report,) = verify_seals(sealed, [ROOT], at=dt.datetime.now(dt.UTC))
    assert report.intact and report.trusted
    assert report.signer_fingerprint_sha256 == hashlib.sha256(world.der).hexdigest()


def test_a_seal_needs_the_certificate_first(world: World) -> None:
    created = _seal_request(world)
    scanned = world.phone.scan(created["payload"])
    fingerprint = hashlib.sha256(world.der).hexdigest()
    with pytest.raises(CosignerRefused, match="INVALID_SCAN_REQUEST"):
        world.phone.send_approval(scanned, b"\0" * 64, fingerprint)
    completed = world.phone.complete(scanned, fingerprint)
    with pytest.raises(CosignerRefused, match="SCAN_SIGNATURE_INVALID"):
        world.phone.send_approval(completed, b"\0" * 64, fingerprint)
    world.phone.deny(completed)
    missing = world.env.http.get(
        f"/v1/scan/requests/{created['request_id']}/document",
        headers=world.env.headers("alliance"),
    )
    assert missing.status_code == 404


def test_a_bad_seal_request_is_refused(world: World) -> None:
    response = world.env.http.post(
        "/v1/scan/requests",
        json={
            "action": "seal",
            "params": {"pdf": "bm90IGEgcGRm", "title": "t", "page": 0, "x": 1, "y": 1},
        },
        headers=world.env.headers("alliance"),
    )
    assert response.status_code == 422 and response.json()["code"] == "INVALID_SCAN_REQUEST"
