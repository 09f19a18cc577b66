"""The node's PKI: its CAs with their issuance, OCSP responders and CRLs.

``Pki.open(...)`` loads the CAs (see ``load_cas``), checks each one's accreditation in the
index, and builds the services; the API reaches them through ``ca``, ``responder`` and
``crl``, the certificate service through ``issuance``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from sqlalchemy import Engine

from huren.node import demo
from huren.node.pki.ca import CertificateAuthority, check_accredited, demo_ca, load_ca_files
from huren.node.pki.crl import CrlPublisher
from huren.node.pki.errors import CaKeyError, UnknownCa
from huren.node.pki.issuance import IssuanceService
from huren.node.pki.ocsp import OcspResponder
from huren.node.pki.status import StatusLookup
from huren.registry.client import RegistryClient

__all__ = ["CA_DIR", "Pki", "load_cas"]

CA_DIR = "pki"  # under the node's data directory: one directory per CA, named by its id


def load_cas(
    data_dir: Path, base_url: str, passphrase: bytes | None, *, dev_demo: bool
) -> list[CertificateAuthority]:
    """The CAs of ``data_dir/pki/<ca_id>/`` (encrypted issuing keys: ``passphrase``) and, on
    a dev node with the demo consortium, the derived demo CAs not found there."""
    cas: dict[str, CertificateAuthority] = {}
    root = data_dir / CA_DIR
    if root.is_dir():
        for directory in sorted(p for p in root.iterdir() if p.is_dir()):
            if passphrase is None:
                raise CaKeyError(f"{directory} needs a passphrase (HUREN_CA_PASSPHRASE)")
            cas[directory.name] = load_ca_files(directory, passphrase, base_url)
    if dev_demo:
        for ca in demo.CAS:
            cas.setdefault(ca.ca_id, demo_ca(ca.ca_id, base_url))
    return list(cas.values())


class Pki:
    def __init__(
        self,
        engine: Engine,
        cas: Iterable[CertificateAuthority],
        client: RegistryClient,
        *,
        clock: Callable[[], float] = time.time,
        batch_size: int = 500,
    ) -> None:
        """The services over ``cas``; each must be accredited in the index, or suspended
        after its accreditation (``CaNotAccredited`` otherwise): a suspended CA issues
        nothing, but revokes and answers OCSP and CRL requests."""
        self.cas: Mapping[str, CertificateAuthority] = {ca.ca_id: ca for ca in cas}
        for ca in self.cas.values():
            check_accredited(engine, ca, allow_suspended=True)
        self.lookup = StatusLookup(engine)
        self.issuance = IssuanceService(
            engine, self.cas, client, clock=lambda: int(clock()), batch_size=batch_size
        )
        self._responders = {
            i: OcspResponder(ca, self.lookup, clock=clock) for i, ca in self.cas.items()
        }
        self._crls = {
            i: CrlPublisher(engine, ca, self.lookup, clock=clock) for i, ca in self.cas.items()
        }

    def ca(self, ca_id: str) -> CertificateAuthority:
        try:
            return self.cas[ca_id]
        except KeyError:
            raise UnknownCa(f"no CA {ca_id!r} is loaded into this node") from None

    def issuers_of(self, certificate: x509.Certificate) -> list[x509.Certificate]:
        """The issuing and root CA certificates of a certificate one of this node's CAs
        issued (its signature checked), else none: what follows a leaf in a chain."""
        for ca in self.cas.values():
            if certificate.issuer != ca.issuing.subject:
                continue
            try:
                certificate.verify_directly_issued_by(ca.issuing)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return [ca.issuing, ca.root]
        return []

    def responder(self, ca_id: str) -> OcspResponder:
        self.ca(ca_id)
        return self._responders[ca_id]

    def crl(self, ca_id: str) -> CrlPublisher:
        self.ca(ca_id)
        return self._crls[ca_id]
