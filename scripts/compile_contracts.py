"""Compile huren's Solidity sources with the pinned solcjs and write committed artifacts.

    python scripts/compile_contracts.py          # write huren/contracts/build/*.json
    python scripts/compile_contracts.py --check  # exit 1 when the committed artifacts differ

Why standard JSON through solcjs: the compiler comes from npm with an exact pin, so every
machine (and CI) produces byte-identical artifacts. ``evmVersion`` is pinned to prague because
solcjs 0.8.37 defaults to osaka, which py-evm 0.12 cannot run. Running a node needs only the
committed artifacts, never node.js.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "huren" / "contracts" / "src"
BUILD = ROOT / "huren" / "contracts" / "build"
EVM_VERSION = "prague"
OPTIMIZER_RUNS = 200
# viaIR: the records' events carry eleven fields, past the legacy pipeline's stack limit.


def source_files() -> dict[str, str]:
    """Our sources, keyed by their path relative to the repository root."""
    return {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(SRC.rglob("*.sol"))
    }


def sources_hash(sources: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name, text in sorted(sources.items()):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def compile_sources(sources: dict[str, str]) -> dict[str, dict[str, object]]:
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "viaIR": True,
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
            },
        },
    }
    proc = subprocess.run(
        ["node", str(ROOT / "scripts" / "solc_compile.js")],
        input=json.dumps(standard_input),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"solcjs failed: {proc.stderr}")
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    for e in output.get("errors", []):
        print(e["formattedMessage"], file=sys.stderr)
    if errors:
        sys.exit("compilation failed")
    source_digest = sources_hash(sources)
    artifacts: dict[str, dict[str, object]] = {}
    for source_name, contracts in output["contracts"].items():
        if source_name not in sources:
            continue  # OpenZeppelin and other imports: no artifact of their own
        for name, c in contracts.items():
            bytecode = c["evm"]["bytecode"]["object"]
            if not bytecode:
                continue  # interfaces and abstract contracts
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": c["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + c["evm"]["deployedBytecode"]["object"],
                "compiler": {
                    "version": output["compilerVersion"],
                    "evmVersion": EVM_VERSION,
                    "optimizerRuns": OPTIMIZER_RUNS,
                },
                "sourcesHash": source_digest,
            }
    return artifacts


def render(artifact: dict[str, object]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    artifacts = compile_sources(source_files())
    if args.check:
        stale = [
            name
            for name, a in artifacts.items()
            if not (BUILD / f"{name}.json").exists()
            or (BUILD / f"{name}.json").read_text() != render(a)
        ]
        extra = {p.stem for p in BUILD.glob("*.json")} - set(artifacts)
        if stale or extra:
            print(f"stale artifacts: {sorted(stale)}; without a source: {sorted(extra)}")
            return 1
        print(f"{len(artifacts)} artifacts are up to date")
        return 0
    BUILD.mkdir(parents=True, exist_ok=True)
    for old in BUILD.glob("*.json"):
        if old.stem not in artifacts:
            old.unlink()
    for name, a in artifacts.items():
        (BUILD / f"{name}.json").write_text(render(a))
        size = (len(str(a["deployedBytecode"])) - 2) // 2
        print(f"{name}: {size} bytes deployed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
