"""action_answer and action_source, run as the action server runs them, on the real knowledge
and routes files: the reply a person reads, its buttons, and the slots that carry the topic
to the next question."""
from __future__ import annotations

from action_harness import entity, run, tracker

from actions.knowledge import ActionAnswer, ActionSource
from kb import get_knowledge

FORM = "consultation_form"


def test_membership_question_with_a_country_entity() -> None:
    outcome = run(ActionAnswer(), tracker(
        "ask_membership", "is south sudan a member of interpol?", [entity("country", "South Sudan")]))
    assert outcome.responses == ["text"]
    assert outcome.texts[0].startswith("Yes — South Sudan is one of INTERPOL's 196 member countries.")
    assert "It joined in 2011" in outcome.texts[0]
    assert outcome.messages[0]["buttons"][0] == {
        "title": "INTERPOL's member countries", "payload": '/choose_topic{"topic":"membership"}'}
    assert outcome.slots == {"last_topic": "country:South Sudan", "consultation_offered": False}


def test_membership_question_finds_the_country_in_the_words() -> None:
    outcome = run(ActionAnswer(), tracker("ask_membership", "is kosovo in interpol?"))
    assert outcome.texts[0].startswith("No — Kosovo is not a member of INTERPOL.")
    assert outcome.slots["last_topic"] == "country:Kosovo"


def test_unknown_country_gets_suggestions_not_a_guess() -> None:
    outcome = run(ActionAnswer(), tracker(
        "ask_membership", "is germny a member?", [entity("country", "Germny")]))
    assert outcome.texts == ["I couldn't find “Germny” in my list of countries. Did you mean: Germany?"]


def test_red_notice_answer_offers_a_consultation() -> None:
    outcome = run(ActionAnswer(), tracker(
        "ask_notice", "what is a red notice?", [entity("notice_type", "red")]))
    assert outcome.responses == ["text", "utter_offer_consultation"]
    assert outcome.texts[0] == get_knowledge().topic("notice_red").short
    assert outcome.slots == {"last_topic": "notice_red", "consultation_offered": True}


def test_no_consultation_offer_while_the_form_is_open() -> None:
    outcome = run(ActionAnswer(), tracker(
        "ask_notice", "what is a red notice?", [entity("notice_type", "red")], active_loop=FORM))
    assert outcome.responses == ["text"]
    assert outcome.slots["consultation_offered"] is False


def test_notice_question_without_a_type_gets_the_overview() -> None:
    outcome = run(ActionAnswer(), tracker("ask_notice", "what kinds of notices are there?"))
    kb = get_knowledge()
    assert outcome.texts[0].startswith(kb.topic("notices").short)
    for notice in kb.notice_types:
        assert kb.topic(notice.topic).short in outcome.texts[0]


def test_follow_up_and_serbia_after_a_membership_answer() -> None:
    outcome = run(ActionAnswer(), tracker(
        "inform", "and Serbia?", [entity("country", "Serbia")],
        slots={"last_topic": "country:South Sudan"}))
    assert outcome.texts == ["Yes — Serbia is one of INTERPOL's 196 member countries."]
    assert outcome.slots["last_topic"] == "country:Serbia"


def test_tell_me_more_gives_the_last_topic_in_detail() -> None:
    ccf = get_knowledge().topic("ccf")
    outcome = run(ActionAnswer(), tracker("inform", "tell me more", slots={"last_topic": "ccf"}))
    assert outcome.texts[0] == f"{ccf.short}\n\n{ccf.details}"
    assert outcome.slots["last_topic"] == "ccf"


def test_related_topic_button_gives_the_topic_in_detail() -> None:
    extradition = get_knowledge().topic("extradition")
    outcome = run(ActionAnswer(), tracker(
        "choose_topic", '/choose_topic{"topic":"extradition"}', [entity("topic", "extradition")]))
    assert outcome.texts[0] == f"{extradition.short}\n\n{extradition.details}"


def test_nothing_to_answer_shows_the_menu() -> None:
    after_a_country = tracker("inform", "hm", slots={"last_topic": "country:Serbia"})
    assert run(ActionAnswer(), after_a_country).responses == ["utter_menu"]
    assert run(ActionAnswer(), after_a_country).events == []
    assert run(ActionAnswer(), tracker("greet", "hello")).responses == ["utter_menu"]


def test_source_of_the_last_answer() -> None:
    outcome = run(ActionSource(), tracker("ask_source", "where is this from?",
                                          slots={"last_topic": "ccf"}))
    source = get_knowledge().topic("ccf").sources[0]
    assert outcome.texts[0].startswith("That answer comes from: ")
    assert f"{source.title} ({source.reference}), as of {source.as_of}" in outcome.texts[0]
    assert outcome.events == []


def test_source_before_any_answer() -> None:
    outcome = run(ActionSource(), tracker("ask_source", "where is this from?"))
    assert outcome.responses == ["utter_no_source"]
