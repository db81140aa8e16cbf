"""Deliver queued notifications with retries; also finish deferred work of the store.

Why: the request and its outbox rows are committed together at submit time; this
worker then delivers them in the background, so a slow or broken mail server or
Slack never makes a person wait or loses a request. A failed attempt is retried with
exponential backoff; a delivered row is marked delivered right after the server
accepted it, so it is never sent again (at-least-once to the server: if the process
dies between "accepted" and "marked", that one message may repeat after the claim
lease expires). ``run_once`` never raises: a notification problem must not take down
the action server.

Each run also moves spooled requests (written while the database was down) into the
database.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable, Iterable, Mapping, Optional, TypeVar, Union

from firm import Settings
from intake.notify import Notifier, OutgoingMessage
from intake.records import PendingNotification, utcnow
from intake.store_interface import OutboxStore

logger = logging.getLogger(__name__)

CLAIM_LEASE_SECONDS = 300.0
T = TypeVar("T")


class OutboxWorker:
    """Delivers due notifications from an OutboxStore through the given notifiers."""

    def __init__(self, store: OutboxStore, notifiers: Union[Iterable[Notifier], Mapping[str, Notifier]],
                 settings: Optional[Settings] = None) -> None:
        self.store = store
        self.settings = settings or store.settings
        items = notifiers.values() if isinstance(notifiers, Mapping) else notifiers
        self.notifiers: dict[str, Notifier] = {notifier.channel: notifier for notifier in items}
        self._run_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def backoff_seconds(self, attempts: int) -> float:
        """Delay before the next try after ``attempts`` failures: base * 2^(n-1), capped."""
        retry = self.settings.notifications.retry
        return min(retry.base_delay_seconds * (2 ** max(attempts - 1, 0)), retry.max_delay_seconds)

    def run_once(self, now: Optional[datetime] = None) -> int:
        """Deliver everything due now; returns how many notifications were delivered. Never raises."""
        with self._run_lock:
            now = now or utcnow()
            self._guarded("moving spooled requests into the database", self.store.ingest_spool)
            if not self.notifiers:
                return 0
            pending = self._guarded("reading the outbox", lambda: self.store.pending_notifications(
                now, channels=list(self.notifiers), lease_seconds=CLAIM_LEASE_SECONDS)) or []
            return sum(1 for notification in pending if self._deliver(notification, now))

    def _guarded(self, what: str, action: Callable[[], T]) -> Optional[T]:
        try:
            return action()
        except Exception:  # the worker must survive anything; the row stays for the next run
            logger.exception("Outbox: error while %s; will try again on the next run.", what)
            return None

    def _deliver(self, notification: PendingNotification, now: datetime) -> bool:
        notifier = self.notifiers[notification.channel]
        message = OutgoingMessage(reference=notification.reference, urgent=notification.urgent,
                                  text=notification.text)
        try:
            notifier.send(message)
        except Exception as error:  # NotifyError, or a bug in a notifier: both are retried
            attempts = notification.attempts + 1
            give_up = attempts >= self.settings.notifications.retry.max_attempts
            retry_at = None if give_up else now + timedelta(seconds=self.backoff_seconds(attempts))
            if give_up:
                logger.error("Outbox: %s notification for %s failed %d times and was given up (%s). "
                             "Fix the channel, then run: python -m intake.admin deliver --retry-failed",
                             notification.channel, notification.reference, attempts, error)
            else:
                logger.warning("Outbox: %s notification for %s failed (attempt %d, next try at %s): %s",
                               notification.channel, notification.reference, attempts,
                               retry_at.isoformat() if retry_at else "-", error)
            reason = f"{type(error).__name__}: {error}"
            self._guarded("recording a failed delivery", lambda: self.store.mark_notification_failed(
                notification.id, reason, retry_at, now=now))
            return False
        recorded = self._guarded("recording a delivery", lambda: self.store.mark_notification_delivered(
            notification.id, now=now) is None)
        if recorded:
            logger.info("Outbox: %s notification for %s delivered.", notification.channel, notification.reference)
        return True

    # ------------------------------------------------------------------ background thread

    def start(self) -> None:
        """Run ``run_once`` every poll_seconds in a daemon thread (no-op if already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="intake-outbox", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        poll = self.settings.notifications.poll_seconds
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(poll)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to finish its current run and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        """True while the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()
