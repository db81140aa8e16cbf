"""Load and validate the knowledge file.

The file is edited by lawyers, so every mistake must be caught at load time
with a message that names the file, the entry and the field, e.g.
``knowledge/interpol.yml: topic 'ccf': related topic 'nope' does not exist``.
A knowledge base that loads is internally consistent: every fact has a
source, every reference resolves, and the member list adds up to the
declared count.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
import threading
from pathlib import Path
from typing import Any, NoReturn

import yaml

from kb.knowledge import Knowledge
from kb.model import (
    MEMBER,
    NON_MEMBER,
    STATUSES,
    TERRITORY,
    Country,
    CrimeArea,
    Fact,
    NoticeType,
    Source,
    Topic,
    newest_member,
)
from kb.text import is_common_word, normalize, reflow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = PROJECT_ROOT / "knowledge" / "interpol.yml"
ENV_VAR = "KNOWLEDGE_FILE"

# Topic ids the actions route intents to; deleting one would break the bot.
REQUIRED_TOPICS: tuple[str, ...] = (
    "interpol_overview", "interpol_powers", "interpol_structure", "constitution",
    "crime_areas", "not_handled", "membership", "non_members", "member_benefits",
    "nonmember_cooperation", "territories", "notices", "red_notice_criteria",
    "red_notice_effect", "refugee_policy", "extradition", "ccf", "firm_services",
)

SECTIONS = ("sources", "membership", "topics", "notice_types", "crime_areas",
            "countries", "ambiguous_names")

SOURCE_FIELDS = {"id", "title", "url", "document", "as_of"}
MEMBERSHIP_FIELDS = {"member_count", "un_member_states", "no_safe_haven", "sources", "as_of"}
TOPIC_FIELDS = {"id", "title", "short", "details", "related", "sources", "as_of",
                "keywords", "offer_consultation", "facts"}
FACT_FIELDS = {"id", "text", "asks", "sources", "as_of"}
LABELLED_FIELDS = {"id", "name", "aliases", "topic"}
COUNTRY_SECTION_FIELDS = {"default_sources", "entries"}
COUNTRY_FIELDS = {"name", "status", "aliases", "joined", "joined_event", "reason", "via",
                  "sources", "un_member", "article"}
AMBIGUOUS_FIELDS = {"name", "candidates"}

_AS_OF = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_JOINED = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


class KnowledgeError(ValueError):
    """The knowledge file is missing, unreadable or inconsistent."""


# =============================================================================
# Public API
# =============================================================================

def load_knowledge(path: str | Path) -> Knowledge:
    """Read, validate and build the knowledge base from ``path``.

    Raises KnowledgeError with a message naming file, entry and field.
    """
    file_path = Path(path)
    check = Checker(display_path(file_path))
    raw = read_yaml(file_path, check)
    return _Builder(raw, check, file_path).build()


_cache: dict[Path, Knowledge] = {}
_cache_lock = threading.Lock()


def get_knowledge() -> Knowledge:
    """The knowledge base for this process, loaded once and then reused.

    The path comes from the KNOWLEDGE_FILE environment variable, else
    <project root>/knowledge/interpol.yml. Restart the process (or call
    ``reset_cache``) after editing the file.
    """
    path = Path(os.environ.get(ENV_VAR) or DEFAULT_PATH).resolve()
    with _cache_lock:
        if path not in _cache:
            _cache[path] = load_knowledge(path)
        return _cache[path]


def reset_cache() -> None:
    """Forget loaded knowledge bases (tests; reloading after an edit)."""
    with _cache_lock:
        _cache.clear()


def display_path(path: str | Path) -> str:
    """``path`` relative to the project root when inside it, else as given."""
    candidate = Path(path)
    try:
        return candidate.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


# =============================================================================
# YAML reading
# =============================================================================

class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys (PyYAML silently keeps the last)."""


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same on the C parser (libyaml), about ten times faster."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse(text: str) -> Any:
    """Parse fast; on error, re-parse with the pure-Python parser so that the
    message (line and wording) is the same whether or not libyaml is present."""
    try:
        return yaml.load(text, Loader=_FastStrictLoader)  # noqa: S506 - safe loader
    except yaml.YAMLError:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - safe loader


def read_yaml(path: Path, check: "Checker", entries: str = "sections") -> dict:
    """Parse the file, a mapping of ``entries``; any YAML problem becomes a KnowledgeError
    with a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        check.fail("file not found")
    except (OSError, UnicodeDecodeError) as exc:
        check.fail(f"cannot be read: {exc}")
    try:
        data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        check.fail(f"not valid YAML (line {line}): {exc.problem or exc.context}")
    except yaml.YAMLError as exc:
        check.fail(f"not valid YAML: {exc}")
    if not isinstance(data, dict):
        check.fail(f"not valid YAML (line 1): the file must be a mapping of {entries}")
    return data


# =============================================================================
# Validation helpers
# =============================================================================

class Checker:
    """Raises KnowledgeError prefixed with the file's display path."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, message: str) -> NoReturn:
        raise KnowledgeError(f"{self.label}: {message}")

    def fields(self, entry: str, data: Any, allowed: set[str], required: tuple[str, ...]) -> dict:
        """Check that ``data`` is a mapping with the required and only known fields."""
        if not isinstance(data, dict):
            self.fail(f"{entry}: must be a mapping of fields")
        for name in required:
            if name not in data or data[name] is None or data[name] == "":
                self.fail(f"{entry}: missing field '{name}'")
        for name in data:
            if name not in allowed:
                self.fail(f"{entry}: unknown field '{name}'")
        return data

    def text(self, entry: str, data: dict, name: str) -> str:
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{entry}: field '{name}' must be text")
        return value.strip()

    def optional_text(self, entry: str, data: dict, name: str) -> str | None:
        return self.text(entry, data, name) if data.get(name) is not None else None

    def text_list(self, entry: str, data: dict, name: str) -> list[str]:
        """A list of texts; bare numbers (a year as keyword) are read as text."""
        value = data.get(name) or []
        if not isinstance(value, list):
            self.fail(f"{entry}: field '{name}' must be a list of texts")
        items = [str(v).strip() if isinstance(v, (str, int)) and not isinstance(v, bool) else ""
                 for v in value]
        if not all(items):
            self.fail(f"{entry}: field '{name}' must be a list of texts")
        return items

    def flag(self, entry: str, data: dict, name: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.fail(f"{entry}: field '{name}' must be true or false")
        return value

    def as_of(self, entry: str, data: dict, name: str = "as_of") -> str:
        value = _date_text(data[name])
        if not _AS_OF.match(value) or not _valid_date(value):
            self.fail(f"{entry}: field '{name}' is not a date (YYYY-MM or YYYY-MM-DD): '{value}'")
        return value

    def section_list(self, raw: dict, name: str) -> list:
        value = raw[name]
        if not isinstance(value, list):
            self.fail(f"section '{name}' must be a list")
        return value


def _date_text(value: Any) -> str:
    """YAML turns 2023-11-29 into a date and 2018 into an int: read both as text."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


def _valid_date(value: str) -> bool:
    """True for a real calendar date/month (rejects 2025-13 and 2025-02-30)."""
    parts = [int(p) for p in value.split("-")]
    try:
        _dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


# =============================================================================
# Building the knowledge base
# =============================================================================

class _Builder:
    """Validates one parsed file section by section and builds Knowledge."""

    def __init__(self, raw: dict, check: Checker, path: Path) -> None:
        self.raw = raw
        self.check = check
        self.path = path
        self.sources: dict[str, Source] = {}
        self._fact_ids: set[str] = set()

    def build(self) -> Knowledge:
        self._check_sections()
        self.sources = self._sources()
        membership = self._membership()
        countries = self._countries()
        self._check_counts(membership, countries)
        values = self._placeholder_values(membership, countries)
        countries = [self._fill_country(c, values) for c in countries]
        topics = self._topics(values)
        notice_types = self._labelled("notice_types", "notice type", NoticeType, topics)
        crime_areas = self._labelled("crime_areas", "crime area", CrimeArea, topics)
        ambiguous = self._ambiguous(countries)
        return Knowledge(
            path=self.path,
            sources=self.sources,
            topics=topics,
            notice_types=notice_types,
            crime_areas=crime_areas,
            countries=countries,
            ambiguous_names=ambiguous,
            member_count=membership["member_count"],
            un_member_states=membership["un_member_states"],
            no_safe_haven=values["no_safe_haven"],
            membership_sources=membership["sources"],
            membership_as_of=membership["as_of"],
            values=values,
        )

    # ---- sections ------------------------------------------------------------------

    def _check_sections(self) -> None:
        for name in self.raw:
            if name not in SECTIONS:
                self.check.fail(f"unknown section '{name}'")
        for name in SECTIONS:
            if name != "ambiguous_names" and self.raw.get(name) is None:
                self.check.fail(f"missing section '{name}'")

    def _sources(self) -> dict[str, Source]:
        sources: dict[str, Source] = {}
        for index, data in enumerate(self.check.section_list(self.raw, "sources"), start=1):
            entry = _entry_name("source", data, "id", index)
            self.check.fields(entry, data, SOURCE_FIELDS, ("id", "title", "as_of"))
            source_id = self.check.text(entry, data, "id")
            if source_id in sources:
                self.check.fail(f"{entry} is listed twice")
            url = self.check.optional_text(entry, data, "url")
            document = self.check.optional_text(entry, data, "document")
            if not url and not document:
                self.check.fail(f"{entry}: needs a 'url' or a 'document'")
            sources[source_id] = Source(
                id=source_id,
                title=self.check.text(entry, data, "title"),
                url=url,
                document=document,
                as_of=self.check.as_of(entry, data),
            )
        return sources

    def _source_refs(self, entry: str, ids: list[str]) -> list[Source]:
        """Resolve source ids; an empty list is a fact without a source."""
        if not ids:
            self.check.fail(f"{entry}: fact has no source")
        for source_id in ids:
            if source_id not in self.sources:
                self.check.fail(f"source '{source_id}' referenced by {entry} does not exist")
        return [self.sources[source_id] for source_id in dict.fromkeys(ids)]

    def _membership(self) -> dict:
        entry = "membership"
        data = self.check.fields(entry, self.raw["membership"], MEMBERSHIP_FIELDS,
                                 ("member_count", "un_member_states", "no_safe_haven",
                                  "sources", "as_of"))
        for name in ("member_count", "un_member_states"):
            if not isinstance(data[name], int) or isinstance(data[name], bool) or data[name] < 1:
                self.check.fail(f"{entry}: field '{name}' must be a whole number")
        return {
            "member_count": data["member_count"],
            "un_member_states": data["un_member_states"],
            "no_safe_haven": reflow(self.check.text(entry, data, "no_safe_haven")),
            "sources": self._source_refs(entry, self.check.text_list(entry, data, "sources")),
            "as_of": self.check.as_of(entry, data),
        }

    # ---- countries -------------------------------------------------------------------

    def _countries(self) -> list[Country]:
        section = self.check.fields("section 'countries'", self.raw["countries"],
                                    COUNTRY_SECTION_FIELDS, ("entries",))
        defaults = self.check.text_list("section 'countries'", section, "default_sources")
        entries = section["entries"]
        if not isinstance(entries, list):
            self.check.fail("section 'countries': field 'entries' must be a list")
        countries = [self._country(data, index, defaults)
                     for index, data in enumerate(entries, start=1)]
        self._check_country_names(countries)
        self._check_vias(countries)
        return countries

    def _country(self, data: Any, index: int, defaults: list[str]) -> Country:
        entry = _entry_name("country", data, "name", index)
        self.check.fields(entry, data, COUNTRY_FIELDS, ("name", "status"))
        status = self.check.text(entry, data, "status")
        if status not in STATUSES:
            self.check.fail(f"{entry}: field 'status' must be one of "
                            f"{', '.join(STATUSES)} (got '{status}')")
        self._check_status_fields(entry, data, status)
        aliases = self.check.text_list(entry, data, "aliases")
        for alias in aliases:
            if is_common_word(alias):
                self.check.fail(f"{entry}: alias '{alias}' is a common English word")
        article = self.check.optional_text(entry, data, "article")
        if article not in (None, "the"):
            self.check.fail(f"{entry}: field 'article' must be 'the' (got '{article}')")
        own_sources = self.check.text_list(entry, data, "sources")
        return Country(
            name=self.check.text(entry, data, "name"),
            status=status,
            aliases=aliases,
            joined=self._joined(entry, data),
            reason=self.check.optional_text(entry, data, "reason"),
            via=self.check.optional_text(entry, data, "via"),
            sources=self._source_refs(entry, [*defaults, *own_sources]),
            un_member=self.check.flag(entry, data, "un_member", status != TERRITORY),
            joined_event=self.check.optional_text(entry, data, "joined_event"),
            article=article,
        )

    def _check_status_fields(self, entry: str, data: dict, status: str) -> None:
        """Each status has its own required and forbidden fields."""
        if status == NON_MEMBER and not data.get("reason"):
            self.check.fail(f"{entry}: missing field 'reason'")
        if status == TERRITORY and not data.get("via"):
            self.check.fail(f"{entry}: missing field 'via'")
        if status != TERRITORY and data.get("via") is not None:
            self.check.fail(f"{entry}: field 'via' is only for territories")
        if status != MEMBER and data.get("joined") is not None:
            self.check.fail(f"{entry}: field 'joined' is only for members")
        if data.get("joined_event") is not None and data.get("joined") is None:
            self.check.fail(f"{entry}: field 'joined_event' needs field 'joined'")
        if status == TERRITORY and data.get("un_member") is True:
            self.check.fail(f"{entry}: a territory cannot be a UN member state")

    def _joined(self, entry: str, data: dict) -> str | None:
        if data.get("joined") is None:
            return None
        value = _date_text(data["joined"])
        if not _JOINED.match(value) or not _valid_date(value):
            self.check.fail(f"{entry}: field 'joined' is not a date "
                            f"(YYYY, YYYY-MM or YYYY-MM-DD): '{value}'")
        return value

    def _check_country_names(self, countries: list[Country]) -> None:
        """No name is listed twice and no alias points at two countries."""
        owner: dict[str, Country] = {}
        for country in countries:
            name_key = normalize(country.name)
            other = owner.get(name_key)
            if other is not None:
                if normalize(other.name) == name_key:
                    self.check.fail(f"country '{country.name}' is listed twice")
                self.check.fail(f"country '{country.name}': name is already used "
                                f"as an alias of country '{other.name}'")
            owner[name_key] = country
        for country in countries:
            for alias in country.aliases:
                other = owner.setdefault(normalize(alias), country)
                if other is not country:
                    self.check.fail(f"country '{country.name}': alias '{alias}' is already "
                                    f"used by country '{other.name}'")

    def _check_vias(self, countries: list[Country]) -> None:
        members = {c.name for c in countries if c.status == MEMBER}
        for country in countries:
            if country.via is not None and country.via not in members:
                self.check.fail(f"country '{country.name}': field 'via' names "
                                f"'{country.via}', which is not a member country")

    def _check_counts(self, membership: dict, countries: list[Country]) -> None:
        """The list must add up to the numbers declared in `membership:`."""
        members = sum(1 for c in countries if c.status == MEMBER)
        if members != membership["member_count"]:
            self.check.fail(f"membership: member_count is {membership['member_count']} "
                            f"but the countries list has {members} members")
        un_states = sum(1 for c in countries if c.un_member)
        if un_states != membership["un_member_states"]:
            self.check.fail(
                f"membership: un_member_states is {membership['un_member_states']} but the "
                f"countries list has {un_states} UN member states (write 'un_member: false' "
                f"on entries that are not UN member states)")

    # ---- placeholders ----------------------------------------------------------------

    @staticmethod
    def _placeholder_values(membership: dict, countries: list[Country]) -> dict[str, str]:
        """Values a text may insert with {name}; numbers are typed only once."""
        in_interpol = sum(1 for c in countries if c.un_member and c.status == MEMBER)
        values = {
            "member_count": str(membership["member_count"]),
            "un_member_states": str(membership["un_member_states"]),
            "un_members_in_interpol": str(in_interpol),
            "no_safe_haven": membership["no_safe_haven"],
        }
        newest = newest_member(countries)
        if newest is not None:
            values["newest_member"] = newest.display_name
            values["newest_member_year"] = (newest.joined or "")[:4]
        return values

    def _fill(self, entry: str, field: str, text: str, values: dict[str, str]) -> str:
        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name not in values:
                self.check.fail(f"{entry}: unknown placeholder '{{{name}}}' in field '{field}'")
            return values[name]

        return reflow(_PLACEHOLDER.sub(replace, text))

    def _fill_country(self, country: Country, values: dict[str, str]) -> Country:
        if country.reason is None:
            return country
        reason = self._fill(f"country '{country.name}'", "reason", country.reason, values)
        return dataclasses.replace(country, reason=reason)

    # ---- topics ------------------------------------------------------------------------

    def _topics(self, values: dict[str, str]) -> dict[str, Topic]:
        raw_topics: dict[str, dict] = {}
        for index, data in enumerate(self.check.section_list(self.raw, "topics"), start=1):
            entry = _entry_name("topic", data, "id", index)
            self.check.fields(entry, data, TOPIC_FIELDS, ("id", "title", "short", "sources", "as_of"))
            if not data.get("details") and not data.get("facts"):
                self.check.fail(f"{entry}: missing field 'details' (or 'facts')")
            topic_id = self.check.text(entry, data, "id")
            if topic_id in raw_topics:
                self.check.fail(f"{entry} is listed twice")
            raw_topics[topic_id] = data
        topics = {tid: self._topic(tid, data, values) for tid, data in raw_topics.items()}
        self._check_topic_refs(topics)
        return topics

    def _topic(self, topic_id: str, data: dict, values: dict[str, str]) -> Topic:
        entry = f"topic '{topic_id}'"
        sources = self._source_refs(entry, self.check.text_list(entry, data, "sources"))
        as_of = self.check.as_of(entry, data)
        facts = self._facts(topic_id, data, values, sources, as_of)
        details = self._fill(entry, "details", self.check.text(entry, data, "details"), values) \
            if data.get("details") else ""
        return Topic(
            id=topic_id,
            title=self._fill(entry, "title", self.check.text(entry, data, "title"), values),
            short=self._fill(entry, "short", self.check.text(entry, data, "short"), values),
            details="\n\n".join(filter(None, [details, *(fact.text for fact in facts)])),
            related=self.check.text_list(entry, data, "related"),
            sources=sources,
            as_of=as_of,
            keywords=self._lowercase_list(entry, data, "keywords"),
            offer_consultation=self.check.flag(entry, data, "offer_consultation", False),
            facts=facts,
        )

    def _lowercase_list(self, entry: str, data: dict, name: str) -> list[str]:
        items = self.check.text_list(entry, data, name)
        for item in items:
            if item != item.lower():
                self.check.fail(f"{entry}: {name[:-1]} '{item}' must be lowercase")
        return items

    def _facts(self, topic_id: str, data: dict, values: dict[str, str],
               topic_sources: list[Source], topic_as_of: str) -> list[Fact]:
        """The topic's facts; a fact without sources or as_of has the topic's."""
        raw = data.get("facts") or []
        if not isinstance(raw, list):
            self.check.fail(f"topic '{topic_id}': field 'facts' must be a list")
        facts = []
        for index, item in enumerate(raw, start=1):
            entry = f"topic '{topic_id}': " + _entry_name("fact", item, "id", index)
            self.check.fields(entry, item, FACT_FIELDS, ("id", "text", "asks"))
            fact_id = self.check.text(entry, item, "id")
            if fact_id in self._fact_ids:
                self.check.fail(f"{entry} is listed twice (fact ids are unique in the file)")
            self._fact_ids.add(fact_id)
            source_ids = self.check.text_list(entry, item, "sources")
            facts.append(Fact(
                id=fact_id,
                topic=topic_id,
                text=self._fill(entry, "text", self.check.text(entry, item, "text"), values),
                asks=self._lowercase_list(entry, item, "asks"),
                sources=self._source_refs(entry, source_ids) if source_ids else topic_sources,
                as_of=self.check.as_of(entry, item) if item.get("as_of") else topic_as_of,
            ))
        return facts

    def _check_topic_refs(self, topics: dict[str, Topic]) -> None:
        for topic in topics.values():
            for related in topic.related:
                if related not in topics:
                    self.check.fail(f"topic '{topic.id}': related topic '{related}' does not exist")
        for required in REQUIRED_TOPICS:
            if required not in topics:
                self.check.fail(f"missing topic '{required}' (the assistant uses it)")

    # ---- notice types and crime areas --------------------------------------------------

    def _labelled(self, section: str, kind: str, cls: type, topics: dict[str, Topic]) -> list:
        """Notice types and crime areas share one shape: id, name, aliases, topic."""
        items: list = []
        owner: dict[str, str] = {}
        for index, data in enumerate(self.check.section_list(self.raw, section), start=1):
            entry = _entry_name(kind, data, "id", index)
            self.check.fields(entry, data, LABELLED_FIELDS, ("id", "name", "topic"))
            item = cls(
                id=self.check.text(entry, data, "id"),
                name=self.check.text(entry, data, "name"),
                aliases=self.check.text_list(entry, data, "aliases"),
                topic=self.check.text(entry, data, "topic"),
            )
            if any(existing.id == item.id for existing in items):
                self.check.fail(f"{entry} is listed twice")
            if item.topic not in topics:
                self.check.fail(f"{entry}: topic '{item.topic}' does not exist")
            for label in (item.id, item.name, *item.aliases):
                other = owner.setdefault(normalize(label), item.id)
                if other != item.id:
                    self.check.fail(f"{entry}: alias '{label}' is already used by "
                                    f"{kind} '{other}'")
            items.append(item)
        return items

    # ---- ambiguous names ----------------------------------------------------------------

    def _ambiguous(self, countries: list[Country]) -> dict[str, list[str]]:
        raw = self.raw.get("ambiguous_names") or []
        if not isinstance(raw, list):
            self.check.fail("section 'ambiguous_names' must be a list")
        names = {c.name for c in countries}
        known = {normalize(label): c.name for c in countries for label in (c.name, *c.aliases)}
        result: dict[str, list[str]] = {}
        for index, data in enumerate(raw, start=1):
            entry = _entry_name("ambiguous name", data, "name", index)
            self.check.fields(entry, data, AMBIGUOUS_FIELDS, ("name", "candidates"))
            name = self.check.text(entry, data, "name")
            if normalize(name) in known:
                self.check.fail(f"{entry} is already used by country '{known[normalize(name)]}'")
            candidates = self.check.text_list(entry, data, "candidates")
            if len(candidates) < 2:
                self.check.fail(f"{entry}: field 'candidates' needs at least two countries")
            for candidate in candidates:
                if candidate not in names:
                    self.check.fail(f"{entry}: candidate '{candidate}' does not exist")
            result[name] = candidates
        return result


def _entry_name(kind: str, data: Any, key: str, index: int) -> str:
    """How messages name an entry: "topic 'ccf'", or "topic #3" if it has no id."""
    if isinstance(data, dict) and isinstance(data.get(key), str) and data[key].strip():
        return f"{kind} '{data[key].strip()}'"
    return f"{kind} #{index}"
