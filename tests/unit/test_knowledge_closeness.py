"""A message's meaning answers where the knowledge file's phrases find nothing (kb.Closeness,
rasa_server/nlu/knowledge_closeness.py), with the real encoder and no server; where the
phrases find something, they still decide."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message as NluMessage
from rasa.shared.exceptions import InvalidConfigException

from kb import Message, answer, answer_by_words, answer_story, get_knowledge, get_routes
from kb.retrieve import Closeness
from rasa_server.nlu.knowledge_closeness import KnowledgeClosenessAnnotator
from rasa_server.nlu.muse import shared_encoder


@functools.lru_cache(maxsize=1)
def annotator() -> KnowledgeClosenessAnnotator:
    """Built once: it embeds the knowledge file in every language (about a second)."""
    return KnowledgeClosenessAnnotator(KnowledgeClosenessAnnotator.get_default_config())


def closeness(text: str) -> Closeness:
    return annotator().meanings.closeness(shared_encoder(1).encode([text], batch_size=1)[0])


def first_paragraph(intent: str, text: str, with_meaning: bool = True) -> str:
    message = Message(intent, {}, text, closeness=closeness(text) if with_meaning else Closeness())
    return answer(get_knowledge(), get_routes(), message).text.split("\n\n")[0]


@pytest.mark.parametrize("intent, text, fact_text", [
    ("ask_interpol", "In welchem Jahr wurde Interpol gegründet?", "founded on 7 September 1923 in Vienna"),
    ("ask_challenge_notice", "Auf welcher Adresse schickt man einen Brief an die Kommission?", "200 quai Charles de Gaulle"),
    ("ask_challenge_notice", "In welchen Sprachen darf ich an die Kommission schreiben?", "four official languages"),
])
def test_a_fact_asked_in_words_no_phrase_lists_is_found_by_its_meaning(intent: str, text: str, fact_text: str) -> None:
    assert fact_text in first_paragraph(intent, text)
    assert fact_text not in first_paragraph(intent, text, with_meaning=False), "the phrases alone miss it"


def test_a_general_question_lies_nearer_its_topic_than_any_fact() -> None:
    assert closeness("what is interpol").nearest_fact(get_knowledge()) is None
    overview = first_paragraph("ask_interpol", "what is interpol", with_meaning=False)
    assert first_paragraph("ask_interpol", "what is interpol") == overview


@pytest.mark.parametrize("intent, text", [
    ("ask_challenge_notice", "what is the ccf"),
    ("ask_interpol", "does interpol handle political cases?"),  # a related topic's words: Article 3
])
def test_the_phrases_decide_when_they_name_a_topic(intent: str, text: str) -> None:
    assert first_paragraph(intent, text) == first_paragraph(intent, text, with_meaning=False)


def test_a_story_no_phrase_matches_gets_the_topic_its_meaning_is_near() -> None:
    text = ("mein mann hat vor einem jahr an die kommission geschrieben und wir haben bis heute keine antwort "
            "bekommen, wie lange dauert so etwas normalerweise")
    kb = get_knowledge()
    assert answer_story(kb, Message("describe_own_case", {}, text)) is None, "the phrases alone find nothing"
    reply = answer_story(kb, Message("describe_own_case", {}, text, closeness=closeness(text)))
    assert reply is not None and reply.text.startswith("In general")
    assert reply.topic_ref == "ccf_duration" and "within four months" in reply.text


def test_nothing_near_leaves_a_story_with_the_reply_about_the_own_case() -> None:
    text = "i am scared and i cannot sleep since my father called me last night"
    assert closeness(text) == Closeness()
    assert answer_story(get_knowledge(), Message("describe_own_case", {}, text, closeness=closeness(text))) is None


def test_a_message_the_nlu_did_not_understand_gets_the_fact_it_means() -> None:
    kb = get_knowledge()
    text = "Welche offiziellen Sprachen hat Interpol?"
    assert answer_by_words(kb, Message("nlu_fallback", {}, text)) is None, "the phrases alone find nothing"
    reply = answer_by_words(kb, Message("nlu_fallback", {}, text, closeness=closeness(text)))
    assert reply is not None and "Arabic, English, French and Spanish" in reply.text


@pytest.mark.parametrize("text", ["tell me a joke", "asdf qwer zxcv", "Wie ist das Wetter heute?", "Расскажи анекдот"])
def test_what_has_nothing_to_do_with_interpol_is_still_asked_again(text: str) -> None:
    assert answer_by_words(get_knowledge(), Message("nlu_fallback", {}, text, closeness=closeness(text))) is None


def test_a_fact_counts_only_when_nearer_than_its_topic_and_the_asked_topic() -> None:
    kb = get_knowledge()
    assert Closeness(topics={"interpol_overview": 0.5}, facts={"founded": 0.6}).nearest_fact(kb).id == "founded"
    assert Closeness(topics={"interpol_overview": 0.7}, facts={"founded": 0.6}).nearest_fact(kb) is None
    assert Closeness(topics={"ccf": 0.7}, facts={"founded": 0.6}).nearest_fact(kb, than_topics=["ccf"]) is None
    assert Closeness(facts={"no_such_fact": 0.9}).nearest_fact(kb) is None, "a fact the file no longer has"


def test_the_annotator_puts_the_closeness_in_the_parse_data() -> None:
    text = "In welchem Jahr wurde Interpol gegründet?"
    message = NluMessage(data={TEXT: text})
    vector = shared_encoder(1).encode([text], batch_size=1)[0] * 5  # the featurizer scales it
    message.add_features(Features(vector[None, :], "sentence", TEXT, "muse"))
    blank = NluMessage(data={TEXT: ""})
    annotator().process([message, blank])
    found = Closeness.from_parse_data(message.as_dict(only_output_properties=True))
    assert found == closeness(text) and "founded" in found.facts
    assert Closeness.PARSE_DATA_KEY not in blank.as_dict(), "no features, no closeness"
    assert np.isclose(found.facts["founded"], closeness(text).facts["founded"])


@pytest.mark.parametrize("config", [{"min_cosine": 2, "limit": 5}, {"min_cosine": 0.35, "limit": 0},
                                    {"min_cosine": "near", "limit": 5}])
def test_the_annotator_refuses_a_useless_setting(config: dict) -> None:
    with pytest.raises(InvalidConfigException):
        KnowledgeClosenessAnnotator.validate_config(config)


def test_looking_only_at_the_near_texts_finds_what_looking_at_all_finds() -> None:
    """The speed-up of KnowledgeMeanings.closeness against the loop over every text it replaced."""
    meanings = annotator().meanings

    def over_every_text(vector: np.ndarray) -> Closeness:
        cosines = meanings.vectors @ (vector / float(np.linalg.norm(vector)))
        best: dict = {}
        for key, cosine in zip(meanings.keys, cosines.tolist()):
            if cosine >= meanings.min_cosine and cosine > best.get(key, -1.0):
                best[key] = cosine
        found: dict = {"topics": {}, "facts": {}}
        for (kind, item_id), cosine in sorted(best.items(), key=lambda item: -item[1]):
            if len(found[kind]) < meanings.limit:
                found[kind][item_id] = round(cosine, 4)
        return Closeness(topics=found["topics"], facts=found["facts"])

    texts = ["can russia put a red notice on a refugee", "¿Cuál es la dirección de la Comisión?",
             "Чи можна подорожувати з червоним оповіщенням", "my cat likes fish", "قائمة الدول الأعضاء",
             "Kann ich nach Spanien reisen?", "Kırmızı bülten ne kadar sürer", "hello"]
    vectors = shared_encoder(1).encode(texts, batch_size=1)
    results = [meanings.closeness(vector) for vector in vectors]
    assert results == [over_every_text(vector) for vector in vectors]
    assert sum(bool(result.topics) for result in results) >= 4
