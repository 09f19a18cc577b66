"""Identity verification (实名认证): CFCA, Alipay face and bank card four factors, with
local check digits (resident ID GB 11643, bank card Luhn, USCC GB 32100) before any
provider is asked. ``IdentityService`` is the entry point; errors derive from
``IdentityError``."""

from __future__ import annotations

from huren.node.identity.checks import check_bank_card, check_resident_id, check_uscc
from huren.node.identity.errors import IdentityError
from huren.node.identity.service import (
    AlipayStarted,
    IdentityMethod,
    IdentityService,
    VerifiedIdentity,
)

__all__ = [
    "AlipayStarted",
    "IdentityError",
    "IdentityMethod",
    "IdentityService",
    "VerifiedIdentity",
    "check_bank_card",
    "check_resident_id",
    "check_uscc",
]
