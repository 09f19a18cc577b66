"""Checking proof documents with nothing but the chain (what ``huren audit verify-proof``
runs): no node database, no trust in the node that served the proof.

Inclusion: the CertificateRecorded log the proof cites is read from the chain (block,
log index, block hash, fingerprint must match), the leaf is rebuilt from it
(``huren.node.audit.leaf``), the audit path must lead to the proof's root, and that root
must be the one AuditAnchor holds for the cited checkpoint at that tree size. With
``rebuild`` the whole tree up to that size is rebuilt from the chain's logs as well, which
shows the anchored root is the chain's tree and not a tree some member made up.

Consistency: the proof must hold between its two roots, and each cited checkpoint must be
on chain with that size and root.
"""

from __future__ import annotations

from dataclasses import dataclass

from huren.node.audit.leaf import CERTIFICATE_RECORDED, certificate_leaf
from huren.node.audit.merkle import MemoryTree, leaf_hash, verify_consistency, verify_inclusion
from huren.node.audit.proof_errors import CheckpointMismatch, LeafMismatch, WrongChain
from huren.node.audit.proofs import CheckpointRef, ConsistencyProof, InclusionProof
from huren.registry.abi import ZERO_ADDRESS, checksum
from huren.registry.backend import ChainBackend
from huren.registry.client_anchor import AnchorClient, AnchoredCheckpoint, CheckpointKind
from huren.registry.errors import AuditAnchorUnknownCheckpoint
from huren.registry.types import Deployment

__all__ = [
    "ConsistencyVerified",
    "InclusionVerified",
    "verify_consistency_on_chain",
    "verify_inclusion_on_chain",
]

LOG_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class InclusionVerified:
    fingerprint: bytes
    leaf_index: int
    tree_size: int
    root: bytes
    checkpoint: AnchoredCheckpoint
    rebuilt: bool


@dataclass(frozen=True, slots=True)
class ConsistencyVerified:
    size1: int
    size2: int
    checkpoints: tuple[AnchoredCheckpoint, ...]


def _addresses(
    chain_id: int, registry: str | None, anchor: str, deployment: Deployment | None
) -> Deployment:
    """The deployment to check against: the trusted one when given (the proof must name
    the same contracts), else the proof's own addresses."""
    if deployment is None:
        return Deployment(ZERO_ADDRESS, checksum(registry or ZERO_ADDRESS), 0, chain_id, anchor)
    if deployment.chain_id != chain_id:
        raise WrongChain(f"the proof is for chain {chain_id}, the deployment {deployment.chain_id}")
    named = (checksum(anchor), None if registry is None else checksum(registry))
    if named != (deployment.audit_anchor, None if registry is None else deployment.registry):
        raise WrongChain("the proof names other contracts than the deployment")
    return deployment


def _on_chain(
    client: AnchorClient, ref: CheckpointRef, size: int, root: bytes
) -> AnchoredCheckpoint:
    try:
        anchored = client.checkpoint(CheckpointKind.CERTIFICATE_TREE, ref.index)
    except AuditAnchorUnknownCheckpoint as exc:
        raise CheckpointMismatch(f"the chain holds no checkpoint {ref.index}: {exc}") from exc
    if anchored.size != size or anchored.root != root:
        raise CheckpointMismatch(
            f"checkpoint {ref.index} on chain anchors {anchored.size} leaves with root "
            f"0x{anchored.root.hex()}, not {size} with 0x{root.hex()}"
        )
    return anchored


def verify_inclusion_on_chain(
    proof: InclusionProof,
    backend: ChainBackend,
    deployment: Deployment | None = None,
    *,
    rebuild: bool = False,
) -> InclusionVerified:
    """Check ``proof`` against the chain (see the module docstring); raises
    ``TransparencyError`` subclasses (or the registry's typed errors), returns what held."""
    if backend.chain_id != proof.chain_id:
        raise WrongChain(f"the proof is for chain {proof.chain_id}, this is {backend.chain_id}")
    d = _addresses(proof.chain_id, proof.registry, proof.audit_anchor, deployment)
    logs = backend.get_logs(
        proof.block_number, proof.block_number, [d.registry], [CERTIFICATE_RECORDED]
    )
    entry = next((x for x in logs if x.log_index == proof.log_index), None)
    if entry is None:
        raise LeafMismatch(
            f"the chain has no CertificateRecorded at block {proof.block_number}, "
            f"log {proof.log_index}"
        )
    if entry.block_hash != proof.block_hash:
        raise LeafMismatch(f"block {proof.block_number} is not the one the proof cites")
    if entry.topics[1] != proof.fingerprint:
        raise LeafMismatch("the chain's record there is another certificate's")
    leaf = certificate_leaf(
        d.registry, entry.block_number, entry.log_index, entry.topics, entry.data
    )
    if leaf != proof.leaf_data:
        raise LeafMismatch("the proof's leaf data differ from the chain's record")
    verify_inclusion(
        proof.leaf_index, proof.tree_size, leaf_hash(leaf), proof.audit_path, proof.root
    )
    anchored = _on_chain(AnchorClient(backend, d), proof.checkpoint, proof.tree_size, proof.root)
    if rebuild:
        rebuilt = _rebuild_root(backend, d, proof.tree_size, max(d.block_number, 0))
        if rebuilt != anchored.root:
            raise CheckpointMismatch(
                f"the chain's first {proof.tree_size} records make root 0x{rebuilt.hex()}, "
                f"not the anchored 0x{anchored.root.hex()}"
            )
    return InclusionVerified(
        proof.fingerprint, proof.leaf_index, proof.tree_size, proof.root, anchored, rebuild
    )


def _rebuild_root(backend: ChainBackend, d: Deployment, size: int, start: int) -> bytes:
    tree = MemoryTree()
    head = backend.block_number()
    for lo in range(start, head + 1, LOG_CHUNK):
        hi = min(lo + LOG_CHUNK - 1, head)
        for x in backend.get_logs(lo, hi, [d.registry], [CERTIFICATE_RECORDED]):
            tree.append(
                leaf_hash(
                    certificate_leaf(d.registry, x.block_number, x.log_index, x.topics, x.data)
                )
            )
            if tree.size == size:
                return tree.root()
    raise CheckpointMismatch(f"the chain holds {tree.size} records, fewer than {size}")


def verify_consistency_on_chain(
    proof: ConsistencyProof, backend: ChainBackend, deployment: Deployment | None = None
) -> ConsistencyVerified:
    """Check ``proof`` and the checkpoints it cites against the chain."""
    if backend.chain_id != proof.chain_id:
        raise WrongChain(f"the proof is for chain {proof.chain_id}, this is {backend.chain_id}")
    d = _addresses(proof.chain_id, None, proof.audit_anchor, deployment)
    verify_consistency(proof.size1, proof.size2, proof.proof, proof.root1, proof.root2)
    client = AnchorClient(backend, d)
    anchored = []
    if proof.first is not None:
        anchored.append(_on_chain(client, proof.first, proof.size1, proof.root1))
    if proof.second is not None:
        anchored.append(_on_chain(client, proof.second, proof.size2, proof.root2))
    return ConsistencyVerified(proof.size1, proof.size2, tuple(anchored))
