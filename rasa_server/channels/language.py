"""The language a message is written in, added to its metadata before Rasa handles it.

Why here and not only in the NLU: a new conversation's disclosure is sent by
action_session_start before the message itself is read, and Rasa gives that action only the
message's metadata. Each channel (REST, socket.io, Slack) calls this for every message; a
language the caller sent (`metadata.language`, e.g. a partner system over REST) is kept.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from firm import get_settings
from i18n.detect import detect, language_code

METADATA_KEY = "language"


def with_language(metadata: Optional[Dict[Text, Any]], text: Optional[Text]) -> Optional[Dict[Text, Any]]:
    """``metadata`` with the message's language, when the caller named none and it can be told."""
    given = (metadata or {}).get(METADATA_KEY)
    conversation = get_settings().conversation
    if isinstance(given, str) and language_code(given) in conversation.languages:
        return {**(metadata or {}), METADATA_KEY: language_code(given)}
    found = detect(text or "", conversation.languages, conversation.min_letters_to_switch)
    if found is None:
        return metadata
    return {**(metadata or {}), METADATA_KEY: found}
