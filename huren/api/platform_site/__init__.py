"""A demo trading platform's scan-to-act pages, served by the node under ``/platform``.

What a platform embeds: 扫码登录 (scan to log in), 扫码签名 (sign a document's SHA-256),
扫码签章 (seal a PDF, then download it) and, for the opening hall, 扫码解密 (a recipient's
phone opens an uploaded bid file; the site decrypts it and offers the plaintext). The site
acts as the platform's back end: it holds the platform's key server-side and creates and
reads scan requests as that platform; the browser gets a per-page token bound to its own
cookie, never a key. In ``dev`` the site acts for the alliance platform with the node's demo
key; elsewhere it has no keys (every page is a 404) unless code gives it one
(``app.state.platform_site.add_key``). See docs/platform-pages.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from huren.api.deps import NodeServices
from huren.api.platform_site import decrypt, routes
from huren.api.platform_site.site import PlatformSite

__all__ = ["install"]

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static" / "platform"


def install(app: FastAPI, node: NodeServices) -> PlatformSite:
    """Mount the pages; in dev, act for the node's demo platform."""
    templates = Jinja2Templates(directory=str(ROOT / "templates"))
    settings = node.settings
    site = PlatformSite.for_node(node.engine, getattr(settings, "admin_api_key", None), templates)
    demo_key = getattr(node, "demo_api_key", None)
    if getattr(settings, "env", None) == "dev" and demo_key:
        site.add_key(demo_key)
    app.state.platform_site = site
    app.add_exception_handler(routes.PageRefused, routes.refused)
    app.state.platform_decrypt_desk = decrypt.DecryptDesk()
    app.include_router(routes.router)
    app.include_router(decrypt.router)
    app.mount("/platform-static", StaticFiles(directory=STATIC), name="platform-static")
    return site
