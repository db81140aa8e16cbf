"""The tables of the intake store (SQLAlchemy Core): requests, their outbox and the audit log.

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
