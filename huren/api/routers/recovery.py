"""Recovery of split-key certificates (证书找回) — the holder's routes (account token) and the
new device's reshare (device-signed). See docs/applications.md and docs/cosigner.md,
*Recovery*.

``/v1/recoveries``: the policy in force, the account's split-key certificates, starting a
recovery (policy acknowledgement and a fresh identity verification), its detail, and the
one-time ticket for the new device once approved and paid. The form, submit, the CA's review
and payment are the applications' routes. ``POST /v1/cosigner/recoveries``: the new device
redeems the ticket and receives its pieces of the reshared keys.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from starlette.concurrency import run_in_threadpool

from huren.api import recovery_schemas as rs
from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep
from huren.api.application_schemas import ApplicationOut
from huren.api.ca_reviewer import CaId
from huren.api.problems import ApiProblem, problem_response
from huren.api.routers.applications import ServicesDep
from huren.api.routers.ca_review import REVIEW_RESPONSES, ServedDep
from huren.api.routers.ca_review import AppId as CaAppId
from huren.api.routers.cosigner import COSIGNER_RESPONSES, CosignerDep, SignedDep
from huren.node.applications.recovery_grants import KeyRecoveryGrants
from huren.node.applications.recovery_service import (
    IdentityProof,
    KeyRecoveryService,
    RecoveryView,
    StartRecovery,
)
from huren.node.applications.wiring import ApplicationServices
from huren.node.cosigner.recovery_agent import (
    RecoveryAgent,
    RecoveryAuthorizer,
    SimulatedRecoveryAgent,
)
from huren.node.cosigner.reshare import CosignerRecovery
from huren.node.cosigner.service import CosignerService
from huren.node.cosigner.wire import b64d, b64e

__all__ = ["ca_router", "device_router", "router"]

RECOVERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCOUNT_RESPONSES,
    502: problem_response("A provider refused or failed (IDENTITY_REJECTED, ...)"),
    503: problem_response("A provider is unavailable"),
    504: problem_response("A provider timed out"),
}
router = APIRouter(prefix="/v1/recoveries", tags=["recovery"], responses=RECOVERY_RESPONSES)
device_router = APIRouter(
    prefix="/v1/cosigner",
    tags=["co-signer", "recovery"],
    responses={
        **COSIGNER_RESPONSES,
        502: problem_response("The recovery holder refused (RECOVERY_AGENT_REFUSED)"),
        503: problem_response("The recovery holder is offline (RECOVERY_AGENT_UNAVAILABLE)"),
    },
)
ca_router = APIRouter(
    prefix="/v1/ca/{ca_id}/applications", tags=["ca review", "recovery"], responses=REVIEW_RESPONSES
)
AppId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
_create = threading.Lock()


def get_recoveries(services: ServicesDep) -> KeyRecoveryService:
    applications = services.applications
    return KeyRecoveryService(applications, applications.identity)


RecoveriesDep = Annotated[KeyRecoveryService, Depends(get_recoveries)]


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _out(view: RecoveryView) -> rs.RecoveryOut:
    return rs.RecoveryOut(
        application=ApplicationOut.model_validate(view.application),
        policy_version=view.policy_version,
        identity_method=view.identity_method,
        identity_verified_at=view.identity_verified_at,
        keys=[
            rs.RecoveryKeyOut(enrolment_id=e, purpose=p, fingerprint=f.hex())
            for e, p, f in view.keys
        ],
        old_device_id=view.old_device_id,
        new_device_id=view.new_device_id,
        completed_at=view.completed_at,
        identity_reference=view.identity_reference,
    )


@router.get("/policy")
def policy() -> rs.PolicyOut:
    """The recovery policy in force (《证书找回政策》); a recovery acknowledges its version."""
    current = KeyRecoveryService.policy()
    return rs.PolicyOut(version=current.version, text=current.text, sha256=current.sha256.hex())


@router.get("/candidates")
def candidates(account: AccountDep, recoveries: RecoveriesDep) -> list[rs.CandidateOut]:
    """Your certificates on split keys, which a new phone can recover."""
    return [
        rs.CandidateOut(
            fingerprint=c.fingerprint.hex(),
            purpose=c.purpose,
            enrolment_id=c.enrolment_id,
            device_id=c.device_id,
            ca_id=c.ca_id,
            not_after=c.not_after,
        )
        for c in recoveries.candidates(account.id)
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
def start(body: rs.RecoveryIn, account: AccountDep, recoveries: RecoveriesDep) -> rs.RecoveryOut:
    """Start a recovery: a draft ``recovery`` application in split-key mode. Next: upload the
    form (``PUT /v1/applications/{id}/attachments/application_form``), submit, the CA's
    review, payment, then the ticket."""
    proof = body.identity
    new = StartRecovery(
        fingerprint=_hex(body.fingerprint),
        encryption_fingerprint=(
            None if body.encryption_fingerprint is None else _hex(body.encryption_fingerprint)
        ),
        platform_id=body.platform_id,
        policy_version=body.policy_version,
        policy_acknowledged=body.policy_acknowledged,
        identity=IdentityProof(
            proof.method, proof.name, proof.id_number, proof.card_number, proof.phone
        ),
    )
    return _out(recoveries.start(account.id, new))


@router.get("/{application_id}")
def detail(application_id: AppId, account: AccountDep, recoveries: RecoveriesDep) -> rs.RecoveryOut:
    return _out(recoveries.get(account.id, application_id))


@router.post("/{application_id}/ticket", status_code=status.HTTP_201_CREATED)
def ticket(application_id: AppId, account: AccountDep, recoveries: RecoveriesDep) -> rs.TicketOut:
    """The one-time ticket the new device redeems (approved and paid recoveries only)."""
    issued = recoveries.issue_ticket(account.id, application_id)
    return rs.TicketOut(
        ticket=issued.ticket, expires_at=issued.expires_at, enrolment_ids=list(issued.enrolment_ids)
    )


@ca_router.get("/{application_id}/recovery")
def ca_detail(ca_id: CaId, application_id: CaAppId, s: ServedDep) -> rs.RecoveryOut:
    """A split-key recovery as the CA reviews it: the policy version acknowledged, the
    identity verified again (method, provider reference, time), the keys and their device."""
    recoveries = KeyRecoveryService(s.applications, s.applications.identity)
    return _out(recoveries.ca_detail(ca_id, application_id))


# -- the new device ---------------------------------------------------------------------------


def _agent(request: Request, cosigner: CosignerService) -> RecoveryAgent:
    """The node's recovery holder: tests and deployments put one on ``app.state``; a dev node
    runs the simulator with the dev recovery key."""
    state = request.app.state
    agent: RecoveryAgent | None = getattr(state, "recovery_agent", None)
    if agent is None:
        if getattr(state.node.settings, "env", "dev") != "dev":
            raise ApiProblem(503, "RECOVERY_AGENT_UNAVAILABLE", "no recovery holder is configured")
        with _create:
            agent = getattr(state, "recovery_agent", None)
            if agent is None:
                authorizer = RecoveryAuthorizer(cosigner._kek).public_key
                agent = SimulatedRecoveryAgent(authorizer=authorizer)
                state.recovery_agent = agent
    return agent


def _applications(request: Request) -> ApplicationServices:
    services: ApplicationServices | None = getattr(request.app.state.node, "applications", None)
    if services is None:
        raise ApiProblem(503, "APPLICATIONS_UNAVAILABLE", "this node takes no applications")
    return services


@device_router.post("/recoveries", status_code=status.HTTP_201_CREATED)
async def recover(
    signed: SignedDep, cosigner: CosignerDep, request: Request, body: rs.DeviceRecoverIn
) -> rs.DeviceRecoverOut:
    """Redeem a recovery ticket on the new device: the co-signer and the recovery holder
    reshare each key; the device gets its sealed pieces, the public package and a new
    unwrap secret. The old device is revoked."""
    services = _applications(request)
    agent = _agent(request, cosigner)
    recovery = CosignerRecovery(
        cosigner,
        agent,
        KeyRecoveryGrants(services.applications),
        RecoveryAuthorizer(cosigner._kek),
    )
    pins = {k.enrolment_id: b64d(k.pin_public_key, what="pin_public_key") for k in body.pin_keys}
    if len(pins) != len(body.pin_keys):
        raise ApiProblem(422, "INVALID_COSIGNER_REQUEST", "one PIN key per enrolment")
    keys = await run_in_threadpool(
        lambda: recovery.recover(
            signed,
            ticket=body.ticket,
            device_public_key=b64d(body.device_public_key, what="device_public_key"),
            transport_public_key=b64d(body.transport_public_key, what="transport_public_key"),
            pin_public_keys=pins,
            device_label=body.device_label,
        )
    )
    return rs.DeviceRecoverOut(
        keys=[
            rs.DeviceKeyOut(
                enrolment_id=k.enrolment_id,
                purpose=k.purpose,
                parameters=b64e(k.parameters),
                commitments=[b64e(c) for c in k.commitments],
                sealed_shares=[b64e(c) for c in k.sealed_shares],
                public_key_package=b64e(k.public_package),
                unwrap_secret=b64e(k.unwrap_secret),
                fingerprints=[f.hex() for f in k.fingerprints],
            )
            for k in keys
        ]
    )
