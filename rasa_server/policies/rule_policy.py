"""Rasa's RulePolicy, shown only as much of the conversation as its longest rule can match.

Why: for every prediction RulePolicy turns the whole session into a list of dialogue states,
replaying it event by event, two or three times per message. At turn 50 that is most of a
message's cost, yet a rule only ever compares the last few states: every rule of this
assistant starts with "..." (none is `conversation_start`), and once the states looked at
are longer than a rule, the rule is decided (RulePolicy._is_rule_applicable). So the policy
gets the session's latest turns, enough for its longest rule plus one, rebuilt on the state
the conversation had at that point: the active form, and the slots that the dialogue
features (none today; handled so that adding one stays correct). The predicted actions
are the same as with the whole session; tests/unit/test_rule_policy.py compares both on
long conversations.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Set, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker


def _state_at(events: List[Event], cut: int, featurized: Set[Text]) -> List[Event]:
    """Events that put a new tracker where the conversation was just before `cut`: the
    form active then, and the value then of each slot that shows in dialogue states."""
    loop: Optional[ActiveLoop] = None
    slots: Dict[Text, SlotSet] = {}
    for event in reversed(events[:cut]):
        if loop is None and isinstance(event, ActiveLoop):
            loop = event
        elif isinstance(event, SlotSet) and event.key in featurized and event.key not in slots:
            slots[event.key] = event
        elif isinstance(event, AllSlotsReset):
            featurized = set(slots)  # older values were reset: stop looking for them
        if loop is not None and len(slots) == len(featurized):
            break
    return ([loop] if loop and loop.name else []) + list(slots.values())


def recent_turns(
    tracker: DialogueStateTracker, domain: Domain, states_needed: int
) -> DialogueStateTracker:
    """The tracker itself when it is short; otherwise a tracker of its latest turns whose
    last `states_needed` dialogue states are those of the whole tracker.

    The cut is at an `action_listen` followed by the person's message, so every state from
    that message on has the same previous action, user input, form and slots as in the
    whole conversation. Current attributes the policy reads (the active form's flags, such
    as "rejected") are copied from the real tracker.
    """
    events = tracker.applied_events()
    actions = 0
    cut = 0
    for index in range(len(events) - 1, 0, -1):
        event = events[index]
        if not isinstance(event, ActionExecuted):
            continue
        actions += 1
        if (
            actions > states_needed
            and event.action_name == ACTION_LISTEN_NAME
            and index + 1 < len(events)
            and isinstance(events[index + 1], UserUttered)
        ):
            cut = index
            break
    if cut == 0:
        return tracker
    featurized = {slot.name for slot in domain.slots if slot.influence_conversation}
    recent = DialogueStateTracker.from_events(
        tracker.sender_id, _state_at(events, cut, featurized) + events[cut:], domain.slots
    )
    recent.active_loop = copy.copy(tracker.active_loop)
    return recent


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RecentTurnsRulePolicy(RulePolicy):
    """RulePolicy (same settings, same training) predicting from `recent_turns`."""

    def _longest_rule(self) -> int:
        """States in the longest learned rule, loop unhappy paths included."""
        if not hasattr(self, "_longest"):
            keys = list(self.lookup.get(RULES, {})) + list(self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {}))
            self._longest = max((len(self._rule_key_to_state(key)) for key in keys), default=0)
        return self._longest

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        recent = recent_turns(tracker, domain, self._longest_rule() + 1)
        return super().predict_action_probabilities(recent, domain, rule_only_data, **kwargs)
