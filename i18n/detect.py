"""Which of the enabled languages a message is written in, or None when it cannot be told.

The script settles Arabic; Ukrainian against Russian is settled by the letters only one of them
has (і ї є ґ against ы э ъ ё). Otherwise the message's everyday words (`everyday_words.yml`:
"the", "ist", "qué", "est", "için", "що", "что") are counted, and the language with most of them
wins. langid.py's packaged model (py3langid, limited to the enabled languages of the script) is
asked only on a tie, or when there is no everyday word but letters outside plain ASCII
("Almanya'da tutuklandı"), and only a 90% answer counts. Alone, the model read "xqzt vlorp mnnn"
as German and "is Türkiye a member?" as Turkish (CI, 2026-12-03). A message with fewer letters
than `min_letters` ("ok", "да", "merci"), or with neither everyday words nor such letters, gets
None: the conversation keeps its language. Measured here: 0.05 ms a message.

Words with a digit, an "@" or a "/" in them (an e-mail address, a link, a file number) are left
out first: CI read "zarina.9c163d5525@example.org", typed at the form's e-mail question, as
French (the "c" of the hex code is French "c'") and asked the next question in French.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Optional

import yaml

from firm.settings import SUPPORTED_LANGUAGES as _SUPPORTED

EVERYDAY_WORDS_FILE = Path(__file__).with_name("everyday_words.yml")
UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")
# The model's probability below which a message's language is left undecided.
MIN_PROBABILITY = 0.9
_WORD = re.compile(r"[^\W\d_]+")
_CODE = re.compile(r"\S*[\d@/]\S*")


@functools.lru_cache(maxsize=2)
def everyday_words(path: Path = EVERYDAY_WORDS_FILE) -> dict[str, frozenset[str]]:
    """{language: its everyday words}; a word under two languages is an error naming both."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    owner: dict[str, str] = {}
    for language, words in data.items():
        for word in words:
            word = str(word).casefold()
            if owner.setdefault(word, language) != language:
                raise ValueError(f"{path}: {word!r} is listed under both "
                                 f"{owner[word]!r} and {language!r}; a shared word tells neither")
    return {language: frozenset(str(w).casefold() for w in words) for language, words in data.items()}


@functools.lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=False)  # log-probabilities
    identifier.set_languages(list(languages))
    return identifier


def _scripts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            script = name.split(" ", 1)[0] if name else "OTHER"
            counts[script] = counts.get(script, 0) + 1
    return counts


def _with_most_everyday_words(text: str, candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The candidates with most everyday words in ``text``; () when it has none of any."""
    lists = everyday_words()
    words = _WORD.findall(text.casefold().replace("\u0307", ""))  # "İsveç" -> "i̇sveç" -> "isveç"
    counts = {code: sum(word in lists.get(code, ()) for word in words) for code in candidates}
    best = max(counts.values(), default=0)
    return tuple(code for code in candidates if counts[code] == best) if best else ()


def detect(text: str, enabled: Iterable[str], min_letters: int = 12) -> Optional[str]:
    """The language of ``text`` among ``enabled`` codes, or None when unsure or too short."""
    enabled = tuple(enabled)
    text = _CODE.sub(" ", text or "")
    scripts = _scripts(text)
    letters = sum(scripts.values())
    if letters < min_letters:
        return None
    script = max(scripts, key=scripts.get)
    if script == "ARABIC":
        return "ar" if "ar" in enabled else None
    if script == "CYRILLIC":
        letters_seen = set(text)
        if letters_seen & UKRAINIAN_ONLY and not letters_seen & RUSSIAN_ONLY:
            return "uk" if "uk" in enabled else None
        if letters_seen & RUSSIAN_ONLY and not letters_seen & UKRAINIAN_ONLY:
            return "ru" if "ru" in enabled else None
        candidates = tuple(code for code in ("ru", "uk") if code in enabled)
    elif script == "LATIN":
        candidates = tuple(code for code in enabled if code not in ("ru", "uk", "ar"))
    else:
        return None
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    tied = _with_most_everyday_words(text, candidates)
    if len(tied) == 1:
        return tied[0]
    if not tied and text.isascii():
        return None
    return _most_likely(text, tied or candidates, enabled)


def _most_likely(text: str, among: tuple[str, ...], enabled: tuple[str, ...]) -> Optional[str]:
    """langid.py's choice among some of the enabled languages, if at least MIN_PROBABILITY.

    One identifier for all the enabled languages, its probabilities renormalised over
    ``among``: the same as an identifier limited to ``among`` (a softmax over fewer classes),
    without one per subset. Kept per subset, the identifiers (8 at most) were loaded again from
    the pickled model whenever the subset changed: ~30 ms, on 1 message in 6 of the benchmark.
    """
    scores = {code: float(score) for code, score in _identifier(enabled).rank(text) if code in among}
    language = max(scores, key=scores.get)
    total = sum(math.exp(score - scores[language]) for score in scores.values())  # log-sum-exp
    return language if 1 / total >= MIN_PROBABILITY else None


@functools.lru_cache(maxsize=1)
def _codes_by_english_name() -> dict[str, str]:
    from babel import Locale

    english = Locale("en").languages
    return {english[code].casefold(): code for code in _SUPPORTED if code in english}


def language_code(name: str) -> Optional[str]:
    """"Russian" (a `language` entity's value, the English name from CLDR) or "ru" -> "ru"."""
    key = (name or "").strip().casefold()
    if key in _SUPPORTED:
        return key
    return _codes_by_english_name().get(key)


def reply_language(text: str, enabled: Iterable[str], *, asked_for: Optional[str] = None,
                   given: Optional[str] = None, min_letters: int = 12) -> Optional[str]:
    """The language to answer this message in, or None to keep the conversation's.

    A language the person asks for ("in English please") wins; then the one the message's
    metadata names (a REST caller's, or the channel's reading of the text); then the language
    the message is written in."""
    enabled = tuple(enabled)
    for choice in (language_code(asked_for or ""), language_code(given or ""), detect(text, enabled, min_letters)):
        if choice and choice in enabled:
            return choice
    return None



@functools.lru_cache(maxsize=8)
def _language_names(enabled: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(folded name, code): each enabled language by its name in every enabled language (CLDR:
    "английский", "İngilizce", "الإنجليزية", "anglais") and by firm.yml's aliases."""
    from babel import Locale

    from firm import get_settings
    from kb.country_names import fold

    names: dict[str, str] = {}
    for code in enabled:
        for language in enabled:
            name = Locale.parse(language).languages.get(code)
            if name:
                names.setdefault(fold(name), code)
    for language in get_settings().intake.languages:
        code = language_code(language.name)
        if code in enabled:
            for alias in (language.name, *language.aliases):
                if len(alias) > 2:
                    names.setdefault(fold(alias), code)
    return tuple(names.items())


def named_language(text: str, enabled: Iterable[str]) -> Optional[str]:
    """The enabled language a message names ("по-английски", "українською", "بالعربية",
    "auf Deutsch"), declined as the languages decline names; None when it names none."""
    import re

    from kb.country_names import fold, word_matches

    words = [fold(w) for w in re.findall(r"\w+", text or "")]
    for name, code in _language_names(tuple(enabled)):
        name_words = name.split()
        if len(name_words) == 1 and any(word_matches(name, w, lang) for w in words
                                        for lang in ("ru", "uk", "tr", "ar", "de")):
            return code
        if len(name_words) > 1 and name in " ".join(words):
            return code
    return None
