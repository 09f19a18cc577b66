"""What the application service hands out: immutable views of its rows."""

from __future__ import annotations

from dataclasses import dataclass

from huren.node.db.applications_tables import (
    Application,
    ApplicationAttachment,
    ApplicationTransition,
    HeldCertificate,
)

__all__ = [
    "ApplicationView",
    "AttachmentView",
    "DownloadResult",
    "HeldCertificateView",
    "TransitionView",
]


@dataclass(frozen=True, slots=True)
class AttachmentView:
    kind: str
    media_type: str
    size: int
    sha256: str

    @classmethod
    def of(cls, row: ApplicationAttachment) -> AttachmentView:
        return cls(row.kind, row.media_type, row.size, row.sha256.hex())


@dataclass(frozen=True, slots=True)
class TransitionView:
    from_state: str
    to_state: str
    action: str
    actor: str
    reason: str | None
    at: int

    @classmethod
    def of(cls, row: ApplicationTransition) -> TransitionView:
        return cls(row.from_state, row.to_state, row.action, row.actor, row.reason, row.at)


@dataclass(frozen=True, slots=True)
class ApplicationView:
    id: str
    kind: str
    state: str
    ca_id: str
    platform_id: str
    validity_years: int
    fee_fen: int
    enterprise_id: str | None
    enterprise_name: str | None
    uscc: str | None
    person_name: str | None
    predecessor: str | None
    reason: str | None
    signing_fingerprint: str | None
    encryption_fingerprint: str | None
    created_at: int
    updated_at: int
    attachments: tuple[AttachmentView, ...] = ()
    history: tuple[TransitionView, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        row: Application,
        attachments: list[ApplicationAttachment] | None = None,
        history: list[ApplicationTransition] | None = None,
        warnings: tuple[str, ...] = (),
    ) -> ApplicationView:
        def hex_or_none(value: bytes | None) -> str | None:
            return None if value is None else value.hex()

        return cls(
            id=row.id,
            kind=row.kind,
            state=row.state,
            ca_id=row.ca_id,
            platform_id=row.platform_id,
            validity_years=row.validity_years,
            fee_fen=row.fee_fen,
            enterprise_id=row.enterprise_id,
            enterprise_name=row.enterprise_name,
            uscc=row.uscc,
            person_name=row.person_name,
            predecessor=hex_or_none(row.predecessor),
            reason=row.reason,
            signing_fingerprint=hex_or_none(row.signing_fingerprint),
            encryption_fingerprint=hex_or_none(row.encryption_fingerprint),
            created_at=row.created_at,
            updated_at=row.updated_at,
            attachments=tuple(AttachmentView.of(a) for a in attachments or []),
            history=tuple(TransitionView.of(t) for t in history or []),
            warnings=warnings,
        )

    def form_lines(self) -> list[tuple[str, str]]:
        """The fields of the application form (``attachments.render_form_pdf``)."""
        return [
            ("申请编号", self.id),
            ("申请类型", self.kind),
            ("企业名称", self.enterprise_name or "—"),
            ("统一社会信用代码", self.uscc or "—"),
            ("经办人", self.person_name or "—"),
            ("CA 机构", self.ca_id),
            ("交易平台", self.platform_id),
            ("有效期（年）", str(self.validity_years)),
            ("费用（元）", f"{self.fee_fen / 100:.2f}"),
        ]


@dataclass(frozen=True, slots=True)
class HeldCertificateView:
    fingerprint: str
    application_id: str
    ca_id: str
    usage: str  # signing | encryption
    name: str
    not_before: int
    not_after: int
    status: str  # active | expired | revoked | replaced
    expiring_soon: bool  # active, and at most 30 days left
    partner: str
    replaced_by: str | None

    @classmethod
    def of(cls, row: HeldCertificate, status: str, expiring_soon: bool) -> HeldCertificateView:
        return cls(
            fingerprint=row.fingerprint.hex(),
            application_id=row.application_id,
            ca_id=row.ca_id,
            usage="signing" if row.usage == 1 else "encryption",
            name=row.name,
            not_before=row.not_before,
            not_after=row.not_after,
            status=status,
            expiring_soon=expiring_soon,
            partner=row.partner.hex(),
            replaced_by=None if row.replaced_by is None else row.replaced_by.hex(),
        )


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """The holder's two certificates, each with its chain (leaf, issuing CA, root; PEM)."""

    application_id: str
    signing_fingerprint: str
    signing_chain_pem: str
    encryption_fingerprint: str
    encryption_chain_pem: str
    warnings: tuple[str, ...]
