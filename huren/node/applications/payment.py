"""Paying for an application and refunding it, through the ``Billing`` seam.

- ``start``: the applicant pays an approved application: its order (billing's, created on
  the first call, in the applicant's name) and a payment attempt at the gateway. The fee
  becomes the order's amount (the price in force when the order was made).
- ``settle``: billing marked the order paid (its observer, inside billing's transaction):
  the application moves to paid. Idempotent: a duplicate notification, or an order that is
  not this application's (other account, CA, kind or validity), changes nothing.
- ``reject_paid``: the CA rejects a paid application: billing refunds first (a gateway
  timeout raises and leaves the application paid; the retry refunds once), then the
  application becomes ``refunded`` (final: a refunded order is never paid again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlmodel import Session

from huren.node.applications import change_choice
from huren.node.applications.billing import OrderTerms, PaymentStarted
from huren.node.applications.errors import AlreadyPaid, InvalidApplication
from huren.node.applications.model import Action, ApplicationKind, ApplicationState, next_state
from huren.node.applications.views import ApplicationView
from huren.node.db.applications_tables import Application
from huren.node.db.engine import write_session
from huren.node.messages import MessageKind, post

if TYPE_CHECKING:
    from huren.node.applications.service import ApplicationService

__all__ = ["PAID_ALREADY", "reject_paid", "settle", "start", "terms_of"]

log = logging.getLogger(__name__)

_S = ApplicationState
PAID_ALREADY = frozenset({_S.PAID, _S.ISSUED, _S.DOWNLOADED, _S.COMPLETED})
# Certificates of the enterprise itself: their orders are the enterprise's bills too.
_ENTERPRISE_PAYS = frozenset(
    {
        ApplicationKind.CLAIM_ENTERPRISE,
        ApplicationKind.ENTERPRISE_CERTIFICATE,
        ApplicationKind.ENTERPRISE_CHANGE,
    }
)


def terms_of(row: Application, session: Session) -> OrderTerms:
    kind = ApplicationKind(row.kind)
    return OrderTerms(
        quantity=change_choice.quantity(session, row),
        application_id=row.id,
        account_id=row.account_id,
        ca_id=row.ca_id,
        kind=kind,
        years=row.validity_years,
        enterprise_id=row.enterprise_id if kind in _ENTERPRISE_PAYS else None,
    )


def start(service: ApplicationService, account_id: str, application_id: str) -> PaymentStarted:
    with Session(service.engine) as session:
        row = service.owned(session, account_id, application_id)
        state = ApplicationState(row.state)
        if state in PAID_ALREADY:
            raise AlreadyPaid(f"application {row.id} is paid already")
        next_state(state, Action.PAY)  # approved, or IllegalTransition
        if row.fee_fen == 0:
            raise InvalidApplication("a free application is paid on approval")
        terms, fee = terms_of(row, session), row.fee_fen
    order = service.billing.order_for(terms)  # billing's own transaction, not nested in ours
    if order.amount_fen != fee:  # a new price list took effect since the quote
        with write_session(service.engine) as session:
            row = service.owned(session, account_id, application_id)
            row.fee_fen = order.amount_fen
            session.add(row)
    return service.billing.start_payment(application_id, account_id)


def settle(
    service: ApplicationService,
    session: Session,
    application_id: str,
    order_id: str,
    is_order: Callable[[OrderTerms], bool],
) -> None:
    """Billing's observer: order ``order_id`` became paid, in ``session`` (billing's
    transaction). Never raises for a state it does not expect: the money is recorded anyway
    and the odd case logged (billing's own trail keeps the order and its payment)."""
    row = session.get(Application, application_id)
    if row is None:
        return  # an order made through /v1/billing/orders for no application of ours
    state = ApplicationState(row.state)
    if not is_order(terms_of(row, session)):
        log.warning("order %s paid, but not on application %s's terms", order_id, row.id)
        return
    if state is _S.APPROVED:
        service.settle(session, row, f"billing:{order_id}")
    elif state not in PAID_ALREADY:
        log.warning("order %s paid while application %s is %s", order_id, row.id, state.value)


def reject_paid(
    service: ApplicationService, ca_id: str, application_id: str, actor: str, reason: str
) -> ApplicationView:
    service.billing.refund(application_id, actor=actor, reason=reason)
    with write_session(service.engine) as session:
        row = service.of_ca(session, ca_id, application_id)
        service.move(session, row, Action.CA_REJECT, actor, reason)  # paid -> refunded
        row.reason = reason
        params = {"application_id": row.id, "reason": reason}
        post(session, row.account_id, MessageKind.APPLICATION_REJECTED, params, now=service.now())
        return ApplicationView.of(row)
