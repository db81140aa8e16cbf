"""The routes file (knowledge/routes.yml) and the one call that answers a message with it.

A broken routes file is reported like a broken knowledge file: file, intent, field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb import Knowledge, KnowledgeError, Message, answer, load_knowledge, load_routes
from kb.loader import DEFAULT_PATH
from kb.routes import DEFAULT_ROUTES_PATH


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge(DEFAULT_PATH)


@pytest.fixture(scope="module")
def routes(kb: Knowledge) -> dict:
    return load_routes(DEFAULT_ROUTES_PATH, kb)


def ask(kb: Knowledge, routes: dict, intent: str, text: str = "", last_topic: str | None = None,
        **entities: str):
    return answer(kb, routes, Message(intent, entities, text, last_topic))


# ---- answering ------------------------------------------------------------------------

def test_every_route_answers(kb: Knowledge, routes: dict) -> None:
    for intent in routes:
        if intent not in ("choose_topic", "inform"):
            assert ask(kb, routes, intent, "tell me") is not None, intent


def test_entity_wins_over_the_default_topic(kb: Knowledge, routes: dict) -> None:
    assert ask(kb, routes, "ask_crimes", "mafia?", crime_area="organised_crime").topic_ref == "organised_crime"
    assert ask(kb, routes, "ask_crimes", "what crimes?").topic_ref == "crime_areas"
    assert ask(kb, routes, "ask_notice", "the yellow one", notice_type="yellow").topic_ref == "notice_yellow"


def test_membership_finds_a_country_in_the_words_else_the_general_answer(kb: Knowledge, routes: dict) -> None:
    assert ask(kb, routes, "ask_membership", "is kosovo a member?").topic_ref == "country:Kosovo"
    assert ask(kb, routes, "ask_membership", "how does membership work?").topic_ref == "membership"


def test_a_related_topic_wins_when_its_keywords_fit_better(kb: Knowledge, routes: dict) -> None:
    reply = ask(kb, routes, "ask_red_notice", "what are the criteria for a red notice?")
    assert reply.topic_ref == "red_notice_criteria"


def test_computed_answers(kb: Knowledge, routes: dict) -> None:
    assert "193" in ask(kb, routes, "ask_member_count", "how many members?").text
    assert "Tuvalu" in ask(kb, routes, "ask_non_members", "who is not in it?").text


def test_follow_ups_read_the_last_answer(kb: Knowledge, routes: dict) -> None:
    assert ask(kb, routes, "inform", "and Serbia?", "country:Kosovo", country="Serbia").topic_ref == "country:Serbia"
    assert ask(kb, routes, "inform", "and the blue one?", "notice_red", notice_type="blue").topic_ref == "notice_blue"
    detail = ask(kb, routes, "inform", "tell me more", "ccf")
    assert detail.text == f"{kb.topic('ccf').short}\n\n{kb.topic('ccf').details}"
    assert ask(kb, routes, "inform", "tell me more", "country:Serbia") is None
    assert ask(kb, routes, "inform", "tell me more") is None


def test_unrouted_intent_and_button_without_topic_get_nothing(kb: Knowledge, routes: dict) -> None:
    assert ask(kb, routes, "greet", "hello") is None
    assert ask(kb, routes, "choose_topic", "") is None
    assert ask(kb, routes, "choose_topic", "", topic="ccf").topic_ref == "ccf"


# ---- the file's checks ----------------------------------------------------------------

def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "routes.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"topic": "fees"}, "intent 'ask_cost': field 'topic': topic 'fees' does not exist in "
                            "knowledge/interpol.yml"),
        ({"topc": "ccf"}, "intent 'ask_cost': unknown field 'topc'"),
        ({"entities": ["city"]}, "intent 'ask_cost': field 'entities': unknown value 'city' "
                                 "(one of: country, notice_type, crime_area, topic)"),
        ({"answer": "fees"}, "intent 'ask_cost': field 'answer': unknown value 'fees' "
                             "(one of: member_count, non_members)"),
        ({"answer": "member_count", "topic": "ccf"},
         "intent 'ask_cost': fields 'answer' and 'topic' exclude each other"),
        ({"during_form": False}, "intent 'ask_cost': needs one of the fields 'entities', "
                                 "'answer', 'topic', 'last_topic'"),
        ({"topic": "ccf", "during_form": "no"}, "intent 'ask_cost': field 'during_form' must be "
                                                "true or false"),
        ("ccf", "intent 'ask_cost': must be a mapping of fields"),
    ],
)
def test_broken_route_names_file_intent_and_field(kb: Knowledge, tmp_path: Path, route, message: str) -> None:
    path = write(tmp_path, {"ask_interpol": {"topic": "interpol_overview"}, "ask_cost": route})
    with pytest.raises(KnowledgeError) as caught:
        load_routes(path, kb)
    assert str(caught.value) == f"{path}: {message}"


def test_routes_file_that_is_not_a_mapping(kb: Knowledge, tmp_path: Path) -> None:
    path = write(tmp_path, ["ask_cost"])
    with pytest.raises(KnowledgeError) as caught:
        load_routes(path, kb)
    assert str(caught.value) == f"{path}: not valid YAML (line 1): the file must be a mapping of intents"


def test_missing_routes_file(kb: Knowledge, tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as caught:
        load_routes(tmp_path / "nope.yml", kb)
    assert str(caught.value) == f"{tmp_path / 'nope.yml'}: file not found"


def test_the_phrases_normalised_once_score_as_normalised_each_time(kb: Knowledge,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """kb/retrieve.py keeps the phrases' keys (11 -> 0.7 ms a message): same topics, facts, scores."""
    from kb import retrieve
    from kb.localize import in_language
    from kb.text import normalize

    dev = Path(__file__).resolve().parents[1] / "answers" / "dev"
    texts = [item["text"] for name in ("stories_dev.yml", "stories_dev2.yml")
             for key in ("messages", "facts") for item in yaml.safe_load((dev / name).read_text(encoding="utf-8")).get(key) or []]
    assert len(texts) > 200
    kept = {(lang, text): retrieve.topics_in_text(in_language(kb, lang), text)
            for lang in ("en", "ru", "es") for text in texts}
    monkeypatch.setattr(retrieve, "_phrase_key", normalize)
    again = {key: retrieve.topics_in_text(in_language(kb, key[0]), key[1]) for key in kept}
    assert again == kept
    assert sum(bool(hits) for hits in kept.values()) > len(kept) / 3
