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


def validate_full_name(text: Any) -> Validated:
    """A person's full name in any script, or a kind error.

    Accepts letters of every script with accents, apostrophes, hyphens and dots
    (O'Brien, Jean-Luc, Đặng, محمد, Иванова, 王小明). Refuses what cannot be a name:
    nothing at all, only digits or punctuation, email addresses, web addresses, emoji
    and symbols, and anything over 120 characters.
    """
    name = clean_line(text)
    if not name:
        return Validated(None, "Please type your full name — for example, Maria Ivanova.")
    if len(name) > MAX_NAME_LENGTH:
        return Validated(None, "That's longer than a name usually is — please type just your full name "
                               f"(up to {MAX_NAME_LENGTH} characters).")
    if "@" in name:
        if _EMAIL_LIKE.search(name):
            return Validated(None, "That looks like an email address. Here I just need your full name — "
                                   "I'll ask how to contact you separately.")
        return Validated(None, "A name can't contain “@”. Please type just your full name.")
    if _URL_LIKE.search(name):
        return Validated(None, "That looks like a web address. Please type just your full name.")
    if any(_is_emoji(ch) for ch in name):
        return Validated(None, "Please type your name without emoji — just the letters of your name.")
    letters = sum(1 for ch in name if unicodedata.category(ch).startswith("L"))
    digits = sum(1 for ch in name if unicodedata.category(ch) == "Nd")
    if letters == 0:
        if digits >= 5:
            return Validated(None, "That looks like a phone number. Here I just need your full name — "
                                   "I'll ask for contact details separately.")
        return Validated(None, "I couldn't find any letters in that. Please type your full name — "
                               "for example, Maria Ivanova.")
    if digits > letters:
        return Validated(None, "That looks mostly like numbers. Please type your full name in letters.")
    for ch in name:
        category = unicodedata.category(ch)
        if category in ("Sm", "So", "Sc", "Co", "Cn", "Cs"):
            return Validated(None, f"A name can't contain “{ch}”. Please type just the letters of your name "
                                   "(apostrophes, hyphens and dots are fine).")
    return Validated(name, None)


# --------------------------------------------------------------------------- contact

_LOCAL_PART = re.compile(r"^[\w!#$%&'*+/=?^`{|}~.-]+$")
_ASCII_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL_CANDIDATE = re.compile(r"[^\s,;<>()\[\]\"]*@[^\s,;<>()\[\]\"]*")
_PHONE_RUN = re.compile(r"[+(]?\d[\d\s().\-/]*\d|\+?\d")
_TRAILING_PUNCT = ".,;:!?'\"»”)]"

_NONE_GIVEN = ("I need a way for the lawyers to reach you — please type an email address "
               f"(like {EMAIL_EXAMPLE}) or a phone number with its country code (like {PHONE_EXAMPLE}).")


def _email_problem(candidate: str) -> Optional[str]:
    """Why this email address cannot be used, or None when it looks right."""
    generic = ("That email address doesn't look complete — it needs a name, an @ and a domain, "
               f"like {EMAIL_EXAMPLE}.")
    if len(candidate) > MAX_EMAIL_LENGTH:
        return f"That email address is too long to be real (over {MAX_EMAIL_LENGTH} characters) — please check it."
    if any(ch.isspace() for ch in candidate):
        return f"An email address can't contain spaces — please check it, like {EMAIL_EXAMPLE}."
    if candidate.count("@") != 1:
        if candidate.count("@") > 1:
            return f"An email address has only one @ — please check it, like {EMAIL_EXAMPLE}."
        return generic
    local, domain = candidate.split("@")
    if not local:
        return f"The part before the @ is missing — an email address looks like {EMAIL_EXAMPLE}."
    if len(local) > 64 or not _LOCAL_PART.match(local) or local.startswith(".") or local.endswith(".") \
            or ".." in local:
        return ("The part before the @ has characters an email address can't have — please check it, "
                f"like {EMAIL_EXAMPLE}.")
    if not domain:
        return f"The part after the @ is missing — an email address looks like {EMAIL_EXAMPLE}."
    labels = domain.split(".")
    if len(labels) < 2 or not labels[-1]:
        return f"The part after the @ needs a domain with an ending such as .com — like {EMAIL_EXAMPLE}."
    try:
        ascii_labels = [label.encode("idna").decode("ascii").lower() if not label.isascii() else label.lower()
                        for label in labels]
    except UnicodeError:
        ascii_labels = []
    if not ascii_labels or not all(_ASCII_LABEL.match(label) for label in ascii_labels):
        return (f"The part after the @ (“{domain}”) doesn't look like a real domain — please check it, "
                f"like {EMAIL_EXAMPLE}.")
    tld = ascii_labels[-1]
    if not ((tld.isalpha() and len(tld) >= 2) or tld.startswith("xn--")):
        return f"The ending of the address (“.{labels[-1]}”) doesn't look right — it is usually like .com or .org."
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


def _phone_problem(number_text: str, region: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(E.164 number, None) when valid, else (None, why it cannot be used)."""
    digits_only = re.sub(r"\D", "", number_text)
    text = number_text.strip()
    if text.startswith("00") and len(digits_only) > 6:
        text = "+" + text[2:].lstrip()
    has_country_code = text.startswith("+")
    if not has_country_code and region is None:
        return None, ("Please add your country code to the phone number, starting with + "
                      f"(for example {PHONE_EXAMPLE}), so the lawyers can call you from any country.")
    try:
        number = phonenumbers.parse(text, None if has_country_code else region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return None, f"The country code at the start of that phone number doesn't exist — please check it, like {PHONE_EXAMPLE}."
        if error.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
            return None, f"That phone number looks too short — please check it, like {PHONE_EXAMPLE}."
        if error.error_type == NumberParseException.TOO_LONG:
            return None, f"That phone number looks too long — please check it, like {PHONE_EXAMPLE}."
        return None, f"That doesn't look like a phone number — please write it like {PHONE_EXAMPLE}."
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164), None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (ValidationResult.TOO_SHORT, ValidationResult.INVALID_LENGTH,
                  ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        return None, f"That phone number looks too short — please check it, with its country code, like {PHONE_EXAMPLE}."
    if reason == ValidationResult.TOO_LONG:
        return None, f"That phone number looks too long — please check it, with its country code, like {PHONE_EXAMPLE}."
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return None, f"The country code at the start of that phone number doesn't exist — please check it, like {PHONE_EXAMPLE}."
    if has_country_code:
        return None, ("That phone number doesn't look right for its country code — please check the digits, "
                      f"like {PHONE_EXAMPLE}.")
    return None, ("That phone number doesn't look right — please write it with your country code, "
                  f"like {PHONE_EXAMPLE}.")


def validate_contact(text: Any, region_hint: Optional[str] = None) -> ContactValidated:
    """An email, a phone number (E.164), or both, from one message.

    ``region_hint`` (ISO alpha-2 such as "GB", or an English country name) lets a
    person type a national number ("020 7946 0958"); without it the number must start
    with its country code. Numbers must be real, dialable numbers (phonenumbers'
    ``is_valid_number``), so the lawyers are not left with a contact that fails.
    """
    if not isinstance(text, str) or not clean_line(text):
        return ContactValidated(None, None, _NONE_GIVEN)
    message = clean_line(text)
    region = region_code(region_hint)

    email: Optional[str] = None
    email_error: Optional[str] = None
    for raw in _EMAIL_CANDIDATE.findall(message):
        candidate = raw.strip(_TRAILING_PUNCT + "(<[").removeprefix("mailto:")
        problem = _email_problem(candidate)
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
        number, problem = _phone_problem(run.strip("()/.- "), region)
        if number:
            phone = phone or number
        else:
            phone_error = phone_error or problem
    if runs and not attempts and not email:
        phone_error = f"That phone number looks too short — please check it, with its country code, like {PHONE_EXAMPLE}."

    if email and phone:
        return ContactValidated(email, phone, None)
    if email or phone:
        left_out = phone_error if email else email_error
        notice = None
        if left_out:
            kept, other = ("email address", "phone number") if email else ("phone number", "email address")
            notice = f"I've noted your {kept}, but left out the {other}: {left_out}"
        return ContactValidated(email, phone, None, notice)
    errors = [e for e in (email_error, phone_error) if e]
    return ContactValidated(None, None, " ".join(errors) if errors else _NONE_GIVEN)


# --------------------------------------------------------------------------- language



def _plausible_language_name(text: str) -> bool:
    """Up to three words made only of letters (and combining marks, for Indic scripts)."""
    words = re.split(r"[ '\-]", text)
    return 0 < len(words) <= 3 and all(
        word and all(unicodedata.category(ch)[0] in "LM" for ch in word) for word in words)


def validate_language(text: Any, settings: Optional[Settings] = None) -> Validated:
    """The language to contact the person in, as a display name the lawyers understand.

    Known languages (firm.yml intake.languages) are recognised in any listed spelling and
    inside short phrases ("English please", "je préfère le français"). An unknown but
    plausible language name (letters only, up to 40 characters) is accepted as typed.
    """
    settings = settings or get_settings()
    key = _words_key(text)
    if not key:
        return Validated(None, "Which language would you like the lawyers to use with you? "
                               "For example English, French, Русский or العربية.")
    best: Optional[tuple[int, str]] = None
    for language in settings.intake.languages:
        names = {language.name.casefold(), *language.aliases}
        if key in names:
            return Validated(language.name, None)
        for alias in names:
            if len(alias) < 3 and alias.isascii():
                continue  # two-letter codes ("it", "de") only count on their own
            position = _contains_phrase(key, alias)
            if position is not None and (best is None or position < best[0]):
                best = (position, language.name)
    if best:
        return Validated(best[1], None)
    shown = clean_line(text).strip(" .,!?;:")
    if len(shown) <= MAX_LANGUAGE_LENGTH and _plausible_language_name(shown):
        return Validated(shown.title() if shown.islower() or shown.isupper() else shown, None)
    if len(shown) > MAX_LANGUAGE_LENGTH:
        return Validated(None, f"Please type just the name of the language (up to {MAX_LANGUAGE_LENGTH} "
                               "characters) — for example English, French or Русский.")
    return Validated(None, "I didn't recognise that as a language. Please type the language's name — "
                           "for example English, French, Русский or العربية.")


def language_names(settings: Optional[Settings] = None) -> list[str]:
    """Display names of the configured languages, in firm.yml order (e.g. for buttons)."""
    return [language.name for language in (settings or get_settings()).intake.languages]


# --------------------------------------------------------------------------- description

def validate_description(text: Any, settings: Optional[Settings] = None) -> Validated:
    """An optional short description, kept as plain text ("" when skipped).

    Line breaks are kept; HTML and code stay literal text (they are never rendered).
    """
    settings = settings or get_settings()
    if text is None:
        return Validated("", None)
    description = clean_multiline(text)
    if _words_key(description) in settings.intake.skip_words or not description:
        return Validated("", None)
    if len(description) > MAX_DESCRIPTION_LENGTH:
        return Validated(None, f"That's a little long — please keep it under {MAX_DESCRIPTION_LENGTH} characters "
                               f"(yours has {len(description):,}). A short outline is enough; the lawyer "
                               "will ask for the details.")
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


def _problem_choices(types: tuple[ProblemType, ...]) -> str:
    labels = [p.label for p in types]
    return ", ".join(labels[:-1]) + ", or " + labels[-1] if len(labels) > 1 else "".join(labels)


def validate_problem_type(text: Any, settings: Optional[Settings] = None) -> Validated:
    """The problem type id from an id, a label, a number from the list, or close words.

    "arrested" / "detained" map to detained_now; when several types match, an urgent
    one wins (a person in custody must not be filed as routine). Small typos are
    forgiven ("extradtion").
    """
    settings = settings or get_settings()
    types = problem_types(settings)
    unsure = settings.problem_type("other").label  # "other" is required by the settings loader
    error = (f"I'm not sure which of these fits best. Please choose one: {_problem_choices(types)}. "
             f"If you don't know, choose “{unsure}”: the lawyer will find out with you.")
    key = _words_key(text)
    if not key:
        return Validated(None, error)
    for problem in types:
        if key in (problem.id, problem.id.replace("_", " "), problem.label.casefold()):
            return Validated(problem.id, None)
    if key.isdigit() and 1 <= int(key) <= len(types):
        return Validated(types[int(key) - 1].id, None)

    matches: list[tuple[bool, int, str]] = []
    for problem in types:
        for alias in (*problem.aliases, problem.label.casefold(), problem.id.replace("_", " ")):
            if _contains_phrase(key, alias) is not None:
                matches.append((problem.urgent, len(alias), problem.id))
    if not matches:
        vocabulary = {alias: p for p in types for alias in p.aliases if " " not in alias and len(alias) >= 5}
        for word in re.findall(r"\w+", key):
            close = difflib.get_close_matches(word, list(vocabulary), n=1, cutoff=0.84)
            if close:
                problem = vocabulary[close[0]]
                matches.append((problem.urgent, len(close[0]), problem.id))
    if matches:
        return Validated(max(matches)[2], None)
    return Validated(None, error)
