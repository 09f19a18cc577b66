"""Bodies of the split-key side of applications: enrolment tickets for the holder
(``POST /v1/applications/{id}/enrolment-tickets``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["EnrolmentTicketOut", "EnrolmentTicketsOut"]


class EnrolmentTicketOut(BaseModel):
    purpose: str = Field(description="signing or encryption: enrol the key with this purpose")
    ticket: str = Field(description="the one-time ticket (shown once)")
    ticket_id: str
    expires_at: int


class EnrolmentTicketsOut(BaseModel):
    """Enrol each key with the co-signer (``POST /v1/cosigner/enrolments``), then download
    with ``key_source: "enrolment"`` and the enrolment ids."""

    application_id: str
    holder: str = Field(description="the co-signer's holder reference of your account")
    recovery_public_key: str = Field(
        description="base64 X25519 key the recovery share is sealed to (check it at enrolment)"
    )
    tickets: list[EnrolmentTicketOut]
