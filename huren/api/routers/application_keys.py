"""Split keys for an application's certificates (account access token): the holder gets
one-time co-signer enrolment tickets here, enrols its keys with the co-signer
(``/v1/cosigner``), then downloads with ``key_source: "enrolment"`` (the download route in
``applications``, through ``split_key_deps``). See huren.node.applications.split_keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from huren.api.account_deps import AccountDep
from huren.api.problems import problem_response
from huren.api.routers.applications import APPLICATION_RESPONSES
from huren.api.split_key_deps import SplitKeysDep
from huren.api.split_key_schemas import EnrolmentTicketOut, EnrolmentTicketsOut
from huren.node.cosigner.wire import b64e

__all__ = ["router"]

TICKET_RESPONSES: dict[int | str, dict[str, Any]] = {
    **APPLICATION_RESPONSES,
    503: problem_response("No recovery key configured (RECOVERY_KEY_UNAVAILABLE), ..."),
}
router = APIRouter(prefix="/v1/applications", tags=["applications"], responses=TICKET_RESPONSES)
AppId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]


@router.post(
    "/{application_id}/enrolment-tickets", status_code=201, response_model=EnrolmentTicketsOut
)
def enrolment_tickets(
    application_id: AppId, account: AccountDep, desk: SplitKeysDep
) -> EnrolmentTicketsOut:
    """One-time tickets to enrol this application's keys with the co-signer, in your name:
    signing and encryption (a renewal keeps its encryption key: signing only). For an
    approved or paid application; each call gives fresh tickets, valid a day."""
    issued = desk.tickets(account.id, application_id)
    return EnrolmentTicketsOut(
        application_id=issued.application_id,
        holder=issued.holder,
        recovery_public_key=b64e(issued.recovery_public_key),
        tickets=[
            EnrolmentTicketOut(
                purpose=t.purpose, ticket=t.ticket, ticket_id=t.ticket_id, expires_at=t.expires_at
            )
            for t in issued.tickets
        ],
    )
