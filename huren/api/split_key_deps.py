"""The split-key desk of a request's node (``huren.node.applications.split_keys``), for the
enrolment-ticket route and the download with ``key_source: "enrolment"``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from huren.api.deps import NodeDep
from huren.api.problems import ApiProblem
from huren.node.applications.split_keys import SplitKeyDesk
from huren.node.applications.wiring import ApplicationServices
from huren.node.cosigner.recovery_key import RecoveryKeyUnavailable, recovery_public_key_of

__all__ = ["SplitKeysDep", "split_key_desk"]


def split_key_desk(node: NodeDep) -> SplitKeyDesk:
    """Over the node's applications, with the recovery key of its settings (None when a
    node outside dev has none: tickets then answer 503 RECOVERY_KEY_UNAVAILABLE)."""
    services: ApplicationServices | None = getattr(node, "applications", None)
    if services is None:
        raise ApiProblem(503, "APPLICATIONS_UNAVAILABLE", "this node takes no applications")
    settings = getattr(node, "settings", None)
    env = getattr(settings, "env", "dev")
    try:
        recovery = recovery_public_key_of(env, getattr(settings, "recovery_public_key", None))
    except RecoveryKeyUnavailable:
        recovery = None
    return SplitKeyDesk(services.desk, recovery)


SplitKeysDep = Annotated[SplitKeyDesk, Depends(split_key_desk)]
