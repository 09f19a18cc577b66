"""Conformance tests every ``ChainBackend`` must pass, run once per implementation.

``BackendConformance`` holds the tests; each subclass supplies a fresh ``backend`` fixture and
the ``CHAIN_ID`` it pinned. Accounts are fresh ``Account.create()`` keys funded through
``backend.fund``, and the contract is ``Probe`` (huren/contracts/src/testing/Probe.sol).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_abi.abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from huren.contracts.artifacts import load
from huren.registry.backend import (
    BackendError,
    ChainBackend,
    ChainMismatch,
    ChainUnavailable,
    TransactionReverted,
    TxRequest,
)
from huren.registry.jsonrpc import JsonRpcBackend
from tests.support.anvil import AnvilProcess, start_anvil

ETHER = 10**18
ZERO_ADDRESS = "0x" + "00" * 20
VALUE_SET = keccak(text="ValueSet(address,uint256,uint256)")
VALUE_FORBIDDEN = keccak(text="ValueForbidden(uint256,address)")[:4]


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def set_data(value: int) -> bytes:
    return selector("set(uint256)") + encode(["uint256"], [value])


def set_many_data(values: list[int]) -> bytes:
    return selector("setMany(uint256[])") + encode(["uint256[]"], [values])


GET = selector("get()")
NOW = selector("now_()")


def topic_of(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def forbidden_args(error: TransactionReverted) -> tuple[int, str]:
    assert error.revert_data[:4] == VALUE_FORBIDDEN, error.revert_data.hex()
    value, by = decode(["uint256", "address"], error.revert_data[4:])
    return int(value), str(by).lower()


class BackendConformance:
    CHAIN_ID: int

    @pytest.fixture
    def backend(self) -> Iterator[ChainBackend]:
        raise NotImplementedError("subclasses supply a fresh backend")

    @pytest.fixture
    def new_account(self, backend: ChainBackend) -> Callable[[], LocalAccount]:
        def make(wei: int = 10 * ETHER) -> LocalAccount:
            account: LocalAccount = Account.create()
            backend.fund(account.address, wei)
            return account

        return make

    @pytest.fixture
    def deployer(self, new_account: Callable[[], LocalAccount]) -> LocalAccount:
        return new_account()

    @pytest.fixture
    def probe(self, backend: ChainBackend, deployer: LocalAccount) -> str:
        receipt = backend.send(TxRequest(deployer, None, load("Probe").bytecode))
        assert receipt.contract_address is not None
        return receipt.contract_address

    @staticmethod
    def get(backend: ChainBackend, probe: str, block: int | None = None) -> int:
        raw = backend.call(probe, GET) if block is None else backend.call(probe, GET, block)
        return int(decode(["uint256"], raw)[0])

    # -- identity, funds, blocks ------------------------------------------------------------

    def test_chain_id(self, backend: ChainBackend) -> None:
        assert backend.chain_id == self.CHAIN_ID

    def test_fund_and_balance(self, backend: ChainBackend) -> None:
        account = Account.create()
        assert backend.balance(account.address) == 0
        backend.fund(account.address, 3 * ETHER)
        assert backend.balance(account.address) == 3 * ETHER
        backend.fund(account.address, 5)
        assert backend.balance(account.address) == 3 * ETHER + 5

    def test_deploy_receipt_matches_block(
        self, backend: ChainBackend, deployer: LocalAccount
    ) -> None:
        before = backend.balance(deployer.address)
        receipt = backend.send(TxRequest(deployer, None, load("Probe").bytecode))
        assert receipt.status == 1 and receipt.gas_used > 21_000
        assert receipt.contract_address is not None
        assert receipt.contract_address == to_checksum_address(receipt.contract_address)
        assert receipt.logs == ()
        header = backend.block(receipt.block_number)
        assert header.number == receipt.block_number
        assert header.hash == receipt.block_hash and len(header.hash) == 32
        assert backend.block_number() >= receipt.block_number
        assert 0 < backend.balance(deployer.address) <= before  # gas may be free (QBFT)
        assert self.get(backend, receipt.contract_address) == 0

    def test_second_funded_account_deploys(
        self, backend: ChainBackend, probe: str, new_account: Callable[[], LocalAccount]
    ) -> None:
        other = new_account()
        receipt = backend.send(TxRequest(other, None, load("Probe").bytecode))
        assert receipt.contract_address not in (None, probe)
        assert receipt.contract_address is not None
        backend.send(TxRequest(other, receipt.contract_address, set_data(4)))
        assert self.get(backend, receipt.contract_address) == 4
        assert self.get(backend, probe) == 0

    def test_parent_hash_chain(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        for value in (1, 2, 3):
            backend.send(TxRequest(deployer, probe, set_data(value)))
        head = backend.block_number()
        headers = [backend.block(n) for n in range(head + 1)]
        assert [h.number for h in headers] == list(range(head + 1))
        for parent, child in itertools.pairwise(headers):
            assert child.parent_hash == parent.hash
            assert child.timestamp >= parent.timestamp
        assert len({h.hash for h in headers}) == len(headers)
        with pytest.raises(BackendError):
            backend.block(head + 1)
        with pytest.raises(BackendError):
            backend.block(head + 1000)

    def test_now_is_block_time(self, backend: ChainBackend, probe: str) -> None:
        now = int(decode(["uint256"], backend.call(probe, NOW))[0])
        assert now >= backend.block(backend.block_number()).timestamp

    # -- logs -------------------------------------------------------------------------------

    def test_receipt_logs_decoded(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        first = backend.send(TxRequest(deployer, probe, set_data(7)))
        (log,) = first.logs
        assert log.address == probe
        assert log.topics == (VALUE_SET, topic_of(deployer.address))
        assert decode(["uint256", "uint256"], log.data) == (0, 7)
        assert (log.block_number, log.block_hash) == (first.block_number, first.block_hash)
        assert log.transaction_hash == first.transaction_hash
        assert log.transaction_index == 0 and log.log_index == 0

        many = backend.send(TxRequest(deployer, probe, set_many_data([8, 9, 10])))
        assert [decode(["uint256", "uint256"], x.data) for x in many.logs] == [
            (7, 8),
            (8, 9),
            (9, 10),
        ]
        assert [x.log_index for x in many.logs] == [0, 1, 2]
        assert all(x.transaction_hash == many.transaction_hash for x in many.logs)
        assert self.get(backend, probe) == 10

    def test_get_logs_filters(
        self, backend: ChainBackend, deployer: LocalAccount, probe: str
    ) -> None:
        other = backend.send(TxRequest(deployer, None, load("Probe").bytecode)).contract_address
        assert other is not None
        receipts = [
            backend.send(TxRequest(deployer, probe, set_data(1))),
            backend.send(TxRequest(deployer, other, set_data(2))),
            backend.send(TxRequest(deployer, probe, set_many_data([3, 4]))),
            backend.send(TxRequest(deployer, other, set_data(5))),
        ]
        start, end = receipts[0].block_number, receipts[-1].block_number
        every = [log for r in receipts for log in r.logs]
        assert backend.get_logs(start, end, [probe, other]) == every
        assert backend.get_logs(0, backend.block_number(), [probe, other]) == every
        assert backend.get_logs(start, end, [probe]) == [x for x in every if x.address == probe]
        assert backend.get_logs(start, end, [other], [VALUE_SET]) == [
            x for x in every if x.address == other
        ]
        middle = receipts[1].block_number, receipts[2].block_number
        assert backend.get_logs(*middle, [probe, other]) == [
            *receipts[1].logs,
            *receipts[2].logs,
        ]
        assert backend.get_logs(start, end, [probe], [keccak(b"Nope()")]) == []
        assert backend.get_logs(start, end, []) == []
        assert backend.get_logs(end + 1, end + 5, [probe]) == []

    # -- reverts ----------------------------------------------------------------------------

    def test_revert_on_estimate(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        backend.send(TxRequest(deployer, probe, set_data(5)))
        head = backend.block_number()
        with pytest.raises(TransactionReverted) as caught:
            backend.send(TxRequest(deployer, probe, set_data(13)))
        assert forbidden_args(caught.value) == (13, deployer.address.lower())
        assert self.get(backend, probe) == 5
        assert backend.get_logs(head + 1, head + 10, [probe]) == []
        backend.send(TxRequest(deployer, probe, set_data(6)))  # the nonce was not burned
        assert self.get(backend, probe) == 6

    def test_revert_when_mined(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        backend.send(TxRequest(deployer, probe, set_data(5)))
        with pytest.raises(TransactionReverted) as caught:
            backend.send(TxRequest(deployer, probe, set_many_data([1, 13]), gas=300_000))
        assert forbidden_args(caught.value) == (13, deployer.address.lower())
        assert self.get(backend, probe) == 5
        backend.send(TxRequest(deployer, probe, set_data(6)))
        assert self.get(backend, probe) == 6

    def test_revert_on_call(self, backend: ChainBackend, probe: str) -> None:
        with pytest.raises(TransactionReverted) as caught:
            backend.call(probe, set_data(13))
        assert forbidden_args(caught.value) == (13, ZERO_ADDRESS)  # call() has no sender

    def test_call_at_block(self, backend: ChainBackend, probe: str, deployer: LocalAccount) -> None:
        at_five = backend.send(TxRequest(deployer, probe, set_data(5))).block_number
        backend.send(TxRequest(deployer, probe, set_data(9)))
        assert self.get(backend, probe, at_five) == 5
        assert self.get(backend, probe, at_five - 1) == 0
        assert self.get(backend, probe) == 9
        assert decode(["uint256"], backend.call(probe, GET, "latest")) == (9,)

    # -- batches and concurrency ------------------------------------------------------------

    def test_send_many_in_order(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        values = list(range(20, 30))
        receipts = backend.send_many([TxRequest(deployer, probe, set_data(v)) for v in values])
        assert len(receipts) == len(values)
        assert [r.block_number for r in receipts] == sorted(r.block_number for r in receipts)
        assert len({r.transaction_hash for r in receipts}) == len(values)
        seen = [decode(["uint256", "uint256"], r.logs[0].data) for r in receipts]
        assert seen == list(zip([0, *values[:-1]], values, strict=True))
        assert self.get(backend, probe) == 29
        head = receipts[-1].block_number
        logs = backend.get_logs(receipts[0].block_number, head, [probe])
        assert logs == [r.logs[0] for r in receipts]

    def test_send_many_stops_at_first_revert(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        batch = [TxRequest(deployer, probe, set_data(v)) for v in (1, 2, 13, 3)]
        with pytest.raises(TransactionReverted) as caught:
            backend.send_many(batch)
        assert forbidden_args(caught.value) == (13, deployer.address.lower())
        assert self.get(backend, probe) == 2
        assert backend.send_many([]) == []
        backend.send(TxRequest(deployer, probe, set_data(4)))
        assert self.get(backend, probe) == 4

    @pytest.mark.parametrize("shared_sender", [True, False], ids=["one-sender", "four-senders"])
    def test_concurrent_senders(
        self,
        backend: ChainBackend,
        probe: str,
        deployer: LocalAccount,
        new_account: Callable[[], LocalAccount],
        shared_sender: bool,
    ) -> None:
        threads_n, per_thread = 4, 6
        senders = [deployer if shared_sender else new_account() for _ in range(threads_n)]
        start = backend.block_number() + 1
        errors: list[BaseException] = []
        barrier = threading.Barrier(threads_n)

        def work(index: int) -> None:
            try:
                barrier.wait()
                for i in range(per_thread):
                    value = 100 * (index + 1) + i
                    backend.send(TxRequest(senders[index], probe, set_data(value)))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert not errors, errors
        logs = backend.get_logs(start, backend.block_number(), [probe])
        values = sorted(decode(["uint256", "uint256"], x.data)[1] for x in logs)
        expected = sorted(100 * (t + 1) + i for t in range(threads_n) for i in range(per_thread))
        assert values == expected
        for sender in senders:  # each sender can still send: its nonce is in step
            backend.send(TxRequest(sender, probe, set_data(1)))
        assert self.get(backend, probe) == 1


class TestJsonRpcConformance(BackendConformance):
    CHAIN_ID = 31337

    @pytest.fixture
    def backend(self, anvil: AnvilProcess) -> Iterator[ChainBackend]:
        backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id, faucet=anvil.faucet)
        yield backend
        backend.close()

    def test_chain_mismatch(self, anvil: AnvilProcess) -> None:
        with pytest.raises(ChainMismatch):
            JsonRpcBackend(anvil.url, chain_id=1)

    def test_chain_unavailable(self, anvil: AnvilProcess, backend: ChainBackend) -> None:
        anvil.stop()
        with pytest.raises(ChainUnavailable):
            JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
        with pytest.raises(ChainUnavailable):
            backend.block_number()
        with pytest.raises(ChainUnavailable):
            backend.fund(Account.create().address, 1)

    def test_nonce_resync_after_another_client(
        self, anvil: AnvilProcess, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        other = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
        try:
            backend.send(TxRequest(deployer, probe, set_data(1)))
            other.send(TxRequest(deployer, probe, set_data(2)))  # uses the cached nonce
            backend.send(TxRequest(deployer, probe, set_data(3)))  # "nonce too low": resync
            other.send(TxRequest(deployer, probe, set_data(4)))
        finally:
            other.close()
        assert self.get(backend, probe) == 4

    def test_mined_revert_has_hash(
        self, backend: ChainBackend, probe: str, deployer: LocalAccount
    ) -> None:
        with pytest.raises(TransactionReverted) as caught:
            backend.send(TxRequest(deployer, probe, set_data(13), gas=100_000))
        assert caught.value.transaction_hash is not None
        assert forbidden_args(caught.value) == (13, deployer.address.lower())

    def test_legacy_free_gas_chain(self) -> None:
        # Like a Besu QBFT network without London: no base fee, gasPrice 0, empty accounts.
        with start_anvil(hardfork="berlin", gas_price=0, block_base_fee_per_gas=0) as node:
            backend = JsonRpcBackend(node.url, chain_id=node.chain_id)
            try:
                assert backend.block(0).hash and backend.balance(node.faucet.address) > 0
                poor, rich = Account.create(), Account.create()
                backend.fund(rich.address, 5)  # no faucet given: anvil_setBalance
                backend.send(TxRequest(poor, rich.address, b""))
                receipt = backend.send(TxRequest(poor, rich.address, b"", gas=21_000))
                assert receipt.gas_used == 21_000
                assert backend.balance(poor.address) == 0
                assert backend.balance(rich.address) == 5
            finally:
                backend.close()

    def test_anvil_stop_leaves_no_process(self) -> None:
        node = start_anvil()
        pid = node.proc.pid
        node.stop()
        node.stop()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


class TestEmbeddedConformance(BackendConformance):
    CHAIN_ID = 1337

    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[ChainBackend]:
        from huren.registry.embedded import EmbeddedBackend

        backend = EmbeddedBackend(tmp_path / "chain", chain_id=self.CHAIN_ID)
        yield backend
        backend.close()
