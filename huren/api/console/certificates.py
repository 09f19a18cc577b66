"""Certificate lookup: by fingerprint, or by uploading the certificate (PEM or DER).

The page shows the record (from the index), its history (the predecessors it renews and
the records that renew it, its revocation), its recognition at every registered platform
(``huren.node.recognition.recognize_many``, the rule and the cache ``/v1/recognition``
answers with; a platform's own session sees its own platform only, as its API key would),
and the chain evidence of each record, and the record's inclusion proof in the anchored Merkle
tree (``huren.api.console.proofs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huren.api.certificate_upload import (
    MAX_CERTIFICATE_BYTES,
    fingerprint_of_text,
    fingerprint_of_upload,
)
from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, check_csrf, render
from huren.api.console.pages import caller_of, index_status
from huren.api.console.proofs import section_context
from huren.api.console.roles import Permission
from huren.api.consortium_schemas import PlatformOut
from huren.api.deps import LagDep, SessionDep
from huren.api.problems import ApiProblem
from huren.api.routers import consortium
from huren.api.schemas import Action, parse_fingerprint
from huren.node import console_queries
from huren.node.db.models import Certificate
from huren.node.recognition import RecognitionAnswer, read_transaction, recognize_many
from huren.registry.types import (
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    RevocationReason,
    Scope,
)

__all__ = ["router"]

router = APIRouter(prefix="/console/certificates", include_in_schema=False)
LookupSession = Annotated[cookies.Session, Allowed(Permission.LOOKUP_CERTIFICATES)]
_FINGERPRINT = re.compile(r"(?:0x)?[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}")


@dataclass(frozen=True, slots=True)
class RecognitionRow:
    platform: PlatformOut
    center_name: str
    answer: RecognitionAnswer


def _name(enum: Any, value: int | None) -> str:
    if value is None:
        return "—"
    try:
        return str(enum(value).name.lower().replace("_", " "))
    except ValueError:
        return f"unknown ({value})"


def describe(cert: Certificate) -> dict[str, str]:
    """The record's enum fields in words."""
    return {
        "kind": _name(CertificateKind, cert.kind),
        "usage": _name(KeyUsage, cert.usage),
        "scope": _name(Scope, cert.scope),
        "status": _name(CertificateStatus, cert.status),
        "revocation_reason": _name(RevocationReason, cert.revocation_reason),
    }


@router.get("")
def lookup(
    request: Request,
    found: LookupSession,
    db: SessionDep,
    lag: LagDep,
    fingerprint: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    chosen = Action(action) if action in {a.value for a in Action} else None
    context: dict[str, Any] = {
        "fingerprint": fingerprint or "",
        "action": chosen,
        "actions": list(Action),
        "max_bytes": MAX_CERTIFICATE_BYTES,
        **index_status(db, lag),
    }
    if not fingerprint:
        return render(request, "console/certificates.html", context)
    text = fingerprint.strip()
    if _FINGERPRINT.fullmatch(text) is None:
        context["error"] = "A fingerprint is the SHA-256 of the certificate's DER: 64 hex digits."
        return render(request, "console/certificates.html", context, status_code=422)
    fp = parse_fingerprint(text)
    history = console_queries.certificate_history(db, fp)
    caller = caller_of(found.principal)
    members = {m.account.lower(): m for m in consortium.members(caller, db)}
    platforms = consortium.platforms(caller, db)
    if not found.principal.may(Permission.RECOGNIZE_ANYWHERE):
        platforms = [p for p in platforms if p.id == found.principal.platform_id]
    right = 0 if chosen is None else int(chosen.right)
    rows = []
    with read_transaction(request.app.state.read_engine) as tx:
        for p in platforms:
            answer = recognize_many(
                tx, [fp], p.id, right, lag=lag, cache=request.app.state.index_cache
            )[0]
            center = members.get(p.center.lower())
            rows.append(RecognitionRow(p, center.name if center else p.center, answer))
    cas = {c.id: c for c in consortium.cas(caller, db)}
    context.update(
        {
            "fp": fp,
            "history": history,
            "record": history.record,
            "words": None if history.record is None else describe(history.record),
            "describe": describe,
            "ca": None if history.record is None else cas.get(history.record.ca_id),
            "members": members,
            "recognition": rows,
            "all_platforms": found.principal.may(Permission.RECOGNIZE_ANYWHERE),
        }
    )
    if history.record is not None:
        context.update(section_context(request, fp))
    return render(request, "console/certificate.html", context)


@router.post("")
async def upload(request: Request, found: LookupSession) -> Response:
    """A certificate file (field ``certificate``) or pasted PEM (``pem``): its fingerprint's
    page, or the form again with the reason it is no certificate."""
    form = await request.form(max_files=1, max_fields=10, max_part_size=2 * MAX_CERTIFICATE_BYTES)
    csrf = form.get("csrf")
    check_csrf(found, csrf if isinstance(csrf, str) else None)
    file, pasted, action = form.get("certificate"), form.get("pem"), form.get("action")
    try:
        if isinstance(file, UploadFile) and file.filename:
            data = await file.read(2 * MAX_CERTIFICATE_BYTES + 1)
            fp = await run_in_threadpool(fingerprint_of_upload, data)
        elif isinstance(pasted, str) and pasted.strip():
            fp = await run_in_threadpool(fingerprint_of_text, pasted)
        else:
            raise ApiProblem(422, "MALFORMED_CERTIFICATE", "choose a file or paste a PEM")
    except ApiProblem as problem:
        context = {
            "fingerprint": "",
            "action": None,
            "actions": list(Action),
            "max_bytes": MAX_CERTIFICATE_BYTES,
            "error": f"{problem.code}: {problem.detail}",
        }
        return render(request, "console/certificates.html", context, status_code=problem.status)
    query = {"fingerprint": fp.hex()}
    if isinstance(action, str) and action:
        query["action"] = action
    return RedirectResponse(f"/console/certificates?{urlencode(query)}", 303)
