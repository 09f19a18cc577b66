"""The committed build artifacts must come from the committed sources.

This check needs no node.js: it compares the sources' hash recorded in every artifact with the
sources in the tree. The test command also recompiles with solcjs and compares byte for byte
(scripts/compile_contracts.py --check).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from huren.contracts.artifacts import BUILD_DIR, load

ROOT = Path(__file__).resolve().parents[2]


def _compile_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "compile_contracts", ROOT / "scripts" / "compile_contracts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["compile_contracts"] = module
    spec.loader.exec_module(module)
    return module


def test_every_artifact_matches_the_sources_in_the_tree() -> None:
    script = _compile_script()
    expected = script.sources_hash(script.source_files())
    artifacts = sorted(BUILD_DIR.glob("*.json"))
    assert {p.stem for p in artifacts} >= {"Consortium", "CertificateRegistry", "Probe"}
    for path in artifacts:
        recorded = json.loads(path.read_text())["sourcesHash"]
        assert recorded == expected, f"{path.name} is stale: run scripts/compile_contracts.py"


def test_artifacts_pin_prague_and_the_compiler() -> None:
    for name in ("Consortium", "CertificateRegistry"):
        raw = json.loads((BUILD_DIR / f"{name}.json").read_text())
        assert raw["compiler"]["evmVersion"] == "prague"
        assert raw["compiler"]["version"].startswith("0.8.37+")
        artifact = load(name)
        # EIP-170: the deployed code must stay under 24,576 bytes or no chain accepts it.
        assert 0 < len(artifact.deployed_bytecode) < 24_576
