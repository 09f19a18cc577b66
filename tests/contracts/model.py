"""The plain Python model of the huren contracts (no chain): the whole state and its entry
points. Governance rules live in ``model_governance`` (roles in ``model_roles``), certificate
rules in ``model_registry``.

``recognize(state, fingerprint, platform_id, action, at)`` is the recognition rule as a pure
function; the node's off-chain recognition property test reuses it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.contracts import model_governance as gov_rules
from tests.contracts import model_registry as reg_rules
from tests.contracts.model_governance import Governance, Revert
from tests.contracts.model_registry import Registry

__all__ = ["ModelState", "Revert", "gov_rules", "new_state", "recognize", "reg_rules", "transact"]


@dataclass
class ModelState:
    gov: Governance
    reg: Registry = field(default_factory=Registry)
    head_time: int = 0  # timestamp of the chain's latest block: what views see as "now"


def new_state(
    founders: list[tuple[str, str, int]], voting_period: int, head_time: int = 0
) -> ModelState:
    """The state after deploying both contracts with ``founders`` (account, name, region)."""
    return ModelState(gov_rules.new_governance(founders, voting_period), head_time=head_time)


def recognize(
    state: ModelState, fingerprint: bytes, platform_id: bytes, action: int, at: int
) -> tuple[bool, int]:
    """Whether ``fingerprint`` is recognized at ``platform_id`` (bytes32) for ``action`` (0 or
    one RIGHT_* bit) at unix time ``at``, with every REASON_* bit that applies. Revocations
    are dated (revoked from ``revoked_at`` on); CA, platform and authorization state are the
    current ones, as on chain. Raises ``Revert("InvalidAction", action)`` for an action that
    is not 0 or a single right."""
    return reg_rules.recognize_at(state.gov, state.reg, fingerprint, platform_id, action, at)


def transact(
    state: ModelState, block_time: int, op: Callable[[ModelState, int], Any]
) -> tuple[ModelState, Any, Revert | None]:
    """Run ``op(copy, block_time)`` as one transaction mined at ``block_time``: on success the
    new state (with ``head_time`` moved to ``block_time``) and op's result; on a revert the
    unchanged state and the ``Revert``."""
    trial = copy.deepcopy(state)
    try:
        result = op(trial, block_time)
    except Revert as revert:
        return state, None, revert
    trial.head_time = block_time
    return trial, result, None
