"""The upkeep's reminder of an enterprise change's replacement left undownloaded
(huren.node.reminders): once, 7 days after the change was carried out, only while the
replacement is still paid and its holder still a member. An injected clock; no sleeping."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.db.accounts_tables import Account
from huren.node.db.applications_tables import Application
from huren.node.db.engine import make_engine, migrate, write_session
from huren.node.db.enterprise_change_tables import EnterpriseChange, EnterpriseChangeChoice
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.db.messages_tables import Message
from huren.node.db.reminders_tables import ReissueReminder
from huren.node.messages import MessageKind
from huren.node.reminders import REISSUE_REMINDER_AFTER_S, RemindersFailed, remind_reissues
from huren.node.upkeep import node_upkeep

T0 = 1_900_000_000
DAY = 86_400
ADMIN, STAFF, LEAVER = "a" * 16, "b" * 16, "c" * 16
ENTERPRISE = "e" * 16
CHANGE = "f" * 16
NEW_NAME = "嘉兴新材料有限公司"


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reminders-db") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite(_template: Path, tmp_path: Path) -> Iterator[Engine]:
    shutil.copy(_template, tmp_path / "node.db")
    made = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    seed(made)
    yield made
    made.dispose()


def _application(app_id: str, account: str, kind: str, state: str) -> Application:
    return Application(
        id=app_id,
        account_id=account,
        kind=kind,
        state=state,
        ca_id="zjca",
        platform_id="alliance",
        center="0x" + "0" * 40,
        validity_years=1,
        fee_fen=0,
        enterprise_id=ENTERPRISE,
        enterprise_name=NEW_NAME,
        uscc="91330400MA2B3C4D5E",
        holder=b"\x04" * 32,
        created_at=T0,
        updated_at=T0,
    )


def seed(engine: Engine, *, carried_out_at: int | None = T0) -> None:
    """An enterprise (admin, two staff) whose change, carried out at ``carried_out_at``,
    chose no certificate yet; ``reissue`` adds the chosen ones."""
    with write_session(engine) as session:
        for i, account in enumerate((ADMIN, STAFF, LEAVER)):
            session.add(Account(id=account, phone=f"1380013800{i}", created_at=T0, updated_at=T0))
        session.add(
            Enterprise(
                id=ENTERPRISE,
                name=NEW_NAME,
                uscc="91330400MA2B3C4D5E",
                created_at=T0,
                updated_at=T0,
            )
        )
        session.flush()
        for account, role in ((ADMIN, "admin"), (STAFF, "staff"), (LEAVER, "staff")):
            session.add(
                EnterpriseMember(
                    enterprise_id=ENTERPRISE, account_id=account, role=role, created_at=T0
                )
            )
        session.add(_application(CHANGE, ADMIN, "enterprise_change", "completed"))
        session.flush()
        session.add(
            EnterpriseChange(
                application_id=CHANGE,
                enterprise_id=ENTERPRISE,
                old_name="嘉兴旧材料有限公司",
                old_uscc="91330400MA2B3C4D5E",
                new_name=NEW_NAME,
                new_uscc="91330400MA2B3C4D5E",
                carried_out_at=carried_out_at,
            )
        )


def reissue(engine: Engine, app_id: str, account: str, state: str = "paid") -> None:
    with write_session(engine) as session:
        session.add(_application(app_id, account, "change_reissue", state))
        session.flush()
        session.add(
            EnterpriseChangeChoice(
                application_id=CHANGE,
                predecessor=app_id.encode().ljust(32, b"\0"),
                position=len(app_id),
                holder_account_id=account,
                reissue_id=app_id,
            )
        )


def reminders(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.kind == MessageKind.REISSUE_NOT_DOWNLOADED.value)
                .order_by(col(Message.id))
            ).all()
        )


def test_a_replacement_left_paid_for_7_days_gets_one_reminder(sqlite: Engine) -> None:
    reissue(sqlite, "r-admin", ADMIN)
    reissue(sqlite, "r-staff", STAFF)
    assert remind_reissues(sqlite, T0 + REISSUE_REMINDER_AFTER_S - 1) == 0  # not yet
    assert reminders(sqlite) == []

    upkeep = node_upkeep(sqlite, desk=None, payments=None, authorizations=None, zones=None)
    report = upkeep.run_once(T0 + 7 * DAY)
    assert report.ok, report
    (task,) = [t for t in report.tasks if t.name == "remind_reissue_downloads"]
    assert task.handled == 2
    sent = reminders(sqlite)
    assert [(m.account_id, m.action) for m in sent] == [
        (ADMIN, "application:r-admin/download"),
        (STAFF, "application:r-staff/download"),
    ]
    assert json.loads(sent[1].params) == {"application_id": "r-staff", "enterprise_name": NEW_NAME}
    assert sent[1].title == "请下载变更后的证书" and NEW_NAME in sent[1].body

    # Later passes, days on, remind no one again.
    for later in (T0 + 7 * DAY + 60, T0 + 30 * DAY):
        assert remind_reissues(sqlite, later) == 0
    assert len(reminders(sqlite)) == 2
    with Session(sqlite) as session:
        recorded = session.exec(select(ReissueReminder)).all()
    assert {(r.application_id, r.message_id, r.sent_at) for r in recorded} == {
        ("r-admin", sent[0].id, T0 + 7 * DAY),
        ("r-staff", sent[1].id, T0 + 7 * DAY),
    }


def test_downloaded_unpaid_and_departed_holders_get_none(sqlite: Engine) -> None:
    reissue(sqlite, "r-downloaded", ADMIN, state="downloaded")
    reissue(sqlite, "r-issued", STAFF, state="issued")  # the download under way: not idle
    reissue(sqlite, "r-leaver", LEAVER)
    with write_session(sqlite) as session:
        left = session.get(EnterpriseMember, (ENTERPRISE, LEAVER))
        session.delete(left)  # left the enterprise: the download would be HOLDER_NOT_MEMBER
    assert remind_reissues(sqlite, T0 + 8 * DAY) == 0
    assert reminders(sqlite) == []


def test_a_change_not_carried_out_reminds_no_one(tmp_path: Path, _template: Path) -> None:
    shutil.copy(_template, tmp_path / "node.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    try:
        seed(engine, carried_out_at=None)
        reissue(engine, "r-approved", STAFF, state="approved")
        assert remind_reissues(engine, T0 + 100 * DAY) == 0
    finally:
        engine.dispose()


def test_a_deleted_reminder_is_not_sent_again(sqlite: Engine) -> None:
    reissue(sqlite, "r-staff", STAFF)
    assert remind_reissues(sqlite, T0 + 7 * DAY) == 1
    with write_session(sqlite) as session:
        (message,) = session.exec(select(Message)).all()
        session.delete(message)  # the holder deleted it: the record stays
    assert remind_reissues(sqlite, T0 + 9 * DAY) == 0
    assert reminders(sqlite) == []


def test_one_reminder_that_fails_holds_up_no_other_and_is_tried_again(sqlite: Engine) -> None:
    reissue(sqlite, "r-bad", ADMIN)
    reissue(sqlite, "r-good", STAFF)
    with write_session(sqlite) as session:
        bad = session.get(Application, "r-bad")
        assert bad is not None
        bad.enterprise_name = "\x00"  # not printable: the inbox refuses the parameter
        session.add(bad)
    with pytest.raises(RemindersFailed, match=r"1 reissue reminders failed \(1 sent\)"):
        remind_reissues(sqlite, T0 + 7 * DAY)
    assert [m.account_id for m in reminders(sqlite)] == [STAFF]
    with Session(sqlite) as session:
        assert session.get(ReissueReminder, "r-bad") is None  # tried again next pass


def test_a_pass_is_bounded_and_the_next_one_goes_on(sqlite: Engine) -> None:
    for i in range(3):
        reissue(sqlite, f"r-{i}", STAFF)
    assert remind_reissues(sqlite, T0 + 7 * DAY, limit=2) == 2
    assert remind_reissues(sqlite, T0 + 7 * DAY, limit=2) == 1
    assert remind_reissues(sqlite, T0 + 7 * DAY, limit=2) == 0


def test_the_selection_and_the_record_hold_on_any_database(engine: Engine) -> None:
    """``engine``: tests/node/conftest.py's, on SQLite and PostgreSQL."""
    seed(engine)
    reissue(engine, "r-staff", STAFF)
    reissue(engine, "r-done", ADMIN, state="downloaded")
    assert remind_reissues(engine, T0 + 7 * DAY) == 1
    assert remind_reissues(engine, T0 + 7 * DAY + 1) == 0
    assert [m.account_id for m in reminders(engine)] == [STAFF]
