"""An OCSP responder (RFC 6960) per issuing CA, answering from the node's index.

``OcspResponder.respond(request_der)`` returns the DER of an OCSP response for any input:
MALFORMED_REQUEST for what does not parse, UNAUTHORIZED for a request about another CA's
certificates (this responder is authoritative for its issuing CA only), else SUCCESSFUL with
good, revoked (time and RFC 5280 reason from the chain) or unknown.

Responses are signed by the issuing CA's key, or by a delegated responder certificate
(``delegated_responder``: id-kp-OCSPSigning, id-pkix-ocsp-nocheck, issued by the issuing CA)
that is then included in the response. Each is valid for ``validity_s`` from thisUpdate.

Cache. A nonce-less request gets the response signed for the same (serial, hash algorithm,
status, revocation time and reason) within the last ``cache_s`` (well inside its validity):
the answer depends on those alone, and the status is read from the index on every request,
so a revocation changes the key and the next request gets a fresh response. A request with
a nonce is signed afresh with the nonce echoed (RFC 6960 section 4.4.1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from huren.node.pki.ca import CertificateAuthority
from huren.node.pki.status import CertStatus, StatusLookup

__all__ = ["REASON_FLAGS", "OcspResponder", "delegated_responder"]

REASON_FLAGS = {
    0: x509.ReasonFlags.unspecified,
    1: x509.ReasonFlags.key_compromise,
    2: x509.ReasonFlags.ca_compromise,
    3: x509.ReasonFlags.affiliation_changed,
    4: x509.ReasonFlags.superseded,
    5: x509.ReasonFlags.cessation_of_operation,
    9: x509.ReasonFlags.privilege_withdrawn,
    10: x509.ReasonFlags.aa_compromise,
}
_HASHES: tuple[type[hashes.HashAlgorithm], ...] = (
    hashes.SHA1,
    hashes.SHA256,
    hashes.SHA384,
    hashes.SHA512,
)
CACHE_ENTRIES = 100_000

Clock = Callable[[], float]
_CacheKey = tuple[int, str, CertStatus, int | None, int | None]


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    return hashlib.new(algorithm.name, data).digest()


def delegated_responder(
    ca: CertificateAuthority, key: ec.EllipticCurvePrivateKey, not_before: dt.datetime, days: int
) -> x509.Certificate:
    """An OCSP responder certificate for ``key``, issued by ``ca``'s issuing CA."""
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, f"{ca.ca_id} OCSP responder")])
        )
        .issuer_name(ca.issuing.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.issuing_key.public_key()),
            critical=False,
        )
        .sign(ca.issuing_key, hashes.SHA256())
    )


class OcspResponder:
    """The OCSP responder of one issuing CA (thread-safe)."""

    def __init__(
        self,
        ca: CertificateAuthority,
        lookup: StatusLookup,
        *,
        clock: Clock = time.time,
        validity_s: int = 3600,
        cache_s: int = 600,
        responder: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    ) -> None:
        if not 0 <= cache_s < validity_s:
            raise ValueError("a cached response must be well inside its validity")
        self.ca = ca
        self.lookup = lookup
        self.clock = clock
        self.validity_s = validity_s
        self.cache_s = cache_s
        self.signer_cert, self.signer_key = responder or (ca.issuing, ca.issuing_key)
        self._delegated = responder is not None
        key_bits = ca.issuing.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        name = ca.issuing.subject.public_bytes()
        self._issuer_hashes: dict[str, tuple[bytes, bytes]] = {}
        for algorithm in _HASHES:
            h = algorithm()
            self._issuer_hashes[h.name] = (_digest(h, name), _digest(h, key_bits))
        self._cache: OrderedDict[_CacheKey, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.unauthorized = ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.UNAUTHORIZED
        ).public_bytes(serialization.Encoding.DER)
        self.malformed = ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        ).public_bytes(serialization.Encoding.DER)

    def respond(self, request_der: bytes) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
            name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
            serial = request.serial_number
            nonce: bytes | None = None
            for ext in request.extensions:
                if isinstance(ext.value, x509.OCSPNonce):
                    nonce = ext.value.nonce
        except (ValueError, TypeError, UnsupportedAlgorithm):  # unparsable, several, odd hash
            return self.malformed
        if self._issuer_hashes.get(algorithm.name) != (name_hash, key_hash):
            return self.unauthorized
        status, revoked_at, reason = self.lookup.status(self.ca.ca_id, serial)
        now = self.clock()
        if nonce is None:
            key = (serial, algorithm.name, status, revoked_at, reason)
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.cache_s:
                return hit[1]
        der = self._sign(serial, algorithm, status, revoked_at, reason, now, nonce)
        if nonce is None:
            with self._lock:
                self._cache[key] = (now, der)
                self._cache.move_to_end(key)
                if len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return der

    def _sign(
        self,
        serial: int,
        algorithm: hashes.HashAlgorithm,
        status: CertStatus,
        revoked_at: int | None,
        reason: int | None,
        now: float,
        nonce: bytes | None,
    ) -> bytes:
        name_hash, key_hash = self._issuer_hashes[algorithm.name]
        this_update = dt.datetime.fromtimestamp(int(now), dt.UTC)
        revocation_time = None
        revocation_reason = None
        cert_status = {
            CertStatus.GOOD: ocsp.OCSPCertStatus.GOOD,
            CertStatus.REVOKED: ocsp.OCSPCertStatus.REVOKED,
            CertStatus.UNKNOWN: ocsp.OCSPCertStatus.UNKNOWN,
        }[status]
        if status == CertStatus.REVOKED:
            assert revoked_at is not None
            revocation_time = dt.datetime.fromtimestamp(revoked_at, dt.UTC)
            revocation_reason = REASON_FLAGS.get(reason or 0, x509.ReasonFlags.unspecified)
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial,
                algorithm=algorithm,
                cert_status=cert_status,
                this_update=this_update,
                next_update=this_update + dt.timedelta(seconds=self.validity_s),
                revocation_time=revocation_time,
                revocation_reason=revocation_reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.signer_cert)
        )
        if self._delegated:
            builder = builder.certificates([self.signer_cert])
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        response = builder.sign(self.signer_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)
