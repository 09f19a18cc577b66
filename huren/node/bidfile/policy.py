"""The recipient policy over the node's recognition index: every certificate a bid file is
encrypted to must be recognized for ``encrypt`` at the platform the bid is for (the same
rule, and the same answers, that platforms get from ``/v1/recognition``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from huren.node.bidfile.errors import RecipientNotRecognized
from huren.node.recognition import IndexCache, read_transaction, recognize_many
from huren.registry.types import Right

__all__ = ["RecognitionPolicy"]


class RecognitionPolicy:
    """Asks the index whether each fingerprint is recognized for ``Right.ENCRYPT`` at the
    platform, all in one read transaction. ``clock`` gives the time to judge validity at
    (unix seconds; None: now, with every revocation the index holds)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], int] | None = None,
        cache: IndexCache | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._cache = cache

    def check(self, fingerprints: Sequence[bytes], platform_id: str) -> None:
        at = None if self._clock is None else self._clock()
        with read_transaction(self._engine) as db:
            answers = recognize_many(
                db, fingerprints, platform_id, Right.ENCRYPT, at, cache=self._cache
            )
        refusals = {a.fingerprint: a.reason_codes for a in answers if not a.recognized}
        if refusals:
            raise RecipientNotRecognized(platform_id, refusals)
