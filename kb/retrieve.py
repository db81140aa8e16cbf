"""Which topics and facts of the knowledge file a message is about, from its words, else its meaning.

Each topic lists `keywords` and each fact `asks`: lowercase phrases that show a question is
about it. A message scores every phrase it contains (case, accents and punctuation ignored,
a plural "s" matched too), a phrase of n words counting n, so "postal address" outweighs
"address". The lawyers can read and change every phrase in the knowledge file; nothing is
learnt that they cannot see.

Where the phrases find nothing (other words, another language), a message's `Closeness`
decides: how near its sentence embedding lies to the nearest topics' and facts' own texts,
computed by the Rasa server's NLU (rasa_server/nlu/knowledge_closeness.py) and carried in the
message's parse data. Only then: added to the phrases' points instead, it changed answers the
phrases had right (development set 1: 83 of 90 stories fell to 82, the one-fact questions 40
of 40 to 39, and "what is interpol" got the Lyon fact); as a fallback it keeps every answer of
the phrases and adds, on the second development set, 5 stories of 80 and 6 one-fact
questions of 40 (scripts/answers_dev.py, docs/answers.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from kb.knowledge import Knowledge
from kb.model import Fact, Topic
from kb.text import contains_phrase, normalize


# The knowledge file's phrases, normalised once: a message scored ~1,000 of them (every topic's
# keywords and every fact's asks) and normalising them again took 9 of topics_in_text's 11 ms.
# Bounded: the phrases of every enabled language are a few thousand.
_phrase_key = functools.lru_cache(maxsize=16384)(normalize)


def phrase_score(phrases: Iterable[str], text_key: str) -> int:
    """Words of the phrases found in a normalised text ("notice" also finds "notices"). A
    phrase inside a longer one that was found counts once, with the longer one: "languages"
    and "official language" add nothing to "official languages"."""
    found = {key for key in (_phrase_key(phrase) for phrase in phrases)
             if key and (contains_phrase(text_key, key) or contains_phrase(text_key, f"{key}s"))}
    return sum(len(key.split()) for key in found
               if not any(other != key and (contains_phrase(other, key) or contains_phrase(other, f"{key}s"))
                          for other in found))


def best_fact(kb: Knowledge, text: str, topic_ids: Iterable[str], minimum: int = 1) -> Fact | None:
    """The fact of these topics that the text asks for most, or None when none scores
    ``minimum``."""
    score, fact = scored_fact(kb, text, topic_ids)
    return fact if score >= minimum else None


def scored_fact(kb: Knowledge, text: str, topic_ids: Iterable[str]) -> tuple[int, Fact | None]:
    """The best fact of these topics for the text, with its score (0, None: none asked)."""
    return _best_fact(kb, normalize(text or ""), topic_ids)


def _best_fact(kb: Knowledge, text_key: str, topic_ids: Iterable[str]) -> tuple[int, Fact | None]:
    best: tuple[int, Fact | None] = (0, None)
    for topic_id in dict.fromkeys(topic_ids):
        for fact in kb.topic(topic_id).facts:
            score = phrase_score(fact.asks, text_key)
            if score > best[0]:
                best = (score, fact)
    return best


@dataclass(frozen=True)
class Closeness:
    """The cosine of a message's sentence embedding with the nearest topics' and facts' texts,
    by id: only those at least the NLU's `min_cosine`, so every one here is near enough to
    answer. Empty when the NLU did not compute it (a test, a script): the phrases decide alone."""

    topics: Mapping[str, float] = field(default_factory=dict)
    facts: Mapping[str, float] = field(default_factory=dict)

    PARSE_DATA_KEY = "knowledge_closeness"

    @classmethod
    def from_parse_data(cls, parse_data: Mapping[str, Any] | None) -> "Closeness":
        found = (parse_data or {}).get(cls.PARSE_DATA_KEY) or {}
        return cls(topics=dict(found.get("topics") or {}), facts=dict(found.get("facts") or {}))

    def as_parse_data(self) -> dict[str, dict[str, float]]:
        return {"topics": dict(self.topics), "facts": dict(self.facts)}

    def nearest_fact(self, kb: Knowledge, than_topics: Iterable[str] = ()) -> Fact | None:
        """The nearest fact, when it lies nearer than the topic it belongs to and than these
        topics: then the question asks for it ("what is interpol" lies nearer the overview
        than the founding year)."""
        for fact_id, cosine in sorted(self.facts.items(), key=lambda item: -item[1]):
            fact = _fact(kb, fact_id)
            if fact is None:  # the knowledge file changed since the NLU embedded it
                continue
            rivals = [self.topics.get(topic_id, 0.0) for topic_id in (fact.topic, *than_topics)]
            return fact if cosine > max(rivals) else None
        return None

    def nearest_topics(self, kb: Knowledge) -> list[TopicHit]:
        """The near topics, nearest first. No phrase found them, so their score is 0, and no
        fact is taken with them: a story's meaning was measured for its topic only, and the
        topic's short answer is the safer general information."""
        return [TopicHit(kb.topic(topic_id), 0, None)
                for topic_id, _ in sorted(self.topics.items(), key=lambda item: -item[1]) if kb.has_topic(topic_id)]


NO_CLOSENESS = Closeness()


def meaning_texts(kb: Knowledge) -> list[tuple[str, str, str]]:
    """(kind, id, text) for every topic and fact: the text a message's meaning is compared
    with (a topic's title, short answer and keywords; a fact's text and asks)."""
    items = []
    for topic in kb.topics.values():
        items.append(("topics", topic.id, f"{topic.title}. {topic.short} {', '.join(topic.keywords)}"))
        items.extend(("facts", fact.id, f"{fact.text} {', '.join(fact.asks)}") for fact in topic.facts)
    return items


def _fact(kb: Knowledge, fact_id: str) -> Fact | None:
    return next((fact for fact in kb.facts if fact.id == fact_id), None)


@dataclass(frozen=True)
class TopicHit:
    """A topic a message is about, how strongly, and the fact of it the message asks for."""

    topic: Topic
    score: int
    fact: Fact | None


def topics_in_text(kb: Knowledge, text: str, minimum: int = 1) -> list[TopicHit]:
    """Every topic the text is about (its keywords, plus the asks of its best fact), best
    first; ties keep the knowledge file's order."""
    key = normalize(text or "")
    hits = []
    for topic in kb.topics.values():
        fact_score, fact = _best_fact(kb, key, [topic.id])
        score = phrase_score(topic.keywords, key) + fact_score
        if score >= minimum:
            hits.append(TopicHit(topic, score, fact))
    return sorted(hits, key=lambda hit: -hit.score)
