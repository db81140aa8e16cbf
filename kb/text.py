"""Text normalisation shared by every lookup in the knowledge base.

Users type "cote d'ivoire", "the USA", "Türkiye" or "U.K.'s": all lookups
compare a *normalised key* so that case, accents, punctuation and a leading
article never decide whether a name is found.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode decomposition (NFKD) does not split into base + accent.
_SPECIAL_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "ß": "ss"}
)
_APOSTROPHES = re.compile(r"[’‘`´ʼ]")
_POSSESSIVE = re.compile(r"'s\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")

# Pronouns and function words. They are never accepted as aliases (the
# pronoun "us" would otherwise turn "can you help us" into the United States)
# and they never appear in generated NLU lookup tables.
COMMON_WORDS: frozenset[str] = frozenset(
    """
    a an the and or but if so as at by in on of to up for from with into onto
    i me my we us our you your he him his she her it its they them their
    this that these those who what which where when why how
    is am are was were be been do does did has have had can may will not no
    yes ok oh hi go all any one car man
    """.split()
)


def fold_accents(text: str) -> str:
    """Return ``text`` without diacritics ("Curaçao" -> "Curacao").

    Why: users often type country names without accents; the knowledge file
    keeps the official spelling.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str, *, casefold: bool = True, strip_article: bool = True) -> str:
    """Return the comparison key of ``text``.

    Steps: fold accents, unify apostrophes, drop possessive "'s", drop
    apostrophes and full stops (so "U.S." == "US", "d'Ivoire" == "dIvoire"),
    read "&" as "and", turn any other punctuation into a space, collapse
    spaces, casefold, and drop one leading "the".

    ``casefold=False`` keeps the original case (used to recognise acronyms
    such as "US" in free text); ``strip_article=False`` keeps a leading "the"
    (used when scanning whole sentences, where token positions matter).
    """
    value = fold_accents(text)
    value = _APOSTROPHES.sub("'", value)
    value = _POSSESSIVE.sub("", value)
    value = value.replace("'", "").replace(".", "").replace("&", " and ")
    value = " ".join(_NON_WORD.sub(" ", value).split())
    if casefold:
        value = value.casefold()
    if strip_article and value[:4].lower() == "the ":
        value = value[4:]
    return value


def is_common_word(alias: str) -> bool:
    """True when ``alias`` (as typed, lowercased) is a pronoun or function word."""
    return alias.strip().lower() in COMMON_WORDS


def contains_phrase(haystack_key: str, needle_key: str) -> bool:
    """True when ``needle_key`` occurs in ``haystack_key`` on word boundaries.

    Both arguments must already be normalised keys.
    """
    if not needle_key:
        return False
    return f" {needle_key} " in f" {haystack_key} "


def reflow(text: str) -> str:
    """Join wrapped lines of a YAML text block into paragraphs and bullets.

    Why: lawyers wrap long sentences in the knowledge file for readability;
    the chat should not show those line breaks. Rules: an empty line ends a
    paragraph; a line starting with "- " starts a bullet; any other line
    continues the previous one.
    """
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                continue
            if line.startswith("- ") or not lines:
                lines.append(line)
            else:
                lines[-1] = f"{lines[-1]} {line}"
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def join_names(names: list[str], conjunction: str = "and") -> str:
    """Join names as English prose: "A", "A and B", "A, B and C"."""
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"
