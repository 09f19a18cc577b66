"""Check digits with published numbers: resident IDs (GB 11643), bank cards (Luhn), USCCs
(GB 32100)."""

from __future__ import annotations

import pytest

from huren.node.identity.checks import (
    InvalidBankCard,
    InvalidResidentId,
    InvalidUscc,
    check_bank_card,
    check_resident_id,
    check_uscc,
    luhn_ok,
)

# The two examples printed in GB 11643-1999 itself (annex: 北京市朝阳区 1949-12-31 and
# 广东省汕头市潮阳县 1880-01-01).
VALID_IDS = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("value", VALID_IDS)
def test_valid_resident_ids(value: str) -> None:
    assert check_resident_id(value) == value
    assert check_resident_id(value.lower() + " ") == value


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # the first example with a wrong check character
        "440524188001010015",  # the second, likewise
        "11010519491331002X",  # month 13 (check character recomputed below would not help)
        "99010519491231002X",  # no province 99
        "1101051949123100",  # too short
        "11010519491231002Y",
        "",
    ],
)
def test_invalid_resident_ids(value: str) -> None:
    with pytest.raises(InvalidResidentId):
        check_resident_id(value)


def test_every_wrong_check_character_is_caught() -> None:
    body = VALID_IDS[0][:17]
    for check in "0123456789X":
        if check != "X":
            with pytest.raises(InvalidResidentId):
                check_resident_id(body + check)


# 79927398713: the worked example of the Luhn algorithm (Wikipedia, ISO/IEC 7812-1);
# 4111111111111111: Visa's published test card number.
def test_luhn() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert check_bank_card("4111 1111 1111 1111") == "4111111111111111"


@pytest.mark.parametrize(
    "value", ["4111111111111112", "4111111111111121", "411111111111", "x" * 16]
)
def test_invalid_bank_cards(value: str) -> None:
    with pytest.raises(InvalidBankCard):
        check_bank_card(value)


# 91350100M000100Y43: the sample code of GB 32100-2015's explanatory material; the others
# are printed on business licences and shown in the national enterprise credit information
# publicity system (Huawei Technologies, Tencent Computer Systems Shenzhen, Alibaba China,
# China Mobile Communications Group).
VALID_USCCS = [
    "91350100M000100Y43",
    "914403001922038216",
    "91440300708461136T",
    "91330100799655058B",
    "91110000802100433B",
]


@pytest.mark.parametrize("value", VALID_USCCS)
def test_valid_usccs(value: str) -> None:
    assert check_uscc(value.lower()) == value


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y44",  # wrong check character
        "914403001922038217",
        "91350100M000100I43",  # I is not in GB 32100's alphabet
        "01350100M000100Y43",  # no registration authority 0
        "9135010",
        "",
    ],
)
def test_invalid_usccs(value: str) -> None:
    with pytest.raises(InvalidUscc):
        check_uscc(value)
