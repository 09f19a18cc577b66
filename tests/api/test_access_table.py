"""The access table (tests/api/access_table.py) against the app: every route is in it, each
cell holds when called, and docs/access.md is its rendering."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Route

from huren.node import enterprises
from huren.node.console_roles import ConsoleRoleService, GrantedRole
from huren.node.db.engine import write_session
from huren.node.identity.checks import uscc_check_character
from tests.api import access_table
from tests.api.access_table import ACCESS, ACCOUNTS, ALLOWED, CALLERS, Row
from tests.api.conftest import NOW, ApiEnv

# A value for each path parameter: real where that is cheap, harmless where it is not (no
# cell may depend on one; an unknown id is a 404, which is past authorization).
SAMPLES = {
    "ca_id": "zjca",
    "platform_id": "alliance",
    "proposal_id": "1",
    "key_id": "no-such-key",
    "fingerprint": "ab" * 32,
    "encoded": "MAo=",
    "message_id": "1",
    "certify_id": "no-such-certification",
    "application_id": "0" * 16,
    "kind": "business_licence",
    "order_id": "no-such-order",
    "invoice_id": "no-such-invoice",
    "card_id": "no-such-card",
    "enrolment_id": "0" * 32,
    "signing_id": "0" * 32,
    "device_id": "0" * 32,
    "run_id": "1",
    "which": "root",
    "grant_id": "1",
    "uscc": "",  # enterprise E's, set by the fixture
    "enterprise_id": "",  # enterprise E's, set by the fixture
    "request_id": "0" * 32,
    "fmt": "png",
    "session_id": "0" * 32,
}
PHONES = {
    "person": "13900139001",
    "staff": "13900139002",
    "ent_admin": "13900139003",
    "other_admin": "13900139004",
    "ca_operator": "13900139005",
    "auditor": "13900139006",
}
CONSOLE_PASSWORD = "a console password for the access table"


def _uscc(serial: str) -> str:
    first17 = "91330400" + serial.rjust(9, "0")
    return first17 + uscc_check_character(first17)


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


@dataclass
class Callers:
    app: FastAPI
    keys: dict[str, str]  # caller -> the key or token it sends ("" for none)
    client: TestClient  # on the module's app, whose lifespan the env fixture runs
    uscc: str  # enterprise E's
    enterprise_id: str  # enterprise E's


@pytest.fixture(scope="module")
def callers(env: ApiEnv) -> Iterator[Callers]:
    app = env.http.app
    assert isinstance(app, FastAPI)
    keys = {
        "none": "",
        "platform": env.keys["alliance"],
        "center": env.headers()["Authorization"].removeprefix("Bearer "),
    }
    keys |= {who: access_table.account_token(env.http, PHONES[who]) for who in ACCOUNTS}
    ids = {
        who: env.http.get("/v1/account", headers={"Authorization": f"Bearer {keys[who]}"}).json()[
            "id"
        ]
        for who in ACCOUNTS
    }
    e_uscc, f_uscc = _uscc("1"), _uscc("2")
    with write_session(env.services.engine) as session:
        e = enterprises.ensure_enterprise(session, "嘉兴甲建设有限公司", e_uscc, now=NOW)
        f = enterprises.ensure_enterprise(session, "嘉兴乙建设有限公司", f_uscc, now=NOW)
        session.flush()
        members = [
            (e.id, "ent_admin", enterprises.Role.ADMIN),
            (e.id, "staff", enterprises.Role.STAFF),
            (f.id, "other_admin", enterprises.Role.ADMIN),
        ]
        for enterprise_id, who, role in members:
            enterprises.set_member(session, enterprise_id, ids[who], role, now=NOW)
        e_id = e.id
    roles = ConsoleRoleService(env.services.engine)
    roles.grant(PHONES["ca_operator"], GrantedRole.CA_OPERATOR, "zjca", by="access-table")
    roles.grant(PHONES["auditor"], GrantedRole.AUDITOR, None, by="access-table")
    for who in ("ca_operator", "auditor"):
        set_password = env.http.put(
            "/v1/account/password",
            json={"new_password": CONSOLE_PASSWORD},
            headers={"Authorization": f"Bearer {keys[who]}"},
        )
        assert set_password.status_code == 204, set_password.text
    client = TestClient(app, raise_server_exceptions=False)
    yield Callers(app, keys, client, e_uscc, e_id)


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves: the OpenAPI document's operations and the routes
    it leaves out (console pages, the API's docs); HEAD is GET's, static files are files."""
    found = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for route in iter_route_contexts(app.routes):  # into included routers too
        if isinstance(route.original_route, APIRoute | Route):
            path = _PARAM.sub(r"{\1}", route.path or "")
            found |= {(m, path) for m in route.methods or () if m != "HEAD"}
    return found


def test_every_route_is_in_the_access_table(callers: Callers) -> None:
    routes = app_routes(callers.app)
    missing = sorted(routes - ACCESS.keys())
    stale = sorted(ACCESS.keys() - routes)
    assert not missing, (
        "routes missing from the access table (add them to ACCESS in "
        "tests/api/access_table.py, then run `python -m tests.api.access_table`):\n"
        + "\n".join(f"  {method} {path}" for method, path in missing)
    )
    assert not stale, "access table rows the app does not serve:\n" + "\n".join(
        f"  {method} {path}" for method, path in stale
    )
    assert all(set(row) == set(CALLERS) for row in ACCESS.values())


def test_docs_access_md_is_the_table_rendered() -> None:
    assert access_table.DOC.read_text(encoding="utf-8") == access_table.render_markdown(), (
        "docs/access.md is stale: run `python -m tests.api.access_table`"
    )


def _url(path: str, callers: Callers) -> str:
    samples = SAMPLES | {"uscc": callers.uscc, "enterprise_id": callers.enterprise_id}
    return _PARAM.sub(lambda m: samples.get(m[1], "x"), path)


def _api_outcome(callers: Callers, method: str, path: str, caller: str, row: Row) -> str:
    key = callers.keys[caller]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = callers.client.request(method, _url(path, callers), headers=headers)
    return _outcome(response, row)


def _signed_in(callers: Callers, caller: str) -> tuple[TestClient, str]:
    """A client of its own (its own cookies) with a console session for the caller's key
    when the key signs in, and the CSRF token its forms carry ("" without a session)."""
    client = TestClient(callers.app, raise_server_exceptions=False)
    form = client.get("/console/login")
    found = _CSRF.search(form.text)
    assert found is not None, form.text
    if caller in ("ca_operator", "auditor"):  # a console role: phone and password
        form_data = {"phone": PHONES[caller], "password": CONSOLE_PASSWORD, "csrf": found[1]}
        signed = client.post("/console/login/account", data=form_data, follow_redirects=False)
    elif caller in ACCOUNTS:  # no console role: no way in (tests/console check the refusal)
        return client, found[1]
    else:
        key = callers.keys[caller]
        signed = client.post(
            "/console/login", data={"key": key, "csrf": found[1]}, follow_redirects=False
        )
    if signed.status_code != 303:
        return client, found[1]  # the login page's token, for POST /console/login
    page = client.get("/console/consortium")
    csrf = _CSRF.search(page.text)
    return client, "" if csrf is None else csrf[1]


def _console_outcome(callers: Callers, method: str, path: str, caller: str, row: Row) -> str:
    if (method, path) == ("POST", "/console/login"):  # the key in the form is the caller
        client, csrf = _signed_in(callers, "none")
        data: dict[str, str] | None = {"key": callers.keys[caller], "csrf": csrf}
    elif (method, path) == ("POST", "/console/login/account"):  # a phone and password decide
        client, csrf = _signed_in(callers, "none")  # none of these callers has them
        data = {"csrf": csrf}
    else:
        client, csrf = _signed_in(callers, caller)
        data = {"csrf": csrf} if method == "POST" else None
    response = client.request(
        method,
        _url(path, callers),
        data=data,
        headers={"X-Console-Fragment": "1"},  # a bare 401 rather than the login page
        follow_redirects=False,
    )
    return _outcome(response, row)


def _outcome(response: httpx.Response, row: Row) -> str:
    """401 and 403 are themselves; 404 only on a row about one enterprise (where the path
    names a real one), elsewhere an unknown sample id, past authorization."""
    assert response.status_code < 500, (response.request.url, response.text[:300])
    if response.status_code in (401, 403):
        return str(response.status_code)
    if response.status_code == 404 and "404" in row.values():
        return "404"
    return ALLOWED


@pytest.mark.parametrize("caller", CALLERS)
def test_each_cell_holds(callers: Callers, caller: str) -> None:
    wrong = []
    for (method, path), row in ACCESS.items():
        if path.startswith("/console"):
            got = _console_outcome(callers, method, path, caller, row)
        else:
            got = _api_outcome(callers, method, path, caller, row)
        if got != row[caller]:
            wrong.append(f"  {method} {path}: table says {row[caller]}, the app answers {got}")
    assert not wrong, f"as {caller}:\n" + "\n".join(wrong)


def test_refusals_are_problem_json(callers: Callers) -> None:
    """A 401 or 403 of the /v1 API is problem JSON with a code, as any error."""
    client = callers.client
    for (method, path), row in ACCESS.items():
        for caller in CALLERS:
            if not path.startswith("/v1") or row[caller] in (ALLOWED, "404"):
                continue
            key = callers.keys[caller]
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            response = client.request(method, _url(path, callers), headers=headers)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] in {
                "UNAUTHENTICATED",
                "INVALID_PLATFORM_KEY",
                "INVALID_TOKEN",
                "ADMIN_ONLY",
                "NOT_CA_OPERATOR",  # the CA review API (the admin key or the CA's operator)
                "SEAL_PERMISSION_DENIED",  # an enterprise's seals, asked by someone outside it
                "NOT_ENTERPRISE_ADMIN",  # what only the enterprise's admin reads
                "PLATFORM_ONLY",  # a platform's own resources (scan requests)
                "DEVICE_AUTH_FAILED",  # the co-signer's device routes
            }, (method, path, response.text)


@pytest.mark.parametrize("caller", CALLERS)
def test_device_routes_refuse_before_reading_the_request(callers: Callers, caller: str) -> None:
    """Was a 422 for a body that did not validate (or a 503 without the service) before the
    device signature was looked at: now the signature is checked first, whatever follows."""
    key = callers.keys[caller]
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = callers.client.post(
        "/v1/cosigner/signings/not-an-id/share", json={"unexpected": 1}, headers=headers
    )
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "DEVICE_AUTH_FAILED"
