"""What several actions share: small questions about the tracker.

Reply wording lives in domain.yml; the firm's details live in firm.yml, and the Rasa server's
NLG fills them into every response, so actions send `dispatcher.utter_message(response=...)`.
"""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker

from firm import get_settings
from kb import Knowledge, Message, get_knowledge
from kb.localize import in_language
from kb.retrieve import Closeness

LANGUAGE_SLOT = "reply_language"


def latest_message(tracker: Tracker) -> Message:
    """What kb needs of the latest user message: intent, entities, text, the last topic, and
    how near its meaning is to the knowledge file's topics and facts (from the NLU)."""
    return Message(
        intent=latest_intent(tracker),
        entities=latest_entities(tracker),
        text=tracker.latest_message.get("text") or "",
        last_topic=tracker.get_slot("last_topic"),
        closeness=Closeness.from_parse_data(tracker.latest_message),
    )


def latest_entities(tracker: Tracker) -> Dict[str, str]:
    """Entities of the latest user message, one value per entity type (the first one)."""
    found: Dict[str, str] = {}
    for entity in tracker.latest_message.get("entities", []):
        found.setdefault(entity["entity"], str(entity["value"]))
    return found


def is_clear_yes(message: Dict[str, Any], min_confidence: float) -> bool:
    """Whether a message is a yes that may stand for consent or for "send my request".

    Rasa fills a yes/no slot from any affirm the classifier ranks first, and it ranks short
    sounds like "um" first with high confidence (they look like "uh huh" and "mhm"). A button
    ("/affirm") carries confidence 1.
    """
    intent = message.get("intent") or {}
    return intent.get("name") == "affirm" and float(intent.get("confidence") or 0) >= min_confidence


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def form_slots(domain: Dict[str, Any], form: str = "consultation_form") -> List[str]:
    """The form's questions in the order domain.yml asks them."""
    return list(domain["forms"][form]["required_slots"])


def reply_language(tracker: Tracker) -> str:
    """The language the conversation is in (the `reply_language` slot, else firm.yml's first)."""
    language = tracker.get_slot(LANGUAGE_SLOT)
    conversation = get_settings().conversation
    return language if language in conversation.languages else conversation.default_language


def knowledge_for(tracker: Tracker) -> Knowledge:
    """The knowledge base in the conversation's language."""
    return in_language(get_knowledge(), reply_language(tracker))
