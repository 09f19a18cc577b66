"""Generate huren/registry/errors.py: one exception class per custom error of the contracts.

    python scripts/gen_registry_errors.py          # rewrite the file
    python scripts/gen_registry_errors.py --check  # exit 1 when it differs from the ABIs

Why generated: the classes must match the committed ABIs exactly (names, parameter order and
types decide the selector), and a test runs ``--check`` logic so a contract change that is
not regenerated fails CI. The messages below are the only hand-written part.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from huren.contracts.artifacts import load  # noqa: E402

TARGET = ROOT / "huren" / "registry" / "errors.py"
CONTRACTS = ("Consortium", "CertificateRegistry", "AuditAnchor")
ID_PARAMS = {"caId", "platformId"}  # bytes32 ids that read as text (see huren.registry.ids)
ENUM_PARAMS = {
    ("ProposalNotOpen", "status"): "ProposalStatus",
    ("WrongCertificateKind", "expected"): "CertificateKind",
    ("WrongCertificateKind", "actual"): "CertificateKind",
}
BASE_NAMES = [
    "BatchTooLarge",
    "ContractError",
    "DeploymentMismatch",
    "EmptyRevert",
    "EventDecodeError",
    "InvalidCertificateInput",
    "InvalidIdentifier",
    "Panic",
    "RegistryError",
    "RevertMessage",
    "UnrecognizedRevert",
    "decode_revert",
    "error_classes",
]
RESERVED = {"message", "signature", "selector", "fields", "abi_types", "revert_data", "args"}

MESSAGES = {
    # OpenZeppelin AccessControl
    "AccessControlBadConfirmation": "renounceRole must name the caller's own account",
    "AccessControlUnauthorizedAccount": "{account} lacks role {needed_role}",
    # Consortium
    "AlreadyAMember": "{account} is already a member",
    "AlreadyVoted": "{voter} already voted on proposal {id}",
    "CaNotAccredited": "CA {ca_id} is not accredited",
    "EmptyName": "the name is empty",
    "InvalidId": "the id is zero",
    "InvalidQuorum": "quorum {quorum_percent}% is outside 50..99",
    "InvalidRegionCode": "region code {region_code} is not six digits",
    "InvalidVotingPeriod": "voting period {voting_period} s is invalid",
    "IssuerKeyTaken": "issuer key {issuer_key_id} belongs to CA {ca_id}",
    "LastCaOperator": "{operator} is the last operator of CA {ca_id}",
    "LastMember": "{account} is the last member",
    "LengthMismatch": "expected {expected} items, got {actual}",
    "MembershipNotRenounceable": "members leave only through a proposal",
    "NoIssuerKeys": "CA {ca_id} needs at least one issuer key",
    "NoOperators": "CA {ca_id} needs at least one operator",
    "NoFounders": "a consortium needs at least one founding member",
    "DuplicateIssuerKey": "issuer key {issuer_key_id} is listed twice",
    "QuorumNotReached": "proposal {id} is undecided: {yes} yes, {no} no of {members} members",
    "OutOfScope": "certificate {fingerprint} is regional to another center than platform "
    "{platform_id}'s",
    "NotAMember": "{account} is not an active member",
    "NotCaOperator": "{account} does not operate CA {ca_id}",
    "PlatformAlreadyRegistered": "platform {platform_id} is already registered",
    "PlatformNotActive": "platform {platform_id} is retired",
    "ProposalNotOpen": "proposal {id} is {status}, not open",
    "UnknownCa": "no CA {ca_id}",
    "UnknownIssuerKey": "issuer key {issuer_key_id} is not one of CA {ca_id}'s",
    "UnknownPlatform": "no platform {platform_id}",
    "UnknownProposal": "no proposal {id}",
    "ZeroAddress": "the zero address is not allowed",
    # CertificateRegistry
    "AlreadyBound": "{fingerprint} is already bound to platform {platform_id}",
    "AlreadyRevoked": "{fingerprint} is already revoked",
    "CertificateAlreadyRecorded": "{fingerprint} is already recorded",
    "CertificateNotActive": "{fingerprint} is revoked or outside its validity",
    "EmptyBatch": "the batch is empty",
    "EmptyEvidence": "the evidence hash is zero",
    "EmptyHolderCommitment": "{fingerprint} has no holder commitment",
    "InvalidAction": "action {action} is not 0 or a single right bit",
    "InvalidKind": "{fingerprint} has invalid kind {kind}",
    "InvalidRevocationReason": "{fingerprint}: revocation reason {reason} is not allowed",
    "InvalidRights": "rights {rights} are not a non-empty subset of 31",
    "InvalidScope": "{fingerprint}: scope {scope} with center {center} is invalid",
    "InvalidUsage": "{fingerprint} has invalid key usage {usage}",
    "InvalidValidity": "{fingerprint}: validity {not_before}..{not_after} is invalid",
    "NotAuthorized": "{staff_fingerprint} holds no authorization at platform {platform_id}",
    "NotBound": "{fingerprint} is not bound to platform {platform_id}",
    "NotPlatformCenter": "{account} is not the center of platform {platform_id}",
    "UnknownCertificate": "no certificate {fingerprint}",
    "UnknownPredecessor": "{fingerprint}: predecessor {predecessor} is not recorded",
    "WrongCertificateKind": "{fingerprint} is a {actual} certificate, expected {expected}",
    "ZeroFingerprint": "the fingerprint is zero",
    # AuditAnchor
    "AuditAnchorEmptyRoot": "a checkpoint's root is zero",
    "AuditAnchorInconsistentTree": "no consistency from {latest_size} to {size} leaves",
    "AuditAnchorInvalidKind": "checkpoint kind {kind} is neither 1 (certificate tree) nor 2 "
    "(operation log)",
    "AuditAnchorSizeNotIncreasing": "stream {stream} of kind {kind} already holds size "
    "{latest_size}; {size} does not exceed it",
    "AuditAnchorUnauthorizedAccount": "{account} is not a member and may not anchor",
    "AuditAnchorUnknownCheckpoint": "no checkpoint {index} in stream {stream} of kind {kind} "
    "(it holds {count})",
}

HEADER = '''"""One exception class per custom error of the contracts (Consortium,
CertificateRegistry, AuditAnchor).

GENERATED by scripts/gen_registry_errors.py from the committed ABIs; do not edit (change the
messages there and rerun). Errors with the same signature in several contracts share a class.
Roots, ``decode_revert`` and ``error_classes`` come from ``errors_base``, re-exported here.
"""

from __future__ import annotations

from huren.registry.errors_base import (
    BatchTooLarge,
    ContractError,
    DeploymentMismatch,
    EmptyRevert,
    EventDecodeError,
    InvalidCertificateInput,
    InvalidIdentifier,
    Panic,
    RegistryError,
    RevertMessage,
    UnrecognizedRevert,
    decode_revert,
    error_classes,
)
from huren.registry.types import CertificateKind, ProposalStatus
'''


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def annotation(error: str, param: dict[str, Any]) -> str:
    kind, name = param["type"], param["name"]
    if (error, name) in ENUM_PARAMS:
        return ENUM_PARAMS[(error, name)]
    if kind == "address" or kind == "string" or (kind == "bytes32" and name in ID_PARAMS):
        return "str"
    if kind == "bytes32":
        return "bytes"
    if kind.startswith(("uint", "int")):
        return "int"
    raise SystemExit(f"{error}.{name}: no annotation for ABI type {kind}")


def collect() -> dict[str, list[dict[str, Any]]]:
    """Error name -> parameters, merged over the contracts (same name must mean same thing)."""
    errors: dict[str, list[dict[str, Any]]] = {}
    for contract in CONTRACTS:
        for item in load(contract).abi:
            if item["type"] != "error":
                continue
            name, params = item["name"], item["inputs"]
            if name in errors and errors[name] != params:
                raise SystemExit(f"{name} differs between the contracts; rename one")
            errors[name] = params
    return dict(sorted(errors.items()))


def render() -> str:
    errors = collect()
    missing = sorted(set(errors) - set(MESSAGES))
    stale = sorted(set(MESSAGES) - set(errors))
    if missing or stale:
        raise SystemExit(f"MESSAGES out of date: missing {missing}, stale {stale}")
    out = [HEADER]
    for name, params in errors.items():
        args = ",".join(f"{p['type']} {p['name']}" for p in params)
        signature = f"{name}({args})"
        out.append(f"\n\nclass {name}(ContractError):")
        out.append(f'    signature = "{signature}"')
        out.append(f'    message = "{MESSAGES[name]}"')
        for p in params:
            if snake(p["name"]) in RESERVED:
                raise SystemExit(f"{name}.{p['name']} clashes with a ContractError attribute")
            out.append(f"    {snake(p['name'])}: {annotation(name, p)}")
    exported = sorted([*BASE_NAMES, *errors], key=lambda n: (n[0].islower(), n))
    out.append("\n\n__all__ = [")
    out.extend(f'    "{name}",' for name in exported)
    out.append("]")
    return formatted("\n".join(out) + "\n")


def formatted(source: str) -> str:
    """``source`` as ruff format writes it, so the generated file stays format-clean."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    if args.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run scripts/gen_registry_errors.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
