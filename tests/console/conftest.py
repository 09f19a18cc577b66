"""The console over the API tests' seeded demo chain (``tests.api.conftest``), through
Starlette's test client; the browser tests start a real node instead (``test_browser``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from huren.api.console.deps import ConsoleState
from tests.api.conftest import ADMIN_KEY, ApiEnv, _api_template, env  # noqa: F401
from tests.support.browser import SCREENSHOTS, TIMEOUT_MS, chromium

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, html
    return found[1]


def sign_in(client: TestClient, key: str, next_: str = "") -> httpx.Response:
    form = client.get("/console/login")
    assert form.status_code == 200
    body = {"key": key, "csrf": csrf_of(form.text), "next": next_}
    response: httpx.Response = client.post("/console/login", data=body, follow_redirects=False)
    return response


def console_state(env: ApiEnv) -> ConsoleState:  # noqa: F811
    app = env.http.app
    assert isinstance(app, FastAPI)
    state: ConsoleState = app.state.console
    return state


@pytest.fixture
def browser_less(env: ApiEnv) -> TestClient:  # noqa: F811
    """A client of its own (its own cookie jar) on the module's app."""
    return TestClient(env.http.app)


@pytest.fixture
def operator(env: ApiEnv) -> TestClient:  # noqa: F811
    """Signed in as the center operator (the node-admin key)."""
    client = TestClient(env.http.app)
    assert sign_in(client, ADMIN_KEY).status_code == 303
    return client


@pytest.fixture
def platform(env: ApiEnv) -> TestClient:  # noqa: F811
    """Signed in as the jiaxing-ggzy platform (its API key)."""
    client = TestClient(env.http.app)
    assert sign_in(client, env.keys["jiaxing-ggzy"]).status_code == 303
    return client


# The browser tests' Chromium: one profile and browser per module, a fresh page (no cookies)
# per test. A module may override ``page`` (the platform pages collect console errors).


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = chromium(playwright, tmp_path_factory.mktemp("chromium-profile"))
        context.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    browser.clear_cookies()
    page = browser.new_page()
    yield page
    page.close()
