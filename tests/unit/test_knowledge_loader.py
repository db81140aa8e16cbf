"""Loader validation: every mistake a lawyer can make is reported exactly.

Each test writes a copy of the real knowledge file with one defect to
tmp_path and checks the full error message (file, entry, field).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from kb import KnowledgeError, get_knowledge, load_knowledge, reset_cache
from kb.loader import DEFAULT_PATH, PROJECT_ROOT, REQUIRED_TOPICS, display_path

FIXTURES = Path(__file__).parent / "fixtures" / "knowledge"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture(scope="module")
def real_data() -> dict:
    return yaml.load(DEFAULT_PATH.read_text(encoding="utf-8"), Loader=_LOADER)


@pytest.fixture()
def broken(real_data: dict, tmp_path: Path) -> Callable[[Callable[[dict], Any]], Path]:
    """Write a copy of the real file after applying ``edit`` to its data."""

    def make(edit: Callable[[dict], Any]) -> Path:
        data = copy.deepcopy(real_data)
        edit(data)
        path = tmp_path / "interpol.yml"
        text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return make


def expect_error(path: Path, message: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(path)
    assert str(caught.value) == f"{path}: {message}"


def topic(data: dict, topic_id: str) -> dict:
    return next(t for t in data["topics"] if t["id"] == topic_id)


def country(data: dict, name: str) -> dict:
    return next(c for c in data["countries"]["entries"] if c["name"] == name)


# ---- the real file ------------------------------------------------------------------

def test_real_file_loads_with_declared_member_count() -> None:
    kb = load_knowledge(DEFAULT_PATH)
    assert len(kb.members) == kb.member_count == 196
    assert set(REQUIRED_TOPICS) <= set(kb.topics)


def test_round_trip_copy_of_real_file_loads(broken) -> None:
    """Guards the test method itself: an unedited copy must load."""
    assert len(load_knowledge(broken(lambda data: None)).members) == 196


def test_messages_name_the_file_relative_to_the_project_root() -> None:
    assert display_path(DEFAULT_PATH) == "knowledge/interpol.yml"
    assert display_path(PROJECT_ROOT / "knowledge" / ".." / "knowledge" / "interpol.yml") \
        == "knowledge/interpol.yml"


# ---- the error messages from the brief ---------------------------------------------------

def test_missing_field(broken) -> None:
    path = broken(lambda d: topic(d, "notice_red").pop("sources"))
    expect_error(path, "topic 'notice_red': missing field 'sources'")


def test_related_topic_does_not_exist(broken) -> None:
    path = broken(lambda d: topic(d, "ccf")["related"].append("nope"))
    expect_error(path, "topic 'ccf': related topic 'nope' does not exist")


def test_country_listed_twice(broken) -> None:
    path = broken(lambda d: d["countries"]["entries"].append({"name": "France", "status": "member"}))
    expect_error(path, "country 'France' is listed twice")


def test_country_listed_twice_with_other_spelling(broken) -> None:
    path = broken(lambda d: d["countries"]["entries"].append({"name": "FRANCE", "status": "member"}))
    expect_error(path, "country 'FRANCE' is listed twice")


def test_alias_used_by_two_countries(broken) -> None:
    path = broken(lambda d: country(d, "Belgium").setdefault("aliases", []).append("Holland"))
    expect_error(path, "country 'Netherlands': alias 'Holland' is already used by country 'Belgium'")


def test_alias_equal_to_another_countrys_name(broken) -> None:
    path = broken(lambda d: country(d, "Belgium").setdefault("aliases", []).append("France"))
    expect_error(path, "country 'Belgium': alias 'France' is already used by country 'France'")


def test_fact_without_source(broken) -> None:
    path = broken(lambda d: topic(d, "ccf").update(sources=[]))
    expect_error(path, "topic 'ccf': fact has no source")


def test_country_without_any_source(broken) -> None:
    def edit(d: dict) -> None:
        d["countries"]["default_sources"] = []

    expect_error(broken(edit), "country 'Afghanistan': fact has no source")


def test_source_does_not_exist(broken) -> None:
    path = broken(lambda d: topic(d, "ccf").update(sources=["ccf_statute", "y"]))
    expect_error(path, "source 'y' referenced by topic 'ccf' does not exist")


def test_source_referenced_by_country_does_not_exist(broken) -> None:
    path = broken(lambda d: country(d, "Palau").update(sources=["nope"]))
    expect_error(path, "source 'nope' referenced by country 'Palau' does not exist")


def test_not_valid_yaml_names_the_line() -> None:
    path = FIXTURES / "not_yaml.yml"
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(path)
    assert str(caught.value) == ("tests/unit/fixtures/knowledge/not_yaml.yml: "
                                 "not valid YAML (line 6): mapping values are not allowed here")


def test_duplicate_key_is_not_valid_yaml() -> None:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(FIXTURES / "duplicate_key.yml")
    assert str(caught.value) == ("tests/unit/fixtures/knowledge/duplicate_key.yml: "
                                 "not valid YAML (line 9): duplicate key 'short'")


def test_member_count_must_match_the_list(broken) -> None:
    path = broken(lambda d: d["countries"]["entries"].remove(country(d, "France")))
    expect_error(path, "membership: member_count is 196 but the countries list has 195 members")


def test_un_member_count_must_match_the_list(broken) -> None:
    path = broken(lambda d: country(d, "Aruba").update(un_member=True))
    expect_error(path, "membership: un_member_states is 193 but the countries list has 194 "
                       "UN member states (write 'un_member: false' on entries that are not "
                       "UN member states)")


@pytest.mark.parametrize("value", ["2025-13", "December 2025", "2025-02-30", "2025"])
def test_as_of_must_be_a_date(broken, value: str) -> None:
    path = broken(lambda d: topic(d, "ccf").update(as_of=value))
    expect_error(path, f"topic 'ccf': field 'as_of' is not a date (YYYY-MM or YYYY-MM-DD): '{value}'")


def test_source_as_of_must_be_a_date(broken) -> None:
    path = broken(lambda d: d["sources"][0].update(as_of="soon"))
    expect_error(path, "source 'interpol_member_countries': field 'as_of' is not a date "
                       "(YYYY-MM or YYYY-MM-DD): 'soon'")


def test_joined_must_be_a_date(broken) -> None:
    path = broken(lambda d: country(d, "Palau").update(joined="late 2023"))
    expect_error(path, "country 'Palau': field 'joined' is not a date "
                       "(YYYY, YYYY-MM or YYYY-MM-DD): 'late 2023'")


def test_notice_type_topic_must_exist(broken) -> None:
    path = broken(lambda d: d["notice_types"][0].update(topic="nope"))
    expect_error(path, "notice type 'red': topic 'nope' does not exist")


def test_crime_area_topic_must_exist(broken) -> None:
    path = broken(lambda d: d["crime_areas"][0].update(topic="nope"))
    expect_error(path, "crime area 'terrorism': topic 'nope' does not exist")


# ---- further checks ------------------------------------------------------------------

def test_common_word_alias_is_rejected(broken) -> None:
    path = broken(lambda d: country(d, "United States")["aliases"].append("us"))
    expect_error(path, "country 'United States': alias 'us' is a common English word")


def test_unknown_field_catches_typos(broken) -> None:
    path = broken(lambda d: topic(d, "ccf").update(detials="typo"))
    expect_error(path, "topic 'ccf': unknown field 'detials'")


def test_unknown_section_catches_typos(broken) -> None:
    path = broken(lambda d: d.update(topic=[]))
    expect_error(path, "unknown section 'topic'")


def test_missing_section(broken) -> None:
    path = broken(lambda d: d.pop("membership"))
    expect_error(path, "missing section 'membership'")


def test_unknown_placeholder(broken) -> None:
    path = broken(lambda d: topic(d, "ccf").update(short="We have {members} members."))
    expect_error(path, "topic 'ccf': unknown placeholder '{members}' in field 'short'")


def test_non_member_needs_a_reason(broken) -> None:
    path = broken(lambda d: country(d, "Tuvalu").pop("reason"))
    expect_error(path, "country 'Tuvalu': missing field 'reason'")


def test_territory_needs_a_member_via(broken) -> None:
    path = broken(lambda d: country(d, "Hong Kong").update(via="Chna"))
    expect_error(path, "country 'Hong Kong': field 'via' names 'Chna', which is not a member country")


def test_joined_only_for_members(broken) -> None:
    path = broken(lambda d: country(d, "Kosovo").update(joined=2018))
    expect_error(path, "country 'Kosovo': field 'joined' is only for members")


def test_invalid_status(broken) -> None:
    path = broken(lambda d: country(d, "France").update(status="observer"))
    expect_error(path, "country 'France': field 'status' must be one of member, non_member, "
                       "territory (got 'observer')")


def test_topic_listed_twice(broken) -> None:
    path = broken(lambda d: d["topics"].append(copy.deepcopy(topic(d, "ccf"))))
    expect_error(path, "topic 'ccf' is listed twice")


def test_required_topic_missing(broken) -> None:
    def edit(d: dict) -> None:
        d["topics"].remove(topic(d, "firm_services"))
        for entry in d["topics"]:
            entry["related"] = [r for r in entry.get("related", []) if r != "firm_services"]

    expect_error(broken(edit), "missing topic 'firm_services' (the assistant uses it)")


def test_source_needs_url_or_document(broken) -> None:
    path = broken(lambda d: d["sources"][0].pop("url"))
    expect_error(path, "source 'interpol_member_countries': needs a 'url' or a 'document'")


def test_ambiguous_name_candidates_must_exist(broken) -> None:
    path = broken(lambda d: d["ambiguous_names"][0].update(candidates=["Republic of the Congo", "Kongo"]))
    expect_error(path, "ambiguous name 'Congo': candidate 'Kongo' does not exist")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yml"
    expect_error(path, "file not found")


# ---- get_knowledge -----------------------------------------------------------------------

def test_get_knowledge_is_cached_and_honours_env(monkeypatch, broken) -> None:
    copy_path = broken(lambda d: topic(d, "ccf").update(title="CCF (test copy)"))
    reset_cache()
    try:
        monkeypatch.setenv("KNOWLEDGE_FILE", str(copy_path))
        first = get_knowledge()
        assert first is get_knowledge()
        assert first.topic("ccf").title == "CCF (test copy)"
        monkeypatch.delenv("KNOWLEDGE_FILE")
        assert get_knowledge().path.resolve() == DEFAULT_PATH.resolve()
    finally:
        reset_cache()


# ---- facts: one statement a question can ask for by itself --------------------------------

def test_a_topics_details_end_with_its_facts_one_paragraph_each() -> None:
    kb = load_knowledge(DEFAULT_PATH)
    overview = kb.topic("interpol_overview")
    assert overview.facts and overview.details.endswith("\n\n".join(f.text for f in overview.facts))
    founded = next(f for f in kb.facts if f.id == "founded")
    assert "1923" in founded.text and "Vienna" in founded.text
    assert founded.sources and founded.as_of and founded.topic == "interpol_overview"


def test_a_fact_without_sources_has_its_topics(broken) -> None:
    def edit(d):
        fact = topic(d, "ccf")["facts"][0]
        fact.pop("sources", None)
        fact.pop("as_of", None)
    kb = load_knowledge(broken(edit))
    ccf = kb.topic("ccf")
    assert ccf.facts[0].sources == ccf.sources and ccf.facts[0].as_of == ccf.as_of


def test_fact_ids_are_unique_in_the_file(broken) -> None:
    def edit(d):
        topic(d, "ccf")["facts"][1]["id"] = topic(d, "interpol_overview")["facts"][0]["id"]
    first = topic(yaml.load(DEFAULT_PATH.read_text(encoding="utf-8"), Loader=_LOADER), "interpol_overview")
    fact_id = first["facts"][0]["id"]
    expect_error(broken(edit), f"topic 'ccf': fact '{fact_id}' is listed twice (fact ids are unique in the file)")


def test_a_fact_needs_what_it_answers(broken) -> None:
    path = broken(lambda d: topic(d, "ccf")["facts"][0].pop("asks"))
    fact_id = topic(yaml.load(DEFAULT_PATH.read_text(encoding="utf-8"), Loader=_LOADER), "ccf")["facts"][0]["id"]
    expect_error(path, f"topic 'ccf': fact '{fact_id}': missing field 'asks'")


def test_asks_are_lowercase(broken) -> None:
    path = broken(lambda d: topic(d, "ccf")["facts"][0]["asks"].append("Postal Address"))
    fact_id = topic(yaml.load(DEFAULT_PATH.read_text(encoding="utf-8"), Loader=_LOADER), "ccf")["facts"][0]["id"]
    expect_error(path, f"topic 'ccf': fact '{fact_id}': ask 'Postal Address' must be lowercase")


def test_a_topic_needs_details_or_facts(broken) -> None:
    def edit(d):
        topic(d, "notice_red").pop("details", None)
        topic(d, "notice_red").pop("facts", None)
    expect_error(broken(edit), "topic 'notice_red': missing field 'details' (or 'facts')")


def test_the_newest_member_is_computed_from_the_countries() -> None:
    kb = load_knowledge(DEFAULT_PATH)
    newest = next(f for f in kb.facts if f.id == "newest_member")
    assert "Palau" in newest.text and "2023" in newest.text
