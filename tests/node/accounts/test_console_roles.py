"""Console roles of accounts (``huren.node.console_roles``): granting by phone, the grant's
checks, revoking, and the standing a console session is re-checked against."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from huren.node.accounts import AccountService
from huren.node.console_roles import (
    ConsoleRoleService,
    GrantedRole,
    InvalidGrant,
    NoSuchAccount,
    NoSuchGrant,
)
from tests.node.accounts.conftest import FakeClock, Phones

PHONE = "13800138001"


@pytest.fixture
def roles(db: Engine, clock: FakeClock) -> ConsoleRoleService:
    return ConsoleRoleService(db, clock=clock)


@pytest.fixture
def account_id(accounts: AccountService, phones: Phones) -> str:
    return accounts.login_sms(PHONE, phones.code(PHONE)).account.id


def test_grants_by_phone_and_the_standing_lists_them(
    roles: ConsoleRoleService, account_id: str, clock: FakeClock
) -> None:
    auditor = roles.grant("+86 138-0013-8001", "auditor", None, "node-admin")
    zjca = roles.grant(PHONE, GrantedRole.CA_OPERATOR, "zjca", "node-admin")
    roles.grant(PHONE, GrantedRole.CA_OPERATOR, "bjca", "node-admin")
    assert (auditor.phone, auditor.role, auditor.ca_id) == (PHONE, GrantedRole.AUDITOR, None)
    assert (zjca.ca_id, zjca.granted_at, zjca.granted_by) == ("zjca", int(clock()), "node-admin")
    standing = roles.standing(account_id)
    assert standing is not None
    assert standing.roles() == (GrantedRole.CA_OPERATOR, GrantedRole.AUDITOR)
    assert standing.ca_ids() == ("bjca", "zjca")
    assert [(g.role.value, g.ca_id) for g in roles.grants()] == [
        ("auditor", None),
        ("ca-operator", "bjca"),
        ("ca-operator", "zjca"),
    ]


def test_granting_twice_answers_the_same_grant(roles: ConsoleRoleService, account_id: str) -> None:
    first = roles.grant(PHONE, "auditor", None, "node-admin")
    assert roles.grant(PHONE, "auditor", None, "someone else") == first
    assert len(roles.grants()) == 1


@pytest.mark.parametrize(
    ("phone", "role", "ca_id", "why"),
    [
        (PHONE, "center-operator", None, "center-operator"),
        (PHONE, "platform", None, "platform"),
        (PHONE, "ca-operator", None, "names the CA"),
        (PHONE, "ca-operator", "ZJ CA!", "names the CA"),
        (PHONE, "auditor", "zjca", "names no CA"),
        ("12345", "auditor", None, "mobile"),
    ],
)
def test_bad_grants_are_refused(
    roles: ConsoleRoleService, account_id: str, phone: str, role: str, ca_id: str | None, why: str
) -> None:
    with pytest.raises(InvalidGrant, match=why):
        roles.grant(phone, role, ca_id, "node-admin")
    assert roles.grants() == []


def test_an_unknown_phone_has_no_account(roles: ConsoleRoleService) -> None:
    with pytest.raises(NoSuchAccount):
        roles.grant("13900139000", "auditor", None, "node-admin")


def test_revoking_takes_the_role_away(roles: ConsoleRoleService, account_id: str) -> None:
    grant = roles.grant(PHONE, "ca-operator", "zjca", "node-admin")
    assert roles.revoke(grant.id) == grant
    standing = roles.standing(account_id)
    assert standing is not None and standing.roles() == () and standing.ca_ids() == ()
    with pytest.raises(NoSuchGrant):
        roles.revoke(grant.id)


def test_the_standing_follows_the_token_version(
    roles: ConsoleRoleService, accounts: AccountService, phones: Phones, account_id: str
) -> None:
    before = roles.standing(account_id)
    assert before is not None
    accounts.set_password(account_id, "correct horse battery")
    accounts.change_password(account_id, "correct horse battery", "another long password")
    after = roles.standing(account_id)
    assert after is not None and after.token_version == before.token_version + 1
    assert roles.standing("no-such-account") is None
