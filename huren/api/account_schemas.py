"""Request and response bodies of the accounts, identity and messages routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huren.node.accounts import AccountInfo, TokenPair
from huren.node.identity import AlipayStarted, VerifiedIdentity
from huren.node.messages import MessageKind, MessageView

Phone = Field(min_length=1, max_length=20, examples=["13800138000"])
Code = Field(pattern=r"^[0-9]{6}$", examples=["123456"])
Password = Field(min_length=1, max_length=128)
Name = Field(min_length=1, max_length=30, examples=["张三"])
IdNumber = Field(min_length=1, max_length=18, examples=["11010519491231002X"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- auth -------------------------------------------------------------------------------


class SmsCodeIn(_In):
    phone: str = Phone
    purpose: Literal["login", "reset_password", "bind_bank_card"] = "login"


class CodeSentOut(BaseModel):
    expires_in: int = Field(description="seconds the code stays valid")
    resend_after: int = Field(description="seconds before another code may be sent")


class SmsLoginIn(_In):
    phone: str = Phone
    code: str = Code


class PasswordLoginIn(_In):
    phone: str = Phone
    password: str = Password


class WeChatLoginIn(_In):
    code: str = Field(min_length=1, max_length=128, description="the app's WeChat OAuth code")


class WeChatBindIn(_In):
    ticket: str = Field(min_length=1, max_length=2000)
    phone: str = Phone
    code: str = Code


class RefreshIn(_In):
    refresh_token: str = Field(min_length=1, max_length=4000)


class PasswordResetIn(_In):
    phone: str = Phone
    code: str = Code
    new_password: str = Password


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> TokensOut:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            refresh_expires_in=pair.refresh_expires_in,
        )


class IdentityOut(BaseModel):
    masked_name: str
    masked_id_number: str
    method: Literal["cfca", "alipay", "bank_card"]
    verified_at: int

    @classmethod
    def of(cls, identity: VerifiedIdentity) -> IdentityOut:
        return cls(
            masked_name=identity.masked_name,
            masked_id_number=identity.masked_id_number,
            method=identity.method.value,
            verified_at=identity.verified_at,
        )


class AccountOut(BaseModel):
    id: str
    phone: str
    has_password: bool
    has_certificate_password: bool
    wechat_bound: bool
    created_at: int
    identity: IdentityOut | None = None

    @classmethod
    def of(cls, info: AccountInfo, identity: VerifiedIdentity | None = None) -> AccountOut:
        return cls(
            id=info.id,
            phone=info.phone,
            has_password=info.has_password,
            has_certificate_password=info.has_certificate_password,
            wechat_bound=info.wechat_bound,
            created_at=info.created_at,
            identity=None if identity is None else IdentityOut.of(identity),
        )


class LoginOut(TokensOut):
    account: AccountOut
    created: bool = Field(description="this login registered the account")


class WeChatLoginOut(BaseModel):
    bind_required: bool = Field(description="a first WeChat login: bind a phone with the ticket")
    login: LoginOut | None = None
    bind_ticket: str | None = None
    bind_expires_in: int | None = None


class SentSmsOut(BaseModel):
    phone: str
    text: str
    message_id: str


# -- account settings -------------------------------------------------------------------


class PasswordIn(_In):
    old_password: str | None = Field(
        default=None, max_length=128, description="omit to set a first password"
    )
    new_password: str = Password


class PhoneCodeIn(_In):
    new_phone: str = Phone


class PhoneChangeIn(_In):
    new_phone: str = Phone
    code: str = Code


class CertificatePasswordIn(_In):
    code: str = Code
    old_password: str | None = Field(
        default=None, max_length=32, description="omit when it is forgotten (the code alone)"
    )
    new_password: str = Field(min_length=1, max_length=32)


# -- identity ---------------------------------------------------------------------------


class CfcaIn(_In):
    name: str = Name
    id_number: str = IdNumber


class AlipayIn(CfcaIn):
    pass


class BankCardIn(_In):
    name: str = Name
    id_number: str = IdNumber
    card_number: str = Field(min_length=1, max_length=23, examples=["6222020200112345678"])
    phone: str = Phone


class AlipayStartedOut(BaseModel):
    certify_id: str
    url: str
    expires_in: int

    @classmethod
    def of(cls, started: AlipayStarted) -> AlipayStartedOut:
        return cls(certify_id=started.certify_id, url=started.url, expires_in=started.expires_in)


# -- messages ---------------------------------------------------------------------------


class MessageOut(BaseModel):
    id: int
    kind: MessageKind
    title: str
    body: str
    params: dict[str, str | int]
    action: str | None = Field(
        description="what the message links to, e.g. application:42/download"
    )
    created_at: int
    read: bool
    read_at: int | None

    @classmethod
    def of(cls, view: MessageView) -> MessageOut:
        return cls(
            id=view.id,
            kind=view.kind,
            title=view.title,
            body=view.body,
            params=view.params,
            action=view.action,
            created_at=view.created_at,
            read=view.read_at is not None,
            read_at=view.read_at,
        )


class UnreadCountOut(BaseModel):
    unread: int


class ReadAllOut(BaseModel):
    marked: int


class InternalMessageIn(_In):
    account_id: str = Field(min_length=1, max_length=32)
    kind: MessageKind
    params: dict[str, str | int] = Field(max_length=10)
