"""The CA's authorization review (授权管理, the CA's side): a CA operator sees the
authorization requests waiting for its CA (``pending``, and ``granting`` ones whose grant
on chain has to be sent again), oldest first, opens one (the enterprise, the staff member
and certificate, the platform, the rights, the sealed letter's facts, the history) and
approves it (the CA's operator grants on chain) or rejects it with a reason.

The work is the node's authorization service, the same calls as the API
(``/v1/ca/{ca}/authorizations``): ``ca_queue``, ``ca_approve``, ``ca_reject``; the page
reads ``authorization_review.ca_dossier``. The reviewer recorded is the signed-in account
(``account:<id>``), as on the application review pages, with the same permission and the
same check that the CA is one the operator operates.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huren.api.console import session as cookies
from huren.api.console.deps import check_csrf, render, state_of
from huren.api.console.review import (
    REASON_MAX,
    CaId,
    ReviewSession,
    own_ca,
    problem_page,
    reviewer_of,
)
from huren.api.deps import NodeDep
from huren.node.enterprises import EnterpriseError
from huren.node.enterprises.authorization_model import AuthorizationState
from huren.node.enterprises.authorization_review import AuthorizationDossier, ca_dossier
from huren.node.enterprises.services import EnterpriseServices
from huren.registry.backend import BackendError, ChainUnavailable
from huren.registry.errors_base import RegistryError

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
DECIDABLE = {AuthorizationState.PENDING.value, AuthorizationState.GRANTING.value}


def enterprise_services(node: object) -> EnterpriseServices | None:
    services: EnterpriseServices | None = getattr(node, "enterprises", None)
    return services


def _unavailable(request: Request) -> HTMLResponse:
    reason = "This node serves no enterprises (ENTERPRISES_UNAVAILABLE)."
    return problem_page(request, "No authorizations here", reason, 503)


@router.get("/ca/{ca_id}/authorizations")
async def queue_page(
    request: Request, found: ReviewSession, ca_id: CaId, node: NodeDep
) -> Response:
    own_ca(found, ca_id)
    services = enterprise_services(node)
    if services is None:
        return _unavailable(request)
    authorizations = services.authorizations

    def dossiers() -> list[AuthorizationDossier]:
        queue = authorizations.ca_queue(ca_id)
        return [ca_dossier(authorizations.engine, ca_id, r.id) for r in queue]

    context = {"ca_id": ca_id, "queue": await run_in_threadpool(dossiers)}
    return render(request, "console/authorizations_queue.html", context)


async def _detail_page(
    request: Request,
    services: EnterpriseServices,
    ca_id: str,
    request_id: str,
    *,
    error: str | None = None,
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    engine = services.authorizations.engine
    try:
        dossier = await run_in_threadpool(ca_dossier, engine, ca_id, request_id)
    except EnterpriseError as exc:
        return problem_page(request, "No such request", f"{exc.code}: {exc}", exc.status)
    context = {
        "ca_id": ca_id,
        "d": dossier,
        "r": dossier.request,
        "decidable": dossier.request.state in DECIDABLE,
        "error": error,
        "reason": reason,
        "reason_max": REASON_MAX,
    }
    return render(request, "console/authorization_detail.html", context, status_code=status_code)


@router.get("/ca/{ca_id}/authorizations/{request_id}")
async def detail_page(
    request: Request, found: ReviewSession, ca_id: CaId, request_id: RequestId, node: NodeDep
) -> Response:
    own_ca(found, ca_id)
    services = enterprise_services(node)
    if services is None:
        return _unavailable(request)
    return await _detail_page(request, services, ca_id, request_id)


def _back(request: Request, ca_id: str, text: str) -> RedirectResponse:
    response = RedirectResponse(f"/console/ca/{ca_id}/authorizations", 303)
    state_of(request).signer.set_flash(response, request, "ok", text)
    return response


async def _decide(
    request: Request,
    found: cookies.Session,
    node: object,
    ca_id: str,
    request_id: str,
    approve: bool,
    reason: str,
) -> Response:
    own_ca(found, ca_id)
    services = enterprise_services(node)
    if services is None:
        return _unavailable(request)
    reviewer = reviewer_of(found.principal)
    authorizations = services.authorizations
    try:
        if approve:
            view = await run_in_threadpool(authorizations.ca_approve, ca_id, request_id, reviewer)
        else:
            view = await run_in_threadpool(
                authorizations.ca_reject, ca_id, request_id, reviewer, reason.strip()
            )
    except EnterpriseError as exc:
        # An empty reason, a request decided meanwhile (ILLEGAL_AUTHORIZATION_STATE), ...
        error, status_code = f"{exc.code}: {exc}", exc.status
    except ChainUnavailable:
        # Approving: the grant was not sent, the request stays granting. Rejecting a granting
        # request: the chain could not be read, nothing changed.
        error, status_code = "CHAIN_UNAVAILABLE: the chain cannot be reached; try again", 503
    except (BackendError, RegistryError) as exc:
        error, status_code = f"CHAIN_ERROR: {type(exc).__name__}: {exc}; try again", 502
    else:
        if approve:
            return _back(request, ca_id, f"Authorization {view.id} {view.state}.")
        if view.state == AuthorizationState.GRANTED.value:
            # Rejecting a stuck granting request whose grant the chain holds records the
            # approval instead (``AuthorizationService.ca_reject``): say so.
            text = f"Authorization {view.id} was granted on chain already: recorded granted."
            return _back(request, ca_id, text)
        return _back(request, ca_id, f"Authorization {view.id} rejected: {view.reason}")
    return await _detail_page(
        request, services, ca_id, request_id, error=error, reason=reason, status_code=status_code
    )


@router.post("/ca/{ca_id}/authorizations/{request_id}/approve")
async def approve(
    request: Request,
    found: ReviewSession,
    ca_id: CaId,
    request_id: RequestId,
    node: NodeDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(found, csrf)
    return await _decide(request, found, node, ca_id, request_id, True, "")


@router.post("/ca/{ca_id}/authorizations/{request_id}/reject")
async def reject(
    request: Request,
    found: ReviewSession,
    ca_id: CaId,
    request_id: RequestId,
    node: NodeDep,
    reason: Annotated[str, Form(max_length=2 * REASON_MAX)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(found, csrf)
    return await _decide(request, found, node, ca_id, request_id, False, reason)
