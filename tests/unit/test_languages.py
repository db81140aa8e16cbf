"""The languages without a server: detection, the catalog and its worksheets, countries and
notices in the person's words, the knowledge base and the form's checks in another language."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from firm import get_settings
from i18n import get_catalog
from i18n.catalog import Catalog
from i18n.detect import detect, everyday_words, named_language, reply_language
from i18n.responses import translate_response
from i18n.sources import fingerprint
from i18n.worksheet import export, import_sheet
from intake import validation
from kb import Message, answer, get_knowledge, get_routes
from kb.country_names import CountryFinder
from kb.localize import in_language

ENABLED = get_settings().conversation.languages


@pytest.mark.parametrize("text, language", [
    ("Входит ли Сербия в Интерпол?", "ru"),
    ("Чи входить Сербія до Інтерполу?", "uk"),
    ("هل تايوان عضو في الإنتربول؟", "ar"),
    ("Mavi bülten ne anlama geliyor?", "tr"),
    ("¿Qué es una notificación azul?", "es"),
    ("qu'est-ce qu'une notice rouge", "fr"),
    ("was ist eine rote Ausschreibung", "de"),
    ("my brother was arrested in dubai yesterday", "en"),
])
def test_the_language_a_message_is_written_in(text: str, language: str) -> None:
    assert detect(text, ENABLED) == language


@pytest.mark.parametrize("text", ["ok", "да", "merci", "👍", ""])
def test_a_message_too_short_to_tell_keeps_the_conversations_language(text: str) -> None:
    assert detect(text, ENABLED) is None
    assert reply_language(text, ENABLED) is None


@pytest.mark.parametrize("text", ["xqzt vlorp mnnn", "plok brrzt qqq", "interpol red notice Kazakhstan"])
def test_gibberish_or_bare_names_keep_the_conversations_language(text: str) -> None:
    """langid.py alone read the first as German: the person got German after writing nonsense."""
    assert detect(text, ENABLED) is None


@pytest.mark.parametrize("text", ["is Türkiye a member?", "is Côte d'Ivoire a member?",
                                  "my brother lives in München now", "what about Curaçao and Aruba"])
def test_an_english_question_naming_a_place_in_its_own_spelling_stays_english(text: str) -> None:
    assert detect(text, ENABLED) == "en"


@pytest.mark.parametrize("text", ["zarina.9c163d5525@example.org", "jean-luc.ce1a@exemple.fr",
                                  "https://www.interpol.int/fr/Notices", "dossier 2023/4411-c-d"])
def test_an_address_a_link_or_a_file_number_keeps_the_conversations_language(text: str) -> None:
    """The form's e-mail answer once turned an English conversation French (CI, 2026-12-04)."""
    assert detect(text, ENABLED) is None


def test_a_turkish_capital_dotted_i_is_read_as_a_letter_not_as_english_i() -> None:
    assert detect("İspanya polisi kardeşimi aradı", ENABLED) == "tr"


def test_a_word_listed_under_two_languages_is_refused(tmp_path) -> None:
    words = tmp_path / "everyday_words.yml"
    words.write_text("en: [the, die]\nde: [der, die]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"'die' is listed under both 'en' and 'de'"):
        everyday_words(words)


def test_a_switched_off_language_is_never_chosen() -> None:
    assert detect("Входит ли Сербия в Интерпол?", ("en", "uk")) != "ru"
    assert detect("هل تايوان عضو في الإنتربول؟", ("en", "ru")) is None


def test_asking_for_a_language_wins_over_the_language_written() -> None:
    assert reply_language("отвечайте, пожалуйста, по-английски", ENABLED, asked_for="English") == "en"
    assert reply_language("hello there, how are you", ENABLED, given="ar") == "ar"


@pytest.mark.parametrize("text, language", [
    ("по-английски пожалуйста", "en"), ("відповідайте українською", "uk"), ("на русском можно?", "ru"),
    ("İngilizce yazar mısın", "en"), ("بالعربية من فضلك", "ar"), ("en español por favor", "es"),
    ("auf Deutsch bitte", "de"), ("en français svp", "fr"),
])
def test_a_language_is_understood_by_its_name_in_any_language(text: str, language: str) -> None:
    assert named_language(text, ENABLED) == language


@pytest.mark.parametrize("text, countries", [
    ("я живу в Испании, а меня ищет Казахстан", ["Spain", "Kazakhstan"]),
    ("Я зараз у Німеччині", ["Germany"]),
    ("Azerbaycan'danım, Almanya'da yaşıyorum", ["Azerbaijan", "Germany"]),
    ("أنا بألمانيا والسعودية تطلبني", ["Germany", "Saudi Arabia"]),
    ("menya zaderzhali v gruzii", ["Georgia"]),
    ("ich bin in Oesterreich", ["Austria"]),
    ("ist Palästina Mitglied", ["State of Palestine"]),
    ("в ОАЭ, в Дубае", ["United Arab Emirates", "United Arab Emirates"]),
])
def test_countries_are_found_as_people_write_them(text: str, countries: list[str]) -> None:
    finder = CountryFinder(get_knowledge().countries, ENABLED)
    assert [found.name for found in finder.find(text)] == countries


@pytest.mark.parametrize("text", ["того я не знаю", "mali suç nedir", "видаліть мої дані", "Fransızca lütfen",
                                  "je suis ukrainien", "с самого начала"])
def test_look_alike_words_are_no_country(text: str) -> None:
    assert CountryFinder(get_knowledge().countries, ENABLED).find(text) == []


def test_the_knowledge_base_in_another_language_keeps_every_fact() -> None:
    english, russian = get_knowledge(), in_language(get_knowledge(), "ru")
    assert russian.member_count == english.member_count and set(russian.topics) == set(english.topics)
    assert russian.country("Serbia").label == "Сербия"  # CLDR, not typed here
    reply = answer(russian, get_routes(), Message("ask_member_count", {}, ""))
    assert str(english.member_count) in reply.text and "North Korea" not in reply.text
    assert russian.label_in_text("notice_type", "что значит синего уведомления") == "blue"
    assert in_language(get_knowledge(), "tr").label_in_text("notice_type", "Mavi bülten ne demek") == "blue"


def test_a_missing_translation_is_given_in_english_and_said_so(tmp_path: Path) -> None:
    catalog = Catalog()
    key = "responses.utter_goodbye.0.text"
    response = translate_response(catalog, {"text": catalog.english[key]}, "utter_goodbye", 0, "xx", ENABLED)
    assert response["text"].startswith(catalog.english[key])
    assert catalog.say("xx", "answers.in_english", language="xx") in response["text"]
    translated = translate_response(catalog, {"text": "-"}, "utter_goodbye", 0, "uk", ENABLED)
    assert translated["text"] == catalog.text("uk", key) and "\n" not in translated["text"]


def test_the_language_button_is_titled_in_every_language() -> None:
    menu = get_catalog()
    response = translate_response(menu, {"text": "x", "buttons": [{"title": "Language", "payload": "/choose_language"}]},
                                  "utter_menu", 0, "ru", ENABLED)
    title = response["buttons"][0]["title"]
    assert title.startswith("🌐") and all(menu.text(code, "responses.button.language") in title for code in ENABLED)


def test_the_worksheet_refuses_a_changed_placeholder_or_number(tmp_path: Path) -> None:
    catalog = Catalog()
    sheet = yaml.safe_load(export(catalog, "uk"))
    sheet["entries"]["knowledge.facts.founded"]["text"] = "Інтерпол заснований 7 вересня 1932 року у Відні."
    sheet["entries"]["messages.answers.in_general"]["text"] = "Загалом: {txt}"
    path = tmp_path / "sheet.yml"
    path.write_text(yaml.safe_dump(sheet, allow_unicode=True), encoding="utf-8")
    root = tmp_path / "project"
    for name in ("knowledge", "locales"):
        (root / name).mkdir(parents=True)
    for name in ("knowledge/interpol.yml", "domain.yml", "firm.yml", "locales/en.yml"):
        (root / name).write_bytes((Path(catalog.root) / name).read_bytes())
    written, problems = import_sheet(Catalog(root), "uk", path)
    assert any("knowledge.facts.founded: numbers of the English missing: ['1923']" in p for p in problems)
    assert any("messages.answers.in_general: placeholders differ" in p for p in problems)
    entries = yaml.safe_load(written.read_text(encoding="utf-8"))["entries"]
    assert "knowledge.facts.founded" not in entries  # never a wrong fact: the English is shown
    good = entries["knowledge.topics.interpol_overview.title"]
    assert good["review"] == "draft" and good["of"] == fingerprint(catalog.english["knowledge.topics.interpol_overview.title"])


def test_the_forms_checks_speak_the_persons_language() -> None:
    assert validation.validate_full_name("", "ru").error == get_catalog().say("ru", "validation.name_missing")
    checked = validation.validate_contact("abc", language="ar")
    assert checked.error == validation.say("ar", "contact_missing") and "name@example.com" in checked.error
    russian_only = validation.skip_words("ru") - set(get_settings().intake.skip_words)
    assert russian_only, "no Russian skip word"
    assert validation.validate_description(sorted(russian_only)[0], language="ru").value == ""
    red = get_settings().problem_type("red_notice")
    assert validation.validate_problem_type(validation.problem_label(red, "de"), language="de").value == "red_notice"


@pytest.mark.parametrize("among", [("en", "de"), ("tr", "es", "fr"), ("en", "tr", "es", "fr", "de"), ("ru", "uk")])
def test_the_models_choice_among_some_languages_is_that_of_a_model_limited_to_them(among: tuple) -> None:
    """i18n/detect.py renormalises one identifier's probabilities instead of loading one per subset."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from i18n.detect import MIN_PROBABILITY, _most_likely

    limited = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    limited.set_languages(list(among))
    texts = ["Almanya'da tutuklandı", "mi hermano está detenido en Dubái", "mon frère est arrêté",
             "mein Bruder wurde in Dubai verhaftet", "brother arrested dubai", "Чи можна їхати до Польщі",
             "можно ли ехать в Польшу", "xqzt vlorp", "bülten", "été", "Straße"]
    for text in texts:
        language, probability = limited.classify(text)
        assert _most_likely(text, among, ENABLED) == (language if probability >= MIN_PROBABILITY else None), text
