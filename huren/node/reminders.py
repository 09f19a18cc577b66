"""Reminders the upkeep job posts once: an enterprise change's replacement left undownloaded.

An enterprise change (企业信息变更, manual 2.11.3) paid makes each chosen holder's
``change_reissue`` application ``paid`` and tells the holder (``certificate_ready``); the
holder then downloads it with their own keys. One still ``paid`` ``REISSUE_REMINDER_AFTER_S``
(7 days) after the change was carried out gets one ``reissue_not_downloaded`` message,
recorded in ``upkeep_reissue_reminders`` in the transaction that posts it (the same pattern
as the expiring-soon notices in ``huren.node.upkeep``). A holder who has left the enterprise
since cannot download it (``HOLDER_NOT_MEMBER``) and is not reminded.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, and_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.applications.model import ApplicationKind, ApplicationState
from huren.node.db.applications_tables import Application
from huren.node.db.engine import write_session
from huren.node.db.enterprise_change_tables import EnterpriseChange, EnterpriseChangeChoice
from huren.node.db.enterprises_tables import EnterpriseMember
from huren.node.db.reminders_tables import ReissueReminder
from huren.node.messages import MessageKind, post
from huren.node.messages.inbox import MAX_PARAM_LENGTH

__all__ = ["REISSUE_REMINDER_AFTER_S", "REMINDERS_PER_PASS", "RemindersFailed", "remind_reissues"]

log = logging.getLogger(__name__)

REISSUE_REMINDER_AFTER_S = 7 * 86_400
REMINDERS_PER_PASS = 500  # bounds one pass; the rest go out on the next


class RemindersFailed(Exception):
    """Some reminders could not be posted (the others were; see the log)."""


def remind_reissues(engine: Engine, now: int, *, limit: int = REMINDERS_PER_PASS) -> int:
    """Post ``reissue_not_downloaded`` to the holder of every ``change_reissue`` still
    ``paid`` ``REISSUE_REMINDER_AFTER_S`` after its change was carried out, who is still a
    member of the enterprise and was not reminded yet; how many were posted."""
    with Session(engine) as session:
        candidates = session.exec(
            select(Application.id)
            .join(
                EnterpriseChangeChoice,
                col(EnterpriseChangeChoice.reissue_id) == col(Application.id),
            )
            .join(
                EnterpriseChange,
                col(EnterpriseChange.application_id) == col(EnterpriseChangeChoice.application_id),
            )
            .join(
                EnterpriseMember,
                and_(
                    col(EnterpriseMember.enterprise_id) == col(Application.enterprise_id),
                    col(EnterpriseMember.account_id) == col(Application.account_id),
                ),
            )
            .outerjoin(ReissueReminder, col(ReissueReminder.application_id) == col(Application.id))
            .where(
                col(ReissueReminder.application_id).is_(None),
                col(Application.kind) == ApplicationKind.CHANGE_REISSUE.value,
                col(Application.state) == ApplicationState.PAID.value,
                col(EnterpriseChange.carried_out_at) <= now - REISSUE_REMINDER_AFTER_S,
            )
            .order_by(col(EnterpriseChange.carried_out_at), col(Application.id))
            .limit(limit)
        ).all()
    posted, failed = 0, 0
    for application_id in candidates:
        try:
            posted += _remind_one(engine, application_id, now)
        except IntegrityError:  # reminded concurrently by another pass: nothing posted here
            continue
        except Exception:  # one bad row must not hold up the holders after it
            log.exception("the reissue reminder for %s failed", application_id)
            failed += 1
    if failed:
        raise RemindersFailed(f"{failed} reissue reminders failed ({posted} sent)")
    return posted


def _remind_one(engine: Engine, application_id: str, now: int) -> int:
    with write_session(engine) as session:
        if session.get(ReissueReminder, application_id) is not None:
            return 0
        row = session.get(Application, application_id)
        assert row is not None and row.enterprise_name is not None
        if row.state != ApplicationState.PAID.value:  # downloaded since the selection
            return 0
        params = {
            "application_id": row.id,
            "enterprise_name": row.enterprise_name[:MAX_PARAM_LENGTH],
        }
        message = post(session, row.account_id, MessageKind.REISSUE_NOT_DOWNLOADED, params, now=now)
        assert message.id is not None
        session.add(
            ReissueReminder(
                application_id=row.id,
                account_id=row.account_id,
                message_id=message.id,
                sent_at=now,
            )
        )
    return 1
