"""Check and normalise what a person types into the consultation form.

Why: people write to a law firm under stress, from any country and in any script. Each
validator either returns a clean value that is safe to store, or a kind, specific
message that says what to fix — never a bare "invalid input". Vocabularies (languages,
problem types, "skip" words) come from firm.yml so the firm can edit them.

All functions are pure apart from reading the cached settings; pass ``settings=`` to
use other settings (tests, tools).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from firm import ProblemType, Settings, get_settings
from i18n import get_catalog
from i18n.sources import LIST_SEPARATOR

MAX_NAME_LENGTH = 120
MAX_DESCRIPTION_LENGTH = 1000
MAX_EMAIL_LENGTH = 254
MAX_LANGUAGE_LENGTH = 40
PHONE_EXAMPLE = "+44 20 7946 0958"
EMAIL_EXAMPLE = "name@example.com"


@dataclass(frozen=True)
class Validated:
    """A cleaned value to store, or an error to show the person (exactly one is set)."""

    value: Optional[str]
    error: Optional[str]

    @property
    def ok(self) -> bool:
        """True when the value can be used."""
        return self.error is None


@dataclass(frozen=True)
class ContactValidated:
    """Email and/or phone (E.164) to store, or an error when neither could be used.

    ``notice`` is set when one contact was usable and the other was not: the valid one
    is kept and the person is told, kindly, what was left out (so nothing they typed
    disappears without a word).
    """

    email: Optional[str]
    phone: Optional[str]
    error: Optional[str]
    notice: Optional[str] = None

    @property
    def ok(self) -> bool:
        """True when at least one contact can be used."""
        return self.error is None


# --------------------------------------------------------------------------- cleaning

_KEPT_FORMAT_CHARS = {"\u200c", "\u200d"}  # ZWNJ / ZWJ: needed to spell Persian and Indic names
_WHITESPACE = re.compile(r"\s+")


def _strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """NFC-normalise and drop control/format characters (bidi overrides, NULs, ...).

    Why: invisible characters can hide or reorder text in the lawyers' view ("Trojan
    Source" bidi tricks), NUL cannot be stored in PostgreSQL, and lone surrogates cannot
    be encoded at all.
    """
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    text = unicodedata.normalize("NFC", text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if keep_newlines and ch == "\n":
            kept.append(ch)
        elif category == "Cc":
            kept.append(" " if ch in "\t\n\r\x0b\x0c\x85" else "")
        elif category == "Cf" and ch not in _KEPT_FORMAT_CHARS:
            continue
        elif category in ("Zl", "Zp"):
            kept.append("\n" if keep_newlines else " ")
        else:
            kept.append(ch)
    return "".join(kept)


def clean_line(text: Any) -> str:
    """One line of text: controls removed, runs of whitespace collapsed, trimmed."""
    if not isinstance(text, str):
        return ""
    return _WHITESPACE.sub(" ", _strip_controls(text)).strip()


def clean_multiline(text: Any) -> str:
    """Free text keeping line breaks: controls removed, spaces tidied, at most one blank line."""
    if not isinstance(text, str):
        return ""
    text = _strip_controls(text, keep_newlines=True)
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _words_key(text: str) -> str:
    """Case-folded text without surrounding punctuation, for comparing with vocabularies."""
    return clean_line(text).replace("’", "'").casefold().strip(" .,!?;:\"'()[]«»“”")


def _contains_phrase(haystack: str, phrase: str) -> Optional[int]:
    """Position of ``phrase`` as whole word(s) in ``haystack`` (any script), else None."""
    match = re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", haystack)
    return match.start() if match else None


# --------------------------------------------------------------------------- name

_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x2300, 0x23FF),
    (0xFE00, 0xFE0F), (0xE0020, 0xE007F), (0x1F1E6, 0x1F1FF),
)
_COMMON_TLDS = (
    "com|net|org|info|biz|io|co|me|app|dev|ru|ua|uk|de|fr|es|it|nl|be|ch|at|pl|tr|ae|us|ca|"
    "au|in|cn|jp|kz|by|am|ge|az|uz|il|eu|gov|edu"
)
_URL_LIKE = re.compile(rf"(?i)(https?://|www\.|\b[\w-]+\.(?:{_COMMON_TLDS})(?:/|\b))")
_EMAIL_LIKE = re.compile(r"\S+@\S+")


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


def validate_full_name(text: Any, language: str = "en") -> Validated:
    """A person's full name in any script, or a kind error.

    Accepts letters of every script with accents, apostrophes, hyphens and dots
    (O'Brien, Jean-Luc, Đặng, محمد, Иванова, 王小明). Refuses what cannot be a name:
    nothing at all, only digits or punctuation, email addresses, web addresses, emoji
    and symbols, and anything over 120 characters.
    """
    name = clean_line(text)
    if not name:
        return Validated(None, say(language, "name_missing"))
    if len(name) > MAX_NAME_LENGTH:
        return Validated(None, say(language, "name_too_long", max=MAX_NAME_LENGTH))
    if "@" in name:
        if _EMAIL_LIKE.search(name):
            return Validated(None, say(language, "name_is_email"))
        return Validated(None, say(language, "name_at_sign"))
    if _URL_LIKE.search(name):
        return Validated(None, say(language, "name_is_url"))
    if any(_is_emoji(ch) for ch in name):
        return Validated(None, say(language, "name_emoji"))
    letters = sum(1 for ch in name if unicodedata.category(ch).startswith("L"))
    digits = sum(1 for ch in name if unicodedata.category(ch) == "Nd")
    if letters == 0:
        if digits >= 5:
            return Validated(None, say(language, "name_is_phone"))
        return Validated(None, say(language, "name_no_letters"))
    if digits > letters:
        return Validated(None, say(language, "name_mostly_digits"))
    for ch in name:
        category = unicodedata.category(ch)
        if category in ("Sm", "So", "Sc", "Co", "Cn", "Cs"):
            return Validated(None, say(language, "name_bad_character", character=ch))
    return Validated(name, None)


# --------------------------------------------------------------------------- contact

_LOCAL_PART = re.compile(r"^[\w!#$%&'*+/=?^`{|}~.-]+$")
_ASCII_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL_CANDIDATE = re.compile(r"[^\s,;<>()\[\]\"]*@[^\s,;<>()\[\]\"]*")
_PHONE_RUN = re.compile(r"[+(]?\d[\d\s().\-/]*\d|\+?\d")
_TRAILING_PUNCT = ".,;:!?'\"»”)]"

def _email_problem(candidate: str, language: str = "en") -> Optional[str]:
    """Why this email address cannot be used, or None when it looks right."""
    if len(candidate) > MAX_EMAIL_LENGTH:
        return say(language, "email_too_long", max=MAX_EMAIL_LENGTH)
    if any(ch.isspace() for ch in candidate):
        return say(language, "email_spaces")
    if candidate.count("@") != 1:
        if candidate.count("@") > 1:
            return say(language, "email_two_at")
        return say(language, "email_incomplete")
    local, domain = candidate.split("@")
    if not local:
        return say(language, "email_no_local")
    if len(local) > 64 or not _LOCAL_PART.match(local) or local.startswith(".") or local.endswith(".") \
            or ".." in local:
        return say(language, "email_bad_local")
    if not domain:
        return say(language, "email_no_domain")
    labels = domain.split(".")
    if len(labels) < 2 or not labels[-1]:
        return say(language, "email_no_ending")
    try:
        ascii_labels = [label.encode("idna").decode("ascii").lower() if not label.isascii() else label.lower()
                        for label in labels]
    except UnicodeError:
        ascii_labels = []
    if not ascii_labels or not all(_ASCII_LABEL.match(label) for label in ascii_labels):
        return say(language, "email_bad_domain", domain=domain)
    tld = ascii_labels[-1]
    if not ((tld.isalpha() and len(tld) >= 2) or tld.startswith("xn--")):
        return say(language, "email_bad_ending", ending=labels[-1])
    return None


def _normalise_email(candidate: str) -> str:
    """Keep the name part as typed; the domain is case-insensitive, so lower-case it."""
    local, domain = candidate.split("@")
    return f"{local}@{domain.lower()}"


@functools.lru_cache(maxsize=1)
def _territory_names() -> dict[str, str]:
    """English country name -> ISO code, from babel's CLDR data when available."""
    names: dict[str, str] = {}
    try:
        from babel import Locale  # optional: comes with Rasa
        for code, name in Locale("en").territories.items():
            if len(code) == 2 and code.isalpha():
                names[name.casefold()] = code
    except Exception:  # babel missing or broken: fall back to ISO codes only
        pass
    names.update({"usa": "US", "united states of america": "US", "uk": "GB", "great britain": "GB",
                  "england": "GB", "scotland": "GB", "wales": "GB", "uae": "AE", "turkey": "TR",
                  "russian federation": "RU", "czech republic": "CZ", "ivory coast": "CI"})
    return names


def region_code(hint: Optional[str]) -> Optional[str]:
    """ISO 3166 alpha-2 region for phone parsing from a code ("gb") or an English country name."""
    if not hint or not isinstance(hint, str):
        return None
    cleaned = hint.strip()
    supported = phonenumbers.SUPPORTED_REGIONS
    if len(cleaned) == 2 and cleaned.upper() in supported:
        return cleaned.upper()
    code = _territory_names().get(cleaned.casefold().removeprefix("the "))
    return code if code in supported else None


def _phone_problem(number_text: str, region: Optional[str],
                   language: str = "en") -> tuple[Optional[str], Optional[str]]:
    """(E.164 number, None) when valid, else (None, why it cannot be used)."""
    digits_only = re.sub(r"\D", "", number_text)
    text = number_text.strip()
    if text.startswith("00") and len(digits_only) > 6:
        text = "+" + text[2:].lstrip()
    has_country_code = text.startswith("+")
    if not has_country_code and region is None:
        return None, say(language, "phone_no_country_code")
    try:
        number = phonenumbers.parse(text, None if has_country_code else region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return None, say(language, "phone_bad_country_code")
        if error.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
            return None, say(language, "phone_too_short")
        if error.error_type == NumberParseException.TOO_LONG:
            return None, say(language, "phone_too_long")
        return None, say(language, "phone_not_a_number")
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164), None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (ValidationResult.TOO_SHORT, ValidationResult.INVALID_LENGTH,
                  ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        return None, say(language, "phone_too_short_code")
    if reason == ValidationResult.TOO_LONG:
        return None, say(language, "phone_too_long_code")
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return None, say(language, "phone_bad_country_code")
    if has_country_code:
        return None, say(language, "phone_wrong_digits")
    return None, say(language, "phone_wrong")


def validate_contact(text: Any, region_hint: Optional[str] = None, language: str = "en") -> ContactValidated:
    """An email, a phone number (E.164), or both, from one message.

    ``region_hint`` (ISO alpha-2 such as "GB", or an English country name) lets a
    person type a national number ("020 7946 0958"); without it the number must start
    with its country code. Numbers must be real, dialable numbers (phonenumbers'
    ``is_valid_number``), so the lawyers are not left with a contact that fails.
    """
    if not isinstance(text, str) or not clean_line(text):
        return ContactValidated(None, None, say(language, "contact_missing"))
    message = clean_line(text)
    region = region_code(region_hint)

    email: Optional[str] = None
    email_error: Optional[str] = None
    for raw in _EMAIL_CANDIDATE.findall(message):
        candidate = raw.strip(_TRAILING_PUNCT + "(<[").removeprefix("mailto:")
        problem = _email_problem(candidate, language)
        if problem is None:
            email = email or _normalise_email(candidate)
        else:
            email_error = email_error or problem
    remainder = _EMAIL_CANDIDATE.sub(" ", message)

    phone: Optional[str] = None
    phone_error: Optional[str] = None
    runs = _PHONE_RUN.findall(remainder)
    attempts = [run for run in runs if sum(ch.isdigit() for ch in run) >= 4]
    for run in attempts:
        number, problem = _phone_problem(run.strip("()/.- "), region, language)
        if number:
            phone = phone or number
        else:
            phone_error = phone_error or problem
    if runs and not attempts and not email:
        phone_error = say(language, "phone_too_short_code")

    if email and phone:
        return ContactValidated(email, phone, None)
    if email or phone:
        left_out = phone_error if email else email_error
        notice = None
        if left_out:
            notice = say(language, "kept_email_left_phone" if email else "kept_phone_left_email", problem=left_out)
        return ContactValidated(email, phone, None, notice)
    errors = [e for e in (email_error, phone_error) if e]
    return ContactValidated(None, None, " ".join(errors) if errors else say(language, "contact_missing"))


# --------------------------------------------------------------------------- language



def _plausible_language_name(text: str) -> bool:
    """Up to three words made only of letters (and combining marks, for Indic scripts)."""
    words = re.split(r"[ '\-]", text)
    return 0 < len(words) <= 3 and all(
        word and all(unicodedata.category(ch)[0] in "LM" for ch in word) for word in words)


def validate_language(text: Any, settings: Optional[Settings] = None, language: str = "en") -> Validated:
    """The language to contact the person in, as a display name the lawyers understand.

    Known languages (firm.yml intake.languages) are recognised in any listed spelling and
    inside short phrases ("English please", "je préfère le français"). An unknown but
    plausible language name (letters only, up to 40 characters) is accepted as typed.
    """
    settings = settings or get_settings()
    key = _words_key(text)
    if not key:
        return Validated(None, say(language, "language_missing"))
    best: Optional[tuple[int, str]] = None
    for known in settings.intake.languages:
        names = {known.name.casefold(), *known.aliases}
        if key in names:
            return Validated(known.name, None)
        for alias in names:
            if len(alias) < 3 and alias.isascii():
                continue  # two-letter codes ("it", "de") only count on their own
            position = _contains_phrase(key, alias)
            if position is not None and (best is None or position < best[0]):
                best = (position, known.name)
    if best:
        return Validated(best[1], None)
    shown = clean_line(text).strip(" .,!?;:")
    if len(shown) <= MAX_LANGUAGE_LENGTH and _plausible_language_name(shown):
        return Validated(shown.title() if shown.islower() or shown.isupper() else shown, None)
    if len(shown) > MAX_LANGUAGE_LENGTH:
        return Validated(None, say(language, "language_too_long", max=MAX_LANGUAGE_LENGTH))
    return Validated(None, say(language, "language_unknown"))


def language_names(settings: Optional[Settings] = None) -> list[str]:
    """Display names of the configured languages, in firm.yml order (e.g. for buttons)."""
    return [language.name for language in (settings or get_settings()).intake.languages]


# --------------------------------------------------------------------------- messages

def say(language: str, key: str, /, **params: Any) -> str:
    """A message of locales/en.yml (`validation.<key>`) in the language, examples filled in."""
    return get_catalog().say(language, f"validation.{key}", email_example=EMAIL_EXAMPLE,
                             phone_example=PHONE_EXAMPLE, **params)


def _translated_list(language: str, key: str) -> tuple[str, ...]:
    """A firm.yml word list in another language (the items of its translation), or ()."""
    text = get_catalog().translation(language, key)
    return tuple(w.strip().casefold() for w in text.split(LIST_SEPARATOR.strip()) if w.strip()) if text else ()


def skip_words(language: str = "en", settings: Optional[Settings] = None) -> frozenset[str]:
    """What a person may type to skip an optional detail: firm.yml's words and their translation."""
    return frozenset((*(settings or get_settings()).intake.skip_words, *_translated_list(language, "firm.skip_words")))


def problem_label(problem: ProblemType, language: str = "en") -> str:
    """A problem type's label in the language (firm.yml's label, else its translation)."""
    return get_catalog().text(language, f"firm.problem_types.{problem.id}.label") \
        if f"firm.problem_types.{problem.id}.label" in get_catalog().english else problem.label


def problem_aliases(problem: ProblemType, language: str = "en") -> tuple[str, ...]:
    """The words that name a problem type: firm.yml's and their translation."""
    return (*problem.aliases, *_translated_list(language, f"firm.problem_types.{problem.id}.aliases"))


# --------------------------------------------------------------------------- description

def validate_description(text: Any, settings: Optional[Settings] = None, language: str = "en") -> Validated:
    """An optional short description, kept as plain text ("" when skipped).

    Line breaks are kept; HTML and code stay literal text (they are never rendered).
    """
    settings = settings or get_settings()
    if text is None:
        return Validated("", None)
    description = clean_multiline(text)
    if _words_key(description) in skip_words(language, settings) or not description:
        return Validated("", None)
    if len(description) > MAX_DESCRIPTION_LENGTH:
        return Validated(None, say(language, "description_too_long", max=MAX_DESCRIPTION_LENGTH,
                                   length=f"{len(description):,}"))
    return Validated(description, None)


# --------------------------------------------------------------------------- problem type

def problem_types(settings: Optional[Settings] = None) -> tuple[ProblemType, ...]:
    """The configured problem types (firm.yml intake.problem_types)."""
    return (settings or get_settings()).intake.problem_types


def __getattr__(name: str) -> Any:
    """``PROBLEM_TYPES`` is read from firm.yml when first used, not at import time.

    Why: importing this module must not fail (or freeze old values) before the
    settings are ready; each access reflects the cached settings.
    """
    if name == "PROBLEM_TYPES":
        return problem_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def problem_type_label(problem_id: str, settings: Optional[Settings] = None) -> str:
    """The human label for a problem id (the id itself if it is not configured)."""
    problem = (settings or get_settings()).problem_type(problem_id)
    return problem.label if problem else problem_id


def is_urgent_problem(problem_id: str, settings: Optional[Settings] = None) -> bool:
    """True when firm.yml marks this problem type urgent (e.g. detained_now)."""
    problem = (settings or get_settings()).problem_type(problem_id)
    return bool(problem and problem.urgent)


def _problem_choices(types: tuple[ProblemType, ...], language: str) -> str:
    labels = [problem_label(p, language) for p in types]
    return ", ".join(labels[:-1]) + ", or " + labels[-1] if len(labels) > 1 else "".join(labels)


def validate_problem_type(text: Any, settings: Optional[Settings] = None, language: str = "en") -> Validated:
    """The problem type id from an id, a label, a number from the list, or close words.

    "arrested" / "detained" map to detained_now; when several types match, an urgent
    one wins (a person in custody must not be filed as routine). Small typos are
    forgiven ("extradtion").
    """
    settings = settings or get_settings()
    types = problem_types(settings)
    unsure = problem_label(settings.problem_type("other"), language)  # "other" is required by the settings loader
    error = say(language, "problem_unclear", choices=_problem_choices(types, language), unsure=unsure)
    key = _words_key(text)
    if not key:
        return Validated(None, error)
    for problem in types:
        if key in (problem.id, problem.id.replace("_", " "), problem.label.casefold(),
                   problem_label(problem, language).casefold()):
            return Validated(problem.id, None)
    if key.isdigit() and 1 <= int(key) <= len(types):
        return Validated(types[int(key) - 1].id, None)

    matches: list[tuple[bool, int, str]] = []
    for problem in types:
        for alias in (*problem_aliases(problem, language), problem.label.casefold(), problem.id.replace("_", " ")):
            if _contains_phrase(key, alias) is not None:
                matches.append((problem.urgent, len(alias), problem.id))
    if not matches:
        vocabulary = {alias: p for p in types for alias in problem_aliases(p, language)
                      if " " not in alias and len(alias) >= 5}
        for word in re.findall(r"\w+", key):
            close = difflib.get_close_matches(word, list(vocabulary), n=1, cutoff=0.84)
            if close:
                problem = vocabulary[close[0]]
                matches.append((problem.urgent, len(close[0]), problem.id))
    if matches:
        return Validated(max(matches)[2], None)
    return Validated(None, error)
