"""Key splitting (密钥拆分): the whole private key never exists, yet every signature is an
ordinary Ed25519 signature and every X25519 decryption an ordinary Diffie-Hellman value.

* :mod:`.frost` / :mod:`.signer`: FROST(Ed25519, SHA-512), RFC 9591, t-of-n (huren: 2-of-3).
* :mod:`.dkg`: key generation without a trusted dealer, and resharing for certificate recovery.
* :mod:`.decrypt` / :mod:`.hpke`: split X25519 decryption and opening HPKE messages with it.
* :mod:`.sealing`: the offline recovery share, sealed to the recovery key.
* :mod:`.dealer`: trusted-dealer splitting, for the RFC vector and tests only.

Every refusal is a :class:`KeysplitError`; every message has versioned ``to_bytes`` /
``from_bytes``. See docs/keysplit.md.
"""

from __future__ import annotations

from huren.node.keysplit.decrypt import (
    DecryptionRequest,
    DecryptionShare,
    combine_decryption_shares,
    decryption_share,
    x25519_public_key,
)
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    RecoveryEnvelope,
    SealedDkgShare,
    enrolment_parameters,
    recovery_reshare_parameters,
)
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.frost import (
    SignatureShare,
    SigningCommitment,
    SigningPackage,
    verify_signature,
)
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY, KeyPackage, PublicKeyPackage
from huren.node.keysplit.sealing import RecoveryKey, open_key_package, seal_key_package
from huren.node.keysplit.signer import Coordinator, NonceStore, SignerParty

__all__ = [
    "COSIGNER",
    "DEVICE",
    "RECOVERY",
    "Coordinator",
    "DecryptionRequest",
    "DecryptionShare",
    "DkgCommitment",
    "DkgParameters",
    "DkgParticipant",
    "DkgSecretShare",
    "KeyPackage",
    "KeysplitError",
    "NonceStore",
    "PublicKeyPackage",
    "RecoveryEnvelope",
    "RecoveryKey",
    "SealedDkgShare",
    "SignatureShare",
    "SignerParty",
    "SigningCommitment",
    "SigningPackage",
    "combine_decryption_shares",
    "decryption_share",
    "enrolment_parameters",
    "open_key_package",
    "recovery_reshare_parameters",
    "seal_key_package",
    "verify_signature",
    "x25519_public_key",
]
