"""The CA review queue: a CA operator (an account granted the operation of a CA) sees its
CA's submitted applications, oldest first, opens one (its fields, its attachments served
through the console with the operator's session, its history) and approves it or rejects it
with a reason.

The work is the node's application service (``huren.node.applications``), the same calls
as the review API (``huren.api.routers.ca_review``): ``ca_queue``, ``ca_detail``,
``ca_attachment`` and ``ca_review``. The reviewer recorded is the signed-in account
(``account:<id>``, so the history and the issuance record read ``ca:<ca>:account:<id>``).
A CA operator of another CA, and every other role, gets the 403 page: reviewing is the CA
operator's own work (``Permission.REVIEW_APPLICATIONS``, for the CAs it operates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, Forbidden, check_csrf, render, state_of
from huren.api.console.review_evidence import review_evidence
from huren.api.console.roles import Permission, Principal
from huren.api.deps import NodeDep
from huren.node.applications.errors import ApplicationError
from huren.node.applications.model import ApplicationState, AttachmentKind
from huren.node.applications.views import ApplicationView
from huren.node.applications.wiring import ApplicationServices
from huren.node.billing.errors import BillingError

__all__ = ["REASON_MAX", "CaId", "ReviewSession", "own_ca", "reviewer_of", "router"]

router = APIRouter(prefix="/console", include_in_schema=False)
ReviewSession = Annotated[cookies.Session, Allowed(Permission.REVIEW_APPLICATIONS)]
CaId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
AppId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class QueueSummary:
    ca_id: str
    waiting: int
    oldest_at: int | None
    authorizations: int | None  # waiting authorization requests; None: no enterprise services


def reviewer_of(principal: Principal) -> str:
    """Who the service records as the reviewer: the signed-in account, by its id."""
    assert principal.account_id is not None  # only accounts hold REVIEW_APPLICATIONS
    return f"account:{principal.account_id}"


def own_ca(found: cookies.Session, ca_id: str) -> None:
    """A CA operator reviews for the CAs it operates, and no other."""
    if ca_id not in found.principal.ca_ids:
        raise Forbidden(found.principal, Permission.REVIEW_APPLICATIONS)


def _services(node: object) -> ApplicationServices | None:
    services: ApplicationServices | None = getattr(node, "applications", None)
    return services


def problem_page(request: Request, title: str, reason: str, status_code: int) -> HTMLResponse:
    """A review page's refusal (no such item, the service missing), with its code."""
    context = {"title": title, "reason": reason}
    return render(request, "console/review_problem.html", context, status_code=status_code)


def _unavailable(request: Request) -> HTMLResponse:
    reason = "This node takes no applications (APPLICATIONS_UNAVAILABLE)."
    return problem_page(request, "No applications here", reason, 503)


@router.get("/review")
async def review_home(request: Request, found: ReviewSession, node: NodeDep) -> Response:
    """The CAs the operator reviews for, with how many applications wait in each."""
    services = _services(node)
    if services is None:
        return _unavailable(request)

    enterprises = getattr(node, "enterprises", None)

    def summaries() -> list[QueueSummary]:
        out = []
        for ca_id in found.principal.ca_ids:
            queue = services.applications.ca_queue(ca_id)
            asked = None
            if enterprises is not None:
                asked = len(enterprises.authorizations.ca_queue(ca_id))
            oldest = queue[0].updated_at if queue else None
            out.append(QueueSummary(ca_id, len(queue), oldest, asked))
        return out

    context = {"summaries": await run_in_threadpool(summaries)}
    return render(request, "console/review_home.html", context)


@router.get("/ca/{ca_id}/review")
async def queue_page(
    request: Request, found: ReviewSession, ca_id: CaId, node: NodeDep
) -> Response:
    own_ca(found, ca_id)
    services = _services(node)
    if services is None:
        return _unavailable(request)
    queue = await run_in_threadpool(services.applications.ca_queue, ca_id)
    return render(request, "console/review_queue.html", {"ca_id": ca_id, "queue": queue})


async def _detail_page(
    request: Request,
    services: ApplicationServices,
    ca_id: str,
    application_id: str,
    *,
    error: str | None = None,
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    try:
        view = await run_in_threadpool(services.applications.ca_detail, ca_id, application_id)
    except ApplicationError as exc:
        return problem_page(request, "No such application", f"{exc.code}: {exc}", exc.status)
    recovery, change = await run_in_threadpool(
        review_evidence, services, ca_id, application_id, view.kind
    )
    context = {
        "ca_id": ca_id,
        "app": view,
        "attachments": {a.kind: a for a in view.attachments},
        "recovery": recovery,
        "change": change,
        "reviewable": view.state == ApplicationState.SUBMITTED.value,
        "error": error,
        "reason": reason,
        "reason_max": REASON_MAX,
    }
    return render(request, "console/review_detail.html", context, status_code=status_code)


@router.get("/ca/{ca_id}/review/{application_id}")
async def detail_page(
    request: Request, found: ReviewSession, ca_id: CaId, application_id: AppId, node: NodeDep
) -> Response:
    own_ca(found, ca_id)
    services = _services(node)
    if services is None:
        return _unavailable(request)
    return await _detail_page(request, services, ca_id, application_id)


@router.get("/ca/{ca_id}/review/{application_id}/attachments/{kind}")
async def attachment(
    found: ReviewSession,
    ca_id: CaId,
    application_id: AppId,
    kind: AttachmentKind,
    node: NodeDep,
) -> Response:
    """The uploaded file with the media type its bytes were checked to be (the upload was
    sniffed and decoded: PNG, JPEG or PDF). Images are shown inline; a PDF is downloaded
    rather than opened in the console's origin. Nothing in it may run: a sandboxing CSP."""
    own_ca(found, ca_id)
    services = _services(node)
    if services is None:
        return Response("this node takes no applications", 503, media_type="text/plain")
    try:
        row = await run_in_threadpool(
            services.applications.ca_attachment, ca_id, application_id, kind
        )
    except ApplicationError as exc:
        return Response(f"{exc.code}: {exc}", exc.status, media_type="text/plain")
    disposition = "inline" if row.media_type.startswith("image/") else "attachment"
    extension = {"image/png": "png", "image/jpeg": "jpg"}.get(row.media_type, "pdf")
    filename = f"{application_id}-{kind.value}.{extension}"
    return Response(
        row.data,
        media_type=row.media_type,
        headers={
            "ETag": f'"{row.sha256.hex()}"',
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _back(request: Request, ca_id: str, level: str, text: str) -> RedirectResponse:
    response = RedirectResponse(f"/console/ca/{ca_id}/review", 303)
    state_of(request).signer.set_flash(response, request, level, text)
    return response


async def _decide(
    request: Request,
    found: cookies.Session,
    node: object,
    ca_id: str,
    application_id: str,
    approve: bool,
    reason: str,
) -> Response:
    own_ca(found, ca_id)
    services = _services(node)
    if services is None:
        return _unavailable(request)
    reviewer = reviewer_of(found.principal)
    try:
        view: ApplicationView = await run_in_threadpool(
            services.applications.ca_review,
            ca_id,
            application_id,
            reviewer,
            approve,
            None if approve else reason.strip(),
        )
    except (ApplicationError, BillingError) as exc:
        # Shown on the application's page with its stable code: an empty reason, an
        # application reviewed meanwhile (ILLEGAL_TRANSITION), a refund the gateway refused.
        return await _detail_page(
            request,
            services,
            ca_id,
            application_id,
            error=f"{exc.code}: {exc}",
            reason=reason,
            status_code=exc.status,
        )
    if approve:
        return _back(request, ca_id, "ok", f"Application {view.id} approved ({view.state}).")
    return _back(request, ca_id, "ok", f"Application {view.id} rejected: {view.reason}")


@router.post("/ca/{ca_id}/review/{application_id}/approve")
async def approve(
    request: Request,
    found: ReviewSession,
    ca_id: CaId,
    application_id: AppId,
    node: NodeDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(found, csrf)
    return await _decide(request, found, node, ca_id, application_id, True, "")


@router.post("/ca/{ca_id}/review/{application_id}/reject")
async def reject(
    request: Request,
    found: ReviewSession,
    ca_id: CaId,
    application_id: AppId,
    node: NodeDep,
    reason: Annotated[str, Form(max_length=2 * REASON_MAX)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(found, csrf)
    return await _decide(request, found, node, ca_id, application_id, False, reason)
