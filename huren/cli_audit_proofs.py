"""``huren audit`` commands that check proofs and the operation log with the chain alone.

The lead mounts ``proofs_app``'s commands under ``huren audit``:

- ``verify-proof PROOF.json`` (or ``--node URL --fingerprint FP``): an inclusion proof; the
  record is read from the chain, the leaf rebuilt, the root checked against the checkpoint
  anchored in AuditAnchor (``--rebuild`` also rebuilds the tree from the chain's records);
- ``verify-consistency PROOF.json`` (or ``--node URL --first N [--second M]``);
- ``verify-oplog --database-url URL --stream ADDRESS``: a node's operation log against the
  heads its operator anchored.

The chain is ``--chain-url URL --chain-id ID`` (JSON-RPC) or ``--chain-dir DIR`` (an
embedded chain's directory, e.g. a stopped dev node's ``data/chain``). ``--deployment
FILE`` pins the contracts to trust; without it the proof's own addresses are used (and
printed). Exit status: 0 verified, 1 the check failed (the reason is printed), 2 bad usage.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from huren.registry.backend import ChainBackend
    from huren.registry.types import Deployment

proofs_app = typer.Typer(
    help="Check audit proofs and logs against the chain.", no_args_is_help=True
)
console = Console()

ChainUrl = Annotated[str | None, typer.Option(help="JSON-RPC URL of the consortium chain")]
ChainId = Annotated[int | None, typer.Option(help="the chain id (with --chain-url)")]
ChainDir = Annotated[Path | None, typer.Option(help="an embedded chain's directory instead")]
DeploymentFile = Annotated[
    Path | None, typer.Option(help="deployment.json naming the contracts to trust")
]
NodeUrl = Annotated[str | None, typer.Option(help="fetch the proof from this node's API")]
ApiKey = Annotated[
    str | None, typer.Option(help="an API key of that node", envvar="HUREN_AUDIT_API_KEY")
]
FETCH_TIMEOUT_S = 30


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _backend(chain_url: str | None, chain_id: int | None, chain_dir: Path | None) -> ChainBackend:
    from huren.registry.embedded import EmbeddedBackend
    from huren.registry.jsonrpc import JsonRpcBackend

    if (chain_url is None) == (chain_dir is None):
        raise _fail("name the chain: --chain-url URL --chain-id ID, or --chain-dir DIR")
    if chain_url is not None:
        if chain_id is None:
            raise _fail("--chain-url needs --chain-id (the chain id is pinned)")
        return JsonRpcBackend(chain_url, chain_id=chain_id)
    assert chain_dir is not None
    if not chain_dir.is_dir():
        raise _fail(f"{chain_dir} is not a chain directory")
    return EmbeddedBackend(chain_dir)


def _deployment(path: Path | None) -> Deployment | None:
    from huren.registry.deploy import load_deployment
    from huren.registry.errors_base import DeploymentMismatch

    if path is None:
        return None
    try:
        return load_deployment(path)
    except DeploymentMismatch as exc:
        raise _fail(str(exc)) from None


def _document(
    path: Path | None, node: str | None, api_key: str | None, route: str, query: dict[str, Any]
) -> Any:
    if (path is None) == (node is None):
        raise _fail("give a proof file, or --node URL to fetch one")
    if path is not None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _fail(f"{path}: {exc}") from None
    assert node is not None
    url = f"{node.rstrip('/')}{route}?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(url, headers={"X-API-Key": api_key or ""})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise _fail(f"the node answered {exc.code}: {detail}", 1) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _fail(f"cannot fetch {url}: {exc}") from None


def _checked(action: Any) -> Any:
    """Run a verification; a failed check exits 1 with its reason."""
    from huren.node.audit.proof_errors import TransparencyError
    from huren.registry.backend import BackendError
    from huren.registry.errors_base import RegistryError

    try:
        return action()
    except TransparencyError as exc:
        raise _fail(f"NOT VERIFIED ({exc.code}): {exc}", 1) from None
    except RegistryError as exc:
        raise _fail(f"NOT VERIFIED ({type(exc).__name__}): {exc}", 1) from None
    except BackendError as exc:
        raise _fail(f"the chain: {type(exc).__name__}: {exc}") from None


@proofs_app.command("verify-proof")
def verify_proof(
    proof: Annotated[
        Path | None, typer.Argument(help="a huren-inclusion-proof/1 JSON file")
    ] = None,
    node: NodeUrl = None,
    fingerprint: Annotated[str | None, typer.Option(help="with --node: the certificate")] = None,
    tree_size: Annotated[int | None, typer.Option(help="with --node: an anchored size")] = None,
    api_key: ApiKey = None,
    chain_url: ChainUrl = None,
    chain_id: ChainId = None,
    chain_dir: ChainDir = None,
    deployment: DeploymentFile = None,
    rebuild: Annotated[
        bool, typer.Option(help="also rebuild the tree from the chain's records")
    ] = False,
) -> None:
    """Check an inclusion proof of a certificate record using only the chain."""
    from huren.node.audit.proofs import InclusionProof
    from huren.node.audit.verify import verify_inclusion_on_chain

    query: dict[str, Any] = {"fingerprint": fingerprint or ""}
    if tree_size is not None:
        query["tree_size"] = tree_size
    if node is not None and not fingerprint:
        raise _fail("--node needs --fingerprint")
    raw = _document(proof, node, api_key, "/v1/audit/proofs/inclusion", query)
    parsed = _checked(lambda: InclusionProof.from_json(raw))
    trusted = _deployment(deployment)
    if trusted is None:
        console.print(
            f"contracts as the proof names them: registry {parsed.registry}, "
            f"anchor {parsed.audit_anchor} (pin them with --deployment)"
        )
    backend = _backend(chain_url, chain_id, chain_dir)
    try:
        ok = _checked(lambda: verify_inclusion_on_chain(parsed, backend, trusted, rebuild=rebuild))
    finally:
        backend.close()
    console.print(
        f"[green]VERIFIED[/green] certificate 0x{ok.fingerprint.hex()} is leaf {ok.leaf_index} "
        f"of the {ok.tree_size}-leaf tree with root 0x{ok.root.hex()}, anchored as checkpoint "
        f"{ok.checkpoint.index} by {ok.checkpoint.anchored_by} at {ok.checkpoint.timestamp}"
        + (" (tree rebuilt from the chain)" if ok.rebuilt else "")
    )


@proofs_app.command("verify-consistency")
def verify_consistency(
    proof: Annotated[Path | None, typer.Argument(help="a huren-consistency-proof/1 file")] = None,
    node: NodeUrl = None,
    first: Annotated[int | None, typer.Option(help="with --node: the earlier size")] = None,
    second: Annotated[int | None, typer.Option(help="with --node: the later size")] = None,
    api_key: ApiKey = None,
    chain_url: ChainUrl = None,
    chain_id: ChainId = None,
    chain_dir: ChainDir = None,
    deployment: DeploymentFile = None,
) -> None:
    """Check that one anchored tree is a prefix of a later one."""
    from huren.node.audit.proofs import ConsistencyProof
    from huren.node.audit.verify import verify_consistency_on_chain

    if node is not None and first is None:
        raise _fail("--node needs --first")
    query = {k: v for k, v in (("first", first), ("second", second)) if v is not None}
    raw = _document(proof, node, api_key, "/v1/audit/proofs/consistency", query)
    parsed = _checked(lambda: ConsistencyProof.from_json(raw))
    trusted = _deployment(deployment)
    backend = _backend(chain_url, chain_id, chain_dir)
    try:
        ok = _checked(lambda: verify_consistency_on_chain(parsed, backend, trusted))
    finally:
        backend.close()
    anchored = ", ".join(f"checkpoint {c.index} ({c.size} leaves)" for c in ok.checkpoints)
    console.print(
        f"[green]VERIFIED[/green] the {ok.size1}-leaf tree is a prefix of the {ok.size2}-leaf "
        f"tree; on chain: {anchored or 'no checkpoint cited'}"
    )


@proofs_app.command("verify-oplog")
def verify_oplog(
    database_url: Annotated[str, typer.Option(help="the node's database URL")],
    stream: Annotated[str, typer.Option(help="the node operator's account (its log stream)")],
    deployment: Annotated[Path, typer.Option(help="deployment.json of the consortium")],
    chain_url: ChainUrl = None,
    chain_id: ChainId = None,
    chain_dir: ChainDir = None,
) -> None:
    """Check a node's operation log (hash chain and anchored heads); list every finding."""
    from huren.node.audit.oplog import OperationLog, verify_operation_log
    from huren.node.audit.proof_errors import OperationLogTampered
    from huren.node.db.engine import make_engine
    from huren.registry.client_anchor import AnchorClient, CheckpointKind

    trusted = _deployment(deployment)
    assert trusted is not None
    backend = _backend(chain_url, chain_id, chain_dir)
    try:
        client = _checked(lambda: AnchorClient(backend, trusted))
        count = _checked(lambda: client.checkpoint_count(CheckpointKind.OPERATION_LOG, stream))
        anchors = [
            _checked(lambda i=i: client.checkpoint(CheckpointKind.OPERATION_LOG, i, stream))
            for i in range(count)
        ]
    finally:
        backend.close()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = OperationLog.rows(conn)
    finally:
        engine.dispose()
    try:
        result = verify_operation_log(rows, [(a.size, a.root) for a in anchors])
    except OperationLogTampered as exc:
        console.print(f"[red]NOT VERIFIED: {len(exc.findings)} finding(s)[/red]")
        for finding in exc.findings:
            console.print(f"  {finding}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]VERIFIED[/green] {result.size} rows, head 0x{result.head.hex()}, "
        f"{result.anchors_checked} anchored head(s) matched"
    )
