"""Who may use the CA review API (``/v1/ca/{ca_id}/applications``): the node-admin key, or
the access token of an account that a node-admin granted the console role of CA operator
*for that CA* (``huren.node.console_roles``; granted on ``/console/roles``).

- no credentials: 401 ``UNAUTHENTICATED``;
- a platform key (``hrk_...``): 401 when it is not a valid key, else 403 ``NOT_CA_OPERATOR``;
- any other bearer that is not the admin key is read as an account's access token: 401
  ``INVALID_TOKEN`` (or ``TOKEN_EXPIRED``) when it is none, 403 ``NOT_CA_OPERATOR`` when the
  account does not operate this CA (grants are read on every request: a revoked grant
  refuses the next call).

The reviewer an account's decision records is the account itself (``account:<id>``);
with the admin key the body names the reviewer (``reviewer``), as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from huren.api.account_deps import get_account_services
from huren.api.deps import NodeDep, get_caller, is_admin_key
from huren.api.problems import ApiProblem
from huren.node.console_roles import ConsoleRoleService
from huren.node.platform_keys import KEY_PREFIX

__all__ = ["CaId", "Reviewer", "ReviewerDep", "get_reviewer"]

CaId = Annotated[str, Path(min_length=1, max_length=66, pattern=r"^[a-z0-9][a-z0-9._-]*$")]

_bearer = HTTPBearer(
    scheme_name="CaReviewer",
    auto_error=False,
    description="the node-admin key, or the access token of this CA's operator's account",
)
_api_key = APIKeyHeader(
    name="X-API-Key",
    scheme_name="CaReviewerApiKey",
    auto_error=False,
    description="the node-admin key",
)


@dataclass(frozen=True, slots=True)
class Reviewer:
    """The node's admin (``account_id`` None: the body names the reviewer) or a CA
    operator's account."""

    account_id: str | None = None

    def name(self, named: str | None) -> str:
        """The reviewer to record: the account, or the name the admin's body gives."""
        if self.account_id is not None:
            if named is not None:
                raise ApiProblem(
                    422,
                    "REVIEWER_NOT_ALLOWED",
                    "with an account's token the reviewer is the account: leave 'reviewer' out",
                )
            return f"account:{self.account_id}"
        if named is None:
            raise ApiProblem(
                422, "REVIEWER_REQUIRED", "with the node-admin key, name the reviewer ('reviewer')"
            )
        return named


def _not_operator(ca_id: str) -> ApiProblem:
    return ApiProblem(
        403,
        "NOT_CA_OPERATOR",
        f"needs the node-admin key or the account of an operator of CA {ca_id}",
    )


async def get_reviewer(
    request: Request,
    ca_id: CaId,
    node: NodeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key)],
) -> Reviewer:
    key = bearer.credentials if bearer is not None else header_key
    if not key:
        raise ApiProblem(
            401,
            "UNAUTHENTICATED",
            "send the node-admin key or an account's access token as 'Authorization: Bearer'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if is_admin_key(key, node.settings.admin_api_key):
        return Reviewer()
    if key.startswith(f"{KEY_PREFIX}_"):
        await get_caller(request, node, bearer, header_key)  # a 401 unless a valid key
        raise _not_operator(ca_id)
    services = await get_account_services(request)
    account = await run_in_threadpool(services.accounts.authenticate, key)
    roles: ConsoleRoleService = request.app.state.console_roles
    standing = await run_in_threadpool(roles.standing, account.id)
    if standing is None or ca_id not in standing.ca_ids():
        raise _not_operator(ca_id)
    return Reviewer(account.id)


ReviewerDep = Annotated[Reviewer, Depends(get_reviewer)]
