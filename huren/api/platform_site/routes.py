"""The demo platform site's routes (``/platform/{platform_id}/…``): see ``site`` and
docs/platform-pages.md.

Pages render server-side; ``/platform-static/platform.js`` adds the countdown and waits for
the answer (server-sent events, long-poll as a fallback) and reloads the page when the
request's state changes. Refusals are pages with a status and a ``data-code``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.concurrency import run_in_threadpool

from huren.api.platform_site import decrypt
from huren.api.platform_site.kinds import page_kind, result_of, signer_of
from huren.api.platform_site.pages import (
    PageRefused,
    acting,
    browser_of,
    page_of,
    refused,
    render,
    require_form,
    scan_of,
    set_browser_cookie,
    site_of,
    start,
    status_json,
    view_of,
)
from huren.api.platform_site.site import SESSION_COOKIE, SESSION_TTL_S, SignedIn
from huren.node.scan import qr
from huren.node.scan.errors import ScanError

__all__ = ["PageRefused", "refused", "router"]

router = APIRouter(prefix="/platform/{platform_id}", include_in_schema=False)
MAX_UPLOAD = 900 * 1024  # under the node's 1 MiB body limit, with the form around it
SSE_MAX_S = 600.0
SSE_KEEPALIVE_S = 15.0
SEAL_X, SEAL_Y = 400, 60  # a seal's default place: lower right of an A4 page

# -- the platform's home and its session ---------------------------------------------------


@router.get("/")
def home(request: Request, platform_id: str) -> HTMLResponse:
    site, platform = acting(request, platform_id)
    who = site.signed_in(platform, request.cookies.get(SESSION_COOKIE))
    return render(request, site, "platform/home.html", {"platform": platform, "who": who})


@router.post("/logout")
def logout(
    request: Request, platform_id: str, csrf: Annotated[str | None, Form()] = None
) -> Response:
    require_form(request, site_of(request), csrf)
    _, platform = acting(request, platform_id)
    response = RedirectResponse(f"/platform/{platform}/", 303)
    response.delete_cookie(SESSION_COOKIE, path=f"/platform/{platform}", httponly=True,
                           samesite="strict")  # fmt: skip
    return response


# -- starting a request ----------------------------------------------------------------------


@router.get("/login")
def login(request: Request, platform_id: str) -> Response:
    """扫码登录: a new login request and its page (each visit: a new code)."""
    site, platform = acting(request, platform_id)
    browser = browser_of(request)
    if browser is None:  # a first visit: the page is bound to the cookie set with it
        browser = site.new_browser()
        response = start(request, site, platform, browser, "login", {})
        set_browser_cookie(response, request, browser)
        return response
    return start(request, site, platform, browser, "login", {})


@router.get("/sign")
def sign_form(request: Request, platform_id: str) -> HTMLResponse:
    site, platform = acting(request, platform_id)
    return render(request, site, "platform/sign_form.html", {"platform": platform})


@router.post("/sign")
async def sign_start(
    request: Request,
    platform_id: str,
    title: Annotated[str, Form(max_length=200)] = "",
    digest_sha256: Annotated[str, Form(max_length=64)] = "",
    document: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """扫码签名: the document's SHA-256 (computed here from the upload, or given) signed."""
    browser = require_form(request, site_of(request), csrf)
    site, platform = acting(request, platform_id)
    content = None if document is None or not document.filename else await document.read()
    digest = digest_sha256.strip().lower()
    if content is not None:
        digest = hashlib.sha256(content).hexdigest()
        title = title or (document.filename if document is not None else "") or ""
    params = {"digest_sha256": digest, "title": title.strip()}
    try:
        return await run_in_threadpool(start, request, site, platform, browser, "sign", params)
    except ScanError as error:
        context = {"platform": platform, "error": str(error), "title": title}
        return render(request, site, "platform/sign_form.html", context, status_code=422)


@router.get("/seal")
def seal_form(request: Request, platform_id: str) -> HTMLResponse:
    site, platform = acting(request, platform_id)
    return render(request, site, "platform/seal_form.html", {"platform": platform})


@router.post("/seal")
async def seal_start(
    request: Request,
    platform_id: str,
    document: Annotated[UploadFile | None, File()] = None,
    title: Annotated[str, Form(max_length=200)] = "",
    page: Annotated[int, Form(ge=0, le=9999)] = 0,
    x: Annotated[int, Form(ge=0, le=5000)] = SEAL_X,
    y: Annotated[int, Form(ge=0, le=5000)] = SEAL_Y,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """扫码签章: the uploaded PDF sealed where the form says once the holder approves."""
    browser = require_form(request, site_of(request), csrf)
    site, platform = acting(request, platform_id)
    pdf = b"" if document is None else await document.read(MAX_UPLOAD + 1)
    title = title.strip() or (document.filename if document else None) or "document"
    error = None
    if not pdf:
        error = "choose a PDF to seal"
    elif len(pdf) > MAX_UPLOAD:
        error = "the PDF is larger than 900 KiB"
    if error is None:
        params = {"pdf": base64.b64encode(pdf).decode(), "title": title, "page": page,
                  "x": x, "y": y}  # fmt: skip
        try:
            return await run_in_threadpool(start, request, site, platform, browser, "seal", params)
        except ScanError as refused:
            error = str(refused)
    context = {"platform": platform, "error": error, "title": title}
    return render(request, site, "platform/seal_form.html", context, status_code=422)


# -- a request's page --------------------------------------------------------------------------


@router.get("/pages/{token}")
def scan_page(request: Request, platform_id: str, token: str) -> HTMLResponse:
    """The request's page: the QR while pending, else its outcome."""
    page = page_of(request, platform_id, token)
    view = view_of(request, page)
    kind = page_kind(view.action)
    base = f"/platform/{page.platform}/pages/{token}"
    context: dict[str, Any] = {
        "platform": page.platform, "kind": kind, "view": view, "token": token, "base": base,
        "scan_now": scan_of(request).clock(), "signer": signer_of(view),
        "result": result_of(view) if view.status == "approved" else None,
    }  # fmt: skip
    if view.action == "decrypt":  # the site's own state: the upload, its key, the plaintext
        context["opened"] = decrypt.opened(request, page, view)
    return render(request, page.site, "platform/scan.html", context)


@router.get("/pages/{token}/status")
async def page_status(
    request: Request,
    platform_id: str,
    token: str,
    wait: Annotated[float, Query(ge=0, le=25)] = 0,
) -> JSONResponse:
    """The request's state (long-poll with ``wait``: returns once final or after it)."""
    page = page_of(request, platform_id, token)
    try:
        view = await run_in_threadpool(
            scan_of(request).wait, page.platform, page.token.request_id, wait
        )
    except ScanError as error:
        raise PageRefused(404, "UNKNOWN_PAGE", str(error)) from None
    response = JSONResponse(status_json(request, page, view))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/pages/{token}/events")
def page_events(request: Request, platform_id: str, token: str) -> Response:
    """Server-sent events: ``status`` now and on each change until final."""
    page = page_of(request, platform_id, token)
    service = scan_of(request)
    first = view_of(request, page)

    def events() -> Iterator[str]:
        view, sent = first, ""
        deadline = time.monotonic() + SSE_MAX_S
        while True:
            data = json.dumps(status_json(request, page, view), sort_keys=True)
            if data != sent:
                yield f"event: status\ndata: {data}\n\n"
                sent = data
            else:
                yield ": keep-alive\n\n"
            if view.final or time.monotonic() >= deadline:
                return
            view = service.wait(page.platform, page.token.request_id, SSE_KEEPALIVE_S)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/pages/{token}/qr.svg")
def page_qr(request: Request, platform_id: str, token: str) -> Response:
    page = page_of(request, platform_id, token)
    view = view_of(request, page)
    response = Response(qr.svg(view.payload, scale=6), media_type="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/pages/{token}/document")
def page_document(request: Request, platform_id: str, token: str) -> Response:
    """The sealed PDF of an approved seal page, as a download."""
    page = page_of(request, platform_id, token)
    try:
        pdf = scan_of(request).document(page.platform, page.token.request_id)
    except ScanError:
        raise PageRefused(404, "NO_DOCUMENT", "no sealed document for this page (yet)") from None
    name = f"sealed-{page.token.request_id[:12]}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.post("/pages/{token}/refresh")
def page_refresh(
    request: Request, platform_id: str, token: str, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """A new request like the page's (a new code and expiry); the old one is left to expire."""
    require_form(request, site_of(request), csrf)
    page = page_of(request, platform_id, token)
    view = view_of(request, page)
    if view.action == "decrypt":  # the same upload with a new hall key
        return decrypt.again(request, page, view)
    kind = page_kind(view.action)
    if kind is None:
        raise PageRefused(409, "NOT_REFRESHABLE", f"a {view.action} page cannot be refreshed")
    try:
        params = kind.again(scan_of(request).engine, view)
    except LookupError as error:
        raise PageRefused(409, "NOT_REFRESHABLE", str(error)) from None
    return start(request, page.site, page.platform, page.browser, view.action, params)


@router.post("/pages/{token}/complete")
def page_complete(
    request: Request, platform_id: str, token: str, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """(login) Sign the browser in as the approved login's certificate holder."""
    require_form(request, site_of(request), csrf)
    page = page_of(request, platform_id, token)
    view = view_of(request, page)
    signer = signer_of(view)
    if view.action != "login" or view.status != "approved" or signer is None:
        raise PageRefused(409, "LOGIN_NOT_APPROVED", f"this login is {view.status}, not approved")
    if view.answered_at is None or not page.site.use_login(
        view.request_id, view.answered_at, scan_of(request).clock()
    ):
        raise PageRefused(409, "LOGIN_USED", "this login was used or is too old: scan again")
    now = page.site.now()
    who = SignedIn(
        page.platform, signer["subject"], signer["common_name"], signer["enterprise"],
        signer["uscc"], signer["fingerprint"], view.request_id, now, now + SESSION_TTL_S,
    )  # fmt: skip
    response = RedirectResponse(f"/platform/{page.platform}/", 303)
    response.set_cookie(
        SESSION_COOKIE, page.site.session_value(who), max_age=SESSION_TTL_S,
        path=f"/platform/{page.platform}", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response
