"""The one exception root of the key-splitting package and its typed refusals.

``code`` is stable and machine-readable and ``status`` the HTTP status the API should answer
with (as for the recognition service's errors), so the API maps the whole package in one line.
"""

from __future__ import annotations


class KeysplitError(Exception):
    """Root of every refusal raised by ``huren.node.keysplit``."""

    status = 400
    code = "KEYSPLIT_ERROR"


class InvalidScalar(KeysplitError):
    """A scalar is not below the group order, or is zero where zero is not allowed."""

    status = 422
    code = "INVALID_SCALAR"


class InvalidPoint(KeysplitError):
    """A point is non-canonical, off the curve, the identity, or outside the prime-order group."""

    status = 422
    code = "INVALID_POINT"


class MalformedMessage(KeysplitError):
    """Bytes that do not parse as the expected message (version, kind, length or field)."""

    status = 422
    code = "MALFORMED_MESSAGE"


class InvalidParticipants(KeysplitError):
    """Identifiers out of range, duplicated, unknown, or too few for the threshold."""

    status = 422
    code = "INVALID_PARTICIPANTS"


class EpochMismatch(KeysplitError):
    """Pieces from different key sets or different share epochs (before/after a reshare)."""

    status = 409
    code = "EPOCH_MISMATCH"


class NonceReuse(KeysplitError):
    """A signing request names a commitment whose nonces are unknown or already used."""

    status = 409
    code = "NONCE_REUSE"


class InvalidProof(KeysplitError):
    """A proof of possession or an equality-of-logarithm proof does not verify."""

    status = 422
    code = "INVALID_PROOF"


class InvalidShare(KeysplitError):
    """A secret share does not match the sender's published commitments."""

    status = 422
    code = "INVALID_SHARE"


class InvalidSignatureShare(KeysplitError):
    """A signature share does not verify against the signer's verifying share."""

    status = 422
    code = "INVALID_SIGNATURE_SHARE"


class InvalidSignature(KeysplitError):
    """An aggregated signature does not verify under the group public key."""

    status = 422
    code = "INVALID_SIGNATURE"


class ProtocolStateError(KeysplitError):
    """A protocol step called out of order (for example shares before commitments)."""

    status = 409
    code = "PROTOCOL_STATE"


class SealError(KeysplitError):
    """A sealed share cannot be opened with this key, or its context does not match."""

    status = 422
    code = "SEAL_ERROR"


class DecryptionFailed(KeysplitError):
    """A ciphertext does not open with the combined key (wrong key, shares or tampering)."""

    status = 422
    code = "DECRYPTION_FAILED"
