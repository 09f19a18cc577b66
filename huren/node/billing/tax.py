"""Taxpayer identification numbers on invoices (纳税人识别号).

- 18 characters: the unified social credit code (统一社会信用代码, GB 32100-2015), whose last
  character is a check digit over the first 17 (base 31, weights 3^i mod 31), verified here;
- 15 characters: the old tax registration number, a 6-digit region code and a 9-character
  organization code;
- 20 characters: numbers issued to individual businesses (a resident ID and a sequence).
Only the USCC carries a check this module can verify; the others are checked for shape.
"""

from __future__ import annotations

import re

from huren.node.billing.errors import InvalidTaxNumber
from huren.node.identity import checks as identity_checks
from huren.node.identity.checks import USCC_ALPHABET

__all__ = ["USCC_ALPHABET", "normalize_tax_number", "uscc_check_character"]

_USCC = re.compile(f"[{USCC_ALPHABET}]{{18}}")
_OLD_15 = re.compile(r"[0-9]{6}[0-9A-Z]{8}[0-9X]")
_NEW_20 = re.compile(r"[0-9A-Z]{20}")


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of a USCC's first 17 characters."""
    try:
        return identity_checks.uscc_check_character(first17)
    except ValueError as exc:
        raise InvalidTaxNumber(str(exc)) from None


def normalize_tax_number(text: str) -> str:
    """The tax number in upper case without spaces, or ``InvalidTaxNumber``."""
    value = text.replace(" ", "").upper()
    if len(value) == 18:
        if not _USCC.fullmatch(value):
            raise InvalidTaxNumber("an 18-character tax number is a USCC: digits and 0-9A-Y")
        if uscc_check_character(value[:17]) != value[17]:
            raise InvalidTaxNumber("the USCC's check character (GB 32100) is wrong")
        return value
    if len(value) == 15:
        if not _OLD_15.fullmatch(value):
            raise InvalidTaxNumber("a 15-character tax number: 6 digits and an organization code")
        return value
    if len(value) == 20:
        if not _NEW_20.fullmatch(value):
            raise InvalidTaxNumber("a 20-character tax number has digits and capital letters")
        return value
    raise InvalidTaxNumber("a tax number has 15, 18 or 20 characters")
