"""Governance from the console: the center operator proposes and votes through the node's
operator account, with the same code as ``POST /v1/consortium/proposals`` (and ``/votes``).

Each write takes two steps: the form posts to ``.../confirm``, which checks the input and
shows what will be sent; only the confirmation page's form sends it. Invalid input comes back
as a message on the form; a refusal of the chain (a contract error, an unreachable chain) as
a message with its stable code, exactly the one the API would answer. After a write the page
waits briefly for the index to reach the write's block, so that the operator sees it counted.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huren.api import problems
from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, check_csrf, render, state_of
from huren.api.console.pages import caller_of
from huren.api.console.roles import Permission
from huren.api.consortium_schemas import ProposalIn, ProposalResultOut, VoteIn
from huren.api.deps import IndexLag, NodeDep
from huren.api.routers import consortium

__all__ = ["KIND_FIELDS", "router"]

router = APIRouter(prefix="/console/proposals", include_in_schema=False)
GovernSession = Annotated[cookies.Session, Allowed(Permission.GOVERN)]
ProposalId = Annotated[int, Path(ge=1, le=2**62)]

# The form's fields of each proposal kind, in order, with their labels.
KIND_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "add_member": (("account", "Account"), ("name", "Name"), ("region_code", "Region code")),
    "remove_member": (("account", "Account"),),
    "accredit_ca": (
        ("ca_id", "CA id"),
        ("name", "Name"),
        ("operators", "Operators (one address a line)"),
        ("issuer_key_ids", "Issuer key ids (one a line)"),
    ),
    "suspend_ca": (("ca_id", "CA id"),),
    "register_platform": (("platform_id", "Platform id"), ("center", "Center"), ("name", "Name")),
    "retire_platform": (("platform_id", "Platform id"),),
    "set_quorum": (("quorum_percent", "Quorum percent"),),
}
_LISTS = {"operators", "issuer_key_ids"}
_NUMBERS = {"region_code", "quorum_percent"}


def _proposal_of(form: dict[str, str]) -> tuple[ProposalIn | None, str | None]:
    """The proposal the form describes, or why it is not one."""
    kind = form.get("kind", "")
    if kind not in KIND_FIELDS:
        return None, "choose what to propose"
    body: dict[str, Any] = {"kind": kind}
    for name, _label in KIND_FIELDS[kind]:
        value = form.get(name, "").strip()
        if name in _LISTS:
            body[name] = [v for v in value.replace(",", "\n").split() if v]
        elif name in _NUMBERS:
            body[name] = int(value) if value.isdigit() else value
        else:
            body[name] = value
    try:
        return ProposalIn.model_validate(body), None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][-1]) if error["loc"] else "input"
        return None, f"{where}: {error['msg']}"


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _refusal(exc: BaseException) -> str:
    """The API's code and detail for an error of a write, as one line."""
    response = problems.handle(exc)
    body = json.loads(bytes(response.body))
    return f"{body['code']}: {body['detail']}"


def _await_index(indexer: IndexLag, block_number: int, wait_s: float) -> None:
    """Until the index holds ``block_number`` or ``wait_s`` passed (the page then says
    what the write answered; the index shows it a moment later)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        checkpoint = indexer.checkpoint()
        if checkpoint is not None and checkpoint[0] >= block_number:
            return
        time.sleep(0.05)


def _done(request: Request, level: str, text: str) -> RedirectResponse:
    response = RedirectResponse("/console/proposals", 303)
    state_of(request).signer.set_flash(response, request, level, text)
    return response


@router.post("/confirm")
async def confirm_proposal(request: Request, found: GovernSession) -> HTMLResponse:
    form = await _form(request)
    check_csrf(found, form.get("csrf"))
    proposal, error = _proposal_of(form)
    if proposal is None:
        again = {"error": error, "kind_fields": KIND_FIELDS, "form": form}
        return render(request, "console/propose.html", again, status_code=422)
    fields = [(label, form.get(name, "")) for name, label in KIND_FIELDS[proposal.root.kind]]
    context: dict[str, Any] = {
        "what": f"Propose {proposal.root.kind.replace('_', ' ')}",
        "action": "/console/proposals",
        "fields": fields,
        "hidden": {k: v for k, v in form.items() if k != "csrf"},
    }
    return render(request, "console/confirm.html", context)


@router.get("/new")
def proposal_form(request: Request, _: GovernSession) -> HTMLResponse:
    context = {"error": None, "kind_fields": KIND_FIELDS, "form": {}}
    return render(request, "console/propose.html", context)


@router.post("")
async def propose(request: Request, found: GovernSession, node: NodeDep) -> Response:
    form = await _form(request)
    check_csrf(found, form.get("csrf"))
    proposal, error = _proposal_of(form)
    if proposal is None:
        return _done(request, "error", f"Not proposed: {error}")

    def send() -> ProposalResultOut:
        result = consortium.propose(caller_of(found.principal), node, proposal)
        _await_index(node.indexer, result.block_number, state_of(request).index_wait_s)
        return result

    try:
        result = await run_in_threadpool(send)
    except Exception as exc:
        return _done(request, "error", f"Not proposed: {_refusal(exc)}")
    text = (
        f"Proposal #{result.proposal_id} sent ({result.status}) in block {result.block_number}, "
        f"transaction {result.transaction_hash}"
    )
    return _done(request, "ok", text)


@router.post("/{proposal_id}/vote/confirm")
async def confirm_vote(
    request: Request, found: GovernSession, proposal_id: ProposalId
) -> HTMLResponse:
    form = await _form(request)
    check_csrf(found, form.get("csrf"))
    support = form.get("support") == "yes"
    context: dict[str, Any] = {
        "what": f"Vote {'yes' if support else 'no'} on proposal #{proposal_id}",
        "action": f"/console/proposals/{proposal_id}/vote",
        "fields": [("Proposal", f"#{proposal_id}"), ("Vote", "yes" if support else "no")],
        "hidden": {"support": "yes" if support else "no"},
    }
    return render(request, "console/confirm.html", context)


@router.post("/{proposal_id}/vote")
async def vote(
    request: Request, found: GovernSession, node: NodeDep, proposal_id: ProposalId
) -> Response:
    form = await _form(request)
    check_csrf(found, form.get("csrf"))
    support = form.get("support") == "yes"

    def send() -> ProposalResultOut:
        body = VoteIn(support=support)
        result = consortium.vote(caller_of(found.principal), node, proposal_id, body)
        _await_index(node.indexer, result.block_number, state_of(request).index_wait_s)
        return result

    try:
        result = await run_in_threadpool(send)
    except Exception as exc:
        return _done(request, "error", f"Vote not cast: {_refusal(exc)}")
    text = (
        f"Voted {'yes' if support else 'no'} on proposal #{proposal_id}: now {result.status} "
        f"(block {result.block_number}, transaction {result.transaction_hash})"
    )
    return _done(request, "ok", text)
