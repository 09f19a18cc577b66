"""An order for several certificates (an enterprise change re-issues several pairs): the
amount is the price times the quantity, the quantity is part of the order's terms, and it
is bounded."""

from __future__ import annotations

import pytest

from huren.node.billing.errors import InvalidOrderRequest, InvalidOrderState
from huren.node.billing.orders import MAX_QUANTITY
from huren.node.billing.prices import ApplicationKind, PriceKey
from tests.node.billing.conftest import Billing

KEY = PriceKey("zjca", ApplicationKind.NEW, 1)
UNIT_FEN = 30_000  # the dev price list: zjca, new, one year


def test_the_amount_is_the_price_times_the_quantity(billing: Billing) -> None:
    order = billing.orders.create(application_id="chg-1", account_ref="a", key=KEY, quantity=3)
    assert (order.quantity, order.amount_fen) == (3, 3 * UNIT_FEN)
    again = billing.orders.create(application_id="chg-1", account_ref="a", key=KEY, quantity=3)
    assert again.order_id == order.order_id
    with pytest.raises(InvalidOrderState):  # the same application, another quantity
        billing.orders.create(application_id="chg-1", account_ref="a", key=KEY)
    single = billing.orders.create(application_id="app-1", account_ref="a", key=KEY)
    assert (single.quantity, single.amount_fen) == (1, UNIT_FEN)
    assert billing.orders.get(order.order_id).quantity == 3


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_a_quantity_out_of_bounds_is_refused(billing: Billing, quantity: int) -> None:
    with pytest.raises(InvalidOrderRequest):
        billing.orders.create(application_id="chg-2", account_ref="a", key=KEY, quantity=quantity)
    assert billing.orders.find_by_application("chg-2") is None
