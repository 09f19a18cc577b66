"""变更企业信息: the enterprise's admin lists the certificates a change may re-issue,
starts a change choosing them, and follows it; the CA operator sees the choice it reviews.

The change is an application (``kind`` ``enterprise_change``): attachments, the form,
submit and payment go through ``/v1/applications/{id}/...`` as for any other; each chosen
certificate's holder downloads the replacement through their own ``change_reissue``
application. See docs/applications.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from huren.api.account_deps import AccountDep
from huren.api.ca_reviewer import CaId
from huren.api.enterprise_change_schemas import CandidatesOut, ChangeIn, ChangeOut
from huren.api.problems import problem_response
from huren.api.routers.applications import APPLICATION_RESPONSES, ServicesDep
from huren.api.routers.ca_review import REVIEW_RESPONSES, ServedDep
from huren.node.applications.enterprise_change import EnterpriseChanges, NewEnterpriseChange

__all__ = ["ca_router", "router"]

CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **APPLICATION_RESPONSES,
    403: problem_response("Not the enterprise's admin (NOT_ENTERPRISE_ADMIN)"),
    404: problem_response("No such enterprise or change (ENTERPRISE_NOT_FOUND, ...)"),
    409: problem_response(
        "A chosen certificate is not active, its holder left, a replacement or another "
        "change is under way, the USCC is taken (CERTIFICATE_NOT_ACTIVE, ...)"
    ),
}
router = APIRouter(
    prefix="/v1/enterprise-change", tags=["enterprise change"], responses=CHANGE_RESPONSES
)
ca_router = APIRouter(
    prefix="/v1/ca/{ca_id}/enterprise-changes", tags=["ca review"], responses=REVIEW_RESPONSES
)
AppId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]
Uscc = Annotated[str, Query(min_length=1, max_length=18, description="the enterprise's USCC")]


@router.get("/candidates", response_model=CandidatesOut)
def candidates(uscc: Uscc, account: AccountDep, s: ServicesDep) -> CandidatesOut:
    """The enterprise's active enterprise and staff certificates a change may re-issue,
    with holder, kind and expiry; the warning says what re-issuing costs."""
    view = EnterpriseChanges(s.applications).candidates(account.id, uscc)
    return CandidatesOut.model_validate(view)


@router.post("", status_code=201, response_model=ChangeOut)
def create(body: ChangeIn, account: AccountDep, s: ServicesDep) -> ChangeOut:
    """A draft change: attach the licence and the form, submit, and pay through
    ``/v1/applications/{application.id}/...``; the fee is one new pair per chosen one."""
    new = NewEnterpriseChange(
        enterprise_uscc=body.enterprise_uscc,
        ca_id=body.ca_id,
        platform_id=body.platform_id,
        validity_years=body.validity_years,
        new_name=body.new_name,
        new_uscc=body.new_uscc,
        certificates=body.fingerprints(),
    )
    return ChangeOut.model_validate(EnterpriseChanges(s.applications).create(account.id, new))


@router.get("/{application_id}", response_model=ChangeOut)
def detail(application_id: AppId, account: AccountDep, s: ServicesDep) -> ChangeOut:
    """Your change: before and after, each chosen certificate and its replacement."""
    view = EnterpriseChanges(s.applications).detail(account.id, application_id)
    return ChangeOut.model_validate(view)


@ca_router.get("/{application_id}", response_model=ChangeOut)
def ca_detail(ca_id: CaId, application_id: AppId, s: ServedDep) -> ChangeOut:
    """The change under review: before and after, and the certificates chosen."""
    view = EnterpriseChanges(s.applications).ca_detail(ca_id, application_id)
    return ChangeOut.model_validate(view)
