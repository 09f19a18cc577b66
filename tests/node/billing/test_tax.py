"""Tax numbers on invoices. Valid USCC vectors: the example of GB 32100-2015
(91350100M000100Y43) and two public business registrations (Xiaomi 91110108551385082Q,
Huawei 914403001922038216), as listed in the national enterprise credit system."""

from __future__ import annotations

import pytest

from huren.node.billing.errors import InvalidTaxNumber
from huren.node.billing.tax import normalize_tax_number, uscc_check_character

VALID_USCC = ["91350100M000100Y43", "91110108551385082Q", "914403001922038216"]


@pytest.mark.parametrize("uscc", VALID_USCC)
def test_valid_usccs(uscc: str) -> None:
    assert uscc_check_character(uscc[:17]) == uscc[17]
    assert normalize_tax_number(uscc.lower()) == uscc
    assert normalize_tax_number(f"{uscc[:9]} {uscc[9:]}") == uscc


@pytest.mark.parametrize("uscc", VALID_USCC)
def test_every_wrong_check_character_is_refused(uscc: str) -> None:
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if wrong != uscc[17]:
            with pytest.raises(InvalidTaxNumber, match="check character"):
                normalize_tax_number(uscc[:17] + wrong)


def test_a_changed_digit_is_caught() -> None:
    with pytest.raises(InvalidTaxNumber):
        normalize_tax_number("91350100M000100Y53")


@pytest.mark.parametrize("text", ["91350100M000100I43", "9135010OM000100Y43", "91350100M000100Z43"])
def test_letters_outside_the_uscc_alphabet(text: str) -> None:
    with pytest.raises(InvalidTaxNumber, match="USCC"):
        normalize_tax_number(text)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("110108551385082", True), ("11010855138508X", True), ("1101085513850821", False),
     ("11010A551385082", False), ("11010855138508Y", False),
     ("11010119900307123X01", True), ("11010119900307123x01", True),
     ("11010119900307123-01", False), ("", False), ("123", False)],
)  # fmt: skip
def test_15_and_20_character_shapes(text: str, ok: bool) -> None:
    if ok:
        assert normalize_tax_number(text) == text.upper()
    else:
        with pytest.raises(InvalidTaxNumber):
            normalize_tax_number(text)
