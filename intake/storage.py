"""Durable storage of consultation requests, their notification outbox and an audit log.

Why each design choice:
- One transaction writes the request, its lawyer summary and one outbox row per
  enabled channel, so a request can never exist without its notifications (or the
  reverse), and nothing slow (SMTP, HTTP) happens while a person waits.
- ``submit`` is idempotent per conversation, enforced by a UNIQUE constraint, so a
  retried or double-clicked submission cannot create two requests.
- If the database is unreachable the request goes to an on-disk spool (see
  ``intake.spool``) and is moved in later: the person still gets a reference.
- Erasure and retention purges write an audit line without personal data, so the firm
  can show that it deleted what it was asked to, without keeping what it deleted.
- Parameterised SQLAlchemy Core queries only: names with apostrophes, SQL fragments,
  HTML, emoji and right-to-left text are stored verbatim.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Optional, Protocol, Sequence

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text, UniqueConstraint, create_engine, delete, event, func, insert, or_, select,
                        update)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from intake.references import new_reference, normalize_reference
from intake.settings import Settings, get_settings, resolve_database_url
from intake.spool import Spool, SpooledRequest
from intake.summary import build_summary

logger = logging.getLogger(__name__)

STATUS_NEW = "new"
STATUS_HANDLED = "handled"
NOTIFY_PENDING = "pending"
NOTIFY_DELIVERED = "delivered"
NOTIFY_FAILED = "failed"
ERASURE_SOURCES = ("admin", "chat")

# Column sizes: generous versus what validation allows (name 120, description 1000,
# email 254) so that valid input always fits; Text where there is no natural limit.
FIELD_LIMITS = {
    "conversation_id": 255, "channel": 64, "full_name": 200, "email": 254, "phone": 32,
    "current_country": 100, "issuing_country": 100, "problem_type": 40, "language": 60,
    "description": 4000, "consent_version": 40,
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (all stored times are UTC)."""
    return datetime.now(timezone.utc)


class InvalidRequest(ValueError):
    """The request cannot be stored as given (a programming error in the caller, not the person)."""


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
    summary: str


class IntakeStore(Protocol):
    """What the Rasa actions, the outbox worker and the admin CLI need from storage."""

    settings: Settings

    def submit(self, request: ConsultationRequest) -> SubmitResult: ...
    def get(self, reference: str) -> Optional[StoredRequest]: ...
    def list(self, status: Optional[str] = None, limit: Optional[int] = 100,
             urgent: Optional[bool] = None) -> list[StoredRequest]: ...
    def mark_handled(self, reference: str) -> bool: ...
    def erase(self, conversation_id: Optional[str] = None, reference: Optional[str] = None,
              email: Optional[str] = None, source: str = "admin") -> int: ...
    def purge_older_than(self, days: int) -> int: ...
    def pending_notifications(self, now: Optional[datetime] = None) -> list[PendingNotification]: ...
    def mark_notification_delivered(self, notification_id: int) -> None: ...
    def mark_notification_failed(self, notification_id: int, error: str,
                                 retry_at: Optional[datetime]) -> None: ...
    def ingest_spool(self) -> int: ...
    def close(self) -> None: ...


# --------------------------------------------------------------------------- schema

class UTCDateTime(TypeDecorator):
    """Timestamps stored as naive UTC, returned as aware UTC, identically on SQLite and PostgreSQL."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return None if value is None else value.replace(tzinfo=timezone.utc)


metadata = MetaData()

requests_table = Table(
    "intake_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(24), nullable=False),
    Column("conversation_id", String(FIELD_LIMITS["conversation_id"]), nullable=False),
    Column("channel", String(FIELD_LIMITS["channel"]), nullable=False),
    Column("full_name", String(FIELD_LIMITS["full_name"]), nullable=False),
    Column("email", String(FIELD_LIMITS["email"])),
    Column("phone", String(FIELD_LIMITS["phone"])),
    Column("current_country", String(FIELD_LIMITS["current_country"])),
    Column("issuing_country", String(FIELD_LIMITS["issuing_country"])),
    Column("problem_type", String(FIELD_LIMITS["problem_type"]), nullable=False),
    Column("language", String(FIELD_LIMITS["language"])),
    Column("description", Text, nullable=False),
    Column("consent_version", String(FIELD_LIMITS["consent_version"]), nullable=False),
    Column("consent_at", UTCDateTime, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("handled_at", UTCDateTime),
    Column("summary", Text, nullable=False),
    UniqueConstraint("reference", name="uq_intake_requests_reference"),
    UniqueConstraint("conversation_id", name="uq_intake_requests_conversation_id"),
    Index("ix_intake_requests_created_at", "created_at"),
)

notifications_table = Table(
    "intake_notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("intake_requests.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claim_version", Integer, nullable=False),
    Column("last_error", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("request_id", "channel", name="uq_intake_notifications_request_channel"),
    Index("ix_intake_notifications_due", "status", "next_attempt_at"),
)

audit_table = Table(
    "intake_audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("action", String(32), nullable=False),
    Column("source", String(16), nullable=False),
    Column("count", Integer, nullable=False),
    Column("detail", String(1000)),
)

def reference_hash(reference: str) -> str:
    """A short one-way hash of a reference, for audit lines without personal data."""
    return hashlib.sha256(reference.encode("utf-8")).hexdigest()[:16]


def _storable(value: Optional[str]) -> Optional[str]:
    """Text PostgreSQL and SQLite can both store: no NUL, no lone surrogates."""
    if value is None:
        return None
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def checked_request(request: ConsultationRequest, settings: Settings) -> ConsultationRequest:
    """The request with storable text, or InvalidRequest naming every problem.

    Why: these are checks on the caller's program (validation already spoke to the
    person); failing loudly here beats a half-written row or a silent truncation.
    """
    if not isinstance(request, ConsultationRequest):
        raise InvalidRequest("submit() needs a ConsultationRequest.")
    values = {item.name: getattr(request, item.name) for item in fields(request)}
    problems = []
    for name, limit in FIELD_LIMITS.items():
        value = values[name]
        if value is not None and not isinstance(value, str):
            problems.append(f"{name} must be text")
            continue
        value = _storable(value)
        values[name] = value
        if value is not None and len(value) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    for required in ("conversation_id", "channel", "full_name", "problem_type", "consent_version"):
        if not (values[required] or "").strip():
            problems.append(f"{required} is required")
    if not (values["email"] or values["phone"]):
        problems.append("an email or a phone number is required, or the lawyers cannot reply")
    consent_at = values["consent_at"]
    if not isinstance(consent_at, datetime) or consent_at.tzinfo is None:
        problems.append("consent_at must be a timezone-aware datetime (the moment consent was given)")
    values["description"] = values["description"] or ""
    values["urgent"] = bool(values["urgent"]) or bool(
        (problem := settings.problem_type(values["problem_type"] or "")) and problem.urgent)
    if problems:
        raise InvalidRequest("Cannot store this consultation request: " + "; ".join(problems) + ".")
    values["consent_at"] = consent_at.astimezone(timezone.utc)
    return ConsultationRequest(**values)


def _request_to_json(request: ConsultationRequest) -> dict[str, Any]:
    data = asdict(request)
    data["consent_at"] = request.consent_at.isoformat()
    return data


def _request_from_json(data: dict[str, Any]) -> ConsultationRequest:
    values = dict(data)
    values["consent_at"] = datetime.fromisoformat(values["consent_at"])
    return ConsultationRequest(**values)


def _should_spool(error: SQLAlchemyError) -> bool:
    """Whether a database error at submit time sends the request to the spool.

    Why every error but IntegrityError: the person has finished the form and must not
    lose it, whatever went wrong with the database (down, locked, full disk, a failed
    migration). IntegrityError is handled by submit itself (duplicate submit).
    """
    return not isinstance(error, IntegrityError)


class SqlIntakeStore:
    """IntakeStore on any SQLAlchemy database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine, settings: Settings, spool: Optional[Spool]) -> None:
        self.engine = engine
        self.settings = settings
        self.spool = spool
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    def ensure_schema(self) -> None:
        """Create missing tables (once per process); retried after a failure."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            try:
                metadata.create_all(self.engine)
            except IntegrityError:
                # Another process created the same tables at the same moment (PostgreSQL).
                metadata.create_all(self.engine)
            self._schema_ready = True

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def _begin(self) -> Any:
        self.ensure_schema()
        return self.engine.begin()

    def _audit(self, connection: Connection, action: str, source: str, count: int,
               detail: Optional[str] = None, now: Optional[datetime] = None) -> None:
        connection.execute(insert(audit_table).values(
            at=now or utcnow(), action=action, source=source, count=count, detail=detail))
        logger.info("audit: %s by %s, %d request(s)", action, source, count)

    # ------------------------------------------------------------------ submit

    def submit(self, request: ConsultationRequest, now: Optional[datetime] = None) -> SubmitResult:
        """Store a completed request with its summary and outbox rows; returns its reference.

        Idempotent per conversation_id. Never contacts a notification channel. If the
        database cannot be reached the request is spooled to disk and still gets a
        reference; if even that fails the error is raised (the action must then give
        the person the firm's phone number).
        """
        request = checked_request(request, self.settings)
        now = now or utcnow()
        try:
            if self.spool is not None:
                spooled = self.spool.find(request.conversation_id)
                if spooled is not None:
                    self._ingest(spooled)
                    return SubmitResult(spooled.reference, created=False)
            return self._insert(request, now)
        except SQLAlchemyError as error:
            if self.spool is None or not _should_spool(error):
                raise
            logger.error("Intake database unavailable (%s); request kept in the spool at %s",
                         type(error).__name__, self.spool.directory)
            existing = self.spool.find(request.conversation_id)
            if existing is not None:
                return SubmitResult(existing.reference, created=False, spooled=True)
            reference = new_reference(self.settings.intake.reference_prefix)
            self.spool.put(reference, now, _request_to_json(request))
            return SubmitResult(reference, created=True, spooled=True)

    def _existing_reference(self, conversation_id: str) -> Optional[str]:
        self.ensure_schema()
        with self.engine.connect() as connection:
            return connection.execute(select(requests_table.c.reference).where(
                requests_table.c.conversation_id == conversation_id)).scalar_one_or_none()

    def _reference_taken(self, reference: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(requests_table.c.id).where(
                requests_table.c.reference == reference)).first() is not None

    def _insert(self, request: ConsultationRequest, now: datetime, reference: Optional[str] = None,
                note: Optional[str] = None) -> SubmitResult:
        existing = self._existing_reference(request.conversation_id)
        if existing:
            return SubmitResult(existing, created=False)
        for _ in range(10):
            candidate = reference or new_reference(self.settings.intake.reference_prefix)
            summary = build_summary(request, candidate, urgent=request.urgent, received_at=now,
                                    settings=self.settings, note=note)
            try:
                with self._begin() as connection:
                    result = connection.execute(insert(requests_table).values(
                        reference=candidate, status=STATUS_NEW, created_at=now, summary=summary,
                        **{item.name: getattr(request, item.name) for item in fields(request)}))
                    request_id = result.inserted_primary_key[0]
                    for channel in self.settings.notifications.enabled_channels():
                        connection.execute(insert(notifications_table).values(
                            request_id=request_id, channel=channel, status=NOTIFY_PENDING, attempts=0,
                            next_attempt_at=now, claim_version=0, created_at=now))
                return SubmitResult(candidate, created=True)
            except IntegrityError:
                existing = self._existing_reference(request.conversation_id)
                if existing:
                    return SubmitResult(existing, created=False)
                if not self._reference_taken(candidate):
                    raise
                if reference is not None:
                    note = (f"the person was given reference {reference} while the database was "
                            "unavailable; it was already in use, so this request was renumbered")
                    reference = None
        raise RuntimeError("Could not allocate a unique reference after 10 attempts.")

    # ------------------------------------------------------------------ spool

    def _ingest(self, item: SpooledRequest) -> SubmitResult:
        request = checked_request(_request_from_json(item.request), self.settings)
        result = self._insert(request, item.received_at, reference=item.reference)
        if self.spool is not None:
            self.spool.remove(item)
        return result

    def ingest_spool(self) -> int:
        """Move requests spooled during a database outage into the database.

        Returns how many new requests were stored. A request that cannot be stored stays
        on disk (logged) and is tried again on the next run; it does not hold up the others.
        """
        if self.spool is None:
            return 0
        stored = 0
        for item in list(self.spool.items()):
            try:
                if self._ingest(item).created:
                    stored += 1
            except (InvalidRequest, SQLAlchemyError) as error:
                logger.error("Spooled request %s could not be moved into the database yet and stays in %s: %s",
                             item.reference, item.path, type(error).__name__)
        return stored

    def spooled_count(self) -> int:
        """How many requests wait in the spool (the database was unreachable)."""
        return self.spool.count() if self.spool is not None else 0

    # ------------------------------------------------------------------ reading

    def _notification_states(self, connection: Connection, ids: Sequence[int]) -> dict[int, list[NotificationState]]:
        states: dict[int, list[NotificationState]] = {}
        if not ids:
            return states
        rows = connection.execute(select(notifications_table).where(
            notifications_table.c.request_id.in_(list(ids))).order_by(notifications_table.c.id)).mappings()
        for row in rows:
            states.setdefault(row["request_id"], []).append(NotificationState(
                channel=row["channel"], status=row["status"], attempts=row["attempts"],
                next_attempt_at=row["next_attempt_at"], delivered_at=row["delivered_at"],
                last_error=row["last_error"]))
        return states

    def _stored(self, connection: Connection, rows: Iterable[Any]) -> list[StoredRequest]:
        rows = list(rows)
        states = self._notification_states(connection, [row["id"] for row in rows])
        names = {item.name for item in fields(StoredRequest)} - {"notifications"}
        return [StoredRequest(**{name: row[name] for name in names},
                              notifications=tuple(states.get(row["id"], ()))) for row in rows]

    def get(self, reference: str) -> Optional[StoredRequest]:
        """The request with this reference (any case, dashes optional), or None."""
        canonical = normalize_reference(reference, self.settings.intake.reference_prefix)
        if canonical is None:
            return None
        self.ensure_schema()
        with self.engine.connect() as connection:
            row = connection.execute(select(requests_table).where(
                requests_table.c.reference == canonical)).mappings().first()
            return self._stored(connection, [row])[0] if row else None

    def list(self, status: Optional[str] = None, limit: Optional[int] = 100,
             urgent: Optional[bool] = None) -> list[StoredRequest]:
        """Requests, urgent first then newest first; optionally only one status / urgency."""
        if status not in (None, STATUS_NEW, STATUS_HANDLED):
            raise ValueError(f"status must be {STATUS_NEW!r} or {STATUS_HANDLED!r}")
        query = select(requests_table)
        if status:
            query = query.where(requests_table.c.status == status)
        if urgent is not None:
            query = query.where(requests_table.c.urgent == urgent)
        query = query.order_by(requests_table.c.urgent.desc(), requests_table.c.created_at.desc(),
                               requests_table.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        self.ensure_schema()
        with self.engine.connect() as connection:
            return self._stored(connection, connection.execute(query).mappings())

    def mark_handled(self, reference: str, now: Optional[datetime] = None) -> bool:
        """Mark a request as handled by the lawyers; False when no such request exists."""
        canonical = normalize_reference(reference, self.settings.intake.reference_prefix)
        if canonical is None:
            return False
        with self._begin() as connection:
            found = connection.execute(select(requests_table.c.status).where(
                requests_table.c.reference == canonical)).scalar_one_or_none()
            if found is None:
                return False
            if found != STATUS_HANDLED:
                connection.execute(update(requests_table).where(requests_table.c.reference == canonical)
                                   .values(status=STATUS_HANDLED, handled_at=now or utcnow()))
            return True

    # ------------------------------------------------------------------ erasure & retention

    def conversation_ids(self, conversation_id: Optional[str] = None, reference: Optional[str] = None,
                         email: Optional[str] = None) -> list[str]:
        """Conversation ids of the requests an erasure with these keys would delete."""
        condition = self._match(conversation_id, reference, email)
        self.ensure_schema()
        with self.engine.connect() as connection:
            found = [row[0] for row in connection.execute(
                select(requests_table.c.conversation_id).where(condition))]
        if conversation_id and conversation_id not in found:
            found.append(conversation_id)
        return found

    def _match(self, conversation_id: Optional[str], reference: Optional[str], email: Optional[str]) -> Any:
        conditions = []
        if conversation_id:
            conditions.append(requests_table.c.conversation_id == conversation_id)
        if reference:
            canonical = normalize_reference(reference, self.settings.intake.reference_prefix) or reference
            conditions.append(requests_table.c.reference == canonical)
        if email:
            conditions.append(func.lower(requests_table.c.email) == email.strip().lower())
        if not conditions:
            raise ValueError("erase needs a conversation id, a reference or an email address")
        return or_(*conditions)

    def erase(self, conversation_id: Optional[str] = None, reference: Optional[str] = None,
              email: Optional[str] = None, source: str = "admin", now: Optional[datetime] = None) -> int:
        """Delete matching requests (and their outbox rows and spool files); returns how many.

        Writes an audit line (time, "erasure", source, count, one-way hashes of the
        references) and nothing personal. The conversation in Rasa's tracker store is
        not touched here: see ``intake.conversations``.
        """
        if source not in ERASURE_SOURCES:
            raise ValueError(f"source must be one of {ERASURE_SOURCES}")
        condition = self._match(conversation_id, reference, email)
        now = now or utcnow()
        with self._begin() as connection:
            rows = connection.execute(select(requests_table.c.id, requests_table.c.reference)
                                      .where(condition)).all()
            ids = [row[0] for row in rows]
            if ids:
                connection.execute(delete(notifications_table).where(notifications_table.c.request_id.in_(ids)))
                connection.execute(delete(requests_table).where(requests_table.c.id.in_(ids)))
            spooled = 0
            if self.spool is not None:
                canonical = normalize_reference(reference, self.settings.intake.reference_prefix) \
                    if reference else None
                spooled = self.spool.erase(conversation_id=conversation_id, reference=canonical or reference,
                                           email=email.strip() if email else None)
            hashes = ",".join(reference_hash(row[1]) for row in rows)
            self._audit(connection, "erasure", source, len(ids) + spooled,
                        f"reference_sha256_16={hashes}" if hashes else None, now)
        return len(ids) + spooled

    def purge_older_than(self, days: int, now: Optional[datetime] = None, source: str = "admin") -> int:
        """Delete requests received more than ``days`` days ago (retention); audited."""
        if days < 1:
            raise ValueError("days must be at least 1")
        now = now or utcnow()
        cutoff = now - timedelta(days=days)
        with self._begin() as connection:
            ids = [row[0] for row in connection.execute(
                select(requests_table.c.id).where(requests_table.c.created_at < cutoff))]
            if ids:
                connection.execute(delete(notifications_table).where(notifications_table.c.request_id.in_(ids)))
                connection.execute(delete(requests_table).where(requests_table.c.id.in_(ids)))
            spooled = self.spool.purge_received_before(cutoff) if self.spool is not None else 0
            self._audit(connection, "purge", source, len(ids) + spooled, f"older_than_days={days}", now)
        return len(ids) + spooled

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit lines (newest first), e.g. to show that an erasure happened."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit))
            return [dict(row) for row in rows.mappings()]

    # ------------------------------------------------------------------ outbox

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
                        requests_table.c.urgent, requests_table.c.summary)
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
                                                   summary=row["summary"]))
        return claimed

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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, wait (not fail) on a locked file, WAL so readers do not block the writer."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_store_engine(database_url: str) -> Engine:
    """An engine suited to the intake store on SQLite or PostgreSQL; connects lazily.

    Why lazily: creating the engine must not fail while the database is down, so that
    requests can still be spooled.
    """
    url = make_url(resolve_database_url(database_url))
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                logger.error("Cannot create the folder of the intake database %s: %s", url.database, error)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": 5} if backend == "postgresql" else {}
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


def open_store(database_url: Optional[str] = None, settings: Optional[Settings] = None,
               spool_dir: Optional[Any] = None) -> SqlIntakeStore:
    """Open the intake store (default: the settings' database_url and spool_dir).

    Tables are created on first use, not here, so that the assistant starts (and
    spools requests) even while the database is still down.
    """
    settings = settings or get_settings()
    engine = create_store_engine(database_url or settings.intake.database_url)
    spool = Spool(spool_dir if spool_dir is not None else settings.intake.spool_dir)
    store = SqlIntakeStore(engine, settings, spool)
    try:
        store.ensure_schema()
    except SQLAlchemyError as error:
        logger.error("Intake database not reachable yet (%s); requests will be spooled until it is.",
                     type(error).__name__)
    return store
