"""Who may call what: the node's access table, the single source of docs/access.md.

Every route of the app (method, path) is listed with what each kind of caller gets:
``ALLOWED`` (past authentication and authorization: the answer then depends on the input),
``401`` (no credentials the route accepts), ``403`` (known, but not permitted) or ``404``
(a route about one enterprise, asked by someone outside it: as if it did not exist). Callers:

- ``none``: no credentials;
- people's access tokens (logged in through ``/v1/auth/login/...``): ``person`` (no
  enterprise), ``staff`` and ``ent_admin`` of enterprise E, ``other_admin`` (admin of
  another enterprise), ``ca_operator`` (console role for zjca), ``auditor`` (console role);
- ``center``: the node-admin key (the center running the node);
- ``platform``: a platform key (``Authorization: Bearer hrk_...``).

On the console (``/console``, HTML) the keys sign in, and so do the CA operator and the
auditor (phone and password at ``/console/login/account``); a session cookie carries the
caller; ``401`` there is the login page (a 303 to it, or a bare 401 for the console's script)
and ``403`` the forbidden page. The co-signer's device routes accept only a device's
signature, which none of these callers has (``DEVICE_SIGNED``).

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

Outcome = Literal["allowed", "401", "403", "404"]
ALLOWED: Outcome = "allowed"
# People's accounts (access tokens): a person with no enterprise; a staff member and the
# admin of enterprise E (``ENTERPRISE`` below); the admin of another enterprise F; an account
# granted the console's CA operator role (for zjca); an account granted the auditor role.
ACCOUNTS = ("person", "staff", "ent_admin", "other_admin", "ca_operator", "auditor")
# Keys: the node-admin key (the center running the node) and a platform key (alliance).
KEYS = ("center", "platform")
CALLERS = ("none", *ACCOUNTS, *KEYS)
DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"

Row = dict[str, Outcome]


def row(
    *,
    none: Outcome = "401",
    accounts: Outcome = "401",
    center: Outcome = "401",
    platform: Outcome = "401",
    **each: Outcome,
) -> Row:
    """A row: ``accounts`` for every account caller unless one is named in ``each``."""
    cells: Row = {"none": none, "center": center, "platform": platform}
    cells |= dict.fromkeys(ACCOUNTS, accounts)
    unknown = each.keys() - set(CALLERS)
    assert not unknown, unknown
    return cells | each


PUBLIC: Row = dict.fromkeys(CALLERS, ALLOWED)
ANY_KEY: Row = row(center=ALLOWED, platform=ALLOWED)
ADMIN_ONLY: Row = row(center=ALLOWED, platform="403")
ACCOUNT: Row = row(accounts=ALLOWED)
# Routes about one enterprise (its USCC in the path, E's in the test): its members see it,
# everyone else's account gets 404 as if it did not exist (no enterprise's data leaks).
ENTERPRISE_MEMBER: Row = row(accounts="404", staff=ALLOWED, ent_admin=ALLOWED)
# ... and what only its admin may do: staff 403.
ENTERPRISE_ADMIN: Row = row(accounts="404", staff="403", ent_admin=ALLOWED)
# A platform's own resources: the admin key names no platform.
PLATFORM_ONLY: Row = row(platform=ALLOWED, center="403")
# The co-signer's device routes take only a device's signature over the request
# (X-Huren-Device, ...): no key or token is one, so every caller here is a 401
# DEVICE_AUTH_FAILED, checked before the body or the service (tests/node/cosigner and
# tests/api/test_cosigner_api.py sign real requests).
DEVICE_SIGNED: Row = dict.fromkeys(CALLERS, "401")
# Console pages: a session signed in with a key (center, platform) or with an account that
# holds a console role (CA operator, auditor; phone + password at /console/login/account).
# Accounts without a role cannot sign in: the login page (401).
_CONSOLE: Row = {"center": ALLOWED, "platform": "403", "ca_operator": "403", "auditor": "403"}
SIGNED_IN: Row = row(center=ALLOWED, platform=ALLOWED, ca_operator=ALLOWED, auditor=ALLOWED)
GOVERN: Row = row(**_CONSOLE)
CENTER_ONLY: Row = row(**_CONSOLE)
# A CA's pages: the center operator and that CA's operators (zjca in the test).
CA_PAGES: Row = row(**_CONSOLE | {"ca_operator": ALLOWED})
# Replays and their reports: the center operator and auditors.
AUDIT_PAGES: Row = row(**_CONSOLE | {"auditor": ALLOWED})
# Signing in with a key: the key in the form decides (an account's token is no key).
KEY_LOGIN: Row = row(center=ALLOWED, platform=ALLOWED)
# The CA review API: the node-admin key, or the token of an account granted CA operator of
# that CA (zjca in the test: the sample CA; tests/api/applications/test_ca_operator_token.py).
CA_REVIEW: Row = row(accounts="403", center=ALLOWED, platform="403", ca_operator=ALLOWED)
# Pages of a CA's operators alone (the review queue): the center operator is refused too.
CA_OPERATOR_ONLY: Row = row(**_CONSOLE | {"center": "403", "ca_operator": ALLOWED})

# The demo platform pages' forms: the browser's page cookie and the form token derived from it
# (tests/api/platform_pages); no key or token is one, so every caller here is refused (403).
PAGE_FORM: Row = dict.fromkeys(CALLERS, "403")

ACCESS: dict[tuple[str, str], Row] = {
    # health and the API's own description
    ("GET", "/v1/health"): PUBLIC,
    ("GET", "/v1/ready"): PUBLIC,
    ("GET", "/v1/upkeep"): ADMIN_ONLY,  # the upkeep job: its last pass
    ("POST", "/v1/upkeep/run"): ADMIN_ONLY,  # ... and a pass now
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
    ("POST", "/v1/applications/{application_id}/enrolment-tickets"): ACCOUNT,
    ("POST", "/v1/applications/{application_id}/payment"): ACCOUNT,
    ("POST", "/v1/applications/{application_id}/download"): ACCOUNT,
    ("GET", "/v1/holder/certificates"): ACCOUNT,
    ("GET", "/v1/holder/certificates/{fingerprint}"): ACCOUNT,
    ("POST", "/v1/holder/certificates/{fingerprint}/revocation"): ACCOUNT,
    # seals: one's own personal seals; an enterprise's seals for its admin (add, edit) and
    # staff (view); anyone else's seal is a 404 (docs/seals.md)
    ("GET", "/v1/seals"): ACCOUNT,
    ("GET", "/v1/seals/personal"): ACCOUNT,
    ("GET", "/v1/seals/template.pdf"): ACCOUNT,
    ("POST", "/v1/seals/personal/styled"): ACCOUNT,
    ("POST", "/v1/seals/personal/photo"): ACCOUNT,
    ("POST", "/v1/seals/personal/handwriting"): ACCOUNT,
    ("GET", "/v1/seals/{seal_id}"): ACCOUNT,
    ("GET", "/v1/seals/{seal_id}/image"): ACCOUNT,
    ("PATCH", "/v1/seals/{seal_id}"): ACCOUNT,
    ("PUT", "/v1/seals/{seal_id}/styled"): ACCOUNT,
    ("PUT", "/v1/seals/{seal_id}/photo"): ACCOUNT,
    ("PUT", "/v1/seals/{seal_id}/handwriting"): ACCOUNT,
    ("DELETE", "/v1/seals/{seal_id}"): ACCOUNT,
    ("GET", "/v1/enterprises/{enterprise_id}/seals"): row(
        accounts="403", staff=ALLOWED, ent_admin=ALLOWED
    ),
    ("POST", "/v1/enterprises/{enterprise_id}/seals/{kind}/styled"): ACCOUNT,
    ("POST", "/v1/enterprises/{enterprise_id}/seals/{kind}/photo"): ACCOUNT,
    ("POST", "/v1/enterprises/{enterprise_id}/seals/{kind}/handwriting"): ACCOUNT,
    # a CA's review queue: the node-admin key naming a CA the node serves (for now)
    ("GET", "/v1/ca/{ca_id}/applications"): CA_REVIEW,
    ("GET", "/v1/ca/{ca_id}/applications/{application_id}"): CA_REVIEW,
    ("GET", "/v1/ca/{ca_id}/applications/{application_id}/attachments/{kind}"): CA_REVIEW,
    ("POST", "/v1/ca/{ca_id}/applications/{application_id}/approve"): CA_REVIEW,
    ("POST", "/v1/ca/{ca_id}/applications/{application_id}/reject"): CA_REVIEW,
    # enterprises: personnel and authorizations (the member's or admin's own enterprise;
    # another account gets 404 ENTERPRISE_NOT_FOUND), and the CA's authorization review
    ("GET", "/v1/enterprises"): ACCOUNT,
    ("GET", "/v1/enterprises/{enterprise_id}/members"): ENTERPRISE_ADMIN,
    ("DELETE", "/v1/enterprises/{enterprise_id}/members/{account_id}"): ACCOUNT,
    ("POST", "/v1/enterprises/{enterprise_id}/invitations"): ACCOUNT,
    ("GET", "/v1/enterprises/{enterprise_id}/invitations"): ENTERPRISE_ADMIN,
    ("POST", "/v1/enterprises/{enterprise_id}/admin-transfer"): ACCOUNT,
    ("POST", "/v1/enterprises/{enterprise_id}/authorizations"): ACCOUNT,
    ("GET", "/v1/enterprises/{enterprise_id}/authorizations"): ENTERPRISE_MEMBER,
    ("DELETE", "/v1/enterprises/{enterprise_id}/authorizations"): ACCOUNT,
    ("DELETE", "/v1/enterprises/{enterprise_id}/authorizations/{request_id}"): ACCOUNT,
    ("GET", "/v1/ca/{ca_id}/authorizations"): CA_REVIEW,
    ("GET", "/v1/ca/{ca_id}/authorizations/{request_id}"): CA_REVIEW,
    ("POST", "/v1/ca/{ca_id}/authorizations/{request_id}/approve"): CA_REVIEW,
    ("POST", "/v1/ca/{ca_id}/authorizations/{request_id}/reject"): CA_REVIEW,
    # enterprise change: the enterprise's admin (checked by the service); the CA's view
    ("GET", "/v1/enterprise-change/candidates"): ACCOUNT,
    ("POST", "/v1/enterprise-change"): ACCOUNT,
    ("GET", "/v1/enterprise-change/{application_id}"): ACCOUNT,
    ("GET", "/v1/ca/{ca_id}/enterprise-changes/{application_id}"): CA_REVIEW,
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
    # scan-to-act: platforms create and read their own requests (the admin key has no
    # platform: 403 PLATFORM_ONLY); the device routes take the QR's nonce, no key
    ("GET", "/v1/scan/node-key"): PUBLIC,
    ("POST", "/v1/scan/requests"): PLATFORM_ONLY,
    ("GET", "/v1/scan/requests/{request_id}"): PLATFORM_ONLY,
    ("GET", "/v1/scan/requests/{request_id}/events"): PLATFORM_ONLY,
    ("GET", "/v1/scan/requests/{request_id}/qr.{fmt}"): PLATFORM_ONLY,
    ("GET", "/v1/scan/device/requests/{request_id}"): PUBLIC,
    ("POST", "/v1/scan/device/requests/{request_id}/answer"): PUBLIC,
    ("GET", "/v1/scan/sessions/{fingerprint}"): PLATFORM_ONLY,
    ("GET", "/v1/scan/requests/{request_id}/document"): PLATFORM_ONLY,
    ("POST", "/v1/scan/device/requests/{request_id}/certificate"): PUBLIC,
    ("GET", "/v1/scan/device/sessions/{session_id}/pending"): DEVICE_SIGNED,
    # bid scan kinds (encrypt, decrypt): the QR nonce is the capability, as for /answer
    ("POST", "/v1/scan/device/requests/{request_id}/candidates"): PUBLIC,
    ("POST", "/v1/scan/device/requests/{request_id}/recipients"): PUBLIC,
    ("POST", "/v1/scan/device/requests/{request_id}/decryption"): PUBLIC,
    # the demo platform's scan pages (HTML, docs/platform-pages.md): no key or token is
    # theirs; pages are public, a page's routes take its signed token (an unknown one is a
    # 404: no page), a form takes the browser's page cookie and the token derived from it
    ("GET", "/platform/{platform_id}/"): PUBLIC,
    ("GET", "/platform/{platform_id}/login"): PUBLIC,
    ("GET", "/platform/{platform_id}/sign"): PUBLIC,
    ("GET", "/platform/{platform_id}/seal"): PUBLIC,
    ("POST", "/platform/{platform_id}/sign"): PAGE_FORM,
    ("POST", "/platform/{platform_id}/seal"): PAGE_FORM,
    ("POST", "/platform/{platform_id}/logout"): PAGE_FORM,
    ("GET", "/platform/{platform_id}/decrypt"): PUBLIC,
    ("POST", "/platform/{platform_id}/decrypt"): PAGE_FORM,
    ("GET", "/platform/{platform_id}/pages/{token}/plaintext"): PUBLIC,
    ("GET", "/platform/{platform_id}/pages/{token}"): PUBLIC,
    ("GET", "/platform/{platform_id}/pages/{token}/status"): PUBLIC,
    ("GET", "/platform/{platform_id}/pages/{token}/events"): PUBLIC,
    ("GET", "/platform/{platform_id}/pages/{token}/qr.svg"): PUBLIC,
    ("GET", "/platform/{platform_id}/pages/{token}/document"): PUBLIC,
    ("POST", "/platform/{platform_id}/pages/{token}/refresh"): PAGE_FORM,
    ("POST", "/platform/{platform_id}/pages/{token}/complete"): PAGE_FORM,
    ("POST", "/v1/cosigner/signing-sessions"): DEVICE_SIGNED,
    ("GET", "/v1/cosigner/signing-sessions"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/signing-sessions/{session_id}/open"): DEVICE_SIGNED,
    ("POST", "/v1/cosigner/signing-sessions/{session_id}/end"): DEVICE_SIGNED,
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
    # zones: the holder's account; a platform reads its own zone (or the admin any); the
    # signed statements behind evidence hashes are the center operator's (auditors)
    ("POST", "/v1/zones/sms-codes"): ACCOUNT,
    ("POST", "/v1/zones/statements"): ACCOUNT,
    ("POST", "/v1/zones/bind"): ACCOUNT,
    ("POST", "/v1/zones/unbind"): ACCOUNT,
    ("GET", "/v1/zones"): ACCOUNT,
    ("GET", "/v1/zones/certificates/{fingerprint}"): ACCOUNT,
    ("GET", "/v1/zones/platforms/{platform_id}"): ANY_KEY,
    ("GET", "/v1/zones/evidence/{evidence_hash}"): ADMIN_ONLY,
    # the platform directory: people pick platforms; the center operator locates them
    ("GET", "/v1/platforms"): ACCOUNT,
    ("GET", "/v1/platforms/nearest"): ACCOUNT,
    ("PUT", "/v1/platforms/{platform_id}/profile"): ADMIN_ONLY,
    ("GET", "/v1/account/platform"): ACCOUNT,
    ("PUT", "/v1/account/platform"): ACCOUNT,
    ("POST", "/v1/cosigner/recoveries"): DEVICE_SIGNED,  # a new device with a recovery ticket
    # recovery of split-key certificates (证书找回): the holder's account
    ("GET", "/v1/recoveries/policy"): PUBLIC,
    ("GET", "/v1/recoveries/candidates"): ACCOUNT,
    ("POST", "/v1/recoveries"): ACCOUNT,
    ("GET", "/v1/recoveries/{application_id}"): ACCOUNT,
    ("POST", "/v1/recoveries/{application_id}/ticket"): ACCOUNT,
    ("GET", "/v1/ca/{ca_id}/applications/{application_id}/recovery"): CA_REVIEW,
    # audit proofs: any key (auditors read)
    ("GET", "/v1/audit/proofs/inclusion"): ANY_KEY,
    ("GET", "/v1/audit/proofs/consistency"): ANY_KEY,
    ("GET", "/v1/audit/checkpoints"): ANY_KEY,
    # the console
    ("GET", "/console"): PUBLIC,  # redirects to the consortium page
    ("GET", "/console/"): PUBLIC,
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): KEY_LOGIN,  # the key sent in the form decides
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
    ("GET", "/console/audit"): AUDIT_PAGES,
    ("POST", "/console/audit/runs"): AUDIT_PAGES,
    ("GET", "/console/audit/runs/{run_id}"): AUDIT_PAGES,
    ("GET", "/console/audit/runs/{run_id}/progress"): AUDIT_PAGES,
    ("GET", "/console/audit/runs/{run_id}/report.json"): AUDIT_PAGES,
    ("GET", "/console/ca"): CA_PAGES,
    ("GET", "/console/ca/{ca_id}"): CA_PAGES,
    ("GET", "/console/ca/{ca_id}/{which}.pem"): CA_PAGES,
    ("GET", "/console/roles"): CENTER_ONLY,
    ("POST", "/console/roles"): CENTER_ONLY,
    ("POST", "/console/roles/{grant_id}/revoke"): CENTER_ONLY,
    ("GET", "/console/certificates/proof.json"): SIGNED_IN,
    ("GET", "/console/review"): CA_OPERATOR_ONLY,
    ("GET", "/console/ca/{ca_id}/review"): CA_OPERATOR_ONLY,
    ("GET", "/console/ca/{ca_id}/review/{application_id}"): CA_OPERATOR_ONLY,
    ("GET", "/console/ca/{ca_id}/review/{application_id}/attachments/{kind}"): CA_OPERATOR_ONLY,
    ("POST", "/console/ca/{ca_id}/review/{application_id}/approve"): CA_OPERATOR_ONLY,
    ("POST", "/console/ca/{ca_id}/review/{application_id}/reject"): CA_OPERATOR_ONLY,
    ("GET", "/console/ca/{ca_id}/authorizations"): CA_OPERATOR_ONLY,
    ("GET", "/console/ca/{ca_id}/authorizations/{request_id}"): CA_OPERATOR_ONLY,
    ("POST", "/console/ca/{ca_id}/authorizations/{request_id}/approve"): CA_OPERATOR_ONLY,
    ("POST", "/console/ca/{ca_id}/authorizations/{request_id}/reject"): CA_OPERATOR_ONLY,
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


_SHOWN = {ALLOWED: "✓", "401": "401", "403": "403", "404": "404"}


def render_markdown() -> str:
    lines = [
        "# Access: who may call what",
        "",
        "Generated from `tests/api/access_table.py` (`python -m tests.api.access_table`);",
        "`tests/api/test_access_table.py` checks that every route of the node is listed and",
        "that each cell holds when called. Do not edit by hand.",
        "",
        "Callers: **none** (no credentials); people's access tokens (from",
        "`/v1/auth/login/...`): **person** (no enterprise), **staff** and **ent_admin** (a staff",
        "member and the admin of enterprise E), **other_admin** (the admin of another",
        "enterprise), **ca_operator** and **auditor** (accounts granted those console roles;",
        "the CA operator's CA is zjca); keys: **center** (the node-admin key of the center",
        "running the node) and **platform** (a platform key).",
        "✓: past authentication and authorization (the answer then depends on the input);",
        "401: credentials this route does not accept (problem JSON `UNAUTHENTICATED`,",
        "`INVALID_PLATFORM_KEY`, `INVALID_TOKEN`); 403: known but not permitted; 404: a route",
        "about one enterprise (E's USCC in the path) answers another enterprise's people as if",
        "it did not exist. The co-signer's device routes take only the holder's device",
        "signature (`X-Huren-Device`, ...; docs/cosigner.md): 401 `DEVICE_AUTH_FAILED` to every",
        "caller here. On the console (`/console`) a session cookie carries the caller, signed",
        "in with a key or, for the CA operator and auditor, with phone and password; 401 is the",
        "login page (accounts without a console role cannot sign in), 403 the forbidden page.",
        "The CA review API takes the node-admin key or the token of an account granted CA",
        "operator of that CA (`NOT_CA_OPERATOR` otherwise); the review queue pages",
        "(`/console/review`, `/console/ca/{ca_id}/review...`) and the authorization requests",
        "(`/console/ca/{ca_id}/authorizations...`) open to that CA's operators only.",
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
