"""The records the intake store takes and gives back: plain frozen dataclasses.

Why a module of their own: the actions build a ``ConsultationRequest``, the summary reads
one, the outbox worker is handed ``PendingNotification`` and the staff tool shows
``StoredRequest``; none of them needs SQLAlchemy to do so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Optional

STATUS_NEW = "new"
STATUS_HANDLED = "handled"
NOTIFY_PENDING = "pending"
NOTIFY_DELIVERED = "delivered"
NOTIFY_FAILED = "failed"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (all stored times are UTC)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ConsultationRequest:
    """What the form collected, ready to be stored."""

    conversation_id: str
    channel: str
    full_name: str
    email: Optional[str]
    phone: Optional[str]
    current_country: Optional[str]
    issuing_country: Optional[str]
    problem_type: str
    language: Optional[str]
    description: str
    consent_version: str
    consent_at: datetime
    urgent: bool = False
    # The language the person wrote in (a code of firm.yml conversation.languages); their answers
    # are stored as they typed them.
    chat_language: Optional[str] = None


@dataclass(frozen=True)
class SubmitResult:
    """The reference to give the person; ``created`` is False for a repeated submit.

    ``spooled`` is True when the database was unreachable and the request waits on
    disk; the reference is final either way.
    """

    reference: str
    created: bool
    spooled: bool = False


@dataclass(frozen=True)
class NotificationState:
    """Delivery state of one channel for one request."""

    channel: str
    status: str
    attempts: int
    next_attempt_at: Optional[datetime]
    delivered_at: Optional[datetime]
    last_error: Optional[str]


@dataclass(frozen=True, kw_only=True)
class StoredRequest(ConsultationRequest):
    """A request as stored: what was collected, plus its reference, status, summary and
    notification states."""

    reference: str
    status: str
    created_at: datetime
    handled_at: Optional[datetime]
    summary: str
    notifications: tuple[NotificationState, ...] = field(default=())
    assigned_to: Optional[str] = None

    def as_record(self) -> dict[str, Any]:
        """Flat field -> value mapping (times as ISO 8601 UTC) for exports."""
        record: dict[str, Any] = {}
        names = [item.name for item in fields(self)]
        # The columns a lawyer scans first lead the export.
        leading = ["reference", "status", "created_at", "handled_at"]
        for name in leading + [name for name in names if name not in leading]:
            value = getattr(self, name)
            if name == "notifications":
                value = "; ".join(f"{n.channel}: {n.status}" for n in value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            record[name] = value
        return record


@dataclass(frozen=True)
class PendingNotification:
    """A notification claimed for delivery by one worker."""

    id: int
    reference: str
    channel: str
    attempts: int
    urgent: bool
    text: str
