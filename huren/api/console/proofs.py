"""The certificate page's inclusion-proof section (``huren.node.console_proofs``) and the
proof document's download: the same ``huren-inclusion-proof/1`` document as
``GET /v1/audit/proofs/inclusion``, for the signed-in person (any role that may look
certificates up), to check with ``huren audit verify-proof`` and the chain alone.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from huren.api.console import session as cookies
from huren.api.console.deps import Allowed
from huren.api.console.roles import Permission
from huren.api.schemas import FINGERPRINT_PATTERN, parse_fingerprint
from huren.node.console_proofs import ProofSection, ProofStatus, proof_section

__all__ = ["VerifyCommands", "router", "section_context"]

router = APIRouter(prefix="/console/certificates", include_in_schema=False)
LookupSession = Annotated[cookies.Session, Allowed(Permission.LOOKUP_CERTIFICATES)]


@dataclass(frozen=True, slots=True)
class VerifyCommands:
    """Command lines that check the proof with the chain alone."""

    from_file: str
    from_node: str
    chain_note: str | None  # how to reach an embedded chain


def _section(request: Request, fingerprint: bytes, check: bool) -> ProofSection:
    node = request.app.state.node
    return proof_section(
        getattr(node, "audit", None),
        getattr(node, "deployment", None),
        fingerprint,
        check_on_chain=check,
    )


def _commands(request: Request, fingerprint: bytes) -> VerifyCommands:
    settings = request.app.state.node.settings
    chain_url = getattr(settings, "chain_url", None)
    chain_id = getattr(settings, "chain_id", None)
    note = None
    if chain_url is None:  # (the node's own paths are not shown: a platform reads this)
        chain = ["--chain-url", "CHAIN_URL", "--chain-id", "CHAIN_ID"]
        note = (
            "This node runs an embedded chain: give a JSON-RPC URL of the consortium's chain, "
            "or, with the node stopped, --chain-dir with the chain directory under its data "
            "directory (data/chain by default)."
        )
    else:
        chain = ["--chain-url", str(chain_url), "--chain-id", str(chain_id)]
    fp = fingerprint.hex()
    from_file = ["huren", "audit", "verify-proof", f"proof-{fp[:16]}.json", *chain]
    base = str(request.base_url).rstrip("/")
    from_node = ["huren", "audit", "verify-proof", "--node", base, "--fingerprint", fp,
                 "--api-key", "$HUREN_API_KEY", *chain]  # fmt: skip
    join = " ".join
    return VerifyCommands(
        join(shlex.quote(a) for a in from_file),
        join(a if a.startswith("$") else shlex.quote(a) for a in from_node),
        note,
    )


def section_context(request: Request, fingerprint: bytes) -> dict[str, Any]:
    """The template context of the section (``console/_inclusion_proof.html``); the node
    checks the proof against its chain as well (one log read and one call)."""
    return {
        "proof_section": _section(request, fingerprint, True),
        "verify_commands": _commands(request, fingerprint),
        "ProofStatus": ProofStatus,
    }


@router.get("/proof.json")
async def proof_document(
    request: Request,
    found: LookupSession,
    fingerprint: Annotated[str, Query(pattern=FINGERPRINT_PATTERN)],
) -> Response:
    """The proof as a file to keep and verify; 404 (text) while no checkpoint covers the
    record, 503 without an AuditAnchor."""
    fp = parse_fingerprint(fingerprint)
    section = await run_in_threadpool(_section, request, fp, False)
    document = section.document
    if document is None:
        status = 503 if section.status == ProofStatus.UNAVAILABLE else 404
        text = {
            ProofStatus.UNAVAILABLE: "this node's deployment has no AuditAnchor: no proofs",
            ProofStatus.NOT_IN_TREE: "no such certificate record in the node's tree (yet)",
            ProofStatus.NOT_ANCHORED: "no anchored checkpoint covers the record yet",
        }[section.status]
        return Response(text, status, media_type="text/plain")
    body = json.dumps(document, indent=2) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="proof-{fp.hex()[:16]}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
