"""The tables of the intake store (SQLAlchemy Core): requests, their outbox, the audit log, and the
firm's desk (users, sessions, notes).

The personal columns of intake_requests (full_name, email, phone, countries, description,
summary) and intake_notes.text hold Fernet tokens (intake.crypto), hence Text.

Table, column and constraint names are those of existing databases; changing one needs a
migration.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.types import TypeDecorator

# Column sizes: generous versus what validation allows (name 120, description 1000,
# email 254) so that valid input always fits; Text where there is no natural limit.
FIELD_LIMITS = {
    "conversation_id": 255, "channel": 64, "full_name": 200, "email": 254, "phone": 32,
    "current_country": 100, "issuing_country": 100, "problem_type": 40, "language": 60,
    "description": 4000, "consent_version": 40,
}


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
    Column("full_name", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("current_country", Text),
    Column("issuing_country", Text),
    Column("problem_type", String(FIELD_LIMITS["problem_type"]), nullable=False),
    Column("language", String(FIELD_LIMITS["language"])),
    Column("chat_language", String(8)),
    Column("description", Text, nullable=False),
    Column("consent_version", String(FIELD_LIMITS["consent_version"]), nullable=False),
    Column("consent_at", UTCDateTime, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("handled_at", UTCDateTime),
    Column("summary", Text, nullable=False),
    # HMAC of the normalised email (intake.crypto.DataCipher.lookup_hash): erasure by email
    # finds the request without the address being stored in clear.
    Column("email_hash", String(64)),
    Column("assigned_to", String(64)),
    UniqueConstraint("reference", name="uq_intake_requests_reference"),
    UniqueConstraint("conversation_id", name="uq_intake_requests_conversation_id"),
    Index("ix_intake_requests_created_at", "created_at"),
    Index("ix_intake_requests_email_hash", "email_hash"),
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
    # Who did it (a desk user name, or "admin"/"chat"), and which request (a one-way hash of its
    # reference): never personal data.
    Column("actor", String(64)),
    Column("target", String(32)),
)

# One row: a token of a known text under the data key, so that a wrong INTAKE_DATA_KEY is
# noticed at start-up, before anything is written with it.
key_check_table = Table(
    "intake_key_check", metadata,
    Column("id", Integer, primary_key=True),
    Column("token", Text, nullable=False),
    Column("fingerprint", String(16), nullable=False),
)

notes_table = Table(
    "intake_notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("intake_requests.id", ondelete="CASCADE"), nullable=False),
    Column("author", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("text", Text, nullable=False),  # encrypted
    Index("ix_intake_notes_request", "request_id"),
)

desk_users_table = Table(
    "desk_users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("totp_secret", Text, nullable=False),  # encrypted
    Column("disabled", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("username", name="uq_desk_users_username"),
)

desk_sessions_table = Table(
    "desk_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the random session id in the cookie
    Column("user_id", Integer, ForeignKey("desk_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
)
