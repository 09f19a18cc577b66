"""Platform API keys, managed by the center with the node-admin key.

The node issues keys only to platforms its own operator (the center) owns, shows each key
once, keeps its SHA-256, and revokes keys for good.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from huren.api.deps import AdminDep, NodeDep, SessionDep
from huren.api.problems import PROBLEM_RESPONSES, problem_response
from huren.node import platform_keys
from huren.node.db.engine import write_session

RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    403: problem_response("ADMIN_ONLY, or PLATFORM_NOT_OWNED: another center's platform"),
    404: problem_response("UNKNOWN_PLATFORM (issuing) or UNKNOWN_PLATFORM_KEY (revoking)"),
    409: problem_response("PLATFORM_RETIRED: the platform no longer takes keys"),
}
router = APIRouter(prefix="/v1/platform-keys", tags=["platform keys"], responses=RESPONSES)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=66, examples=["jiaxing-ggzy"])
    label: str = Field(default="", max_length=200, examples=["bid-evaluation system"])


class KeyOut(BaseModel):
    key_id: str
    platform: str
    label: str
    created_at: int
    revoked_at: int | None

    @classmethod
    def of(cls, info: platform_keys.PlatformKeyInfo) -> KeyOut:
        return cls(
            key_id=info.key_id,
            platform=info.platform_id,
            label=info.label,
            created_at=info.created_at,
            revoked_at=info.revoked_at,
        )


class IssuedKeyOut(KeyOut):
    key: str = Field(description="the key itself: shown this once, never stored")


@router.post("", status_code=status.HTTP_201_CREATED)
def issue(_: AdminDep, node: NodeDep, body: KeyIn) -> IssuedKeyOut:
    """Issue a key to one of this center's active platforms."""
    with write_session(node.engine) as session:
        issued = platform_keys.issue_key(
            session,
            body.platform,
            center=node.operator.address,
            now=int(time.time()),
            label=body.label,
        )
    return IssuedKeyOut(**KeyOut.of(issued.info).model_dump(), key=issued.key)


@router.get("")
def keys(
    _: AdminDep,
    session: SessionDep,
    platform: Annotated[str | None, Query(min_length=1, max_length=66)] = None,
) -> list[KeyOut]:
    """Keys (never their secrets), oldest first."""
    return [KeyOut.of(k) for k in platform_keys.list_keys(session, platform)]


@router.delete("/{key_id}")
def revoke(_: AdminDep, node: NodeDep, key_id: Annotated[str, Path(max_length=64)]) -> KeyOut:
    """Revoke a key for good; its next request is a 401 ``PLATFORM_KEY_REVOKED``."""
    with write_session(node.engine) as session:
        info = platform_keys.revoke_key(session, key_id, now=int(time.time()))
    return KeyOut.of(info)
