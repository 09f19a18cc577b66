"""The typed errors of the proofs side of auditing: Merkle proofs, checkpoints and the
operation log. ``TransparencyError`` is their one root; verification raises, never returns
a bool to ignore."""

from __future__ import annotations

__all__ = [
    "CheckpointMismatch",
    "InvalidTreeSize",
    "LeafMismatch",
    "MalformedProof",
    "NoCheckpoint",
    "OperationLogTampered",
    "RootMismatch",
    "TransparencyError",
    "UnknownLeaf",
    "WrongChain",
]


class TransparencyError(Exception):
    """Root of the errors of Merkle proofs, checkpoints and the operation log."""

    status = 422
    code = "TRANSPARENCY_ERROR"


class InvalidTreeSize(TransparencyError, ValueError):
    """A leaf index or tree size outside what the tree (or the proof's claim) allows."""

    code = "INVALID_TREE_SIZE"


class MalformedProof(TransparencyError, ValueError):
    """A proof with the wrong number of hashes, a hash that is not 32 bytes, bad JSON."""

    code = "MALFORMED_PROOF"


class RootMismatch(TransparencyError):
    """The proof does not lead to the root it should (the proof or the root is wrong)."""

    code = "ROOT_MISMATCH"

    def __init__(self, message: str, *, expected: bytes, computed: bytes) -> None:
        super().__init__(f"{message}: expected 0x{expected.hex()}, computed 0x{computed.hex()}")
        self.expected = expected
        self.computed = computed


class UnknownLeaf(TransparencyError):
    """No certificate record with that fingerprint in the tree (or not yet)."""

    status = 404
    code = "UNKNOWN_LEAF"


class LeafMismatch(TransparencyError):
    """The chain's record is not the leaf the proof claims (other data or position)."""

    code = "LEAF_MISMATCH"


class NoCheckpoint(TransparencyError):
    """No checkpoint anchored on chain covers the tree size asked for."""

    status = 404
    code = "NO_CHECKPOINT"


class CheckpointMismatch(TransparencyError):
    """A checkpoint's root differs from the one the chain's anchor holds, or from the tree
    rebuilt from the chain."""

    code = "CHECKPOINT_MISMATCH"


class OperationLogTampered(TransparencyError):
    """The operation log's hash chain is broken; ``findings`` says where and how."""

    status = 409
    code = "OPERATION_LOG_TAMPERED"

    def __init__(self, findings: list[object]) -> None:
        shown = "; ".join(str(f) for f in findings[:5])
        more = f" (+{len(findings) - 5} more)" if len(findings) > 5 else ""
        super().__init__(f"{len(findings)} finding(s): {shown}{more}")
        self.findings = findings


class WrongChain(TransparencyError):
    """The proof is for another chain (chain id) or deployment than the one asked."""

    code = "WRONG_CHAIN"
