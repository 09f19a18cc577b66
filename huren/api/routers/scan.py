"""Scan-to-act (``/v1/scan``): platforms create requests and wait for their answers (long-poll
or server-sent events) and show them as QR codes; devices read a scanned request and answer it.
See docs/scan.md.

Platform routes take a platform key (the request is the key's platform's; the admin key has
no platform and is refused). Device routes take no key: the nonce in the node-signed QR
payload is the capability, and an approval proves itself by a signature that verifies under
a certificate recognized at the platform. The service is built on first use from the node's
settings (tests put their own, with a clock, on ``app.state.scan``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from huren.api import scan_schemas as ss
from huren.api.deps import Caller, CallerDep
from huren.api.problems import PROBLEM_RESPONSES, ApiProblem, problem_response
from huren.api.routers.cosigner import SignedDep
from huren.node.cosigner.wire import b64d, b64e
from huren.node.scan import qr
from huren.node.scan.errors import InvalidScanRequest
from huren.node.scan.keys import scan_key_of
from huren.node.scan.service import ScanRequest, ScanService

SCAN_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    403: problem_response("Refused (PLATFORM_ONLY, SCAN_BIND_MISMATCH, ...NOT_RECOGNIZED)"),
    404: problem_response("Unknown (UNKNOWN_SCAN_REQUEST)"),
    409: problem_response("Answered already (SCAN_REQUEST_USED)"),
    410: problem_response("Expired (SCAN_REQUEST_EXPIRED)"),
}
router = APIRouter(prefix="/v1/scan", tags=["scan"], responses=SCAN_RESPONSES)
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
SSE_MAX_S = 600.0
SSE_KEEPALIVE_S = 15.0
_create = threading.Lock()


def get_scan(request: Request) -> ScanService:
    state = request.app.state
    service: ScanService | None = getattr(state, "scan", None)
    if service is None:
        with _create:
            service = getattr(state, "scan", None)
            if service is None:
                settings = state.node.settings
                key = scan_key_of(
                    getattr(settings, "env", "dev"), getattr(settings, "scan_key", None)
                )
                base = getattr(settings, "public_url", None) or "http://{}:{}".format(
                    getattr(settings, "host", "127.0.0.1"), getattr(settings, "port", 8700)
                )
                pki = getattr(state.node, "pki", None)  # the chain after the leaf, when ours
                service = ScanService(
                    state.node.engine,
                    key,
                    base,
                    index_cache=state.index_cache,
                    chain_of=None if pki is None else pki.issuers_of,
                )
                state.scan = service
    return service


ScanDep = Annotated[ScanService, Depends(get_scan)]


async def require_platform(caller: CallerDep) -> Caller:
    if caller.platform_id is None:
        raise ApiProblem(403, "PLATFORM_ONLY", "scan requests are a platform's: use its key")
    return caller


PlatformDep = Annotated[Caller, Depends(require_platform)]


def _out(view: ScanRequest) -> ss.ScanRequestOut:
    return ss.ScanRequestOut(
        request_id=view.request_id,
        platform_id=view.platform_id,
        action=view.action,
        payload=view.payload,
        content=view.content,
        bind_name=view.bind_name,
        bind_uscc=view.bind_uscc,
        created_at=view.created_at,
        expires_at=view.expires_at,
        status=view.status,  # type: ignore[arg-type]
        answered_at=view.answered_at,
        signature=None if view.signature is None else b64e(view.signature),
        fingerprint=None if view.fingerprint is None else view.fingerprint.hex(),
        certificate_chain_pem=view.certificate_chain_pem,
        session_id=view.session_id,
        result=view.result,
    )


@router.get("/node-key")
def node_key(service: ScanDep) -> ss.NodeKeyOut:
    """The node scan key's public half: devices check QR payloads with it."""
    return ss.NodeKeyOut(algorithm="Ed25519", public_key=b64e(service.node_public_key))


# -- platform ---------------------------------------------------------------------------------


@router.post("/requests", status_code=status.HTTP_201_CREATED)
def create_request(
    caller: PlatformDep, service: ScanDep, body: ss.ScanCreateIn
) -> ss.ScanRequestOut:
    """A new scan request for the key's platform, with its signed QR payload."""
    assert caller.platform_id is not None
    view = service.create(
        caller.platform_id,
        body.action,
        body.params,
        bind_name=body.bind_name,
        bind_uscc=body.bind_uscc,
        ttl_s=body.ttl_s,
        session_fingerprint=(
            None if body.session_fingerprint is None else bytes.fromhex(body.session_fingerprint)
        ),
    )
    return _out(view)


@router.get("/requests/{request_id}")
async def get_request(
    caller: PlatformDep,
    service: ScanDep,
    request_id: RequestId,
    wait: Annotated[float, Query(ge=0, le=30, description="long-poll: seconds to wait")] = 0,
) -> ss.ScanRequestOut:
    """The request's state; with ``wait`` the answer comes once it is final (approved,
    denied, expired) or after ``wait`` seconds, whichever is first."""
    assert caller.platform_id is not None
    platform = caller.platform_id
    view = await run_in_threadpool(service.wait, platform, request_id, wait)
    return _out(view)


@router.get(
    "/requests/{request_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "status events"}},
)
def request_events(caller: PlatformDep, service: ScanDep, request_id: RequestId) -> Response:
    """Server-sent events: a ``status`` event now and on every change, until the request is
    final (then the stream ends); comments keep the connection alive."""
    assert caller.platform_id is not None
    platform = caller.platform_id
    first = service.get(platform, request_id)  # unknown: a 404 before the stream starts

    def events() -> Iterator[str]:
        view, sent = first, ""
        deadline = time.monotonic() + SSE_MAX_S
        while True:
            data = _out(view).model_dump_json()
            if data != sent:
                yield f"event: status\ndata: {data}\n\n"
                sent = data
            else:
                yield ": keep-alive\n\n"
            if view.final or time.monotonic() >= deadline:
                return
            view = service.wait(platform, request_id, SSE_KEEPALIVE_S)

    return StreamingResponse(events(), media_type="text/event-stream")


@router.get(
    "/requests/{request_id}/qr.{fmt}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "QR"}},
)
def request_qr(
    caller: PlatformDep,
    service: ScanDep,
    request_id: RequestId,
    fmt: Annotated[str, Path(pattern=r"^(png|svg)$")],
    scale: Annotated[int, Query(ge=1, le=20)] = qr.SCALE,
) -> Response:
    """The request's payload as a QR code (PNG or SVG) for the platform's page."""
    assert caller.platform_id is not None
    view = service.get(caller.platform_id, request_id)
    if fmt == "png":
        return Response(qr.png(view.payload, scale=scale), media_type="image/png")
    return Response(qr.svg(view.payload, scale=scale), media_type="image/svg+xml")


@router.get(
    "/requests/{request_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the sealed PDF"}},
)
def request_document(caller: PlatformDep, service: ScanDep, request_id: RequestId) -> Response:
    """The document an approval produced (seal: the sealed PDF)."""
    assert caller.platform_id is not None
    document = service.document(caller.platform_id, request_id)
    return Response(document, media_type="application/pdf")


@router.get("/sessions/{fingerprint}")
def session_state(
    caller: PlatformDep,
    service: ScanDep,
    fingerprint: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
) -> ss.SessionStateOut:
    """The certificate's newest signing session at the key's platform (404: none)."""
    assert caller.platform_id is not None
    state = service.session_state(caller.platform_id, bytes.fromhex(fingerprint))
    return ss.SessionStateOut(
        session_id=state.session_id,
        fingerprint=state.fingerprint.hex(),
        state=state.state,  # type: ignore[arg-type]
        auto_confirm=state.auto_confirm,
        created_at=state.created_at,
        expires_at=state.expires_at,
        ended_at=state.ended_at,
        pending=state.pending,
    )


# -- device -----------------------------------------------------------------------------------


@router.get("/device/requests/{request_id}")
def read_request(
    service: ScanDep,
    request_id: RequestId,
    nonce: Annotated[str, Query(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
) -> ss.DeviceRequestOut:
    """What a scanned code asks (the QR payload's nonce is the capability)."""
    return _device_out(service.read(request_id, nonce))


@router.post("/device/requests/{request_id}/certificate")
def present_certificate(
    service: ScanDep, request_id: RequestId, body: ss.DeviceCertificateIn
) -> ss.DeviceRequestOut:
    """(seal) The signer's certificate before signing: the node prepares what to sign."""
    view = service.present_certificate(
        request_id,
        body.nonce,
        _b64(body.certificate, "certificate"),
        None if body.fingerprint is None else bytes.fromhex(body.fingerprint),
    )
    return _device_out(view)


def _device_out(view: ScanRequest) -> ss.DeviceRequestOut:
    return ss.DeviceRequestOut(
        request_id=view.request_id,
        platform_id=view.platform_id,
        action=view.action,
        content=view.content,
        bind_name=view.bind_name,
        bind_uscc=view.bind_uscc,
        expires_at=view.expires_at,
        message=b64e(view.message),
        needs_certificate=view.needs_certificate,
    )


@router.post("/device/requests/{request_id}/answer")
def answer_request(
    service: ScanDep, request_id: RequestId, body: ss.DeviceAnswerIn
) -> ss.DeviceAnswerOut:
    """Approve (a signature and the certificate it verifies under) or deny, once."""
    if body.decision == "deny":
        view = service.deny(request_id, body.nonce)
    else:
        if body.signature is None or body.certificate is None:
            raise InvalidScanRequest("an approval carries a signature and its certificate")
        view = service.approve(
            request_id,
            body.nonce,
            signature=_b64(body.signature, "signature"),
            certificate_der=_b64(body.certificate, "certificate"),
            fingerprint=None if body.fingerprint is None else bytes.fromhex(body.fingerprint),
        )
    return ss.DeviceAnswerOut(request_id=view.request_id, status=view.status)  # type: ignore[arg-type]


def _b64(text: str, what: str) -> bytes:
    try:
        return b64d(text, what=what)
    except ValueError as error:
        raise InvalidScanRequest(str(error)) from None


__all__ = ["get_scan", "router"]


@router.get("/device/sessions/{session_id}/pending")
async def session_pending(
    signed: SignedDep,
    service: ScanDep,
    session_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
) -> ss.PendingOut:
    """(device-signed) The requests pushed into one of this device's signing sessions."""
    payloads = await run_in_threadpool(service.pending, signed, session_id)
    return ss.PendingOut(session_id=session_id, payloads=payloads)
