"""The demo scenario tells the cross-region story the alliance exists for."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from huren.cli import app
from huren.node.demo_scenario import Step, run
from huren.node.node import Node
from huren.node.settings import Settings


def _verdicts(steps: list[Step], label: str) -> dict[str, tuple[bool | None, tuple[str, ...]]]:
    return {
        s.platform_id: (s.recognized, s.reasons) for s in steps if s.text == label and s.platform_id
    }


def test_alliance_is_recognized_everywhere_regional_only_at_home_revoked_nowhere(
    tmp_path: Path,
) -> None:
    node = Node.open(Settings(data_dir=tmp_path), start_indexer=False)
    try:
        steps = run(node, lambda _: None)
    finally:
        node.close()
    alliance = _verdicts(steps, "alliance certificate")
    assert all(ok for ok, _ in alliance.values()) and len(alliance) == 4
    regional = _verdicts(steps, "regional certificate")
    assert regional["jiaxing-ggzy"] == (True, ())
    assert regional["nantong-ggzy"] == (False, ("OUT_OF_SCOPE",))
    assert regional["xuancheng-ggzy"] == (False, ("OUT_OF_SCOPE",))
    revoked = _verdicts(steps, "alliance certificate after revocation")
    assert revoked and all(v == (False, ("REVOKED",)) for v in revoked.values())


def test_the_demo_command_runs() -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "OUT_OF_SCOPE" in result.output and "REVOKED" in result.output
