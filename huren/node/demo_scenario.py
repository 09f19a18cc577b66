"""``huren demo``: cross-region recognition, step by step, on a fresh dev node.

A CA beside Jiaxing (zjca) issues two enterprise certificates: one under alliance scope, one
regional to Jiaxing. The chain records both; the node's index answers: the alliance one is
recognized at Nantong and Xuancheng too, the regional one only at Jiaxing's platforms; after
its revocation the alliance one is recognized nowhere.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from huren.node import demo
from huren.node.node import Node
from huren.node.recognition import reason_codes, recognize
from huren.registry.client import RegistryClient
from huren.registry.ids import fingerprint_of
from huren.registry.types import (
    CertificateInput,
    CertificateKind,
    KeyUsage,
    RevocationReason,
    Right,
    Scope,
)

PLATFORMS = ("jiaxing-ggzy", "nantong-ggzy", "xuancheng-ggzy", "alliance")


@dataclass(frozen=True)
class Step:
    """One line of the scenario's story, with the recognition it checked (if any)."""

    text: str
    platform_id: str | None = None
    recognized: bool | None = None
    reasons: tuple[str, ...] = ()


def run(node: Node, say: Callable[[Step], None]) -> list[Step]:
    """Play the scenario on ``node`` (a dev node with the demo consortium)."""
    steps: list[Step] = []

    def tell(step: Step) -> None:
        steps.append(step)
        say(step)

    ca = RegistryClient(node.backend, node.deployment, demo.ca_operator_account("zjca"))
    jiaxing = demo.center_account("jiaxing").address
    now = int(time.time())
    alliance_der = demo.demo_certificate("zjca", "嘉兴示范建设有限公司", "91330400MA2B3C4D5E")
    regional_der = demo.demo_certificate("zjca", "嘉兴本地监理有限公司", "91330400MA2F6G7H8J")
    records = [
        _record(alliance_der, now, Scope.ALLIANCE, None),
        _record(regional_der, now, Scope.REGIONAL, jiaxing),
    ]
    receipt = ca.record_certificates("zjca", demo.issuer_key_id("zjca"), records)
    tell(
        Step(
            f"zjca records 2 certificates in block {receipt.block_number}: one alliance, one "
            "regional to Jiaxing"
        )
    )

    def check(label: str, der: bytes) -> None:
        node.catch_up()
        with Session(node.engine) as session:
            for platform_id in PLATFORMS:
                answer = recognize(session, fingerprint_of(der), platform_id, Right.LOGIN)
                tell(
                    Step(label, platform_id, answer.recognized, tuple(reason_codes(answer.reasons)))
                )

    check("alliance certificate", alliance_der)
    check("regional certificate", regional_der)
    revoked = ca.revoke_certificate(fingerprint_of(alliance_der), RevocationReason.KEY_COMPROMISE)
    tell(Step(f"zjca revokes the alliance certificate in block {revoked.block_number}"))
    check("alliance certificate after revocation", alliance_der)
    return steps


def _record(der: bytes, now: int, scope: Scope, center: str | None) -> CertificateInput:
    # The holder commitment is a salted hash; the salt stays with the holder's records.
    holder = hashlib.sha256(secrets.token_bytes(16) + der).digest()
    return CertificateInput(
        fingerprint=fingerprint_of(der),
        holder=holder,
        not_before=now - 60,
        not_after=now + 365 * 86_400,
        kind=CertificateKind.ENTERPRISE,
        usage=KeyUsage.SIGNING,
        scope=scope,
        center=center,
    )
