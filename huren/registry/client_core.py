"""What both halves of the typed client share: the backend and deployment, the acting account,
calls and sends that turn reverts into typed ``ContractError``s, and the write results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from eth_abi.abi import decode, encode
from eth_account.signers.local import LocalAccount

from huren.registry.abi import checksum, function_selectors
from huren.registry.backend import BlockId, ChainBackend, Receipt, TransactionReverted, TxRequest
from huren.registry.errors_base import (
    DeploymentMismatch,
    InvalidIdentifier,
    RegistryError,
    decode_revert,
)
from huren.registry.event_types import ChainEvent
from huren.registry.events import decode_log
from huren.registry.ids import check_bytes32, encode_id
from huren.registry.types import Deployment, ProposalStatus

__all__ = ["DEFAULT_MAX_BATCH", "ProposalResult", "TxResult"]

DEFAULT_MAX_BATCH = 1000
E = TypeVar("E", bound=ChainEvent)

CONSORTIUM = function_selectors("Consortium")
REGISTRY = function_selectors("CertificateRegistry")


@dataclass(frozen=True, slots=True)
class TxResult:
    """A mined transaction. ``events`` decodes its logs on each access (a 1000-record batch
    has 1000 of them, which a caller that only needs the receipt should not pay for)."""

    receipt: Receipt

    @property
    def transaction_hash(self) -> bytes:
        return self.receipt.transaction_hash

    @property
    def block_number(self) -> int:
        return self.receipt.block_number

    @property
    def gas_used(self) -> int:
        return self.receipt.gas_used

    @property
    def events(self) -> tuple[ChainEvent, ...]:
        return tuple(decode_log(log) for log in self.receipt.logs)

    def events_of(self, cls: type[E]) -> list[E]:
        """The transaction's events of type ``cls``."""
        return [e for e in self.events if isinstance(e, cls)]


@dataclass(frozen=True, slots=True)
class ProposalResult(TxResult):
    """A proposal or vote: the proposal and its status right after this transaction (OPEN,
    EXECUTED or REJECTED; a proposer's own yes vote can already execute it)."""

    proposal_id: int
    status: ProposalStatus

    @property
    def executed(self) -> bool:
        return self.status == ProposalStatus.EXECUTED


class ClientCore:
    """Backend, deployment and acting account; see ``RegistryClient``."""

    def __init__(
        self,
        backend: ChainBackend,
        deployment: Deployment,
        account: LocalAccount | None = None,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if backend.chain_id != deployment.chain_id:
            raise DeploymentMismatch(
                f"deployment is on chain {deployment.chain_id}, backend on {backend.chain_id}"
            )
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        self.backend = backend
        self.deployment = deployment
        self._account = account
        self.max_batch = max_batch
        self._consortium = deployment.consortium
        self._registry = deployment.registry

    @property
    def account(self) -> LocalAccount:
        """The account that signs writes; a client without one can only read."""
        if self._account is None:
            raise RegistryError("this client has no account: use with_account() to write")
        return self._account

    @property
    def address(self) -> str | None:
        return None if self._account is None else self._account.address

    def with_account(self, account: LocalAccount) -> Self:
        """The same client acting as ``account`` (clients are cheap; share the backend)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._account = account
        return clone

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, to: str, data: bytes, block: BlockId) -> bytes:
        try:
            return self.backend.call(to, data, block)
        except TransactionReverted as exc:
            raise decode_revert(exc.revert_data, exc.transaction_hash) from None

    def _view(
        self,
        to: str,
        fn: bytes,
        types: Sequence[str],
        args: Sequence[Any],
        out: Sequence[str],
        block: BlockId,
    ) -> tuple[Any, ...]:
        """Encode a call with eth_abi, run it at ``block``, decode its ``out`` types."""
        data = fn + encode(list(types), list(args)) if types else fn
        return decode(list(out), self._call(to, data, block))

    def _send(self, to: str, data: bytes, gas: int | None = None) -> Receipt:
        request = TxRequest(sender=self.account, to=to, data=data, gas=gas)
        try:
            return self.backend.send(request)
        except TransactionReverted as exc:
            raise decode_revert(exc.revert_data, exc.transaction_hash) from exc

    def _write(self, to: str, fn: bytes, types: Sequence[str], args: Sequence[Any]) -> TxResult:
        return TxResult(self._send(to, fn + encode(list(types), list(args))))


# -- argument helpers ------------------------------------------------------------------------


def b32(value: bytes, what: str) -> bytes:
    return check_bytes32(value, what)


def ident(value: str) -> bytes:
    return encode_id(value)


def addr(value: str) -> str:
    """A checksummed address (raises ``InvalidIdentifier`` for anything else)."""
    try:
        return checksum(value)
    except (ValueError, TypeError) as exc:
        raise InvalidIdentifier(f"not an address: {value!r}") from exc
