"""Knowledge base for the INTERPOL intake assistant.

Pure Python + PyYAML; it knows nothing of Rasa. The actions call:

    from kb import get_knowledge, load_knowledge, KnowledgeError, Knowledge, Answer
    from kb.answers import answer_topic, answer_membership, ...

All facts live in knowledge/interpol.yml (see knowledge/SCHEMA.md).
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

__all__ = [
    "Answer",
    "Country",
    "CountryMatch",
    "CrimeArea",
    "Knowledge",
    "KnowledgeError",
    "NoticeType",
    "Source",
    "Topic",
    "answer_crime_area",
    "answer_member_count",
    "answer_membership",
    "answer_non_members",
    "answer_notice",
    "answer_source",
    "answer_topic",
    "get_knowledge",
    "load_knowledge",
    "pick_topic",
    "reset_cache",
]
