"""Answers the assistant gives, built only from the knowledge base.

Pure functions: they take a Knowledge and return an Answer. Every fact and
number comes from the knowledge file (counts are computed from its lists),
so editing the file is enough to change what the assistant says. Sentence
templates live here; facts never do.
"""

from __future__ import annotations

from kb.knowledge import Knowledge
from kb.model import MEMBER, NON_MEMBER, TERRITORY, Answer, Country, CountryMatch, Fact, Source, Topic, newest_member
from kb.retrieve import TopicHit, phrase_score
from kb.text import join_names, normalize

MAX_RELATED = 3
MEMBERSHIP_TOPIC = "membership"
NON_MEMBERS_TOPIC = "non_members"
TERRITORIES_TOPIC = "territories"
NOTICES_TOPIC = "notices"
CRIME_AREAS_TOPIC = "crime_areas"
NOT_HANDLED_TOPIC = "not_handled"
COUNTRY_REF_PREFIX = "country:"

# =============================================================================
# Topics
# =============================================================================

def answer_topic(kb: Knowledge, topic_id: str, detail: bool = False) -> Answer:
    """The topic's short answer, followed by its details when ``detail`` is set."""
    topic = kb.topic(topic_id)
    text = f"{topic.short}\n\n{topic.details}" if detail and topic.details else topic.short
    return _topic_answer(kb, topic, text, in_english=topic.in_english)


def answer_fact(kb: Knowledge, fact: Fact) -> Answer:
    """One fact first, with its topic and the topic's related topics as buttons."""
    topic = kb.topic(fact.topic)
    return Answer(
        text=fact.text,
        topic_ref=topic.id,
        title=topic.title,
        sources=list(fact.sources),
        as_of=fact.as_of,
        related=_buttons(kb, [topic.id, *topic.related]),
        offer_consultation=topic.offer_consultation,
        in_english=fact.in_english,
    )


def answer_in_general(kb: Knowledge, hits: list[TopicHit], countries: list[Country],
                      offered: list[TopicHit] | None = None) -> Answer:
    """General information for someone who told their own story: what the knowledge file says
    about each topic their story is about (the fact asked for, else the topic's short answer),
    the status of each country they name, and the sources. Never about their own case: the
    action says next that a lawyer can assess it. ``offered`` topics become the first buttons."""
    lines = [_general_line(kb, hit, first=index == 0) for index, hit in enumerate(hits)]
    lines += _status_lines(kb, countries)
    sources = _unique_sources([*(s for hit in hits for s in (hit.fact.sources if hit.fact else hit.topic.sources)),
                               *(s for country in countries for s in country.sources)])
    cited = "; ".join(kb.say("answers.source_item", title=s.title, as_of=s.as_of) for s in sources)
    lines.append(kb.say("answers.source_line", sources=cited))
    topic = hits[0].topic
    return Answer(
        text="\n\n".join(lines),
        topic_ref=topic.id,
        title=topic.title,
        sources=sources,
        as_of=_latest(s.as_of for s in sources),
        related=_buttons(kb, [*(hit.topic.id for hit in offered or []), topic.id, *topic.related]),
        offer_consultation=True,
        in_english=any((hit.fact or hit.topic).in_english for hit in hits) or any(c.in_english for c in countries),
    )


def _general_line(kb: Knowledge, hit: TopicHit, first: bool) -> str:
    text = hit.fact.text if hit.fact else hit.topic.short
    opening = kb.say("answers.in_general", text="")
    return kb.say("answers.in_general", text=text) if first and not text.startswith(opening.strip(" :")) else text


def answer_countries(kb: Knowledge, countries: list[Country]) -> Answer:
    """The status of each country a story names, when the story matches no topic."""
    return answer_in_general(kb, [TopicHit(kb.topic(MEMBERSHIP_TOPIC), 0, None)], countries)


def _status_lines(kb: Knowledge, countries: list[Country]) -> list[str]:
    """The members a story names in one sentence, then each non-member and territory."""
    members = [c.display_name for c in countries if c.status == MEMBER]
    lines = []
    if members:
        key = "answers.members_one" if len(members) == 1 else "answers.members_many"
        lines.append(_capitalised(kb.say(key, names=_join(kb, members), member_count=kb.member_count)))
    lines += [_capitalised(_status_sentence(kb, c)) for c in countries if c.status != MEMBER]
    return lines


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def pick_topic(kb: Knowledge, default_topic_id: str, text: str | None) -> str:
    """Choose, among a topic and its related topics, the one the text is about.

    Each topic scores the keywords it finds in the text (a phrase of n words
    counts n). The default wins ties and questions without any hit, so an
    unclear question gets the general answer rather than a wrong specific one.
    """
    default = kb.topic(default_topic_id)
    key = normalize(text or "")
    if not key:
        return default.id
    candidates = [default.id, *(r for r in default.related if r != default.id)]
    scores = {topic_id: phrase_score(kb.topic(topic_id).keywords, key) for topic_id in candidates}
    best = max(scores.values())
    winners = [topic_id for topic_id, score in scores.items() if score == best]
    if best == 0 or default.id in winners or len(winners) > 1:
        return default.id
    return winners[0]


# =============================================================================
# Membership
# =============================================================================

def answer_membership(kb: Knowledge, country_text: str | None, text: str | None) -> Answer:
    """Is a country a member? Uses the extracted name, else the whole sentence.

    An unknown name gets "I couldn't find ..." with suggestions, never a guess.
    """
    named = kb.match_country(country_text) if country_text and country_text.strip() else None
    if named is not None and named.country is not None:
        return _country_answer(kb, named.country)
    in_text = kb.find_country_in_text(text) if text else None
    if in_text is not None and in_text.country is not None:
        return _country_answer(kb, in_text.country)
    unresolved = named or in_text
    if unresolved is not None:
        return _unknown_country_answer(kb, unresolved)
    return _ask_for_country_answer(kb)


_STATUS_OPENING = {MEMBER: "answers.status_member", NON_MEMBER: "answers.status_non_member",
                   TERRITORY: "answers.status_territory"}
_STATUS_CONTEXT = {MEMBER: MEMBERSHIP_TOPIC, NON_MEMBER: NON_MEMBERS_TOPIC, TERRITORY: TERRITORIES_TOPIC}


def _country_answer(kb: Knowledge, country: Country) -> Answer:
    """ "Yes — ...", "No — ..." or "Not separately — ..." and the country's status."""
    text = kb.say("answers.status_answer", opening=kb.say(_STATUS_OPENING[country.status]),
                  sentence=_status_sentence(kb, country))
    topic = kb.topic(_STATUS_CONTEXT[country.status])
    return Answer(
        text=text,
        topic_ref=f"{COUNTRY_REF_PREFIX}{country.name}",
        title=kb.say("answers.country_title", country=_capitalised(country.display_name)),
        sources=list(country.sources),
        as_of=_latest(s.as_of for s in country.sources),
        related=_buttons(kb, [topic.id, *topic.related]),
        offer_consultation=topic.offer_consultation,
        in_english=country.in_english,
    )


def _status_sentence(kb: Knowledge, country: Country) -> str:
    """A country's status, starting with its name in sentence position ("the United Kingdom")."""
    if country.status == MEMBER:
        return _sentences(kb.say("answers.member_sentence", country=country.display_name,
                                 member_count=kb.member_count), _joined_sentence(kb, country))
    if country.status == NON_MEMBER:
        return kb.say("answers.non_member_sentence", country=country.display_name, reason=country.reason,
                      no_safe_haven=kb.no_safe_haven)
    via = _via_display(kb, country)
    return kb.say("answers.territory_sentence", country=country.display_name,
                  via=_possessive(via) if kb.language == "en" else via)


def _joined_sentence(kb: Knowledge, country: Country) -> str:
    """"It joined in 2011 (admitted in November 2011 at ...)." or ""."""
    if not country.joined:
        return ""
    details: list[str] = []
    if len(country.joined) > 4:
        details.append(_date_phrase(kb, country.joined))
    if country.joined_event:
        details.append(country.joined_event)
    if details:
        return kb.say("answers.joined_admitted", year=country.joined[:4], details=" ".join(details))
    return kb.say("answers.joined", year=country.joined[:4])


def _date_phrase(kb: Knowledge, value: str) -> str:
    """ "in November 2011" for 2011-11, "on 27 September 2017" for 2017-09-27."""
    parts = value.split("-")
    month = [m.strip() for m in kb.say("answers.months").split(",")][int(parts[1]) - 1]
    if len(parts) == 3:
        return kb.say("answers.date_day", day=int(parts[2]), month=month, year=parts[0])
    return kb.say("answers.date_month", month=month, year=parts[0])


def _via_display(kb: Knowledge, country: Country) -> str:
    via = kb.country(country.via)
    return via.display_name if via is not None else (country.via or "")


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _unknown_country_answer(kb: Knowledge, match: CountryMatch) -> Answer:
    suggestions = _join(kb, list(match.suggestions), "answers.or")
    if match.ambiguous:
        text = kb.say("answers.ambiguous_country", query=match.query, suggestions=suggestions)
    elif match.suggestions:
        text = kb.say("answers.unknown_country_suggest", query=match.query, suggestions=suggestions)
    else:
        text = kb.say("answers.unknown_country", query=match.query)
    return _membership_list_answer(kb, text, suggestions=list(match.suggestions))


def _ask_for_country_answer(kb: Knowledge) -> Answer:
    return _membership_list_answer(kb, kb.say("answers.ask_for_country", member_count=kb.member_count))


def _membership_list_answer(kb: Knowledge, text: str, suggestions: list[str] | None = None) -> Answer:
    """An answer resting on the member list itself (its sources and date)."""
    topic = kb.topic(MEMBERSHIP_TOPIC)
    return Answer(
        text=text,
        topic_ref=topic.id,
        title=topic.title,
        sources=list(kb.membership_sources),
        as_of=kb.membership_as_of,
        related=_buttons(kb, topic.related),
        offer_consultation=False,
        suggestions=suggestions or [],
    )


def answer_member_count(kb: Knowledge) -> Answer:
    """How many members INTERPOL has and how the number adds up, from the list."""
    members = kb.members
    un_outside = [c for c in kb.non_members if c.un_member]
    non_un_members = [c for c in members if not c.un_member]
    un_inside = sum(1 for c in members if c.un_member)
    text = kb.say("answers.member_count", member_count=kb.member_count, un_member_states=kb.un_member_states,
                  un_outside=_join(kb, [c.display_name for c in un_outside]), un_inside=un_inside,
                  non_un_members=_join(kb, [c.display_name for c in non_un_members]), total=len(members))
    return _membership_list_answer(kb, _sentences(text, _newest_member_sentence(kb, members),
                                                  _territories_sentence(kb)))


def _newest_member_sentence(kb: Knowledge, members: list[Country]) -> str:
    newest = newest_member(members)
    if newest is None:
        return ""
    when = _date_phrase(kb, newest.joined) if len(newest.joined or "") > 4 \
        else kb.say("answers.newest_member_year", year=newest.joined)
    return kb.say("answers.newest_member", country=newest.display_name, when=when)


def _territories_sentence(kb: Knowledge) -> str:
    examples = [t.label or t.name for t in kb.territories][:2]
    if not examples:
        return ""
    return kb.say("answers.territories", examples=_join(kb, examples))


def answer_non_members(kb: Knowledge) -> Answer:
    """Who is outside INTERPOL and why, listed from the countries section."""
    topic = kb.topic(NON_MEMBERS_TOPIC)
    lines = [f"- {c.display_name[:1].upper()}{c.display_name[1:]}: {c.reason}"
             for c in kb.non_members]
    text = (kb.say("answers.non_members_intro", member_count=kb.member_count) + "\n"
            + "\n".join(lines) + f"\n\n{kb.no_safe_haven}")
    sources = _unique_sources([*topic.sources, *(s for c in kb.non_members for s in c.sources)])
    return Answer(
        text=text,
        topic_ref=topic.id,
        title=topic.title,
        sources=sources,
        as_of=topic.as_of,
        related=_buttons(kb, topic.related),
        offer_consultation=topic.offer_consultation,
        in_english=topic.in_english or any(c.in_english for c in kb.non_members),
    )


# =============================================================================
# Notices and crime areas
# =============================================================================

def answer_notice(kb: Knowledge, notice_id: str | None, detail: bool = False) -> Answer:
    """One notice type (by id, name or alias), or an overview of every type."""
    notice = kb.notice_type(notice_id) if notice_id else None
    if notice is not None:
        return answer_topic(kb, notice.topic, detail=detail)
    overview = kb.topic(NOTICES_TOPIC)
    lines = [f"- {kb.topic(n.topic).short}" for n in kb.notice_types]
    text = f"{overview.short}\n\n" + "\n".join(lines) + f"\n\n{overview.details}"
    sources = [*overview.sources, *(s for n in kb.notice_types for s in kb.topic(n.topic).sources)]
    english = overview.in_english or any(kb.topic(n.topic).in_english for n in kb.notice_types)
    return _topic_answer(kb, overview, text, sources=_unique_sources(sources), in_english=english)


def answer_crime_area(kb: Knowledge, area_id: str | None, detail: bool = False) -> Answer:
    """One crime area (by id, name or alias), or an overview of every area."""
    area = kb.crime_area(area_id) if area_id else None
    if area is not None:
        return answer_topic(kb, area.topic, detail=detail)
    overview = kb.topic(CRIME_AREAS_TOPIC)
    lines = [f"- {a.name}" for a in kb.crime_areas]
    not_handled = kb.topic(NOT_HANDLED_TOPIC)
    text = (f"{overview.short}\n\n{kb.say('answers.crime_areas_intro')}\n" + "\n".join(lines)
            + f"\n\n{not_handled.short}")
    sources = _unique_sources([*overview.sources, *not_handled.sources])
    return _topic_answer(kb, overview, text, sources=sources,
                         in_english=overview.in_english or not_handled.in_english)


# =============================================================================
# Sources
# =============================================================================

def answer_source(kb: Knowledge, topic_ref: str | None) -> Answer:
    """Where the previous answer comes from, with each source's date."""
    ref = topic_ref or ""
    sources: list[Source] = []
    title = kb.say("answers.sources_title")
    if ref.startswith(COUNTRY_REF_PREFIX):
        country = kb.country(ref[len(COUNTRY_REF_PREFIX):])
        if country is not None:
            sources, title = list(country.sources), kb.say("answers.sources_title_of",
                                                           title=_capitalised(country.display_name))
    elif kb.has_topic(ref):
        topic = kb.topic(ref)
        sources, title = list(topic.sources), kb.say("answers.sources_title_of", title=topic.title)
    if not sources:
        return Answer(text=kb.say("answers.no_source"), topic_ref=ref, title=title, sources=[], as_of="")
    cited = "; ".join(kb.say("answers.source_cited", title=s.title, reference=s.reference, as_of=s.as_of)
                      for s in sources)
    return Answer(
        text=kb.say("answers.source_answer", cited=cited),
        topic_ref=ref,
        title=title,
        sources=sources,
        as_of=_latest(s.as_of for s in sources),
    )


# =============================================================================
# Helpers
# =============================================================================

def _topic_answer(kb: Knowledge, topic: Topic, text: str,
                  sources: list[Source] | None = None, in_english: bool = False) -> Answer:
    return Answer(
        text=text,
        topic_ref=topic.id,
        title=topic.title,
        sources=list(sources if sources is not None else topic.sources),
        as_of=topic.as_of,
        related=_buttons(kb, topic.related),
        offer_consultation=topic.offer_consultation,
        in_english=in_english,
    )


def _sentences(*sentences: str) -> str:
    """Sentences of one paragraph, the empty ones left out."""
    return " ".join(sentence for sentence in sentences if sentence)


def _join(kb: Knowledge, names: list[str], conjunction: str = "answers.and") -> str:
    """ "A, B and C" with the conjunction of the knowledge base's language."""
    return join_names(names, kb.say(conjunction))


def _buttons(kb: Knowledge, topic_ids: list[str]) -> list[tuple[str, str]]:
    """Up to three (topic id, title) pairs for follow-up buttons."""
    unique = list(dict.fromkeys(topic_ids))[:MAX_RELATED]
    return [(topic_id, kb.topic(topic_id).title) for topic_id in unique]


def _unique_sources(sources: list[Source]) -> list[Source]:
    return list({source.id: source for source in sources}.values())


def _latest(dates) -> str:
    """The most recent of YYYY-MM / YYYY-MM-DD dates (they sort as text)."""
    return max(dates, default="")
