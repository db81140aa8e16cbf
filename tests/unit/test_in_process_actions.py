"""Custom actions run inside the Rasa server (rasa_server/action_calls/in_process.py) keep what
the HTTP path gave for free: an action's exception is the apology with the firm's contacts, a
slow action times out with the apology while the event loop goes on, and an action cannot
change the server's tracker or domain."""
from __future__ import annotations

import asyncio
import copy
import time
from functools import lru_cache
from typing import List, Tuple

import pytest
from rasa.core.actions.action import ActionExecutionRejection
from rasa.core.channels import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from kb.loader import PROJECT_ROOT
from rasa_server.action_calls.resilient import APOLOGY_RESPONSE, TIMEOUT_ENV, ResilientRemoteAction
from rasa_server.nlg import FirmDetailsNLG
from tests.unit import in_process_actions

IN_PROCESS = EndpointConfig(actions_module="tests.unit.in_process_actions", enable_selective_domain=True)
# Every action gets the whole domain, as it does without selective domain.
WHOLE_DOMAIN = EndpointConfig(actions_module="tests.unit.in_process_actions", enable_selective_domain=False)


@lru_cache(maxsize=1)
def project_domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def conversation(domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("in-process-test", [
        ActionExecuted("action_listen"),
        UserUttered("my name is Maria", {"name": "inform", "confidence": 0.9},
                    entities=[{"entity": "full_name", "value": "Maria"}]),
        SlotSet("full_name", "Maria"),
    ], slots=domain.slots)
    return tracker


def run(name: str, domain: Domain, tracker: DialogueStateTracker,
        endpoint: EndpointConfig = IN_PROCESS) -> List[Event]:
    action = ResilientRemoteAction(name, endpoint)
    nlg = FirmDetailsNLG(domain=domain)
    return asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, domain))


def is_apology(events: List[Event]) -> bool:
    return (len(events) == 1 and isinstance(events[0], BotUttered)
            and events[0].metadata.get("utter_action") == APOLOGY_RESPONSE)


def test_replies_and_events_come_back_as_from_an_action_server() -> None:
    domain = project_domain()
    events = run("action_test_greets", domain, conversation(domain))
    assert [type(event) for event in events] == [BotUttered, SlotSet]
    assert events[0].text == "hello in-process-test"
    assert (events[1].key, events[1].value) == ("full_name", "Maria Ivanova")


def test_an_action_that_raises_gets_the_apology_with_the_firms_contacts() -> None:
    domain = project_domain()
    events = run("action_test_raises", domain, conversation(domain))
    assert is_apology(events)
    assert "+" in events[0].text and "@" in events[0].text


def test_a_rejection_stays_a_rejection_as_over_http() -> None:
    domain = project_domain()
    with pytest.raises(ActionExecutionRejection) as raised:
        run("action_test_rejects", domain, conversation(domain))
    assert raised.value.action_name == "action_test_rejects" and "not for me" in raised.value.message


def test_an_action_that_blocks_past_the_timeout_gets_the_apology_and_the_loop_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "0.5")
    domain = project_domain()
    action = ResilientRemoteAction("action_test_blocks", IN_PROCESS)
    nlg = FirmDetailsNLG(domain=domain)

    async def blocked_and_ticking() -> Tuple[List[Event], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        events = await action.run(CollectingOutputChannel(), nlg, conversation(domain), domain)
        ticker.cancel()
        return events, ticks

    started = time.monotonic()
    events, ticks = asyncio.run(blocked_and_ticking())
    assert is_apology(events)
    assert time.monotonic() - started < in_process_actions.BLOCKS_SECONDS
    assert ticks >= 5  # the loop kept running while the action slept in its thread


def test_an_action_cannot_change_the_servers_domain_or_tracker() -> None:
    domain = project_domain()
    tracker = conversation(domain)
    domain_before = copy.deepcopy(domain.as_dict())
    state_before = copy.deepcopy(tracker.current_state())
    assert run("action_test_changes_domain", domain, tracker, WHOLE_DOMAIN) == []
    assert domain.as_dict() == domain_before
    assert tracker.current_state() == state_before
