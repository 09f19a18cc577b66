"""Local checks of what a person types: phone numbers and passwords."""

from __future__ import annotations

import re

from huren.node.accounts.errors import InvalidPhone, WeakPassword

__all__ = ["check_certificate_password", "check_password", "normalize_phone"]

_MOBILE = re.compile(r"1[3-9]\d{9}")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
MIN_CERTIFICATE_PASSWORD = 6
MAX_CERTIFICATE_PASSWORD = 32


def normalize_phone(phone: str) -> str:
    """A mainland mobile number as 11 digits (``+86``/``86`` prefix, spaces and dashes
    dropped); ``InvalidPhone`` otherwise."""
    digits = re.sub(r"[\s-]", "", phone)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits) is None:
        raise InvalidPhone("a phone is a mainland mobile number: 11 digits starting 13-19")
    return digits


def check_password(password: str) -> str:
    """A login password: 8-128 printable characters of at least two kinds (letters, digits,
    others)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or not password.isprintable():
        raise WeakPassword(f"a password has {MIN_PASSWORD}-{MAX_PASSWORD} printable characters")
    kinds = (
        any(c.isalpha() for c in password)
        + any(c.isdigit() for c in password)
        + any(not c.isalnum() for c in password)
    )
    if kinds < 2:
        raise WeakPassword("a password mixes at least two of letters, digits and symbols")
    return password


def check_certificate_password(password: str) -> str:
    """A certificate password: 6-32 printable characters."""
    if (
        not MIN_CERTIFICATE_PASSWORD <= len(password) <= MAX_CERTIFICATE_PASSWORD
        or not password.isprintable()
    ):
        raise WeakPassword(
            f"a certificate password has {MIN_CERTIFICATE_PASSWORD}-"
            f"{MAX_CERTIFICATE_PASSWORD} printable characters"
        )
    return password
