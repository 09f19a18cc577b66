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

__all__ = ["USCC_ALPHABET", "normalize_tax_number", "uscc_check_character"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(f"[{USCC_ALPHABET}]{{18}}")
_OLD_15 = re.compile(r"[0-9]{6}[0-9A-Z]{8}[0-9X]")
_NEW_20 = re.compile(r"[0-9A-Z]{20}")


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of a USCC's first 17 characters."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise InvalidTaxNumber("a USCC's first 17 characters come from its 31-letter alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


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
