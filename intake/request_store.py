"""The consultation requests: stored exactly once, handed over from the spool, read, erased, purged, audited.

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
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from firm import Settings
from intake.crypto import DataCipher, is_token
from intake.database import SqlDatabase
from intake.records import (NOTIFY_PENDING, STATUS_HANDLED, STATUS_NEW, ConsultationRequest, NotificationState,
                            StoredRequest, SubmitResult, utcnow)
from intake.references import new_reference, normalize_reference
from intake.request_checks import InvalidRequest, checked_request
from intake.crypto import KEY_CHECK_TEXT
from intake.schema import (audit_table, desk_users_table, key_check_table, notes_table, notifications_table,
                           requests_table)
from intake.spool import Spool, SpooledRequest
from intake.summary import build_summary

logger = logging.getLogger(__name__)

ERASURE_SOURCES = ("admin", "chat", "desk")
# The columns of intake_requests stored encrypted (intake.crypto); email is also kept as a keyed hash.
PERSONAL_FIELDS = ("full_name", "email", "phone", "current_country", "issuing_country", "description", "summary")


def reference_hash(reference: str) -> str:
    """A short one-way hash of a reference, for audit lines without personal data."""
    return hashlib.sha256(reference.encode("utf-8")).hexdigest()[:16]


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


class SqlRequestStore(SqlDatabase):
    """The requests, their summaries and the audit log, on any SQLAlchemy database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine, settings: Settings, spool: Optional[Spool],
                 cipher: Optional[DataCipher] = None) -> None:
        super().__init__(engine, cipher or (spool.cipher if spool is not None else None))
        self.settings = settings
        self.spool = spool

    def _audit(self, connection: Connection, action: str, source: str, count: int,
               detail: Optional[str] = None, now: Optional[datetime] = None, actor: Optional[str] = None,
               target: Optional[str] = None) -> None:
        connection.execute(insert(audit_table).values(
            at=now or utcnow(), action=action, source=source, count=count, detail=detail, actor=actor,
            target=target))
        logger.info("audit: %s by %s, %d request(s)", action, actor or source, count)

    def audit(self, action: str, actor: str, *, source: str = "desk", reference: Optional[str] = None,
              count: int = 0, detail: Optional[str] = None) -> None:
        """Write one audit line: who, what, when, and which request as a one-way hash (no personal data)."""
        with self._begin() as connection:
            self._audit(connection, action, source, count, detail, actor=actor,
                        target=reference_hash(reference) if reference else None)

    # ------------------------------------------------------------------ encryption

    def _sealed(self, values: dict[str, Any]) -> dict[str, Any]:
        """Column values with the personal fields encrypted and the email's lookup hash added."""
        sealed = dict(values)
        for name in PERSONAL_FIELDS:
            if name in sealed:
                sealed[name] = self.cipher.encrypt(sealed[name])
        if "email" in values:
            sealed["email_hash"] = self.cipher.lookup_hash(values["email"])
        return sealed

    def _open(self, value: Optional[str]) -> Optional[str]:
        """The clear text of a stored personal value (rows written before encryption are clear text)."""
        return self.cipher.decrypt(value) if is_token(value) else value

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
                    result = connection.execute(insert(requests_table).values(**self._sealed(dict(
                        reference=candidate, status=STATUS_NEW, created_at=now, summary=summary,
                        **{item.name: getattr(request, item.name) for item in fields(request)}))))
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
        return [StoredRequest(**{name: self._open(row[name]) if name in PERSONAL_FIELDS else row[name]
                                 for name in names},
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
            conditions.append(requests_table.c.email_hash == self.cipher.lookup_hash(email))
        if not conditions:
            raise ValueError("erase needs a conversation id, a reference or an email address")
        return or_(*conditions)

    def erase(self, conversation_id: Optional[str] = None, reference: Optional[str] = None,
              email: Optional[str] = None, source: str = "admin", now: Optional[datetime] = None,
              actor: Optional[str] = None) -> int:
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
                        f"reference_sha256_16={hashes}" if hashes else None, now, actor=actor,
                        target=reference_hash(rows[0][1]) if len(rows) == 1 else None)
        return len(ids) + spooled

    def purge_older_than(self, days: int, now: Optional[datetime] = None, source: str = "admin",
                         actor: Optional[str] = None) -> int:
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
            self._audit(connection, "purge", source, len(ids) + spooled, f"older_than_days={days}", now,
                        actor=actor)
        return len(ids) + spooled

    # ------------------------------------------------------------------ key rotation

    def reencrypt(self, new: DataCipher, actor: str = "admin") -> dict[str, int]:
        """Re-encrypt every personal value (requests, notes, desk second factors) under ``new``, in one
        transaction, and store ``new``'s key check. Raises DataKeyError, changing nothing, if the
        current key does not open a value. The caller then switches INTAKE_DATA_KEY to ``new``."""
        counts = {"requests": 0, "notes": 0, "users": 0}
        with self._begin() as connection:
            for row in connection.execute(select(requests_table)).mappings().all():
                values = {name: self._open(row[name]) for name in PERSONAL_FIELDS}
                sealed = {name: new.encrypt(value) for name, value in values.items()}
                sealed["email_hash"] = new.lookup_hash(values["email"])
                connection.execute(update(requests_table).where(requests_table.c.id == row["id"]).values(**sealed))
                counts["requests"] += 1
            for note_id, text in connection.execute(select(notes_table.c.id, notes_table.c.text)).all():
                connection.execute(update(notes_table).where(notes_table.c.id == note_id)
                                   .values(text=new.encrypt(self._open(text))))
                counts["notes"] += 1
            for user_id, secret in connection.execute(select(desk_users_table.c.id,
                                                             desk_users_table.c.totp_secret)).all():
                connection.execute(update(desk_users_table).where(desk_users_table.c.id == user_id)
                                   .values(totp_secret=new.encrypt(self._open(secret))))
                counts["users"] += 1
            connection.execute(update(key_check_table).where(key_check_table.c.id == 1).values(
                token=new.encrypt(KEY_CHECK_TEXT), fingerprint=new.fingerprint))
            self._audit(connection, "rotate-key", "admin", counts["requests"],
                        f"new_key_fingerprint={new.fingerprint}", actor=actor)
        return counts

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit lines (newest first), e.g. to show that an erasure happened."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit))
            return [dict(row) for row in rows.mappings()]
