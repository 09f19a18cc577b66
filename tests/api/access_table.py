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
and ``403`` the forbidden page. The console's CA operator and auditor roles have no way to
sign in yet (docs/console.md): they get columns here when they do.

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
# Console pages: a session signed in with a platform key or the admin key.
SIGNED_IN: Row = ANY_KEY
GOVERN: Row = ADMIN_ONLY

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
        "On the console (`/console`) a session cookie signed in with the key carries the",
        "caller; 401 is the login page, 403 the forbidden page. The console's CA operator and",
        "auditor roles cannot sign in yet; they get columns when they can.",
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
