"""Knowledge base for the INTERPOL intake assistant.

Pure Python + PyYAML; it knows nothing of Rasa. The actions call one function:

    from kb import Message, answer, get_knowledge, get_routes
    answer(get_knowledge(), get_routes(), Message(intent, entities, text, last_topic))

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
from kb.knowledge import Knowledge
from kb.loader import KnowledgeError, get_knowledge, load_knowledge, reset_cache
from kb.model import Answer, Country, CountryMatch, CrimeArea, NoticeType, Source, Topic
from kb.route import Message, Route, answer
from kb.routes import get_routes, load_routes

__all__ = [
    "Answer",
    "Country",
    "CountryMatch",
    "CrimeArea",
    "Knowledge",
    "KnowledgeError",
    "Message",
    "NoticeType",
    "Route",
    "Source",
    "Topic",
    "answer",
    "answer_crime_area",
    "answer_member_count",
    "answer_membership",
    "answer_non_members",
    "answer_notice",
    "answer_source",
    "answer_topic",
    "get_knowledge",
    "get_routes",
    "load_knowledge",
    "load_routes",
    "pick_topic",
    "reset_cache",
]
