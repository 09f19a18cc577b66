"""The device SDK's one exception root and its refusals."""

from __future__ import annotations


class DeviceError(Exception):
    """Root of every error the device SDK raises."""

    code = "DEVICE_ERROR"


class CosignerRefused(DeviceError):
    """The co-signer answered with a problem (``code`` is its machine-readable code)."""

    def __init__(
        self, status: int, code: str, detail: str, problem: dict[str, object] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem = problem or {}  # the whole problem JSON (extension members too)


class ProtocolViolation(DeviceError):
    """The co-signer's answer does not fit the protocol (wrong parameters, key or share)."""

    code = "PROTOCOL_VIOLATION"


class LocalStoreError(DeviceError):
    """The device's own store is missing something, or a sealed share does not open."""

    code = "LOCAL_STORE_ERROR"
