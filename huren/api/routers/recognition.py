"""Recognition answers for trading platforms, from the node's index (never a chain call).

An unknown CERTIFICATE is an answer, not an error: 200 with ``recognized: false`` and
``UNKNOWN_CERTIFICATE`` is exactly what a platform needs to refuse a login (and a batch
may mix known and unknown ones). An unknown PLATFORM is a 404 ``UNKNOWN_PLATFORM``: it is
the caller's own mistake, and no answer about it could mean anything.

A platform key asks for its own platform (``platform`` may be omitted; naming another one
is a 403 ``PLATFORM_MISMATCH``); the node-admin key asks for any platform it names.

Costs. The endpoints are ``async`` and read the index in one go (one transaction, lean
queries, the CA and platform rows from the app's ``IndexCache``): in the event loop for one
fingerprint on SQLite, else in one thread pool hand-off (see ``huren.api.deps``). The
everyday ``GET`` (a platform key, well-formed parameters) is answered by ``FastPath`` before
FastAPI's routing and dependency solving, which cost more than the answer (see below).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams, State
from starlette.types import ASGIApp, Receive, Scope, Send

from huren.api.certificate_upload import (
    DER_TYPES,
    MAX_CERTIFICATE_BYTES,
    PEM_TYPES,
    fingerprint_of_text,
    fingerprint_of_upload,
)
from huren.api.deps import Caller, CallerDep, LagDep, is_admin_key
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
    IndexCache,
    ReadTransaction,
    RecognitionAnswer,
    TooManyFingerprints,
    canonical_id,
    read_transaction,
    recognize_many,
)

log = logging.getLogger(__name__)
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
        platform = canonical_id(platform)  # InvalidIdentifier: 422
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
    db: ReadTransaction,
    cache: IndexCache,
    fingerprints: list[bytes],
    platform: str,
    action: Action | None,
    at: int | None,
    lag: int | None,
) -> list[RecognitionAnswer]:
    right = 0 if action is None else action.right
    answers = recognize_many(db, fingerprints, platform, right, at, lag=lag, cache=cache)
    return _known_platform(answers, platform)


def _known_platform(answers: list[RecognitionAnswer], platform: str) -> list[RecognitionAnswer]:
    if answers and not answers[0].platform_known:
        raise ApiProblem(404, "UNKNOWN_PLATFORM", f"platform {platform!r} is not registered")
    return answers


T = TypeVar("T")


async def _recognize(
    state: State,
    fingerprints: list[bytes],
    platform: str,
    action: Action | None,
    at: int | None,
    lag: int | None,
    shape: Callable[[list[RecognitionAnswer]], T],
) -> T:
    """``shape`` of the answers: for one certificate about now, settled at the indexer's
    last checkpoint, from the cache without a read (``IndexCache.answer_now``); else read in
    one transaction, in the event loop for a single fingerprint when the app reads in the
    loop (SQLite), else in the thread pool."""

    def read(transaction: Callable[[], AbstractContextManager[ReadTransaction]]) -> T:
        with transaction() as db:
            answers = _answers(db, state.index_cache, fingerprints, platform, action, at, lag)
        return shape(answers)

    if at is None and len(fingerprints) == 1:  # settled at the indexer's last checkpoint?
        right = 0 if action is None else int(action.right)
        hit = state.index_cache.answer_now(fingerprints[0], platform, right, lag=lag)
        if hit is not None:
            return shape(_known_platform([hit], platform))
    if state.read_in_loop and len(fingerprints) == 1:
        return read(state.loop_reads.transaction)
    return await run_in_threadpool(read, lambda: read_transaction(state.read_engine))


def _one(answers: list[RecognitionAnswer]) -> RecognitionOut:
    return RecognitionOut.of(answers[0])


@router.get("", responses=RESPONSES, summary="Is this certificate recognized here?")
async def recognition(
    request: Request,
    caller: CallerDep,
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
    return await _recognize(request.app.state, [fp], platform_id, action, at, lag, _one)


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
    return await _recognize(request.app.state, [fp], platform_id, action, at, lag, _one)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid body"
    where = ".".join(str(p) for p in errors[0]["loc"]) or "body"
    return f"{where}: {errors[0]['msg']}"


@router.post("/batch", responses=RESPONSES, summary="Recognition of many certificates")
async def recognition_batch(
    request: Request, caller: CallerDep, lag: LagDep, body: BatchIn
) -> BatchOut:
    """Up to 1,000 fingerprints at one platform, answered in their order from one snapshot
    of the index (a handful of queries however many there are); more is a 422
    ``TOO_MANY_FINGERPRINTS``."""
    if len(body.fingerprints) > MAX_BATCH:
        raise TooManyFingerprints(f"{len(body.fingerprints)} fingerprints; at most {MAX_BATCH}")
    platform_id = _platform_for(caller, body.platform)
    fps = [parse_fingerprint(f) for f in body.fingerprints]

    def shape(answers: list[RecognitionAnswer]) -> BatchOut:
        return BatchOut.of(answers, platform_id, answers[0].action, answers[0].at)

    return await _recognize(request.app.state, fps, platform_id, body.action, body.at, lag, shape)


# -- the hot path ---------------------------------------------------------------------------
#
# A platform asks ``GET /v1/recognition`` many times a second, and FastAPI's routing and
# dependency solving cost more than the answer itself (about half of the time, measured).
# ``FastPath`` answers the everyday request without them: a well-formed query with only the
# documented parameters, each once, in its plainest spelling; a platform key the key cache
# vouches for; a fresh lag; a registered platform. It runs the same functions as the route
# (``_platform_for``, ``_recognize``, ``RecognitionOut``) and serializes the way FastAPI does
# (the response model's JSON, ``application/json``). Everything else, and anything that
# raises, goes on to the route unchanged, which answers (or refuses) it as always (so does
# every request while ``app.dependency_overrides`` is set, so that overrides keep working):
# ``tests/api/test_recognition_fast_path.py`` holds the two paths to the same answers.

_FAST_PATH = "/v1/recognition"
_FAST_PARAMS = frozenset({"fingerprint", "platform", "action", "at"})
_FINGERPRINT = re.compile(r"(?:0x)?[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}")
_ACTIONS = {a.value: a for a in Action}
_RECOGNITION_JSON = TypeAdapter(RecognitionOut)


class FastPath:
    """ASGI middleware: answers the everyday ``GET /v1/recognition`` itself (see above)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == _FAST_PATH and scope["method"] == "GET":
            try:
                response = await fast_answer(scope)
            except Exception:  # a problem (an unknown platform, ...) or a failure: the route
                log.debug("left to the route", exc_info=True)  # answers or reports it
                response = None
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def fast_answer(scope: Scope) -> Response | None:
    """The route's answer to the request in ``scope``, or None when the route must decide
    (it raises what the route would answer as a problem)."""
    app = scope.get("app")
    if app is None or scope.get("root_path") or app.dependency_overrides:
        return None
    state = app.state
    query = _query(scope["query_string"])
    if query is None or not query.keys() <= _FAST_PARAMS:
        return None
    fingerprint = query.get("fingerprint")
    if fingerprint is None or _FINGERPRINT.fullmatch(fingerprint) is None:
        return None
    platform = query.get("platform")
    if platform is not None and not 1 <= len(platform) <= 66:
        return None
    action = None
    if "action" in query and (action := _ACTIONS.get(query["action"])) is None:
        return None
    at = None
    if "at" in query:
        text = query["at"]
        if not (text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")):
            return None
        if (at := int(text)) > MAX_UINT64:
            return None
    key = _key(Headers(scope=scope))
    if not key or is_admin_key(key, state.node.settings.admin_api_key):
        return None
    info = state.key_cache.cached(key)
    fresh, lag = state.lag_probe.peek()
    if info is None or not fresh:
        return None
    platform_id = _platform_for(Caller("platform", info.platform_id, info.key_id), platform)
    fp = parse_fingerprint(fingerprint)
    out = await _recognize(state, [fp], platform_id, action, at, lag, _one)
    return Response(_RECOGNITION_JSON.dump_json(out, by_alias=True), media_type="application/json")


def _query(raw: bytes) -> dict[str, str] | None:
    """The query parameters as Starlette reads them; None when a name repeats."""
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        items = QueryParams(text).multi_items()
    else:  # nothing to decode: what ``parse_qsl`` does, minus its generality
        items = [(n, v) for n, _, v in (p.partition("=") for p in text.split("&") if p)]
    query = dict(items)
    return query if len(query) == len(items) else None


def _key(headers: Headers) -> str | None:
    """The key ``get_caller`` takes: a Bearer credential, else the X-API-Key header."""
    authorization = headers.get("Authorization")
    scheme, credentials = get_authorization_scheme_param(authorization)
    if authorization and scheme and credentials and scheme.lower() == "bearer":
        return credentials
    return headers.get("X-API-Key") or None
