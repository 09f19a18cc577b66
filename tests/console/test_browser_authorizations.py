"""The CA's authorization requests in a real browser (Debian's Chromium through Playwright):
the enterprise dev node of the test-client tests (``test_console_authorizations``), served
over HTTP by uvicorn. Alice's enterprise asks that Bob's staff certificate sign and decrypt
at jiaxing-ggzy; zjca's operator signs in with phone + password, follows the count on
/console/review to the requests, reads the request (the sealed letter's facts), approves it,
and the service shows it granted with the signed-in account as the reviewer. Screenshots
``51-`` to ``53-``."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from huren.registry.types import Right
from tests.api.applications.conftest import _db_template  # noqa: F401
from tests.api.enterprises.conftest import EntApi, ent  # noqa: F401
from tests.api.enterprises.test_authorizations import _ask
from tests.console.test_browser import shot
from tests.console.test_console_authorizations import World, world  # noqa: F401
from tests.console.test_console_review import PASSWORD, ZJCA_OPERATOR
from tests.node.conftest import _seeded_template  # noqa: F401
from tests.support.cluster import free_port

pytestmark = pytest.mark.browser
START_TIMEOUT_S = 30.0


@pytest.fixture
def served(world: World) -> Iterator[str]:  # noqa: F811
    """The world's app over HTTP (its lifespan already runs under the test client)."""
    port = free_port()
    config = uvicorn.Config(world.api.http.app, host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="authorizations-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        pause = threading.Event()
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test node's server did not start")
            pause.wait(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_ca_operator_grants_in_the_browser(page: Page, world: World, served: str) -> None:  # noqa: F811
    asked = _ask(world.api, world.admin, world.staff, Right.SIGN | Right.DECRYPT)
    assert asked.status_code == 201, asked.text
    request_id = asked.json()[0]["id"]

    page.goto(served + "/console/review")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("#phone", ZJCA_OPERATOR)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-password")
    expect(page).to_have_url(served + "/console/review")
    link = page.locator("tr[data-ca='zjca'] a.authorizations")
    expect(link).to_have_text("1 waiting")
    shot(page, "51-review-home-authorizations")
    link.click()
    expect(page).to_have_url(served + "/console/ca/zjca/authorizations")
    rows = page.locator("#authorization-queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("data-request", request_id)

    page.click(f"a:has-text('{request_id}')")
    expect(page.locator("#authorization-state")).to_have_text("pending")
    expect(page.locator("#rights")).to_have_text("sign, decrypt")
    sealed_by = f"account:{world.admin.account_id}"
    expect(page.locator("#letter-sealed-by")).to_have_text(sealed_by)
    sealing = world.admin.certificate.signing_fingerprint.hex()
    expect(page.locator("#letter-certificate")).to_have_text(sealing)
    expect(page.locator("#letter-statement")).to_contain_text("authorization_grant")
    shot(page, "52-authorization-request")
    page.click("#approve")
    expect(page).to_have_url(served + "/console/ca/zjca/authorizations")
    expect(page.locator("#flash")).to_contain_text(f"Authorization {request_id} granted")
    expect(page.locator("#authorizations-empty")).to_be_visible()
    shot(page, "53-authorizations-done")

    services = world.api.node.enterprises
    assert services is not None
    view = services.authorizations.ca_detail("zjca", request_id)
    assert (view.state, view.reviewed_by) == ("granted", f"ca:zjca:account:{world.operator_id}")
    assert len(view.grant_transactions) == 2
