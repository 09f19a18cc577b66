"""Settling a ``granting`` request that cannot or need not be finished by approving again
(see ``huren.node.enterprises.authorizations``): the CA rejects it or the admin deletes it,
but only after the chain has been read.

The node reads what the chain holds for each certificate of the pair at the platform
(``AuthorizationChain.holding``) and compares it with what this request's grant would leave
("after": its rights under its enterprise certificate, nothing where it has none) and with
what the earlier ``granted`` request there left ("before"):

- every certificate as before (or the request changes nothing): the grant is ``ABSENT``;
  the CA's rejection is recorded, a delete withdraws it;
- every certificate as after, at least one differing from before: the grant ``LANDED`` but
  the node's commit did not; a rejection finishes the approval instead (``granted``, as
  ``ca_approve``'s second transaction does) and says so in the answer's state; a delete
  marks it for revocation like a granted request;
- anything else is ``PARTIAL`` (one certificate granted, the other not): a rejection is
  refused (approve again to finish it, or the admin deletes it); a delete revokes it.

The race with a concurrent ``ca_approve`` is closed by ordering: the chain is read before
the write transaction that moves the row out of ``granting``, and that transaction locks
the row and checks it is still ``granting``. A grant landing after the read is sent by an
approval whose second transaction runs after its chain writes and locks the same row: it
finds ``rejected`` or ``withdrawn`` and marks the row ``revoking``, so the grant is taken
back (the earlier grant put back) by ``finish_revocations``; the row then returns to
``rejected``/``withdrawn``. If that approval committed first, the row is ``granted`` and
the rejection or delete is refused (or, for a delete, revokes it as any granted one).
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, col, select

from huren.node.db.authorizations_tables import AuthorizationRequest
from huren.node.enterprises.authorization_chain_side import AuthorizationChainSide
from huren.node.enterprises.authorization_model import AuthorizationState
from huren.registry.types import Right

__all__ = ["GrantOnChain", "GrantingSettlement"]


class GrantOnChain(StrEnum):
    ABSENT = "absent"
    LANDED = "landed"
    PARTIAL = "partial"


class GrantingSettlement(AuthorizationChainSide):
    def grant_on_chain(self, request_ids: list[str]) -> dict[str, GrantOnChain]:
        """For each of the ``granting`` requests among ``request_ids``, what the chain holds
        of its grant (others are left out). Reads the chain: call outside a transaction."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(AuthorizationRequest).where(
                    col(AuthorizationRequest.id).in_(request_ids),
                    AuthorizationRequest.state == AuthorizationState.GRANTING.value,
                )
            ).all()
            earlier = {
                row.id: session.exec(
                    select(AuthorizationRequest).where(
                        AuthorizationRequest.staff_fingerprint == row.staff_fingerprint,
                        AuthorizationRequest.platform_id == row.platform_id,
                        AuthorizationRequest.state == AuthorizationState.GRANTED.value,
                    )
                ).first()
                for row in rows
            }
        return {row.id: self._classify(row, earlier[row.id]) for row in rows}

    def _classify(
        self, row: AuthorizationRequest, earlier: AuthorizationRequest | None
    ) -> GrantOnChain:
        as_after, changed, as_before = True, False, True
        for fingerprint, mask in self._pair(row):
            want = Right(row.rights) & mask
            after = (row.enterprise_fingerprint, want) if want else None
            had = Right(0) if earlier is None else Right(earlier.rights) & mask
            before = None if earlier is None or not had else (earlier.enterprise_fingerprint, had)
            held = self.chain.holding(row.ca_id, fingerprint, row.platform_id)
            as_after &= held == after
            as_before &= held == before
            changed |= after != before
        if as_before:
            return GrantOnChain.ABSENT
        if as_after and changed:
            return GrantOnChain.LANDED
        return GrantOnChain.PARTIAL

    def withdraw_granting(
        self, session: Session, row: AuthorizationRequest, found: GrantOnChain, actor: str
    ) -> None:
        """In the caller's transaction (the row locked and still ``granting``): a delete.
        Nothing on chain: ``withdrawn``. Some of it on chain: the earlier grant is replaced
        (it was overwritten) and the row marked ``revoking`` like a granted one."""
        now = self.now()
        row.updated_at, row.revoked_by = now, actor
        if found is GrantOnChain.ABSENT:
            row.state = AuthorizationState.WITHDRAWN.value
            session.add(row)
            self._log(session, actor, row)
            return
        for p in session.exec(
            select(AuthorizationRequest).where(
                AuthorizationRequest.staff_fingerprint == row.staff_fingerprint,
                AuthorizationRequest.platform_id == row.platform_id,
                AuthorizationRequest.state == AuthorizationState.GRANTED.value,
            )
        ).all():
            p.state, p.updated_at = AuthorizationState.REPLACED.value, now
            session.add(p)
            self._log(session, actor, p)
        row.state = AuthorizationState.REVOKING.value
        row.grant_transactions = ""  # on chain, its transaction not known: revoked as granted
        session.add(row)
