"""The short plain-text summary the lawyers receive for each new request.

Why: the lawyers read it in an email or a Slack message, often on a phone, and must
see at a glance whether someone is in custody. It is built once, at submit time, and
stored with the request so every channel sends exactly the same, complete text. The
text is plain: whatever the person typed (HTML, code, RTL text) is shown literally. It is
stored encrypted and shown in the desk; notifications carry ``notification_text`` instead
(no personal data) unless firm.yml opts in to the full summary.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from firm import Settings, get_settings
from intake.records import ConsultationRequest

NOT_GIVEN = "(not given)"


def chat_language_name(code: Optional[str]) -> str:
    """ "Russian (ru)": the English name of the language the person wrote in, for the lawyers."""
    if not code:
        return NOT_GIVEN
    from babel import Locale

    try:
        return f"{Locale('en').languages.get(code, code)} ({code})"
    except (ValueError, TypeError):
        return code


def format_time(moment: datetime) -> str:
    """A UTC time the way the summary shows it: ``2026-01-05 14:03 UTC``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def summary_title(reference: str, urgent: bool) -> str:
    """First line of the summary, also used as the email subject (no personal data in it)."""
    title = f"New consultation request {reference}"
    return f"URGENT — {title}" if urgent else title


def desk_link(reference: str, settings: Settings) -> str:
    """The address of a request in the firm's desk (``desk.public_url`` in firm.yml)."""
    return f"{settings.desk.public_url.rstrip('/')}/requests/{reference}"


def notification_text(reference: str, *, urgent: bool, problem_type: str, settings: Optional[Settings] = None) -> str:
    """What email and Slack carry by default: nothing personal, only what tells a lawyer to look.

    Why: a notification passes through mail servers, phones and Slack's cloud; the person's name,
    contacts and story stay in the desk, behind a login and a second factor.
    """
    settings = settings or get_settings()
    problem = settings.problem_type(problem_type)
    problem_label = problem.label if problem else problem_type
    return "\n".join([
        summary_title(reference, urgent),
        f"Priority: {'URGENT' if urgent else 'normal'}",
        f"Reference: {reference}",
        f"Problem: {problem_label}",
        f"Open it in the desk: {desk_link(reference, settings)}",
    ])


def build_summary(request: ConsultationRequest, reference: str, *, urgent: bool, received_at: datetime,
                  settings: Optional[Settings] = None, note: Optional[str] = None) -> str:
    """The complete lawyer summary for one request.

    It starts with "URGENT —" for urgent requests so that it stands out in any inbox.
    """
    settings = settings or get_settings()
    problem = settings.problem_type(request.problem_type)
    problem_label = problem.label if problem else request.problem_type
    description = request.description.strip() if request.description else ""
    lines = [
        summary_title(reference, urgent),
        f"Priority: {'URGENT — ' + problem_label if urgent else 'normal'}",
        f"Reference: {reference}",
        f"Name: {request.full_name}",
        f"Email: {request.email or NOT_GIVEN}",
        f"Phone: {request.phone or NOT_GIVEN}",
        f"Currently in: {request.current_country or NOT_GIVEN}",
        f"Issuing country: {request.issuing_country or NOT_GIVEN}",
        f"Problem: {problem_label}",
        f"Language: {request.language or NOT_GIVEN}",
        f"Chat language: {chat_language_name(request.chat_language)}",
        "Description:",
        *(["  " + line for line in description.split("\n")] if description else ["  (none given)"]),
        f"Channel: {request.channel}",
        f"Conversation ID: {request.conversation_id}",
        f"Consent: privacy notice version {request.consent_version}, given {format_time(request.consent_at)}",
        f"Received: {format_time(received_at)}",
    ]
    if note:
        lines.append(f"Note: {note}")
    return "\n".join(lines)
