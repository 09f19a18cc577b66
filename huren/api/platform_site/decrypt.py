"""扫码解密 on the demo platform (the opening hall): upload a bid file, a recipient's phone
opens it, download the plaintext.

The site plays the hall's back end (docs/scan.md "Bid files by scan"): it streams the upload
to a temporary file, reads the header's recipient entries and makes a decrypt request with a
fresh X25519 key of its own (``bid_scan_client.decrypt_request``), which it keeps server-side
in a ``DecryptDesk``, never in a page. Once the holder approves, it opens the sealed answer
with that key (``SealedAnswerDecapsulator``), forgets the key, and decrypts the file chunk by
chunk to a second temporary file; only a file that decrypted to its end is offered, and only
to the browser the page was made for. Files are deleted when the page's token runs out.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive

from huren.api.platform_site.kinds import PageKind, register_page_kind
from huren.api.platform_site.pages import (
    Page,
    PageRefused,
    acting,
    page_of,
    render,
    require_form,
    scan_of,
    site_of,
    view_of,
)
from huren.api.platform_site.site import TOKEN_GRACE_S, PlatformSite
from huren.bid_scan_client import SealedAnswerDecapsulator, decrypt_request
from huren.node.bidfile import BidFileError, decrypt
from huren.node.bidfile.header import Header, read_header
from huren.node.scan.errors import ScanError
from huren.node.scan.service import ScanRequest

__all__ = ["MAX_BID_UPLOAD", "DecryptDesk", "DecryptJob", "again", "opened", "router"]

router = APIRouter(prefix="/platform/{platform_id}", include_in_schema=False)
MAX_BID_UPLOAD = 64 * 1024 * 1024  # a bid file; the node's body limit allows this path more
FORM_SLACK = 64 * 1024  # the form's other fields and the multipart framing
COPY_CHUNK = 1024 * 1024


class UploadTooLarge(Exception):
    """The request body ran past the desk's limit while it was read."""


@dataclass
class DecryptJob:
    """One decrypt page's server-side state: the uploaded file and the hall's key."""

    platform: str
    request_id: str
    path: Path  # the uploaded bid file
    name: str  # the upload's file name
    keep_until: int  # on the scan clock: the page token's end
    hall_key: X25519PrivateKey | None  # forgotten once the answer is opened (or cannot come)
    plaintext: Path | None = None
    plaintext_sha256: str = ""
    plaintext_size: int = 0
    error: tuple[str, str] | None = None  # (code, message) when the file did not open
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def download_name(self) -> str:
        stem = self.name[:-4] if self.name.lower().endswith(".hbf") else self.name
        return stem or f"bid-{self.request_id[:12]}"


class DecryptDesk:
    """The uploaded bid files and hall keys of this process's decrypt pages."""

    def __init__(self, *, max_bytes: int = MAX_BID_UPLOAD, directory: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self._directory = directory
        self._jobs: dict[str, DecryptJob] = {}
        self._lock = threading.Lock()

    def new_file(self, suffix: str) -> tuple[IO[bytes], Path]:
        """A new private temporary file (mode 0600) in the desk's directory."""
        with self._lock:
            if self._directory is None:
                self._directory = Path(tempfile.mkdtemp(prefix="huren-decrypt-"))
            directory = self._directory
        fd, name = tempfile.mkstemp(suffix=suffix, dir=directory)
        return os.fdopen(fd, "w+b"), Path(name)

    def add(self, job: DecryptJob) -> None:
        with self._lock:
            self._jobs[job.request_id] = job

    def job(self, request_id: str) -> DecryptJob | None:
        with self._lock:
            return self._jobs.get(request_id)

    def take(self, request_id: str) -> DecryptJob | None:
        """Remove a job and hand it over (its files stay: the caller owns them now)."""
        with self._lock:
            return self._jobs.pop(request_id, None)

    def sweep(self, now: int) -> None:
        """Forget the pages whose tokens ran out, and delete their files."""
        with self._lock:
            old = [j for j in self._jobs.values() if j.keep_until < now]
            for job in old:
                del self._jobs[job.request_id]
        for job in old:
            job.hall_key = None
            _unlink(job.path, job.plaintext)


def _unlink(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


def desk_of(request: Request) -> DecryptDesk:
    desk: DecryptDesk | None = getattr(request.app.state, "platform_decrypt_desk", None)
    if desk is None:
        raise PageRefused(404, "PLATFORM_PAGES_OFF", "the decrypt page is off on this node")
    return desk


class _HashingWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: memoryview, /) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.out.write(data)


def _as_dict(view: ScanRequest) -> dict[str, Any]:
    """The fields of the request the hall's decapsulator reads (as ``/v1/scan`` gives them)."""
    return {
        "action": view.action,
        "status": view.status,
        "platform_id": view.platform_id,
        "request_id": view.request_id,
        "result": view.result,
    }


def _open(desk: DecryptDesk, job: DecryptJob, view: ScanRequest) -> None:
    """Open the approved answer with the hall key, forget the key, decrypt the file to its
    end into a temporary file (deleted again unless it all decrypted)."""
    key, job.hall_key = job.hall_key, None
    if key is None:
        job.error = ("HALL_KEY_GONE", "this page's key is gone: upload the bid file again")
        return
    out, path = desk.new_file(".plain")
    try:
        with out, job.path.open("rb") as src:
            writer = _HashingWriter(out)
            decrypt(src, writer, SealedAnswerDecapsulator(_as_dict(view), key))
    except BidFileError as error:
        _unlink(path)
        job.error = (error.code, str(error))
        return
    except BaseException:
        _unlink(path)
        raise
    job.plaintext, job.plaintext_size = path, writer.size
    job.plaintext_sha256 = writer.sha256.hexdigest()


def opened(request: Request, page: Page, view: ScanRequest) -> DecryptJob | None:
    """The page's job, opened once its request is approved (its key forgotten once the
    request is final either way); None when the site no longer holds the upload."""
    desk = desk_of(request)
    job = desk.job(view.request_id)
    if job is None or job.platform != page.platform:
        return None
    with job.lock:
        if view.status == "approved" and job.plaintext is None and job.error is None:
            _open(desk, job, view)
        elif view.status in ("denied", "expired"):
            job.hall_key = None
    return job


# -- starting: the upload --------------------------------------------------------------------


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise UploadTooLarge
        return message

    return counted


class _FormError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _copy(desk: DecryptDesk, upload: IO[bytes]) -> Path:
    """The upload copied to the desk's own temporary file, refused past ``max_bytes``."""
    out, path = desk.new_file(".hbf")
    try:
        with out:
            size = 0
            while chunk := upload.read(COPY_CHUNK):
                size += len(chunk)
                if size > desk.max_bytes:
                    raise _FormError(413, "FILE_TOO_LARGE", _too_large(desk))
                out.write(chunk)
        if size == 0:
            raise _FormError(422, "NOT_A_BID_FILE", "the file is empty: choose a bid file (.hbf)")
    except BaseException:
        _unlink(path)
        raise
    return path


def _too_large(desk: DecryptDesk) -> str:
    return f"the bid file is larger than {desk.max_bytes // (1024 * 1024) or 1} MiB"


def _header(path: Path) -> Header:
    try:
        with path.open("rb") as src:
            return read_header(src)
    except BidFileError as error:
        raise _FormError(422, "NOT_A_BID_FILE", f"not a bid file (.hbf): {error}") from None


def _create(
    request: Request, site: PlatformSite, platform: str, browser: str, path: Path, name: str,
    tender_id: str, title: str,
) -> RedirectResponse:  # fmt: skip
    """A decrypt request for the file at ``path`` with a fresh hall key, and its page."""
    desk, scan = desk_of(request), scan_of(request)
    params, hall_key = decrypt_request(_header(path), tender_id, title)
    try:
        view = scan.create(platform, "decrypt", params)
    except ScanError as error:
        raise _FormError(422, error.code, str(error)) from None
    job = DecryptJob(
        platform, view.request_id, path, name, view.expires_at + TOKEN_GRACE_S, hall_key
    )
    desk.add(job)
    token = site.token(browser, platform, view.request_id, "decrypt", view.expires_at)
    return RedirectResponse(f"/platform/{platform}/pages/{token}", 303)


def _start(
    request: Request, site: PlatformSite, platform: str, browser: str, upload: IO[bytes],
    name: str, tender_id: str, title: str,
) -> RedirectResponse:  # fmt: skip
    desk = desk_of(request)
    desk.sweep(scan_of(request).clock())
    path = _copy(desk, upload)
    try:
        return _create(request, site, platform, browser, path, name, tender_id, title)
    except BaseException:
        _unlink(path)
        raise


@router.get("/decrypt")
def decrypt_form(request: Request, platform_id: str) -> HTMLResponse:
    site, platform = acting(request, platform_id)
    desk = desk_of(request)
    context = {"platform": platform, "max_mib": desk.max_bytes // (1024 * 1024)}
    return render(request, site, "platform/decrypt_form.html", context)


@router.post("/decrypt")
async def decrypt_start(request: Request, platform_id: str) -> Response:
    """扫码解密: the uploaded bid file's recipients asked to open it. The form (and its
    CSRF value) is read first, to its limit, streamed to a temporary file past 1 MiB."""
    site, desk = site_of(request), desk_of(request)
    limit = desk.max_bytes + FORM_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PageRefused(413, "FILE_TOO_LARGE", _too_large(desk))
    limited = Request(request.scope, _counting(request.receive, limit))
    try:
        form = await limited.form(max_files=1, max_fields=8)
    except UploadTooLarge:
        raise PageRefused(413, "FILE_TOO_LARGE", _too_large(desk)) from None
    except StarletteHTTPException:
        raise PageRefused(400, "FORM_REFUSED", "the form could not be read") from None
    try:
        csrf = form.get("csrf")
        browser = require_form(request, site, csrf if isinstance(csrf, str) else None)
        site, platform = acting(request, platform_id)
        context: dict[str, Any] = {"platform": platform, "max_mib": desk.max_bytes >> 20}
        upload = form.get("document")
        tender = form.get("tender_id")
        title = form.get("title")
        tender_id = tender.strip() if isinstance(tender, str) else ""
        name = (upload.filename or "") if isinstance(upload, UploadFile) else ""
        title_text = (title.strip() if isinstance(title, str) else "") or name or "bid file"
        context |= {"tender_id": tender_id[:100], "title": title_text[:200]}
        if not isinstance(upload, UploadFile) or not name:
            context |= {"error": "choose a bid file (.hbf)", "code": "NO_FILE"}
            return render(request, site, "platform/decrypt_form.html", context, status_code=422)
        try:
            return await run_in_threadpool(
                _start, request, site, platform, browser, upload.file, name, tender_id, title_text
            )
        except _FormError as error:
            context |= {"error": str(error), "code": error.code}
            return render(
                request, site, "platform/decrypt_form.html", context, status_code=error.status
            )
    finally:
        await form.close()


# -- a page: the plaintext, a new code -------------------------------------------------------


@router.get("/pages/{token}/plaintext")
def page_plaintext(request: Request, platform_id: str, token: str) -> Response:
    """The opened bid file of an approved decrypt page, as a download to its browser."""
    page = page_of(request, platform_id, token)
    view = view_of(request, page)
    if view.action != "decrypt" or view.status != "approved":
        raise PageRefused(404, "NO_PLAINTEXT", "no opened bid file for this page (yet)")
    job = opened(request, page, view)
    if job is None:
        raise PageRefused(404, "NO_PLAINTEXT", "the uploaded file is gone: upload it again")
    if job.plaintext is None:
        code, message = job.error or ("NO_PLAINTEXT", "the bid file did not open")
        raise PageRefused(422, code, message)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return FileResponse(
        job.plaintext,
        media_type="application/octet-stream",
        filename=job.download_name,
        headers=headers,
    )


def again(request: Request, page: Page, view: ScanRequest) -> RedirectResponse:
    """A new decrypt request for the page's file, with a new hall key (the old one is
    forgotten: its request is left to expire)."""
    desk = desk_of(request)
    if view.status == "approved":
        raise PageRefused(409, "NOT_REFRESHABLE", "this bid file was opened already")
    job = desk.take(view.request_id)
    if job is None or job.platform != page.platform:
        raise PageRefused(409, "NOT_REFRESHABLE", "the uploaded file is gone: upload it again")
    job.hall_key = None
    tender_id, title = str(view.content["tender_id"]), str(view.content["title"])
    try:
        return _create(
            request, page.site, page.platform, page.browser, job.path, job.name, tender_id, title
        )
    except _FormError as error:
        _unlink(job.path)
        raise PageRefused(409, "NOT_REFRESHABLE", str(error)) from None


def _no_generic_again(_: Any, __: ScanRequest) -> dict[str, Any]:
    raise LookupError("a decrypt page is refreshed by its own route")  # routes call ``again``


register_page_kind(
    PageKind(
        "decrypt",
        "扫码解密 · Scan to open a bid file",
        "Scan with the huren app of a recipient of this bid file to open it.",
        _no_generic_again,
    )
)
