"""Recognition answers for trading platforms, from the node's index (never a chain call).

An unknown CERTIFICATE is an answer, not an error: 200 with ``recognized: false`` and
``UNKNOWN_CERTIFICATE`` is exactly what a platform needs to refuse a login (and a batch
may mix known and unknown ones). An unknown PLATFORM is a 404 ``UNKNOWN_PLATFORM``: it is
the caller's own mistake, and no answer about it could mean anything.

A platform key asks for its own platform (``platform`` may be omitted; naming another one
is a 403 ``PLATFORM_MISMATCH``); the node-admin key asks for any platform it names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from huren.api.certificate_upload import (
    DER_TYPES,
    MAX_CERTIFICATE_BYTES,
    PEM_TYPES,
    fingerprint_of_text,
    fingerprint_of_upload,
)
from huren.api.deps import Caller, CallerDep, LagDep, SessionDep
from huren.api.problems import PROBLEM_RESPONSES, ApiProblem
from huren.api.schemas import (
    EXAMPLE_FP,
    FINGERPRINT_PATTERN,
    MAX_UINT64,
    Action,
    BatchIn,
    BatchOut,
    CertificateIn,
    RecognitionOut,
    parse_fingerprint,
)
from huren.node.recognition import (
    MAX_BATCH,
    RecognitionAnswer,
    TooManyFingerprints,
    recognize_many,
)
from huren.registry.ids import decode_id, encode_id

router = APIRouter(prefix="/v1/recognition", tags=["recognition"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    403: {"description": "PLATFORM_MISMATCH: a platform key asked for another platform"},
    404: {"description": "UNKNOWN_PLATFORM: the platform id is not registered"},
}

PlatformQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=66,
        description="platform id; defaults to the platform key's own",
        openapi_examples={"nantong": {"value": "nantong-ggzy"}},
    ),
]
ActionQuery = Annotated[
    Action | None,
    Query(
        description="what the platform wants to do; omit for none in particular",
        openapi_examples={"sign": {"value": "sign"}, "decrypt": {"value": "decrypt"}},
    ),
]
AtQuery = Annotated[
    int | None,
    Query(ge=0, le=MAX_UINT64, description="unix seconds for the validity check; default now"),
]


def _platform_for(caller: Caller, platform: str | None) -> str:
    if platform is not None:
        platform = decode_id(encode_id(platform))  # InvalidIdentifier: 422
    if caller.platform_id is not None:
        if platform is not None and platform != caller.platform_id:
            raise ApiProblem(
                403,
                "PLATFORM_MISMATCH",
                f"this key is {caller.platform_id!r}'s and cannot ask for {platform!r}",
            )
        return caller.platform_id
    if platform is None:
        raise ApiProblem(422, "PLATFORM_REQUIRED", "name the platform to recognize at")
    return platform


def _answers(
    session: Session,
    fingerprints: list[bytes],
    platform: str,
    action: Action | None,
    at: int | None,
    lag: int | None,
) -> list[RecognitionAnswer]:
    right = 0 if action is None else action.right
    answers = recognize_many(session, fingerprints, platform, right, at, lag=lag)
    if answers and not answers[0].platform_known:
        raise ApiProblem(404, "UNKNOWN_PLATFORM", f"platform {platform!r} is not registered")
    return answers


@router.get("", responses=RESPONSES, summary="Is this certificate recognized here?")
def recognition(
    caller: CallerDep,
    session: SessionDep,
    lag: LagDep,
    fingerprint: Annotated[
        str,
        Query(
            pattern=FINGERPRINT_PATTERN,
            description="SHA-256 of the certificate's DER (hex; 0x or colons allowed)",
            openapi_examples={"hex": {"value": EXAMPLE_FP}},
        ),
    ],
    platform: PlatformQuery = None,
    action: ActionQuery = None,
    at: AtQuery = None,
) -> RecognitionOut:
    """The recognition of one certificate at a platform: ``recognized``, every failed
    condition (``reasons``, and ``reason_bits`` exactly as the contract's ``recognize``),
    the chain evidence of the records it rests on and the index's lag. An unknown
    certificate is a 200 with ``UNKNOWN_CERTIFICATE``; an unknown platform is a 404."""
    platform_id = _platform_for(caller, platform)
    fp = parse_fingerprint(fingerprint)
    return RecognitionOut.of(_answers(session, [fp], platform_id, action, at, lag)[0])


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": CertificateIn.model_json_schema()},
            **{t: {"schema": {"type": "string"}} for t in PEM_TYPES},
            **{t: {"schema": {"type": "string", "format": "binary"}} for t in DER_TYPES},
        },
    }
}


@router.post(
    "",
    responses={**RESPONSES, 413: {"description": "PAYLOAD_TOO_LARGE"}, 415: {}},
    openapi_extra=_UPLOAD_BODY,
    summary="Is the certificate I hold recognized here?",
)
async def recognition_of_certificate(
    request: Request,
    caller: CallerDep,
    lag: LagDep,
    platform: PlatformQuery = None,
    action: ActionQuery = None,
    at: AtQuery = None,
) -> RecognitionOut:
    """Like ``GET``, for the certificate itself: the node computes its fingerprint. Send
    PEM (``application/x-pem-file``), DER (``application/pkix-cert``) with the parameters
    in the query, or JSON ``{"certificate": <PEM or base64 DER>, "platform", "action",
    "at"}``. A body that is no certificate is a 422 ``MALFORMED_CERTIFICATE``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * MAX_CERTIFICATE_BYTES:
        raise ApiProblem(413, "PAYLOAD_TOO_LARGE", "a certificate upload is too large")
    body = await request.body()
    if content_type == "application/json":
        try:
            data = CertificateIn.model_validate_json(body)
        except ValidationError as exc:
            raise ApiProblem(422, "VALIDATION_FAILED", _first_error(exc)) from None
        fp = fingerprint_of_text(data.certificate)
        platform = data.platform if data.platform is not None else platform
        action = data.action if data.action is not None else action
        at = data.at if data.at is not None else at
    elif content_type in PEM_TYPES or content_type in DER_TYPES:
        fp = fingerprint_of_upload(body)
    else:
        raise ApiProblem(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"send application/json, {', '.join(PEM_TYPES + DER_TYPES)}",
        )
    platform_id = _platform_for(caller, platform)

    def answer() -> RecognitionOut:
        with request.app.state.sessions() as session:
            return RecognitionOut.of(_answers(session, [fp], platform_id, action, at, lag)[0])

    return await run_in_threadpool(answer)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid body"
    where = ".".join(str(p) for p in errors[0]["loc"]) or "body"
    return f"{where}: {errors[0]['msg']}"


@router.post("/batch", responses=RESPONSES, summary="Recognition of many certificates")
def recognition_batch(
    caller: CallerDep, session: SessionDep, lag: LagDep, body: BatchIn
) -> BatchOut:
    """Up to 1,000 fingerprints at one platform, answered in their order from one snapshot
    of the index (a handful of queries however many there are); more is a 422
    ``TOO_MANY_FINGERPRINTS``."""
    if len(body.fingerprints) > MAX_BATCH:
        raise TooManyFingerprints(f"{len(body.fingerprints)} fingerprints; at most {MAX_BATCH}")
    platform_id = _platform_for(caller, body.platform)
    fps = [parse_fingerprint(f) for f in body.fingerprints]
    answers = _answers(session, fps, platform_id, body.action, body.at, lag)
    return BatchOut.of(answers, platform_id, answers[0].action, answers[0].at)
