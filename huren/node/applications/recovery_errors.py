"""Refusals of split-key recovery (under the applications' root; codes in
docs/applications.md, *Recovery*)."""

from __future__ import annotations

from huren.node.applications.errors import ApplicationError

__all__ = [
    "PolicyNotAcknowledged",
    "PolicyOutdated",
    "RecoverableCertificateNotFound",
    "RecoveryInProgress",
    "RecoveryNotReady",
    "SplitKeyRecoveryByDevice",
]


class PolicyNotAcknowledged(ApplicationError, ValueError):
    status = 422
    code = "RECOVERY_POLICY_NOT_ACKNOWLEDGED"


class PolicyOutdated(ApplicationError):
    """The holder acknowledged another version of the policy than the one in force."""

    status = 409
    code = "RECOVERY_POLICY_OUTDATED"


class RecoverableCertificateNotFound(ApplicationError):
    """No split-key certificate of this account with that fingerprint (or not that purpose)."""

    status = 404
    code = "RECOVERABLE_CERTIFICATE_NOT_FOUND"


class RecoveryInProgress(ApplicationError):
    status = 409
    code = "RECOVERY_IN_PROGRESS"


class RecoveryNotReady(ApplicationError):
    """A recovery ticket is handed out only for an approved, paid, not completed recovery."""

    status = 409
    code = "RECOVERY_NOT_READY"


class SplitKeyRecoveryByDevice(ApplicationError):
    """A split-key recovery issues no certificate: the new device reshares instead."""

    status = 409
    code = "SPLIT_KEY_RECOVERY"
