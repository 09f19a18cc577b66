"""``JsonRpcBackend``: the chain backend for any Ethereum JSON-RPC endpoint.

Locally that is anvil; in production a Besu QBFT network. Transactions are signed here with
eth-account keys (never ``eth_sendTransaction``), with explicit gas and fees, and nonces are
tracked per sender so that several threads can send at once. The hot paths speak raw JSON-RPC
through web3's ``HTTPProvider`` and decode the answers themselves: web3's result formatters
cost more than the request, and raw answers avoid the PoA ``extraData`` problem entirely.
The ``Web3`` object (with the PoA middleware) is still offered as ``.web3`` for tooling.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import requests
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration
from web3.types import RPCEndpoint

from huren.registry.backend import (
    BackendError,
    BlockHeader,
    BlockId,
    ChainBackend,
    ChainMismatch,
    ChainUnavailable,
    RawLog,
    Receipt,
    TransactionReverted,
    TxRequest,
)
from huren.registry.jsonrpc_codec import b, block_tag, hexstr, log_of, receipt_of

HTTP_TIMEOUT = 30.0  # seconds, per HTTP request
FEE_TTL = 1.0  # seconds a fee quote is reused within one send_many
GAS_MARGIN_NUM, GAS_MARGIN_DEN, GAS_MARGIN_ADD = 5, 4, 10_000  # estimate * 1.25 + 10k
_NONCE_ERRORS = ("nonce too low", "nonce too high", "already known", "known transaction",
                 "replacement transaction underpriced", "nonce is too low")  # fmt: skip
_HEX = re.compile(r"0x[0-9a-fA-F]*")


class RpcError(BackendError):
    """The node answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Any) -> None:
        err: dict[str, Any] = error if isinstance(error, dict) else {"message": str(error)}
        self.method = method
        self.code: int | None = err.get("code")
        self.message = str(err.get("message", ""))
        self.data: Any = err.get("data")
        super().__init__(f"{method}: {self.message} (code {self.code})")

    def revert_data(self) -> bytes | None:
        """The raw revert data when this error reports an EVM revert, else ``None``."""
        if self.code != 3 and "revert" not in self.message.lower():
            return None
        data = self.data
        if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
            data = data.get("data", data.get("result"))
        if isinstance(data, str):
            match = _HEX.search(data)
            if match and len(match.group()) % 2 == 0:
                return bytes.fromhex(match.group()[2:])
        return b""


@dataclass(frozen=True, slots=True)
class _Sent:
    request: TxRequest
    tx_hash: bytes
    gas: int


@dataclass(frozen=True, slots=True)
class _Fees:
    at: float  # time.monotonic() when fetched
    fields: dict[str, int]  # gasPrice, or maxFeePerGas and maxPriorityFeePerGas
    gas_limit: int  # of the latest block


class JsonRpcBackend(ChainBackend):
    """A chain reached over HTTP JSON-RPC, pinned to ``chain_id``. Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        chain_id: int,
        faucet: LocalAccount | None = None,
        receipt_timeout: float = 60.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._url = url
        self._faucet = faucet
        self._receipt_timeout = receipt_timeout
        self._poll_interval = poll_interval
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=32)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # Retry idempotent reads on connection trouble; never re-send a raw transaction
        # blindly (a lost answer is resolved by looking the transaction up instead).
        retry = ExceptionRetryConfiguration(
            errors=(requests.ConnectionError, requests.Timeout),
            retries=3,
            backoff_factor=0.1,
            method_allowlist=[m for m in REQUEST_RETRY_ALLOWLIST if m != "eth_sendRawTransaction"],
        )
        self._provider = HTTPProvider(
            url,
            session=self._session,
            request_kwargs={"timeout": HTTP_TIMEOUT},
            exception_retry_configuration=retry,
        )
        self._web3 = Web3(self._provider)
        self._web3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        self._nonces: dict[str, int] = {}
        self._sender_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        try:
            answered = int(self._rpc("eth_chainId"), 16)
        except BackendError:
            self.close()
            raise
        if answered != chain_id:
            self.close()
            raise ChainMismatch(f"{url} is chain {answered}, expected chain {chain_id}")
        self._chain_id = chain_id

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def web3(self) -> Web3:
        """A ``Web3`` on the same session (PoA middleware installed), for tooling only."""
        return self._web3

    def _rpc(self, method: str, *params: Any) -> Any:
        try:
            response = self._provider.make_request(RPCEndpoint(method), list(params))
        except requests.HTTPError as exc:
            # Some nodes answer JSON-RPC errors with HTTP 4xx/5xx; keep the error if present.
            body = self._json_error(exc.response)
            if body is None:
                raise ChainUnavailable(f"{method} at {self._url}: {exc}") from exc
            raise RpcError(method, body) from exc
        except (requests.RequestException, OSError, ValueError) as exc:
            raise ChainUnavailable(f"{method} at {self._url}: {exc}") from exc
        answer = cast(dict[str, Any], response)
        if not isinstance(answer, dict) or ("result" not in answer and "error" not in answer):
            raise ChainUnavailable(f"{method} at {self._url}: not a JSON-RPC answer")
        if "error" in answer:
            raise RpcError(method, answer["error"])
        return answer["result"]

    @staticmethod
    def _json_error(response: requests.Response | None) -> Any:
        try:
            body = response.json() if response is not None else None
        except ValueError:
            return None
        return body.get("error") if isinstance(body, dict) else None

    def _batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Several requests in one HTTP round trip; each answer keeps its own error."""
        if len(calls) == 1:
            method, params = calls[0]
            try:
                return [{"result": self._rpc(method, *params)}]
            except RpcError as exc:
                return [{"error": {"code": exc.code, "message": exc.message, "data": exc.data}}]
        batch = [(RPCEndpoint(m), p) for m, p in calls]
        try:
            answers = self._provider.make_batch_request(batch)
        except (requests.RequestException, OSError, ValueError) as exc:
            raise ChainUnavailable(f"batch at {self._url}: {exc}") from exc
        if not isinstance(answers, list) or len(answers) != len(calls):
            error = answers.get("error") if isinstance(answers, dict) else None
            raise ChainUnavailable(f"batch at {self._url}: unexpected answer {error!r}")
        return [cast(dict[str, Any], a) for a in answers]

    @staticmethod
    def _result(method: str, answer: dict[str, Any]) -> Any:
        if "error" in answer:
            raise RpcError(method, answer["error"])
        return answer.get("result")

    # -- reads ------------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def block_number(self) -> int:
        return int(self._rpc("eth_blockNumber"), 16)

    def block(self, number: int) -> BlockHeader:
        if number < 0:
            raise BackendError(f"no block {number}")
        raw = self._rpc("eth_getBlockByNumber", hex(number), False)
        if raw is None:
            raise BackendError(f"block {number} is past the head")
        return BlockHeader(
            number=int(raw["number"], 16),
            hash=b(raw["hash"]),
            parent_hash=b(raw["parentHash"]),
            timestamp=int(raw["timestamp"], 16),
        )

    def call(self, to: str, data: bytes, block: BlockId = "latest") -> bytes:
        try:
            result = self._rpc("eth_call", {"to": to, "data": hexstr(data)}, block_tag(block))
        except RpcError as exc:
            revert = exc.revert_data()
            if revert is None:
                raise
            raise TransactionReverted(revert) from exc
        return b(result)

    def get_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[str],
        topic0: Sequence[bytes] | None = None,
    ) -> list[RawLog]:
        if not addresses or from_block > to_block or (topic0 is not None and not topic0):
            return []  # an empty address list would mean "every contract" to the node
        query: dict[str, Any] = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": list(addresses),
        }
        if topic0 is not None:
            query["topics"] = [[hexstr(t) for t in topic0]]
        try:
            answer = self._rpc("eth_getLogs", query)
        except RpcError:
            head = self.block_number()  # some nodes (anvil) refuse ranges past the head
            if to_block <= head:
                raise
            if from_block > head:
                return []
            answer = self._rpc("eth_getLogs", {**query, "toBlock": hex(head)})
        logs = [log_of(entry) for entry in answer]
        logs.sort(key=lambda log: (log.block_number, log.log_index))
        return logs

    def balance(self, address: str) -> int:
        return int(self._rpc("eth_getBalance", address, "latest"), 16)

    # -- writes -----------------------------------------------------------------------------

    def send(self, request: TxRequest) -> Receipt:
        return self.send_many([request])[0]

    def send_many(self, requests: Sequence[TxRequest]) -> list[Receipt]:
        """Sign and send all, then wait for all receipts (pipelined). Raises the first revert
        in request order; transactions already sent after it may still be mined."""
        receipts: list[Receipt] = []
        pending: list[_Sent] = []
        fees: _Fees | None = None
        for request in requests:
            try:
                gas, fees = self._prepare(request, fees)
            except TransactionReverted:
                if not pending:
                    raise
                # It may depend on the effects of earlier ones still in flight: wait, retry.
                receipts += self._wait(pending)
                pending = []
                gas, fees = self._prepare(request, fees)
            pending.append(self._sign_and_send(request, gas, fees.fields))
        receipts += self._wait(pending)
        return receipts

    def fund(self, address: str, wei: int) -> None:
        if self._faucet is not None:
            self.send(TxRequest(sender=self._faucet, to=address, data=b"", value=wei))
            return
        try:  # dev chains without a configured faucet (anvil, hardhat)
            self._rpc("anvil_setBalance", address, hex(self.balance(address) + wei))
        except RpcError as exc:
            raise BackendError("no faucet account configured for this chain") from exc

    def close(self) -> None:
        self._session.close()

    def _tx_fields(self, request: TxRequest) -> dict[str, Any]:
        fields: dict[str, Any] = {"from": request.sender.address, "data": hexstr(request.data)}
        if request.to is not None:
            fields["to"] = request.to
        if request.value:
            fields["value"] = hex(request.value)
        return fields

    def _prepare(self, request: TxRequest, fees: _Fees | None) -> tuple[int, _Fees]:
        """Gas (estimated plus a margin when not given) and fees, in one round trip; ``fees``
        younger than ``FEE_TTL`` are reused (within one ``send_many``)."""
        calls: list[tuple[str, list[Any]]] = []
        if fees is None or time.monotonic() - fees.at > FEE_TTL:
            calls += [
                ("eth_getBlockByNumber", ["latest", False]),
                ("eth_gasPrice", []),
                ("eth_maxPriorityFeePerGas", []),
            ]
        if request.gas is None:
            calls.append(("eth_estimateGas", [self._tx_fields(request)]))
        answers = self._batch(calls) if calls else []
        if fees is None or len(answers) >= 3:
            fees = self._fees(*answers[:3])
        if request.gas is not None:
            return request.gas, fees
        try:
            estimate = int(self._result("eth_estimateGas", answers[-1]), 16)
        except RpcError as exc:
            revert = exc.revert_data()
            if revert is None:
                raise
            raise TransactionReverted(revert) from exc
        gas = estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN + GAS_MARGIN_ADD
        return max(estimate, min(gas, fees.gas_limit)), fees

    def _fees(self, block: dict[str, Any], gas_price: dict[str, Any], tip: dict[str, Any]) -> _Fees:
        head = self._result("eth_getBlockByNumber", block)
        gas_limit = int(head["gasLimit"], 16)
        base_fee = head.get("baseFeePerGas")
        if base_fee is None:  # pre-London or a free-gas QBFT network: legacy gasPrice
            price = int(self._result("eth_gasPrice", gas_price), 16)
            return _Fees(time.monotonic(), {"gasPrice": price}, gas_limit)
        if "error" in tip:  # a node without eth_maxPriorityFeePerGas
            priority = int(self._result("eth_gasPrice", gas_price), 16) - int(base_fee, 16)
        else:
            priority = int(tip["result"], 16)
        priority = max(priority, 0)
        fields = {
            "maxFeePerGas": 2 * int(base_fee, 16) + priority,
            "maxPriorityFeePerGas": priority,
        }
        return _Fees(time.monotonic(), fields, gas_limit)

    def _sender_lock(self, address: str) -> threading.Lock:
        with self._locks_lock:
            return self._sender_locks.setdefault(address, threading.Lock())

    def _sign_and_send(self, request: TxRequest, gas: int, fees: dict[str, int]) -> _Sent:
        sender = request.sender.address
        with self._sender_lock(sender):
            for _attempt in range(5):
                nonce = self._nonces.get(sender)
                if nonce is None:
                    nonce = int(self._rpc("eth_getTransactionCount", sender, "pending"), 16)
                tx: dict[str, Any] = {
                    "chainId": self._chain_id,
                    "nonce": nonce,
                    "gas": gas,
                    "value": request.value,
                    "data": request.data,
                    **fees,
                }
                if request.to is not None:
                    tx["to"] = bytes.fromhex(request.to.removeprefix("0x"))
                signed = request.sender.sign_transaction(tx)
                try:
                    accepted = self._send_raw(bytes(signed.raw_transaction), bytes(signed.hash))
                except ChainUnavailable:
                    self._nonces.pop(sender, None)  # unknown whether it arrived: resync
                    raise
                if not accepted:
                    self._nonces.pop(sender, None)  # another transaction took it: resync
                    continue
                self._nonces[sender] = nonce + 1
                return _Sent(request, bytes(signed.hash), gas)
            raise BackendError(f"no usable nonce for {sender} after 5 attempts")

    def _send_raw(self, raw: bytes, tx_hash: bytes) -> bool:
        """Submit; ``False`` when the nonce is taken by another transaction."""
        try:
            self._rpc("eth_sendRawTransaction", hexstr(raw))
        except RpcError as exc:
            if not any(e in exc.message.lower() for e in _NONCE_ERRORS):
                revert = exc.revert_data()
                if revert is not None:
                    raise TransactionReverted(revert) from exc
                raise
            # "already known"/"nonce too low" may mean ours arrived before (e.g. on a retry)
            return self._rpc("eth_getTransactionByHash", hexstr(tx_hash)) is not None
        return True

    def _wait(self, sent: Sequence[_Sent]) -> list[Receipt]:
        """Poll (batched) until every receipt is in, then raise the first revert in order."""
        found: dict[bytes, dict[str, Any]] = {}
        deadline = time.monotonic() + self._receipt_timeout
        delay = min(0.002, self._poll_interval)
        while True:
            missing = [s.tx_hash for s in sent if s.tx_hash not in found]
            if not missing:
                break
            calls = [("eth_getTransactionReceipt", [hexstr(h)]) for h in missing]
            for tx_hash, answer in zip(missing, self._batch(calls), strict=True):
                raw = self._result("eth_getTransactionReceipt", answer)
                if raw is not None and raw.get("blockNumber") is not None:
                    found[tx_hash] = raw
            if len(found) == len(sent):
                break
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"no receipt for 0x{missing[0].hex()} within {self._receipt_timeout}s"
                )
            time.sleep(delay)
            delay = min(delay * 2, self._poll_interval)
        receipts = []
        for s in sent:
            receipt = receipt_of(found[s.tx_hash])
            if receipt.status != 1:
                raise TransactionReverted(self._replay(s, receipt.block_number), s.tx_hash)
            receipts.append(receipt)
        return receipts

    def _replay(self, sent: _Sent, block_number: int) -> bytes:
        """Recover the revert data of a mined, failed transaction by re-running it as a call
        on its parent block (exact unless earlier transactions in its block changed state)."""
        fields = {**self._tx_fields(sent.request), "gas": hex(sent.gas)}
        try:
            self._rpc("eth_call", fields, hex(max(block_number - 1, 0)))
        except RpcError as exc:
            return exc.revert_data() or b""
        return b""
