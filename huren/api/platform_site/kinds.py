"""Page kinds: what the demo platform's scan page does per request kind.

The page machinery (create, the QR, the countdown, waiting, refresh, refusals) is the same
for every kind; a kind adds how a new request like an old one is made (refresh) and the
partial template that shows its approved result. Adding a kind is a ``PageKind``
registered here (``decrypt`` registers its own, in ``decrypt``), a result partial
``platform/result_<action>.html`` and, when it starts from a form, a form route and template.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.db.scan_tables import ScanRequestRow
from huren.node.scan.service import ScanRequest

__all__ = ["PAGE_KINDS", "PageKind", "page_kind", "register_page_kind", "signer_of"]

# The params of a new request like ``view`` (the site's back end keeps the input; here the
# node's row holds it).
Again = Callable[[Engine, ScanRequest], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PageKind:
    action: str
    heading: str  # the scan page's heading
    instruction: str  # what the holder is asked to do
    again: Again

    @property
    def result_template(self) -> str:
        return f"platform/result_{self.action}.html"


PAGE_KINDS: dict[str, PageKind] = {}


def register_page_kind(kind: PageKind) -> PageKind:
    PAGE_KINDS[kind.action] = kind
    return kind


def page_kind(action: str) -> PageKind | None:
    return PAGE_KINDS.get(action)


def _login_again(_: Engine, __: ScanRequest) -> dict[str, Any]:
    return {}


def _sign_again(_: Engine, view: ScanRequest) -> dict[str, Any]:
    return {"digest_sha256": view.content["digest_sha256"], "title": view.content["title"]}


def _seal_again(engine: Engine, view: ScanRequest) -> dict[str, Any]:
    with Session(engine) as session:
        row = session.get(ScanRequestRow, view.request_id)
        blob = None if row is None else row.input_blob
    if blob is None:
        raise LookupError("the document to seal is gone: upload it again")
    kept = json.loads(blob)
    params = {k: view.content[k] for k in ("title", "page", "x", "y", "width", "height")}
    return params | {"pdf": kept["pdf"], "seal_png": kept["png"]}


register_page_kind(
    PageKind(
        "login", "扫码登录 · Scan to log in", "Scan with the huren app to log in.", _login_again
    )
)
register_page_kind(
    PageKind("sign", "扫码签名 · Scan to sign", "Scan with the huren app to sign.", _sign_again)
)
register_page_kind(
    PageKind("seal", "扫码签章 · Scan to seal", "Scan with the huren app to seal.", _seal_again)
)


def signer_of(view: ScanRequest) -> dict[str, str] | None:
    """Who approved: the certificate's subject, enterprise, USCC and fingerprint (the node
    checked the signature, recognition and bind before it recorded the approval)."""
    # a decrypt answer carries the recipient's encryption certificate in its result
    pem = view.certificate_chain_pem or view.result.get("certificate_pem")
    if not isinstance(pem, str) or view.fingerprint is None:
        return None
    leaf = x509.load_pem_x509_certificates(pem.encode())[0]
    subject = leaf.subject

    def first(oid: x509.ObjectIdentifier) -> str:
        values = subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    org_id = first(NameOID.ORGANIZATION_IDENTIFIER)
    return {
        "subject": subject.rfc4514_string(),
        "common_name": first(NameOID.COMMON_NAME),
        "enterprise": first(NameOID.ORGANIZATION_NAME),
        "uscc": org_id.removeprefix("NTRCN-"),
        "fingerprint": view.fingerprint.hex(),
        "issuer": leaf.issuer.rfc4514_string(),
    }


def result_of(view: ScanRequest) -> dict[str, Any]:
    """The approved result the browser may see (never the payload's nonce or a key)."""
    out: dict[str, Any] = {}
    if view.signature is not None:
        out["signature"] = base64.b64encode(view.signature).decode()
    out |= {k: v for k, v in view.result.items() if isinstance(v, str | int | float)}
    out["document"] = view.result_blob is not None
    return out
