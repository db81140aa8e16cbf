"""The fast check of action server responses gives Rasa's own verdict on each response."""
from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError, validate

from rasa_server.action_calls.response_schema import validate_action_response
from rasa.core.actions.action import RemoteAction

VALID = [
    {"events": [], "responses": []},
    {},
    {"events": [
        {"event": "slot", "name": "country", "value": "Serbia", "timestamp": None},
        {"event": "bot", "text": "hi", "metadata": {"utter_action": "utter_greet"}},
        {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
        {"event": "user", "text": "hi", "parse_data": {
            "intent": {"name": "greet", "confidence": 0.9},
            "entities": [{"entity": "country", "value": "Serbia", "start": 0, "end": 6}]}},
        {"event": "active_loop", "name": "consultation_form"},
        {"event": "followup", "name": "action_fallback"},
        {"event": "rewind"}, {"event": "session_started"}, {"event": "reset_slots"},
    ], "responses": [{"text": "Hello", "buttons": []}]},
]
BROKEN = [
    [],
    {"events": "slot"},
    {"events": None},
    {"events": [1]},
    {"events": [{"name": "country"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": "country"}]},
    {"events": [{"event": "slot", "name": 7, "value": 1}]},
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},
    {"events": [{"event": "bot", "metadata": "text"}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "country"}]}}]},
    {"events": [{"event": "action", "confidence": "high"}]},
    {"responses": "Hello"},
    {"responses": ["Hello"]},
]


def rasa_accepts(response: Any) -> bool:
    try:
        validate(response, RemoteAction.action_response_format_spec())
        return True
    except ValidationError:
        return False


@pytest.mark.parametrize("response", VALID + BROKEN)
def test_same_verdict_as_rasa(response: Any) -> None:
    try:
        validate_action_response(response)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == rasa_accepts(response)
    assert accepted == (response in VALID)
