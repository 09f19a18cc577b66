"""CertificateRegistry methods of the typed client: issuance, revocation, zone bindings,
authorizations and the recognition views. One method per contract function; see
``RegistryClient``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from huren.registry.abi import checksum, encode_certificate_input
from huren.registry.abi import encode_record_batch as _encode_batch
from huren.registry.backend import BlockId
from huren.registry.client_core import REGISTRY as F
from huren.registry.client_core import ClientCore, TxResult, b32, ident
from huren.registry.errors_base import BatchTooLarge
from huren.registry.ids import ZERO32, decode_id
from huren.registry.types import (
    Authorization,
    CertificateInput,
    CertificateKind,
    CertificateRecord,
    CertificateStatus,
    KeyUsage,
    Reason,
    Recognition,
    RevocationReason,
    Right,
    Scope,
)

__all__ = ["CertificateMethods", "record_batch_gas"]

# Gas of recordCertificates, fitted to measured gasUsed on py-evm (Prague): about 26.9k of
# execution per alliance record plus its calldata (~2.1k); tests/registry/test_client_gas.py
# checks the limit stays above gasUsed and within 25% of it.
GAS_TX = 21_000
GAS_BATCH_BASE = 40_000  # dispatch, issuanceAuthority call, _recordCount (0 -> 1 the first time)
GAS_PER_RECORD = 27_500  # record slot, CertificateRecorded log, checks
GAS_PER_PREDECESSOR = 25_000  # predecessor lookup and its new slot
GAS_PER_CENTER_LOOKUP = 5_000  # memberIndexOf when a regional record names another center
GAS_MARGIN_PERCENT = 10


def record_batch_gas(data: bytes, certs: Sequence[CertificateInput]) -> int:
    """The gas limit for a recordCertificate(s) transaction with calldata ``data``: execution
    estimated per record plus a margin, calldata priced exactly (EIP-2028, EIP-7623 floor)."""
    zeros = data.count(0)
    tokens = zeros + 4 * (len(data) - zeros)
    execution = GAS_BATCH_BASE + GAS_PER_RECORD * len(certs)
    last_center: str | None = None
    for cert in certs:
        if cert.predecessor is not None:
            execution += GAS_PER_PREDECESSOR
        if cert.center is not None and cert.center != last_center:
            execution += GAS_PER_CENTER_LOOKUP
            last_center = cert.center
    standard = GAS_TX + 4 * tokens + execution * (100 + GAS_MARGIN_PERCENT) // 100
    return max(standard, GAS_TX + 10 * tokens)


class CertificateMethods(ClientCore):
    # -- issuance ----------------------------------------------------------------------------

    def record_certificate(
        self, ca_id: str, issuer_key_id: bytes, cert: CertificateInput
    ) -> TxResult:
        """Record one certificate of CA ``ca_id`` issued under ``issuer_key_id``; the caller
        must operate that accredited CA."""
        data = (
            F["recordCertificate"]
            + ident(ca_id)
            + b32(issuer_key_id, "issuer key id")
            + encode_certificate_input(cert)
        )
        return TxResult(self._send(self._registry, data, record_batch_gas(data, [cert])))

    def record_certificates(
        self, ca_id: str, issuer_key_id: bytes, certs: Sequence[CertificateInput]
    ) -> TxResult:
        """Record up to ``max_batch`` certificates in one transaction, all or none. The gas
        limit comes from ``record_batch_gas`` (estimating a big batch would execute it twice).
        """
        if len(certs) > self.max_batch:
            raise BatchTooLarge(f"{len(certs)} records; this client sends at most {self.max_batch}")
        data = F["recordCertificates"] + _encode_batch(
            ident(ca_id), b32(issuer_key_id, "issuer key id"), certs
        )
        return TxResult(self._send(self._registry, data, record_batch_gas(data, certs)))

    def revoke_certificate(self, fingerprint: bytes, reason: RevocationReason | int) -> TxResult:
        """Revoke for good, with an RFC 5280 reason; the issuing CA's operators may, also
        while the CA is suspended."""
        args = [b32(fingerprint, "fingerprint"), int(reason)]
        return self._write(self._registry, F["revokeCertificate"], ["bytes32", "uint8"], args)

    def revoke_certificates(
        self, fingerprints: Sequence[bytes], reasons: Sequence[RevocationReason | int]
    ) -> TxResult:
        """Revoke a batch, one reason per certificate; all or none."""
        args = [[b32(f, "fingerprint") for f in fingerprints], [int(r) for r in reasons]]
        return self._write(self._registry, F["revokeCertificates"], ["bytes32[]", "uint8[]"], args)

    # -- zones and authorizations ------------------------------------------------------------

    def bind_certificate(
        self, fingerprint: bytes, platform_id: str, evidence_hash: bytes
    ) -> TxResult:
        """Bind to a platform's zone; only the platform's center may."""
        return self._zone("bindCertificate", fingerprint, platform_id, evidence_hash)

    def unbind_certificate(
        self, fingerprint: bytes, platform_id: str, evidence_hash: bytes
    ) -> TxResult:
        """Unbind from a platform's zone; only the platform's center may."""
        return self._zone("unbindCertificate", fingerprint, platform_id, evidence_hash)

    def _zone(self, fn: str, fingerprint: bytes, platform_id: str, evidence: bytes) -> TxResult:
        data = (
            F[fn]
            + b32(fingerprint, "fingerprint")
            + ident(platform_id)
            + b32(evidence, "evidence hash")
        )
        return TxResult(self._send(self._registry, data))

    def grant_authorization(
        self,
        staff_fingerprint: bytes,
        platform_id: str,
        enterprise_fingerprint: bytes,
        rights: Right | int,
    ) -> TxResult:
        """Authorize a staff certificate at a platform (replacing an earlier grant); only
        operators of the CA that issued the staff certificate may."""
        data = (
            F["grantAuthorization"]
            + b32(staff_fingerprint, "staff fingerprint")
            + ident(platform_id)
            + b32(enterprise_fingerprint, "enterprise fingerprint")
            + int(rights).to_bytes(32, "big")
        )
        return TxResult(self._send(self._registry, data))

    def revoke_authorization(self, staff_fingerprint: bytes, platform_id: str) -> TxResult:
        data = (
            F["revokeAuthorization"]
            + b32(staff_fingerprint, "staff fingerprint")
            + ident(platform_id)
        )
        return TxResult(self._send(self._registry, data))

    # -- views -------------------------------------------------------------------------------

    def recognize(
        self,
        fingerprint: bytes,
        platform_id: str,
        action: Right | int = 0,
        *,
        block: BlockId = "latest",
    ) -> Recognition:
        """Whether the certificate is recognized at the platform for ``action`` (0: none in
        particular, else one right) at the block's time, with every reason it is not."""
        args = [b32(fingerprint, "fingerprint"), ident(platform_id), int(action)]
        ok, reasons = self._rv("recognize", ["bytes32", "bytes32", "uint8"], args, block)
        return Recognition(bool(ok), Reason(reasons))

    def recognize_at(
        self,
        fingerprint: bytes,
        platform_id: str,
        at_time: int,
        action: Right | int = 0,
        *,
        block: BlockId = "latest",
    ) -> Recognition:
        """``recognize`` at unix time ``at_time`` (the CA, revocation and platform state
        are still the block's)."""
        args = [b32(fingerprint, "fingerprint"), ident(platform_id), int(action), at_time]
        types = ["bytes32", "bytes32", "uint8", "uint64"]
        ok, reasons = self._rv("recognizeAt", types, args, block)
        return Recognition(bool(ok), Reason(reasons))

    def _rv(self, fn: str, types: list[str], args: list[Any], block: BlockId) -> tuple[Any, ...]:
        return self._view(self._registry, F[fn], types, args, ["bool", "uint16"], block)

    def certificate(self, fingerprint: bytes, *, block: BlockId = "latest") -> CertificateRecord:
        """The record of ``fingerprint``; raises ``UnknownCertificate``."""
        fp = b32(fingerprint, "fingerprint")
        raw = self._call(self._registry, F["certificate"] + fp, block)
        w = [raw[i : i + 32] for i in range(0, 11 * 32, 32)]
        n = [int.from_bytes(x, "big") for x in w]
        revoked = n[8] == CertificateStatus.REVOKED
        return CertificateRecord(
            fingerprint=fp,
            ca_id=decode_id(w[0]),
            predecessor=None if w[1] == ZERO32 else w[1],
            not_before=n[2],
            not_after=n[3],
            kind=CertificateKind(n[4]),
            usage=KeyUsage(n[5]),
            scope=Scope(n[6]),
            center=None if n[7] == 0 else checksum(w[7][12:]),
            status=CertificateStatus(n[8]),
            revocation_reason=RevocationReason(n[9]) if revoked else None,
            revoked_at=n[10] if revoked else None,
        )

    def binding(
        self, fingerprint: bytes, platform_id: str, *, block: BlockId = "latest"
    ) -> bytes | None:
        """The evidence hash binding the certificate to the platform's zone, None if unbound."""
        data = F["binding"] + b32(fingerprint, "fingerprint") + ident(platform_id)
        raw = self._call(self._registry, data, block)
        return None if raw == ZERO32 else raw[:32]

    def authorization(
        self, staff_fingerprint: bytes, platform_id: str, *, block: BlockId = "latest"
    ) -> Authorization | None:
        """The staff certificate's authorization at the platform, None when it holds none."""
        staff = b32(staff_fingerprint, "staff fingerprint")
        raw = self._call(self._registry, F["authorization"] + staff + ident(platform_id), block)
        rights = int.from_bytes(raw[32:64], "big")
        if rights == 0:
            return None
        return Authorization(staff, platform_id, raw[:32], Right(rights))

    def certificate_count(self, *, block: BlockId = "latest") -> int:
        """Certificates recorded so far."""
        return int.from_bytes(self._call(self._registry, F["certificateCount"], block), "big")

    def consortium(self, *, block: BlockId = "latest") -> str:
        """The Consortium this registry trusts (should equal the deployment's)."""
        return checksum(self._call(self._registry, F["consortium"], block)[12:32])
