"""What the demo platform's routes share: the site and the platform it acts for, the
browser cookie and forms, a page from its token, starting a request, rendering, refusals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from huren.api.platform_site.kinds import result_of, signer_of
from huren.api.platform_site.site import BROWSER_COOKIE, PageToken, PlatformSite
from huren.api.routers.scan import get_scan
from huren.node.scan.errors import ScanError
from huren.node.scan.service import ScanRequest, ScanService

__all__ = [
    "Page",
    "PageRefused",
    "acting",
    "browser_of",
    "page_of",
    "refused",
    "render",
    "require_form",
    "scan_of",
    "secure_headers",
    "set_browser_cookie",
    "site_of",
    "start",
    "status_json",
    "view_of",
]

PLATFORM = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class PageRefused(Exception):
    """A refusal shown as a page (status, machine-readable code, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def site_of(request: Request) -> PlatformSite:
    site: PlatformSite | None = getattr(request.app.state, "platform_site", None)
    if site is None:
        raise PageRefused(404, "PLATFORM_PAGES_OFF", "the platform pages are off on this node")
    return site


def acting(request: Request, platform_id: str) -> tuple[PlatformSite, str]:
    """The site and the platform it acts for (a key it holds), or a 404 page."""
    site = site_of(request)
    platform = None if not PLATFORM.fullmatch(platform_id) else site.acting_platform(platform_id)
    if platform is None:
        raise PageRefused(404, "UNKNOWN_PLATFORM", f"no pages for platform {platform_id!r} here")
    return site, platform


def browser_of(request: Request) -> str | None:
    value = request.cookies.get(BROWSER_COOKIE)
    return value if value and re.fullmatch(r"[A-Za-z0-9_-]{20,64}", value) else None


def render(
    request: Request,
    site: PlatformSite,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page; sets the browser cookie when the browser has none yet."""
    browser = browser_of(request)
    fresh = browser is None
    if browser is None:
        browser = site.new_browser()
    full = {"csrf": site.csrf(browser), "now": site.now(), **context}
    response = site.templates.TemplateResponse(request, template, full, status_code=status_code)
    if fresh:
        set_browser_cookie(response, request, browser)
    secure_headers(response)
    return response


def set_browser_cookie(response: Response, request: Request, browser: str) -> None:
    response.set_cookie(
        BROWSER_COOKIE, browser, path="/platform", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip


def secure_headers(response: Response) -> None:
    # Our own files only (the QR is an image from this site); no inline script or style.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def require_form(request: Request, site: PlatformSite, csrf: str | None) -> str:
    """The browser of a state-changing form: its cookie and the form value derived from it."""
    browser = browser_of(request)
    if browser is None or not site.check_csrf(browser, csrf):
        raise PageRefused(403, "FORM_REFUSED", "this form was not sent from this site's page")
    return browser


@dataclass(frozen=True, slots=True)
class Page:
    site: PlatformSite
    platform: str
    token: PageToken
    browser: str


def page_of(request: Request, platform_id: str, token: str) -> Page:
    """The token's page: signed by this site, this platform's, and this browser's."""
    site, platform = acting(request, platform_id)
    found = site.page(token)
    if found is None or found[0].platform_id != platform:
        raise PageRefused(404, "UNKNOWN_PAGE", "no such page (or it is too old): start again")
    page, binding = found
    browser = browser_of(request)
    if browser is None or not site.bound_to(binding, browser):
        raise PageRefused(403, "OTHER_BROWSER", "this page belongs to another browser")
    return Page(site, platform, page, browser)


def scan_of(request: Request) -> ScanService:
    return get_scan(request)


def view_of(request: Request, page: Page) -> ScanRequest:
    try:
        return scan_of(request).get(page.platform, page.token.request_id)
    except ScanError as error:
        raise PageRefused(404, "UNKNOWN_PAGE", str(error)) from None


def start(
    request: Request, site: PlatformSite, platform: str, browser: str, action: str,
    params: dict[str, Any],
) -> RedirectResponse:  # fmt: skip
    """A new request of ``action`` as the platform, then its page."""
    view = scan_of(request).create(platform, action, params)
    token = site.token(browser, platform, view.request_id, action, view.expires_at)
    return RedirectResponse(f"/platform/{platform}/pages/{token}", 303)


def status_json(request: Request, page: Page, view: ScanRequest) -> dict[str, Any]:
    approved = view.status == "approved"
    return {
        "request_id": view.request_id,
        "action": view.action,
        "status": view.status,
        "expires_at": view.expires_at,
        "now": scan_of(request).clock(),
        "signer": signer_of(view) if approved else None,
        "result": result_of(view) if approved else None,
    }


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)
    site = getattr(request.app.state, "platform_site", None)
    if site is None or request.url.path.endswith(("/status", "/events")):
        body = {"code": exc.code, "detail": str(exc)}
        return JSONResponse(body, status_code=exc.status, headers={"Cache-Control": "no-store"})
    context = {"code": exc.code, "message": str(exc), "platform": None}
    return render(request, site, "platform/problem.html", context, status_code=exc.status)
