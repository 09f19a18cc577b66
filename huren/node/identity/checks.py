"""Check digits verified locally before any external service is asked: resident ID numbers
(GB 11643-1999), bank card numbers (Luhn, ISO/IEC 7812-1) and unified social credit codes
(GB 32100-2015). Each check returns the normalized value or raises a typed error."""

from __future__ import annotations

import datetime as dt
import re

from huren.node.identity.errors import IdentityError

__all__ = [
    "InvalidBankCard",
    "InvalidCheckDigit",
    "InvalidResidentId",
    "InvalidUscc",
    "check_bank_card",
    "check_resident_id",
    "check_uscc",
    "luhn_ok",
]


class InvalidCheckDigit(IdentityError, ValueError):
    """Root of the check-digit errors (a ``ValueError``: the input is bad)."""

    status = 422
    code = "INVALID_CHECK_DIGIT"


class InvalidResidentId(InvalidCheckDigit):
    code = "INVALID_RESIDENT_ID"


class InvalidBankCard(InvalidCheckDigit):
    code = "INVALID_BANK_CARD"


class InvalidUscc(InvalidCheckDigit):
    code = "INVALID_USCC"


# GB 11643: weights 2^(17-i) mod 11 over the first 17 digits; check = (12 - sum mod 11) mod 11
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"  # indexed by sum mod 11
# GB/T 2260 province-level codes (the ID number's first two digits)
_PROVINCES = {
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
}
_RESIDENT_ID = re.compile(r"\d{17}[\dX]")


def check_resident_id(id_number: str) -> str:
    """An 18-character resident ID number (upper-case X) whose province, birth date and
    check character are right; ``InvalidResidentId`` otherwise."""
    value = id_number.strip().upper()
    if _RESIDENT_ID.fullmatch(value) is None:
        raise InvalidResidentId("a resident ID number has 17 digits and a digit or X")
    if int(value[:2]) not in _PROVINCES:
        raise InvalidResidentId("the resident ID number's region code is not a province")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidResidentId("the resident ID number's birth date is not a date") from None
    if born.year < 1800:
        raise InvalidResidentId("the resident ID number's birth year is before 1800")
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise InvalidResidentId("the resident ID number's check character is wrong")
    return value


def luhn_ok(digits: str) -> bool:
    """Whether the digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_bank_card(card_number: str) -> str:
    """A bank card number of 13-19 digits (spaces dropped) passing Luhn."""
    value = re.sub(r"\s", "", card_number)
    if not re.fullmatch(r"\d{13,19}", value):
        raise InvalidBankCard("a bank card number has 13-19 digits")
    if not luhn_ok(value):
        raise InvalidBankCard("the bank card number's check digit is wrong")
    return value


# GB 32100: 31 characters (no I, O, S, V, Z); weights 3^i mod 31; check = (31 - sum mod 31) mod 31
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_USCC = re.compile(rf"[1-9AY][{USCC_ALPHABET}]\d{{6}}[{USCC_ALPHABET}]{{10}}")


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of a USCC's first 17 characters (all of its alphabet;
    ``ValueError`` otherwise): the one computation the identity, PKI and billing checks share."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("a USCC's first 17 characters come from its 31-letter alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(uscc: str) -> str:
    """An 18-character unified social credit code (upper case) whose registration authority,
    region digits and check character are right; ``InvalidUscc`` otherwise."""
    value = uscc.strip().upper()
    if _USCC.fullmatch(value) is None:
        raise InvalidUscc("a USCC has 18 characters of GB 32100's alphabet")
    if uscc_check_character(value[:17]) != value[17]:
        raise InvalidUscc("the USCC's check character is wrong")
    return value
