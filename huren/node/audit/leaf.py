"""The certificate tree's leaf data: one CertificateRecorded event, encoded canonically.

A leaf is the event exactly as the chain holds it, prefixed with where it sits, so anyone
can rebuild it from ``eth_getLogs`` alone (docs/audit-proofs.md shows it by hand)::

    offset size  field
    0      1     version, 0x01
    1      8     block number, big-endian
    9      4     log index within the block, big-endian
    13     20    CertificateRegistry address
    33     32    topic 1: fingerprint (SHA-256 of the certificate DER)
    65     32    topic 2: issuing CA id (bytes32)
    97     32    topic 3: holder commitment
    129    256   the log's data: issuerKeyId, predecessor, kind, usage, scope, center,
                 notBefore, notAfter, eight ABI words
    385          total

Topic 0 (the event signature) is left out: every leaf has the same one. The position makes
a leaf unique and binds it to its place in chain order (leaves are sorted by block number,
then log index); the address binds it to the deployment. The leaf HASH is RFC 9162's
``SHA-256(0x00 || leaf data)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils.crypto import keccak

from huren.node.audit.proof_errors import LeafMismatch

__all__ = ["CERTIFICATE_RECORDED", "LEAF_SIZE", "LEAF_VERSION", "certificate_leaf", "leaf_fields"]

LEAF_VERSION = 1
LEAF_SIZE = 385
CERTIFICATE_RECORDED = keccak(
    text="CertificateRecorded(bytes32,bytes32,bytes32,bytes32,bytes32,uint8,uint8,uint8,address,uint64,uint64)"
)
_DATA_SIZE = 8 * 32


def certificate_leaf(
    registry: str, block_number: int, log_index: int, topics: Sequence[bytes], data: bytes
) -> bytes:
    """The leaf data of the CertificateRecorded log (``topics``, ``data``) at
    (``block_number``, ``log_index``) emitted by ``registry``; ``LeafMismatch`` when the log
    is not a CertificateRecorded."""
    if len(topics) != 4 or topics[0] != CERTIFICATE_RECORDED or len(data) != _DATA_SIZE:
        raise LeafMismatch(f"the log at {block_number}/{log_index} is no CertificateRecorded")
    address = bytes.fromhex(registry.removeprefix("0x"))
    if len(address) != 20:
        raise LeafMismatch(f"{registry!r} is not an address")
    return b"".join(
        (
            bytes([LEAF_VERSION]),
            block_number.to_bytes(8, "big"),
            log_index.to_bytes(4, "big"),
            address,
            topics[1],
            topics[2],
            topics[3],
            data,
        )
    )


def leaf_fields(leaf: bytes) -> tuple[int, int, bytes, bytes]:
    """(block number, log index, registry address bytes, fingerprint) of leaf data."""
    if len(leaf) != LEAF_SIZE or leaf[0] != LEAF_VERSION:
        raise LeafMismatch(f"leaf data of {len(leaf)} bytes, version {leaf[:1].hex()}")
    return (
        int.from_bytes(leaf[1:9], "big"),
        int.from_bytes(leaf[9:13], "big"),
        leaf[13:33],
        leaf[33:65],
    )
