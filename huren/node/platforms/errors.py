"""Typed errors of the platform directory, each with its HTTP status and stable code."""

from __future__ import annotations

from typing import ClassVar

__all__ = ["InvalidCoordinates", "PlatformDirectoryError", "PlatformRetired", "UnknownPlatform"]


class PlatformDirectoryError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "PLATFORM_DIRECTORY_ERROR"


class InvalidCoordinates(PlatformDirectoryError, ValueError):
    status = 422
    code = "INVALID_COORDINATES"


class UnknownPlatform(PlatformDirectoryError):
    status = 404
    code = "UNKNOWN_PLATFORM"


class PlatformRetired(PlatformDirectoryError):
    status = 409
    code = "PLATFORM_RETIRED"
