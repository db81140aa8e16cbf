"""The validated knowledge base, as the actions see it.

Built only by ``kb.loader``; everything here is read-only lookups.
"""

from __future__ import annotations

import re
from pathlib import Path

from kb.country_names import CountryFinder
from kb.countries import CountryIndex
from kb.model import (
    MEMBER,
    NON_MEMBER,
    TERRITORY,
    Country,
    CountryMatch,
    CrimeArea,
    Fact,
    NoticeType,
    Source,
    Topic,
)
from kb.text import normalize


class Knowledge:
    """Facts from one knowledge file, with lookups by id, name or alias."""

    def __init__(
        self,
        *,
        path: Path,
        sources: dict[str, Source],
        topics: dict[str, Topic],
        notice_types: list[NoticeType],
        crime_areas: list[CrimeArea],
        countries: list[Country],
        ambiguous_names: dict[str, list[str]],
        member_count: int,
        un_member_states: int,
        no_safe_haven: str,
        membership_sources: list[Source],
        membership_as_of: str,
        values: dict[str, str] | None = None,
        language: str = "en",
        finder: "CountryFinder | None" = None,
        label_words: dict[str, list[tuple[tuple[str, ...], str]]] | None = None,
    ) -> None:
        self.path = path
        self.sources = sources
        self.topics = topics
        self.notice_types = notice_types
        self.crime_areas = crime_areas
        self.countries = countries
        self.ambiguous_names = ambiguous_names
        self.member_count = member_count
        self.un_member_states = un_member_states
        self.no_safe_haven = no_safe_haven
        self.membership_sources = membership_sources
        self.membership_as_of = membership_as_of
        self.values = dict(values or {})  # what a text's {placeholders} stand for
        self.language = language
        self._finder = finder  # names in self.language as people write them (kb/country_names.py)
        # notice types and crime areas by the words of their names in self.language (kb/localize.py)
        self._label_words = label_words or {}
        self._index = CountryIndex(countries, ambiguous_names)
        self._notice_keys = _label_index(notice_types)
        self._crime_keys = _label_index(crime_areas)

    # ---- topics ------------------------------------------------------------------

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError names the id if it does not exist."""
        try:
            return self.topics[topic_id]
        except KeyError:
            raise KeyError(f"unknown topic id '{topic_id}'") from None

    def has_topic(self, topic_id: str) -> bool:
        return topic_id in self.topics

    @property
    def facts(self) -> list[Fact]:
        """Every topic's facts, in the file's order."""
        return [fact for topic in self.topics.values() for fact in topic.facts]

    # ---- countries -------------------------------------------------------------

    def country(self, text: str | None) -> Country | None:
        """Exact match on a name or alias (case, accents, punctuation ignored)."""
        return self._index.exact(text)

    def match_country(self, text: str | None) -> CountryMatch:
        """Exact match, or up to three close names as suggestions."""
        return self._index.match(text)

    def find_country_in_text(self, text: str | None) -> CountryMatch | None:
        """The country a whole sentence is about, or suggestions, or None."""
        declined = self._declined_in_text(text)
        if declined:
            return CountryMatch(country=declined[0], query=text or "")
        return self._index.find_in_text(text)

    def countries_in_text(self, text: str | None) -> list[Country]:
        """Every country a message names (by name or alias), in order: "kazakhstan ... spain"."""
        found = self._index.all_in_text(text)
        return found + [c for c in self._declined_in_text(text) if c not in found]

    def _declined_in_text(self, text: str | None) -> list[Country]:
        """Countries named in this knowledge base's language, inflected forms included."""
        if self._finder is None or not text:
            return []
        names = dict.fromkeys(found.name for found in self._finder.find(text))
        return [c for c in (self.country(name) for name in names) if c is not None]

    def label_in_text(self, kind: str, text: str | None) -> str | None:
        """The id of the notice type ("notice_type") or crime area ("crime_area") a message in
        this knowledge base's language names ("Mavi bülten", "синего уведомления"), or None."""
        from kb.country_names import fold, word_matches

        words = [fold(w) for w in re.findall(r"\w+", text or "")]
        for name_words, item_id in self._label_words.get(kind, []):
            hits = sum(any(word_matches(n, w, self.language) for w in words) for n in name_words)
            if hits >= (max(2, (len(name_words) + 1) // 2) if len(name_words) >= 3 else 1):  # "Rote ... (Red Notice)": one
                return item_id
        return None

    # ---- sentences -----------------------------------------------------------------

    def say(self, key: str, /, **params: object) -> str:
        """A sentence template of locales/en.yml in this knowledge base's language, filled in."""
        from i18n import get_catalog

        return get_catalog().say(self.language, key, **params)

    @property
    def members(self) -> list[Country]:
        return [c for c in self.countries if c.status == MEMBER]

    @property
    def non_members(self) -> list[Country]:
        return [c for c in self.countries if c.status == NON_MEMBER]

    @property
    def territories(self) -> list[Country]:
        return [c for c in self.countries if c.status == TERRITORY]

    # ---- notices and crime areas ---------------------------------------------------

    def notice_type(self, text_or_id: str | None) -> NoticeType | None:
        """A notice type by canonical id, name or alias ("red", "Red Notice")."""
        return self._notice_keys.get(normalize(text_or_id or ""))

    def crime_area(self, text_or_id: str | None) -> CrimeArea | None:
        """A crime area by canonical id, name or alias ("mafia", "organised_crime")."""
        return self._crime_keys.get(normalize(text_or_id or ""))


def _label_index(items: list[NoticeType] | list[CrimeArea]) -> dict:
    """Map the normalised id, name and aliases of each item to the item."""
    index: dict = {}
    for item in items:
        for label in (item.id, item.name, *item.aliases):
            index.setdefault(normalize(label), item)
    return index
