"""The node's upkeep job (huren.node.upkeep): each task on its own, expiring-soon messages
exactly once, expired orders, the background thread. An injected clock; no sleeping."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.billing.orders import ORDER_TTL_S, OrderState
from huren.node.billing.prices import ApplicationKind, PriceKey
from huren.node.db.accounts_tables import Account
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.engine import make_engine, migrate, write_session
from huren.node.db.messages_tables import Message
from huren.node.db.models import Certificate
from huren.node.db.upkeep_tables import ExpiryNotice
from huren.node.messages import MessageKind
from huren.node.upkeep import NoticesFailed, Upkeep, UpkeepReport, node_upkeep, notify_expiring
from huren.registry.types import CertificateKind, CertificateStatus, KeyUsage, Scope
from tests.node.billing.conftest import T0, Clock, make_billing

DAY = 86_400
HOLDER, OTHER = "a" * 16, "b" * 16
EVIDENCE = {
    "block_number": 1,
    "block_hash": b"\x01" * 32,
    "transaction_hash": b"\x02" * 32,
    "log_index": 0,
}


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("upkeep-db") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def engine(_template: Path, tmp_path: Path) -> Iterator[Engine]:
    shutil.copy(_template, tmp_path / "node.db")
    made = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    seed(made)
    yield made
    made.dispose()


@pytest.fixture
def any_engine(db_url: str) -> Iterator[Engine]:
    """On SQLite and PostgreSQL (``db_url`` of tests/node/conftest.py)."""
    migrate(db_url)
    made = make_engine(db_url)
    seed(made)
    yield made
    made.dispose()


def seed(engine: Engine) -> None:
    with write_session(engine) as session:
        for i, account in enumerate((HOLDER, OTHER)):
            session.add(Account(id=account, phone=f"1380013800{i}", created_at=T0, updated_at=T0))
        session.flush()
        session.add(
            Application(
                id="0" * 16,
                account_id=HOLDER,
                kind="personal",
                state="downloaded",
                ca_id="zjca",
                platform_id="alliance",
                center="0x" + "0" * 40,
                validity_years=1,
                fee_fen=0,
                person_name="李四",
                holder=b"\x04" * 32,
                created_at=T0,
                updated_at=T0,
            )
        )


def hold(
    engine: Engine,
    label: str,
    *,
    not_after: int,
    account: str = HOLDER,
    usage: KeyUsage = KeyUsage.SIGNING,
    replaced_by: bytes | None = None,
    indexed: CertificateStatus | None = None,
) -> bytes:
    fingerprint = label.encode().ljust(32, b"\0")
    with write_session(engine) as session:
        session.add(
            HeldCertificate(
                fingerprint=fingerprint,
                account_id=account,
                application_id="0" * 16,
                ca_id="zjca",
                usage=int(usage),
                partner=b"\x09" * 32,
                name=f"李四 ({label})",
                not_before=T0 - 300 * DAY,
                not_after=not_after,
                replaced_by=replaced_by,
            )
        )
        if indexed is not None:
            session.add(
                Certificate(
                    fingerprint=fingerprint,
                    ca_id="zjca",
                    issuer_key_id=b"\x03" * 32,
                    holder=b"\x04" * 32,
                    kind=int(CertificateKind.PERSONAL),
                    usage=int(usage),
                    scope=int(Scope.ALLIANCE),
                    not_before=T0 - 300 * DAY,
                    not_after=not_after,
                    status=int(indexed),
                    **EVIDENCE,  # type: ignore[arg-type]
                )
            )
    return fingerprint


def handled(report: UpkeepReport, name: str) -> int:
    (task,) = [t for t in report.tasks if t.name == name]
    return task.handled


def expiring_messages(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.kind == MessageKind.CERTIFICATE_EXPIRING.value)
                .order_by(col(Message.id))
            ).all()
        )


def test_each_certificate_entering_the_window_gets_one_message_across_runs(
    engine: Engine,
) -> None:
    soon = hold(engine, "soon", not_after=T0 + 10 * DAY)
    later = hold(engine, "later", not_after=T0 + 45 * DAY, account=OTHER)
    upkeep = node_upkeep(engine, desk=None, payments=None, authorizations=None, zones=None)

    report = upkeep.run_once(T0)
    assert report.ok and handled(report, "notify_expiring") == 1
    (first,) = expiring_messages(engine)
    assert (first.account_id, first.action) == (HOLDER, f"certificate:{soon.hex()}/renew")
    assert json.loads(first.params) == {
        "fingerprint": soon.hex(),
        "certificate_name": "李四 (soon)",
        "days_left": 10,
    }
    assert "10 天后到期" in first.body

    assert handled(upkeep.run_once(T0 + 3600), "notify_expiring") == 0  # told already
    assert len(expiring_messages(engine)) == 1

    # 15 days on, "later" has 30 days left: it enters the window, "soon" stays told.
    assert handled(upkeep.run_once(T0 + 15 * DAY), "notify_expiring") == 1
    assert handled(upkeep.run_once(T0 + 16 * DAY), "notify_expiring") == 0
    messages = expiring_messages(engine)
    assert [(m.account_id, json.loads(m.params)["fingerprint"]) for m in messages] == [
        (HOLDER, soon.hex()),
        (OTHER, later.hex()),
    ]
    with Session(engine) as session:
        notices = session.exec(select(ExpiryNotice)).all()
    assert {(n.fingerprint, n.message_id) for n in notices} == {
        (soon, messages[0].id),
        (later, messages[1].id),
    }


def test_revoked_replaced_expired_encryption_and_far_certificates_get_none(
    engine: Engine,
) -> None:
    window = T0 + 5 * DAY
    hold(engine, "revoked", not_after=window, indexed=CertificateStatus.REVOKED)
    hold(engine, "replaced", not_after=window, replaced_by=b"\x07" * 32)
    hold(engine, "expired", not_after=T0 - 1)
    hold(engine, "encryption", not_after=window, usage=KeyUsage.ENCRYPTION)
    hold(engine, "far", not_after=T0 + 31 * DAY)
    active = hold(engine, "indexed-active", not_after=window, indexed=CertificateStatus.ACTIVE)
    assert notify_expiring(engine, T0) == 1
    (message,) = expiring_messages(engine)
    assert json.loads(message.params)["fingerprint"] == active.hex()


def test_the_selection_and_the_record_hold_on_any_database(any_engine: Engine) -> None:
    soon = hold(any_engine, "soon", not_after=T0 + DAY)
    hold(any_engine, "revoked", not_after=T0 + DAY, indexed=CertificateStatus.REVOKED)
    hold(any_engine, "active", not_after=T0 + DAY, indexed=CertificateStatus.ACTIVE)
    hold(any_engine, "replaced", not_after=T0 + DAY, replaced_by=b"\x07" * 32)
    assert notify_expiring(any_engine, T0) == 2
    assert notify_expiring(any_engine, T0 + 1) == 0
    told = {json.loads(m.params)["fingerprint"] for m in expiring_messages(any_engine)}
    assert told == {soon.hex(), b"active".ljust(32, b"\0").hex()}


def test_a_deleted_message_is_not_sent_again(engine: Engine) -> None:
    hold(engine, "soon", not_after=T0 + DAY)
    assert notify_expiring(engine, T0) == 1
    with write_session(engine) as session:
        (message,) = session.exec(select(Message)).all()
        session.delete(message)  # the holder deleted it: the record stays
    assert notify_expiring(engine, T0 + 60) == 0
    assert expiring_messages(engine) == []


def test_a_certificate_whose_message_fails_holds_up_no_other(engine: Engine) -> None:
    bad = hold(engine, "bad", not_after=T0 + DAY)
    with write_session(engine) as session:
        row = session.get(HeldCertificate, bad)
        assert row is not None
        row.name = "\x00"  # not printable: the inbox refuses the parameter
        session.add(row)
    good = hold(engine, "good", not_after=T0 + 2 * DAY)
    with pytest.raises(NoticesFailed, match="1 expiring-soon messages failed \\(1 sent\\)"):
        notify_expiring(engine, T0)
    (message,) = expiring_messages(engine)
    assert json.loads(message.params)["fingerprint"] == good.hex()
    report = Upkeep([("notify_expiring", lambda now: notify_expiring(engine, now))]).run_once(T0)
    assert report.failed == ("notify_expiring",) and len(expiring_messages(engine)) == 1
    with Session(engine) as session:
        assert session.get(ExpiryNotice, bad) is None  # tried again next pass


def test_a_pass_is_bounded_and_the_next_one_goes_on(engine: Engine) -> None:
    for i in range(3):
        hold(engine, f"c{i}", not_after=T0 + (i + 1) * DAY)
    assert notify_expiring(engine, T0, limit=2) == 2
    assert notify_expiring(engine, T0, limit=2) == 1
    assert notify_expiring(engine, T0, limit=2) == 0


class FailingDesk:
    def __init__(self) -> None:
        self.calls = 0

    def revoke_superseded(self) -> int:
        self.calls += 1
        raise RuntimeError("chain unreachable")


class Counting:
    def __init__(self, handled: int) -> None:
        self.handled = handled
        self.calls = 0

    def finish_revocations(self) -> int:
        self.calls += 1
        return self.handled

    def settle_pending(self) -> int:
        self.calls += 1
        return self.handled


def test_orders_past_their_window_expire_and_a_failing_task_stops_nothing(
    engine: Engine,
) -> None:
    billing = make_billing(engine)
    key = PriceKey("zjca", ApplicationKind.NEW, 1)
    due = billing.orders.create(application_id="app-due", account_ref=HOLDER, key=key)
    hold(engine, "soon", not_after=T0 + ORDER_TTL_S + 30 * DAY)
    desk, authorizations, zones = FailingDesk(), Counting(2), Counting(1)
    upkeep = node_upkeep(
        engine,
        desk=desk,
        payments=billing.payments,
        authorizations=authorizations,
        zones=zones,
        clock=billing.clock,
    )
    assert upkeep.task_names == (
        "revoke_superseded",
        "expire_orders",
        "finish_authorization_revocations",
        "settle_zone_statements",
        "notify_expiring",
        "remind_reissue_downloads",
    )
    first = upkeep.run_once()
    assert first.at == T0 and first.failed == ("revoke_superseded",)
    assert first.tasks[0].error == "RuntimeError: chain unreachable"
    assert [t.handled for t in first.tasks] == [0, 0, 2, 1, 0, 0]  # not due, not soon yet

    billing.clock.now += ORDER_TTL_S
    second = upkeep.run_once()
    assert [t.handled for t in second.tasks] == [0, 1, 2, 1, 1, 0]
    assert not second.ok and upkeep.last_report is second
    assert billing.orders.get(due.order_id).state is OrderState.EXPIRED
    assert (desk.calls, authorizations.calls, zones.calls) == (2, 2, 2)
    assert len(expiring_messages(engine)) == 1
    assert second.as_dict()["tasks"][1] == {
        "name": "expire_orders",
        "ok": True,
        "handled": 1,
        "error": None,
        "duration_ms": round(second.tasks[1].duration_ms, 3),
    }

    billing.clock.now += 60
    assert [t.handled for t in upkeep.run_once().tasks][1:] == [0, 2, 1, 0, 0]  # idempotent


def test_task_names_are_unique() -> None:
    with pytest.raises(ValueError, match="repeat"):
        Upkeep([("a", lambda now: 0), ("a", lambda now: 0)])


def test_the_thread_runs_passes_until_stopped() -> None:
    passes: list[int] = []
    ran_twice = threading.Event()

    def task(now: int) -> int:
        passes.append(now)
        if len(passes) >= 2:
            ran_twice.set()
        return 0

    clock = Clock(T0)
    upkeep = Upkeep([("count", task)], clock=clock)
    upkeep.start(0.001)
    assert upkeep.running and upkeep.interval_s == 0.001
    assert ran_twice.wait(timeout=10)
    assert upkeep.stop(timeout=10)
    assert not upkeep.running and upkeep.interval_s is None
    stopped_at = len(passes)
    assert upkeep.run_once().at == T0  # still usable by hand after the thread
    assert len(passes) == stopped_at + 1
    report = upkeep.last_report
    assert report is not None and report.ok


def test_interval_zero_starts_no_thread() -> None:
    upkeep = Upkeep([("nothing", lambda now: 0)])
    upkeep.start(0)
    assert not upkeep.running and upkeep.stop()


def test_a_failing_pass_does_not_end_the_thread() -> None:
    calls: list[int] = []
    again = threading.Event()

    def flaky_clock() -> float:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("clock unavailable")
        again.set()
        return T0

    upkeep = Upkeep([("nothing", lambda now: 0)], clock=flaky_clock)
    upkeep.start(0.001)
    assert again.wait(timeout=10)
    assert upkeep.stop(timeout=10)


def test_a_node_runs_a_pass_at_start_then_the_thread_and_stops_it_on_close(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from huren.cli import app
    from huren.node.node import Node
    from huren.node.settings import Settings

    node = Node.open(Settings(data_dir=tmp_path, upkeep_interval_s=0.01), start_indexer=False)
    try:
        assert node.upkeep is not None
        at_start = node.upkeep.last_report
        assert at_start is not None and at_start.ok, at_start
        assert [t.name for t in at_start.tasks] == [
            "revoke_superseded",
            "expire_orders",
            "finish_authorization_revocations",
            "settle_zone_statements",
            "notify_expiring",
            "remind_reissue_downloads",
        ]
        threaded = threading.Event()

        def signal(now: int) -> int:
            threaded.set()
            return 0

        node.upkeep.tasks += (("signal", signal),)
        assert not node.upkeep.running
        node.start_indexer()
        assert node.upkeep.running and node.upkeep.interval_s == 0.01
        assert threaded.wait(timeout=30)
    finally:
        node.close()
    assert not node.upkeep.running

    # An operator's pass against the stopped node's data directory.
    result = CliRunner().invoke(app, ["upkeep", "run", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["ok"] is True and len(printed["tasks"]) == 6


def test_the_interval_setting_is_checked() -> None:
    from pydantic import ValidationError

    from huren.node.settings import Settings

    assert Settings().upkeep_interval_s == 60.0
    with pytest.raises(ValidationError):
        Settings(upkeep_interval_s=-1)
