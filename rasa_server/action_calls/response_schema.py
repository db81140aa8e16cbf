"""Rasa's check of an action server's response, with the same verdicts at a fraction of the cost.

Rasa validates every response against one JSON schema whose events are a `oneOf` of 23 event
schemas, so jsonschema tries each event against all 23 (about 1 ms per response here). The
23 are told apart by their `event` name alone (each requires its own constant), so checking
an event against the one schema of its name gives exactly the same verdict: valid when that
schema accepts it, invalid for an unknown name. tests/unit/test_action_response_schema.py
compares both checks on valid and broken responses.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from rasa.core.actions.action import RemoteAction
from rasa.shared.utils.schemas.events import EVENT_SCHEMA


def _compiled(schema: Dict[Text, Any]) -> Validator:
    return validator_for(schema)(schema)


@lru_cache(maxsize=1)
def _validators() -> "tuple[Validator, Dict[Text, Validator]]":
    """The response without its events' details, and one validator per event name."""
    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    by_name = {
        schema["properties"]["event"]["const"]: _compiled({**common, "allOf": [schema]})
        for schema in EVENT_SCHEMA["oneOf"]
    }
    envelope = RemoteAction.action_response_format_spec()
    envelope["properties"] = {
        **envelope["properties"],
        "events": {"type": "array", "items": {"type": "object", **{
            key: common[key] for key in ("properties", "required")}}},
    }
    return _compiled(envelope), by_name


def validate_action_response(response: Any) -> None:
    """Raises jsonschema's ValidationError where Rasa's own check would."""
    envelope, by_name = _validators()
    envelope.validate(response)
    for event in response.get("events") or []:
        validator = by_name.get(event["event"])
        if validator is None:
            raise ValidationError(f"'{event['event']}' is not a known event", instance=event)
        validator.validate(event)
