"""The demo consortium a dev node seeds on first start.

Three regional centers of the Yangtze River Delta alliance (Jiaxing, Nantong, Xuancheng), one
CA institution beside each, a trading platform per center and the alliance platform. The
operator keys are derived from public labels, so they are for dev only (the settings refuse
them elsewhere); the issuer key identifiers are SHA-256 digests of real P-256 issuing-key
SubjectPublicKeyInfos derived the same way.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from eth_account import Account
from eth_account.signers.local import LocalAccount

from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.types import Deployment

VOTING_PERIOD_S = 7 * 24 * 3600
OPERATOR_FUNDS_WEI = 10**20  # 100 ether: plenty for gas, and within anvil's default faucet
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class DemoCenter:
    key: str
    name: str
    region_code: int


@dataclass(frozen=True)
class DemoCa:
    ca_id: str
    name: str
    center: str  # the center whose node proposes it


@dataclass(frozen=True)
class DemoPlatform:
    platform_id: str
    name: str
    center: str


CENTERS = (
    DemoCenter("jiaxing", "嘉兴市公共资源交易中心", 330400),
    DemoCenter("nantong", "南通市公共资源交易中心", 320600),
    DemoCenter("xuancheng", "宣城市公共资源交易中心", 341800),
)
CAS = (
    DemoCa("zjca", "浙江省数字安全证书管理有限公司", "jiaxing"),
    DemoCa("jsca", "江苏省电子商务服务中心有限责任公司", "nantong"),
    DemoCa("ahca", "安徽省电子认证管理中心有限责任公司", "xuancheng"),
)
PLATFORMS = (
    DemoPlatform("alliance", "长三角 CA 互认平台", "jiaxing"),
    DemoPlatform("jiaxing-ggzy", "嘉兴市公共资源交易平台", "jiaxing"),
    DemoPlatform("nantong-ggzy", "南通市公共资源交易平台", "nantong"),
    DemoPlatform("xuancheng-ggzy", "宣城市公共资源交易平台", "xuancheng"),
)


def demo_account(label: str) -> LocalAccount:
    """A dev-only account derived from a public label."""
    key = hashlib.sha256(b"huren demo account " + label.encode()).digest()
    account: LocalAccount = Account.from_key(key)
    return account


def center_account(center: str) -> LocalAccount:
    return demo_account(f"center {center}")


def ca_operator_account(ca_id: str) -> LocalAccount:
    return demo_account(f"ca operator {ca_id}")


def issuing_key(ca_id: str) -> ec.EllipticCurvePrivateKey:
    """The CA's dev-only P-256 issuing key, derived from a public label."""
    seed = hashlib.sha256(b"huren demo issuing ca " + ca_id.encode()).digest()
    return ec.derive_private_key(int.from_bytes(seed, "big") % (P256_ORDER - 1) + 1, ec.SECP256R1())


def issuer_key_id(ca_id: str) -> bytes:
    """SHA-256 of the SubjectPublicKeyInfo of the CA's (derived) P-256 issuing key."""
    spki = (
        issuing_key(ca_id)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha256(spki).digest()


def demo_certificate(ca_id: str, organization: str, uscc: str, days: int = 365) -> bytes:
    """A DER X.509 signing certificate (fresh Ed25519 key) for an enterprise, signed by the
    demo CA's issuing key; what the demo scenario records. The real issuance with profiles
    and CA chains is the PKI's job."""
    ca_key = issuing_key(ca_id)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, organization),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, uscc),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{ca_id} demo issuing CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(ed25519.Ed25519PrivateKey.generate().public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def seed(backend: ChainBackend) -> Deployment:
    """Deploy the contracts and pass the demo consortium's proposals (two votes of three)."""
    accounts = {c.key: center_account(c.key) for c in CENTERS}
    for account in [*accounts.values(), *(ca_operator_account(c.ca_id) for c in CAS)]:
        backend.fund(account.address, OPERATOR_FUNDS_WEI)
    founders = [FoundingMember(accounts[c.key].address, c.name, c.region_code) for c in CENTERS]
    deployment = deploy(backend, accounts["jiaxing"], founders, VOTING_PERIOD_S)
    clients = {k: RegistryClient(backend, deployment, a) for k, a in accounts.items()}

    def pass_with_second_vote(proposer: str, proposal_id: int) -> None:
        seconder = next(k for k in clients if k != proposer)
        clients[seconder].vote(proposal_id, True)

    for ca in CAS:
        result = clients[ca.center].propose_accredit_ca(
            ca.ca_id, ca.name, [ca_operator_account(ca.ca_id).address], [issuer_key_id(ca.ca_id)]
        )
        pass_with_second_vote(ca.center, result.proposal_id)
    for platform in PLATFORMS:
        result = clients[platform.center].propose_register_platform(
            platform.platform_id, accounts[platform.center].address, platform.name
        )
        pass_with_second_vote(platform.center, result.proposal_id)
    return deployment
