"""Which topics and facts of the knowledge file a message is about, from their own words.

Each topic lists `keywords` and each fact `asks`: lowercase phrases that show a question is
about it. A message scores every phrase it contains (case, accents and punctuation ignored,
a plural "s" matched too), a phrase of n words counting n, so "postal address" outweighs
"address". The lawyers can read and change every phrase in the knowledge file; nothing is
learnt that they cannot see. Why phrases and not the sentence embedding: the action server,
where the knowledge lives, has no encoder, and the measured held-out figures
(scripts/answers_report.py, docs/answers.md) are what this was chosen on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kb.knowledge import Knowledge
from kb.model import Fact, Topic
from kb.text import contains_phrase, normalize


def phrase_score(phrases: Iterable[str], text_key: str) -> int:
    """Words of the phrases found in a normalised text ("notice" also finds "notices"). A
    phrase inside a longer one that was found counts once, with the longer one: "languages"
    and "official language" add nothing to "official languages"."""
    found = {key for key in (normalize(phrase) for phrase in phrases)
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
