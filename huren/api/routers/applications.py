"""Certificate applications and the holder's certificates (account access tokens).

``/v1/applications``: create, edit, attach (raw body, judged by content), the form PDF,
submit, the enterprise admin's staff requests, payment (through billing), download with
proven keys. ``/v1/holder/certificates``: the holder's certificates, detail, revocation with
the certificate password. Codes in docs/applications.md.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep
from huren.api.application_schemas import (
    AdminReviewIn,
    ApplicationEditIn,
    ApplicationIn,
    ApplicationOut,
    DownloadIn,
    DownloadOut,
    HeldCertificateOut,
    PaymentStartedOut,
    RevocationIn,
    RevocationOut,
)
from huren.api.deps import NodeDep
from huren.api.problems import ApiProblem, problem_response
from huren.api.split_key_deps import SplitKeysDep
from huren.node.applications.errors import InvalidKeyProof
from huren.node.applications.keys import prove_keys
from huren.node.applications.model import PENDING, ApplicationState, AttachmentKind
from huren.node.applications.service import NewApplication
from huren.node.applications.split_keys import InvalidKeySource, SplitKeyDesk
from huren.node.applications.wiring import ApplicationServices

__all__ = ["holder_router", "router"]

# Besides the account routes' answers: payment and attachments (huren.node.applications).
APPLICATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCOUNT_RESPONSES,
    402: problem_response("Not paid yet (NOT_PAID)"),
    413: problem_response("An attachment over the limit (ATTACHMENT_TOO_LARGE)"),
    415: problem_response("An attachment of another type (UNSUPPORTED_ATTACHMENT, ...)"),
}
router = APIRouter(
    prefix="/v1/applications", tags=["applications"], responses=APPLICATION_RESPONSES
)
holder_router = APIRouter(
    prefix="/v1/holder/certificates", tags=["applications"], responses=ACCOUNT_RESPONSES
)
AppId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
Fingerprint = Annotated[str, Path(pattern=r"^(0x)?[0-9a-fA-F]{64}$")]


def get_services(node: NodeDep) -> ApplicationServices:
    services: ApplicationServices | None = getattr(node, "applications", None)
    if services is None:
        raise ApiProblem(503, "APPLICATIONS_UNAVAILABLE", "this node takes no applications")
    return services


ServicesDep = Annotated[ApplicationServices, Depends(get_services)]


def _out(view: object) -> ApplicationOut:
    return ApplicationOut.model_validate(view)


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


@router.post("", status_code=201, response_model=ApplicationOut)
def create(body: ApplicationIn, account: AccountDep, s: ServicesDep) -> ApplicationOut:
    new = NewApplication(
        kind=body.kind,
        ca_id=body.ca_id,
        platform_id=body.platform_id,
        validity_years=body.validity_years,
        enterprise_name=body.enterprise_name,
        uscc=body.uscc,
        person_name=body.person_name,
        id_number=body.id_number,
        predecessor=None if body.predecessor is None else _hex(body.predecessor),
        transferee_phone=body.transferee_phone,
    )
    return _out(s.applications.create(account.id, new))


@router.get("", response_model=list[ApplicationOut])
def list_applications(
    account: AccountDep,
    s: ServicesDep,
    state: Annotated[Literal["pending", "all"], Query()] = "all",
) -> list[ApplicationOut]:
    states = PENDING if state == "pending" else frozenset(ApplicationState)
    return [_out(v) for v in s.applications.list_own(account.id, states)]


@router.get("/staff-requests", response_model=list[ApplicationOut])
def staff_requests(account: AccountDep, s: ServicesDep) -> list[ApplicationOut]:
    """Staff requests awaiting you as their enterprise's admin, oldest first: joins, and
    staff members' certificates, renewals and re-applications (docs/applications.md)."""
    return [_out(v) for v in s.applications.admin_queue(account.id)]


@router.get("/{application_id}", response_model=ApplicationOut)
def detail(application_id: AppId, account: AccountDep, s: ServicesDep) -> ApplicationOut:
    return _out(s.applications.get(account.id, application_id))


@router.patch("/{application_id}", response_model=ApplicationOut)
def edit(
    application_id: AppId, body: ApplicationEditIn, account: AccountDep, s: ServicesDep
) -> ApplicationOut:
    view = s.applications.edit(
        account.id,
        application_id,
        platform_id=body.platform_id,
        validity_years=body.validity_years,
    )
    return _out(view)


@router.put("/{application_id}/attachments/{kind}", response_model=ApplicationOut)
async def attach(
    application_id: AppId,
    kind: AttachmentKind,
    request: Request,
    account: AccountDep,
    s: ServicesDep,
) -> ApplicationOut:
    """The raw file as the body (PNG, JPEG, or PDF for the form); judged by its content."""
    data = await request.body()
    declared = request.headers.get("content-type", "")
    view = await run_in_threadpool(
        s.applications.attach, account.id, application_id, kind, data, declared
    )
    return _out(view)


@router.get("/{application_id}/form.pdf", response_class=Response)
def form(application_id: AppId, account: AccountDep, s: ServicesDep) -> Response:
    pdf = s.applications.form_pdf(account.id, application_id)
    return Response(pdf, media_type="application/pdf")


@router.post("/{application_id}/submit", response_model=ApplicationOut)
def submit(application_id: AppId, account: AccountDep, s: ServicesDep) -> ApplicationOut:
    return _out(s.applications.submit(account.id, application_id))


@router.post("/{application_id}/admin-review", response_model=ApplicationOut)
def admin_review(
    application_id: AppId, body: AdminReviewIn, account: AccountDep, s: ServicesDep
) -> ApplicationOut:
    """Approve (sealed: a ``join_approval`` letter for a join, a ``staff_certificate``
    letter for a certificate, renewal or re-application, naming this application; see
    docs/enterprises.md) or reject (with a reason) a staff request. Not yours to review,
    or not awaiting you: 404."""
    letter = None if body.letter is None else body.letter.sealed()
    view = s.applications.admin_review(
        account.id, application_id, body.approve, body.reason, letter
    )
    return _out(view)


@router.post("/{application_id}/payment", response_model=PaymentStartedOut)
def pay(application_id: AppId, account: AccountDep, s: ServicesDep) -> PaymentStartedOut:
    """Start paying an approved application through billing: its order (one per
    application, in your name) and a payment attempt at the gateway. The gateway's signed
    notification (``POST /v1/billing/notify``) makes the application ``paid``. 503
    BILLING_UNAVAILABLE on a node without a payment gateway."""
    started = s.applications.start_payment(account.id, application_id)
    return PaymentStartedOut.model_validate(started)


@router.post("/{application_id}/download", response_model=DownloadOut)
def download(
    application_id: AppId,
    body: DownloadIn,
    account: AccountDep,
    s: ServicesDep,
    split: SplitKeysDep,
) -> DownloadOut:
    """Send the keys (see docs/applications.md), receive both certificate chains; again
    with the same keys, the same certificates. ``key_source: "enrolment"``: the keys are
    the co-signer enrolments made with this application's tickets."""
    if body.key_source == "enrolment":
        return _download_enrolled(application_id, body, account.id, split)
    if body.signing_csr is None or body.signing_enrolment or body.encryption_enrolment:
        raise InvalidKeySource("key_source csr takes signing_csr (and the encryption key)")
    proof = None
    if body.encryption_key_proof is not None:
        try:
            proof = base64.b64decode(body.encryption_key_proof, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidKeyProof("the encryption key proof is not base64") from None
    keys = prove_keys(application_id, body.signing_csr, body.encryption_public_key, proof)
    return DownloadOut.model_validate(s.desk.download(account.id, application_id, keys))


def _download_enrolled(
    application_id: str, body: DownloadIn, account_id: str, split: SplitKeyDesk
) -> DownloadOut:
    csr_fields = (body.signing_csr, body.encryption_public_key, body.encryption_key_proof)
    if body.signing_enrolment is None or any(f is not None for f in csr_fields):
        raise InvalidKeySource("key_source enrolment takes signing_enrolment (and encryption)")
    result = split.download(
        account_id, application_id, body.signing_enrolment, body.encryption_enrolment
    )
    return DownloadOut.model_validate(result)


@holder_router.get("", response_model=list[HeldCertificateOut])
def certificates(
    account: AccountDep,
    s: ServicesDep,
    status: Annotated[Literal["active", "expired", "revoked", "replaced"] | None, Query()] = None,
) -> list[HeldCertificateOut]:
    """Your certificates; ``expiring_soon`` marks active ones with at most 30 days left."""
    return [HeldCertificateOut.model_validate(v) for v in s.desk.certificates(account.id, status)]


@holder_router.get("/{fingerprint}", response_model=HeldCertificateOut)
def certificate(
    fingerprint: Fingerprint, account: AccountDep, s: ServicesDep
) -> HeldCertificateOut:
    return HeldCertificateOut.model_validate(s.desk.certificate(account.id, _hex(fingerprint)))


@holder_router.post("/{fingerprint}/revocation", status_code=201, response_model=RevocationOut)
def revoke(
    fingerprint: Fingerprint, body: RevocationIn, account: AccountDep, s: ServicesDep
) -> RevocationOut:
    """Revoke the certificate and its pair partner, for good (the issuing CA does it on
    chain); the certificate password proves it is you."""
    done = s.desk.revoke(
        account.id, _hex(fingerprint), body.certificate_password, body.reason_code()
    )
    return RevocationOut(transactions=["0x" + t for t in done])
