"""The assistant comes up from the project's own start-up code and answers over REST."""
from __future__ import annotations

import json
import urllib.request

from ops.stack import Stack
from tests.chat import Chat


def test_the_custom_actions_run_inside_the_rasa_server_by_default(stack: Stack, chat: Chat) -> None:
    assert [service.name for service in stack.services] == ["rasa server", "widget page"]
    assert "South Sudan" in chat.text("is south sudan a member of interpol?")  # action_answer


def test_an_action_server_reports_healthy(action_server_stack: Stack) -> None:
    with urllib.request.urlopen(f"{action_server_stack.action_url}/health") as response:
        assert json.loads(response.read())["status"] == "ok"


def test_first_hello_gets_disclosure_and_what_it_can_do(chat: Chat) -> None:
    replies = chat.say("hi")
    text = "\n".join(reply.get("text", "") for reply in replies)
    assert "automated assistant" in text
    assert "not legal advice" in text
    assert "privacy" in text.lower()
    assert "consultation" in text
    assert {"Crimes INTERPOL deals with", "Member countries", "Talk to a lawyer"} <= set(
        Chat.buttons(replies)
    )


def test_disclosure_is_given_once_per_conversation(chat: Chat) -> None:
    assert "automated assistant" in chat.text("hello")
    assert "automated assistant" not in chat.text("thanks")
