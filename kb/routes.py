"""Load and check the routes file (knowledge/routes.yml): which answer each intent gets.

Checked against the knowledge file it routes into, with messages that name the file, the
intent and the field, as the knowledge file's are, e.g.
``knowledge/routes.yml: intent 'ask_cost': field 'topic': topic 'fees' does not exist``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kb.knowledge import Knowledge
from kb.loader import PROJECT_ROOT, Checker, display_path, get_knowledge, read_yaml
from kb.route import COMPUTED_ANSWERS, ENTITY_ANSWERS, Route

DEFAULT_ROUTES_PATH = PROJECT_ROOT / "knowledge" / "routes.yml"

ROUTE_FIELDS = {"entities", "country_in_text", "answer", "topic", "last_topic", "during_form"}
ANSWERING_FIELDS = ("entities", "answer", "topic", "last_topic")


def load_routes(path: str | Path, kb: Knowledge) -> dict[str, Route]:
    """Intent -> Route, in the file's order. Raises KnowledgeError naming file, intent, field."""
    check = Checker(display_path(path))
    raw = read_yaml(Path(path), check, entries="intents")
    return {str(intent): _route(check, str(intent), data, kb) for intent, data in raw.items()}


_cache: dict[Path, dict[str, Route]] = {}
_cache_lock = threading.Lock()


def get_routes() -> dict[str, Route]:
    """knowledge/routes.yml, checked once against each knowledge file get_knowledge() gives."""
    kb = get_knowledge()
    with _cache_lock:
        if kb.path not in _cache:
            _cache[kb.path] = load_routes(DEFAULT_ROUTES_PATH, kb)
        return _cache[kb.path]


def _route(check: Checker, intent: str, data: Any, kb: Knowledge) -> Route:
    entry = f"intent '{intent}'"
    check.fields(entry, data, ROUTE_FIELDS, ())
    if not any(data.get(name) for name in ANSWERING_FIELDS):
        check.fail(f"{entry}: needs one of the fields {', '.join(map(repr, ANSWERING_FIELDS))}")
    if data.get("answer") is not None and data.get("topic") is not None:
        check.fail(f"{entry}: fields 'answer' and 'topic' exclude each other")
    return Route(
        intent=intent,
        entities=tuple(_known(check, entry, "entities", name, ENTITY_ANSWERS)
                       for name in check.text_list(entry, data, "entities")),
        country_in_text=check.flag(entry, data, "country_in_text", False),
        answer=_optional_known(check, entry, data, "answer", COMPUTED_ANSWERS),
        topic=_topic(check, entry, data, kb),
        last_topic=check.flag(entry, data, "last_topic", False),
        during_form=check.flag(entry, data, "during_form", True),
    )


def _known(check: Checker, entry: str, field: str, value: str, known: dict) -> str:
    if value not in known:
        check.fail(f"{entry}: field '{field}': unknown value '{value}' "
                   f"(one of: {', '.join(known)})")
    return value


def _optional_known(check: Checker, entry: str, data: dict, field: str, known: dict) -> str | None:
    if data.get(field) is None:
        return None
    return _known(check, entry, field, check.text(entry, data, field), known)


def _topic(check: Checker, entry: str, data: dict, kb: Knowledge) -> str | None:
    if data.get("topic") is None:
        return None
    topic_id = check.text(entry, data, "topic")
    if not kb.has_topic(topic_id):
        check.fail(f"{entry}: field 'topic': topic '{topic_id}' does not exist "
                   f"in {display_path(kb.path)}")
    return topic_id
