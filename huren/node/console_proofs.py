"""The inclusion-proof section of the console's certificate page: where a certificate record
stands in the node's Merkle tree (``huren.node.audit``), the RFC 9162 inclusion proof to the
latest checkpoint anchored in AuditAnchor when one covers it, and the node's own check of
that proof against the chain (``verify_inclusion_on_chain``: the record's log, the leaf
rebuilt from it, the audit path to the root, the checkpoint read from the contract).

The node checking its own proof shows that its database and the chain agree; it is no
independent verification. The page therefore also offers the proof document for download,
the ``huren audit verify-proof`` command that checks it with the chain alone, and a check of
the audit path in the browser (``console.js``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from huren.node.audit.checkpoints import AnchorPolicy, AuditService, StoredCheckpoint, latest
from huren.node.audit.proof_errors import NoCheckpoint, TransparencyError, UnknownLeaf
from huren.node.audit.proofs import InclusionProof, build_inclusion
from huren.node.audit.tree_store import CertificateTree
from huren.node.audit.verify import verify_inclusion_on_chain
from huren.registry.backend import BackendError
from huren.registry.client_anchor import CheckpointKind
from huren.registry.errors_base import RegistryError
from huren.registry.types import Deployment

__all__ = ["ChainCheck", "ProofSection", "ProofStatus", "proof_section"]


class ProofStatus(StrEnum):
    UNAVAILABLE = "unavailable"  # the deployment has no AuditAnchor: no tree, no proofs
    NOT_IN_TREE = "not-in-tree"  # the node's tree has not taken the record in (yet)
    NOT_ANCHORED = "not-anchored"  # in the tree, after the latest anchored checkpoint
    PROVEN = "proven"  # in the tree of the latest checkpoint: the proof is there


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The node's check of the proof against its chain: held, or the error's code."""

    ok: bool
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class ProofSection:
    status: ProofStatus
    tree_size: int | None = None  # the node's tree now
    leaf_index: int | None = None
    latest: StoredCheckpoint | None = None  # the latest certificate-tree checkpoint
    policy: AnchorPolicy | None = None
    proof: InclusionProof | None = None
    check: ChainCheck | None = None

    @property
    def document(self) -> dict[str, Any] | None:
        return None if self.proof is None else self.proof.to_json()


def proof_section(
    audit: AuditService | None,
    deployment: Deployment | None,
    fingerprint: bytes,
    *,
    check_on_chain: bool = True,
) -> ProofSection:
    """Where ``fingerprint``'s record stands; with its proof (and the node's check of it on
    the chain) when the latest anchored checkpoint covers it."""
    if audit is None or deployment is None or deployment.audit_anchor is None:
        return ProofSection(ProofStatus.UNAVAILABLE)
    with audit.engine.connect() as conn:
        size = CertificateTree.size(conn)
        newest = latest(conn, CheckpointKind.CERTIFICATE_TREE)
        section = ProofSection(ProofStatus.NOT_IN_TREE, size, None, newest, audit.policy)
        try:
            leaf = audit.tree.leaf(conn, fingerprint)
        except UnknownLeaf:
            return section
        section = replace(section, status=ProofStatus.NOT_ANCHORED, leaf_index=leaf.leaf_index)
        try:
            proof = build_inclusion(conn, audit.tree, deployment, fingerprint)
        except NoCheckpoint:
            return section
    check = _check(proof, audit, deployment) if check_on_chain else None
    return replace(section, status=ProofStatus.PROVEN, proof=proof, check=check)


def _check(proof: InclusionProof, audit: AuditService, deployment: Deployment) -> ChainCheck:
    try:
        verified = verify_inclusion_on_chain(proof, audit.backend, deployment)
    except TransparencyError as exc:
        return ChainCheck(False, exc.code, str(exc))
    except RegistryError as exc:  # a contract call refused (typed by the registry)
        return ChainCheck(False, type(exc).__name__, str(exc))
    except BackendError as exc:  # the chain could not be asked: no verdict either way
        return ChainCheck(False, "CHAIN_UNAVAILABLE", f"the chain could not be read: {exc}")
    anchored = verified.checkpoint
    return ChainCheck(
        True,
        "VERIFIED",
        f"leaf {verified.leaf_index} of {verified.tree_size}: the record's log, the leaf "
        f"rebuilt from it, the audit path to the root, and AuditAnchor's checkpoint "
        f"{anchored.index} ({anchored.size} leaves, the same root) all hold",
    )
