"""The seal API's world: the applications' dev node (accounts, identity, enterprises,
applications, billing on simulators; a fresh copy per test), people logged in, an enterprise
with an admin and a staff member, and the images people upload: a handwritten signature
with a transparent background, and phone photos of a stamped seal (tests/node/seals/photos)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlmodel import Session, select

from huren.node import enterprises
from huren.node.db.accounts_tables import Account
from huren.node.db.engine import write_session
from huren.node.enterprises import Role
from huren.node.seals.render import (
    EnterpriseSealStyle,
    PersonalSealStyle,
    render_enterprise_seal,
    render_personal_seal,
)
from tests.api.applications.conftest import (  # noqa: F401 - fixtures
    ALICE,
    BOB,
    USCC,
    AppApi,
    _db_template,
    api,
    api_any_db,
    problem,
)
from tests.node.conftest import (  # noqa: F401 - fixtures
    _seeded_template,
    db_url,
    engine,
    postgres_server,
    seeded,
)
from tests.node.seals.photos import make_photo

__all__ = ["ALICE", "BOB", "AppApi", "Enterprise", "People", "problem"]

CAROL = ("13800138003",)  # an outsider, logged in only
ENTERPRISE_NAME = "嘉兴市某某建设有限公司"


def account_id(app: AppApi, phone: str) -> str:
    with Session(app.node.engine) as session:
        return session.exec(select(Account).where(Account.phone == phone)).one().id


@dataclass
class Enterprise:
    id: str
    name: str


@dataclass
class People:
    """Alice administers the enterprise, Bob is its staff, Carol is nobody's."""

    api: AppApi
    enterprise: Enterprise
    alice: dict[str, str]
    bob: dict[str, str]
    carol: dict[str, str]
    ids: dict[str, str]

    def get(self, who: dict[str, str], url: str, **kw: Any) -> Any:
        return self.api.http.get(url, headers={**who, **kw.pop("headers", {})}, **kw)

    def post(self, who: dict[str, str], url: str, **kw: Any) -> Any:
        return self.api.http.post(url, headers={**who, **kw.pop("headers", {})}, **kw)

    def put(self, who: dict[str, str], url: str, **kw: Any) -> Any:
        return self.api.http.put(url, headers={**who, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def people(api: AppApi) -> People:  # noqa: F811
    return _people(api)


@pytest.fixture
def people_any_db(api_any_db: AppApi) -> People:  # noqa: F811
    """The same on SQLite and on PostgreSQL."""
    return _people(api_any_db)


def _people(api: AppApi) -> People:  # noqa: F811
    alice, bob, carol = (api.login(p[0]) for p in (ALICE, BOB, CAROL))
    ids = {
        name: account_id(api, p[0])
        for name, p in (("alice", ALICE), ("bob", BOB), ("carol", CAROL))
    }
    # The enterprise as a claim and a join leave it (the applications' own tests drive those).
    with write_session(api.node.engine) as session:
        row = enterprises.ensure_enterprise(session, ENTERPRISE_NAME, USCC, now=1)
        enterprises.set_member(session, row.id, ids["alice"], Role.ADMIN, now=1)
        enterprises.set_member(session, row.id, ids["bob"], Role.STAFF, now=1)
        enterprise = Enterprise(row.id, row.name)
    return People(api, enterprise, alice, bob, carol, ids)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def signature_png(size: tuple[int, int] = (600, 240)) -> bytes:
    """A signature drawn on a transparent canvas, as the app's handwriting pad makes it."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    w, h = size
    points = [(w * 0.15, h * 0.6), (w * 0.35, h * 0.25), (w * 0.5, h * 0.7), (w * 0.8, h * 0.3)]
    ImageDraw.Draw(image).line(points, fill=(20, 20, 20, 255), width=8)
    return png(image)


@cache
def seal_photo(kind: str = "personal", seed: int = 7) -> bytes:
    """A phone photo (JPEG) of a page stamped with a rendered seal."""
    if kind == "personal":
        seal = render_personal_seal(PersonalSealStyle("张三", size_px=220))
    else:
        seal = render_enterprise_seal(EnterpriseSealStyle(ENTERPRISE_NAME, size_px=300))
    return make_photo(seal, seed=seed, size=(700, 520), seal_at=(300, 160)).jpeg


def square(name: str = "张三", colour: str = "#1a3c8e", **extra: Any) -> dict[str, Any]:
    return {"style": {"shape": "square", "name": name, "colour": colour, **extra}}


def round_(name: str = ENTERPRISE_NAME, **extra: Any) -> dict[str, Any]:
    return {"style": {"shape": "round", "name": name, **extra}}
