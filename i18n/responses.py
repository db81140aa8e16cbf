"""A domain response in the conversation's language (used by the Rasa server's NLG).

Texts and button titles are looked up by key (i18n/sources.py); one without a current
translation stays English and the reply gets the line that says so. The language button
(payload /choose_language) is titled in every enabled language, so that a person who cannot
read the language the conversation is in still finds it.
"""

from __future__ import annotations

from typing import Any, Iterable

from i18n.catalog import ENGLISH, Catalog
from i18n.sources import button_key

LANGUAGE_BUTTON_PAYLOAD = "/choose_language"
LANGUAGE_BUTTON_MARK = "🌐"


def in_english_note(catalog: Catalog, language: str) -> str:
    """The line added to a reply that is (partly) in English because a translation is missing."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(language).get_display_name(language) or language
    except (UnknownLocaleError, ValueError):
        name = language
    return catalog.say(language, "answers.in_english", language=name)


def language_button_title(catalog: Catalog, key: str, enabled: Iterable[str]) -> str:
    titles = dict.fromkeys(catalog.text(code, key) for code in enabled)
    return f"{LANGUAGE_BUTTON_MARK} " + " · ".join(titles)


def translate_response(catalog: Catalog, response: dict[str, Any], name: str, index: int,
                       language: str, enabled: Iterable[str]) -> dict[str, Any]:
    """The response (a copy, changed in place) with its text and buttons in ``language``."""
    missing = False
    text = response.get("text")
    if text:
        response["text"], found = catalog.lookup(language, f"responses.{name}.{index}.text")
        missing = not found
    for button in response.get("buttons") or []:
        key = button_key(str(button.get("title", "")))
        if key not in catalog.english:
            continue
        if button.get("payload") == LANGUAGE_BUTTON_PAYLOAD:
            button["title"] = language_button_title(catalog, key, enabled)
            continue
        button["title"], found = catalog.lookup(language, key)
        missing = missing or not found
    if missing and language != ENGLISH and response.get("text"):
        response["text"] = f"{response['text']}\n\n{in_english_note(catalog, language)}"
    return response
