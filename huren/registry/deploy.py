"""Deploying the contracts, and keeping the resulting ``Deployment`` in a file.

Nodes store the deployment next to their data: it is the only thing that tells them where
the contracts are and from which block to replay events.

File formats: ``huren-deployment/2`` names Consortium, CertificateRegistry and AuditAnchor;
``huren-deployment/1`` (written before AuditAnchor existed) still loads, with
``audit_anchor`` None: such a node runs without anchoring checkpoints, and the audit commands
that need the anchor say so (``huren.registry.client_anchor.AnchorClient`` raises
``DeploymentMismatch``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount

from huren.contracts.artifacts import load
from huren.registry.abi import checksum
from huren.registry.backend import ChainBackend, Receipt, TransactionReverted, TxRequest
from huren.registry.errors_base import DeploymentMismatch, RegistryError, decode_revert
from huren.registry.types import Deployment

__all__ = ["FoundingMember", "deploy", "load_deployment", "save_deployment"]

FORMAT = "huren-deployment/2"
FORMATS = ("huren-deployment/1", FORMAT)  # /1 has no audit_anchor


@dataclass(frozen=True, slots=True)
class FoundingMember:
    """A center admitted at deployment, without a vote."""

    account: str
    name: str
    region_code: int  # GB/T 2260 six-digit administrative region code


def deploy(
    backend: ChainBackend,
    deployer: LocalAccount,
    founders: Sequence[FoundingMember],
    voting_period: int,
) -> Deployment:
    """Deploy Consortium (with ``founders`` and ``voting_period`` seconds per proposal), then
    CertificateRegistry and AuditAnchor trusting it. The deployer gets no rights in any."""
    consortium_args = encode(
        ["address[]", "string[]", "uint32[]", "uint64"],
        [
            [checksum(f.account) for f in founders],
            [f.name for f in founders],
            [f.region_code for f in founders],
            voting_period,
        ],
    )
    first = _create(backend, deployer, load("Consortium").bytecode + consortium_args)
    consortium = first.contract_address
    assert consortium is not None
    registry_args = encode(["address"], [consortium])
    second = _create(backend, deployer, load("CertificateRegistry").bytecode + registry_args)
    assert second.contract_address is not None
    third = _create(backend, deployer, load("AuditAnchor").bytecode + registry_args)
    assert third.contract_address is not None
    return Deployment(
        consortium=checksum(consortium),
        registry=checksum(second.contract_address),
        block_number=first.block_number,
        chain_id=backend.chain_id,
        audit_anchor=checksum(third.contract_address),
    )


def _create(backend: ChainBackend, deployer: LocalAccount, init_code: bytes) -> Receipt:
    try:
        receipt = backend.send(TxRequest(sender=deployer, to=None, data=init_code))
    except TransactionReverted as exc:
        raise decode_revert(exc.revert_data, exc.transaction_hash) from exc
    if receipt.contract_address is None:
        raise RegistryError("deployment receipt names no contract")
    return receipt


def save_deployment(path: Path | str, deployment: Deployment) -> None:
    """Write ``deployment`` as JSON, atomically (a crash leaves the old file or the new)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fields = asdict(deployment)
    file_format = FORMAT
    if deployment.audit_anchor is None:  # a deployment from before AuditAnchor stays /1
        del fields["audit_anchor"]
        file_format = FORMATS[0]
    text = json.dumps({"format": file_format, **fields}, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_deployment(path: Path | str) -> Deployment:
    """Read a file written by ``save_deployment``; ``DeploymentMismatch`` when malformed."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        if raw.get("format") not in FORMATS:
            raise ValueError(f"format {raw.get('format')!r}, expected one of {FORMATS}")
        anchor = raw["audit_anchor"] if raw["format"] == FORMAT else None
        numbers = (raw["block_number"], raw["chain_id"])
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise ValueError("block_number and chain_id must be non-negative integers")
        return Deployment(
            consortium=checksum(raw["consortium"]),
            registry=checksum(raw["registry"]),
            block_number=raw["block_number"],
            chain_id=raw["chain_id"],
            audit_anchor=None if anchor is None else checksum(anchor),  # /2: never None
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DeploymentMismatch(f"{path}: not a deployment file: {exc}") from exc
