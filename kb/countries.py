"""Finding countries in what users type.

Three ways in, from strict to forgiving:
- ``exact``: a name or alias, ignoring case, accents and punctuation;
- ``match``: the same, or else up to three close spellings to suggest;
- ``find_in_text``: a whole sentence; known names are found first (longest
  first, on word boundaries), then leftover words are matched fuzzily.
A fuzzy hit is only ever a suggestion: the assistant never answers for a
country the user did not name.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from i18n.detect import everyday_words
from kb.model import Country, CountryMatch
from kb.text import COMMON_WORDS, normalize

# Words that are not country names in a membership question. Removing them
# leaves the candidate words ("is frence a member of interpol?" -> "frence").
STOPWORDS: frozenset[str] = frozenset(
    """
    a an the and or but if so as at by in on of to up for from with into about
    than then also still now today currently already yet ever even just only
    i me my we us our you your he him his she her it its they them their
    im ive id youre dont doesnt isnt arent cant wont
    this that these those there here who whom whose what which where when why how
    is am are was were be been being do does did done has have had having
    can could will would shall should may might must
    not no yes ok okay please thanks thank hello hi hey dear sir madam
    tell know want need like ask asking wonder wondering check say said
    interpol interpols icpo organization organisation police international criminal
    member members membership country countries nation nations state states
    territory territories part join joined joining belong belongs belonging
    participate participates included include includes list listed
    cooperate cooperates cooperation work works signed sign
    notice notices red extradite extradition extradited extradites treaty
    safe haven live living lives stay staying travel travelling traveling
    go going move moving visit visiting fly flying flee hide
    any some all every other another one many much more most
    still really actually officially currently right
    """.split()
)

# Region names that contain a country alias ("America") but are not a country.
NOT_COUNTRIES: frozenset[str] = frozenset(
    {"north america", "south america", "central america", "latin america"}
)

_TRAILING_PUNCTUATION = "?!,;:)]}\"'»”’"
_LEADING_PUNCTUATION = "([{\"'«“‘¿¡"

MATCH_CUTOFF = 0.6  # for a name the NLU already tagged as a country
TEXT_CUTOFF = 0.75  # for words picked out of a free sentence
SHORT_WORD_CUTOFF = 0.8  # for short words, where one letter changes a lot
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class _Token:
    """A normalised word of the user's text and the span it came from."""

    key: str
    surface: str
    start: int
    end: int


class CountryIndex:
    """Lookup tables for names, aliases and ambiguous names of countries."""

    def __init__(self, countries: list[Country], ambiguous: dict[str, list[str]]) -> None:
        self._by_key: dict[str, Country] = {}
        for country in countries:
            for label in (country.name, *country.aliases):
                self._by_key.setdefault(normalize(label), country)
        self._ambiguous: dict[str, list[str]] = {
            normalize(name): list(candidates) for name, candidates in ambiguous.items()
        }
        self._by_compact: dict[str, Country | None] = {}
        for key, country in self._by_key.items():
            compact = key.replace(" ", "")
            known = self._by_compact.setdefault(compact, country)
            if known is not country:
                self._by_compact[compact] = None  # two countries: never guess
        self._keys: list[str] = sorted(self._by_key)
        self._max_tokens = max(
            (len(key.split()) for key in (*self._by_key, *self._ambiguous, *NOT_COUNTRIES)),
            default=1,
        )

    # ---- exact ---------------------------------------------------------------

    def exact(self, text: str | None) -> Country | None:
        """The country whose name or alias is exactly ``text`` (normalised)."""
        if not text:
            return None
        key = normalize(text)
        if _is_pronoun_use(text, key):
            return None
        return self._lookup(key)

    def _lookup(self, key: str) -> Country | None:
        """By key, else ignoring spaces ("cote d ivoire" == "cote divoire")."""
        if key in self._by_key:
            return self._by_key[key]
        return self._by_compact.get(key.replace(" ", ""))

    # ---- one name --------------------------------------------------------------

    def match(self, text: str | None) -> CountryMatch:
        """Resolve a name the NLU extracted; suggest close names if unknown."""
        query = (text or "").strip().strip(_TRAILING_PUNCTUATION).strip()
        key = normalize(query)
        if not key:
            return CountryMatch(country=None, query=query)
        if _is_pronoun_use(query, key):
            return CountryMatch(country=None, query=query)
        country = self._lookup(key)
        if country is not None:
            return CountryMatch(country=country, query=query)
        if key in self._ambiguous:
            return CountryMatch(None, query, list(self._ambiguous[key]), ambiguous=True)
        if len(key.split()) > 1:
            found = self.find_in_text(query)
            if found is not None and (found.country is not None or found.ambiguous):
                return found
        return CountryMatch(None, query, self.suggest(key, MATCH_CUTOFF))

    def suggest(self, key: str, cutoff: float = MATCH_CUTOFF) -> list[str]:
        """Up to three distinct country names whose names/aliases are close to ``key``."""
        return [name for _, name in self._scored_suggestions(key, cutoff)][:MAX_SUGGESTIONS]

    def _scored_suggestions(self, key: str, cutoff: float) -> list[tuple[float, str]]:
        """(score, name) pairs for close spellings, best first, one per country."""
        best: dict[str, float] = {}
        for candidate in difflib.get_close_matches(key, self._keys, n=12, cutoff=cutoff):
            score = difflib.SequenceMatcher(None, key, candidate).ratio()
            name = self._by_key[candidate].name
            best[name] = max(score, best.get(name, 0.0))
        return sorted(((score, name) for name, score in best.items()), key=lambda p: (-p[0], p[1]))

    # ---- a whole sentence ------------------------------------------------------

    def find_in_text(self, text: str | None) -> CountryMatch | None:
        """Find the country a sentence is about.

        Known names/aliases win (longest first, earliest in the sentence).
        Otherwise leftover non-question words are matched fuzzily and offered
        as suggestions. A capitalised leftover word with no close match still
        counts as "country-like" so the user hears "I couldn't find X".
        Returns None when nothing in the sentence looks like a country.
        """
        tokens = _tokenize(text or "")
        if not tokens:
            return None
        exact = self._exact_in_tokens(tokens, text or "")
        if exact is not None:
            return exact
        return self._fuzzy_in_tokens(tokens, text or "")

    def all_in_text(self, text: str | None) -> list[Country]:
        """Every country named exactly in ``text``, in the order they appear, once each."""
        tokens = _tokenize(text or "")
        found = [self._by_key[key] for _, _, key in self._exact_hits(tokens) if key in self._by_key]
        return list({country.name: country for country in found}.values())

    def _exact_in_tokens(self, tokens: list[_Token], text: str) -> CountryMatch | None:
        """The earliest known name or alias of the sentence."""
        hits = self._exact_hits(tokens)
        if not hits:
            return None
        start, size, key = hits[0]
        query = _span_text(text, tokens[start:start + size])
        if key in self._by_key:
            return CountryMatch(country=self._by_key[key], query=query)
        return CountryMatch(None, query, list(self._ambiguous[key]), ambiguous=True)

    def _exact_hits(self, tokens: list[_Token]) -> list[tuple[int, int, str]]:
        """(start, size, key) of known names and aliases, scanned longest first, in text order."""
        used = [False] * len(tokens)
        hits: list[tuple[int, int, str]] = []
        for size in range(min(self._max_tokens, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                if any(used[start:start + size]):
                    continue
                window = tokens[start:start + size]
                key = " ".join(token.key for token in window)
                if key in NOT_COUNTRIES:
                    used[start:start + size] = [True] * size
                    continue
                if key not in self._by_key and key not in self._ambiguous:
                    continue
                if key in COMMON_WORDS and not _written_as_acronym(window):
                    continue
                used[start:start + size] = [True] * size
                hits.append((start, size, key))
        return sorted(hits)

    def _fuzzy_in_tokens(self, tokens: list[_Token], text: str) -> CountryMatch | None:
        """Suggest countries for leftover words that look like misspelt names."""
        masked = _masked_positions(tokens)
        candidates = [i for i, token in enumerate(tokens)
                      if i not in masked and _is_candidate(token.key)]
        if not candidates:
            return None
        best: dict[str, tuple[float, str]] = {}
        for index in candidates:
            for size in range(1, 4):
                window = tokens[index:index + size]
                if len(window) < size:
                    break
                phrase = " ".join(token.key for token in window)
                cutoff = SHORT_WORD_CUTOFF if len(phrase) <= 5 else TEXT_CUTOFF
                for score, name in self._scored_suggestions(phrase, cutoff):
                    if score > best.get(name, (0.0, ""))[0]:
                        best[name] = (score, _span_text(text, window))
        if best:
            ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
            names = [name for name, _ in ranked][:MAX_SUGGESTIONS]
            return CountryMatch(None, ranked[0][1][1], names)
        capitalised = [i for i in candidates if tokens[i].surface[:1].isupper()]
        if capitalised:
            return CountryMatch(None, _span_text(text, _run_from(tokens, capitalised)), [])
        return None


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into normalised words, remembering where each came from."""
    tokens: list[_Token] = []
    for chunk in re.finditer(r"\S+", text):
        for part in normalize(chunk.group(), casefold=False, strip_article=False).split():
            tokens.append(_Token(part.casefold(), part, chunk.start(), chunk.end()))
    return tokens


def _span_text(text: str, window: list[_Token]) -> str:
    """The user's own words covered by ``window``, without outer punctuation."""
    raw = text[window[0].start:window[-1].end]
    raw = raw.lstrip(_LEADING_PUNCTUATION).rstrip(_TRAILING_PUNCTUATION)
    if raw.endswith(".") and raw.count(".") == 1:
        raw = raw[:-1]
    return raw.strip()


def _masked_positions(tokens: list[_Token]) -> set[int]:
    """Positions covered by region names such as "North America"."""
    keys = [token.key for token in tokens]
    masked: set[int] = set()
    for phrase in NOT_COUNTRIES:
        size = len(phrase.split())
        for start in range(len(keys) - size + 1):
            if " ".join(keys[start:start + size]) == phrase:
                masked.update(range(start, start + size))
    return masked


def _is_pronoun_use(text: str, key: str) -> bool:
    """True for "us" typed as a word; False for the acronyms "US" and "U.S."."""
    if key not in COMMON_WORDS:
        return False
    surface = normalize(text, casefold=False)
    return not (len(surface) > 1 and surface.isupper())


def _written_as_acronym(window: list[_Token]) -> bool:
    """True for "US" or "U.S." (all capitals), never for the pronoun "us"."""
    return all(len(token.surface) > 1 and token.surface.isupper() for token in window)


def _is_candidate(key: str) -> bool:
    """A word that could be (part of) a misspelt country name."""
    return len(key) >= 3 and key.isalpha() and key not in STOPWORDS and key not in _everyday_words()


@functools.lru_cache(maxsize=1)
def _everyday_words() -> frozenset[str]:
    """Every language's everyday words (i18n/everyday_words.yml) as tokens are normalised: the
    Spanish "¿Cuál es ...?" asks a question, it is not a misspelt "Cuba"."""
    return frozenset(normalize(word) for words in everyday_words().values() for word in words)


def _run_from(tokens: list[_Token], indexes: list[int]) -> list[_Token]:
    """The first run of consecutive candidate tokens starting at indexes[0]."""
    run = [tokens[indexes[0]]]
    for index in indexes[1:]:
        if index == indexes[0] + len(run):
            run.append(tokens[index])
        else:
            break
    return run
