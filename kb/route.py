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
from kb.model import Answer, Fact
from kb.retrieve import NO_CLOSENESS, Closeness, TopicHit, best_fact, phrase_score, scored_fact, topics_in_text
from kb.text import normalize


@dataclass(frozen=True)
class Message:
    """What the NLU understood of one message, and the topic of the answer before it."""

    intent: str
    entities: dict[str, str] = field(default_factory=dict)
    text: str = ""
    last_topic: str | None = None
    closeness: Closeness = NO_CLOSENESS  # how near its meaning lies to topics and facts (kb.retrieve)

    @property
    def tells_own_situation(self) -> bool:
        """Whether the person tells their own story rather than asking a textbook question:
        they speak of themselves or their family ("i", "my", "we") in a message of at least
        STORY_WORDS words. Short questions ("can I travel to Spain?") keep their intent's answer."""
        words = normalize(self.text).split()
        return len(words) >= STORY_WORDS and any(word in FIRST_PERSON for word in words)


# A story is longer than a question: "i live in spain, can spain arrest me" has 8 words;
# the stories people write run to 20-80. Below this, the intent's own answer is the better one.
STORY_WORDS = 12
FIRST_PERSON = frozenset("i me my mine myself we us our ours im ive".split())
# A second topic is answered too when the story says as much about it (two words of its
# phrases); a weaker one is offered as a button.
SECOND_QUESTION_SCORE = 2
# Outside the intent's own topics, a fact or topic is taken only when the message names it
# clearly: a phrase of two words, or two phrases ("address" alone is not enough).
STRONG_SCORE = 2


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

# Entities also found in a message in another language by their translated names (kb/localize.py).
LABELLED = ("notice_type", "crime_area")

COMPUTED_ANSWERS: dict[str, Callable[[Knowledge], Answer]] = {
    "member_count": answers.answer_member_count,
    "non_members": answers.answer_non_members,
}
# The topic whose facts (and related topics' facts) a computed answer's question may ask for
# instead: "which country joined last?" is asked as a membership question.
COMPUTED_TOPICS: dict[str, str] = {
    "member_count": answers.MEMBERSHIP_TOPIC,
    "non_members": answers.NON_MEMBERS_TOPIC,
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
        value = message.entities.get(entity) or (kb.label_in_text(entity, message.text)
                                                 if entity in LABELLED else None)
        if value:
            return ENTITY_ANSWERS[entity](kb, value, message.text)
    if route.country_in_text:
        mention = kb.find_country_in_text(message.text)
        if mention is not None:
            return answers.answer_membership(kb, mention.query, message.text)
    family = route.topic or COMPUTED_TOPICS.get(route.answer or "")
    if family is not None:
        fact = _fact_asked(kb, family, message.text)
        if fact is not None:
            return answers.answer_fact(kb, fact)
        picked = answers.pick_topic(kb, family, message.text)
        if picked != family:  # "what do countries gain from membership?" is not the count
            return _topic_answer(kb, picked)
        fact = fact_meant(kb, message, family)
        if fact is not None:
            return answers.answer_fact(kb, fact)
    if route.answer is not None:
        return COMPUTED_ANSWERS[route.answer](kb)
    if route.topic is not None:
        return _topic_answer(kb, route.topic)
    last = message.last_topic
    if route.last_topic and last and not last.startswith(answers.COUNTRY_REF_PREFIX):
        return answers.answer_topic(kb, last, detail=True)
    return None


def _fact_asked(kb: Knowledge, topic_id: str, text: str) -> Fact | None:
    """The fact a question about this topic asks for: one of the topic's own facts; else a
    fact of a related topic, or one the words name clearly (STRONG_SCORE), that the words fit
    better than the topic's own keywords."""
    own = best_fact(kb, text, [topic_id])
    if own is not None:
        return own
    score, other = scored_fact(kb, text, kb.topic(topic_id).related)
    if other is None:
        score, other = scored_fact(kb, text, kb.topics)
        if score < STRONG_SCORE:
            return None
    return other if score > phrase_score(kb.topic(topic_id).keywords, normalize(text)) else None


def fact_meant(kb: Knowledge, message: Message, topic_id: str | None = None) -> Fact | None:
    """When the phrases find no topic and no fact in the words (another language, other
    words), the fact the message's meaning lies nearest to, if nearer than its own topic and
    the asked one (kb.retrieve.Closeness). Only then: "does interpol handle political cases?"
    names Article 3, and the meaning's guess was the Lyon fact; "what is the ccf?" names the
    CCF, and its guess was that the CCF is free of charge (development set 2: 26 of 40 one-fact
    questions right so; 28 when a fact of a topic the words name could be taken, with those two
    wrong)."""
    fact = message.closeness.nearest_fact(kb, than_topics=[topic_id] if topic_id else [])
    # The phrases last: topics_in_text takes ~5 ms, the closeness a dictionary lookup.
    return None if fact is None or topics_in_text(kb, message.text) else fact


def _topic_answer(kb: Knowledge, topic_id: str) -> Answer:
    """A topic's answer, or the list of the items under it for an overview topic."""
    overview = OVERVIEWS.get(topic_id)
    return overview(kb) if overview is not None else answers.answer_topic(kb, topic_id)


def answer_story(kb: Knowledge, message: Message) -> Answer | None:
    """General information for a person who tells their own situation and asks inside it:
    the topic (and fact) their words are most about, with the status of every country they
    name; the next-best topic is offered as a button. None when the story matches no topic
    and names no country: the person then gets the reply about their own case alone."""
    hits = story_topics(kb, message.text, message.closeness)
    countries = kb.countries_in_text(message.text)
    if hits:
        answered = hits[:1] + [hit for hit in hits[1:2] if hit.score >= SECOND_QUESTION_SCORE]
        return answers.answer_in_general(kb, answered, countries, offered=hits[len(answered):len(answered) + 1])
    if countries:
        return answers.answer_countries(kb, countries)
    return None


def story_topics(kb: Knowledge, text: str, closeness: Closeness = NO_CLOSENESS) -> list[TopicHit]:
    """The topics a story is about, best first: those its words name, else those its meaning
    lies near. A story names its crime ("fraud", "tax") but asks about the procedure, so a
    crime area's topic comes after every other topic that fits (development set: 6 of 100
    stories had a crime area first)."""
    crime_topics = {area.topic for area in kb.crime_areas}
    hits = topics_in_text(kb, text) or closeness.nearest_topics(kb)
    return sorted(hits, key=lambda hit: hit.topic.id in crime_topics)


def answer_by_words(kb: Knowledge, message: Message) -> Answer | None:
    """For a message the NLU did not understand: the fact, else the topic, that its words
    name clearly (STRONG_SCORE); else the fact its meaning lies nearest to (fact_meant); or
    None, and the person is asked to rephrase as before."""
    fact = best_fact(kb, message.text, kb.topics, minimum=STRONG_SCORE)
    if fact is not None:
        return answers.answer_fact(kb, fact)
    for entity in LABELLED:  # "was eine Rote Ausschreibung ist": the notice its words name
        named = kb.label_in_text(entity, message.text)
        if named:
            return ENTITY_ANSWERS[entity](kb, named, message.text)
    hits = topics_in_text(kb, message.text, minimum=STRONG_SCORE)
    if hits:
        return answers.answer_topic(kb, hits[0].topic.id)
    fact = fact_meant(kb, message)  # "Welche Sprachen sind bei Interpol offiziell?"
    return answers.answer_fact(kb, fact) if fact is not None else None
