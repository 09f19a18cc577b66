"""The Besu QBFT network generator: what can be checked without a Besu binary."""

from __future__ import annotations

import itertools
import json
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
import rlp
import typer
from eth_account import Account
from eth_keys.datatypes import PrivateKey
from typer.testing import CliRunner

from huren.cli_network import network_app
from huren.node.besu import (
    QBFT_MIX_HASH,
    SECP256K1_N,
    BesuConfigError,
    BesuNetwork,
    fault_tolerance,
    make_spec,
    plan_network,
    qbft_extra_data,
    quorum,
    random_private_key,
    write_network,
)

CENTERS = ["jiaxing", "nantong", "xuancheng", "huzhou"]


def counting_keys() -> Any:
    counter = itertools.count(1)
    return lambda: next(counter).to_bytes(32, "big")


def network(centers: list[str] = CENTERS, hosts: list[str] | None = None) -> BesuNetwork:
    return plan_network(make_spec(centers, hosts or []), counting_keys())


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    out = tmp_path / "net"
    write_network(network(), out)
    return out


def test_extra_data_matches_the_besu_documentation_vector() -> None:
    # Besu's QBFT guide: `besu rlp encode --type=QBFT_EXTRA_DATA` of these four validators.
    validators = [
        "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
        "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70",
        "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de",
        "0xab5e7f4061c605820d3744227eed91ff8e2c8908",
    ]
    assert qbft_extra_data(validators) == (
        "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e4"
        "5706cc08b8f44b11e43cba0cfc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee"
        "02d7bcbc1bf1236b8c15148971e1de94ab5e7f4061c605820d3744227eed91ff8e2c8908c080c0"
    )


def test_genesis_extra_data_decodes_to_the_qbft_structure(tree: Path) -> None:
    genesis = load_json(tree / "genesis.json")
    vanity, validators, vote, round_, seals = rlp.decode(bytes.fromhex(genesis["extraData"][2:]))
    assert (vanity, vote, round_, seals) == (b"\x00" * 32, [], b"", [])
    centers = load_json(tree / "network.json")["centers"]
    expected = sorted(bytes.fromhex(c["validator"][2:]) for c in centers)
    assert validators == expected  # exactly the centers' validators, ascending as Besu keeps them
    assert len(validators) == len(CENTERS)


def test_genesis_activates_prague_with_free_gas_and_qbft(tree: Path) -> None:
    genesis = load_json(tree / "genesis.json")
    config = genesis["config"]
    assert config["chainId"] == 20240
    assert config["londonBlock"] == config["shanghaiTime"] == config["pragueTime"] == 0
    assert config["cancunTime"] == 0 and "terminalTotalDifficulty" not in config
    assert config["zeroBaseFee"] is True and genesis["baseFeePerGas"] == "0x0"
    assert config["contractSizeLimit"] == 24576
    assert config["qbft"] == {
        "blockperiodseconds": 2,
        "epochlength": 30000,
        "requesttimeoutseconds": 4,
    }
    assert config["blobSchedule"]["prague"] == {
        "target": 6,
        "max": 9,
        "baseFeeUpdateFraction": 5007716,
    }
    assert int(genesis["gasLimit"], 16) == 300_000_000
    assert genesis["mixHash"] == QBFT_MIX_HASH and genesis["difficulty"] == "0x1"
    for center in CENTERS:  # copies are identical, so every node starts from the same block
        assert (tree / center / "genesis.json").read_text() == (tree / "genesis.json").read_text()


def test_each_node_key_is_its_listed_validator_and_operators_are_funded(tree: Path) -> None:
    genesis = load_json(tree / "genesis.json")
    summary = {c["name"]: c for c in load_json(tree / "network.json")["centers"]}
    for center in CENTERS:
        text = (tree / center / "key").read_text()
        assert not text.startswith("0x") and len(text) == 64
        node = PrivateKey(bytes.fromhex(text)).public_key
        assert node.to_checksum_address() == summary[center]["validator"]
        assert (tree / center / "key.pub").read_text().strip() == node.to_hex()
        # huren's node loads its operator key like this (huren/node/node.py).
        operator = Account.from_key((tree / center / "operator.key").read_text().strip())
        assert operator.address == summary[center]["operator"] != node.to_checksum_address()
        assert int(genesis["alloc"][operator.address.lower()]["balance"], 16) > 0
    founders = load_json(tree / "founders.json")["founders"]
    assert [(f["center"], f["account"]) for f in founders] == [
        (c, summary[c]["operator"]) for c in CENTERS
    ]


def test_enodes_embed_the_public_keys_and_p2p_ports(tree: Path) -> None:
    static = load_json(tree / "static-nodes.json")
    assert len(static) == len(CENTERS)
    for index, (center, enode) in enumerate(zip(CENTERS, static, strict=True)):
        key = PrivateKey(bytes.fromhex((tree / center / "key").read_text()))
        node_id, _, netloc = enode.removeprefix("enode://").partition("@")
        assert node_id == key.public_key.to_hex()[2:] and len(node_id) == 128
        config = tomllib.loads((tree / center / "config.toml").read_text())
        assert netloc == f"127.0.0.1:{30303 + index}" == f"127.0.0.1:{config['p2p-port']}"
        assert load_json(tree / center / "static-nodes.json") == static


def test_config_toml_parses_and_points_at_the_center_files(tree: Path) -> None:
    static = load_json(tree / "static-nodes.json")
    rpc_ports = set()
    for index, center in enumerate(CENTERS):
        config = tomllib.loads((tree / center / "config.toml").read_text())
        for option in ("genesis-file", "node-private-key-file", "static-nodes-file"):
            assert (tree / center / config[option]).is_file()
        assert config["data-path"] == "data"
        assert config["bootnodes"] == [e for i, e in enumerate(static) if i != index]
        assert config["rpc-http-enabled"] is True and config["rpc-http-host"] == "127.0.0.1"
        assert config["rpc-http-api"] == ["ETH", "NET", "QBFT", "WEB3"]
        assert config["host-allowlist"] == ["localhost", "127.0.0.1"]
        assert config["min-gas-price"] == 0
        rpc_ports.add(config["rpc-http-port"])
        script = (tree / center / "start.sh").read_text()
        assert script.startswith("#!/bin/sh") and "besu --config-file=config.toml" in script
    assert rpc_ports == {8545, 8546, 8547, 8548}


def test_secrets_are_0600_and_start_scripts_executable(tree: Path) -> None:
    for center in CENTERS:
        for secret in ("key", "operator.key"):
            assert stat.S_IMODE((tree / center / secret).stat().st_mode) == 0o600
        assert stat.S_IMODE((tree / center / "start.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((tree / "genesis.json").stat().st_mode) == 0o644


def test_no_file_but_the_key_files_holds_key_material(tree: Path) -> None:
    secrets = {(tree / c / f).read_text() for c in CENTERS for f in ("key", "operator.key")}
    for path in tree.rglob("*"):
        if path.is_file() and path.name not in ("key", "operator.key"):
            text = path.read_text()
            assert not any(secret in text for secret in secrets), path


def test_hosts_set_the_advertised_address_and_listen_everywhere(tmp_path: Path) -> None:
    hosts = ["jiaxing=10.1.0.5:30303", "nantong=[fd00::7]:30400"]
    net = network(CENTERS[:2], hosts)
    write_network(net, tmp_path)
    jiaxing = tomllib.loads((tmp_path / "jiaxing" / "config.toml").read_text())
    assert (jiaxing["p2p-host"], jiaxing["p2p-interface"], jiaxing["p2p-port"]) == (
        "10.1.0.5",
        "0.0.0.0",
        30303,
    )
    enodes = load_json(tmp_path / "static-nodes.json")
    assert enodes[0].endswith("@10.1.0.5:30303") and enodes[1].endswith("@[fd00::7]:30400")


def test_fault_tolerance_and_quorum_follow_qbft() -> None:
    sizes = {1: (0, 1), 2: (0, 2), 3: (0, 2), 4: (1, 3), 7: (2, 5), 10: (3, 7)}
    assert {n: (fault_tolerance(n), quorum(n)) for n in sizes} == sizes
    assert "f = 0" in network(CENTERS[:3]).warnings()[0]
    assert network(CENTERS).warnings() == []


def test_fresh_keys_are_random_and_in_range() -> None:
    keys = {random_private_key() for _ in range(20)}
    assert len(keys) == 20 and all(0 < int.from_bytes(k, "big") < SECP256K1_N for k in keys)
    first, second = plan_network(make_spec(["a"])), plan_network(make_spec(["a"]))
    assert first.centers[0].node_key != second.centers[0].node_key


@pytest.mark.parametrize(
    ("centers", "kwargs", "message"),
    [
        ([], {}, "at least one center"),
        (["Jiaxing"], {}, "lower-case"),
        (["jia/xing"], {}, "directory name"),
        (["."], {}, "lower-case"),
        (["a" * 33], {}, "1-32"),
        (["jiaxing", "jiaxing"], {}, "named twice"),
        (["a"], {"chain_id": 1}, "chain id 1"),
        (["a"], {"chain_id": 0}, "chain id 0"),
        (["a"], {"block_period": 0}, "block period"),
        (["a"], {"request_timeout": 0}, "request timeout"),
        (["a", "b"], {"p2p_port": 65535}, "do not fit"),
        (["a"], {"hosts": ["a"]}, "NAME=IP:PORT"),
        (["a"], {"hosts": ["b=10.0.0.1:30303"]}, "not one of the centers"),
        (["a"], {"hosts": ["a=10.0.0.1:30303", "a=10.0.0.2:30303"]}, "given twice"),
        (["a"], {"hosts": ["a=node.example:30303"]}, "not an IP address"),
        (["a"], {"hosts": ["a=10.0.0.1"]}, "IP:PORT"),
        (["a"], {"hosts": ["a=10.0.0.1:0"]}, "outside 1-65535"),
        (["a"], {"hosts": ["a=0.0.0.0:30303"]}, "cannot be dialled"),
        (["a", "b"], {"hosts": ["a=10.0.0.1:1", "b=10.0.0.1:1"]}, "listen on 10.0.0.1:1"),
        (["a", "b"], {"hosts": ["a=127.0.0.1:8546"]}, "listen on 127.0.0.1:8546"),
    ],
)
def test_bad_inputs_raise_a_clear_error(
    centers: list[str], kwargs: dict[str, Any], message: str
) -> None:
    options = {k: v for k, v in kwargs.items() if k != "hosts"}
    with pytest.raises(BesuConfigError, match=message):
        make_spec(centers, kwargs.get("hosts", []), **options)


def test_the_out_directory_is_protected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BesuConfigError, match="not empty"):
        write_network(network(), tmp_path)
    stale = tmp_path / "jiaxing" / "key"
    stale.parent.mkdir()
    stale.write_text("old")
    stale.chmod(0o644)
    write_network(network(), tmp_path, force=True)  # replaces, and tightens the mode
    assert stale.read_text() != "old" and stat.S_IMODE(stale.stat().st_mode) == 0o600
    assert (tmp_path / "notes.txt").read_text() == "mine"
    (tmp_path / "nantong" / "data").mkdir()
    with pytest.raises(BesuConfigError, match="holds chain data"):
        write_network(network(), tmp_path, force=True)
    (tmp_path / "file").write_text("")
    with pytest.raises(BesuConfigError, match="not a directory"):
        write_network(network(), tmp_path / "file")


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(network_app, name="network")  # as huren.cli registers it
    return app


def test_cli_writes_the_tree(tmp_path: Path) -> None:
    out = tmp_path / "net"
    args = ["network", "besu", "--out", str(out), "--chain-id", "777", "--block-period", "5"]
    for center in CENTERS[:3]:
        args += ["--center", center]
    result = CliRunner().invoke(cli(), [*args, "--host", "nantong=192.168.1.20:30303"])
    assert result.exit_code == 0, result.output
    assert "f = 0" in result.output  # three centers: the fault-tolerance warning
    genesis = load_json(out / "genesis.json")
    assert genesis["config"]["chainId"] == 777
    assert genesis["config"]["qbft"]["requesttimeoutseconds"] == 10
    assert load_json(out / "static-nodes.json")[1].endswith("@192.168.1.20:30303")
    assert "--chain-id 777" in (out / "deploy.md").read_text()
    assert stat.S_IMODE((out / "xuancheng" / "operator.key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "extra",
    [
        ["--center", "Bad Name"],
        ["--center", "a", "--center", "a"],
        ["--center", "a", "--host", "a=host:1"],
        ["--center", "a", "--chain-id", "1"],
        [],
    ],
)
def test_cli_bad_input_exits_2_with_an_error(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(cli(), ["network", "besu", "--out", str(tmp_path / "n"), *extra])
    assert result.exit_code == 2
    assert "error" in result.output.lower()
    assert not (tmp_path / "n").exists()


def test_cli_refuses_a_non_empty_out_without_force(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    args = ["network", "besu", "--out", str(tmp_path), "--center", "a"]
    assert CliRunner().invoke(cli(), args).exit_code == 2
    assert CliRunner().invoke(cli(), [*args, "--force"]).exit_code == 0


def test_a_repeating_key_source_is_refused() -> None:
    with pytest.raises(BesuConfigError, match="repeated"):
        plan_network(make_spec(["a", "b"]), lambda: (7).to_bytes(32, "big"))
