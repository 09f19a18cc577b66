"""The certificate recovery policy (《证书找回政策》) the holder reads and acknowledges before a
recovery starts. Versioned: the acknowledgement records the version and the SHA-256 of the
text, and a new version makes older acknowledgements stale (the app shows the new text)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["CURRENT_POLICY", "RecoveryPolicy"]


@dataclass(frozen=True, slots=True)
class RecoveryPolicy:
    version: str
    text: str

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.text.encode()).digest()


CURRENT_POLICY = RecoveryPolicy(
    version="2026-11-1",
    text=(
        "证书找回政策\n"
        "1. 证书找回适用于更换新手机或格式化手机后继续使用原证书（仅卸载 APP 不会丢失证书）。\n"
        "2. 找回须重新完成实名认证，认证信息须与账号首次实名信息一致。\n"
        "3. 须上传填写并盖章的申领书，经 CA 机构审核通过（如有费用，缴费后）方可找回。\n"
        "4. 找回后证书及其公钥不变；新手机获得新的密钥分片，原手机上的分片随即作废，"
        "原手机设备被注销，无法再使用该证书签名或解密。\n"
        "5. 找回需重新设置 PIN 码；找回全过程记录于操作日志，可追溯。\n"
        "Certificate recovery policy: recovery on a new phone needs a fresh identity "
        "verification matching the account's first one, the stamped application form and the "
        "CA's approval (and payment, if charged). The certificate and its public key stay; the "
        "new phone gets a fresh key share, the old phone's share stops working and the old "
        "device is revoked. A new PIN is set. Every step is recorded in the operation log."
    ),
)
