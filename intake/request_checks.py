"""Checks on a consultation request before it is stored: text both databases can keep, within the column sizes."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone
from typing import Optional

from firm import Settings
from intake.records import ConsultationRequest
from intake.schema import FIELD_LIMITS


class InvalidRequest(ValueError):
    """The request cannot be stored as given (a programming error in the caller, not the person)."""


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

