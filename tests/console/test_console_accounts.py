"""The console with people's accounts, over HTTP (test client): the node-admin grants roles,
CA operators and auditors sign in with phone + password or an SMS code, sessions end with
their grant or password; an auditor's replay run and a CA operator's pages. (The access
matrix of every page × every role: ``test_access_matrix``.)"""

from __future__ import annotations

import json
import re
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, col, select

from huren.node.accounts import Purpose
from huren.node.console_audit import AuditRunner
from huren.node.db.accounts_tables import RateLimitHit, RefreshToken
from huren.node.db.engine import write_session
from huren.registry.backend import ChainBackend
from tests.api.conftest import ADMIN_KEY, ApiEnv, _api_template, env  # noqa: F401
from tests.console.conftest import csrf_of, sign_in
from tests.node.audit.test_console_audit import GatedBackend

PASSWORD = "a long console password"
WAIT_S = 60.0


def code_for(env: ApiEnv, phone: str) -> str:  # noqa: F811
    services = env.services.account_services
    assert services is not None and services.dev_sms_outbox is not None
    text = services.dev_sms_outbox.outbox(phone)[0].text
    found = re.search(r"\d{6}", text)
    assert found is not None, text
    return found[0]


def register(env: ApiEnv, phone: str, password: str | None = PASSWORD) -> str:  # noqa: F811
    """An account as the app registers it: an SMS login, then a password."""
    services = env.services.account_services
    assert services is not None
    services.accounts.send_code(phone, Purpose.LOGIN, "app")
    account = services.accounts.login_sms(phone, code_for(env, phone)).account
    if password is not None:
        services.accounts.set_password(account.id, password)
    return account.id


def a_minute_passes(env: ApiEnv, phone: str) -> None:  # noqa: F811
    """Forget the phone's SMS rate-limit hits: the module's accounts service runs on the
    real clock, and one code a minute per phone is its limit."""
    with write_session(env.services.engine) as session:
        session.execute(delete(RateLimitHit).where(col(RateLimitHit.key) == f"sms:phone:{phone}"))


def admin(env: ApiEnv) -> TestClient:  # noqa: F811
    client = TestClient(env.http.app)
    assert sign_in(client, ADMIN_KEY).status_code == 303
    return client


def grant(client: TestClient, phone: str, role: str, ca_id: str = "") -> httpx.Response:
    page = client.get("/console/roles")
    assert page.status_code == 200
    body = {"phone": phone, "role": role, "ca_id": ca_id, "csrf": csrf_of(page.text)}
    return client.post("/console/roles", data=body, follow_redirects=True)


def account_sign_in(
    client: TestClient, phone: str, *, password: str = PASSWORD, as_: str = "", next_: str = ""
) -> httpx.Response:
    form = client.get("/console/login")
    body = {
        "action": "password",
        "phone": phone,
        "password": password,
        "as": as_,
        "csrf": csrf_of(form.text),
        "next": next_,
    }
    response: httpx.Response = client.post(
        "/console/login/account", data=body, follow_redirects=False
    )
    return response


def test_a_granted_auditor_signs_in_with_phone_and_password(env: ApiEnv) -> None:  # noqa: F811
    account_id = register(env, "13800138101")
    granted = grant(admin(env), "13800138101", "auditor")
    assert "13800138101 is auditor" in granted.text
    assert "13800138101" in admin(env).get("/console/roles").text
    client = TestClient(env.http.app)
    wrong = account_sign_in(client, "13800138101", password="not the password")
    assert wrong.status_code == 401 and "wrong phone or password" in wrong.text
    signed = account_sign_in(client, "13800138101", next_="/console/audit")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/audit"
    page = client.get("/console/audit")
    assert page.status_code == 200
    assert 'data-role="auditor"' in page.text and "13800138101" in page.text
    nav = re.findall(r'<nav aria-label="main">(.*?)</nav>', page.text, re.S)[0]
    assert "Replays" in nav and "Roles" not in nav and "CAs" not in nav
    # the app's login keeps its tokens; the console's login had its API tokens ended at once
    with Session(env.services.engine) as db:
        tokens = db.exec(select(RefreshToken).where(col(RefreshToken.account_id) == account_id))
        revoked = sorted(t.revoked_at is not None for t in tokens.all())
    assert revoked == [False, True]


def test_sign_in_with_an_sms_code(env: ApiEnv) -> None:  # noqa: F811
    register(env, "13800138102", password=None)
    grant(admin(env), "13800138102", "ca-operator", "zjca")
    a_minute_passes(env, "13800138102")
    client = TestClient(env.http.app)
    form = client.get("/console/login")
    token = csrf_of(form.text)
    sent = client.post(
        "/console/login/account",
        data={"action": "send-code", "phone": "13800138102", "csrf": token},
    )
    assert sent.status_code == 200 and "A code is on its way to 13800138102" in sent.text
    bad = client.post(
        "/console/login/account",
        data={"action": "code", "phone": "13800138102", "code": "000000", "csrf": token},
        follow_redirects=False,
    )
    assert bad.status_code == 401
    code = code_for(env, "13800138102")
    good = client.post(
        "/console/login/account",
        data={"action": "code", "phone": "13800138102", "code": code, "csrf": token},
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get("/console/ca")
    assert page.status_code == 200 and 'data-ca="zjca"' in page.text
    assert 'data-ca="jsca"' not in page.text


def test_refusals_of_account_sign_in(env: ApiEnv) -> None:  # noqa: F811
    register(env, "13800138103")
    client = TestClient(env.http.app)
    no_role = account_sign_in(client, "13800138103")
    assert no_role.status_code == 403 and "holds no console role" in no_role.text
    forged = client.post(
        "/console/login/account", data={"phone": "13800138103", "password": PASSWORD, "csrf": "x"}
    )
    assert forged.status_code == 403 and "expired" in forged.text
    token = csrf_of(client.get("/console/login").text)
    # the SMS simulator refuses numbers ending 0000 and times out on 0408
    blocked = client.post(
        "/console/login/account",
        data={"action": "send-code", "phone": "13800130000", "csrf": token},
    )
    assert blocked.status_code == 400 and "No code sent" in blocked.text
    timeout = client.post(
        "/console/login/account",
        data={"action": "send-code", "phone": "13800130408", "csrf": token},
    )
    assert timeout.status_code == 503
    assert "huren_console=" not in str(client.cookies)


def test_an_account_with_two_roles_chooses_one(env: ApiEnv) -> None:  # noqa: F811
    register(env, "13800138104")
    operator = admin(env)
    grant(operator, "13800138104", "auditor")
    grant(operator, "13800138104", "ca-operator", "jsca")
    client = TestClient(env.http.app)
    asked = account_sign_in(client, "13800138104")
    assert asked.status_code == 409 and 'name="as"' in asked.text
    wrong = account_sign_in(client, "13800138104", as_="center-operator")
    assert wrong.status_code == 403
    assert account_sign_in(client, "13800138104", as_="ca-operator").status_code == 303
    assert client.get("/console/ca/jsca").status_code == 200
    assert client.get("/console/audit").status_code == 403


def test_revoking_the_grant_or_changing_the_password_ends_the_session(
    env: ApiEnv,  # noqa: F811
) -> None:
    account_id = register(env, "13800138105")
    operator = admin(env)
    grant(operator, "13800138105", "ca-operator", "zjca")
    grant(operator, "13800138105", "ca-operator", "jsca")
    client = TestClient(env.http.app)
    assert account_sign_in(client, "13800138105").status_code == 303
    assert client.get("/console/ca/jsca").status_code == 200
    roles = operator.get("/console/roles").text
    row = r'<tr data-grant="(\d+)">\s*<td>13800138105</td><td>ca-operator</td><td>jsca'
    jsca = re.search(row, roles)
    assert jsca is not None
    revoked = operator.post(f"/console/roles/{jsca[1]}/revoke", data={"csrf": csrf_of(roles)})
    assert "no longer CA operator of jsca" in revoked.text
    assert client.get("/console/ca/jsca").status_code == 403  # that CA went at once
    assert client.get("/console/ca/zjca").status_code == 200
    services = env.services.account_services
    assert services is not None
    services.accounts.change_password(account_id, PASSWORD, "a new long password")
    gone = client.get("/console/ca/zjca", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/console/login")


def test_bad_grants_come_back_as_messages(env: ApiEnv) -> None:  # noqa: F811
    operator = admin(env)
    assert "no account has the phone" in grant(operator, "13900139999", "auditor").text
    assert "names the CA" in grant(operator, "13800138101", "ca-operator").text
    page = operator.get("/console/roles")
    forged = operator.post(
        "/console/roles", data={"phone": "13800138101", "role": "auditor", "csrf": "x"}
    )
    assert forged.status_code == 403 and page.status_code == 200


def test_an_auditor_runs_a_replay_and_reads_its_report(env: ApiEnv) -> None:  # noqa: F811
    register(env, "13800138106")
    grant(admin(env), "13800138106", "auditor")
    client = TestClient(env.http.app)
    assert account_sign_in(client, "13800138106").status_code == 303
    page = client.get("/console/audit")
    started = client.post(
        "/console/audit/runs", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert started.status_code == 303
    run_url = started.headers["location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    app = env.http.app
    assert isinstance(app, FastAPI)
    runner: AuditRunner = app.state.console_audit
    assert runner.wait(run_id, WAIT_S)
    progress = client.get(f"{run_url}/progress", headers={"X-Console-Fragment": "1"})
    assert progress.headers["X-Console-Run-Status"] == "done" and "replay" in progress.text
    report = client.get(run_url)
    assert report.status_code == 200
    assert 'id="verdict"' in report.text and "Clean" in report.text
    # recorded per month and by scope are plotted; this chain revoked nothing yet
    assert report.text.count("<svg") == 2
    assert "Certificates recorded per CA per month" in report.text
    assert "Certificates revoked per CA per month: nothing to plot" in report.text
    assert "node index" in report.text
    download = client.get(f"{run_url}/report.json")
    assert download.headers["content-disposition"].startswith("attachment")
    body = json.loads(download.text)
    assert body["format"] == "huren-audit-replay/1" and body["clean"] is True
    listed = client.get("/console/audit")
    assert f'data-run="{run_id}"' in listed.text and "clean" in listed.text
    assert client.get("/console/audit/runs/999999").status_code == 404
    csrf_missing = client.post("/console/audit/runs", data={})
    assert csrf_missing.status_code == 403


@pytest.mark.parametrize("which", ["root", "issuing"])
def test_a_ca_page_without_the_cas_keys_on_this_node(
    env: ApiEnv,  # noqa: F811
    which: str,
) -> None:
    """The API tests' node loads no CA: the page shows the index's records only."""
    operator = admin(env)
    page = operator.get("/console/ca/zjca")
    assert page.status_code == 200 and "not loaded into this node" in page.text
    assert 'id="recorded"' in page.text and "4 in all" in page.text
    assert operator.get(f"/console/ca/zjca/{which}.pem").status_code == 404
    assert operator.get("/console/ca/nosuchca").status_code == 404


def test_a_running_replay_shows_its_progress_until_it_ends(env: ApiEnv) -> None:  # noqa: F811
    """The run page of a run still going: the progress table the script polls, whose
    fragment says ``running``; once the run ends, the report."""
    app = env.http.app
    assert isinstance(app, FastAPI)
    real: AuditRunner = app.state.console_audit
    gated = GatedBackend(env.backend)
    app.state.console_audit = AuditRunner(
        env.services.engine, cast(ChainBackend, gated), env.deployment, view_sample=None
    )
    try:
        operator = admin(env)
        page = operator.get("/console/audit")
        started = operator.post("/console/audit/runs", data={"csrf": csrf_of(page.text)})
        assert started.status_code == 200 and 'id="run-running"' in started.text
        assert 'data-progress="/console/audit/runs/' in started.text
        run_url = str(started.url)
        again = operator.post("/console/audit/runs", data={"csrf": csrf_of(page.text)})
        assert str(again.url) == run_url and "is still running" in again.text
        progress = operator.get(f"{run_url}/progress", headers={"X-Console-Fragment": "1"})
        assert progress.headers["X-Console-Run-Status"] == "running"
        assert operator.get(f"{run_url}/report.json").status_code == 409
        gated.gate.set()
        assert app.state.console_audit.wait(int(run_url.rsplit("/", 1)[1]), WAIT_S)
        done = operator.get(run_url)
        assert 'id="verdict"' in done.text and 'id="run-running"' not in done.text
    finally:
        gated.gate.set()
        app.state.console_audit = real


def test_replays_need_a_chain(env: ApiEnv) -> None:  # noqa: F811
    app = env.http.app
    assert isinstance(app, FastAPI)
    real = app.state.console_audit
    app.state.console_audit = None  # what an app over a node without a chain has
    try:
        page = admin(env).get("/console/audit")
        assert page.status_code == 503 and "no chain to replay" in page.text
    finally:
        app.state.console_audit = real
