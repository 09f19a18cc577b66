"""Money in fen (exact parsing, no floats) and versioned price lists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from huren.node.billing.errors import InvalidMoney, InvalidPriceList, PriceNotFound
from huren.node.billing.events import events_of
from huren.node.billing.money import MAX_FEN, fen, format_yuan, parse_yuan
from huren.node.billing.prices import (
    DEV_PRICES,
    ApplicationKind,
    PriceKey,
    current_price_list,
    publish_price_list,
    seed_dev_price_list,
)
from huren.node.db.engine import write_session
from tests.node.billing.conftest import T0, Billing


@pytest.mark.parametrize(
    ("text", "expected"),
    [("120.50", 12050), ("120.5", 12050), ("0.01", 1), ("0", 0), ("300", 30000),
     ("99999999999.99", 9_999_999_999_999)],
)  # fmt: skip
def test_parse_yuan_is_exact(text: str, expected: int) -> None:
    assert parse_yuan(text) == expected
    assert parse_yuan(format_yuan(expected)) == expected


@pytest.mark.parametrize(
    "text", ["", "1.234", "-1", "+1", "1e3", "01.00", ".5", "1.", "1,000", " 1", "NaN", "１"]
)
def test_parse_yuan_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidMoney):
        parse_yuan(text)


def test_fen_refuses_floats_bools_and_out_of_range() -> None:
    for bad in (1.0, True, -1, MAX_FEN + 1):
        with pytest.raises(InvalidMoney):
            fen(bad)  # type: ignore[arg-type]
    assert format_yuan(5) == "0.05"


def test_dev_price_list_covers_demo_cas_kinds_and_years(billing: Billing) -> None:
    with Session(billing.engine) as session:
        prices = current_price_list(session, at=T0)
    assert prices.version == 1
    assert set(prices.prices) == set(DEV_PRICES)
    assert {k.ca_id for k in prices.prices} == {"zjca", "jsca", "ahca"}
    assert prices.price(PriceKey("zjca", ApplicationKind.NEW, 1)) == 30000
    assert prices.price(PriceKey("zjca", ApplicationKind.RENEWAL, 1)) == 24000
    with pytest.raises(PriceNotFound):
        prices.price(PriceKey("nope", ApplicationKind.NEW, 1))
    with write_session(billing.engine) as session:
        assert seed_dev_price_list(session, now=T0) is None  # seeded once


def test_new_version_takes_effect_at_its_time_and_keeps_the_old(billing: Billing) -> None:
    key = PriceKey("jsca", ApplicationKind.NEW, 2)
    with write_session(billing.engine) as session:
        publish_price_list(session, {key: fen(61000)}, effective_at=T0 + 100, now=T0, actor="admin")
    with Session(billing.engine) as session:
        assert current_price_list(session, at=T0 + 99).price(key) == 52000
        later = current_price_list(session, at=T0 + 100)
        assert (later.version, later.price(key)) == (2, 61000)
        assert [e.action for e in events_of(session, "price_list", "2")] == ["published"]


@pytest.mark.parametrize(
    ("prices", "effective", "message"),
    [({}, T0, "at least one"), ({PriceKey("a", ApplicationKind.NEW, 1): 0}, T0, "zero"),
     ({PriceKey("a", ApplicationKind.NEW, 1): 1}, T0 - 1, "past")],
)  # fmt: skip
def test_bad_price_lists_are_refused(
    billing: Billing, prices: dict[PriceKey, int], effective: int, message: str
) -> None:
    with pytest.raises(InvalidPriceList, match=message), write_session(billing.engine) as s:
        publish_price_list(s, prices, effective_at=effective, now=T0, actor="admin")  # type: ignore[arg-type]


def test_validity_is_one_to_three_years() -> None:
    for years in (0, 4):
        with pytest.raises(InvalidPriceList):
            PriceKey("zjca", ApplicationKind.NEW, years)


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_format_and_parse_round_trip(amount: int) -> None:
    text = format_yuan(amount)
    assert parse_yuan(text) == amount
    assert Decimal(text) * 100 == amount  # the string is the exact decimal value
