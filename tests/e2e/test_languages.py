"""The assistant in the person's language, over the REST webhook: the disclosure and the answers
in the language they write, the emergency line first for someone detained, the consultation
request in Russian and in Arabic, a switch of language mid-conversation, and a partner system
naming the language in the metadata.

What the replies must say is read from the knowledge base and the translations (kb.localize,
i18n), not typed here: the test checks that the person gets the text of their language. The
messages are ours, written for these tests; none is in the held-out sets of tests/nlu/.
"""
from __future__ import annotations

import re
from typing import Dict, List

import pytest

from firm import get_settings, response_variables
from i18n import get_catalog
from intake.store import open_store
from kb import Message, answer, get_knowledge, get_routes
from kb.localize import in_language
from ops.stack import Stack
from tests.chat import Chat

REFERENCE = re.compile(r"\bIC-[A-Z0-9]{4}-[A-Z0-9]{4}\b")

# (is Serbia a member?, what is a Red Notice?, someone is detained now)
MESSAGES: Dict[str, tuple[str, str, str]] = {
    "uk": ("Чи є Сербія членом Інтерполу?", "Поясніть, будь ласка, що таке червоне повідомлення Інтерполу",
           "Мого брата щойно затримали в аеропорту, що робити?"),
    "ru": ("Является ли Сербия членом Интерпола?", "Объясните, пожалуйста, что такое красное уведомление Интерпола",
           "Моего мужа только что задержали в аэропорту, помогите!"),
    "tr": ("Sırbistan Interpol üyesi mi?", "Interpol kırmızı bülteni nedir, açıklar mısınız?",
           "Kardeşim şu anda havalimanında gözaltına alındı, ne yapmalıyız?"),
    "ar": ("هل صربيا عضو في الإنتربول؟", "ما هي النشرة الحمراء للإنتربول؟ أرجو التوضيح",
           "تم اعتقال أخي الآن في المطار، ماذا أفعل؟"),
    "es": ("¿Serbia es miembro de Interpol?", "¿Qué es una notificación roja de Interpol?",
           "Acaban de detener a mi hermano en el aeropuerto, ¿qué hacemos?"),
    "fr": ("La Serbie est-elle membre d'Interpol ?", "Pouvez-vous m'expliquer ce qu'est une notice rouge d'Interpol ?",
           "Mon frère vient d'être arrêté à l'aéroport, que faire ?"),
    "de": ("Ist Serbien Mitglied von Interpol?", "Können Sie mir erklären, was eine Rote Ausschreibung von Interpol ist?",
           "Mein Bruder wurde gerade am Flughafen festgenommen, was sollen wir tun?"),
}


def localized(language: str, response: str) -> str:
    """A domain response as the person reads it in ``language``, the firm's details filled in."""
    text = get_catalog().text(language, f"responses.{response}.0.text")
    for name, value in response_variables().items():
        text = text.replace("{" + name + "}", value)
    return text


def texts(replies: List[dict]) -> List[str]:
    return [reply.get("text", "") for reply in replies]


@pytest.mark.parametrize("language", sorted(MESSAGES))
def test_membership_in_the_language_written(chat: Chat, language: str) -> None:
    replies = texts(chat.say(MESSAGES[language][0]))
    assert replies[0] == localized(language, "utter_disclosure"), replies
    kb = in_language(get_knowledge(), language)
    expected = answer(kb, get_routes(), Message("ask_membership", {"country": "Serbia"}, "")).text
    assert expected in replies[1:], replies
    assert kb.country("Serbia").label in expected  # the country's name in the language (CLDR)


@pytest.mark.parametrize("language", sorted(MESSAGES))
def test_red_notice_in_the_language_written(chat: Chat, language: str) -> None:
    chat.say(MESSAGES[language][0])
    reply = chat.text(MESSAGES[language][1])
    red = in_language(get_knowledge(), language).topic("notice_red").short
    assert red in reply, reply


@pytest.mark.parametrize("language", sorted(MESSAGES))
def test_detained_now_gets_the_emergency_line_first_in_the_language(chat: Chat, language: str) -> None:
    replies = texts(chat.say(MESSAGES[language][2]))
    assert replies[0] == localized(language, "utter_disclosure")
    assert replies[1] == localized(language, "utter_urgent"), replies
    assert get_settings().firm.emergency_phone in replies[1]


def test_the_examples_of_the_issue(chat: Chat) -> None:
    """The messages the issue was opened with, each in a new conversation."""
    for language, message, country, status in (("ru", "Входит ли Сербия в Интерпол?", "Serbia", "member"),
                                               ("ar", "هل تايوان عضو في الإنتربول؟", "Taiwan", "non_member")):
        replies = texts(Chat(chat.rasa_url).say(message))
        kb = in_language(get_knowledge(), language)
        assert replies[1].startswith(kb.say(f"answers.status_{status}")), replies
        assert kb.country(country).label in replies[1]
    for language, message in (("es", "¿Qué es una notificación azul?"), ("tr", "Mavi bülten ne anlama geliyor?")):
        reply = "\n".join(texts(Chat(chat.rasa_url).say(message))[1:])
        assert in_language(get_knowledge(), language).topic("notice_blue").short in reply, reply


def test_a_fact_asked_in_another_language_gets_that_fact_by_its_meaning(chat: Chat) -> None:
    """No English phrase of the knowledge file is in these words: the NLU's closeness of their
    meaning to the facts (rasa_server/nlu/knowledge_closeness.py) finds the one asked for."""
    kb = in_language(get_knowledge(), "de")
    for message, fact in (("Auf welcher Adresse schickt man einen Brief an die Kommission?", "ccf_address"),
                          ("In welchem Jahr wurde Interpol gegründet?", "founded")):
        reply = "\n".join(texts(Chat(chat.rasa_url).say(message))[1:])
        text = next(f.text for f in kb.facts if f.id == fact)
        assert reply.startswith(text), reply


# The consultation request, step by step: (what the person types, the response asked next).
def consultation_steps(language: str) -> List[tuple[str, str]]:
    words = {
        "ru": ("Я хочу записаться на консультацию к юристу", "Мария Иванова", "Я сейчас в Германии",
               "Россия", "Тревожусь, что меня задержат при поездке."),
        "ar": ("أريد حجز استشارة مع محام من فضلكم", "فاطمة الزهراء", "أنا الآن في ألمانيا",
               "مصر", "أخشى أن يتم توقيفي في المطار."),
    }[language]
    return [
        (words[0], "utter_privacy_consent_question"),
        ("/affirm", "utter_ask_full_name"),
        (words[1], "utter_ask_contact"),
        ("maria@example.com", "utter_ask_current_country"),
        (words[2], "utter_ask_issuing_country"),
        (words[3], "utter_ask_problem_type"),
        ('/inform{"problem_type":"red_notice"}', "utter_ask_language"),
        ('/inform{"language":"Russian"}', "utter_ask_description"),
        (words[4], ""),
        ("/affirm", "utter_request_submitted"),
    ]


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_a_consultation_request_in_the_persons_language(stack: Stack, chat: Chat, language: str) -> None:
    catalog = get_catalog()
    chat.say(MESSAGES[language][0])
    reply = ""
    for typed, response in consultation_steps(language):
        reply = chat.text(typed)
        if response == "utter_request_submitted":
            break
        if response:
            question = catalog.text(language, f"responses.{response}.0.text").split("{")[0].strip()
            assert question[:40] in reply, (typed, reply)
        else:
            assert catalog.say(language, "form.check_request") in reply, reply
            assert in_language(get_knowledge(), language).country("Germany").label in reply
    reference = REFERENCE.search(reply)
    assert reference is not None, reply
    submitted = catalog.text(language, "responses.utter_request_submitted.0.text").split("{")[0].strip()
    assert submitted in reply
    stored = open_store(f"sqlite:///{stack.run_dir / 'intake.db'}").get(reference.group(0))
    assert stored is not None
    assert stored.chat_language == language
    assert (stored.current_country, stored.issuing_country) == ("Germany", {"ru": "Russia", "ar": "Egypt"}[language])
    assert stored.description == consultation_steps(language)[8][0]  # the person's own words
    assert "Chat language: " in stored.summary and "Currently in: Germany" in stored.summary


def test_the_language_can_be_changed_mid_conversation(chat: Chat) -> None:
    chat.say(MESSAGES["ru"][0])
    switched = texts(chat.say("Можно по-английски, пожалуйста?"))
    assert switched[0] == localized("en", "utter_language_changed"), switched
    english = chat.text("what is a red notice?")
    assert get_knowledge().topic("notice_red").short in english
    # The language button lists the languages by their own names; a choice switches.
    buttons = Chat.buttons(chat.say("/choose_language"))
    assert {"Українська", "Русский", "Türkçe", "العربية", "Español", "Français", "Deutsch", "English"} <= set(buttons)
    assert texts(chat.say('/change_language{"reply_language":"de"}'))[0] == localized("de", "utter_language_changed")
    # "ok" is too short to tell a language: the conversation stays German.
    german = {localized("de", name) for name in get_catalog().english_responses()}
    assert set(texts(chat.say("ok"))) <= german


def test_a_partner_names_the_language_in_the_metadata(chat: Chat) -> None:
    replies = texts(chat.say("Serbia?", metadata={"language": "fr"}))
    assert replies[0] == localized("fr", "utter_disclosure")
    kb = in_language(get_knowledge(), "fr")
    assert any(kb.country("Serbia").label in reply for reply in replies[1:]), replies


def test_the_widget_page_offers_every_language_and_its_own_fonts(stack: Stack) -> None:
    import json
    import urllib.request

    def get(path: str) -> tuple[str, bytes]:
        with urllib.request.urlopen(f"{stack.widget_url.rstrip('/')}{path}", timeout=30) as response:
            return response.headers.get("Content-Type", ""), response.read()

    _, config = get("/config.js")
    settings = json.loads(config.decode().split("Object.freeze(", 1)[1].rsplit(");", 1)[0])
    languages = {language["code"]: language for language in settings["languages"]}
    assert list(languages) == list(get_settings().conversation.languages)
    assert languages["ar"]["dir"] == "rtl" and languages["uk"]["dir"] == "ltr"
    assert languages["ar"]["texts"]["quick_exit"] == get_catalog().say("ar", "widget.quick_exit")
    _, bundle = get("/vendor/rasa-webchat.js")
    assert b"fonts.googleapis.com" not in bundle  # the page never asks Google Fonts
    for font in ("noto-sans-cyrillic-400-normal.woff2", "noto-sans-arabic-arabic-400-normal.woff2"):
        kind, body = get(f"/fonts/{font}")
        assert kind == "font/woff2" and body[:4] == b"wOF2", font
