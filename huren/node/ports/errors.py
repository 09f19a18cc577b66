"""The errors every port raises (one root, ``PortError``); ``status`` and ``code`` are how
the API reports them when a service lets one through."""

from __future__ import annotations

__all__ = ["PortError", "PortNotConfigured", "PortRefused", "PortTimeout", "PortUnavailable"]


class PortError(Exception):
    """Root of the external-service errors. ``port`` names the service (``sms``, ``wechat``,
    ``cfca``, ``alipay``, ``bank``)."""

    status = 502
    code = "UPSTREAM_ERROR"

    def __init__(self, port: str, detail: str) -> None:
        super().__init__(f"{port}: {detail}")
        self.port = port
        self.detail = detail


class PortTimeout(PortError):
    """The service did not answer in time: the request may or may not have taken effect."""

    status = 504
    code = "UPSTREAM_TIMEOUT"


class PortUnavailable(PortError):
    """The service failed (5xx, connection refused, malformed answer)."""

    status = 503
    code = "UPSTREAM_UNAVAILABLE"


class PortNotConfigured(PortUnavailable):
    """No adapter for this service on this node (outside dev the simulators are not used)."""

    code = "UPSTREAM_NOT_CONFIGURED"


class PortRefused(PortError):
    """The service answered and said no; ``reason`` is its machine-readable reason."""

    status = 422
    code = "UPSTREAM_REFUSED"

    def __init__(self, port: str, reason: str, detail: str) -> None:
        super().__init__(port, detail)
        self.reason = reason
