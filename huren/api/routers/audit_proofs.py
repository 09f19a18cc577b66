"""Audit proofs: inclusion of a certificate record in the anchored Merkle tree, consistency
between two tree sizes, and the checkpoints anchored on chain (any authenticated caller;
auditors read only). Documents are those of ``huren.node.audit.proofs``, described in
docs/audit-proofs.md; ``huren audit verify-proof`` checks them against the chain alone.

Errors (problem JSON): 404 ``UNKNOWN_LEAF`` (no such record in the tree yet),
404 ``NO_CHECKPOINT`` (no anchored checkpoint covers it yet), 422 ``INVALID_TREE_SIZE``,
503 ``AUDIT_UNAVAILABLE`` (the deployment has no AuditAnchor).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol, cast

from fastapi import APIRouter, Query, Request

from huren.api.deps import CallerDep, NodeDep
from huren.api.problems import PROBLEM_RESPONSES, ApiProblem, problem_response
from huren.api.schemas import FINGERPRINT_PATTERN, parse_fingerprint
from huren.node.audit.checkpoints import AuditService, StoredCheckpoint, checkpoints, latest
from huren.node.audit.proofs import CheckpointRef, build_consistency, build_inclusion
from huren.registry.abi import checksum
from huren.registry.client_anchor import CERTIFICATE_TREE_STREAM, CheckpointKind
from huren.registry.errors_base import InvalidIdentifier
from huren.registry.types import Deployment

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=PROBLEM_RESPONSES)

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: problem_response("UNKNOWN_LEAF or NO_CHECKPOINT"),
    503: problem_response("AUDIT_UNAVAILABLE: the deployment has no AuditAnchor"),
}
MAX_PAGE = 500
KINDS = {
    "certificate_tree": CheckpointKind.CERTIFICATE_TREE,
    "operation_log": CheckpointKind.OPERATION_LOG,
}


class AuditNode(Protocol):
    @property
    def deployment(self) -> Deployment: ...

    @property
    def audit(self) -> AuditService | None: ...


def _audit(request: Request) -> tuple[AuditService, Deployment]:
    node = cast(AuditNode, request.app.state.node)
    service = getattr(node, "audit", None)
    if service is None:
        raise ApiProblem(
            503, "AUDIT_UNAVAILABLE", "this node's deployment has no AuditAnchor contract"
        )
    return service, node.deployment


@router.get("/proofs/inclusion", responses=RESPONSES)
def inclusion(
    request: Request,
    _: CallerDep,
    __: NodeDep,
    fingerprint: Annotated[str, Query(pattern=FINGERPRINT_PATTERN, description="SHA-256 of DER")],
    tree_size: Annotated[
        int | None,
        Query(ge=1, description="an anchored tree size; default the latest checkpoint"),
    ] = None,
) -> dict[str, Any]:
    """The inclusion proof (``huren-inclusion-proof/1``) of a certificate's record in the
    tree of an anchored checkpoint."""
    service, deployment = _audit(request)
    with service.engine.connect() as conn:
        proof = build_inclusion(
            conn, service.tree, deployment, parse_fingerprint(fingerprint), tree_size
        )
    return proof.to_json()


@router.get("/proofs/consistency", responses=RESPONSES)
def consistency(
    request: Request,
    _: CallerDep,
    __: NodeDep,
    first: Annotated[int, Query(ge=0, description="the earlier tree size")],
    second: Annotated[
        int | None, Query(ge=0, description="the later tree size; default the latest checkpoint")
    ] = None,
) -> dict[str, Any]:
    """The consistency proof (``huren-consistency-proof/1``) between two tree sizes, with the
    checkpoints that anchored them."""
    service, deployment = _audit(request)
    with service.engine.connect() as conn:
        if second is None:
            newest = latest(conn, CheckpointKind.CERTIFICATE_TREE)
            if newest is None:
                raise ApiProblem(404, "NO_CHECKPOINT", "no checkpoint is anchored yet")
            second = newest.size
        proof = build_consistency(conn, service.tree, deployment, first, second)
    return proof.to_json()


def _checkpoint_json(c: StoredCheckpoint) -> dict[str, Any]:
    return {
        "kind": c.kind.name.lower(),
        "stream": c.stream,
        **CheckpointRef.of(c).to_json(),
        "block_hash": "0x" + c.block_hash.hex(),
        "log_index": c.log_index,
    }


@router.get("/checkpoints", responses=RESPONSES)
def list_checkpoints(
    request: Request,
    _: CallerDep,
    __: NodeDep,
    kind: Annotated[Literal["certificate_tree", "operation_log"], Query()] = "certificate_tree",
    stream: Annotated[
        str | None,
        Query(description="an operation log's member account (the tree has one stream)"),
    ] = None,
    after: Annotated[int, Query(ge=-1, description="list checkpoints after this index")] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> list[dict[str, Any]]:
    """Checkpoints anchored on chain (by any member), oldest first, with their evidence."""
    service, _deployment = _audit(request)
    if kind == "certificate_tree":
        if stream is not None:
            raise ApiProblem(422, "STREAM_NOT_ALLOWED", "the certificate tree has one stream")
        chosen = CERTIFICATE_TREE_STREAM
    else:
        if stream is None:
            raise ApiProblem(422, "STREAM_REQUIRED", "name the member whose log to list")
        try:
            chosen = checksum(stream)
        except ValueError as exc:
            raise InvalidIdentifier(f"not an address: {stream!r}") from exc
    with service.engine.connect() as conn:
        found = checkpoints(conn, KINDS[kind], chosen, after=after, limit=limit)
    return [_checkpoint_json(c) for c in found]
