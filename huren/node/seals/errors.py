"""Errors of seal images and records: one root, each with the API's status and code."""

from __future__ import annotations

__all__ = [
    "CjkFontMissing",
    "InvalidHandwriting",
    "InvalidSealImage",
    "InvalidSealRecord",
    "InvalidSealStyle",
    "NoSealFound",
    "SealError",
    "SealLimitReached",
    "SealNotFound",
    "SealPermissionDenied",
    "UnreadablePhoto",
]


class SealError(Exception):
    """Root of the seal errors; ``status`` and ``code`` are how the API reports them."""

    status = 400
    code = "SEAL_ERROR"


class CjkFontMissing(SealError):
    """No CJK font on this machine: a deployment fault, not the user's."""

    status = 500
    code = "CJK_FONT_MISSING"


class InvalidSealStyle(SealError, ValueError):
    status = 422
    code = "INVALID_SEAL_STYLE"


class InvalidSealRecord(SealError, ValueError):
    status = 422
    code = "INVALID_SEAL_RECORD"


class InvalidSealImage(SealError, ValueError):
    """A seal image that is not a transparent PNG of sensible size."""

    status = 422
    code = "INVALID_SEAL_IMAGE"


class InvalidHandwriting(SealError, ValueError):
    status = 422
    code = "INVALID_HANDWRITING"


class UnreadablePhoto(SealError, ValueError):
    status = 422
    code = "UNREADABLE_PHOTO"


class NoSealFound(SealError):
    """The photo holds no seal-coloured ink big enough to be a seal."""

    status = 422
    code = "NO_SEAL_FOUND"


class SealLimitReached(SealError):
    """An owner already holds as many seals of a kind as allowed (personal: 3)."""

    status = 409
    code = "SEAL_LIMIT_REACHED"


class SealNotFound(SealError):
    status = 404
    code = "SEAL_NOT_FOUND"


class SealPermissionDenied(SealError):
    status = 403
    code = "SEAL_PERMISSION_DENIED"
