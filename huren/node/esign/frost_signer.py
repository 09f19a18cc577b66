"""A ``RawEd25519Signer`` that runs one FROST signing round (RFC 9591) between share holders.

The parties are reached through the ``SigningParty`` port: in the dev simulator and tests they
are ``huren.node.keysplit.SignerParty`` objects in this process; in production the device's
party is the phone (reached through the signing session, after the holder approved with the
PIN) and the co-signer's is the co-signing service. The coordinator holds only public data.
Whatever a party raises (refusal, time-out, bad share) reaches the caller unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from huren.node.keysplit import Coordinator, SignatureShare, SigningCommitment, SigningPackage

__all__ = ["FrostRawSigner", "SigningParty"]


class SigningParty(Protocol):
    """One share holder's two rounds (``huren.node.keysplit.SignerParty`` is one)."""

    def commit(self) -> SigningCommitment: ...

    def sign(self, package: SigningPackage) -> SignatureShare: ...


class FrostRawSigner:
    def __init__(self, coordinator: Coordinator, parties: Sequence[SigningParty]) -> None:
        self._coordinator = coordinator
        self._parties = tuple(parties)

    def sign(self, message: bytes) -> bytes:
        commitments = [party.commit() for party in self._parties]
        package = self._coordinator.signing_package(message, commitments)
        shares = [party.sign(package) for party in self._parties]
        return self._coordinator.aggregate(package, shares)
