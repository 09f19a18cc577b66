"""The device's answers of the bid scan kinds (``/v1/scan/device/requests/{id}/…``):
扫码生成投标文件 (``encrypt``: list the candidates, post the signed choice) and 开标大厅扫码解密
(``decrypt``: post the DH value sealed to the hall). Platforms create and read these requests
through the ordinary ``/v1/scan/requests`` routes. See docs/scan.md and docs/bidfile.md.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from huren.api import scan_bid_schemas as sb
from huren.api.routers.scan import SCAN_RESPONSES, RequestId, ScanDep, _b64
from huren.api.scan_schemas import DeviceAnswerOut
from huren.node.cosigner.wire import b64e
from huren.node.scan.bid_answers import BidScan, PkiDirectory
from huren.node.scan.service import ScanService

router = APIRouter(prefix="/v1/scan", tags=["scan"], responses=SCAN_RESPONSES)
_create = threading.Lock()


def get_bid_scan(request: Request, scan: ScanDep) -> BidScan:
    """Built on first use over the app's scan service (tests put their own on
    ``app.state.bid_scan`` or replace ``app.state.scan``)."""
    state = request.app.state
    bid: BidScan | None = getattr(state, "bid_scan", None)
    if bid is None or bid.scan is not scan:
        with _create:
            bid = getattr(state, "bid_scan", None)
            if bid is None or bid.scan is not scan:
                directory = getattr(state, "encryption_directory", None) or PkiDirectory(
                    scan.engine
                )
                bid = BidScan(scan, directory)
                state.bid_scan = bid
    return bid


BidDep = Annotated[BidScan, Depends(get_bid_scan)]


def _fp(text: str | None) -> bytes | None:
    return None if text is None else bytes.fromhex(text)


@router.post("/device/requests/{request_id}/candidates")
def encrypt_candidates(
    bid: BidDep, request_id: RequestId, body: sb.CandidatesIn
) -> sb.CandidatesOut:
    """(encrypt) The enterprise's encryption certificates the holder may choose."""
    found = bid.candidates(
        request_id, body.nonce, _b64(body.certificate, "certificate"), _fp(body.fingerprint)
    )
    return sb.CandidatesOut(
        request_id=request_id,
        candidates=[
            sb.CandidateOut(fingerprint=c.fingerprint.hex(), name=c.name, certificate=b64e(c.der))
            for c in found
        ],
    )


@router.post("/device/requests/{request_id}/recipients")
def encrypt_choice(bid: BidDep, request_id: RequestId, body: sb.ChoiceIn) -> DeviceAnswerOut:
    """(encrypt) The holder's choice of recipients with its signature over it, once."""
    view = bid.choose(
        request_id,
        body.nonce,
        signature=_b64(body.signature, "signature"),
        signer_der=_b64(body.certificate, "certificate"),
        fingerprint=_fp(body.fingerprint),
        recipients=[_b64(r, "recipient") for r in body.recipients],
    )
    return DeviceAnswerOut(request_id=view.request_id, status=view.status)  # type: ignore[arg-type]


@router.post("/device/requests/{request_id}/decryption")
def decrypt_answer(bid: BidDep, request_id: RequestId, body: sb.DecryptionIn) -> DeviceAnswerOut:
    """(decrypt) The device's DH value for its entry, sealed to the hall's key, once."""
    view = bid.answer_decrypt(
        request_id,
        body.nonce,
        certificate_der=_b64(body.certificate, "certificate"),
        fingerprint=_fp(body.fingerprint),
        device_public_key=bytes.fromhex(body.device_public_key),
        sealed=bytes.fromhex(body.sealed) if len(body.sealed) % 2 == 0 else b"",
    )
    return DeviceAnswerOut(request_id=view.request_id, status=view.status)  # type: ignore[arg-type]


__all__ = ["ScanService", "get_bid_scan", "router"]
