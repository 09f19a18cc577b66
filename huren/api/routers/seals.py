"""Seal management (印章管理) with the account access token.

``/v1/seals``: every seal you see, one seal, its PNG (ETag), edits (a new image by custom
style, photo or handwriting; a new label), deleting a personal seal; ``/v1/seals/personal``:
your personal seals (at most 3). ``/v1/enterprises/{id}/seals``: an enterprise's seals,
listed for its admin and staff, added by its admin. Uploads are the raw file as the body,
judged by content like application attachments. Codes in docs/seals.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep
from huren.api.problems import ApiProblem, problem_response
from huren.api.seal_schemas import LabelIn, SealOut, SealsOut, StyledSealIn
from huren.node.seal_management import SealManagement
from huren.node.seals.records import SealImageSource, SealKind
from huren.node.seals.service import SealImage
from huren.node.seals.template import seal_template_pdf

__all__ = ["enterprise_router", "install", "router"]

SEAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCOUNT_RESPONSES,
    413: problem_response("An upload over the limit (ATTACHMENT_TOO_LARGE, PAYLOAD_TOO_LARGE)"),
    415: problem_response("An upload of another type (UNSUPPORTED_ATTACHMENT, ...)"),
}
router = APIRouter(prefix="/v1/seals", tags=["seals"], responses=SEAL_RESPONSES)
enterprise_router = APIRouter(
    prefix="/v1/enterprises/{enterprise_id}/seals", tags=["seals"], responses=SEAL_RESPONSES
)
SealId = Annotated[str, Path(pattern=r"^seal_[0-9a-f]{16}$")]
EnterpriseId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
EnterpriseKind = Literal["enterprise", "legal_representative", "legal_representative_signature"]
UploadLabel = Annotated[str, Query(max_length=40, description="a name for the seal")]
EditLabel = Annotated[str | None, Query(max_length=40, description="a new name, if any")]
_RAW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_PNG_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the seal's PNG; ETag is its SHA-256",
    },
    304: {"description": "If-None-Match named the current image"},
}


def install(app: FastAPI, node: object) -> None:
    """The node's seal management (the applications', on their clock; else one over the
    node's database), and the routes."""
    applications = getattr(node, "applications", None)
    seals = getattr(applications, "seals", None)
    if seals is None:
        engine = getattr(node, "engine", None)
        seals = None if engine is None else SealManagement(engine)
    app.state.seals = seals
    app.include_router(router)
    app.include_router(enterprise_router)


def get_seals(request: Request) -> SealManagement:
    seals: SealManagement | None = getattr(request.app.state, "seals", None)
    if seals is None:
        raise ApiProblem(503, "SEALS_UNAVAILABLE", "this node manages no seals")
    return seals


SealsDep = Annotated[SealManagement, Depends(get_seals)]


async def _upload(request: Request, make: Callable[[bytes, str], SealImage]) -> SealImage:
    data = await request.body()
    declared = request.headers.get("content-type", "")
    return await run_in_threadpool(make, data, declared)


# -- every seal you see ------------------------------------------------------------------------


@router.get("", response_model=SealsOut)
def overview(account: AccountDep, seals: SealsDep) -> SealsOut:
    """Your personal seals and, for each enterprise you belong to, its seals (我的印章)."""
    return SealsOut.of(seals.overview(account.id))


# -- personal seals and the template (declared before /{seal_id}) -----------------------------


@router.get("/personal", response_model=list[SealOut])
def personal(account: AccountDep, seals: SealsDep) -> list[SealOut]:
    return [SealOut.of(r) for r in seals.service.list_personal_seals(account.id)]


@router.post("/personal/styled", status_code=201, response_model=SealOut)
def add_personal_styled(body: StyledSealIn, account: AccountDep, seals: SealsDep) -> SealOut:
    """A square seal in a chosen colour (自定义样式); at most 3 personal seals (409
    SEAL_LIMIT_REACHED)."""
    image = seals.styled(SealKind.PERSONAL, body.seal_style())
    return SealOut.of(seals.add_personal(account.id, image, body.label))


@router.post("/personal/photo", status_code=201, response_model=SealOut, openapi_extra=_RAW_BODY)
async def add_personal_photo(
    request: Request, account: AccountDep, seals: SealsDep, label: UploadLabel = ""
) -> SealOut:
    """A photo of the stamped template (拍照上传), PNG or JPEG: the red seal is extracted."""
    await run_in_threadpool(seals.check_room, account.id)  # before the image work
    image = await _upload(request, seals.photo)
    record = await run_in_threadpool(seals.add_personal, account.id, image, label)
    return SealOut.of(record)


@router.post(
    "/personal/handwriting", status_code=201, response_model=SealOut, openapi_extra=_PNG_BODY
)
async def add_personal_handwriting(
    request: Request, account: AccountDep, seals: SealsDep, label: UploadLabel = ""
) -> SealOut:
    """A handwritten seal (手写模式): a PNG with a transparent background."""
    await run_in_threadpool(seals.check_room, account.id)  # before the image work
    image = await _upload(request, seals.handwriting)
    record = await run_in_threadpool(seals.add_personal, account.id, image, label)
    return SealOut.of(record)


@router.get(
    "/template.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the template"}},
)
def template(account: AccountDep) -> Response:
    """The seal template (印章模板): print it, stamp or sign in its box, photograph it and
    upload the photo to ``…/photo``."""
    return Response(seal_template_pdf(), media_type="application/pdf")


# -- one seal ----------------------------------------------------------------------------------


@router.get("/{seal_id}", response_model=SealOut)
def seal(seal_id: SealId, account: AccountDep, seals: SealsDep) -> SealOut:
    return SealOut.of(seals.get(account.id, seal_id))


@router.get("/{seal_id}/image", response_class=Response, responses=_IMAGE_RESPONSES)
def image(seal_id: SealId, request: Request, account: AccountDep, seals: SealsDep) -> Response:
    """The seal's transparent PNG; send its ETag as If-None-Match to get 304 while unchanged."""
    record = seals.get(account.id, seal_id)
    etag = f'"{record.image_sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in wanted or f"W/{etag}" in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(record.image_png, media_type="image/png", headers=headers)


@router.patch("/{seal_id}", response_model=SealOut)
def relabel(seal_id: SealId, body: LabelIn, account: AccountDep, seals: SealsDep) -> SealOut:
    """A new label (the image stays)."""
    return SealOut.of(seals.relabel(account.id, seal_id, body.label))


@router.put("/{seal_id}/styled", response_model=SealOut)
def edit_styled(
    seal_id: SealId, body: StyledSealIn, account: AccountDep, seals: SealsDep
) -> SealOut:
    """Redraw the seal in a custom style (its shape fits its kind); a non-empty label
    replaces the old one."""
    current = seals.check_edit(account.id, seal_id, SealImageSource.RENDERED)
    image = seals.styled(current.kind, body.seal_style())
    return SealOut.of(seals.edit(account.id, seal_id, image, body.label or None))


async def _edit_upload(
    seals: SealManagement,
    account_id: str,
    seal_id: str,
    source: SealImageSource,
    request: Request,
    label: str | None,
) -> SealOut:
    await run_in_threadpool(seals.check_edit, account_id, seal_id, source)
    make = seals.photo if source is SealImageSource.PHOTO else seals.handwriting
    image = await _upload(request, make)
    record = await run_in_threadpool(seals.edit, account_id, seal_id, image, label)
    return SealOut.of(record)


@router.put("/{seal_id}/photo", response_model=SealOut, openapi_extra=_RAW_BODY)
async def edit_photo(
    seal_id: SealId,
    request: Request,
    account: AccountDep,
    seals: SealsDep,
    label: EditLabel = None,
) -> SealOut:
    """A new image from a photo of the stamped seal (PNG or JPEG)."""
    return await _edit_upload(seals, account.id, seal_id, SealImageSource.PHOTO, request, label)


@router.put("/{seal_id}/handwriting", response_model=SealOut, openapi_extra=_PNG_BODY)
async def edit_handwriting(
    seal_id: SealId,
    request: Request,
    account: AccountDep,
    seals: SealsDep,
    label: EditLabel = None,
) -> SealOut:
    """A new handwritten image (a PNG with a transparent background)."""
    source = SealImageSource.HANDWRITING
    return await _edit_upload(seals, account.id, seal_id, source, request, label)


@router.delete("/{seal_id}", status_code=204, response_class=Response)
def delete(seal_id: SealId, account: AccountDep, seals: SealsDep) -> Response:
    """Delete one of your personal seals (an enterprise's seals are edited, not deleted)."""
    seals.delete(account.id, seal_id)
    return Response(status_code=204)


# -- an enterprise's seals ---------------------------------------------------------------------


@enterprise_router.get("", response_model=list[SealOut])
def enterprise_seals(
    enterprise_id: EnterpriseId, account: AccountDep, seals: SealsDep
) -> list[SealOut]:
    """Its enterprise seals, legal representative seal and signature: for its admin and
    staff (403 SEAL_PERMISSION_DENIED for anyone else)."""
    return [SealOut.of(r) for r in seals.enterprise_seals(account.id, enterprise_id)]


@enterprise_router.post("/{kind}/styled", status_code=201, response_model=SealOut)
def add_enterprise_styled(
    enterprise_id: EnterpriseId,
    kind: EnterpriseKind,
    body: StyledSealIn,
    account: AccountDep,
    seals: SealsDep,
) -> SealOut:
    """The admin draws one: round for ``enterprise``, square for ``legal_representative``."""
    seal_kind = SealKind(kind)
    seals.check_add(account.id, enterprise_id, seal_kind, SealImageSource.RENDERED)
    image = seals.styled(seal_kind, body.seal_style())
    return SealOut.of(seals.add_enterprise(account.id, enterprise_id, seal_kind, image, body.label))


async def _add_upload(
    seals: SealManagement,
    account_id: str,
    enterprise_id: str,
    kind: SealKind,
    source: SealImageSource,
    request: Request,
    label: str,
) -> SealOut:
    await run_in_threadpool(seals.check_add, account_id, enterprise_id, kind, source)
    make = seals.photo if source is SealImageSource.PHOTO else seals.handwriting
    image = await _upload(request, make)
    record = await run_in_threadpool(
        seals.add_enterprise, account_id, enterprise_id, kind, image, label
    )
    return SealOut.of(record)


@enterprise_router.post(
    "/{kind}/photo", status_code=201, response_model=SealOut, openapi_extra=_RAW_BODY
)
async def add_enterprise_photo(
    enterprise_id: EnterpriseId,
    kind: EnterpriseKind,
    request: Request,
    account: AccountDep,
    seals: SealsDep,
    label: UploadLabel = "",
) -> SealOut:
    """The admin uploads a photo of the stamped seal (PNG or JPEG); the red seal is
    extracted (``enterprise``, ``legal_representative``)."""
    source = SealImageSource.PHOTO
    return await _add_upload(
        seals, account.id, enterprise_id, SealKind(kind), source, request, label
    )


@enterprise_router.post(
    "/{kind}/handwriting", status_code=201, response_model=SealOut, openapi_extra=_PNG_BODY
)
async def add_enterprise_handwriting(
    enterprise_id: EnterpriseId,
    kind: EnterpriseKind,
    request: Request,
    account: AccountDep,
    seals: SealsDep,
    label: UploadLabel = "",
) -> SealOut:
    """The admin uploads the legal representative's handwritten signature (a transparent
    PNG; ``legal_representative_signature`` only)."""
    source = SealImageSource.HANDWRITING
    return await _add_upload(
        seals, account.id, enterprise_id, SealKind(kind), source, request, label
    )
