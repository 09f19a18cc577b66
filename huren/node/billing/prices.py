"""Price lists: the fee of a certificate by CA, kind of application and validity (1-3 years).

Versioned: publishing a new list never alters an existing one, and an order copies its
amount and the version it came from, so a price change never alters an order. The list in
force at a time is the highest version whose ``effective_at`` has passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from huren.node.billing.errors import InvalidPriceList, PriceNotFound
from huren.node.billing.events import record
from huren.node.billing.money import Fen, fen, parse_yuan
from huren.node.db.billing_tables import PriceListRow, PriceRow

__all__ = [
    "DEV_PRICES",
    "VALIDITY_YEARS",
    "ApplicationKind",
    "PriceKey",
    "PriceList",
    "current_price_list",
    "price_of",
    "publish_price_list",
    "seed_dev_price_list",
]

VALIDITY_YEARS = (1, 2, 3)


class ApplicationKind(StrEnum):
    NEW = "new"  # 证书申领
    RENEWAL = "renewal"  # 续期
    REAPPLICATION = "reapplication"  # 重新申领


@dataclass(frozen=True, slots=True, order=True)
class PriceKey:
    ca_id: str
    kind: ApplicationKind
    years: int

    def __post_init__(self) -> None:
        if not 1 <= len(self.ca_id) <= 66:
            raise InvalidPriceList("a CA id has 1-66 characters")
        if self.years not in VALIDITY_YEARS:
            raise InvalidPriceList(f"validity is 1, 2 or 3 years, not {self.years}")


@dataclass(frozen=True, slots=True)
class PriceList:
    version: int
    effective_at: int
    prices: Mapping[PriceKey, Fen]

    def price(self, key: PriceKey) -> Fen:
        try:
            return self.prices[key]
        except KeyError:
            raise PriceNotFound(
                f"price list {self.version} has no price for {key.ca_id} {key.kind.value} "
                f"{key.years}y"
            ) from None


def _dev_prices() -> dict[PriceKey, Fen]:
    # Illustrative fees for the demo CAs (yuan): new 1/2/3 years, renewals a little cheaper.
    table = {
        "zjca": ("300.00", "560.00", "800.00"),
        "jsca": ("280.00", "520.00", "750.00"),
        "ahca": ("260.00", "490.00", "700.00"),
    }
    prices: dict[PriceKey, Fen] = {}
    for ca_id, by_years in table.items():
        for years, text in zip(VALIDITY_YEARS, by_years, strict=True):
            amount = parse_yuan(text)
            prices[PriceKey(ca_id, ApplicationKind.NEW, years)] = amount
            prices[PriceKey(ca_id, ApplicationKind.RENEWAL, years)] = fen(amount * 8 // 10)
            prices[PriceKey(ca_id, ApplicationKind.REAPPLICATION, years)] = amount
    return prices


DEV_PRICES: Mapping[PriceKey, Fen] = _dev_prices()


def publish_price_list(
    session: Session,
    prices: Mapping[PriceKey, Fen],
    *,
    effective_at: int,
    now: int,
    actor: str,
    note: str = "",
) -> PriceList:
    """Add the next version (in the caller's write transaction)."""
    if not prices:
        raise InvalidPriceList("a price list has at least one price")
    for key, amount in prices.items():
        if fen(amount) == 0:
            raise InvalidPriceList(f"{key.ca_id} {key.kind.value} {key.years}y: price is zero")
    if effective_at < now:
        raise InvalidPriceList("a price list takes effect now or later, never in the past")
    if len(note) > 200:
        raise InvalidPriceList("note: at most 200 characters")
    last = session.exec(select(func.max(PriceListRow.version))).one()
    version = (last or 0) + 1
    session.add(
        PriceListRow(
            version=version,
            effective_at=effective_at,
            published_at=now,
            published_by=actor,
            note=note,
        )
    )
    for key, amount in prices.items():
        session.add(
            PriceRow(
                version=version,
                ca_id=key.ca_id,
                kind=key.kind.value,
                years=key.years,
                amount_fen=amount,
            )
        )
    record(
        session,
        at=now,
        actor=actor,
        subject_kind="price_list",
        subject_id=str(version),
        action="published",
        detail=f"{len(prices)} prices, effective at {effective_at}",
    )
    return PriceList(version, effective_at, dict(prices))


def seed_dev_price_list(session: Session, *, now: int) -> PriceList | None:
    """The demo CAs' dev prices as version 1, if no price list exists yet."""
    if session.exec(select(PriceListRow.version).limit(1)).first() is not None:
        return None
    return publish_price_list(
        session, DEV_PRICES, effective_at=now, now=now, actor="system", note="dev prices"
    )


def current_price_list(session: Session, *, at: int) -> PriceList:
    row = session.exec(
        select(PriceListRow)
        .where(PriceListRow.effective_at <= at)
        .order_by(col(PriceListRow.version).desc())
        .limit(1)
    ).first()
    if row is None:
        raise PriceNotFound("no price list is in force")
    rows = session.exec(select(PriceRow).where(PriceRow.version == row.version)).all()
    prices = {PriceKey(r.ca_id, ApplicationKind(r.kind), r.years): fen(r.amount_fen) for r in rows}
    return PriceList(row.version, row.effective_at, prices)


def price_of(session: Session, key: PriceKey, *, at: int) -> tuple[Fen, int]:
    """(amount, price list version) in force at ``at``."""
    price_list = current_price_list(session, at=at)
    return price_list.price(key), price_list.version
