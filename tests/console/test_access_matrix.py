"""Every console page × every role, over HTTP: allowed (the page) or refused (403; without a
session, 303 to the sign-in page, or 401 for the console's script), as ``ROLE_PERMISSIONS``
and the CA operator's own CAs say; the navigation shows exactly the allowed entries."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huren.api.console.roles import NAVIGATION
from huren.node.console_audit import AuditRunner
from tests.api.conftest import ApiEnv, _api_template, env  # noqa: F401
from tests.console.conftest import csrf_of, sign_in
from tests.console.test_console_accounts import account_sign_in, admin, grant, register

CENTER, PLATFORM, AUDITOR, CA_OPERATOR = "center-operator", "platform", "auditor", "ca-operator"
ROLES = (CENTER, PLATFORM, AUDITOR, CA_OPERATOR)
EVERYONE = frozenset(ROLES)
RUN = "{run}"  # replaced by the id of a finished replay run

# path -> the roles that may see it (and the status they get)
PAGES: dict[str, tuple[frozenset[str], int]] = {
    "/console/consortium": (EVERYONE, 200),
    "/console/proposals": (EVERYONE, 200),
    "/console/proposals/new": (frozenset({CENTER}), 200),
    "/console/events": (EVERYONE, 200),
    "/console/events/feed": (EVERYONE, 200),
    "/console/status": (EVERYONE, 204),
    "/console/certificates": (EVERYONE, 200),
    "/console/ca": (frozenset({CENTER, CA_OPERATOR}), 200),
    "/console/ca/zjca": (frozenset({CENTER, CA_OPERATOR}), 200),  # the CA operator's CA
    "/console/ca/jsca": (frozenset({CENTER}), 200),  # another CA
    "/console/audit": (frozenset({CENTER, AUDITOR}), 200),
    f"/console/audit/runs/{RUN}": (frozenset({CENTER, AUDITOR}), 200),
    f"/console/audit/runs/{RUN}/progress": (frozenset({CENTER, AUDITOR}), 200),
    f"/console/audit/runs/{RUN}/report.json": (frozenset({CENTER, AUDITOR}), 200),
    "/console/roles": (frozenset({CENTER}), 200),
    "/console/review": (frozenset({CA_OPERATOR}), 200),
    "/console/ca/zjca/review": (frozenset({CA_OPERATOR}), 200),  # the CA operator's CA
    "/console/ca/jsca/review": (frozenset(), 200),  # another CA's: nobody here
    "/console/ca/zjca/authorizations": (frozenset({CA_OPERATOR}), 200),  # its CA's requests
    "/console/ca/jsca/authorizations": (frozenset(), 200),  # another CA's: nobody here
}
# state-changing forms: path -> the roles that may send them (sent with the session's token)
FORMS: dict[str, frozenset[str]] = {
    "/console/roles": frozenset({CENTER}),  # an unknown phone: comes back as a message
    "/console/audit/runs": frozenset({CENTER, AUDITOR}),
}


@pytest.fixture(scope="module")
def clients(env: ApiEnv) -> dict[str, TestClient]:  # noqa: F811
    operator = admin(env)
    register(env, "13800138201")
    register(env, "13800138202")
    grant(operator, "13800138201", "auditor")
    grant(operator, "13800138202", "ca-operator", "zjca")
    platform = TestClient(env.http.app)
    assert sign_in(platform, env.keys["jiaxing-ggzy"]).status_code == 303
    auditor, ca_operator = TestClient(env.http.app), TestClient(env.http.app)
    assert account_sign_in(auditor, "13800138201").status_code == 303
    assert account_sign_in(ca_operator, "13800138202").status_code == 303
    return {CENTER: operator, PLATFORM: platform, AUDITOR: auditor, CA_OPERATOR: ca_operator}


@pytest.fixture(scope="module")
def run_id(env: ApiEnv) -> str:  # noqa: F811
    app = env.http.app
    assert isinstance(app, FastAPI)
    runner: AuditRunner = app.state.console_audit
    started = runner.start("fixture", None)
    assert runner.wait(started, 60.0)
    return str(started)


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_a_page_is_allowed_or_refused(
    clients: dict[str, TestClient], run_id: str, role: str, path: str
) -> None:
    allowed, status = PAGES[path]
    url = path.replace(RUN, run_id)
    response = clients[role].get(url, follow_redirects=False)
    if role in allowed:
        assert response.status_code == status, response.text[:300]
    else:
        assert response.status_code == 403
        assert 'id="forbidden-reason"' in response.text


@pytest.mark.parametrize("path", list(PAGES))
def test_without_a_session_a_page_sends_to_sign_in(
    env: ApiEnv,  # noqa: F811
    run_id: str,
    path: str,
) -> None:
    anonymous = TestClient(env.http.app)
    url = path.replace(RUN, run_id)
    response = anonymous.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=%2Fconsole")
    fragment = anonymous.get(url, headers={"X-Console-Fragment": "1"}, follow_redirects=False)
    assert fragment.status_code == 401


@pytest.mark.parametrize("path", list(FORMS))
@pytest.mark.parametrize("role", ROLES)
def test_a_form_is_allowed_or_refused(
    clients: dict[str, TestClient],
    env: ApiEnv,  # noqa: F811
    role: str,
    path: str,
) -> None:
    client = clients[role]
    token = csrf_of(client.get("/console/consortium").text)  # the sign-out form's token
    body = {"csrf": token, "phone": "13900139998", "role": "auditor"}
    response = client.post(path, data=body, follow_redirects=False)
    if role in FORMS[path]:
        assert response.status_code == 303
        if path == "/console/audit/runs":
            app = env.http.app
            assert isinstance(app, FastAPI)
            runner: AuditRunner = app.state.console_audit
            assert runner.wait(int(response.headers["location"].rsplit("/", 1)[1]), 60.0)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_shows_what_the_role_may_open(
    clients: dict[str, TestClient], role: str
) -> None:
    page = clients[role].get("/console/consortium").text
    nav = page.split('<nav aria-label="main">', 1)[1].split("</nav>", 1)[0]
    for item in NAVIGATION:
        allowed = role in PAGES[item.path][0]
        assert (f'href="{item.path}"' in nav) == allowed, (role, item.path)
