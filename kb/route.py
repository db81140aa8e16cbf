"""One understood message in, its answer from the knowledge file out.

Which intent gets which answer is data (knowledge/routes.yml, read by kb.routes); this
module only knows what each kind of route means. Plain Python, so every route is tested
without a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from kb import answers
from kb.knowledge import Knowledge
from kb.model import Answer


@dataclass(frozen=True)
class Message:
    """What the NLU understood of one message, and the topic of the answer before it."""

    intent: str
    entities: dict[str, str] = field(default_factory=dict)
    text: str = ""
    last_topic: str | None = None


@dataclass(frozen=True)
class Route:
    """How one intent is answered; the fields are explained in knowledge/routes.yml."""

    intent: str
    entities: tuple[str, ...] = ()
    country_in_text: bool = False
    answer: str | None = None
    topic: str | None = None
    last_topic: bool = False
    during_form: bool = True


# An entity's value -> its answer (the message's text helps find a misspelt country).
ENTITY_ANSWERS: dict[str, Callable[[Knowledge, str, str], Answer]] = {
    "country": lambda kb, value, text: answers.answer_membership(kb, value, text),
    "notice_type": lambda kb, value, text: answers.answer_notice(kb, value),
    "crime_area": lambda kb, value, text: answers.answer_crime_area(kb, value),
    "topic": lambda kb, value, text: answers.answer_topic(kb, value, detail=True),
}

COMPUTED_ANSWERS: dict[str, Callable[[Knowledge], Answer]] = {
    "member_count": answers.answer_member_count,
    "non_members": answers.answer_non_members,
}

# Topics whose answer lists the items under them rather than the topic's own text.
OVERVIEWS: dict[str, Callable[[Knowledge], Answer]] = {
    answers.NOTICES_TOPIC: lambda kb: answers.answer_notice(kb, None),
    answers.CRIME_AREAS_TOPIC: lambda kb: answers.answer_crime_area(kb, None),
}


def answer(kb: Knowledge, routes: Mapping[str, Route], message: Message) -> Answer | None:
    """The answer to one message, or None when its intent has no route or nothing to answer."""
    route = routes.get(message.intent)
    if route is None:
        return None
    for entity in route.entities:
        value = message.entities.get(entity)
        if value:
            return ENTITY_ANSWERS[entity](kb, value, message.text)
    if route.country_in_text:
        mention = kb.find_country_in_text(message.text)
        if mention is not None:
            return answers.answer_membership(kb, mention.query, message.text)
    if route.answer is not None:
        return COMPUTED_ANSWERS[route.answer](kb)
    if route.topic is not None:
        return _topic_or_related(kb, route.topic, message.text)
    last = message.last_topic
    if route.last_topic and last and not last.startswith(answers.COUNTRY_REF_PREFIX):
        return answers.answer_topic(kb, last, detail=True)
    return None


def _topic_or_related(kb: Knowledge, default_topic: str, text: str) -> Answer:
    """The default topic, or the related topic the question's words point to."""
    topic_id = answers.pick_topic(kb, default_topic, text)
    overview = OVERVIEWS.get(topic_id)
    return overview(kb) if overview is not None else answers.answer_topic(kb, topic_id)
