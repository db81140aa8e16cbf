"""Turns an understood message (intent, entities, text) into an answer from the knowledge file.

Plain Python on purpose: the Rasa action only passes the tracker's latest message in and
sends the answer out, so every route can be tested without a server.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

import yaml

from kb import Answer, Knowledge
from kb import answers

ROUTES_FILE = Path(__file__).with_name("routes.yml")


@lru_cache(maxsize=1)
def routes() -> Dict[str, str]:
    """Intent -> default topic id, read once from routes.yml."""
    with ROUTES_FILE.open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle))


def _topic_answer(kb: Knowledge, default_topic: str, text: str) -> Answer:
    """The default topic, or the related topic the question's words point to."""
    topic_id = answers.pick_topic(kb, default_topic, text)
    if topic_id == "crime_areas":
        return answers.answer_crime_area(kb, None)
    if topic_id == "notices":
        return answers.answer_notice(kb, None)
    return answers.answer_topic(kb, topic_id)


def _membership(kb: Knowledge, text: str, country: Optional[str]) -> Answer:
    """A named country gets its status; a question naming none gets the general answer."""
    if country:
        return answers.answer_membership(kb, country, text)
    mention = kb.find_country_in_text(text)
    if mention is not None:
        return answers.answer_membership(kb, mention.query, text)
    return _topic_answer(kb, routes()["ask_membership"], text)


def _follow_up(
    kb: Knowledge, text: str, entities: Dict[str, str], last_topic: Optional[str]
) -> Optional[Answer]:
    """"and Serbia?", "and the blue one?", "tell me more": read in the light of the last answer."""
    if "country" in entities:
        return answers.answer_membership(kb, entities["country"], text)
    if "notice_type" in entities:
        return answers.answer_notice(kb, entities["notice_type"])
    if "crime_area" in entities:
        return answers.answer_crime_area(kb, entities["crime_area"])
    if last_topic and not last_topic.startswith("country:"):
        return answers.answer_topic(kb, last_topic, detail=True)
    return None


def answer_message(
    kb: Knowledge,
    intent: str,
    entities: Dict[str, str],
    text: str,
    last_topic: Optional[str] = None,
) -> Optional[Answer]:
    """The answer to one message, or None when there is nothing to answer from."""
    if intent == "choose_topic" and "topic" in entities:
        return answers.answer_topic(kb, entities["topic"], detail=True)
    if intent == "inform":
        return _follow_up(kb, text, entities, last_topic)
    if intent == "ask_membership":
        return _membership(kb, text, entities.get("country"))
    if intent == "ask_non_members":
        return answers.answer_non_members(kb)
    if intent == "ask_member_count":
        return answers.answer_member_count(kb)
    if intent == "ask_notice" and "notice_type" in entities:
        return answers.answer_notice(kb, entities["notice_type"])
    if intent == "ask_crimes" and "crime_area" in entities:
        return answers.answer_crime_area(kb, entities["crime_area"])
    if intent in routes():
        return _topic_answer(kb, routes()[intent], text)
    return None
