"""The typed client of the AuditAnchor contract: anchoring checkpoints and reading them.

``AnchorClient(backend, deployment, account=None)`` has one method per external function of
AuditAnchor, in snake_case, with the conventions of ``RegistryClient``: writes sign with
``account`` and return ``AnchorResult`` (the receipt and the checkpoint's number), views
return ``AnchoredCheckpoint`` and take ``block=``, reverts raise the generated
``huren.registry.errors`` classes (``AuditAnchorSizeNotIncreasing`` ...).

A deployment from before AuditAnchor existed (``audit_anchor`` None) raises
``DeploymentMismatch`` when the client is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_abi.abi import decode, encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from huren.registry.abi import checksum, function_selectors
from huren.registry.backend import BlockId, ChainBackend, RawLog
from huren.registry.client_core import ClientCore, TxResult, b32
from huren.registry.errors_base import DeploymentMismatch, EventDecodeError
from huren.registry.types import Deployment

__all__ = [
    "CERTIFICATE_TREE_STREAM",
    "AnchorClient",
    "AnchorResult",
    "AnchoredCheckpoint",
    "CheckpointKind",
    "decode_checkpoint_anchored",
]

F = function_selectors("AuditAnchor")
CHECKPOINT_ANCHORED = keccak(
    text="CheckpointAnchored(uint8,address,uint256,uint64,bytes32,uint64,address)"
)
CERTIFICATE_TREE_STREAM = "0x" + "00" * 20  # the certificate tree's one stream
_CHECKPOINT_TYPES = ["uint64", "bytes32", "uint64", "address"]


class CheckpointKind(IntEnum):
    """AuditAnchor's KIND_* constants."""

    CERTIFICATE_TREE = 1
    OPERATION_LOG = 2


@dataclass(frozen=True, slots=True)
class AnchoredCheckpoint:
    """Checkpoint number ``index`` of a stream: ``size`` leaves (or log rows) with root (or
    head hash) ``root``, anchored by member ``anchored_by`` at block time ``timestamp``."""

    kind: CheckpointKind
    stream: str
    index: int
    size: int
    root: bytes
    timestamp: int
    anchored_by: str


@dataclass(frozen=True, slots=True)
class AnchorResult(TxResult):
    """An anchoring transaction and the checkpoint it added."""

    checkpoint: AnchoredCheckpoint


def decode_checkpoint_anchored(log: RawLog) -> AnchoredCheckpoint:
    """A ``CheckpointAnchored`` log as the checkpoint it anchored."""
    if len(log.topics) != 4 or log.topics[0] != CHECKPOINT_ANCHORED:
        raise EventDecodeError(f"log {log.block_number}/{log.log_index} is no CheckpointAnchored")
    size, root, timestamp, by = decode(_CHECKPOINT_TYPES, log.data)
    return AnchoredCheckpoint(
        kind=CheckpointKind(int.from_bytes(log.topics[1], "big")),
        stream=checksum(log.topics[2][12:]),
        index=int.from_bytes(log.topics[3], "big"),
        size=size,
        root=root,
        timestamp=timestamp,
        anchored_by=checksum(by),
    )


class AnchorClient(ClientCore):
    """Typed access to one deployment's AuditAnchor (see the module docstring)."""

    def __init__(
        self, backend: ChainBackend, deployment: Deployment, account: LocalAccount | None = None
    ) -> None:
        super().__init__(backend, deployment, account)
        if self.deployment.audit_anchor is None:
            raise DeploymentMismatch(
                "this deployment has no AuditAnchor (a huren-deployment/1 file): "
                "deploy AuditAnchor and add it to the deployment to anchor checkpoints"
            )
        self.anchor_address: str = self.deployment.audit_anchor

    # -- writes ------------------------------------------------------------------------------

    def anchor_certificate_tree(
        self, size: int, root: bytes, consistency: Sequence[bytes] = ()
    ) -> AnchorResult:
        """Anchor the certificate tree at ``size`` leaves with ``root``; members only,
        ``size`` must exceed the latest anchored one, and ``consistency`` is the RFC 9162
        consistency proof from the latest checkpoint's tree (empty for the first)."""
        proof = [b32(h, "consistency proof hash") for h in consistency]
        data = F["anchorCertificateTree"] + encode(
            ["uint64", "bytes32", "bytes32[]"], [size, b32(root, "root"), proof]
        )
        return self._anchored(data)

    def anchor_operation_log(self, size: int, head: bytes) -> AnchorResult:
        """Anchor the caller's operation log at ``size`` rows with head hash ``head``."""
        data = F["anchorOperationLog"] + encode(["uint64", "bytes32"], [size, b32(head, "head")])
        return self._anchored(data)

    def _anchored(self, data: bytes) -> AnchorResult:
        receipt = self._send(self.anchor_address, data)
        anchored = [
            decode_checkpoint_anchored(log)
            for log in receipt.logs
            if log.topics and log.topics[0] == CHECKPOINT_ANCHORED
        ]
        if len(anchored) != 1:
            raise EventDecodeError("an anchoring transaction without one CheckpointAnchored")
        return AnchorResult(receipt, anchored[0])

    # -- views -------------------------------------------------------------------------------

    def checkpoint_count(
        self,
        kind: CheckpointKind,
        stream: str = CERTIFICATE_TREE_STREAM,
        *,
        block: BlockId = "latest",
    ) -> int:
        """Checkpoints in the stream (the certificate tree's, or a member's operation log)."""
        data = F["checkpointCount"] + encode(["uint8", "address"], [int(kind), checksum(stream)])
        return int.from_bytes(self._call(self.anchor_address, data, block), "big")

    def checkpoint(
        self,
        kind: CheckpointKind,
        index: int,
        stream: str = CERTIFICATE_TREE_STREAM,
        *,
        block: BlockId = "latest",
    ) -> AnchoredCheckpoint:
        """Checkpoint number ``index``; raises ``AuditAnchorUnknownCheckpoint``."""
        args = encode(["uint8", "address", "uint256"], [int(kind), checksum(stream), index])
        raw = self._call(self.anchor_address, F["checkpoint"] + args, block)
        return _checkpoint(kind, stream, index, decode(_CHECKPOINT_TYPES, raw))

    def latest_checkpoint(
        self,
        kind: CheckpointKind,
        stream: str = CERTIFICATE_TREE_STREAM,
        *,
        block: BlockId = "latest",
    ) -> AnchoredCheckpoint:
        """The stream's latest checkpoint; raises ``AuditAnchorUnknownCheckpoint`` when empty."""
        args = encode(["uint8", "address"], [int(kind), checksum(stream)])
        raw = self._call(self.anchor_address, F["latestCheckpoint"] + args, block)
        index, *fields = decode(["uint256", *_CHECKPOINT_TYPES], raw)
        return _checkpoint(kind, stream, index, tuple(fields))

    def anchor_consortium(self, *, block: BlockId = "latest") -> str:
        """The Consortium whose members may anchor (should equal the deployment's)."""
        return checksum(self._call(self.anchor_address, F["consortium"], block)[12:32])

    def checkpoints_anchored(
        self, from_block: int, to_block: int, kind: CheckpointKind | None = None
    ) -> list[AnchoredCheckpoint]:
        """The checkpoints anchored in blocks ``from_block..to_block``, in chain order, read
        from the CheckpointAnchored events (``kind`` filters)."""
        logs = self.backend.get_logs(
            from_block, to_block, [self.anchor_address], [CHECKPOINT_ANCHORED]
        )
        out = [decode_checkpoint_anchored(x) for x in logs]
        return [c for c in out if kind is None or c.kind == kind]


def _checkpoint(
    kind: CheckpointKind, stream: str, index: int, fields: tuple[object, ...]
) -> AnchoredCheckpoint:
    size, root, timestamp, by = fields
    assert isinstance(size, int) and isinstance(root, bytes) and isinstance(timestamp, int)
    return AnchoredCheckpoint(
        CheckpointKind(kind), checksum(stream), index, size, root, timestamp, checksum(str(by))
    )
