"""Versioned binary encoding for every keysplit message and share.

Every encoding starts with two bytes: the format version and the message kind, so a message of
one kind can never be parsed as another. Fields are fixed-size (scalars and points 32 bytes,
integers big-endian) or length-prefixed; parsing validates each field (scalars below the
order, points in the group) and refuses trailing bytes.
"""

from __future__ import annotations

import enum

from huren.node.keysplit.errors import MalformedMessage
from huren.node.keysplit.group import (
    POINT_SIZE,
    SCALAR_SIZE,
    Point,
    decode_nonzero_scalar,
    decode_point,
    decode_scalar,
    encode_point,
    encode_scalar,
)

FORMAT_VERSION = 1
MAX_VARIABLE_FIELD = 1 << 20  # no message carries more than a MiB in one field


class Kind(enum.IntEnum):
    KEY_PACKAGE = 1
    PUBLIC_KEY_PACKAGE = 2
    SIGNING_COMMITMENT = 3
    SIGNING_PACKAGE = 4
    SIGNATURE_SHARE = 5
    DKG_PARAMETERS = 6
    DKG_COMMITMENT = 7
    DKG_SECRET_SHARE = 8
    SEALED_DKG_SHARE = 9
    RECOVERY_ENVELOPE = 10
    DECRYPTION_REQUEST = 11
    DECRYPTION_SHARE = 12
    SEALED_PLAINTEXT = 13


class Writer:
    def __init__(self, kind: Kind) -> None:
        self._parts: list[bytes] = [bytes([FORMAT_VERSION, kind])]

    def u8(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(1, "big"))
        return self

    def u16(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(2, "big"))
        return self

    def u32(self, value: int) -> Writer:
        self._parts.append(value.to_bytes(4, "big"))
        return self

    def fixed(self, data: bytes) -> Writer:
        self._parts.append(bytes(data))
        return self

    def variable(self, data: bytes) -> Writer:
        self.u32(len(data))
        self._parts.append(bytes(data))
        return self

    def scalar(self, value: int) -> Writer:
        self._parts.append(encode_scalar(value))
        return self

    def point(self, value: Point) -> Writer:
        self._parts.append(encode_point(value))
        return self

    def finish(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    def __init__(self, data: bytes, kind: Kind) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise MalformedMessage("message must be bytes")
        self._data = bytes(data)
        if len(self._data) < 2:
            raise MalformedMessage("message too short for its header")
        if self._data[0] != FORMAT_VERSION:
            raise MalformedMessage(f"unsupported format version {self._data[0]}")
        if self._data[1] != kind:
            raise MalformedMessage(f"expected a {kind.name} message, got kind {self._data[1]}")
        self._offset = 2

    def _take(self, n: int) -> bytes:
        if self._offset + n > len(self._data):
            raise MalformedMessage("message truncated")
        chunk = self._data[self._offset : self._offset + n]
        self._offset += n
        return chunk

    def u8(self) -> int:
        return self._take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self._take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self._take(4), "big")

    def fixed(self, n: int) -> bytes:
        return self._take(n)

    def variable(self) -> bytes:
        n = self.u32()
        if n > MAX_VARIABLE_FIELD:
            raise MalformedMessage("variable field too long")
        return self._take(n)

    # Bad scalars and points raise InvalidScalar / InvalidPoint, not MalformedMessage, so a
    # caller can tell an attack on the group from a garbled message.
    def scalar(self) -> int:
        return decode_scalar(self._take(SCALAR_SIZE))

    def nonzero_scalar(self) -> int:
        return decode_nonzero_scalar(self._take(SCALAR_SIZE))

    def point(self) -> Point:
        return decode_point(self._take(POINT_SIZE))

    def end(self) -> None:
        if self._offset != len(self._data):
            raise MalformedMessage("trailing bytes after the message")
