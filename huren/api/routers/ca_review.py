"""The CA operator's review queue (the CA is named in the path).

Callers: the node-admin key (the body names the reviewer), or the access token of an account
granted the console role of CA operator for that CA, whose decisions record the account as
the reviewer (``huren.api.ca_reviewer``); the console's review pages call the same service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from huren.api.application_schemas import ApplicationOut, ApproveIn, RejectIn
from huren.api.ca_reviewer import CaId, ReviewerDep
from huren.api.deps import NodeDep
from huren.api.problems import PROBLEM_RESPONSES, problem_response
from huren.api.routers.applications import get_services
from huren.node.applications.model import AttachmentKind
from huren.node.applications.wiring import ApplicationServices
from huren.node.pki.errors import UnknownCa

__all__ = ["router"]

# What review answers besides bad input (codes in huren.node.applications.errors).
REVIEW_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: problem_response("No key or token, or not a valid one (UNAUTHENTICATED, ...)"),
    403: problem_response("Neither the admin key nor this CA's operator (NOT_CA_OPERATOR)"),
    404: problem_response(
        "A CA this node does not serve, or no such application (UNKNOWN_CA, ...)"
    ),
    409: problem_response("The application's state forbids it (ILLEGAL_TRANSITION, ...)"),
    502: problem_response("The payment gateway refused the refund (GATEWAY_REFUSED)"),
    503: problem_response("This node takes no applications (APPLICATIONS_UNAVAILABLE)"),
    504: problem_response("The refund's answer was lost (REFUND_PENDING)"),
}
router = APIRouter(
    prefix="/v1/ca/{ca_id}/applications", tags=["ca review"], responses=REVIEW_RESPONSES
)
AppId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]


def _served(ca_id: CaId, _: ReviewerDep, node: NodeDep) -> ApplicationServices:
    """The caller first (the admin key or this CA's operator), then the CA (one this node
    serves), then the services."""
    pki = getattr(node, "pki", None)
    if pki is None or ca_id not in pki.cas:
        raise UnknownCa(f"no CA {ca_id!r} is loaded into this node")
    return get_services(node)


ServedDep = Annotated[ApplicationServices, Depends(_served)]


@router.get("", response_model=list[ApplicationOut])
def queue(ca_id: CaId, s: ServedDep) -> list[ApplicationOut]:
    """Applications waiting for this CA's review, oldest first."""
    return [ApplicationOut.model_validate(v) for v in s.applications.ca_queue(ca_id)]


@router.get("/{application_id}", response_model=ApplicationOut)
def detail(ca_id: CaId, application_id: AppId, s: ServedDep) -> ApplicationOut:
    return ApplicationOut.model_validate(s.applications.ca_detail(ca_id, application_id))


@router.get("/{application_id}/attachments/{kind}", response_class=Response)
def attachment(
    ca_id: CaId,
    application_id: AppId,
    kind: AttachmentKind,
    s: ServedDep,
) -> Response:
    row = s.applications.ca_attachment(ca_id, application_id, kind)
    return Response(row.data, media_type=row.media_type, headers={"ETag": row.sha256.hex()})


@router.post("/{application_id}/approve", response_model=ApplicationOut)
def approve(
    ca_id: CaId,
    application_id: AppId,
    body: ApproveIn,
    s: ServedDep,
    reviewer: ReviewerDep,
) -> ApplicationOut:
    name = reviewer.name(body.reviewer)
    view = s.applications.ca_review(ca_id, application_id, name, True, None)
    return ApplicationOut.model_validate(view)


@router.post("/{application_id}/reject", response_model=ApplicationOut)
def reject(
    ca_id: CaId,
    application_id: AppId,
    body: RejectIn,
    s: ServedDep,
    reviewer: ReviewerDep,
) -> ApplicationOut:
    """Reject with a reason: a submitted application goes back to the applicant; a paid one
    (not yet issued) is refunded through billing and ends ``refunded`` (504 REFUND_PENDING
    when the gateway's answer is lost: it stays paid, and rejecting again is safe)."""
    name = reviewer.name(body.reviewer)
    view = s.applications.ca_review(ca_id, application_id, name, False, body.reason)
    return ApplicationOut.model_validate(view)
