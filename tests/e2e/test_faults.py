"""When a part of the single-machine assistant fails, the person is never left in silence,
and nothing they typed is lost when it comes back."""
from __future__ import annotations

import os
import signal
from typing import Iterator

import pytest

from ops.stack import Service, Stack, free_port
from tests.chat import Chat
from tests.e2e.test_consultation import STEPS


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own: its servers are stopped and started by the tests."""
    running = Stack(free_port(), free_port(), None, tmp_path_factory.mktemp("faults")).start()
    yield running
    running.stop()


def service(stack: Stack, name: str) -> Service:
    return next(item for item in stack.services if item.name == name)


def stop(item: Service) -> None:
    os.killpg(item.process.pid, signal.SIGKILL)
    item.process.wait()


def test_action_server_down_gets_an_apology_with_contacts_then_recovers(own_stack: Stack) -> None:
    chat = Chat(own_stack.rasa_url)
    assert "South Sudan" in chat.text("is south sudan a member of interpol?")
    actions = service(own_stack, "action server")
    stop(actions)
    answer = chat.text("is kosovo a member of interpol?")
    assert "technical problem" in answer and "+" in answer and "@" in answer
    own_stack.launch(actions)
    assert "Kosovo" in chat.text("is kosovo a member of interpol?")


def test_rasa_server_restart_mid_form_continues_where_it_was(own_stack: Stack) -> None:
    chat = Chat(own_stack.rasa_url)
    for typed, expected in STEPS[:4]:
        assert expected in chat.text(typed)
    rasa = service(own_stack, "rasa server")
    stop(rasa)
    own_stack.launch(rasa)
    for typed, expected in STEPS[4:]:
        assert expected in chat.text(typed), typed
