"""Accounts: SMS codes (life, single use, tries, newest only, rate limits, gateway failures),
logins by code, password and WeChat, and the settings flows."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node.accounts import AccountService, Purpose, codes
from huren.node.accounts.errors import (
    AccountNotFound,
    CodeExpired,
    CodeNotRequested,
    CodeTriesExhausted,
    InvalidCredentials,
    InvalidPhone,
    InvalidToken,
    PasswordAlreadySet,
    PhoneTaken,
    RateLimited,
    RefreshTokenRevoked,
    SmsNotDelivered,
    WeakPassword,
    WeChatAlreadyBound,
    WrongCode,
    WrongPassword,
)
from huren.node.accounts.keys import derive_key
from huren.node.accounts.service import Login, WeChatBindNeeded
from huren.node.audit.oplog import Operation, OperationLog, verify_operation_log
from huren.node.db.accounts_tables import Account, SmsCode
from huren.node.db.engine import write_session
from huren.node.ports import PortRefused, PortTimeout, PortUnavailable
from tests.node.accounts.conftest import SECRET, FakeClock, Phones, latest_code

PHONE = "13800138000"
OTHER = "13900139000"
PASSWORD = "correct-horse-1"


def register(phones: Phones, phone: str = PHONE) -> Login:
    return phones.accounts.login_sms(phone, phones.code(phone))


# -- codes ------------------------------------------------------------------------------


def test_sms_login_registers_once_then_logs_in(phones: Phones, clock: FakeClock) -> None:
    first = register(phones)
    assert first.created and first.account.phone == PHONE and not first.account.has_password
    clock.advance(61)
    again = phones.accounts.login_sms("+86 138-0013-8000", phones.code(PHONE))
    assert not again.created and again.account.id == first.account.id
    assert phones.accounts.authenticate(again.tokens.access_token).id == first.account.id


def test_a_code_is_single_use(phones: Phones) -> None:
    code = phones.code(PHONE)
    phones.accounts.login_sms(PHONE, code)
    with pytest.raises(CodeNotRequested):
        phones.accounts.login_sms(PHONE, code)


def test_a_code_lives_five_minutes(phones: Phones, clock: FakeClock) -> None:
    code = phones.code(PHONE)
    clock.advance(300)
    with pytest.raises(CodeExpired):
        phones.accounts.login_sms(PHONE, code)
    clock.advance(1)
    code = phones.code(PHONE)
    clock.advance(299)
    assert phones.accounts.login_sms(PHONE, code).created


def test_five_wrong_tries_kill_the_code(phones: Phones, db: Engine) -> None:
    code = phones.code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(WrongCode) as caught:
            phones.accounts.login_sms(PHONE, wrong)
        assert caught.value.tries_left == left
    with Session(db) as session:  # every wrong try was committed
        assert session.exec(select(SmsCode)).one().attempts == 5
    with pytest.raises(CodeTriesExhausted):
        phones.accounts.login_sms(PHONE, code)


def test_only_the_newest_code_counts_and_purposes_do_not_mix(
    phones: Phones, clock: FakeClock
) -> None:
    old = phones.code(PHONE)
    clock.advance(60)
    new = phones.code(PHONE)
    if old != new:
        with pytest.raises(WrongCode):
            phones.accounts.login_sms(PHONE, old)
    register(phones, OTHER)
    clock.advance(60)
    reset = phones.code(OTHER, Purpose.RESET_PASSWORD)
    with pytest.raises(CodeNotRequested):
        phones.accounts.login_sms(OTHER, reset)
    phones.accounts.login_sms(PHONE, new)


def test_codes_are_rate_limited_per_phone(phones: Phones, clock: FakeClock) -> None:
    phones.code(PHONE)
    with pytest.raises(RateLimited) as caught:
        phones.code(PHONE)
    assert caught.value.retry_after == 60 and caught.value.headers == {"Retry-After": "60"}
    clock.advance(30)
    with pytest.raises(RateLimited) as caught:
        phones.code(PHONE)
    assert caught.value.retry_after == 30
    for _ in range(9):  # 10 a day
        clock.advance(60)
        phones.code(PHONE)
    clock.advance(60)
    with pytest.raises(RateLimited) as caught:
        phones.code(PHONE)
    assert caught.value.retry_after == 86_400 - (30 + 9 * 60 + 60)  # the first code leaves
    phones.code(OTHER)  # another phone is not affected


def test_codes_are_rate_limited_per_client_address(phones: Phones, clock: FakeClock) -> None:
    for i in range(20):
        phones.code(f"137{i:04d}1111", client="192.0.2.7")
    with pytest.raises(RateLimited):
        phones.code("13711112222", client="192.0.2.7")
    phones.code("13711112222", client="192.0.2.8")
    clock.advance(3600)
    phones.code("13711113333", client="192.0.2.7")


def test_gateway_refusal_failure_and_timeout(phones: Phones, db: Engine, clock: FakeClock) -> None:
    with pytest.raises(SmsNotDelivered):
        phones.code("13812340000")  # simulator: blocked number
    with pytest.raises(PortTimeout):
        phones.code("13812340408")
    with pytest.raises(PortUnavailable):
        phones.code("13812340503")
    with Session(db) as session:  # no code of an undelivered SMS stays usable
        assert session.exec(select(SmsCode)).all() == []
    with pytest.raises(CodeNotRequested):
        phones.accounts.login_sms("13812340408", "123456")
    with pytest.raises(RateLimited):  # a failed send still counts against the limits
        phones.code("13812340408")


def test_malformed_phones_are_refused_before_anything(phones: Phones) -> None:
    for phone in ("12800138000", "1380013800", "138001380001", "abc", ""):
        with pytest.raises(InvalidPhone):
            phones.accounts.send_code(phone, Purpose.LOGIN, "10.0.0.1")


# -- passwords --------------------------------------------------------------------------


def test_password_login(phones: Phones, db: Engine) -> None:
    login = register(phones)
    accounts = phones.accounts
    with pytest.raises(WeakPassword):
        accounts.set_password(login.account.id, "short1")
    with pytest.raises(WeakPassword):
        accounts.set_password(login.account.id, "onlyletters")
    accounts.set_password(login.account.id, PASSWORD)
    with pytest.raises(PasswordAlreadySet):
        accounts.set_password(login.account.id, "another-one-2")
    with Session(db) as session:
        stored = session.exec(select(Account)).one().password_hash
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.login_password(PHONE, PASSWORD, "c").account.id == login.account.id
    with pytest.raises(InvalidCredentials):
        accounts.login_password(PHONE, "wrong-password-1", "c")
    with pytest.raises(InvalidCredentials):
        accounts.login_password(OTHER, PASSWORD, "c")


def test_failed_password_logins_are_rate_limited(phones: Phones, clock: FakeClock) -> None:
    login = register(phones)
    phones.accounts.set_password(login.account.id, PASSWORD)
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            phones.accounts.login_password(PHONE, "guess-number-x", "198.51.100.1")
    with pytest.raises(RateLimited):  # even the right password now
        phones.accounts.login_password(PHONE, PASSWORD, "198.51.100.2")
    clock.advance(901)
    phones.accounts.login_password(PHONE, PASSWORD, "198.51.100.2")


def test_change_password_revokes_every_token(phones: Phones) -> None:
    login = register(phones)
    accounts = phones.accounts
    accounts.set_password(login.account.id, PASSWORD)
    with pytest.raises(WrongPassword):
        accounts.change_password(login.account.id, "not-the-old-1", "brand-new-pass-2")
    accounts.authenticate(login.tokens.access_token)  # the failed change revoked nothing
    accounts.change_password(login.account.id, PASSWORD, "brand-new-pass-2")
    with pytest.raises(InvalidToken):
        accounts.authenticate(login.tokens.access_token)
    with pytest.raises(RefreshTokenRevoked):
        accounts.refresh(login.tokens.refresh_token)
    accounts.login_password(PHONE, "brand-new-pass-2", "c")


def test_forgotten_password_is_reset_by_code(phones: Phones, clock: FakeClock) -> None:
    login = register(phones)
    clock.advance(60)
    code = phones.code(PHONE, Purpose.RESET_PASSWORD)
    phones.accounts.reset_password(PHONE, code, "reset-pass-3")
    with pytest.raises(InvalidToken):
        phones.accounts.authenticate(login.tokens.access_token)
    assert phones.accounts.login_password(PHONE, "reset-pass-3", "c").account.id == (
        login.account.id
    )
    code = phones.code(OTHER, Purpose.RESET_PASSWORD)
    with pytest.raises(AccountNotFound):
        phones.accounts.reset_password(OTHER, code, "reset-pass-3")


# -- phone and certificate password -----------------------------------------------------


def test_change_phone_needs_a_code_sent_to_the_new_number(phones: Phones, clock: FakeClock) -> None:
    login = register(phones)
    register(phones, OTHER)
    accounts = phones.accounts
    with pytest.raises(PhoneTaken):
        accounts.send_phone_change_code(login.account.id, OTHER, "c")
    new = "13600136000"
    accounts.send_phone_change_code(login.account.id, new, "c")
    code = latest_code(accounts.ports, new)
    clock.advance(60)
    to_old_number = phones.code(PHONE, Purpose.CHANGE_PHONE)
    if to_old_number != code:  # a code sent to the old number does not do
        with pytest.raises(WrongCode):
            accounts.change_phone(login.account.id, new, to_old_number)
    accounts.change_phone(login.account.id, new, code)
    with pytest.raises(InvalidToken):
        accounts.authenticate(login.tokens.access_token)
    assert accounts.account(login.account.id).phone == new
    clock.advance(60)
    assert accounts.login_sms(new, phones.code(new)).account.id == login.account.id
    assert accounts.login_sms(PHONE, phones.code(PHONE)).created  # the old number is free


def test_certificate_password(phones: Phones, clock: FakeClock, db: Engine) -> None:
    account_id = register(phones).account.id
    accounts = phones.accounts

    def code() -> str:
        clock.advance(60)
        accounts.send_certificate_password_code(account_id, "c")
        return latest_code(accounts.ports, PHONE)

    accounts.change_certificate_password(account_id, code(), None, "123456")
    accounts.verify_certificate_password(account_id, "123456")
    with pytest.raises(WrongPassword):
        accounts.change_certificate_password(account_id, code(), "654321", "111111")
    accounts.change_certificate_password(account_id, code(), "123456", "222222")
    with pytest.raises(WrongPassword):
        accounts.verify_certificate_password(account_id, "123456")
    accounts.change_certificate_password(account_id, code(), None, "333333")  # forgotten
    accounts.verify_certificate_password(account_id, "333333")
    with pytest.raises(WeakPassword):
        accounts.change_certificate_password(account_id, code(), None, "12345")
    with Session(db) as session:
        stored = session.exec(select(Account)).one().certificate_password_hash
    assert stored is not None and stored.startswith("$argon2id$")


# -- WeChat -----------------------------------------------------------------------------


def test_wechat_binds_a_phone_on_first_use(phones: Phones, clock: FakeClock) -> None:
    accounts = phones.accounts
    first = accounts.login_wechat("alice.1")
    assert isinstance(first, WeChatBindNeeded)
    login = accounts.bind_wechat(first.ticket, PHONE, phones.code(PHONE))
    assert login.created and login.account.wechat_bound
    again = accounts.login_wechat("alice.2")
    assert isinstance(again, Login) and again.account.id == login.account.id
    with pytest.raises(PortRefused) as refused:
        accounts.login_wechat("alice.2")
    assert refused.value.reason == "code_used"
    # bob may not take alice's phone, nor alice a second account
    bob = accounts.login_wechat("bob.1")
    assert isinstance(bob, WeChatBindNeeded)
    clock.advance(60)
    with pytest.raises(WeChatAlreadyBound):
        accounts.bind_wechat(bob.ticket, PHONE, phones.code(PHONE))
    clock.advance(601)
    with pytest.raises(InvalidToken):  # TokenExpired is an InvalidToken's sibling: check it
        accounts.bind_wechat("not-a-ticket", OTHER, "000000")


def test_wechat_ticket_expires_and_wechat_fails(phones: Phones, clock: FakeClock) -> None:
    accounts = phones.accounts
    pending = accounts.login_wechat("carol.1")
    assert isinstance(pending, WeChatBindNeeded)
    clock.advance(600)
    from huren.node.accounts.errors import TokenExpired

    with pytest.raises(TokenExpired):
        accounts.bind_wechat(pending.ticket, OTHER, "000000")
    with pytest.raises(PortTimeout):
        accounts.login_wechat("timeout")
    with pytest.raises(PortUnavailable):
        accounts.login_wechat("unavailable")
    with pytest.raises(PortRefused):
        accounts.login_wechat("bad-code")


def test_an_existing_phone_account_gets_wechat_bound(phones: Phones, clock: FakeClock) -> None:
    login = register(phones)
    clock.advance(60)
    pending = phones.accounts.login_wechat("dave.1")
    assert isinstance(pending, WeChatBindNeeded)
    bound = phones.accounts.bind_wechat(pending.ticket, PHONE, phones.code(PHONE))
    assert not bound.created and bound.account.id == login.account.id


def test_an_unknown_account_is_not_found(accounts: AccountService) -> None:
    with pytest.raises(AccountNotFound):
        accounts.account("0" * 32)


def test_wrong_certificate_passwords_are_limited(phones: Phones, clock: FakeClock) -> None:
    account_id = register(phones).account.id
    clock.advance(60)
    phones.accounts.send_certificate_password_code(account_id, "c")
    code = latest_code(phones.accounts.ports, PHONE)
    phones.accounts.change_certificate_password(account_id, code, None, "123456")
    for _ in range(5):
        with pytest.raises(WrongPassword):
            phones.accounts.verify_certificate_password(account_id, "000000")
    with pytest.raises(RateLimited):
        phones.accounts.verify_certificate_password(account_id, "123456")
    clock.advance(900)
    phones.accounts.verify_certificate_password(account_id, "123456")


def test_a_code_is_consumed_once_even_by_a_stale_reader(
    phones: Phones, db: Engine, clock: FakeClock
) -> None:
    """The second consume reads the row before the first one's UPDATE (the session's cached
    copy, as a racing transaction would): the conditional UPDATE still refuses it."""
    code = phones.code(PHONE)
    key, now = derive_key(SECRET, "sms-code"), int(clock())
    with write_session(db) as session:
        assert codes.consume(session, key, PHONE, Purpose.LOGIN, code, now) is None
        with pytest.raises(CodeNotRequested):
            codes.consume(session, key, PHONE, Purpose.LOGIN, code, now)


def test_logins_are_traced_in_the_operation_log(
    phones: Phones, clock: FakeClock, db: Engine
) -> None:
    """Every login (not a token refresh) appends a LOGIN row naming the account, never its
    phone number, to the node's hash-chained operation log (操作追溯)."""
    first = register(phones)
    clock.advance(61)
    again = phones.accounts.login_sms(PHONE, phones.code(PHONE))
    phones.accounts.refresh(again.tokens.refresh_token)
    with db.connect() as conn:
        rows = OperationLog.rows(conn)
        verify_operation_log(rows)
    assert [(r.record.operation, r.record.actor, r.record.subject) for r in rows] == [
        (Operation.LOGIN, first.account.id, first.account.id)
    ] * 2
    assert all(PHONE not in repr(r.record) for r in rows)
