"""Knowledge base for the INTERPOL intake assistant.

Pure Python + PyYAML; it knows nothing of Rasa. The actions call one function:

    from kb import Message, answer, get_knowledge, get_routes
    answer(get_knowledge(), get_routes(), Message(intent, entities, text, last_topic))

and, for a person telling their own situation, `answer_story(get_knowledge(), message)`;
before either, `get_boundaries().states_evasion(text)` (knowledge/boundaries.yml).

All facts live in knowledge/interpol.yml (see knowledge/SCHEMA.md); which intent gets which
answer lives in knowledge/routes.yml.
"""

from kb.answers import (
    answer_crime_area,
    answer_member_count,
    answer_membership,
    answer_non_members,
    answer_notice,
    answer_source,
    answer_topic,
    pick_topic,
)
from kb.boundaries import Boundaries, get_boundaries, load_boundaries
from kb.knowledge import Knowledge
from kb.loader import KnowledgeError, get_knowledge, load_knowledge, reset_cache
from kb.model import Answer, Country, CountryMatch, CrimeArea, Fact, NoticeType, Source, Topic
from kb.route import Message, Route, answer, answer_by_words, answer_story
from kb.routes import get_routes, load_routes

__all__ = [
    "Answer",
    "Boundaries",
    "Country",
    "CountryMatch",
    "CrimeArea",
    "Fact",
    "Knowledge",
    "KnowledgeError",
    "Message",
    "NoticeType",
    "Route",
    "Source",
    "Topic",
    "answer",
    "answer_by_words",
    "answer_crime_area",
    "answer_member_count",
    "answer_membership",
    "answer_non_members",
    "answer_notice",
    "answer_source",
    "answer_story",
    "answer_topic",
    "get_boundaries",
    "get_knowledge",
    "get_routes",
    "load_boundaries",
    "load_knowledge",
    "load_routes",
    "pick_topic",
    "reset_cache",
]
