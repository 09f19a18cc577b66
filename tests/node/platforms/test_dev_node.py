"""A dev node on its first start: the demo platforms located, the zone service wired to the
node's operator account (Jiaxing's: the demo node acts for Jiaxing)."""

from __future__ import annotations

from pathlib import Path

from huren.node import demo
from huren.node.demo_platforms import LOCATIONS
from huren.node.node import Node
from huren.node.platforms.geo import Position
from huren.node.platforms.service import PlatformDirectory
from huren.node.settings import Settings


def test_a_dev_node_locates_the_demo_platforms(tmp_path: Path) -> None:
    node = Node.open(Settings(data_dir=tmp_path), start_indexer=False)
    try:
        directory = PlatformDirectory(node.engine)
        sites = {s.platform_id: s for s in directory.sites()}
        assert set(sites) == {p.platform_id for p in demo.PLATFORMS}
        for platform_id, (lat, lon) in LOCATIONS.items():
            assert sites[platform_id].position == Position(lat, lon)
        assert sites["alliance"].alliance and sites["alliance"].position is None
        answer = directory.nearest(Position(32.0, 120.9))
        assert answer.nearest is not None and answer.nearest.platform_id == "nantong-ggzy"
        assert answer.alliance is not None and answer.alliance.platform_id == "alliance"
        assert node.zones is not None
        assert node.zones.center == demo.center_account("jiaxing").address
    finally:
        node.close()
