"""What the rest of the assistant needs from the intake store: its interface, as Protocols.

Why Protocols: the actions and the outbox worker depend on these methods, not on
``intake.store.SqlIntakeStore``, so a stand-in (or another backend) only has to provide them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional, Protocol

from firm import Settings
from intake.records import ConsultationRequest, PendingNotification, StoredRequest, SubmitResult


class OutboxStore(Protocol):
    """What the outbox worker needs: the due notifications, the outcome of each delivery, and the
    move of spooled requests into the database that it runs on every pass."""

    settings: Settings

    def ingest_spool(self) -> int: ...
    def pending_notifications(self, now: Optional[datetime] = None, channels: Optional[Iterable[str]] = None,
                              limit: int = 20, lease_seconds: float = 300) -> list[PendingNotification]: ...
    def mark_notification_delivered(self, notification_id: int, now: Optional[datetime] = None) -> None: ...
    def mark_notification_failed(self, notification_id: int, error: str, retry_at: Optional[datetime],
                                 now: Optional[datetime] = None) -> None: ...


class IntakeStore(OutboxStore, Protocol):
    """What the Rasa actions, the outbox worker and the admin CLI need from storage."""

    def submit(self, request: ConsultationRequest) -> SubmitResult: ...
    def get(self, reference: str) -> Optional[StoredRequest]: ...
    def list(self, status: Optional[str] = None, limit: Optional[int] = 100,
             urgent: Optional[bool] = None) -> list[StoredRequest]: ...
    def mark_handled(self, reference: str) -> bool: ...
    def erase(self, conversation_id: Optional[str] = None, reference: Optional[str] = None,
              email: Optional[str] = None, source: str = "admin") -> int: ...
    def purge_older_than(self, days: int) -> int: ...
    def close(self) -> None: ...
