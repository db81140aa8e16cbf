"""Custom actions that misbehave, for tests/unit/test_in_process_actions.py: registered by the
in-process executor as ``actions_module: tests.unit.in_process_actions``."""
from __future__ import annotations

import time
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

BLOCKS_SECONDS = 2.0


class ActionGreetsAndSetsASlot(Action):
    def name(self) -> str:
        return "action_test_greets"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List:
        dispatcher.utter_message(text=f"hello {tracker.sender_id}")
        return [SlotSet("full_name", "Maria Ivanova")]


class ActionRaises(Action):
    def name(self) -> str:
        return "action_test_raises"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List:
        raise ValueError("a bug in an action")


class ActionRejects(Action):
    """What a form's validator does with an answer that is not for it."""

    def name(self) -> str:
        return "action_test_rejects"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List:
        raise ActionExecutionRejection(self.name(), "not for me")


class ActionBlocks(Action):
    """Blocking work inside ``async def run``, as the intake store's database calls are."""

    def name(self) -> str:
        return "action_test_blocks"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List:
        time.sleep(BLOCKS_SECONDS)
        return []


class ActionChangesWhatItWasGiven(Action):
    def name(self) -> str:
        return "action_test_changes_domain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List:
        domain["responses"].clear()
        domain["forms"]["consultation_form"]["required_slots"].append("hacked")
        domain["slots"]["full_name"]["mappings"].clear()
        tracker.slots["full_name"] = "changed"
        tracker.latest_message.setdefault("entities", []).append({"entity": "hacked", "value": "x"})
        return []
