"""A CA operator's PKI status pages: the CAs it operates (the center operator sees every
CA), each with its root and issuing CA certificates (download), the CRL the node serves
(number, next update, revoked count) and its latest recorded and revoked certificates from
the index (``huren.node.console_pki``). Another CA's page is a 403.

The CA review queue slots in at ``/console/ca/<id>/review`` (linked from the CA's page).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, Forbidden, render
from huren.api.console.pages import caller_of, index_status
from huren.api.console.roles import Permission
from huren.api.deps import LagDep, NodeDep, SessionDep
from huren.api.routers import consortium
from huren.node import console_pki
from huren.node.pki.service import Pki
from huren.registry.types import RevocationReason

__all__ = ["router"]

router = APIRouter(prefix="/console/ca", include_in_schema=False)
CaSession = Annotated[cookies.Session, Allowed(Permission.VIEW_CA_PKI)]
CaId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def _pki(node: object) -> Pki | None:
    pki: Pki | None = getattr(node, "pki", None)
    return pki


def _own(found: cookies.Session, ca_id: str) -> None:
    if not found.principal.may_see_ca(ca_id):
        raise Forbidden(found.principal, Permission.VIEW_CA_PKI)


@router.get("")
def cas_page(request: Request, found: CaSession, db: SessionDep, lag: LagDep) -> HTMLResponse:
    cas = consortium.cas(caller_of(found.principal), db)
    visible = [ca for ca in cas if found.principal.may_see_ca(ca.id)]
    return render(request, "console/cas.html", {"cas": visible, **index_status(db, lag)})


@router.get("/{ca_id}")
async def ca_page(
    request: Request, found: CaSession, ca_id: CaId, node: NodeDep, db: SessionDep, lag: LagDep
) -> HTMLResponse:
    _own(found, ca_id)
    record = next((ca for ca in consortium.cas(caller_of(found.principal), db) if ca.id == ca_id),
                  None)  # fmt: skip
    pki = _pki(node)
    loaded = pki is not None and ca_id in pki.cas
    certificates: list[console_pki.CaCertificateInfo] = []
    crl = None
    if pki is not None and loaded:
        ca = pki.ca(ca_id)
        certificates = [
            console_pki.certificate_info("root", ca.root),
            console_pki.certificate_info("issuing", ca.issuing),
        ]
        crl = console_pki.crl_info(await run_in_threadpool(pki.crl(ca_id).current))
    context = {
        "ca_id": ca_id,
        "record": record,
        "loaded": loaded,
        "certificates": certificates,
        "crl": crl,
        "activity": console_pki.ca_activity(db, ca_id),
        "reasons": {r.value: r.name.lower().replace("_", " ") for r in RevocationReason},
        **index_status(db, lag),
    }
    status_code = 200 if record is not None or loaded else 404
    return render(request, "console/ca.html", context, status_code=status_code)


@router.get("/{ca_id}/{which}.pem")
def ca_certificate_pem(
    found: CaSession, ca_id: CaId, which: Literal["root", "issuing"], node: NodeDep
) -> Response:
    _own(found, ca_id)
    pki = _pki(node)
    if pki is None or ca_id not in pki.cas:
        return Response(f"CA {ca_id} is not loaded into this node", 404, media_type="text/plain")
    ca = pki.ca(ca_id)
    info = console_pki.certificate_info(which, ca.root if which == "root" else ca.issuing)
    return Response(
        info.pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="{ca_id}-{which}.pem"'},
    )
