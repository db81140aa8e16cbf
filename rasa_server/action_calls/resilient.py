"""Calls to the action server that fail soft and cost little.

Fail soft: Rasa 3.6 logs a failed call to the action server and says nothing, which leaves
a frightened person staring at an empty chat. Here a server that is down or too slow gets
the person a short apology with the firm's contact details; the conversation goes on as
usual once the action server is back.

Cost little (measured by bench/run.py): Rasa re-checks the JSON schema of every action
response from scratch (about 13 ms a call here) and serialises and sends the whole
conversation with each call (80 KB after a consultation request). The check is done the
fast way (rasa_server/action_calls/response_schema.py), and only the latest events are serialised and
sent: the actions read slots, the latest message and the active form from the tracker
state, and never look further back than the last few turns.

Where the actions run is one setting of endpoints.yml: ``url:`` (an action server, over HTTP,
as Rasa does) or ``actions_module:`` (inside this process, rasa_server/action_calls/in_process.py);
the apology, the timeout and the handling of the answer are the same for both.

Rasa has no hook for any of this, so `install()` puts this subclass where Rasa creates its
remote actions (custom actions and custom slot mappings in ``rasa.core.actions.action``, form
validation in ``rasa.core.actions.forms``).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
from typing import Any, Dict, List, Text

import rasa
import rasa.core.actions.action as rasa_actions
import rasa.core.actions.forms as rasa_forms
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.channels import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core import events as rasa_events
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException

from rasa_server.action_calls import in_process
from rasa_server.action_calls.response_schema import validate_action_response

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_action_unavailable"
# How long a person may wait for one custom action before hearing the apology.
TIMEOUT_ENV = "ACTION_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 10.0
# Events sent with each call: enough for the last few turns (the fallback counts the
# latest misses; form validation looks at the current turn).
EVENTS_SENT = 60


def apologised_this_turn(tracker: DialogueStateTracker) -> bool:
    """One apology per message, however many custom actions the turn needed."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") == APOLOGY_RESPONSE:
            return True
    return False


class ResilientRemoteAction(RemoteAction):
    def _action_call_format(self, tracker: DialogueStateTracker, domain: Domain) -> Dict[Text, Any]:
        """Rasa's call (RemoteAction._action_call_format) with only the latest events
        serialised: Rasa serialises all of them, which grows with the conversation."""
        state = tracker.current_state(EventVerbosity.NONE)
        start = max(0, len(tracker.events) - EVENTS_SENT)
        state["events"] = [event.as_dict() for event in itertools.islice(tracker.events, start, None)]
        call = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
                "version": rasa.__version__}
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            call["domain"] = domain.as_dict()
        return call

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        validate_action_response(result)  # raises ValidationError, as Rasa's does
        return True

    async def _run_in_process(
        self,
        module: str,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> List[Event]:
        """RemoteAction.run with the HTTP request replaced by the in-process executor: the
        same call, the same checks of the answer, the same replies and events."""
        answer = await in_process.executor_for(module).run(self._action_call_format(tracker, domain))
        self._validate_action_result(answer)
        replies = await self._utter_responses(answer.get("responses", []), output_channel, nlg, tracker)
        return [*replies, *rasa_events.deserialise_events(answer.get("events", []))]

    async def run(
        self,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> List[Event]:
        timeout = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_SECONDS))
        module = in_process.actions_module(self.action_endpoint)
        call = (self._run_in_process(module, output_channel, nlg, tracker, domain) if module
                else super().run(output_channel, nlg, tracker, domain))
        try:
            return await asyncio.wait_for(call, timeout=timeout)
        except ActionExecutionRejection:
            raise  # a form's normal "that answer is not for me", not a failure
        except (RasaException, asyncio.TimeoutError) as error:
            logger.error("Custom action '%s' failed, apologising instead: %s", self.name(), error)
            if apologised_this_turn(tracker):
                return []
            response = await nlg.generate(APOLOGY_RESPONSE, tracker, output_channel.name())
            if response is None:
                return []
            return [create_bot_utterance({**response, "utter_action": APOLOGY_RESPONSE})]


def install() -> None:
    """Makes Rasa create ResilientRemoteAction wherever it would create a RemoteAction."""
    rasa_actions.RemoteAction = ResilientRemoteAction  # type: ignore[misc]
    rasa_forms.RemoteAction = ResilientRemoteAction  # type: ignore[misc]


