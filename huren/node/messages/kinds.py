"""The kinds of inbox messages the manual mentions, each with its parameters, its text and
the action it links to (the app opens the action: download, review, resubmit, renew).

Sources in the manual (../shared/seed): 证书申领失败 (2.6.2, review failed with its reason),
认领企业，请下载证书 (2.6.3), 加入企业申领 (2.7.2, to the admin), 加入成功，请下载证书 (2.7.3),
下载证书 after a CA approval (2.8.1, 2.11.2.x, 2.12.2.x), 续期证书 (2.11.2.3-4), 证书授权 and
证书续期 requests from staff to the admin (2.12.2.x), authorizations granted (2.11.5), personnel
changes (2.11.4), certificates expiring soon (2.9, 2.18.1), a split-key recovery ready for
the new phone (证书找回, 2.13), an enterprise change's replacement left undownloaded (2.11.3).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["KindSpec", "MessageKind"]


@dataclass(frozen=True, slots=True)
class KindSpec:
    title: str
    body: str  # str.format over the parameters
    params: tuple[str, ...]  # required, and the only ones allowed
    action: str | None  # str.format over the parameters; None: nothing to do


class MessageKind(enum.Enum):
    APPLICATION_REJECTED = "application_rejected"
    CLAIM_APPROVED = "claim_approved"
    JOIN_REQUEST = "join_request"
    JOIN_APPROVED = "join_approved"
    CERTIFICATE_READY = "certificate_ready"
    RENEWAL_READY = "renewal_ready"
    CERTIFICATE_REQUEST = "certificate_request"
    RENEWAL_REQUEST = "renewal_request"
    AUTHORIZATION_GRANTED = "authorization_granted"
    AUTHORIZATION_REVOKED = "authorization_revoked"
    CERTIFICATE_EXPIRING = "certificate_expiring"
    REMOVED_FROM_ENTERPRISE = "removed_from_enterprise"
    ADMIN_TRANSFERRED = "admin_transferred"
    AUTHORIZATION_REQUESTED = "authorization_requested"
    AUTHORIZATION_REJECTED = "authorization_rejected"
    ENTERPRISE_INVITATION = "enterprise_invitation"
    ENTERPRISE_CHANGE_APPROVED = "enterprise_change_approved"
    STAFF_REQUEST_REJECTED = "staff_request_rejected"
    RECOVERY_READY = "recovery_ready"
    REISSUE_NOT_DOWNLOADED = "reissue_not_downloaded"

    @property
    def spec(self) -> KindSpec:
        return _SPECS[self]


_SPECS = {
    MessageKind.APPLICATION_REJECTED: KindSpec(
        "证书申领失败",
        "您的证书申请（{application_id}）未通过 CA 审核：{reason}。请修改后重新提交。",
        ("application_id", "reason"),
        "application:{application_id}/resubmit",
    ),
    MessageKind.CLAIM_APPROVED: KindSpec(
        "认领企业，请下载证书",
        "{enterprise_name} 的认领已通过 CA 审核，支付后即可下载企业证书，您已成为该企业的管理员。",
        ("application_id", "enterprise_name"),
        "application:{application_id}/download",
    ),
    MessageKind.JOIN_REQUEST: KindSpec(
        "加入企业申领",
        "{applicant_name} 申请加入 {enterprise_name}，请审核。",
        ("request_id", "applicant_name", "enterprise_name"),
        "join-request:{request_id}/review",
    ),
    MessageKind.JOIN_APPROVED: KindSpec(
        "加入成功，请下载证书",
        "您已加入 {enterprise_name}，证书已通过 CA 审核，请下载证书。",
        ("application_id", "enterprise_name"),
        "application:{application_id}/download",
    ),
    MessageKind.CERTIFICATE_READY: KindSpec(
        "证书审核通过，请下载证书",
        "您的证书申请（{application_id}）已通过 CA 审核，请下载证书。",
        ("application_id",),
        "application:{application_id}/download",
    ),
    MessageKind.RENEWAL_READY: KindSpec(
        "续期审核通过，请续期证书",
        "您的证书续期申请（{application_id}）已通过 CA 审核，请完成续期。",
        ("application_id",),
        "application:{application_id}/renew",
    ),
    MessageKind.CERTIFICATE_REQUEST: KindSpec(
        "证书授权",
        "办事人员 {staff_name} 申请企业证书，请审核。",
        ("request_id", "staff_name"),
        "staff-request:{request_id}/review",
    ),
    MessageKind.RENEWAL_REQUEST: KindSpec(
        "证书续期",
        "办事人员 {staff_name} 申请续期企业证书，请审核。",
        ("request_id", "staff_name"),
        "staff-request:{request_id}/review",
    ),
    MessageKind.AUTHORIZATION_GRANTED: KindSpec(
        "授权成功",
        "{enterprise_name} 已授权您在 {platform_name} 使用企业证书：{rights}。",
        ("enterprise_name", "platform_name", "rights"),
        "authorizations",
    ),
    MessageKind.AUTHORIZATION_REVOKED: KindSpec(
        "授权已删除",
        "{enterprise_name} 已删除您在 {platform_name} 的授权。",
        ("enterprise_name", "platform_name"),
        "authorizations",
    ),
    MessageKind.CERTIFICATE_EXPIRING: KindSpec(
        "证书即将到期",
        "您的证书 {certificate_name} 将于 {days_left} 天后到期，请及时续期。",
        ("fingerprint", "certificate_name", "days_left"),
        "certificate:{fingerprint}/renew",
    ),
    MessageKind.REMOVED_FROM_ENTERPRISE: KindSpec(
        "已被移出企业",
        "您已被移出 {enterprise_name}，相关授权已删除。",
        ("enterprise_name",),
        None,
    ),
    MessageKind.ADMIN_TRANSFERRED: KindSpec(
        "管理员变更",
        "{enterprise_name} 的管理员已变更，您现在是该企业的{role}。",
        ("enterprise_name", "role"),
        None,
    ),
    MessageKind.AUTHORIZATION_REQUESTED: KindSpec(
        "授权审核中",
        "{enterprise_name} 已申请授权您在 {platform_name} 使用企业证书：{rights}，等待 CA 审核。",
        ("enterprise_name", "platform_name", "rights"),
        "authorizations",
    ),
    MessageKind.AUTHORIZATION_REJECTED: KindSpec(
        "授权未通过",
        "{staff_name} 在 {platform_name} 的授权未通过 CA 审核：{reason}。",
        ("request_id", "staff_name", "platform_name", "reason"),
        "authorization:{request_id}",
    ),
    MessageKind.ENTERPRISE_INVITATION: KindSpec(
        "企业邀请",
        "{enterprise_name} 邀请您加入企业，请申领加入（统一社会信用代码 {uscc}）。",
        ("enterprise_name", "uscc"),
        "join-enterprise:{uscc}",
    ),
    MessageKind.ENTERPRISE_CHANGE_APPROVED: KindSpec(
        "企业信息变更审核通过",
        "{enterprise_name} 的企业信息变更已通过 CA 审核，支付后所选证书的持有人即可下载新证书。",
        ("application_id", "enterprise_name"),
        "application:{application_id}/pay",
    ),
    MessageKind.STAFF_REQUEST_REJECTED: KindSpec(
        "管理员审核未通过",
        "您的申请（{application_id}）未通过企业管理员审核：{reason}。请修改后重新提交。",
        ("application_id", "reason"),
        "application:{application_id}/resubmit",
    ),
    # 证书找回 (2.13), split-key mode: approved and paid, the new phone asks for its ticket.
    MessageKind.RECOVERY_READY: KindSpec(
        "证书找回审核通过",
        "您的证书找回申请（{application_id}）已通过 CA 审核并完成支付，请在新手机上找回证书。",
        ("application_id",),
        "recovery:{application_id}/ticket",
    ),
    # 企业信息变更 (2.11.3): a chosen holder's replacement, paid, still not downloaded.
    MessageKind.REISSUE_NOT_DOWNLOADED: KindSpec(
        "请下载变更后的证书",
        "{enterprise_name} 的企业信息已变更，您的新证书（{application_id}）已可下载，请及时下载。",
        ("application_id", "enterprise_name"),
        "application:{application_id}/download",
    ),
}
