"""The explicit gas limit of record_certificate(s) covers measured gasUsed without waste."""

from __future__ import annotations

from huren.registry.abi import encode_certificate_input, encode_record_batch
from huren.registry.client import record_batch_gas
from huren.registry.client_core import REGISTRY
from huren.registry.ids import encode_id
from huren.registry.types import CertificateInput, Scope
from tests.registry.conftest import CA_ID, ISSUER_KEY, Network, make_cert


def batch_limit(certs: list[CertificateInput]) -> int:
    data = REGISTRY["recordCertificates"] + encode_record_batch(encode_id(CA_ID), ISSUER_KEY, certs)
    return record_batch_gas(data, certs)


def test_gas_limits_cover_gas_used(network: Network) -> None:
    client = network.ca
    first = make_cert()
    single = client.record_certificate(CA_ID, ISSUER_KEY, first)  # the first record ever
    data = REGISTRY["recordCertificate"] + encode_id(CA_ID) + ISSUER_KEY
    limit = record_batch_gas(data + encode_certificate_input(first), [first])
    assert single.gas_used <= limit <= single.gas_used * 1.5

    centers = [c.address for c in network.centers]
    shapes = {
        "one": [make_cert()],
        "alliance": [make_cert() for _ in range(200)],
        "regional, alternating centers": [
            make_cert(scope=Scope.REGIONAL, center=centers[i % 3]) for i in range(200)
        ],
        "renewals": [make_cert(predecessor=first.fingerprint) for _ in range(100)],
        "far validity": [make_cert(not_after=2**40 - 1) for _ in range(100)],
    }
    predecessors = [make_cert() for _ in range(50)]
    client.record_certificates(CA_ID, ISSUER_KEY, predecessors)
    shapes["distinct renewals"] = [make_cert(predecessor=p.fingerprint) for p in predecessors]
    for name, certs in shapes.items():
        used = client.record_certificates(CA_ID, ISSUER_KEY, certs).gas_used
        limit = batch_limit(certs)
        slack = 1.5 if len(certs) == 1 else 1.25
        assert used <= limit <= used * slack, (name, used, limit)


def test_full_batch_of_1000(network: Network) -> None:
    certs = [make_cert() for _ in range(1000)]
    result = network.ca.record_certificates(CA_ID, ISSUER_KEY, certs)
    assert result.gas_used / 1000 < 30_000  # ~29k per alliance record, calldata included
    assert result.gas_used <= batch_limit(certs) <= result.gas_used * 1.15
    assert network.client().certificate_count() == 1000
