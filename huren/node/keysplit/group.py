"""The Ed25519 prime-order group and the FROST(Ed25519, SHA-512) hashes (RFC 9591 §6.1).

Scalars are Python ints reduced modulo the group order ``L``; points are their canonical
32-byte encodings (:class:`Point`), validated when they come from outside. libsodium does the
point arithmetic. Two libsodium behaviours shape this module: its scalar multiplications drop
bit 255 of the scalar without a word, so every scalar is checked below ``L`` before use; and a
zero scalar or an identity result makes it fail with a bare ``RuntimeError``, so zero and the
identity are handled here explicitly and never reach it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import NewType

from nacl import bindings as sodium

from huren.node.keysplit.errors import InvalidPoint, InvalidScalar

#: Order of the prime-order subgroup of edwards25519.
L = 2**252 + 27742317777372353535851937790883648493
#: The field prime of curve25519/edwards25519.
P = 2**255 - 19

SCALAR_SIZE = 32
POINT_SIZE = 32
CONTEXT_STRING = b"FROST-ED25519-SHA512-v1"

#: A validated canonical encoding of an element of the group (may be :data:`IDENTITY`
#: only as an intermediate value; :func:`encode_point` refuses to serialize it).
Point = NewType("Point", bytes)
IDENTITY = Point(bytes([1]) + bytes(31))

#: Source of randomness: ``random_bytes(n)`` returns ``n`` bytes. Injected for test vectors.
RandomBytes = Callable[[int], bytes]


def system_random(n: int) -> bytes:
    return secrets.token_bytes(n)


# -- scalars ---------------------------------------------------------------------------------


def encode_scalar(s: int) -> bytes:
    if not 0 <= s < L:
        raise InvalidScalar("scalar out of range")
    return s.to_bytes(SCALAR_SIZE, "little")


def decode_scalar(data: bytes) -> int:
    """Parse a canonical little-endian scalar; values >= L are refused, not reduced."""
    if len(data) != SCALAR_SIZE:
        raise InvalidScalar(f"a scalar is {SCALAR_SIZE} bytes, got {len(data)}")
    s = int.from_bytes(data, "little")
    if s >= L:
        raise InvalidScalar("scalar is not below the group order")
    return s


def decode_nonzero_scalar(data: bytes) -> int:
    s = decode_scalar(data)
    if s == 0:
        raise InvalidScalar("scalar must not be zero")
    return s


def random_scalar(random_bytes: RandomBytes = system_random) -> int:
    """A uniformly random non-zero scalar (64 random bytes reduced, bias < 2^-259)."""
    while True:
        s = int.from_bytes(random_bytes(64), "little") % L
        if s != 0:
            return s


def inverse(s: int) -> int:
    if s % L == 0:
        raise InvalidScalar("zero has no inverse")
    return pow(s, -1, L)


# -- points ----------------------------------------------------------------------------------


def decode_point(data: bytes) -> Point:
    """Parse a point: canonical, on the curve, in the prime-order subgroup, not small order.

    The identity is small order and so refused, as RFC 9591 §6.5 requires.
    """
    if len(data) != POINT_SIZE:
        raise InvalidPoint(f"a point is {POINT_SIZE} bytes, got {len(data)}")
    if not sodium.crypto_core_ed25519_is_valid_point(bytes(data)):
        raise InvalidPoint("not a canonical point of the prime-order group (or the identity)")
    return Point(bytes(data))


def encode_point(point: Point) -> bytes:
    if point == IDENTITY:
        raise InvalidPoint("the identity element cannot be serialized")
    return bytes(point)


def base_mul(s: int) -> Point:
    """``s * B``; ``s`` must be a non-zero scalar below ``L``."""
    if not 0 < s < L:
        raise InvalidScalar("base multiplication needs a non-zero scalar below the group order")
    return Point(sodium.crypto_scalarmult_ed25519_base_noclamp(encode_scalar(s)))


def base_mul_or_identity(s: int) -> Point:
    """``s * B`` allowing ``s = 0`` (public values such as proof responses can be zero)."""
    return IDENTITY if s == 0 else base_mul(s)


def mul(s: int, point: Point) -> Point:
    """``s * point`` for a point of the prime-order group; ``0 * point`` is the identity."""
    if not 0 <= s < L:
        raise InvalidScalar("scalar is not below the group order")
    if s == 0 or point == IDENTITY:
        return IDENTITY
    try:
        return Point(sodium.crypto_scalarmult_ed25519_noclamp(encode_scalar(s), bytes(point)))
    except RuntimeError as error:  # libsodium refuses invalid points and identity results
        raise InvalidPoint("scalar multiplication refused by libsodium") from error


def add(a: Point, b: Point) -> Point:
    if a == IDENTITY:
        return b
    if b == IDENTITY:
        return a
    try:
        return Point(sodium.crypto_core_ed25519_add(bytes(a), bytes(b)))
    except RuntimeError as error:
        raise InvalidPoint("point addition refused by libsodium") from error


def sub(a: Point, b: Point) -> Point:
    if b == IDENTITY:
        return a
    try:
        return Point(sodium.crypto_core_ed25519_sub(bytes(a), bytes(b)))
    except RuntimeError as error:
        raise InvalidPoint("point subtraction refused by libsodium") from error


def sum_points(points: list[Point]) -> Point:
    total = IDENTITY
    for point in points:
        total = add(total, point)
    return total


# -- the Montgomery form (X25519) ------------------------------------------------------------


def u_to_edwards(u_bytes: bytes) -> Point:
    """Map an X25519 public value (u-coordinate) to an Edwards point of the prime-order group.

    The Edwards point has sign bit 0; the other sign gives the negated point, and ``u`` of any
    multiple of either is the same, so the choice does not matter to X25519 results. Values
    that are non-canonical (>= p, including a set top bit), map to no point, or lie outside the
    prime-order group (small or mixed order) are refused: a share multiplied onto such a point
    would leak the share modulo the cofactor.
    """
    if len(u_bytes) != POINT_SIZE:
        raise InvalidPoint(f"an X25519 public value is {POINT_SIZE} bytes, got {len(u_bytes)}")
    u = int.from_bytes(u_bytes, "little")
    if u >= P or (u + 1) % P == 0:
        raise InvalidPoint("X25519 public value is non-canonical or has no Edwards point")
    y = (u - 1) * pow(u + 1, -1, P) % P
    return decode_point(y.to_bytes(POINT_SIZE, "little"))


def edwards_to_u(point: Point) -> bytes:
    """The X25519 u-coordinate ``(1 + y) / (1 - y)`` of an Edwards point (not the identity)."""
    if point == IDENTITY:
        raise InvalidPoint("the identity has no u-coordinate")
    y = int.from_bytes(point, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, -1, P) % P
    return u.to_bytes(POINT_SIZE, "little")


# -- hashes (RFC 9591 §6.5) ------------------------------------------------------------------


def _sha512(*parts: bytes) -> bytes:
    h = hashlib.sha512()
    for part in parts:
        h.update(part)
    return h.digest()


def _to_scalar(digest: bytes) -> int:
    return int.from_bytes(digest, "little") % L


def h1(m: bytes) -> int:
    return _to_scalar(_sha512(CONTEXT_STRING, b"rho", m))


def h2(m: bytes) -> int:
    # No context prefix: the challenge must equal Ed25519's so ordinary verifiers accept.
    return _to_scalar(_sha512(m))


def h3(m: bytes) -> int:
    return _to_scalar(_sha512(CONTEXT_STRING, b"nonce", m))


def h4(m: bytes) -> bytes:
    return _sha512(CONTEXT_STRING, b"msg", m)


def h5(m: bytes) -> bytes:
    return _sha512(CONTEXT_STRING, b"com", m)


def h_dkg(m: bytes) -> int:
    """Challenge of the DKG's proof of possession (the "dkg" label used by frost-core)."""
    return _to_scalar(_sha512(CONTEXT_STRING, b"dkg", m))


def h_dleq(m: bytes) -> int:
    """Challenge of the split-decryption equality-of-logarithms proof (a huren label)."""
    return _to_scalar(_sha512(CONTEXT_STRING, b"huren-dleq", m))
