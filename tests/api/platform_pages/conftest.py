"""The demo platform pages over the scan tests' world (a device with a bound, recognized
enterprise certificate; one clock for the scan service, the co-signer and the site)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from huren.api.platform_site.site import PlatformSite
from tests.api.scan.conftest import World, world  # noqa: F401

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_PAYLOAD = re.compile(r'data-payload="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html
    return found[1]


def payload_of(html: str) -> str:
    found = _PAYLOAD.search(html)
    assert found is not None, html
    return found[1].replace("&amp;", "&")


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[PlatformSite]:  # noqa: F811
    """The app's site acting for alliance with its key, on the world's clock."""
    found: PlatformSite = world.env.http.app.state.platform_site  # type: ignore[attr-defined]
    found.add_key(world.env.keys["alliance"])
    clock = found.clock
    found.clock = world.clock
    yield found
    found.clock = clock


@pytest.fixture
def browser(world: World, site: PlatformSite) -> TestClient:  # noqa: F811
    """A browser of its own (its own cookies)."""
    return TestClient(world.env.http.app)


def open_page(browser: TestClient, response: httpx.Response) -> tuple[str, httpx.Response]:
    """Follow a page redirect: the page's path and the page."""
    assert response.status_code == 303, response.text
    path = response.headers["location"]
    assert re.fullmatch(r"/platform/alliance/pages/[A-Za-z0-9_.-]+", path), path
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return path, page
