"""The PKI's public endpoints and the CA operations of the node admin.

Public (no key: relying parties fetch these from the URLs inside certificates):
- ``GET /v1/pki/cas``: the CAs loaded into this node;
- ``GET /v1/pki/cas/{ca}/root.cer``, ``/issuing.cer``: CA certificates, DER (AIA caIssuers);
- ``GET /v1/pki/cas/{ca}/crl``: the issuing CA's CRL, DER (the CRL distribution point);
- ``POST /v1/pki/cas/{ca}/ocsp`` (``application/ocsp-request``) and
  ``GET /v1/pki/cas/{ca}/ocsp/{base64 request}``: OCSP (RFC 6960 appendix A). An OCSP
  request that does not parse still gets HTTP 200 with an OCSP malformedRequest response,
  as the RFC wants; an unknown CA is a 404 problem.

With a key:
- ``GET /v1/pki/certificates/{fingerprint}/chain``: an issued certificate with its issuing
  and root CA (``application/pem-certificate-chain``) once its record is committed on chain:
  404 ``UNKNOWN_ISSUED_CERTIFICATE``, 409 ``CERTIFICATE_NOT_COMMITTED`` before;
- ``POST /v1/pki/certificates/{fingerprint}/revocation`` (admin key): the issuing CA revokes
  on chain.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from huren.api.deps import AdminDep, CallerDep, NodeDep
from huren.api.problems import CHAIN_WRITE_RESPONSES, PROBLEM_RESPONSES, ApiProblem
from huren.api.schemas import FINGERPRINT_PATTERN, parse_fingerprint
from huren.node.pki.errors import UnknownCa, UnknownIssuedCertificate
from huren.node.pki.service import Pki
from huren.registry.types import RevocationReason

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/pki", tags=["pki"])

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
MAX_OCSP_REQUEST = 10_000
CaPath = Annotated[str, Path(min_length=1, max_length=66, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
FingerprintPath = Annotated[str, Path(pattern=FINGERPRINT_PATTERN)]
RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    404: {"description": "UNKNOWN_CA or UNKNOWN_ISSUED_CERTIFICATE"},
}


def _pki(node: NodeDep) -> Pki:
    """The node's PKI; a node without one holds no CAs and issued nothing (404s)."""
    pki: Pki | None = getattr(node, "pki", None)
    if pki is None:
        raise UnknownCa("this node holds no CAs")
    return pki


class CaOut(BaseModel):
    ca_id: str
    name: str
    issuer_key_id: str = Field(description="SHA-256 of the issuing CA's SPKI, as on chain")
    ocsp_url: str
    crl_url: str
    issuing_certificate_url: str
    root_certificate_url: str


@router.get("/cas", response_model=list[CaOut])
async def list_cas(node: NodeDep) -> list[CaOut]:
    pki: Pki | None = getattr(node, "pki", None)
    return [
        CaOut(
            ca_id=ca.ca_id,
            name=ca.name,
            issuer_key_id="0x" + ca.issuer_key_id.hex(),
            ocsp_url=ca.urls.ocsp,
            crl_url=ca.urls.crl,
            issuing_certificate_url=ca.urls.issuing_certificate,
            root_certificate_url=ca.urls.root_certificate,
        )
        for ca in (pki.cas.values() if pki is not None else ())
    ]


@router.get("/cas/{ca_id}/root.cer", responses=RESPONSES)
async def root_certificate(ca_id: CaPath, node: NodeDep) -> Response:
    return Response(_pki(node).ca(ca_id).root_der, media_type="application/pkix-cert")


@router.get("/cas/{ca_id}/issuing.cer", responses=RESPONSES)
async def issuing_certificate(ca_id: CaPath, node: NodeDep) -> Response:
    return Response(_pki(node).ca(ca_id).issuing_der, media_type="application/pkix-cert")


async def _in_loop_or_pool(request: Request, fn: Any, *args: Any) -> Any:
    """A short SQLite read runs in the loop (see ``huren.api.deps``); else the pool."""
    return await _in_loop_or_pool_state(request.app.state, fn, *args)


@router.get("/cas/{ca_id}/crl", responses=RESPONSES)
async def crl(ca_id: CaPath, node: NodeDep) -> Response:
    publisher = _pki(node).crl(ca_id)
    der = await run_in_threadpool(publisher.current)  # may sign and write a new one
    return Response(der, media_type="application/pkix-crl")


@router.post(
    "/cas/{ca_id}/ocsp",
    responses=RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {OCSP_REQUEST: {"schema": {"type": "string", "format": "binary"}}},
            "required": True,
        }
    },
)
async def ocsp_post(ca_id: CaPath, request: Request, node: NodeDep) -> Response:
    responder = _pki(node).responder(ca_id)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != OCSP_REQUEST:
        raise ApiProblem(415, "UNSUPPORTED_MEDIA_TYPE", f"send {OCSP_REQUEST}")
    body = await request.body()
    if len(body) > MAX_OCSP_REQUEST:
        raise ApiProblem(
            413, "PAYLOAD_TOO_LARGE", f"an OCSP request has at most {MAX_OCSP_REQUEST} bytes"
        )
    der = await _in_loop_or_pool(request, responder.respond, body)
    return Response(der, media_type=OCSP_RESPONSE)


@router.get("/cas/{ca_id}/ocsp/{encoded:path}", responses=RESPONSES)
async def ocsp_get(ca_id: CaPath, encoded: str, request: Request, node: NodeDep) -> Response:
    responder = _pki(node).responder(ca_id)
    try:
        body = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        body = b""  # answered as a malformed request
    der = await _in_loop_or_pool(request, responder.respond, body)
    # GET responses may be cached by HTTP caches (RFC 5019 section 6); a nonce makes each new.
    return Response(der, media_type=OCSP_RESPONSE, headers=_GET_HEADERS)


@router.get("/certificates/{fingerprint}/chain", responses=RESPONSES)
async def certificate_chain(
    fingerprint: FingerprintPath, _: CallerDep, request: Request, node: NodeDep
) -> Response:
    if getattr(node, "pki", None) is None:
        raise UnknownIssuedCertificate("this node holds no CAs")
    issuance = _pki(node).issuance
    pem = await run_in_threadpool(issuance.chain_pem, parse_fingerprint(fingerprint))
    return Response(pem, media_type="application/pem-certificate-chain")


class RevocationIn(BaseModel):
    reason: Annotated[str, Field(description="RFC 5280 reason the registry accepts")] = (
        "UNSPECIFIED"
    )


class RevocationOut(BaseModel):
    fingerprint: str
    reason: str
    transaction_hash: str


@router.post(
    "/certificates/{fingerprint}/revocation",
    responses={**CHAIN_WRITE_RESPONSES, **RESPONSES},
    response_model=RevocationOut,
    status_code=201,
)
async def revoke(
    fingerprint: FingerprintPath, body: RevocationIn, _: AdminDep, node: NodeDep
) -> RevocationOut:
    try:
        reason = RevocationReason[body.reason.upper()]
    except KeyError:
        names = ", ".join(r.name for r in RevocationReason)
        raise ApiProblem(422, "INVALID_REVOCATION_REASON", f"reason is one of {names}") from None
    fp = parse_fingerprint(fingerprint)
    tx = await run_in_threadpool(_pki(node).issuance.revoke, fp, reason)
    return RevocationOut(
        fingerprint="0x" + fp.hex(), reason=reason.name, transaction_hash="0x" + tx.hex()
    )


class OcspFastPath:
    """ASGI middleware: answers ``GET /v1/pki/cas/{ca}/ocsp/{base64}`` for a loaded CA
    itself, ahead of FastAPI's routing and dependency solving (which cost four times the
    answer: measured with benchmarks/ocsp.py). The answer is the route's; anything else
    (POST, an unknown CA, a failure) goes on to the routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(_CAS_PREFIX)
        ):
            try:
                response = await _fast_ocsp(scope)
            except Exception:  # the route answers or reports it
                log.debug("left to the route", exc_info=True)
                response = None
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_CAS_PREFIX = "/v1/pki/cas/"


async def _fast_ocsp(scope: Scope) -> Response | None:
    app = scope.get("app")
    if app is None or scope.get("root_path") or app.dependency_overrides:
        return None
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    ca_id, sep, encoded = raw.decode("ascii").removeprefix(_CAS_PREFIX).partition("/ocsp/")
    pki: Pki | None = getattr(app.state.node, "pki", None)
    if not sep or pki is None or ca_id not in pki.cas or "?" in encoded:
        return None
    try:
        body = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        body = b""
    der = await _in_loop_or_pool_state(app.state, pki.responder(ca_id).respond, body)
    return Response(der, media_type=OCSP_RESPONSE, headers=_GET_HEADERS)


_GET_HEADERS = {"Cache-Control": "max-age=60"}


async def _in_loop_or_pool_state(state: Any, fn: Any, *args: Any) -> Any:
    if state.read_in_loop:
        return fn(*args)
    return await run_in_threadpool(fn, *args)
