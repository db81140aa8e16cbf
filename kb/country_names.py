"""Country names in every enabled language, and finding them in what people write.

The names come from CLDR through Babel (each knowledge-file country is matched to its ISO code
by its English name or an alias), plus the everyday names of knowledge/country_names.yml. In
text they are found as people write them: "в Сербии", "Almanya'dan", "بألمانيا", "Deutschlands".
Languages that decline names (Russian, Ukrainian, Turkish) match a name's stem (the name
without its final vowels, at least four letters) followed by a short ending; Arabic lets the
attached conjunctions and prepositions (و ب ل ف ك) and the article stand before the name;
German lets a genitive s follow. Known look-alike words of a language are never a country.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import yaml

from kb.model import Country
from kb.text import fold_accents

NAMES_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "country_names.yml"
_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC_FOLD = str.maketrans({"ى": "ي", "ة": "ه", "ـ": None, "ı": "i"})  # and Turkish dotless i
_STEM_VOWELS = {"ru": "аеиоуыэюяьй", "uk": "аеиоуюяіїєьй", "tr": "aeiouı", "ru-Latn": "aeiouy", "uk-Latn": "aeiouy"}
_MAX_ENDING = {"ru": 3, "uk": 3, "tr": 5, "ru-Latn": 3, "uk-Latn": 3}
# Endings that make a country's name an adjective or a language, not the country: Turkish
# "Fransızca" (French), and "ukrainian" / "ukrainien" after a transliterated stem.
_NOT_COUNTRY_ENDINGS = {"tr": ("ca", "ce"), "ru-Latn": ("ian", "ien"), "uk-Latn": ("ian", "ien")}
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
# The writing systems of the enabled languages: a message is searched for the names of every
# language of its script (a short Cyrillic message may be Russian or Ukrainian), and Russian and
# Ukrainian also as people type them in Latin letters ("serbiya", "nimechchyna").
SCRIPT_LANGUAGES = {"CYRILLIC": ("ru", "uk"), "ARABIC": ("ar",),
                    "LATIN": ("tr", "es", "fr", "de", "ru-Latn", "uk-Latn")}
# Transliteration of Russian and Ukrainian as people type it: each letter's usual spellings.
_TRANSLIT_COMMON = {"а": ["a"], "б": ["b"], "в": ["v"], "д": ["d"], "е": ["e"], "ё": ["e", "yo"],
                    "ж": ["zh"], "з": ["z"], "й": ["y", "i", "j"], "к": ["k"], "л": ["l"], "м": ["m"],
                    "н": ["n"], "о": ["o"], "п": ["p"], "р": ["r"], "с": ["s"], "т": ["t"], "у": ["u"],
                    "ф": ["f"], "х": ["kh", "h"], "ц": ["ts", "c"], "ч": ["ch"], "ш": ["sh"],
                    "щ": ["shch", "sch"], "ъ": [""], "ы": ["y"], "ь": [""], "э": ["e"], "ю": ["yu", "iu"],
                    "я": ["ya", "ia"], "і": ["i"], "ї": ["yi", "i"], "є": ["ye", "ie"], "ґ": ["g"]}
_TRANSLIT = {"ru": {**_TRANSLIT_COMMON, "г": ["g"], "и": ["i"]},
             "uk": {**_TRANSLIT_COMMON, "г": ["h"], "и": ["y"]}}
_MAX_VARIANTS = 8
_MIN_STEM = 4
_ARABIC_PREFIXES = frozenset({"", "و", "ب", "ل", "ف", "ك", "ال", "وال", "بال", "فال", "كال", "لل", "ول", "وب",
                              "فب", "ولل", "فل", "وبال", "فبال", "ولل"})


def fold(word: str) -> str:
    """The comparison form of one word: no accents or Arabic short vowels, case folded."""
    return fold_accents(word).casefold().translate(_ARABIC_FOLD)


def _clean(name: str) -> list[str]:
    """A CLDR name and its variants: "Hong Kong SAR China" -> also "Hong Kong"; "Myanmar (Burma)"."""
    variants = {name}
    bare = re.sub(r"\s*\(.*?\)", "", name).strip()
    variants.add(bare)
    variants.update(re.findall(r"\((.*?)\)", name))
    variants.add(re.sub(r"\s+SAR China$", "", bare))
    return [v for v in variants if v]


@functools.lru_cache(maxsize=1)
def _english_codes() -> dict[str, str]:
    from babel import Locale

    codes: dict[str, str] = {}
    for code, name in Locale("en").territories.items():
        if len(code) == 2 and code.isalpha():
            for variant in _clean(name):
                key = " ".join(_WORD.findall(fold(variant.replace("&", "and").replace("St.", "Saint"))))
                codes.setdefault(key.replace(" the ", " "), code)
    return codes


@functools.lru_cache(maxsize=1024)
def _iso_code(labels: tuple[str, ...]) -> Optional[str]:
    for label in labels:
        key = " ".join(_WORD.findall(fold(label.replace("&", "and"))))
        code = _english_codes().get(key.replace(" the ", " "))
        if code:
            return code
    return None


def iso_code(country: Country) -> Optional[str]:
    """The ISO 3166 code of a knowledge-file country, from its English name or an alias."""
    return _iso_code((country.name, *country.aliases))


@functools.lru_cache(maxsize=1)
def _extra() -> tuple[dict, dict, dict]:
    """(aliases by language and country, look-alike words by language, names instead of CLDR's)."""
    with NAMES_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return (data.get("aliases") or {},
            {lang: {fold(w) for w in words} for lang, words in (data.get("not_names") or {}).items()},
            data.get("names") or {})


@functools.lru_cache(maxsize=16)
def _territories(language: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse(language).territories)


def local_name(country: Country, language: str) -> Optional[str]:
    """The country's CLDR name in ``language`` ("Німеччина"), or None when CLDR has none."""
    if language == "en":
        return None
    own = (_extra()[2].get(country.name) or {}).get(language)
    if own:
        return own
    code = iso_code(country)
    name = _territories(language).get(code) if code else None
    return re.sub(r"\s*\(.*?\)", "", name).strip() if name else None


def local_names(country: Country, language: str) -> list[str]:
    """Every name of the country in ``language``: CLDR's, its variants, the everyday ones."""
    names: list[str] = []
    own = (_extra()[2].get(country.name) or {}).get(language)
    if own:
        names.append(own)
    code = iso_code(country)
    if code and language != "en" and not own:
        cldr = _territories(language).get(code)
        if cldr:
            names += _clean(cldr)
    names += (_extra()[0].get(language) or {}).get(country.name, [])
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Found:
    """A country named in a text: its canonical name and where it is written."""

    name: str
    start: int
    end: int


def transliterations(name: str, language: str) -> list[str]:
    """Up to _MAX_VARIANTS Latin spellings of a Russian or Ukrainian name ("Сербия" -> "serbiya", "serbiia")."""
    table = _TRANSLIT[language]
    variants = [""]
    for ch in name.casefold():
        options = table.get(ch, [ch])
        variants = [v + o for v in variants for o in options][:_MAX_VARIANTS]
    return list(dict.fromkeys(variants))


def _word_matches(name_word: str, word: str, language: str, min_stem: int = _MIN_STEM) -> bool:
    if word == name_word:
        return True
    if word.endswith(_NOT_COUNTRY_ENDINGS.get(language, ())) and len(word) > len(name_word) - 2:
        return False
    if language in _STEM_VOWELS:
        vowels = _STEM_VOWELS[language]
        if name_word[-1:] not in vowels and len(name_word) >= min_stem and word.startswith(name_word) \
                and len(word) - len(name_word) <= _MAX_ENDING[language]:
            return True  # "Казахстан" -> "Казахстана", "Таиланде"
        for cut in (1, 2):
            stem = name_word[:-cut]
            if (len(stem) >= min_stem and all(ch in vowels for ch in name_word[-cut:])
                    and word.startswith(stem) and len(word) - len(stem) <= _MAX_ENDING[language]):
                return True
        return False
    if language == "ar":
        core = name_word[2:] if name_word.startswith("ال") and len(name_word) > 4 else name_word
        return word.endswith(core) and word[:len(word) - len(core)] in _ARABIC_PREFIXES
    if language == "de":
        return word == name_word + "s"
    return False


def word_matches(name_word: str, word: str, language: str) -> bool:
    """One word of a name in a text word, declined as the language declines (see the module)."""
    if _word_matches(name_word, word, language):
        return True
    # Languages without declined names still inflect adjectives ("blaue" -> "blauen", "bleu" -> "bleue").
    return len(name_word) >= _MIN_STEM and word.startswith(name_word[:-1]) and 0 <= len(word) - len(name_word) <= 2


_SUFFIX = re.compile(r"\w{3,}['’]$")


def _is_suffix(text: str, start: int) -> bool:
    """A Turkish case ending after an apostrophe ("Azerbaycan'danım"); French "l'Algérie" is no suffix."""
    return bool(_SUFFIX.search(text[max(0, start - 40):start]))


class CountryFinder:
    """The countries of a knowledge file, by their names in each of ``languages``.

    Names are indexed by their first two letters (for Arabic, every split of a word into an
    allowed prefix and the rest is looked up), so a message costs a few dictionary lookups
    a word: ~0.1 ms for a sentence here, against 15-25 ms when every name was tried."""

    def __init__(self, countries: Iterable[Country], languages: Iterable[str]) -> None:
        self.languages = tuple(languages)
        self._names: dict[str, dict[str, list[tuple[tuple[str, ...], str]]]] = {}
        searched = [code for code in self.languages if code != "en"]
        searched += [f"{code}-Latn" for code in ("ru", "uk") if code in self.languages]
        for language in searched:
            index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
            for country in countries:
                for name in self._names_of(country, language):
                    words = tuple(fold(w) for w in _WORD.findall(name))
                    if words:
                        first = words[0][2:] if language == "ar" and words[0].startswith("ال") \
                            and len(words[0]) > 4 else words[0]
                        index.setdefault(first[:2], []).append((words, country.name))
            for entries in index.values():
                entries.sort(key=lambda entry: -len(entry[0]))  # longest names first
            self._names[language] = index
        self._not_names = dict(_extra()[1])
        for code in ("ru", "uk"):  # a look-alike word is one in Latin letters too ("dani", data)
            latin = {variant for word in self._not_names.get(code, ()) for variant in transliterations(word, code)}
            self._not_names[code] = self._not_names.get(code, set()) | latin
        self.searched = tuple(searched)

    @staticmethod
    def _names_of(country: Country, language: str) -> list[str]:
        if language.endswith("-Latn"):
            base = language.split("-")[0]
            return [latin for name in local_names(country, base) for latin in transliterations(name, base)]
        names = local_names(country, language)
        if language == "de":  # "Österreich" typed "Oesterreich"
            names += [name.translate(_UMLAUTS) for name in names if name.translate(_UMLAUTS) != name]
        return names

    def languages_for(self, text: str) -> tuple[str, ...]:
        """The languages whose names are looked for in ``text``: those of its main script."""
        scripts: dict[str, int] = {}
        for ch in text:
            if ch.isalpha():
                script = unicodedata.name(ch, "OTHER ").split(" ", 1)[0]
                scripts[script] = scripts.get(script, 0) + 1
        if not scripts:
            return ()
        script = max(scripts, key=scripts.get)
        return tuple(code for code in SCRIPT_LANGUAGES.get(script, ()) if code in self.searched)

    def _candidates(self, word: str, language: str) -> list[tuple[tuple[str, ...], str]]:
        index = self._names.get(language, {})
        if language != "ar":
            return index.get(word[:2], [])
        found = []
        for cut in range(0, min(4, len(word) - 1)):
            if word[:cut] in _ARABIC_PREFIXES:
                found += index.get(word[cut:cut + 2], [])
        return found

    def find(self, text: str, languages: Optional[Iterable[str]] = None) -> list[Found]:
        """Countries named in ``text`` in the given languages (default: those of its script), in
        order. A name written exactly wins over a declined one, a longer over a shorter ("Palästina"
        is Palestine, not Palau declined in Turkish). A look-alike word of any of these languages is
        never a country, nor is a suffix after an apostrophe (Turkish "Azerbaycan'danım")."""
        words = [(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text or "")
                 if not _is_suffix(text, m.start())]
        searched = tuple(languages) if languages is not None else self.languages_for(text or "")
        excluded = set().union(*(self._not_names.get(code.split("-")[0], set()) for code in searched))
        candidates: list[tuple[int, int, int, str]] = []  # (exact, size, position, country)
        for language in searched:
            for i, (word, _, _) in enumerate(words):
                for name_words, country in self._candidates(word, language):
                    size = len(name_words)
                    window = words[i:i + size]
                    if len(window) < size or (size == 1 and word in excluded):
                        continue
                    if all(_word_matches(n, w[0], language, _MIN_STEM if k == 0 else 3)
                           for k, (n, w) in enumerate(zip(name_words, window))):
                        exact = all(n == w[0] for n, w in zip(name_words, window))
                        candidates.append((int(exact), size, i, country))
        found: list[Found] = []
        taken: set[int] = set()
        for exact, size, i, country in sorted(candidates, key=lambda c: (-c[0], -c[1], c[2])):
            if any(j in taken for j in range(i, i + size)):
                continue
            taken.update(range(i, i + size))
            found.append(Found(country, words[i][1], words[i + size - 1][2]))
        return sorted(found, key=lambda f: f.start)
