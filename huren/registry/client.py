"""The typed client of the consortium contracts.

``RegistryClient(backend, deployment, account)`` has one method per external function of
Consortium and CertificateRegistry, named in snake_case:

- writes sign with ``account`` (``with_account`` gives the same client acting as another
  account) and return ``TxResult`` (receipt plus the transaction's decoded events) or, for
  proposals and votes, ``ProposalResult`` (proposal id and status after the transaction);
- views return the dataclasses of ``huren.registry.types`` and take ``block=`` to read the
  state at an earlier block;
- a revert raises the matching ``huren.registry.errors`` class (``except NotAMember as e:
  e.account``) with ``revert_data`` and, for mined transactions, ``transaction_hash``;
  malformed arguments raise ``RegistryError`` subclasses before anything is sent.

Ids are ``str`` (``huren.registry.ids``), fingerprints and hashes 32-byte ``bytes``,
addresses checksummed ``str``. Calldata is encoded with eth_abi and precomputed selectors;
issuance batches are encoded by hand with a computed gas limit (see ``record_batch_gas``).
"""

from __future__ import annotations

from eth_abi.exceptions import DecodingError

from huren.registry.backend import BackendError
from huren.registry.client_certificates import CertificateMethods, record_batch_gas
from huren.registry.client_consortium import (
    DEFAULT_ADMIN_ROLE,
    GOVERNANCE_ROLE,
    MEMBER_ROLE,
    ConsortiumMethods,
    ca_operator_role,
)
from huren.registry.client_core import DEFAULT_MAX_BATCH, ProposalResult, TxResult
from huren.registry.errors_base import ContractError, DeploymentMismatch

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "DEFAULT_MAX_BATCH",
    "GOVERNANCE_ROLE",
    "MEMBER_ROLE",
    "ProposalResult",
    "RegistryClient",
    "TxResult",
    "ca_operator_role",
    "record_batch_gas",
]


class RegistryClient(ConsortiumMethods, CertificateMethods):
    """Typed access to one deployment's Consortium and CertificateRegistry.

    ``RegistryClient(backend, deployment, account=None, *, max_batch=1000)``: a client
    without an account reads only. Thread-safe as far as the backend is (it keeps no state
    but its arguments); nonces are the backend's business.
    """

    def check_deployment(self) -> None:
        """Raise ``DeploymentMismatch`` unless the deployment's registry is there and trusts
        the deployment's consortium (worth a call when a node starts)."""
        try:
            trusted = self.consortium()
            if trusted != self._consortium:
                raise DeploymentMismatch(f"registry trusts {trusted}, not {self._consortium}")
            if self.quorum_percent() == 0:  # 50..99 in any real Consortium
                raise DeploymentMismatch(f"no Consortium at {self._consortium}")
        except (ContractError, BackendError, ValueError, DecodingError) as exc:
            raise DeploymentMismatch(f"{self.deployment} is not usable: {exc}") from exc
