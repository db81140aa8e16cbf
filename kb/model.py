"""Plain data records built from the knowledge file.

They carry no behaviour beyond small display helpers, so the actions (and
tests) can rely on simple attribute access.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MEMBER = "member"
NON_MEMBER = "non_member"
TERRITORY = "territory"
STATUSES = (MEMBER, NON_MEMBER, TERRITORY)


@dataclass(frozen=True)
class Source:
    """A source registered once in `sources:` and referenced by id."""

    id: str
    title: str
    url: str | None
    document: str | None
    as_of: str

    @property
    def reference(self) -> str:
        """Where to find the source: its URL, or the document description."""
        return self.url or self.document or ""


@dataclass(frozen=True)
class Fact:
    """One statement of a topic that a question can ask for by itself ("when was INTERPOL
    founded?"); it is also a paragraph of the topic's details."""

    id: str
    topic: str
    text: str
    asks: list[str]
    sources: list[Source]
    as_of: str
    in_english: bool = False  # a translation of the knowledge base lacks this fact's text


@dataclass(frozen=True)
class Topic:
    """One explainable subject; texts are already reflowed and filled in. ``details`` is
    the topic's own details text followed by its facts, one paragraph each."""

    id: str
    title: str
    short: str
    details: str
    related: list[str]
    sources: list[Source]
    as_of: str
    keywords: list[str] = field(default_factory=list)
    offer_consultation: bool = False
    facts: list[Fact] = field(default_factory=list)
    in_english: bool = False  # a translation of the knowledge base lacks some of its text


@dataclass(frozen=True)
class Country:
    """A member, a non-member or a territory taking part via a sub-bureau."""

    name: str
    status: str
    aliases: list[str]
    joined: str | None
    reason: str | None
    via: str | None
    sources: list[Source]
    un_member: bool = False
    joined_event: str | None = None
    article: str | None = None
    label: str | None = None  # the name in another language ("Велика Британія"), from CLDR
    in_english: bool = False  # a translation of the knowledge base lacks its reason or event

    @property
    def display_name(self) -> str:
        """The name as used inside a sentence ("the United Kingdom", or the translated name)."""
        if self.label:
            return self.label
        return f"{self.article} {self.name}" if self.article else self.name

    @property
    def is_member(self) -> bool:
        return self.status == MEMBER


def newest_member(countries: list[Country]) -> Country | None:
    """The member with the latest `joined` date (YYYY[-MM[-DD]] texts sort as dates)."""
    dated = [c for c in countries if c.status == MEMBER and c.joined]
    return max(dated, key=lambda c: c.joined or "") if dated else None


@dataclass(frozen=True)
class NoticeType:
    """A notice type with its canonical id from docs/vocabulary.md."""

    id: str
    name: str
    aliases: list[str]
    topic: str


@dataclass(frozen=True)
class CrimeArea:
    """A crime area with its canonical id from docs/vocabulary.md."""

    id: str
    name: str
    aliases: list[str]
    topic: str


@dataclass(frozen=True)
class CountryMatch:
    """The result of looking a country up from user text.

    ``country`` is set only on an exact match; otherwise ``suggestions``
    holds up to three names to offer ("Did you mean ...?"), never a guess.
    ``ambiguous`` is True when the text names several entries ("Congo").
    """

    country: Country | None
    query: str
    suggestions: list[str] = field(default_factory=list)
    ambiguous: bool = False


@dataclass(frozen=True)
class Answer:
    """What the actions send to the user, with everything needed to cite it."""

    text: str
    topic_ref: str
    title: str
    sources: list[Source]
    as_of: str
    related: list[tuple[str, str]] = field(default_factory=list)
    offer_consultation: bool = False
    suggestions: list[str] = field(default_factory=list)
    in_english: bool = False  # part of it is English: its translation is missing (say so)
