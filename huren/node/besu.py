"""A Hyperledger Besu QBFT network for the consortium: every center runs one validator.

``make_spec`` checks the inputs, ``plan_network`` gives each center keys, ports and an enode,
``render_files`` turns that into file contents (pure) and ``write_network`` writes them:

    DIR/genesis.json  static-nodes.json  network.json  founders.json  deploy.md
    DIR/<center>/key  key.pub  operator.key  config.toml  start.sh  genesis.json  static-nodes.json

Paths in ``config.toml`` are relative to the center's directory, which can be shipped alone to
that center's host. The genesis choices, and the Besu sources behind them, are in docs/besu.md.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp
from eth_keys.datatypes import PrivateKey

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# Every BFT block carries this mixHash: ASCII "ctical byzantine fault tolerance".
QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
DEFAULT_CHAIN_ID = 20240
DEFAULT_BLOCK_PERIOD_S = 2
EPOCH_LENGTH = 30000  # blocks after which pending validator votes are discarded
DEFAULT_P2P_PORT = 30303
DEFAULT_RPC_PORT = 8545
GAS_LIMIT = 300_000_000  # 0x11E1A300
CONTRACT_SIZE_LIMIT = 24576  # EIP-170; Besu's default, and what anvil and py-evm enforce
OPERATOR_FUNDS_WEI = 10**24
RPC_APIS = ("ETH", "NET", "QBFT", "WEB3")
# Every fork up to Prague (block-number forks, then timestamp forks), all at genesis.
FORKS = (
    "homesteadBlock eip150Block eip155Block eip158Block byzantiumBlock constantinopleBlock "
    "petersburgBlock istanbulBlock berlinBlock londonBlock shanghaiTime cancunTime pragueTime"
)
# EIP-7840 values, which are also Besu's built-in defaults; spelled out so no default is implied.
BLOB_SCHEDULE = {
    "cancun": {"target": 3, "max": 6, "baseFeeUpdateFraction": 3338477},
    "prague": {"target": 6, "max": 9, "baseFeeUpdateFraction": 5007716},
}
CENTER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
SECRET_MODE = 0o600


class BesuConfigError(ValueError):
    """The inputs cannot make a sound network (or the output directory is not safe to use)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str  # an IP address: enode URLs name hosts by IP
    port: int

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        return ipaddress.ip_address(self.host).is_loopback


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """Validated inputs; ``make_spec`` is the only way this module builds one."""

    centers: tuple[str, ...]
    p2p: Mapping[str, Endpoint]
    rpc_ports: Mapping[str, int]
    chain_id: int
    block_period: int
    request_timeout: int


@dataclass(frozen=True, slots=True)
class CenterNode:
    name: str
    node_key: bytes  # the validator's secp256k1 key: its address is the validator address
    operator_key: bytes  # signs huren's transactions; never the node key
    p2p: Endpoint
    rpc_port: int

    @property
    def public_key(self) -> str:
        return PrivateKey(self.node_key).public_key.to_hex()[2:]

    @property
    def validator(self) -> str:
        return PrivateKey(self.node_key).public_key.to_checksum_address()

    @property
    def operator(self) -> str:
        return PrivateKey(self.operator_key).public_key.to_checksum_address()

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key}@{self.p2p.netloc}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"


@dataclass(frozen=True, slots=True)
class BesuNetwork:
    chain_id: int
    block_period: int
    request_timeout: int
    centers: tuple[CenterNode, ...]

    @property
    def validators(self) -> list[str]:
        """The validator addresses in ascending byte order, as Besu keeps them in headers."""
        return sorted((c.validator for c in self.centers), key=lambda a: bytes.fromhex(a[2:]))

    def warnings(self) -> list[str]:
        n = len(self.centers)
        if n >= 4:
            return []
        return [
            f"{n} validator(s): QBFT tolerates f faulty validators only when n >= 3f+1, so with "
            f"{n} it tolerates none (f = 0). Blocks need {quorum(n)} of {n} validators online; "
            "use at least 4 centers to survive one faulty validator."
        ]


def fault_tolerance(validators: int) -> int:
    """Byzantine validators a QBFT network of this size survives: the largest f, n >= 3f+1."""
    return (validators - 1) // 3


def quorum(validators: int) -> int:
    """Validators that must take part for a block, ceil(2n/3) as Besu's BftHelpers counts."""
    return -(-2 * validators // 3)


def _parse_endpoint(text: str, what: str) -> Endpoint:
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise BesuConfigError(f"{what}: expected IP:PORT, got {text!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise BesuConfigError(f"{what}: {host!r} is not an IP address (enodes need one)") from None
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise BesuConfigError(f"{what}: port {port} is outside 1-65535")
    if address.is_unspecified:
        raise BesuConfigError(f"{what}: {host} cannot be dialled; give the node's own address")
    return Endpoint(str(address), port)


def make_spec(
    centers: Sequence[str],
    hosts: Sequence[str] = (),
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    block_period: int = DEFAULT_BLOCK_PERIOD_S,
    request_timeout: int | None = None,
    p2p_port: int = DEFAULT_P2P_PORT,
    rpc_port: int = DEFAULT_RPC_PORT,
) -> NetworkSpec:
    """Check the inputs. ``hosts`` are ``NAME=IP:PORT`` (the center's P2P address); the others
    get 127.0.0.1 and ``p2p_port + i``. RPC listens on 127.0.0.1 at ``rpc_port + i``."""
    if not centers:
        raise BesuConfigError("name at least one center (--center NAME)")
    seen: set[str] = set()
    for name in centers:
        if not CENTER_NAME.fullmatch(name):
            raise BesuConfigError(
                f"center name {name!r}: use 1-32 lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit (it becomes a directory name)"
            )
        if name in seen:
            raise BesuConfigError(f"center {name!r} is named twice")
        seen.add(name)
    if chain_id <= 1 or chain_id >= 2**63:
        raise BesuConfigError(f"chain id {chain_id}: use a private id (not 1) in 2..2^63-1")
    if block_period < 1:
        raise BesuConfigError(f"block period {block_period}s: must be at least 1 second")
    timeout = 2 * block_period if request_timeout is None else request_timeout
    if timeout < 1:
        raise BesuConfigError(f"request timeout {timeout}s: must be at least 1 second")
    for base, label in ((p2p_port, "P2P"), (rpc_port, "RPC")):
        if base < 1 or base + len(centers) - 1 > 65535:
            raise BesuConfigError(f"{label} ports {base}..{base + len(centers) - 1} do not fit")
    explicit: dict[str, Endpoint] = {}
    for item in hosts:
        name, sep, address = item.partition("=")
        if not sep:
            raise BesuConfigError(f"--host {item!r}: expected NAME=IP:PORT")
        if name not in seen:
            raise BesuConfigError(f"--host {item!r}: {name!r} is not one of the centers")
        if name in explicit:
            raise BesuConfigError(f"--host: center {name!r} is given twice")
        explicit[name] = _parse_endpoint(address, f"--host {name}")
    p2p = {
        name: explicit.get(name, Endpoint("127.0.0.1", p2p_port + i))
        for i, name in enumerate(centers)
    }
    rpc_ports = {name: rpc_port + i for i, name in enumerate(centers)}
    # One machine cannot bind a port twice: P2P addresses are unique, and local RPC ports too.
    sockets = [(e.host, e.port) for e in p2p.values()]
    sockets += [("127.0.0.1", port) for port in rpc_ports.values()]
    for (host, port), count in Counter(sockets).items():
        if count > 1:
            raise BesuConfigError(f"two nodes would listen on {Endpoint(host, port).netloc}")
    return NetworkSpec(tuple(centers), p2p, rpc_ports, chain_id, block_period, timeout)


def random_private_key() -> bytes:
    """A fresh secp256k1 private key from the OS's CSPRNG (1 <= k < n)."""
    while True:
        key = secrets.token_bytes(32)
        if 0 < int.from_bytes(key, "big") < SECP256K1_N:
            return key


def plan_network(
    spec: NetworkSpec, new_key: Callable[[], bytes] = random_private_key
) -> BesuNetwork:
    """Give every center a node key and an operator key; ``new_key`` is injectable for tests."""
    centers = [
        CenterNode(name, new_key(), new_key(), spec.p2p[name], spec.rpc_ports[name])
        for name in spec.centers
    ]
    if len({c.validator for c in centers} | {c.operator for c in centers}) != 2 * len(centers):
        raise BesuConfigError("the key source repeated a key")
    return BesuNetwork(spec.chain_id, spec.block_period, spec.request_timeout, tuple(centers))


def qbft_extra_data(validators: Sequence[str]) -> str:
    """QBFT genesis extraData: RLP([vanity, validators, no vote, round 0, no seals])."""
    addresses = [bytes.fromhex(v.removeprefix("0x")) for v in validators]
    if any(len(a) != 20 for a in addresses):
        raise BesuConfigError("validator addresses must be 20 bytes")
    encoded: bytes = rlp.encode([b"\x00" * 32, addresses, [], 0, []])
    return "0x" + encoded.hex()


def genesis(network: BesuNetwork) -> dict[str, Any]:
    config: dict[str, Any] = {"chainId": network.chain_id}
    config.update(dict.fromkeys(FORKS.split(), 0))
    config |= {
        "blobSchedule": BLOB_SCHEDULE,
        "zeroBaseFee": True,
        "contractSizeLimit": CONTRACT_SIZE_LIMIT,
        "qbft": {
            "blockperiodseconds": network.block_period,
            "epochlength": EPOCH_LENGTH,
            "requesttimeoutseconds": network.request_timeout,
        },
    }
    return {
        "config": config,
        **dict.fromkeys(("nonce", "timestamp", "number", "gasUsed", "baseFeePerGas"), "0x0"),
        "gasLimit": hex(GAS_LIMIT),
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        "extraData": qbft_extra_data(network.validators),
        "alloc": {
            c.operator.lower(): {"balance": hex(OPERATOR_FUNDS_WEI)} for c in network.centers
        },
        "parentHash": "0x" + "00" * 32,
    }


def config_toml(network: BesuNetwork, center: CenterNode) -> str:
    options: dict[str, str | int | bool | Sequence[str]] = {
        "data-path": "data",
        "genesis-file": "genesis.json",
        "node-private-key-file": "key",
        "static-nodes-file": "static-nodes.json",
        "bootnodes": [c.enode for c in network.centers if c is not center],
        "sync-mode": "FULL",
        "p2p-host": center.p2p.host,
        "p2p-interface": "127.0.0.1" if center.p2p.is_loopback else "0.0.0.0",
        "p2p-port": center.p2p.port,
        "rpc-http-enabled": True,
        "rpc-http-host": "127.0.0.1",
        "rpc-http-port": center.rpc_port,
        "rpc-http-api": list(RPC_APIS),
        "host-allowlist": ["localhost", "127.0.0.1"],
        "min-gas-price": 0,
        "revert-reason-enabled": True,
    }
    lines = [
        f"# Besu QBFT validator of center {center.name!r} (chain id {network.chain_id}).",
        "# Written by `huren network besu`; paths are relative to this directory (start.sh",
        "# changes into it). RPC stays on 127.0.0.1: only this center's huren node calls it.",
    ]
    # JSON spells these strings, integers, booleans and string arrays as TOML does.
    lines += [f"{k} = {json.dumps(v)}" for k, v in options.items() if v != []]
    return "\n".join(lines) + "\n"


def start_script(center: CenterNode) -> str:
    return (
        "#!/bin/sh\n"
        f"# Start the Besu validator of center {center.name} (written by `huren network besu`).\n"
        "set -eu\n"
        'cd "$(dirname "$0")"\n'
        'exec besu --config-file=config.toml "$@"\n'
    )


def network_summary(network: BesuNetwork) -> dict[str, Any]:
    """Public facts only (no key material): what other tools and auditors need."""
    return {
        "format": "huren-besu-network/1",
        "chainId": network.chain_id,
        "blockPeriodSeconds": network.block_period,
        "requestTimeoutSeconds": network.request_timeout,
        "validators": network.validators,
        "faultTolerance": fault_tolerance(len(network.centers)),
        "quorum": quorum(len(network.centers)),
        "centers": [
            {
                "name": c.name,
                "validator": c.validator,
                "operator": c.operator,
                "enode": c.enode,
                "rpcUrl": c.rpc_url,
            }
            for c in network.centers
        ],
    }


def founders_template(network: BesuNetwork) -> dict[str, Any]:
    """The founding members for ``huren deploy --founders``; name and regionCode to fill in."""
    return {
        "format": "huren-founders/1",
        "chainId": network.chain_id,
        "founders": [
            {"center": c.name, "account": c.operator, "name": c.name, "regionCode": None}
            for c in network.centers
        ],
    }


DEPLOY_GUIDE = """\
# Deploying huren on this Besu network (chain id {chain_id})

Give each center its own directory (`<center>/` holds that center's keys: send it privately)
and have it run `<center>/start.sh` (Besu 26.2.0 or later). Blocks start once {quorum} of the
{n} validators are up and connected.

Paths below are relative to this directory.

## 1. Contracts: once, by one center

Fill in `founders.json` (each center's official `name` and six-digit GB/T 2260 `regionCode`);
then, at {first}, with its validator running:

```sh
huren deploy --chain-url {first_rpc} --chain-id {chain_id} \\
  --operator-key {first}/operator.key --founders founders.json
```

It deploys Consortium and CertificateRegistry once and writes `deployment.json` (contract
addresses and deployment block). Send that file to every center.

## 2. Every center: its huren node, next to its validator

{nodes}

Operators sign locally (Besu holds no account keys); gas is free (`zeroBaseFee`,
`min-gas-price=0`). See docs/besu.md in the huren repository.
"""


def deploy_guide(network: BesuNetwork) -> str:
    first, n = network.centers[0], len(network.centers)
    nodes = "\n".join(
        f"- {c.name}: `huren node --chain-url {c.rpc_url} --chain-id {network.chain_id} "
        f"--operator-key {c.name}/operator.key --deployment deployment.json`"
        for c in network.centers
    )
    return DEPLOY_GUIDE.format(
        chain_id=network.chain_id,
        quorum=quorum(n),
        n=n,
        first=first.name,
        first_rpc=first.rpc_url,
        nodes=nodes,
    )


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def render_files(network: BesuNetwork) -> dict[str, tuple[str, int]]:
    """Relative path -> (content, file mode) for the whole tree."""
    shared = {
        "genesis.json": _json(genesis(network)),
        "static-nodes.json": _json([c.enode for c in network.centers]),
    }
    files = {path: (text, 0o644) for path, text in shared.items()}
    files["network.json"] = (_json(network_summary(network)), 0o644)
    files["founders.json"] = (_json(founders_template(network)), 0o644)
    files["deploy.md"] = (deploy_guide(network), 0o644)
    for c in network.centers:
        files |= {f"{c.name}/{path}": (text, 0o644) for path, text in shared.items()}
        files[f"{c.name}/key"] = (c.node_key.hex(), SECRET_MODE)
        files[f"{c.name}/key.pub"] = ("0x" + c.public_key + "\n", 0o644)
        files[f"{c.name}/operator.key"] = (c.operator_key.hex(), SECRET_MODE)
        files[f"{c.name}/config.toml"] = (config_toml(network, c), 0o644)
        files[f"{c.name}/start.sh"] = (start_script(c), 0o755)
    return files


def _check_out_dir(out: Path, network: BesuNetwork, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BesuConfigError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise BesuConfigError(f"{out} is not empty; pass --force to write into it")
    for c in network.centers:
        if (out / c.name / "data").exists():
            raise BesuConfigError(
                f"{out / c.name / 'data'} holds chain data: new keys and a new genesis would "
                "orphan it; move it away first (even --force will not write over it)"
            )


def write_network(network: BesuNetwork, out: Path, *, force: bool = False) -> list[Path]:
    """Write the tree under ``out``; secrets are created 0600 (never readable in between)."""
    _check_out_dir(out, network, force)
    written = []
    for relative, (text, mode) in render_files(network).items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), mode)  # also when the file existed with another mode
            handle.write(text)
        written.append(path)
    return written
