"""The knowledge base in another language: the same facts, the texts of locales/<code>.yml.

Every text is looked up by its key (i18n/sources.py) and filled and reflowed exactly as the
loader does for English; a text without a current translation stays English and its topic,
fact or country is marked `in_english`, so the answer can say so in one line. Country names
come from CLDR (kb/country_names.py) and are recognised in the language, inflected forms
included. Ids, numbers, dates and sources are the English file's: a translation can change
wording, never a fact.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from kb.country_names import CountryFinder, fold, local_name, local_names
from kb.knowledge import Knowledge
from kb.model import Country, CrimeArea, Fact, NoticeType, Topic, newest_member
from kb.text import reflow

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class _Texts:
    """Looks up translated texts for one language and remembers whether one was missing."""

    def __init__(self, language: str) -> None:
        from i18n import get_catalog

        self.catalog = get_catalog()
        self.language = language

    def get(self, key: str, english: str, values: dict[str, str]) -> tuple[str, bool]:
        """(text, True) translated and filled, or (English as given, False)."""
        if key not in self.catalog.english:
            return english, True  # not a translatable text (e.g. a test's own knowledge file)
        translated = self.catalog.translation(self.language, key)
        if translated is None:
            return english, False
        return reflow(_PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), translated)), True


def _country(country: Country, texts: _Texts, language: str) -> Country:
    label = local_name(country, language)
    missing = label is None
    fields = {}
    for name in ("reason", "joined_event"):
        english = getattr(country, name)
        if english:
            fields[name], found = texts.get(f"knowledge.countries.{country.name}.{name}", english, {})
            missing = missing or not found
    return dataclasses.replace(country, label=label, article=None if label else country.article,
                               aliases=[*country.aliases, *local_names(country, language)],
                               in_english=missing, **fields)


def _fact(fact: Fact, texts: _Texts, values: dict[str, str]) -> Fact:
    text, found = texts.get(f"knowledge.facts.{fact.id}", fact.text, values)
    return dataclasses.replace(fact, text=text, in_english=not found)


def _topic(topic: Topic, texts: _Texts, values: dict[str, str], own_details: str) -> Topic:
    missing = False
    translated = {}
    for name, english in (("title", topic.title), ("short", topic.short), ("details", own_details)):
        if english:
            translated[name], found = texts.get(f"knowledge.topics.{topic.id}.{name}", english, values)
            missing = missing or not found
        else:
            translated[name] = ""
    facts = [_fact(fact, texts, values) for fact in topic.facts]
    details = "\n\n".join(filter(None, [translated["details"], *(fact.text for fact in facts)]))
    return dataclasses.replace(topic, title=translated["title"], short=translated["short"], details=details,
                               facts=facts, in_english=missing or any(f.in_english for f in facts))


def _own_details(topic: Topic) -> str:
    """The topic's own details text: Topic.details is it followed by the facts' texts."""
    details = topic.details
    for fact in reversed(topic.facts):
        details = details[: -len(fact.text)].rstrip("\n") if details.endswith(fact.text) else details
    return details


def _labelled(item: NoticeType | CrimeArea, section: str, texts: _Texts):
    name, _ = texts.get(f"knowledge.{section}.{item.id}.name", item.name, {})
    return dataclasses.replace(item, name=name, aliases=[*item.aliases, name.casefold()])


def _label_words(items: list[NoticeType] | list[CrimeArea]) -> list[tuple[tuple[str, ...], str]]:
    """Each item's distinctive words in the language: its translated name without the words most
    names share ("уведомление", "bülten", "notice") and short function words, shortest first.
    "Mavi Bülten" -> ("mavi",)."""
    names = {item.id: [fold(w) for w in re.findall(r"\w+", item.name)] for item in items}
    shared = {w for w in {w for words in names.values() for w in words}
              if sum(w in words for words in names.values()) > len(names) / 2}
    found = [(tuple(w for w in words if w not in shared and len(w) >= 4), item_id)  # not "и", "de"
             for item_id, words in names.items()]
    # A colour ("Kırmızı") is tried before the long name of the UN Special Notice, whose words
    # ("INTERPOL", "bülteni") a question about any notice may contain.
    return sorted([entry for entry in found if entry[0]], key=lambda entry: len(entry[0]))


def localize(kb: Knowledge, language: str) -> Knowledge:
    """``kb`` in ``language`` (``kb`` itself for its own language)."""
    if language == kb.language:
        return kb
    texts = _Texts(language)
    countries = [_country(c, texts, language) for c in kb.countries]
    no_safe_haven, _ = texts.get("knowledge.membership.no_safe_haven", kb.no_safe_haven, {})
    values = {**kb.values, "no_safe_haven": no_safe_haven}
    newest = newest_member(countries)
    if newest is not None and "newest_member" in values:
        values["newest_member"] = newest.display_name
    topics = {tid: _topic(t, texts, values, _own_details(t)) for tid, t in kb.topics.items()}
    notice_types = [_labelled(n, "notice_types", texts) for n in kb.notice_types]
    crime_areas = [_labelled(a, "crime_areas", texts) for a in kb.crime_areas]
    return Knowledge(
        path=kb.path, sources=kb.sources, topics=topics,
        notice_types=notice_types, crime_areas=crime_areas,
        countries=countries, ambiguous_names=kb.ambiguous_names, member_count=kb.member_count,
        un_member_states=kb.un_member_states, no_safe_haven=no_safe_haven,
        membership_sources=kb.membership_sources, membership_as_of=kb.membership_as_of,
        values=values, language=language, finder=_finder(kb, language),
        label_words={"notice_type": _label_words(notice_types), "crime_area": _label_words(crime_areas)},
    )


_finders: dict[tuple[int, str], CountryFinder] = {}


def _finder(kb: Knowledge, language: str) -> CountryFinder:
    key = (id(kb), language)
    if key not in _finders:
        _finders[key] = CountryFinder(kb.countries, [language])  # its own names, declined
    return _finders[key]


@functools.lru_cache(maxsize=32)
def _cached(kb_id: int, language: str, kb: Knowledge) -> Knowledge:
    return localize(kb, language)


def in_language(kb: Knowledge, language: str) -> Knowledge:
    """``localize``, built once per knowledge base and language (a few ms; then free)."""
    if language == kb.language:
        return kb
    return _cached(id(kb), language, kb)
