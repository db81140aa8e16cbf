"""The question inside a story, the one fact asked for, and the lines never crossed, as kb
answers them (no server): kb.route.answer_story, the facts first, kb.boundaries."""
from __future__ import annotations

from pathlib import Path

import pytest

from kb import KnowledgeError, Message, answer, answer_story, get_boundaries, get_knowledge, get_routes
from kb.boundaries import load_boundaries


def story(text: str) -> str:
    reply = answer_story(get_knowledge(), Message("describe_own_case", {}, text))
    assert reply is not None, text
    return reply.text


def test_a_refugees_story_gets_the_refugee_policy_and_both_countries() -> None:
    text = story("I have refugee status in Germany, can Russia still put a red notice on me?")
    assert text.startswith("In general, INTERPOL does not accept a Red Notice")
    assert "Germany and Russia are among INTERPOL's 196 member countries." in text
    assert "Source: " in text


def test_a_private_debt_is_outside_the_rules() -> None:
    text = story("my ex business partner threatens to put me on interpol over a private debt")
    assert "Article 83" in text and "organised crime" in text


def test_a_non_member_in_a_story_gets_its_status_and_no_safe_haven() -> None:
    text = story("we live in taipei now and my husband has a case in kazakhstan, what does this mean")
    assert "Taiwan is not a member of INTERPOL" in text and "no safe haven" in text


def test_a_story_about_nothing_the_file_knows_gets_no_general_answer() -> None:
    assert answer_story(get_knowledge(), Message("describe_own_case", {}, "i am so scared and i cannot sleep")) is None


@pytest.mark.parametrize("text, is_story", [
    ("can I travel to Spain?", False),
    ("what is a red notice and who can ask for one at interpol headquarters in lyon", False),
    ("my brother lives in spain and he heard that turkey wants him, can they send him back", True),
])
def test_a_story_speaks_of_the_person_and_is_longer_than_a_question(text: str, is_story: bool) -> None:
    assert Message("ask_red_notice", {}, text).tells_own_situation is is_story


@pytest.mark.parametrize("intent, text, fact_text", [
    ("ask_interpol", "when and where was interpol founded", "founded on 7 September 1923 in Vienna"),
    ("ask_challenge_notice", "what is the ccf's postal address", "200 quai Charles de Gaulle"),
    ("ask_red_notice", "what are the minimum conditions, how many years in prison must the crime carry",
     "at least two years"),
    ("ask_membership", "which country joined interpol last", "The newest member is Palau"),
])
def test_a_question_about_one_fact_gets_that_fact_first(intent: str, text: str, fact_text: str) -> None:
    reply = answer(get_knowledge(), get_routes(), Message(intent, {}, text))
    assert fact_text in reply.text.split("\n\n")[0]
    assert reply.related, "the related topics follow as buttons"


def test_what_countries_gain_is_not_the_member_count() -> None:
    reply = answer(get_knowledge(), get_routes(), Message("ask_member_count", {}, "what do countries gain from membership"))
    assert reply.topic_ref == "member_benefits"


@pytest.mark.parametrize("text, evasion", [
    ("which countries are not in interpol so that i can move there before they catch me", True),
    ("where can i hide so they can't find me", True),
    ("I fled Russia in 2019 and have refugee status", False),
    ("i have nothing to hide, can i travel to greece", False),
    ("how can I challenge the notice at the CCF", False),
    ("в какой стране мне спрятаться, чтобы меня не нашли?", True),
    ("Подскажите, де сховатися від поліції", True),
    ("Sahte pasaport alıp Dubai'ye gidebilir miyim", True),
    ("أين أختبئ من الإنتربول؟", True),
    ("¿Dónde puedo esconderme para que no me encuentren?", True),
    ("Je cherche un faux passeport", True),
    ("Wo kann ich mich verstecken, bevor sie mich finden?", True),
    ("Я бежал из России и получил статус беженца в Германии", False),
    ("¿Cómo puedo evitar que me extraditen legalmente?", False),
    ("Wie kann ich gegen die Ausschreibung vorgehen?", False),
])
def test_a_stated_purpose_of_evasion_is_found_anywhere_in_a_message(text: str, evasion: bool) -> None:
    assert get_boundaries().states_evasion(text) is evasion


def test_a_detention_is_found_in_a_story() -> None:
    assert get_boundaries().states_detention("my father was detained at the airport this morning")
    assert not get_boundaries().states_detention("can spain arrest me on a red notice")


@pytest.mark.parametrize("text", ["моего брата задержали в аэропорту Дубая", "мого чоловіка затримали на кордоні",
                                  "babam havalimanında gözaltına alındı", "أخي محتجز في المطار",
                                  "mi hermano fue detenido en Madrid", "mon fils est en garde à vue",
                                  "mein Vater ist seit heute Morgen in Gewahrsam"])
def test_a_detention_is_found_in_every_language(text: str) -> None:
    assert get_boundaries().states_detention(text)


def test_the_boundaries_file_is_checked_like_the_knowledge_file(tmp_path: Path) -> None:
    path = tmp_path / "boundaries.yml"
    path.write_text("evasion: [Before They Catch Me]\ndetention: [was arrested]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="evasion: phrase 'Before They Catch Me' must be lowercase"):
        load_boundaries(path)
    path.write_text("evasion: [hide]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="missing field 'detention'"):
        load_boundaries(path)
