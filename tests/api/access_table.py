"""Who may call what: the node's access table, the single source of docs/access.md.

Every route of the app (method, path) is listed with what each kind of caller gets:
``ALLOWED`` (past authentication and authorization: the answer then depends on the input),
``401`` (no credentials the route accepts) or ``403`` (known, but not permitted). Callers:

- ``none``: no credentials;
- ``platform``: a platform key (``Authorization: Bearer hrk_...``);
- ``admin``: the node-admin key;
- ``account``: a person's access token (logged in through ``/v1/auth/login/...``).

On the console (``/console``, HTML) the same keys sign in and a session cookie carries the
caller; ``401`` there is the login page (a 303 to it, or a bare 401 for the console's script)
and ``403`` the forbidden page. The console's CA operator and auditor roles (accounts
granted a role, signing in at ``/console/login/account``) are no columns yet: the pages
only they and the center operator see are ``CENTER_ONLY`` here. The co-signer's device
routes accept only a device's signature, which none of these callers has (``DEVICE_SIGNED``).

tests/api/test_access_table.py checks that every route of the app is in ``ACCESS`` (a new
route must be added here) and that each cell holds when called; ``python -m
tests.api.access_table`` writes docs/access.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ACCESS",
    "ALLOWED",
    "CALLERS",
    "DOC",
    "account_token",
    "render_markdown",
]

Outcome = Literal["allowed", "401", "403"]
ALLOWED: Outcome = "allowed"
CALLERS = ("none", "platform", "admin", "account")
DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"

Row = dict[str, Outcome]
PUBLIC: Row = dict.fromkeys(CALLERS, ALLOWED)
ANY_KEY: Row = {"none": "401", "platform": ALLOWED, "admin": ALLOWED, "account": "401"}
ADMIN_ONLY: Row = {"none": "401", "platform": "403", "admin": ALLOWED, "account": "401"}
ACCOUNT: Row = {"none": "401", "platform": "401", "admin": "401", "account": ALLOWED}
# The co-signer's device routes take only a device's signature over the request
# (X-Huren-Device, ...): no key or token is one, so every caller here is a 401
# DEVICE_AUTH_FAILED, checked before the body or the service (tests/node/cosigner and
# tests/api/test_cosigner_api.py sign real requests).
DEVICE_SIGNED: Row = dict.fromkeys(CALLERS, "401")
# Console pages: a session signed in with a platform key or the admin key.
SIGNED_IN: Row = ANY_KEY
GOVERN: Row = ADMIN_ONLY
# Pages of the center operator (the admin key) and of roles that are no column here
# (auditor: the audit pages; CA operator: the CA pages; roles: the center operator only).
CENTER_ONLY: Row = ADMIN_ONLY

ACCESS: dict[tuple[str, str], Row] = {
    # health and the API's own description
    ("GET", "/v1/health"): PUBLIC,
    ("GET", "/v1/ready"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # recognition: a platform asks for itself; the admin for any platform
    ("GET", "/v1/recognition"): ANY_KEY,
    ("POST", "/v1/recognition"): ANY_KEY,
    ("POST", "/v1/recognition/batch"): ANY_KEY,
    # the consortium's state; governance through the node's operator account
    ("GET", "/v1/consortium/members"): ANY_KEY,
    ("GET", "/v1/consortium/cas"): ANY_KEY,
    ("GET", "/v1/consortium/cas/{ca_id}"): ANY_KEY,
    ("GET", "/v1/consortium/platforms"): ANY_KEY,
    ("GET", "/v1/consortium/platforms/{platform_id}"): ANY_KEY,
    ("GET", "/v1/consortium/quorum"): ANY_KEY,
    ("GET", "/v1/consortium/proposals"): ANY_KEY,
    ("GET", "/v1/consortium/proposals/{proposal_id}"): ANY_KEY,
    ("POST", "/v1/consortium/proposals"): ADMIN_ONLY,
    ("POST", "/v1/consortium/proposals/{proposal_id}/votes"): ADMIN_ONLY,
    # platform keys
    ("POST", "/v1/platform-keys"): ADMIN_ONLY,
    ("GET", "/v1/platform-keys"): ADMIN_ONLY,
    ("DELETE", "/v1/platform-keys/{key_id}"): ADMIN_ONLY,
    # PKI: what relying parties fetch is public (RFC 5280 / 6960 distribution points)
    ("GET", "/v1/pki/cas"): PUBLIC,
    ("GET", "/v1/pki/cas/{ca_id}/root.cer"): PUBLIC,
    ("GET", "/v1/pki/cas/{ca_id}/issuing.cer"): PUBLIC,
    ("GET", "/v1/pki/cas/{ca_id}/crl"): PUBLIC,
    ("POST", "/v1/pki/cas/{ca_id}/ocsp"): PUBLIC,
    ("GET", "/v1/pki/cas/{ca_id}/ocsp/{encoded}"): PUBLIC,
    ("GET", "/v1/pki/certificates/{fingerprint}/chain"): ANY_KEY,
    ("POST", "/v1/pki/certificates/{fingerprint}/revocation"): ADMIN_ONLY,
    # accounts: signing in is open (rate limited); the rest is the account's own
    ("POST", "/v1/auth/sms-codes"): PUBLIC,
    ("POST", "/v1/auth/login/sms"): PUBLIC,
    ("POST", "/v1/auth/login/password"): PUBLIC,
    ("POST", "/v1/auth/login/wechat"): PUBLIC,
    ("POST", "/v1/auth/wechat/bind"): PUBLIC,
    ("POST", "/v1/auth/refresh"): PUBLIC,
    ("POST", "/v1/auth/logout"): PUBLIC,
    ("POST", "/v1/auth/password/reset"): PUBLIC,
    ("GET", "/v1/dev/sms-outbox"): PUBLIC,  # dev nodes only (404 elsewhere)
    ("GET", "/v1/account"): ACCOUNT,
    ("PUT", "/v1/account/password"): ACCOUNT,
    ("POST", "/v1/account/phone/code"): ACCOUNT,
    ("PUT", "/v1/account/phone"): ACCOUNT,
    ("POST", "/v1/account/certificate-password/code"): ACCOUNT,
    ("PUT", "/v1/account/certificate-password"): ACCOUNT,
    ("GET", "/v1/identity"): ACCOUNT,
    ("POST", "/v1/identity/cfca"): ACCOUNT,
    ("POST", "/v1/identity/alipay"): ACCOUNT,
    ("POST", "/v1/identity/alipay/{certify_id}/complete"): ACCOUNT,
    ("POST", "/v1/identity/bank-card"): ACCOUNT,
    ("GET", "/v1/messages"): ACCOUNT,
    ("GET", "/v1/messages/unread-count"): ACCOUNT,
    ("POST", "/v1/messages/read-all"): ACCOUNT,
    ("GET", "/v1/messages/{message_id}"): ACCOUNT,
    ("DELETE", "/v1/messages/{message_id}"): ACCOUNT,
    ("POST", "/v1/messages/{message_id}/read"): ACCOUNT,
    ("POST", "/v1/internal/messages"): ADMIN_ONLY,  # the node's services post to inboxes
    # certificate applications and the holder's certificates: the applicant's own
    ("POST", "/v1/applications"): ACCOUNT,
    ("GET", "/v1/applications"): ACCOUNT,
    ("GET", "/v1/applications/staff-requests"): ACCOUNT,
    ("GET", "/v1/applications/{application_id}"): ACCOUNT,
    ("PATCH", "/v1/applications/{application_id}"): ACCOUNT,
    ("PUT", "/v1/applications/{application_id}/attachments/{kind}"): ACCOUNT,
    ("GET", "/v1/applications/{application_id}/form.pdf"): ACCOUNT,
    ("POST", "/v1/applications/{application_id}/submit"): ACCOUNT,
    ("POST", "/v1/applications/{application_id}/admin-review"): ACCOUNT,
    ("POST", "/v1/applications/{application_id}/payment"): ACCOUNT,
    ("POST", "/v1/applications/{application_id}/download"): ACCOUNT,
    ("GET", "/v1/holder/certificates"): ACCOUNT,
    ("GET", "/v1/holder/certificates/{fingerprint}"): ACCOUNT,
    ("POST", "/v1/holder/certificates/{fingerprint}/revocation"): ACCOUNT,
    # a CA's review queue: the node-admin key naming a CA the node serves (for now)
    ("GET", "/v1/ca/{ca_id}/applications"): ADMIN_ONLY,
    ("GET", "/v1/ca/{ca_id}/applications/{application_id}"): ADMIN_ONLY,
    ("GET", "/v1/ca/{ca_id}/applications/{application_id}/attachments/{kind}"): ADMIN_ONLY,
    ("POST", "/v1/ca/{ca_id}/applications/{application_id}/approve"): ADMIN_ONLY,
    ("POST", "/v1/ca/{ca_id}/applications/{application_id}/reject"): ADMIN_ONLY,
    # enterprise change: the enterprise's admin (checked by the service); the CA's view
    ("GET", "/v1/enterprise-change/candidates"): ACCOUNT,
    ("POST", "/v1/enterprise-change"): ACCOUNT,
    ("GET", "/v1/enterprise-change/{application_id}"): ACCOUNT,
    ("GET", "/v1/ca/{ca_id}/enterprise-changes/{application_id}"): ADMIN_ONLY,
    # billing: an account's orders, bills, invoices and cards; prices and refunds by the
    # node's operator; the payment gateway's notification carries the gateway's signature
    ("GET", "/v1/billing/prices"): ACCOUNT,
    ("POST", "/v1/billing/price-lists"): ADMIN_ONLY,
    ("POST", "/v1/billing/orders"): ACCOUNT,
    ("GET", "/v1/billing/orders/{order_id}"): ACCOUNT,
    ("POST", "/v1/billing/orders/{order_id}/pay"): ACCOUNT,
    ("POST", "/v1/billing/applications/{application_id}/refund"): ADMIN_ONLY,
    ("POST", "/v1/billing/notify"): PUBLIC,  # the gateway's signature decides (else 4xx)
    ("GET", "/v1/billing/bills"): ACCOUNT,
    ("GET", "/v1/billing/bills/{order_id}"): ACCOUNT,
    ("GET", "/v1/billing/invoiceable"): ACCOUNT,
    ("POST", "/v1/billing/invoices"): ACCOUNT,
    ("GET", "/v1/billing/invoices"): ACCOUNT,
    ("GET", "/v1/billing/invoices/{invoice_id}/pdf"): ACCOUNT,
    ("POST", "/v1/billing/bank-cards"): ACCOUNT,
    ("GET", "/v1/billing/bank-cards"): ACCOUNT,
    ("DELETE", "/v1/billing/bank-cards/{card_id}"): ACCOUNT,
    # the co-signer: node services with the admin key; the rest is the holder's device
    ("POST", "/v1/cosigner/tickets"): ADMIN_ONLY,
    ("POST", "/v1/cosigner/enrolments/{enrolment_id}/certificates"): ADMIN_ONLY,
    ("POST", "/v1/cosigner/enrolments/{enrolment_id}/unlock"): ADMIN_ONLY,
    ("POST", "/v1/cosigner/enrolments"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/enrolments/{enrolment_id}/finish"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/signings"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/signings/{signing_id}/share"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/decryptions"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/enrolments/{enrolment_id}/pin"): DEVICE_SIGNED,
    ("GET", "/v1/cosigner/devices"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/devices/{device_id}/revoke"): DEVICE_SIGNED,
    ("GET", "/v1/cosigner/enrolments"): DEVICE_SIGNED,
    ("GET", "/v1/cosigner/sessions"): DEVICE_SIGNED,
    # audit proofs: any key (auditors read)
    ("GET", "/v1/audit/proofs/inclusion"): ANY_KEY,
    ("GET", "/v1/audit/proofs/consistency"): ANY_KEY,
    ("GET", "/v1/audit/checkpoints"): ANY_KEY,
    # the console
    ("GET", "/console"): PUBLIC,  # redirects to the consortium page
    ("GET", "/console/"): PUBLIC,
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): SIGNED_IN,  # the key sent in the form decides
    ("POST", "/console/logout"): SIGNED_IN,
    ("GET", "/console/consortium"): SIGNED_IN,
    ("GET", "/console/proposals"): SIGNED_IN,
    ("GET", "/console/events"): SIGNED_IN,
    ("GET", "/console/events/feed"): SIGNED_IN,
    ("GET", "/console/status"): SIGNED_IN,
    ("GET", "/console/certificates"): SIGNED_IN,
    ("POST", "/console/certificates"): SIGNED_IN,
    ("GET", "/console/proposals/new"): GOVERN,
    ("POST", "/console/proposals"): GOVERN,
    ("POST", "/console/proposals/confirm"): GOVERN,
    ("POST", "/console/proposals/{proposal_id}/vote/confirm"): GOVERN,
    ("POST", "/console/proposals/{proposal_id}/vote"): GOVERN,
    ("POST", "/console/login/account"): PUBLIC,  # a person's phone and password decide
    ("GET", "/console/audit"): CENTER_ONLY,
    ("POST", "/console/audit/runs"): CENTER_ONLY,
    ("GET", "/console/audit/runs/{run_id}"): CENTER_ONLY,
    ("GET", "/console/audit/runs/{run_id}/progress"): CENTER_ONLY,
    ("GET", "/console/audit/runs/{run_id}/report.json"): CENTER_ONLY,
    ("GET", "/console/ca"): CENTER_ONLY,
    ("GET", "/console/ca/{ca_id}"): CENTER_ONLY,
    ("GET", "/console/ca/{ca_id}/{which}.pem"): CENTER_ONLY,
    ("GET", "/console/roles"): CENTER_ONLY,
    ("POST", "/console/roles"): CENTER_ONLY,
    ("POST", "/console/roles/{grant_id}/revoke"): CENTER_ONLY,
}


def account_token(http: Any, phone: str) -> str:
    """An account's access token, logged in through the dev node's simulated SMS gateway
    (``http``: a test client of the app), as a person would."""
    sent = http.post("/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
    assert sent.status_code == 202, sent.text
    outbox = http.get("/v1/dev/sms-outbox", params={"phone": phone}).json()
    found = re.search(r"\d{6}", outbox[0]["text"])
    assert found is not None, outbox
    login = http.post("/v1/auth/login/sms", json={"phone": phone, "code": found.group()})
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


_SHOWN = {ALLOWED: "✓", "401": "401", "403": "403"}


def render_markdown() -> str:
    lines = [
        "# Access: who may call what",
        "",
        "Generated from `tests/api/access_table.py` (`python -m tests.api.access_table`);",
        "`tests/api/test_access_table.py` checks that every route of the node is listed and",
        "that each cell holds when called. Do not edit by hand.",
        "",
        "Callers: **none** (no credentials), **platform** (a platform key), **admin** (the",
        "node-admin key), **account** (a person's access token from `/v1/auth/login/...`).",
        "✓: past authentication and authorization (the answer then depends on the input);",
        "401: credentials this route does not accept (problem JSON `UNAUTHENTICATED`,",
        "`INVALID_PLATFORM_KEY`, `INVALID_TOKEN`); 403: known but not permitted (`ADMIN_ONLY`).",
        "The co-signer's device routes take only the holder's device signature",
        "(`X-Huren-Device`, ...; docs/cosigner.md): 401 `DEVICE_AUTH_FAILED` to every caller",
        "here. On the console (`/console`) a session cookie signed in with the key carries the",
        "caller; 401 is the login page, 403 the forbidden page. The console's CA operator and",
        "auditor roles (accounts granted a role, signing in at `/console/login/account`) are",
        "not columns yet: their pages show here as the center operator's (admin).",
        "",
        "| method | path | " + " | ".join(CALLERS) + " |",
        "|---|---|" + "---|" * len(CALLERS),
    ]
    for (method, path), row in ACCESS.items():
        cells = " | ".join(_SHOWN[row[caller]] for caller in CALLERS)
        lines.append(f"| {method} | `{path}` | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render_markdown(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
