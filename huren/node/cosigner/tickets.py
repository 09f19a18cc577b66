"""One-time enrolment tickets: node services (the certificate application flow; for now the
node admin) issue one per key a holder may enrol, bound to the holder's account reference and
to the recovery public key that will protect the recovery share.

A ticket reads ``hct_<ticket id>_<secret>``: the id (16 hex digits) finds the row, the
secret is 256 random bits; only the SHA-256 of the whole ticket is stored. Functions take a
``Session`` and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from huren.node.cosigner.errors import InvalidRequest, TicketRefused
from huren.node.db.cosigner_tables import HOLDER_LEN, CosignerTicket
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.sealing import check_recovery_public_key

TICKET_PREFIX = "hct"
DEFAULT_TTL_S = 7 * 86_400
_TICKET = re.compile(r"hct_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    ticket: str  # shown once
    ticket_id: str
    holder: str
    expires_at: int


def check_holder(holder: str) -> str:
    if not 0 < len(holder) <= HOLDER_LEN or holder != holder.strip():
        raise InvalidRequest(f"a holder reference is 1 to {HOLDER_LEN} characters, trimmed")
    return holder


def _digest(ticket: str) -> bytes:
    return hashlib.sha256(ticket.encode()).digest()


def issue_ticket(
    session: Session,
    holder: str,
    recovery_public_key: bytes,
    *,
    now: int,
    ttl_s: int = DEFAULT_TTL_S,
) -> IssuedTicket:
    if not 60 <= ttl_s <= 90 * 86_400:
        raise InvalidRequest("a ticket lives between a minute and 90 days")
    try:
        recovery = check_recovery_public_key(recovery_public_key)
    except KeysplitError as error:
        raise InvalidRequest(str(error)) from error
    ticket_id = secrets.token_hex(8)
    ticket = f"{TICKET_PREFIX}_{ticket_id}_{secrets.token_urlsafe(32)}"
    session.add(
        CosignerTicket(
            ticket_id=ticket_id,
            secret_sha256=_digest(ticket),
            holder=check_holder(holder),
            recovery_public_key=recovery,
            created_at=now,
            expires_at=now + ttl_s,
        )
    )
    session.flush()
    return IssuedTicket(ticket, ticket_id, holder, now + ttl_s)


def find_ticket(session: Session, ticket: str, *, now: int) -> CosignerTicket:
    """The unused, unexpired row of ``ticket``; ``TicketRefused`` (one error for every
    reason, so a guesser learns nothing) otherwise."""
    match = _TICKET.fullmatch(ticket)
    row = session.get(CosignerTicket, match.group(1)) if match else None
    genuine = row is not None and hmac.compare_digest(row.secret_sha256, _digest(ticket))
    if row is None or not genuine or row.used_at is not None or row.expires_at <= now:
        raise TicketRefused("the enrolment ticket is unknown, used or expired")
    return row


def consume_ticket(session: Session, ticket_id: str, enrolment_id: str, *, now: int) -> None:
    """Mark the ticket used by ``enrolment_id``; refused if another use got there first."""
    result = session.connection().execute(
        update(CosignerTicket)
        .where(col(CosignerTicket.ticket_id) == ticket_id, col(CosignerTicket.used_at).is_(None))
        .values(used_at=now, enrolment_id=enrolment_id)
    )
    if result.rowcount != 1:
        raise TicketRefused("the enrolment ticket is unknown, used or expired")
