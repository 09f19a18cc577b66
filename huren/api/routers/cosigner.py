"""The co-signer (``/v1/cosigner``): enrolment, signing and split-decryption rounds with the
holder's device, PIN change, and the device's listings; plus what node services do around
them, for now with the node-admin key: issue enrolment tickets, bind issued certificates,
unlock a key after identity verification.

Device requests carry no API key: the device key signs each one (``X-Huren-Device``,
``-Timestamp``, ``-Nonce``, ``-Signature``; operations with the key also ``-Pin-Proof``, see
``huren.node.cosigner.wire``), over the exact body bytes, which the handlers take from the
request after FastAPI has parsed them. The service is built on first use from the node's
settings (tests put their own, with a clock, on ``app.state.cosigner``).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from huren.api import cosigner_schemas as cs
from huren.api.deps import AdminDep
from huren.api.problems import PROBLEM_RESPONSES, problem_response
from huren.api.schemas import parse_fingerprint
from huren.node.cosigner import at_rest, enrolment, tickets
from huren.node.cosigner.auth import SignedRequest, parse_headers
from huren.node.cosigner.service import CosignerService
from huren.node.cosigner.wire import b64d, b64e
from huren.node.db.cosigner_tables import CosignerDevice
from huren.node.db.engine import write_session

# What the co-signer answers besides bad input (codes in huren.node.cosigner.errors).
COSIGNER_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: problem_response("No valid device signature (DEVICE_AUTH_FAILED) or key"),
    403: problem_response("Refused (ADMIN_ONLY, PIN_PROOF_FAILED, HOLDER_MISMATCH, ...)"),
    404: problem_response("Unknown (UNKNOWN_ENROLMENT, UNKNOWN_DEVICE, UNKNOWN_SIGNING)"),
    409: problem_response("The state forbids it (ENROLMENT_STATE, REQUEST_REPLAYED, ...)"),
    423: problem_response("Locked by wrong PINs (KEY_LOCKED)"),
}
router = APIRouter(prefix="/v1/cosigner", tags=["co-signer"], responses=COSIGNER_RESPONSES)
EnrolmentId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_create = threading.Lock()


def get_cosigner(request: Request) -> CosignerService:
    state = request.app.state
    service: CosignerService | None = getattr(state, "cosigner", None)
    if service is None:
        with _create:
            service = getattr(state, "cosigner", None)
            if service is None:
                settings = state.node.settings
                kek = at_rest.kek_of(
                    getattr(settings, "env", "dev"), getattr(settings, "cosigner_kek", None)
                )
                service = CosignerService(state.node.engine, kek, index_cache=state.index_cache)
                state.cosigner = service
    return service


CosignerDep = Annotated[CosignerService, Depends(get_cosigner)]


async def _signed(request: Request) -> SignedRequest:
    """The device's signed request: FastAPI reads the body before any dependency runs; the
    signature covers its exact bytes, which Starlette keeps."""
    body = await request.body()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return parse_headers(request.method, path, body, dict(request.headers))


# Before the service: a caller without a device signature is a 401 whatever else is wrong.
SignedDep = Annotated[SignedRequest, Depends(_signed)]


# -- node services (node-admin key for now) ---------------------------------------------------


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
def issue_ticket(_: AdminDep, service: CosignerDep, body: cs.TicketIn) -> cs.TicketOut:
    """A one-time enrolment ticket for a holder (shown once)."""
    recovery = b64d(body.recovery_public_key, what="recovery_public_key")
    with write_session(service.engine) as session:
        issued = tickets.issue_ticket(
            session, body.holder, recovery, now=service.clock(), ttl_s=body.ttl_s
        )
    return cs.TicketOut(
        ticket=issued.ticket,
        ticket_id=issued.ticket_id,
        holder=issued.holder,
        expires_at=issued.expires_at,
    )


@router.post("/enrolments/{enrolment_id}/certificates", status_code=status.HTTP_201_CREATED)
def bind_certificate(
    _: AdminDep, service: CosignerDep, enrolment_id: EnrolmentId, body: cs.CertificateIn
) -> cs.CertificateOut:
    """Bind a certificate issued for the enrolment's group key (the PKI's step)."""
    der = b64d(body.certificate, what="certificate")
    with write_session(service.engine) as session:
        fingerprint = enrolment.bind_certificate(session, enrolment_id, der, now=service.clock())
    return cs.CertificateOut(fingerprint=fingerprint.hex())


@router.post("/enrolments/{enrolment_id}/unlock", status_code=status.HTTP_204_NO_CONTENT)
def unlock(_: AdminDep, service: CosignerDep, enrolment_id: EnrolmentId, body: cs.UnlockIn) -> None:
    """Unlock a key locked by wrong PINs, once identity was verified again."""
    with write_session(service.engine) as session:
        enrolment.unlock(session, enrolment_id, verified_by=body.verified_by, now=service.clock())


# -- the device -------------------------------------------------------------------------------


@router.post("/enrolments", status_code=status.HTTP_201_CREATED)
async def start_enrolment(
    signed: SignedDep, service: CosignerDep, body: cs.EnrolStartIn
) -> cs.EnrolStartOut:
    """Enrolment round one: a ticket and the device key in, DKG parameters and the
    co-signer's commitment out."""
    started = await run_in_threadpool(
        lambda: service.start_enrolment(
            signed,
            ticket=body.ticket,
            device_public_key=b64d(body.device_public_key, what="device_public_key"),
            purpose=body.purpose,
            device_label=body.device_label,
        )
    )
    return cs.EnrolStartOut(
        enrolment_id=started.enrolment_id,
        parameters=b64e(started.parameters),
        commitment=b64e(started.commitment),
    )


@router.post("/enrolments/{enrolment_id}/finish")
async def finish_enrolment(
    signed: SignedDep, service: CosignerDep, enrolment_id: EnrolmentId, body: cs.EnrolFinishIn
) -> cs.EnrolFinishOut:
    """Enrolment round two: the device's DKG messages and PIN proof key in; the co-signer's
    share for the device, the public key package and the unwrap secret out."""
    finished = await run_in_threadpool(
        lambda: service.finish_enrolment(
            signed,
            enrolment_id,
            commitment=b64d(body.commitment, what="commitment"),
            secret_share=b64d(body.secret_share, what="secret_share"),
            sealed_share=b64d(body.sealed_share, what="sealed_share"),
            pin_public_key=b64d(body.pin_public_key, what="pin_public_key"),
        )
    )
    return cs.EnrolFinishOut(
        public_key_package=b64e(finished.public_package),
        secret_share=b64e(finished.secret_share),
        unwrap_secret=b64e(finished.unwrap_secret),
    )


@router.post("/signings", status_code=status.HTTP_201_CREATED)
async def start_signing(
    signed: SignedDep, service: CosignerDep, body: cs.SignStartIn
) -> cs.SignStartOut:
    """Signing round one (PIN proof; the certificate must be recognized at the platform)."""
    started = await run_in_threadpool(
        lambda: service.start_signing(
            signed,
            body.enrolment_id,
            fingerprint=parse_fingerprint(body.fingerprint),
            platform_id=body.platform,
            action=body.action,
            message=b64d(body.message, what="message"),
            session_id=body.session_id,
        )
    )
    return cs.SignStartOut(
        signing_id=started.signing_id,
        commitment=b64e(started.commitment),
        unwrap_secret=b64e(started.unwrap_secret),
    )


@router.post("/signings/{signing_id}/share")
async def finish_signing(
    signed: SignedDep,
    service: CosignerDep,
    signing_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    body: cs.SignShareIn,
) -> cs.SignShareOut:
    """Signing round two: the signing package in, the co-signer's signature share out."""
    package = b64d(body.package, what="package")
    share = await run_in_threadpool(service.finish_signing, signed, signing_id, package)
    return cs.SignShareOut(signature_share=b64e(share))


@router.post("/decryptions")
async def decrypt(signed: SignedDep, service: CosignerDep, body: cs.DecryptIn) -> cs.DecryptOut:
    """Split decryption: the co-signer's share for one HPKE ``enc`` (never the ciphertext)."""
    share, unwrap = await run_in_threadpool(
        lambda: service.decrypt(
            signed,
            body.enrolment_id,
            fingerprint=parse_fingerprint(body.fingerprint),
            platform_id=body.platform,
            decryption_request=b64d(body.request, what="request"),
        )
    )
    return cs.DecryptOut(decryption_share=b64e(share), unwrap_secret=b64e(unwrap))


@router.post("/enrolments/{enrolment_id}/pin")
async def change_pin(
    signed: SignedDep, service: CosignerDep, enrolment_id: EnrolmentId, body: cs.PinChangeIn
) -> cs.PinChangeOut:
    """Replace the PIN proof key (proof by the old PIN)."""
    new_key = b64d(body.pin_public_key, what="pin_public_key")
    unwrap = await run_in_threadpool(
        lambda: service.change_pin(signed, enrolment_id, new_pin_public_key=new_key)
    )
    return cs.PinChangeOut(unwrap_secret=b64e(unwrap))


@router.get("/devices")
async def devices(signed: SignedDep, service: CosignerDep) -> list[cs.DeviceOut]:
    """The devices of this device's holder."""
    rows = await run_in_threadpool(service.devices, signed)
    return [_device_out(d) for d in rows]


@router.post("/devices/{device_id}/revoke")
async def revoke_device(
    signed: SignedDep,
    service: CosignerDep,
    device_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    body: cs.RevokeIn,
) -> cs.DeviceOut:
    """Revoke one of the holder's devices (a lost phone); its requests are refused. Needs a
    PIN proof for one of the calling device's keys."""
    d = await run_in_threadpool(
        lambda: service.revoke_device(signed, device_id, enrolment_id=body.enrolment_id)
    )
    return _device_out(d)


def _device_out(d: CosignerDevice) -> cs.DeviceOut:
    return cs.DeviceOut(
        device_id=d.device_id,
        label=d.label,
        created_at=d.created_at,
        last_seen_at=d.last_seen_at,
        revoked_at=d.revoked_at,
    )


@router.get("/enrolments")
async def enrolments(signed: SignedDep, service: CosignerDep) -> list[cs.EnrolmentOut]:
    """This device's keys, their certificates and lock state."""
    infos = await run_in_threadpool(service.enrolments, signed)
    return [
        cs.EnrolmentOut(
            enrolment_id=i.enrolment_id,
            purpose=i.purpose,
            group_public_key=b64e(i.group_public_key),
            epoch=i.epoch,
            created_at=i.created_at,
            locked=i.locked,
            pin_failures=i.pin_failures,
            fingerprints=[f.hex() for f in i.fingerprints],
        )
        for i in infos
    ]


@router.get("/sessions")
async def sessions(
    signed: SignedDep, service: CosignerDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[cs.SessionOut]:
    """The holder's co-signing records, newest first."""
    rows = await run_in_threadpool(service.sessions, signed, limit)
    return [
        cs.SessionOut(
            at=r.at,
            operation=r.operation,
            result=r.result,
            device_id=r.device_id,
            enrolment_id=r.enrolment_id,
            fingerprint=None if r.fingerprint is None else r.fingerprint.hex(),
            platform=r.platform_id,
            action=r.action,
            digest=None if r.digest is None else r.digest.hex(),
        )
        for r in rows
    ]
