"""Refuses a ``/v1`` request that repeats a query parameter (422 ``VALIDATION_FAILED``).

Every query parameter of the API takes one value. Given several (``?platform=a&platform=b``)
FastAPI silently keeps the last and the recognition fast path would have to choose too: a
client that meant something else gets an answer to a question it did not ask. The check runs
ahead of both, so they agree. A route that someday takes a list in the query names it in
``REPEATABLE``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from huren.api import problems

__all__ = ["REPEATABLE", "SingleQueryValues"]

REPEATABLE: frozenset[str] = frozenset()


class SingleQueryValues:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            repeated = _repeated(scope.get("query_string", b""))
            if repeated is not None:
                response = problems.problem(
                    422,
                    "VALIDATION_FAILED",
                    f"query.{repeated}: given more than once",
                    errors=[
                        {
                            "loc": ["query", repeated],
                            "msg": "given more than once",
                            "type": "repeated",
                        }
                    ],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _repeated(query: bytes) -> str | None:
    """The first parameter named twice in ``query`` (None when none is)."""
    if b"&" not in query:
        return None  # the everyday request: one parameter or none
    seen: set[str] = set()
    for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in seen and name not in REPEATABLE:
            return name
        seen.add(name)
    return None
