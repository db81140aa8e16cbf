"""Replies several actions send: an answer with its buttons, the consultation offer, and the
refusal of a stated purpose of evading arrest."""
from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge_for, reply_language
from i18n import get_catalog
from i18n.responses import in_english_note
from kb import Answer, Message, answer_story, get_boundaries


def offer_consultation(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Offer a consultation unless the person is already filling one in."""
    if tracker.active_loop_name is not None:
        return []
    dispatcher.utter_message(response="utter_offer_consultation")
    return [SlotSet("consultation_offered", True)]


def related_buttons(answer: Answer) -> List[Dict[str, str]]:
    """"Tell me more" buttons for the answer's related topics."""
    return [
        {"title": title, "payload": f'/choose_topic{{"topic":"{topic_id}"}}'}
        for topic_id, title in answer.related
    ]


def send_answer(dispatcher: CollectingDispatcher, tracker: Tracker, reply: Answer) -> List[EventType]:
    """The answer with its "tell me more" buttons; the conversation remembers its topic.
    Part of an answer without its translation is in English, and the answer says so."""
    language = reply_language(tracker)
    text = f"{reply.text}\n\n{in_english_note(get_catalog(), language)}" if reply.in_english else reply.text
    dispatcher.utter_message(text=text, buttons=related_buttons(reply))
    return [SlotSet("last_topic", reply.topic_ref)]


def refuse_evasion(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """A stated purpose of evading arrest wins over any question: the refusal with the
    lawful ways, then the consultation offer; never the list of places."""
    dispatcher.utter_message(response="utter_refuse_evasion")
    return offer_consultation(dispatcher, tracker)


# After general information about their own situation: that it is not an assessment of
# their case, by what the person asked, then the consultation offer.
OWN_CASE_REPLIES = {"describe_own_case": "utter_own_case", "ask_legal_advice": "utter_legal_advice"}


def own_case_reply(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> List[EventType]:
    dispatcher.utter_message(response=OWN_CASE_REPLIES.get(message.intent, "utter_own_case"))
    return offer_consultation(dispatcher, tracker)


def urgent_lines(dispatcher: CollectingDispatcher) -> List[EventType]:
    """The emergency line and what to do first, for someone detained now."""
    dispatcher.utter_message(response="utter_urgent")
    dispatcher.utter_message(response="utter_urgent_steps")
    return [SlotSet("urgent", True)]


def story_reply(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> Optional[List[EventType]]:
    """A person's own story: the emergency line first if it says someone is detained, the
    general information it asks about, then the lawyer's offer; None when the story has
    neither, so that the caller answers as it would have."""
    events = urgent_lines(dispatcher) if get_boundaries().states_detention(message.text) else []
    general = answer_story(knowledge_for(tracker), message)
    if general is None and not events:
        return None
    if general is not None:
        events += send_answer(dispatcher, tracker, general)
    return [*events, *own_case_reply(dispatcher, tracker, message)]


def refusal_or_story(dispatcher: CollectingDispatcher, tracker: Tracker, message: Message) -> Optional[List[EventType]]:
    """What comes before the intent's own answer: the refusal of a stated purpose of evasion,
    else, for a person telling their own situation, the story's reply; None for neither."""
    if get_boundaries().states_evasion(message.text):
        return refuse_evasion(dispatcher, tracker)
    return story_reply(dispatcher, tracker, message) if message.tells_own_situation else None
