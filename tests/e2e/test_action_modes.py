"""The custom actions inside the Rasa server (endpoints.yml's default, ``actions_module``) and
in an action server of their own (``url``, as the scale-out mode runs them) give a person the
same replies and the conversation the same events, down to a full consultation request."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple

from intake.crypto import cipher_from_environment
from ops.stack import Stack
from tests.chat import Chat
from tests.e2e.test_consultation import REFERENCE, STEPS, store_of, stored_for

CONVERSATION = [
    "hello",
    "is south sudan a member of interpol?",
    "what is a red notice?",
    "where does that come from?",
    "asdfghjkl",
    *[typed for typed, _ in STEPS],
]
# Differ between any two conversations, whoever runs the actions.
VOLATILE = {"timestamp", "message_id", "model_id", "assistant_id"}
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")  # e.g. consent_at


def masked(value: Any, chat: Chat) -> Any:
    """value with what is unique to one conversation replaced by placeholders."""
    if isinstance(value, dict):
        return {key: masked(item, chat) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [masked(item, chat) for item in value]
    if isinstance(value, str):
        return MOMENT.sub("<moment>", REFERENCE.sub("<reference>", value.replace(chat.sender, "<sender>")))
    return value


def events_of(stack: Stack, chat: Chat) -> List[Dict[str, Any]]:
    with sqlite3.connect(Path(stack.run_dir) / "tracker.db") as database:
        rows = database.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (chat.sender,)).fetchall()
    cipher = cipher_from_environment()  # events are stored encrypted (intake/crypto.py)
    return [masked(json.loads(cipher.decrypt(data)), chat) for (data,) in rows]


def talk(stack: Stack) -> Tuple[Chat, List[Any]]:
    chat = Chat(stack.rasa_url)
    return chat, [masked(chat.say(text), chat) for text in CONVERSATION]


def test_both_modes_give_the_same_replies_and_events(stack: Stack, action_server_stack: Stack) -> None:
    assert [service.name for service in stack.services if service.name == "action server"] == []
    assert "action server" in [service.name for service in action_server_stack.services]
    in_process, in_process_replies = talk(stack)
    over_http, over_http_replies = talk(action_server_stack)
    for (typed, replies, expected) in zip(CONVERSATION, in_process_replies, over_http_replies):
        assert replies == expected, typed
    assert "<reference>" in json.dumps(in_process_replies[-1])
    assert events_of(stack, in_process) == events_of(action_server_stack, over_http)
    for running, chat in ((stack, in_process), (action_server_stack, over_http)):
        (row,) = stored_for(store_of(running), chat.sender)
        assert (row.full_name, row.issuing_country, row.problem_type) == ("Maria Ivanova", "Russia", "red_notice")
