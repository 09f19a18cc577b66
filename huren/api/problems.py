"""RFC 9457 problem details: the API's one error format and its one exception handler.

Every error response is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and a stable machine-readable ``code`` (UPPER_SNAKE). Clients branch on ``code``;
``detail`` is for humans and may change. Codes of contract reverts are the Solidity error's
name in UPPER_SNAKE (``NotAMember`` -> ``NOT_A_MEMBER``), so they are as stable as the ABI.

``handle`` maps each package's exception root (and FastAPI's own validation and HTTP errors)
to a status and a code; anything else is a 500 ``INTERNAL_ERROR`` that reveals nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from huren.node.accounts import AccountError
from huren.node.applications.errors import ApplicationError
from huren.node.audit.proof_errors import TransparencyError
from huren.node.billing.errors import BillingError
from huren.node.cosigner.errors import CosignerError
from huren.node.enterprises import EnterpriseError
from huren.node.identity import IdentityError
from huren.node.indexer import IndexerError
from huren.node.keysplit.errors import KeysplitError
from huren.node.messages import MessageError
from huren.node.node import NodeError, NotDeployed
from huren.node.pki.errors import PkiError
from huren.node.platform_keys import PlatformKeyError
from huren.node.platforms.errors import PlatformDirectoryError
from huren.node.ports import PortError
from huren.node.recognition import RecognitionError
from huren.node.scan.errors import ScanError
from huren.node.seals.errors import SealError
from huren.node.zones.errors import ZoneError
from huren.registry.backend import BackendError, ChainUnavailable
from huren.registry.errors_base import ContractError, RegistryError

__all__ = [
    "CHAIN_WRITE_RESPONSES",
    "PROBLEM_RESPONSES",
    "ApiProblem",
    "install",
    "problem",
    "problem_response",
    "upper_snake",
]

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Contract reverts by what they mean for an HTTP client; the rest are 409 (state conflict).
_CONTRACT_STATUS = {
    404: {
        "UnknownProposal",
        "UnknownCa",
        "UnknownPlatform",
        "UnknownCertificate",
        "AuditAnchorUnknownCheckpoint",
    },
    403: {
        "NotAMember",
        "NotCaOperator",
        "NotPlatformCenter",
        "AccessControlUnauthorizedAccount",
        "MembershipNotRenounceable",
        "AuditAnchorUnauthorizedAccount",
    },
    422: {
        "EmptyName",
        "InvalidId",
        "InvalidQuorum",
        "InvalidRegionCode",
        "InvalidAction",
        "InvalidRights",
        "NoIssuerKeys",
        "NoOperators",
        "ZeroAddress",
        "LengthMismatch",
        "EmptyBatch",
        "AuditAnchorInvalidKind",
        "AuditAnchorEmptyRoot",
    },
}
_HTTP_CODES = {
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class ApiProblem(Exception):
    """Raised by routers and dependencies for an error response they decide themselves."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def upper_snake(name: str) -> str:
    """``NotAMember`` -> ``NOT_A_MEMBER``, ``InvalidPlatformKey`` -> ``INVALID_PLATFORM_KEY``."""
    return _SNAKE.sub("_", name).upper()


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response with a stable ``code`` (extension members in ``extra``)."""
    body: dict[str, Any] = {
        "type": f"urn:huren:problem:{code.lower().replace('_', '-')}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(
        body,
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=None if headers is None else dict(headers),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, str | int | bool | None) else str(value)


def _contract(exc: ContractError) -> JSONResponse:
    name = type(exc).__name__
    status = next((s for s, names in _CONTRACT_STATUS.items() if name in names), 409)
    arguments = {k: _jsonable(v) for k, v in exc.args_dict.items()}
    tx = None if exc.transaction_hash is None else "0x" + exc.transaction_hash.hex()
    return problem(status, upper_snake(name), str(exc), arguments=arguments, transaction_hash=tx)


def _validation(exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": e.get("type"),
        }
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"])
    return problem(422, "VALIDATION_FAILED", f"{where}: {first['msg']}", errors=errors)


def _service(exc: AccountError | IdentityError | MessageError | PortError) -> JSONResponse:
    """Account, identity, message and port errors carry their status, code and headers;
    a few carry what a client acts on (tries left, seconds to wait, a provider's reason)."""
    extra = {
        name: getattr(exc, name)
        for name in ("tries_left", "retry_after", "reason", "port")
        if isinstance(getattr(exc, name, None), str | int)
    }
    headers = None if isinstance(exc, PortError) else exc.headers
    return problem(exc.status, exc.code, str(exc), headers=headers, **extra)


# FastAPI's answer to a body it could not read (JSON that is not UTF-8, a broken form): a bare
# 400 with this detail. Clients get it as the 422 VALIDATION_FAILED that invalid JSON gets.
_UNPARSABLE_BODY = "There was an error parsing the body"


def _unparsable_body(exc: StarletteHTTPException) -> bool:
    return exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY


def handle(exc: BaseException) -> JSONResponse:
    """The response for any exception (the single place where errors become HTTP)."""
    if isinstance(exc, ApiProblem):
        return problem(exc.status, exc.code, exc.detail, headers=exc.headers)
    if isinstance(exc, RequestValidationError):
        return _validation(exc)
    if isinstance(exc, StarletteHTTPException) and _unparsable_body(exc):
        return problem(
            422,
            "VALIDATION_FAILED",
            "body: cannot be parsed (JSON must be UTF-8)",
            errors=[{"loc": ["body"], "msg": "cannot be parsed", "type": "json_invalid"}],
        )
    if isinstance(exc, StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
        return problem(exc.status_code, code, str(exc.detail), headers=exc.headers)
    if isinstance(
        exc,
        RecognitionError
        | PlatformKeyError
        | PkiError
        | TransparencyError
        | KeysplitError
        | BillingError
        | ApplicationError
        | EnterpriseError
        | SealError
        | PlatformDirectoryError,
    ):
        return problem(exc.status, exc.code, str(exc))
    if isinstance(exc, ZoneError):  # with what a client acts on (reasons, center)
        return problem(exc.status, exc.code, str(exc), **exc.problem_extra)
    if isinstance(exc, AccountError | IdentityError | MessageError | PortError):
        return _service(exc)
    if isinstance(exc, CosignerError | ScanError):  # with extension members (tries, reasons)
        return problem(exc.status, exc.code, str(exc), **exc.problem_extra)
    if isinstance(exc, ContractError):
        return _contract(exc)
    if isinstance(exc, RegistryError):  # caught before sending: the input was bad
        status = 422 if isinstance(exc, ValueError) else 502
        return problem(status, upper_snake(type(exc).__name__), str(exc))
    if isinstance(exc, ChainUnavailable):
        return problem(503, "CHAIN_UNAVAILABLE", "the chain cannot be reached")
    if isinstance(exc, BackendError):
        return problem(502, "CHAIN_ERROR", upper_snake(type(exc).__name__))
    if isinstance(exc, IndexerError):
        return problem(503, "INDEX_UNAVAILABLE", upper_snake(type(exc).__name__))
    if isinstance(exc, NotDeployed):
        return problem(503, "NOT_DEPLOYED", str(exc))
    if isinstance(exc, NodeError):
        return problem(409, upper_snake(type(exc).__name__), str(exc))
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "INTERNAL_ERROR", "an unexpected error occurred; see the node's log")


_ROOTS: tuple[type[Exception], ...] = (
    ApiProblem,
    RequestValidationError,
    StarletteHTTPException,
    RecognitionError,
    PlatformKeyError,
    PkiError,
    TransparencyError,
    CosignerError,
    KeysplitError,
    BillingError,
    RegistryError,
    BackendError,
    NodeError,
    IndexerError,
    AccountError,
    IdentityError,
    MessageError,
    PortError,
    ApplicationError,
    EnterpriseError,
    SealError,
    ZoneError,
    PlatformDirectoryError,
    ScanError,
)


def install(app: FastAPI) -> None:
    """Route every exception through ``handle``."""

    async def handler(_: Request, exc: Exception) -> JSONResponse:
        return handle(exc)

    # Starlette answers the roots below in its exception middleware; ``Exception`` itself
    # goes to the server-error middleware, which also logs the traceback.
    for root in _ROOTS:
        app.add_exception_handler(root, handler)
    app.add_exception_handler(Exception, handler)


_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "example": "urn:huren:problem:unknown-platform"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "example": "UNKNOWN_PLATFORM"},
        "detail": {"type": "string"},
    },
}


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response of problem JSON (for a router's ``responses``)."""
    return {"description": description, "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_response("No valid credentials (UNAUTHENTICATED, INVALID_PLATFORM_KEY)"),
    422: problem_response("Malformed input (VALIDATION_FAILED, MALFORMED_CERTIFICATE, ...)"),
}
# What a transaction through the node's operator account may meet besides bad input.
CHAIN_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: problem_response("ADMIN_ONLY, or the chain refused the operator (NOT_A_MEMBER, ...)"),
    404: problem_response("Unknown on chain (UNKNOWN_PROPOSAL, UNKNOWN_CA, ...)"),
    409: problem_response("The chain's state forbids it (PROPOSAL_NOT_OPEN, ALREADY_VOTED, ...)"),
    502: problem_response("The chain answered unexpectedly (CHAIN_ERROR)"),
    503: problem_response("The chain cannot be reached (CHAIN_UNAVAILABLE)"),
}
