"""What a recognition answer says: the verdict, every failed reason, and the evidence."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from huren.registry.types import Reason, Right

__all__ = ["Evidence", "RecognitionAnswer", "reason_codes"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """The chain event behind one record an answer rests on. ``role`` is what the record is
    to the answer: certificate, revocation, ca, platform or authorization."""

    role: str
    event: str
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True)
class RecognitionAnswer:
    """Whether ``fingerprint`` is recognized at ``platform_id`` for ``action`` at ``at``
    (unix seconds), with every failed condition in ``reasons`` (bit for bit the contract's),
    the evidence, the index's lag behind the chain head in blocks, the last indexed block
    and when the answer was computed."""

    fingerprint: bytes
    platform_id: str
    action: Right | int
    at: int
    recognized: bool
    reasons: Reason
    evidence: tuple[Evidence, ...]
    index_lag: int | None
    indexed_block: int | None
    evaluated_at: datetime

    @property
    def reason_codes(self) -> list[str]:
        return reason_codes(self.reasons)

    @property
    def platform_known(self) -> bool:
        return not self.reasons & Reason.UNKNOWN_PLATFORM


def reason_codes(reasons: Reason | int) -> list[str]:
    """The names of the set bits, lowest first (``["CA_NOT_ACCREDITED", "REVOKED"]``)."""
    return list(_reason_codes(int(reasons)))


@functools.lru_cache(maxsize=1024)  # every combination of the ten reasons
def _reason_codes(reasons: int) -> tuple[str, ...]:
    return tuple(r.name for r in Reason if r.name is not None and reasons & r.value)
