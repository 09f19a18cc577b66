"""The recognition service's errors: one root, each with how the API reports it."""

from __future__ import annotations

__all__ = ["InvalidAction", "RecognitionError", "TooManyFingerprints"]


class RecognitionError(Exception):
    """Root of the recognition service's errors; ``status`` and ``code`` say how the API
    reports each (the service itself knows nothing of HTTP beyond these two values)."""

    status = 400
    code = "RECOGNITION_ERROR"


class InvalidAction(RecognitionError, ValueError):
    """Not 0 nor a single right bit (the contract reverts ``InvalidAction`` likewise)."""

    status = 422
    code = "INVALID_ACTION"


class TooManyFingerprints(RecognitionError, ValueError):
    status = 422
    code = "TOO_MANY_FINGERPRINTS"
