"""Enterprise personnel and authorizations (account access tokens; the enterprise admin,
except the reads a member may do). Codes in docs/enterprises.md.

``/v1/enterprises``: your enterprises; members, invitations, removal, admin transfer with a
certificate; authorizations (ask with a sealed letter, list by platform or person, delete by
request, platform or person). ``/v1/ca/{ca}/authorizations``: the CA's review queue (the
node-admin key, as ``/v1/ca/{ca}/applications``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep
from huren.api.application_schemas import ApproveIn, RejectIn
from huren.api.ca_reviewer import CaId, ReviewerDep
from huren.api.deps import NodeDep
from huren.api.enterprise_schemas import (
    AdminTransferIn,
    AuthorizationIn,
    AuthorizationOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MyEnterpriseOut,
)
from huren.api.problems import (
    CHAIN_WRITE_RESPONSES,
    PROBLEM_RESPONSES,
    ApiProblem,
    problem_response,
)
from huren.node.enterprises.letters import rights_of_names
from huren.node.enterprises.services import EnterpriseServices
from huren.node.pki.errors import UnknownCa

__all__ = ["ca_router", "router"]

ENTERPRISE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCOUNT_RESPONSES,
    403: problem_response(
        "Not the admin, or a letter's certificate not the admin's or not usable "
        "(NOT_ENTERPRISE_ADMIN, LETTER_CERTIFICATE_NOT_HELD, LETTER_CERTIFICATE_REFUSED, ...)"
    ),
    404: problem_response("Not one of your enterprises, or not found (ENTERPRISE_NOT_FOUND, ...)"),
    409: problem_response("A state conflict (LETTER_REPLAYED, AUTHORIZATION_PENDING, ...)"),
    502: problem_response("The chain answered unexpectedly (CHAIN_ERROR)"),
}
router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"], responses=ENTERPRISE_RESPONSES)
ca_router = APIRouter(
    prefix="/v1/ca/{ca_id}/authorizations",
    tags=["ca review"],
    responses={
        **PROBLEM_RESPONSES,
        **CHAIN_WRITE_RESPONSES,
        403: problem_response("Needs the node-admin key (ADMIN_ONLY), or the chain refused"),
        404: problem_response(
            "A CA this node does not serve, or no such request (UNKNOWN_CA, ...)"
        ),
        409: problem_response("The request's state forbids it (ILLEGAL_AUTHORIZATION_STATE, ...)"),
        503: problem_response("No enterprise services, or the chain is unreachable"),
    },
)
EnterpriseId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
AccountId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
PlatformQuery = Annotated[
    str | None, Query(min_length=1, max_length=66, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
AccountQuery = Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")]


def get_enterprise_services(node: NodeDep) -> EnterpriseServices:
    services: EnterpriseServices | None = getattr(node, "enterprises", None)
    if services is None:
        raise ApiProblem(503, "ENTERPRISES_UNAVAILABLE", "this node serves no enterprises")
    return services


ServicesDep = Annotated[EnterpriseServices, Depends(get_enterprise_services)]


def _authorizations(views: list[Any]) -> list[AuthorizationOut]:
    return [AuthorizationOut.model_validate(v) for v in views]


@router.get("", response_model=list[MyEnterpriseOut])
def mine(account: AccountDep, s: ServicesDep) -> list[MyEnterpriseOut]:
    """The enterprises you belong to, with your role."""
    return [MyEnterpriseOut.model_validate(e) for e in s.personnel.mine(account.id)]


@router.get("/{enterprise_id}/members", response_model=list[MemberOut])
def members(enterprise_id: EnterpriseId, account: AccountDep, s: ServicesDep) -> list[MemberOut]:
    return [MemberOut.model_validate(m) for m in s.personnel.members(account.id, enterprise_id)]


@router.delete("/{enterprise_id}/members/{account_id}", status_code=204)
def remove_member(
    enterprise_id: EnterpriseId, account_id: AccountId, account: AccountDep, s: ServicesDep
) -> Response:
    """删除人员: the membership ends; the member's authorizations are withdrawn and revoked
    on chain."""
    s.personnel.remove(account.id, enterprise_id, account_id)
    return Response(status_code=204)


@router.post("/{enterprise_id}/invitations", status_code=201, response_model=InvitationOut)
def invite(
    enterprise_id: EnterpriseId, body: InvitationIn, account: AccountDep, s: ServicesDep
) -> InvitationOut:
    """新增人员: an SMS (and a message, if the phone has an account) invites the person to
    join."""
    view = s.personnel.invite(account.id, enterprise_id, body.name, body.phone)
    return InvitationOut.model_validate(view)


@router.get("/{enterprise_id}/invitations", response_model=list[InvitationOut])
def invitations(
    enterprise_id: EnterpriseId, account: AccountDep, s: ServicesDep
) -> list[InvitationOut]:
    return [
        InvitationOut.model_validate(i) for i in s.personnel.invitations(account.id, enterprise_id)
    ]


@router.post("/{enterprise_id}/admin-transfer", response_model=list[MemberOut])
def admin_transfer(
    enterprise_id: EnterpriseId, body: AdminTransferIn, account: AccountDep, s: ServicesDep
) -> list[MemberOut]:
    """有证转授管理员: sealed with the enterprise certificate, at once; you become staff."""
    done = s.personnel.transfer(
        account.id, enterprise_id, body.transferee_account_id, body.letter.sealed()
    )
    return [MemberOut.model_validate(m) for m in done]


@router.post(
    "/{enterprise_id}/authorizations", status_code=201, response_model=list[AuthorizationOut]
)
def request_authorization(
    enterprise_id: EnterpriseId, body: AuthorizationIn, account: AccountDep, s: ServicesDep
) -> list[AuthorizationOut]:
    """新增授权: one request per platform, to the staff certificate's CA for review."""
    views = s.authorizations.request(
        account.id,
        enterprise_id,
        bytes.fromhex(body.staff_fingerprint.removeprefix("0x")),
        body.platforms,
        rights_of_names(body.rights),
        body.letter.sealed(),
    )
    return _authorizations(views)


@router.get("/{enterprise_id}/authorizations", response_model=list[AuthorizationOut])
def list_authorizations(
    enterprise_id: EnterpriseId,
    account: AccountDep,
    s: ServicesDep,
    platform_id: PlatformQuery = None,
    account_id: AccountQuery = None,
    history: bool = False,
) -> list[AuthorizationOut]:
    """By platform (``platform_id``) or by person (``account_id``); active ones unless
    ``history``. A staff member sees their own."""
    views = s.authorizations.listing(
        account.id,
        enterprise_id,
        platform_id=platform_id,
        staff_account_id=account_id,
        history=history,
    )
    return _authorizations(views)


@router.delete("/{enterprise_id}/authorizations", response_model=list[AuthorizationOut])
def delete_authorizations(
    enterprise_id: EnterpriseId,
    account: AccountDep,
    s: ServicesDep,
    platform_id: PlatformQuery = None,
    account_id: AccountQuery = None,
) -> list[AuthorizationOut]:
    """删除授权 by platform or by person (exactly one of the two)."""
    views = s.authorizations.delete(
        account.id, enterprise_id, platform_id=platform_id, staff_account_id=account_id
    )
    return _authorizations(views)


@router.delete(
    "/{enterprise_id}/authorizations/{request_id}", response_model=list[AuthorizationOut]
)
def delete_authorization(
    enterprise_id: EnterpriseId, request_id: RequestId, account: AccountDep, s: ServicesDep
) -> list[AuthorizationOut]:
    return _authorizations(
        s.authorizations.delete(account.id, enterprise_id, request_id=request_id)
    )


# -- the CA's review --------------------------------------------------------------------------


def _served(ca_id: CaId, _: ReviewerDep, node: NodeDep) -> EnterpriseServices:
    pki = getattr(node, "pki", None)
    if pki is None or ca_id not in pki.cas:
        raise UnknownCa(f"no CA {ca_id!r} is loaded into this node")
    return get_enterprise_services(node)


ServedDep = Annotated[EnterpriseServices, Depends(_served)]


@ca_router.get("", response_model=list[AuthorizationOut])
def ca_queue(ca_id: CaId, s: ServedDep) -> list[AuthorizationOut]:
    """Authorization requests waiting for this CA (pending, or approved with the chain grant
    not yet sent), oldest first."""
    return _authorizations(s.authorizations.ca_queue(ca_id))


@ca_router.get("/{request_id}", response_model=AuthorizationOut)
def ca_detail(ca_id: CaId, request_id: RequestId, s: ServedDep) -> AuthorizationOut:
    return AuthorizationOut.model_validate(s.authorizations.ca_detail(ca_id, request_id))


@ca_router.post("/{request_id}/approve", response_model=AuthorizationOut)
def ca_approve(
    ca_id: CaId, request_id: RequestId, body: ApproveIn, reviewer: ReviewerDep, s: ServedDep
) -> AuthorizationOut:
    """Grant on chain as the CA's operator; after a chain failure, approve again."""
    view = s.authorizations.ca_approve(ca_id, request_id, reviewer.name(body.reviewer))
    return AuthorizationOut.model_validate(view)


@ca_router.post("/{request_id}/reject", response_model=AuthorizationOut)
def ca_reject(
    ca_id: CaId, request_id: RequestId, body: RejectIn, reviewer: ReviewerDep, s: ServedDep
) -> AuthorizationOut:
    view = s.authorizations.ca_reject(ca_id, request_id, reviewer.name(body.reviewer), body.reason)
    return AuthorizationOut.model_validate(view)
