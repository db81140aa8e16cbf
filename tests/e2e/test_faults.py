"""When a part of the single-machine assistant fails, the person is never left in silence,
and nothing they typed is lost when it comes back."""
from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ops.stack import PROJECT_ROOT, Service, Stack, endpoints_with_action_server, free_port
from ops.supervise import Supervisor
from tests.chat import Chat
from tests.e2e.test_consultation import REFERENCE, STEPS, store_of, stored_for

MODES = {"in-process": lambda run_dir: PROJECT_ROOT / "endpoints.yml",
         "action-server": endpoints_with_action_server}


def service(stack: Stack, name: str) -> Service:
    return next(item for item in stack.services if item.name == name)


def stop(item: Service) -> None:
    os.killpg(item.process.pid, signal.SIGKILL)
    item.process.wait()


def test_action_server_down_gets_an_apology_with_contacts_then_recovers(action_server_stack: Stack) -> None:
    chat = Chat(action_server_stack.rasa_url)
    assert "South Sudan" in chat.text("is south sudan a member of interpol?")
    actions = service(action_server_stack, "action server")
    stop(actions)
    answer = chat.text("is kosovo a member of interpol?")
    assert "technical problem" in answer and "+" in answer and "@" in answer
    action_server_stack.launch(actions)
    assert "Kosovo" in chat.text("is kosovo a member of interpol?")


def test_rasa_server_restart_mid_form_continues_where_it_was(action_server_stack: Stack) -> None:
    chat = Chat(action_server_stack.rasa_url)
    for typed, expected in STEPS[:4]:
        assert expected in chat.text(typed)
    rasa = service(action_server_stack, "rasa server")
    stop(rasa)
    action_server_stack.launch(rasa)
    for typed, expected in STEPS[4:]:
        assert expected in chat.text(typed), typed


# ------------------------------------------------------------------ supervision
def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def wait_until_restarted(item: Service, killed_pid: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if item.process.pid != killed_pid and item.process.poll() is None and answers(item.health_url):
            return
        time.sleep(0.5)
    raise AssertionError(f"{item.name} was not started again within {timeout:.0f}s")


def while_down(stack: Stack, item: Service) -> None:
    """What a person writing while the server is down gets."""
    if item.name == "rasa server":
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            Chat(stack.rasa_url).say("is kosovo a member of interpol?")
    elif item.name == "action server":
        answer = Chat(stack.rasa_url).text("is kosovo a member of interpol?")
        assert "technical problem" in answer and "+" in answer and "@" in answer
    else:
        assert not answers(item.health_url)


@pytest.mark.parametrize("mode", MODES)
def test_each_process_killed_mid_consultation_is_started_again(tmp_path: Path, mode: str) -> None:
    stack = Stack(free_port(), free_port(), free_port(), tmp_path,
                  endpoints=MODES[mode](tmp_path)).start()
    supervisor = Supervisor(stack).start()
    try:
        chat = Chat(stack.rasa_url)
        victims = list(stack.services)
        steps = iter(STEPS)
        for victim in victims:
            for typed, expected in (next(steps), next(steps)):
                assert expected in chat.text(typed), typed
            killed_pid = victim.process.pid
            stop(victim)
            while_down(stack, victim)
            wait_until_restarted(victim, killed_pid)
        reply = ""
        for typed, expected in steps:
            reply = chat.text(typed)
            assert expected in reply, typed
        reference = REFERENCE.search(reply).group(0)
        assert [row.reference for row in stored_for(store_of(stack), chat.sender)] == [reference]
        assert "Kosovo" in Chat(stack.rasa_url).text("is kosovo a member of interpol?")
    finally:
        supervisor.stop()
        stack.stop()
