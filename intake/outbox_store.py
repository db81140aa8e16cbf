"""The notification outbox: due rows claimed by one worker at a time, then delivered, retried or given up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import func, select, update

from intake.crypto import is_token
from intake.database import SqlDatabase
from intake.records import NOTIFY_DELIVERED, NOTIFY_FAILED, NOTIFY_PENDING, PendingNotification, utcnow
from intake.schema import notifications_table, requests_table
from intake.summary import notification_text


class SqlOutboxStore(SqlDatabase):
    """The outbox rows (intake_notifications) that submit wrote with each request."""

    def pending_notifications(self, now: Optional[datetime] = None, channels: Optional[Iterable[str]] = None,
                              limit: int = 20, lease_seconds: float = 300) -> list[PendingNotification]:
        """Due notifications (urgent first), each claimed for ``lease_seconds``.

        Why the claim: several worker processes may run (e.g. action-server workers);
        a row is handed to one of them only (optimistic ``claim_version`` update). If the
        worker dies mid-delivery, the row becomes due again when the lease ends.
        """
        now = now or utcnow()
        query = (select(notifications_table.c.id, notifications_table.c.channel, notifications_table.c.attempts,
                        notifications_table.c.claim_version, requests_table.c.reference,
                        requests_table.c.urgent, requests_table.c.summary, requests_table.c.problem_type)
                 .join(requests_table, requests_table.c.id == notifications_table.c.request_id)
                 .where(notifications_table.c.status == NOTIFY_PENDING,
                        notifications_table.c.next_attempt_at <= now)
                 .order_by(requests_table.c.urgent.desc(), notifications_table.c.next_attempt_at,
                           notifications_table.c.id)
                 .limit(limit))
        if channels is not None:
            query = query.where(notifications_table.c.channel.in_(list(channels)))
        self.ensure_schema()
        with self.engine.connect() as connection:
            candidates = connection.execute(query).mappings().all()
        claimed = []
        for row in candidates:
            with self._begin() as connection:
                result = connection.execute(
                    update(notifications_table)
                    .where(notifications_table.c.id == row["id"],
                           notifications_table.c.status == NOTIFY_PENDING,
                           notifications_table.c.claim_version == row["claim_version"])
                    .values(claim_version=row["claim_version"] + 1,
                            next_attempt_at=now + timedelta(seconds=lease_seconds)))
            if result.rowcount == 1:
                claimed.append(PendingNotification(id=row["id"], reference=row["reference"], channel=row["channel"],
                                                   attempts=row["attempts"], urgent=row["urgent"],
                                                   text=self._notification_text(row)))
        return claimed

    def _notification_text(self, row: Any) -> str:
        """What the channels send: by default no personal data (reference, URGENT, problem type, link
        to the desk); the full summary only when firm.yml opts in (notifications.include_summary)."""
        settings = self.settings  # type: ignore[attr-defined]
        if settings.notifications.include_summary:
            summary = row["summary"]
            return self.cipher.decrypt(summary) if is_token(summary) else summary
        return notification_text(row["reference"], urgent=row["urgent"], problem_type=row["problem_type"],
                                 settings=settings)

    def mark_notification_delivered(self, notification_id: int, now: Optional[datetime] = None) -> None:
        """Record a successful delivery so the row is never sent again."""
        with self._begin() as connection:
            connection.execute(update(notifications_table).where(notifications_table.c.id == notification_id)
                               .values(status=NOTIFY_DELIVERED, delivered_at=now or utcnow(), last_error=None,
                                       attempts=notifications_table.c.attempts + 1))

    def mark_notification_failed(self, notification_id: int, error: str, retry_at: Optional[datetime],
                                 now: Optional[datetime] = None) -> None:
        """Record a failed attempt; retry at ``retry_at``, or give up (status failed) when None."""
        values: dict[str, Any] = {"attempts": notifications_table.c.attempts + 1,
                                  "last_error": (error or "unknown error")[:500]}
        if retry_at is None:
            values["status"] = NOTIFY_FAILED
        else:
            values["next_attempt_at"] = retry_at
        with self._begin() as connection:
            connection.execute(update(notifications_table).where(
                notifications_table.c.id == notification_id, notifications_table.c.status == NOTIFY_PENDING)
                .values(**values))

    def retry_failed_notifications(self, now: Optional[datetime] = None) -> int:
        """Put notifications that gave up back in the queue (after fixing the channel)."""
        with self._begin() as connection:
            result = connection.execute(update(notifications_table)
                                        .where(notifications_table.c.status == NOTIFY_FAILED)
                                        .values(status=NOTIFY_PENDING, attempts=0, next_attempt_at=now or utcnow()))
            return int(result.rowcount or 0)

    def notification_counts(self) -> dict[str, int]:
        """Number of outbox rows per status, for the admin CLI."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            rows = connection.execute(select(notifications_table.c.status, func.count())
                                      .group_by(notifications_table.c.status))
            return {status: count for status, count in rows}

