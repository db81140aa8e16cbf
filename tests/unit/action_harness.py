"""Runs a custom action in memory, as the action server would, without any server: a rasa_sdk
Tracker built from a few facts of the conversation, a CollectingDispatcher, and the domain the
Rasa server sends (domain.yml as Rasa reads it)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from kb.loader import PROJECT_ROOT


@lru_cache(maxsize=1)
def domain() -> Dict[str, Any]:
    return Domain.load(str(PROJECT_ROOT / "domain.yml")).as_dict()


def entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value}


def user_event(intent: str) -> Dict[str, Any]:
    """A user message in the tracker's history (what the fallback counts)."""
    return {"event": "user", "text": intent, "parse_data": {"intent": {"name": intent}}}


def slot_event(name: str, value: Any) -> Dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def tracker(
    intent: str = "",
    text: str = "",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    confidence: float = 1.0,
) -> Tracker:
    """The tracker an action gets after the latest message ``text`` understood as ``intent``."""
    values = {name: None for name in domain()["slots"]}
    values.update(slots or {})
    return Tracker(
        sender_id="test-conversation",
        slots=values,
        latest_message={
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@dataclass
class Outcome:
    """What the person sees (messages) and what the conversation remembers (events)."""

    messages: List[Dict[str, Any]]
    events: List[Dict[str, Any]]

    @property
    def responses(self) -> List[str]:
        """Domain responses sent, in order; a message with its own text shows as "text"."""
        return [message.get("response") or "text" for message in self.messages]

    @property
    def texts(self) -> List[str]:
        return [message["text"] for message in self.messages if message.get("text")]

    @property
    def slots(self) -> Dict[str, Any]:
        """Slots the action set, the last value of each."""
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}


def run(action: Action, conversation: Tracker) -> Outcome:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, conversation, domain()))
    return Outcome(dispatcher.messages, list(events))
