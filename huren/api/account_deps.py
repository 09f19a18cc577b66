"""What the account-side routers depend on: the node's account services, the signed-in
account (an access token as ``Authorization: Bearer <token>``) and the client's address
(for rate limits).

The services come from ``node.account_services`` (``huren.node.node.Node`` has them); an app
over a node without them answers 503 ``ACCOUNTS_UNAVAILABLE`` on these routes. The client
address is the TCP peer: behind a reverse proxy, run uvicorn with ``--proxy-headers`` and
``--forwarded-allow-ips`` so that it is the real client's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from huren.api.problems import PROBLEM_RESPONSES, ApiProblem
from huren.node.account_services import AccountServices
from huren.node.accounts import AccountInfo

__all__ = ["ACCOUNT_RESPONSES", "AccountDep", "AccountServicesDep", "ClientDep"]


def _problem(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM_RESPONSES[422]["content"], **extra}


# The problems these routes answer, for the OpenAPI document (codes in docs/accounts.md).
ACCOUNT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    400: _problem("A code that is wrong, used, expired or tried too often (WRONG_CODE, ...)"),
    403: _problem("A wrong old password or a mismatching identity (WRONG_PASSWORD, ...)"),
    404: _problem("Not found, or not the caller's (MESSAGE_NOT_FOUND, NOT_VERIFIED, ...)"),
    409: _problem("A state conflict (PHONE_TAKEN, ALREADY_VERIFIED, IDENTITY_TAKEN, ...)"),
    429: _problem(
        "Rate limited (RATE_LIMITED)",
        headers={"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    ),
    503: _problem("An external service failed (UPSTREAM_UNAVAILABLE, ACCOUNTS_UNAVAILABLE)"),
    504: _problem("An external service did not answer (UPSTREAM_TIMEOUT)"),
}

_bearer = HTTPBearer(
    scheme_name="AccountToken",
    auto_error=False,
    description="an account's access token (POST /v1/auth/login/...)",
)


async def get_account_services(request: Request) -> AccountServices:
    services: AccountServices | None = getattr(request.app.state, "account_services", None)
    if services is None:
        raise ApiProblem(503, "ACCOUNTS_UNAVAILABLE", "this node serves no accounts")
    return services


AccountServicesDep = Annotated[AccountServices, Depends(get_account_services)]


def get_account(
    services: AccountServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccountInfo:
    """The signed-in account (sync: it reads the account's token version)."""
    if bearer is None or not bearer.credentials:
        raise ApiProblem(
            401,
            "UNAUTHENTICATED",
            "send an access token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return services.accounts.authenticate(bearer.credentials)


AccountDep = Annotated[AccountInfo, Depends(get_account)]


async def get_client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


ClientDep = Annotated[str, Depends(get_client)]
