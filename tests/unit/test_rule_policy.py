"""RecentTurnsRulePolicy predicts exactly what Rasa's RulePolicy predicts from the whole
conversation, on a long conversation made of every test story one after the other."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
import yaml

from rasa_server.policies.rule_policy import RecentTurnsRulePolicy, recent_turns
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    ).get_domain()


@pytest.fixture(scope="module")
def policy(domain: Domain, tmp_path_factory: pytest.TempPathFactory) -> RecentTurnsRulePolicy:
    """Trained on the project's rules with the settings in config.yml."""
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    settings = next(
        {key: value for key, value in entry.items() if key != "name"}
        for entry in yaml.safe_load((ROOT / "config.yml").read_text())["policies"]
        if entry["name"].endswith("RecentTurnsRulePolicy")
    )
    trained = RecentTurnsRulePolicy.create(
        {**RecentTurnsRulePolicy.get_default_config(), **settings},
        LocalModelStorage(tmp_path_factory.mktemp("policy")),
        Resource("rules"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
    trained.train(trackers, domain)
    return trained


def every_test_story(domain: Domain) -> List[Event]:
    importer = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(ROOT / "tests" / "stories")], domain_path=str(ROOT / "domain.yml")
    )
    stories = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0, use_story_concatenation=False
    ).generate()
    assert len(stories) >= 10
    return [event for story in stories for event in story.events]


def test_predictions_equal_those_from_the_whole_conversation(
    policy: RecentTurnsRulePolicy, domain: Domain
) -> None:
    tracker = DialogueStateTracker("long", domain.slots)
    compared = shortened = 0
    for event in every_test_story(domain):
        if isinstance(event, ActionExecuted) and tracker.events:
            recent = policy.predict_action_probabilities(tracker, domain)
            whole = RulePolicy.predict_action_probabilities(policy, tracker, domain)
            assert recent.probabilities == whole.probabilities, f"differs before {event}"
            assert recent.events == whole.events and recent.is_no_user_prediction == whole.is_no_user_prediction
            compared += 1
            shortened += recent_turns(tracker, domain, policy._longest_rule() + 1) is not tracker
        tracker.update(event, domain)
    assert compared > 100
    assert shortened > compared / 2, "the conversation should mostly be longer than the window"


def test_deep_in_a_long_form_the_rules_still_see_the_form(
    policy: RecentTurnsRulePolicy, domain: Domain
) -> None:
    """The form started before the turns the policy is shown (questions answered during a
    form stay in the history; plain answers to the form do not). Rules that differ inside
    and outside the form must still see the form: the state at the cut is rebuilt."""
    form = "consultation_form"

    def rejected(intent: str) -> List[Event]:
        return [
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered(intent, {"name": intent, "confidence": 1.0}),
            ActionExecutionRejected(form),
        ]

    events: List[Event] = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("I want a consultation", {"name": "request_consultation", "confidence": 1.0}),
        ActionExecuted(form), ActiveLoop(form), SlotSet("requested_slot", "privacy_consent"),
    ]
    for _ in range(policy._longest_rule() + 2):
        events += rejected("ask_red_notice") + [
            ActionExecuted("action_answer"), BotUttered("A Red Notice is ..."),
            ActionExecuted(form), SlotSet("requested_slot", "privacy_consent"),
        ]
    tracker = DialogueStateTracker.from_events("deep", events, domain.slots)

    def predicted() -> str:
        assert recent_turns(tracker, domain, policy._longest_rule() + 1) is not tracker
        recent = policy.predict_action_probabilities(tracker, domain)
        whole = RulePolicy.predict_action_probabilities(policy, tracker, domain)
        assert recent.probabilities == whole.probabilities
        return domain.action_names_or_texts[recent.max_confidence_index]

    for event in rejected("ask_legal_advice"):
        tracker.update(event)
    assert predicted() == "action_own_case"
    tracker.update(ActionExecuted("action_own_case"))
    assert predicted() == form  # outside the form: action_offer_consultation
    for event in [ActionExecuted(form)] + rejected("cancel"):
        tracker.update(event)
    assert predicted() == "action_cancel_consultation"  # outside the form: utter_menu
