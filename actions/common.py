"""What several actions share: the firm's details as template variables, the intake store
and small questions about the tracker.

Reply wording lives in domain.yml; the firm's details live in firm.yml. Actions join the two
by passing these variables to `dispatcher.utter_message(response=..., **firm_vars())`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List

from rasa_sdk import Tracker

from intake.settings import get_settings
from intake.storage import IntakeStore, open_store


def firm_vars() -> Dict[str, str]:
    """Template variables for every response that mentions the firm."""
    settings = get_settings()
    firm = settings.firm
    return {
        "firm_name": firm.name,
        "firm_phone": firm.phone,
        "firm_email": firm.email,
        "emergency_phone": firm.emergency_phone,
        "office_hours": firm.office_hours,
        "privacy_url": settings.privacy_notice.url,
        "privacy_version": settings.privacy_notice.version,
    }


@lru_cache(maxsize=1)
def get_store() -> IntakeStore:
    """One store (and connection pool) per action-server process."""
    return open_store(get_settings().intake.database_url)


def latest_entities(tracker: Tracker) -> Dict[str, str]:
    """Entities of the latest user message, one value per entity type (the first one)."""
    found: Dict[str, str] = {}
    for entity in tracker.latest_message.get("entities", []):
        found.setdefault(entity["entity"], str(entity["value"]))
    return found


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def form_slots(domain: Dict[str, Any], form: str = "consultation_form") -> List[str]:
    """The form's questions in the order domain.yml asks them."""
    return list(domain["forms"][form]["required_slots"])
