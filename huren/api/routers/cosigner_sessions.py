"""Signing sessions at the co-signer (``/v1/cosigner/signing-sessions``, see
``huren.node.cosigner.sessions``): start (PIN proof), open again (PIN proof), end, list. Device
requests only, signed by the device key as every co-signer device route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from huren.api.routers.cosigner import COSIGNER_RESPONSES, CosignerDep, SignedDep
from huren.api.schemas import parse_fingerprint
from huren.node.cosigner.sessions import DEFAULT_SESSION_S, MAX_SESSION_S
from huren.node.cosigner.wire import b64e
from huren.node.db.cosigner_session_tables import CosignerSigningSession

router = APIRouter(
    prefix="/v1/cosigner/signing-sessions", tags=["co-signer"], responses=COSIGNER_RESPONSES
)
SessionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class SessionStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enrolment_id: Hex32
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    platform: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,66}$")]
    ttl_s: int = Field(default=DEFAULT_SESSION_S, ge=60, le=MAX_SESSION_S)
    auto_confirm: bool = False


class SessionOut(BaseModel):
    session_id: str
    enrolment_id: str
    fingerprint: str
    platform: str
    auto_confirm: bool
    created_at: int
    expires_at: int
    ended_at: int | None
    unwrap_secret: str | None = Field(default=None, description="after a PIN proof only")


def _out(row: CosignerSigningSession, unwrap: bytes | None = None) -> SessionOut:
    return SessionOut(
        session_id=row.session_id,
        enrolment_id=row.enrolment_id,
        fingerprint=row.fingerprint.hex(),
        platform=row.platform_id,
        auto_confirm=row.auto_confirm,
        created_at=row.created_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        unwrap_secret=None if unwrap is None else b64e(unwrap),
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def start_session(
    signed: SignedDep, service: CosignerDep, body: SessionStartIn
) -> SessionOut:
    """Start a signing session for one key, certificate and platform (PIN proof)."""
    started = await run_in_threadpool(
        lambda: service.start_session(
            signed,
            body.enrolment_id,
            fingerprint=parse_fingerprint(body.fingerprint),
            platform_id=body.platform,
            ttl_s=body.ttl_s,
            auto_confirm=body.auto_confirm,
        )
    )
    return _out(started.session, started.unwrap_secret)


@router.get("")
async def list_sessions(signed: SignedDep, service: CosignerDep) -> list[SessionOut]:
    """This device's signing sessions, newest first."""
    rows = await run_in_threadpool(service.signing_sessions, signed)
    return [_out(r) for r in rows]


@router.post("/{session_id}/open")
async def open_session(
    signed: SignedDep, service: CosignerDep, session_id: SessionId
) -> SessionOut:
    """The unwrap secret again for an active session (PIN proof)."""
    opened = await run_in_threadpool(service.open_session, signed, session_id)
    return _out(opened.session, opened.unwrap_secret)


@router.post("/{session_id}/end")
async def end_session(signed: SignedDep, service: CosignerDep, session_id: SessionId) -> SessionOut:
    """End a signing session now."""
    row = await run_in_threadpool(service.end_session, signed, session_id)
    return _out(row)
