"""The console's rules through the test client: sign-in, cookies, roles, CSRF, governance
messages, certificate lookup and upload. (The browser tests walk the same pages in Chromium.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from huren.api.console import session as cookies
from huren.node import demo, platform_keys
from huren.node.db.engine import write_session
from huren.registry.types import RevocationReason
from tests.api.conftest import ADMIN_KEY, ApiEnv, cert_input, fp
from tests.console.conftest import console_state, csrf_of, sign_in


@pytest.fixture(autouse=True)
def _no_index_wait(env: ApiEnv) -> Iterator[None]:
    """Nothing indexes in the background here: the tests index themselves."""
    state = console_state(env)
    state.index_wait_s = 0.0
    yield
    state.clock = time.time


# -- signing in -------------------------------------------------------------------------------


def test_pages_redirect_to_sign_in_but_the_api_keeps_its_401(browser_less: TestClient) -> None:
    r = browser_less.get("/console/consortium?x=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=" + quote("/console/consortium?x=1", "")
    fragment = browser_less.get("/console/events/feed", headers={"X-Console-Fragment": "1"})
    assert fragment.status_code == 401
    api = browser_less.get("/v1/consortium/members")
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "UNAUTHENTICATED"


def test_the_admin_key_signs_in_as_center_operator_with_a_strict_cookie(
    browser_less: TestClient,
) -> None:
    r = sign_in(browser_less, ADMIN_KEY, "/console/events")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/events"
    set_cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    session = next(c for c in set_cookie if c.startswith(cookies.SESSION_COOKIE + "="))
    assert "HttpOnly" in session
    assert "SameSite=strict" in session or "SameSite=Strict" in session
    assert "Path=/console" in session
    page = browser_less.get("/console/consortium")
    assert page.status_code == 200
    assert 'data-role="center-operator"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "嘉兴市公共资源交易中心" in page.text and "330400" in page.text


def test_a_wrong_key_or_a_missing_form_token_gets_no_session(browser_less: TestClient) -> None:
    r = sign_in(browser_less, "not-a-key")
    assert r.status_code == 401
    assert "not valid here" in r.text
    assert cookies.SESSION_COOKIE not in r.cookies
    forged = TestClient(browser_less.app)
    r = forged.post("/console/login", data={"key": ADMIN_KEY, "csrf": "x"}, follow_redirects=False)
    assert r.status_code == 403
    assert cookies.SESSION_COOKIE not in r.cookies


def test_never_redirects_off_the_console(browser_less: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/console", "/v1/platform-keys"):
        r = sign_in(browser_less, ADMIN_KEY, target)
        assert r.headers["location"] == "/console/consortium", target


def test_a_tampered_or_expired_session_signs_out(env: ApiEnv, operator: TestClient) -> None:
    assert operator.get("/console/consortium", follow_redirects=False).status_code == 200
    value = operator.cookies[cookies.SESSION_COOKIE]
    body, mac = value.split(".")
    tampered = TestClient(operator.app)
    tampered.cookies.set(cookies.SESSION_COOKIE, body + "A." + mac, path="/console")
    assert tampered.get("/console/consortium", follow_redirects=False).status_code == 303
    later = time.time() + cookies.SESSION_TTL_S + 1
    console_state(env).clock = lambda: later
    assert operator.get("/console/consortium", follow_redirects=False).status_code == 303


def test_signing_out_needs_the_form_token(operator: TestClient) -> None:
    page = operator.get("/console/consortium")
    assert operator.post("/console/logout", data={"csrf": "wrong"}).status_code == 403
    r = operator.post("/console/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    operator.cookies.clear()
    assert operator.get("/console/consortium", follow_redirects=False).status_code == 303


# -- roles ------------------------------------------------------------------------------------


def test_a_platform_reads_but_does_not_govern(env: ApiEnv, platform: TestClient) -> None:
    page = platform.get("/console/proposals")
    assert page.status_code == 200
    assert 'data-role="platform"' in page.text
    assert "New proposal" not in page.text
    assert platform.get("/console/proposals/new").status_code == 403
    form = {"csrf": csrf_of(page.text), "kind": "set_quorum", "quorum_percent": "60"}
    assert platform.post("/console/proposals/confirm", data=form).status_code == 403
    assert platform.post("/console/proposals", data=form).status_code == 403
    assert platform.post("/console/proposals/1/vote", data=form).status_code == 403


def test_a_platform_sees_recognition_at_its_own_platform_only(
    env: ApiEnv, platform: TestClient, operator: TestClient
) -> None:
    url = f"/console/certificates?fingerprint={env.fps['x509'].hex()}"
    own = platform.get(url).text
    assert 'data-platform="jiaxing-ggzy"' in own
    assert 'data-platform="nantong-ggzy" data-recognized' not in own
    every = operator.get(url).text
    for p in demo.PLATFORMS:
        assert f'data-platform="{p.platform_id}" data-recognized="yes"' in every


def test_revoking_a_platform_key_ends_its_sessions(env: ApiEnv) -> None:
    with write_session(env.services.engine) as db:
        issued = platform_keys.issue_key(
            db, "alliance", center=env.services.operator.address, now=int(time.time())
        )
    client = TestClient(env.http.app)
    assert sign_in(client, issued.key).status_code == 303
    assert client.get("/console/consortium", follow_redirects=False).status_code == 200
    with write_session(env.services.engine) as db:
        platform_keys.revoke_key(db, issued.info.key_id, now=int(time.time()))
    assert client.get("/console/consortium", follow_redirects=False).status_code == 303


# -- governance -------------------------------------------------------------------------------


def test_a_proposal_needs_its_form_token_and_a_confirmation(
    env: ApiEnv, operator: TestClient
) -> None:
    token = csrf_of(operator.get("/console/proposals/new").text)
    form = {"kind": "set_quorum", "quorum_percent": "60"}
    assert operator.post("/console/proposals/confirm", data=form).status_code == 403
    assert operator.post("/console/proposals", data=form).status_code == 403
    confirm = operator.post("/console/proposals/confirm", data={**form, "csrf": token})
    assert confirm.status_code == 200
    assert "Propose set quorum?" in confirm.text
    before = operator.get("/console/proposals").text.count("data-proposal=")
    assert before == operator.get("/console/proposals").text.count("data-proposal=")  # nothing sent
    done = operator.post("/console/proposals", data={**form, "csrf": token})
    assert done.status_code == 200
    assert "sent (open)" in done.text
    env.index()
    after = operator.get("/console/proposals?status=open").text
    assert 'data-status="open"' in after
    assert ">voted<" in after  # the proposer's own yes vote


def test_invalid_input_comes_back_as_a_message(operator: TestClient) -> None:
    token = csrf_of(operator.get("/console/proposals/new").text)
    form = {"csrf": token, "kind": "add_member", "account": "0x12", "name": "x"}
    r = operator.post("/console/proposals/confirm", data=form)
    assert r.status_code == 422
    assert 'id="form-error"' in r.text and "account" in r.text
    assert 'value="0x12"' in r.text  # what was typed stays


def test_a_refusal_of_the_chain_is_shown_with_its_code(operator: TestClient) -> None:
    token = csrf_of(operator.get("/console/proposals").text)
    r = operator.post("/console/proposals/424242/vote", data={"csrf": token, "support": "yes"})
    assert r.status_code == 200
    assert 'class="flash error"' in r.text
    assert "UNKNOWN_PROPOSAL" in r.text


def test_a_vote_is_confirmed_then_counted(env: ApiEnv, operator: TestClient) -> None:
    nantong = env.as_(demo.center_account("nantong"))
    proposal = nantong.propose_set_quorum(75)
    env.index()
    page = operator.get("/console/proposals").text
    assert f'data-proposal="{proposal.proposal_id}" data-status="open"' in page
    token = csrf_of(page)
    url = f"/console/proposals/{proposal.proposal_id}/vote"
    confirm = operator.post(url + "/confirm", data={"csrf": token, "support": "yes"})
    assert f"Vote yes on proposal #{proposal.proposal_id}?" in confirm.text
    done = operator.post(url, data={"csrf": token, "support": "yes"})
    assert "now executed" in done.text
    env.index()
    page = operator.get("/console/proposals").text
    assert f'data-proposal="{proposal.proposal_id}" data-status="executed"' in page
    assert 'id="quorum">75%' in operator.get("/console/consortium").text


# -- certificates -----------------------------------------------------------------------------


def test_upload_pem_der_or_pasted_text_leads_to_the_certificate(
    env: ApiEnv, operator: TestClient
) -> None:
    token = csrf_of(operator.get("/console/certificates").text)
    expected = f"/console/certificates?fingerprint={env.fps['x509'].hex()}"
    for name, data in (("c.pem", env.pem), ("c.der", env.der)):
        r = operator.post(
            "/console/certificates",
            data={"csrf": token},
            files={"certificate": (name, data, "application/octet-stream")},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == expected
    r = operator.post(
        "/console/certificates",
        data={"csrf": token, "pem": env.pem.decode(), "action": "sign"},
        follow_redirects=False,
    )
    assert r.headers["location"] == expected + "&action=sign"


def test_garbage_uploads_are_messages(operator: TestClient) -> None:
    token = csrf_of(operator.get("/console/certificates").text)
    r = operator.post(
        "/console/certificates",
        data={"csrf": token},
        files={"certificate": ("x.pem", b"not a certificate", "text/plain")},
    )
    assert r.status_code == 422
    assert "MALFORMED_CERTIFICATE" in r.text
    unsigned = operator.post("/console/certificates", files={"certificate": ("x", b"x")})
    assert unsigned.status_code == 403
    bad = operator.get("/console/certificates?fingerprint=abc")
    assert bad.status_code == 422 and "64 hex digits" in bad.text


def test_unknown_certificate_is_said_so(operator: TestClient) -> None:
    r = operator.get(f"/console/certificates?fingerprint={fp('never recorded').hex()}")
    assert r.status_code == 200
    assert 'id="unknown-certificate"' in r.text
    assert r.text.count("UNKNOWN_CERTIFICATE") == len(demo.PLATFORMS)


def test_history_shows_predecessor_successor_and_revocation(
    env: ApiEnv, operator: TestClient
) -> None:
    zjca = env.as_(demo.ca_operator_account("zjca"))
    old, renewed = fp("history old"), fp("history renewed")
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(old)])
    zjca.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [cert_input(renewed, predecessor=old)]
    )
    zjca.revoke_certificate(old, RevocationReason.SUPERSEDED)
    env.index()
    page = operator.get(f"/console/certificates?fingerprint={renewed.hex()}").text
    assert f"fingerprint={old.hex()}" in page and 'class="predecessor"' in page
    assert 'data-platform="nantong-ggzy" data-recognized="yes"' in page
    page = operator.get(f"/console/certificates?fingerprint={old.hex()}").text
    assert 'id="revocation"' in page and "superseded" in page
    assert f"fingerprint={renewed.hex()}" in page and 'class="successor"' in page
    assert 'data-evidence="CertificateRevoked"' in page
    assert 'data-platform="alliance" data-recognized="no"' in page and "REVOKED" in page
    assert 'id="inclusion-proof"' in page


def test_names_from_the_chain_are_escaped(env: ApiEnv, operator: TestClient) -> None:
    """Anyone a majority admits may name a platform: the page shows it as text, never markup."""
    jiaxing = env.as_(demo.center_account("jiaxing"))
    name = '<script>alert("x")</script>'
    proposal = jiaxing.propose_register_platform("xss-test", jiaxing.account.address, name)
    for other in ("nantong", "xuancheng"):  # as many as the module's quorum by now needs
        if (
            env.as_(demo.center_account(other)).vote(proposal.proposal_id, True).status.name
            != "OPEN"
        ):
            break
    env.index()
    page = operator.get("/console/consortium").text
    assert 'data-platform="xss-test"' in page
    assert name not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_the_status_fragment_reports_the_index(env: ApiEnv, operator: TestClient) -> None:
    # Earlier tests of the module write to the chain (proposals, votes): index what they left,
    # or the lag the fragment reports is theirs (it was 1 when the test ran after them).
    env.index()
    r = operator.get("/console/status", headers={"X-Console-Fragment": "1"})
    assert r.status_code == 204
    assert r.headers["X-Console-Lag"] == "0"
    assert int(r.headers["X-Console-Indexed"]) > 0
