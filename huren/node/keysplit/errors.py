"""The one exception root of the key-splitting package and its typed refusals."""

from __future__ import annotations


class KeysplitError(Exception):
    """Root of every refusal raised by ``huren.node.keysplit``."""

    code = "keysplit_error"


class InvalidScalar(KeysplitError):
    """A scalar is not below the group order, or is zero where zero is not allowed."""

    code = "invalid_scalar"


class InvalidPoint(KeysplitError):
    """A point is non-canonical, off the curve, the identity, or outside the prime-order group."""

    code = "invalid_point"


class MalformedMessage(KeysplitError):
    """Bytes that do not parse as the expected message (version, kind, length or field)."""

    code = "malformed_message"


class InvalidParticipants(KeysplitError):
    """Identifiers out of range, duplicated, unknown, or too few for the threshold."""

    code = "invalid_participants"


class EpochMismatch(KeysplitError):
    """Pieces from different key sets or different share epochs (before/after a reshare)."""

    code = "epoch_mismatch"


class NonceReuse(KeysplitError):
    """A signing request names a commitment whose nonces are unknown or already used."""

    code = "nonce_reuse"


class InvalidProof(KeysplitError):
    """A proof of possession or an equality-of-logarithm proof does not verify."""

    code = "invalid_proof"


class InvalidShare(KeysplitError):
    """A secret share does not match the sender's published commitments."""

    code = "invalid_share"


class InvalidSignatureShare(KeysplitError):
    """A signature share does not verify against the signer's verifying share."""

    code = "invalid_signature_share"


class InvalidSignature(KeysplitError):
    """An aggregated signature does not verify under the group public key."""

    code = "invalid_signature"


class ProtocolStateError(KeysplitError):
    """A protocol step called out of order (for example shares before commitments)."""

    code = "protocol_state"


class SealError(KeysplitError):
    """A sealed share cannot be opened with this key, or its context does not match."""

    code = "seal_error"


class DecryptionFailed(KeysplitError):
    """A ciphertext does not open with the combined key (wrong key, shares or tampering)."""

    code = "decryption_failed"
