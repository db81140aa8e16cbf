"""The consultation request through the REST webhook: validated, consented, stored once,
and what the person sees matches what the lawyers get."""
from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from intake.store import open_store
from intake.store_interface import IntakeStore
from ops.stack import Stack, free_port
from tests.chat import Chat
from tests.unit.test_encryption_at_rest import assert_no_clear_text, raw_database, raw_files

REFERENCE = re.compile(r"\bIC-[A-Z0-9]{4}-[A-Z0-9]{4}\b")

# (what the person types or clicks, what the assistant asks next)
STEPS: List[Tuple[str, str]] = [
    ("I would like a consultation", "Do you agree"),
    ("/affirm", "full name"),
    ("Maria Ivanova", "How can a lawyer reach you"),
    ("maria.ivanova@example.com", "Which country are you in"),
    ("Germany", "Which country issued"),
    ("Russia", "What kind of problem"),
    ('/inform{"problem_type":"red_notice"}', "Which language"),
    ('/inform{"language":"English"}', "describe your situation"),
    ("skip", "Please check your request"),
    ("/affirm", "reference number"),
]


def fill(chat: Chat, answers: Optional[Dict[int, str]] = None, upto: int = len(STEPS)) -> str:
    """Walks the form; `answers` replaces what is typed at some steps. Returns the last reply."""
    reply = ""
    for index, (typed, expected) in enumerate(STEPS[:upto]):
        reply = chat.text((answers or {}).get(index, typed))
        assert expected in reply, f"step {index} ({typed!r}): {reply}"
    return reply


def store_of(stack: Stack) -> IntakeStore:
    return open_store(f"sqlite:///{stack.run_dir / 'intake.db'}")


def stored_for(store: IntakeStore, conversation_id: str) -> list:
    return [row for row in store.list(limit=10_000) if row.conversation_id == conversation_id]


def test_full_request_is_stored_with_the_reference_shown(stack: Stack, chat: Chat) -> None:
    reply = fill(chat)
    reference = REFERENCE.search(reply).group(0)
    row = store_of(stack).get(reference)
    assert row is not None
    assert (row.full_name, row.email, row.current_country, row.issuing_country) == (
        "Maria Ivanova", "maria.ivanova@example.com", "Germany", "Russia")
    assert row.problem_type == "red_notice" and row.language == "English"
    assert row.channel == "rest" and row.consent_version and row.consent_at
    assert not row.urgent


def test_consent_refused_stores_nothing(stack: Stack, chat: Chat) -> None:
    fill(chat, upto=1)
    answer = chat.text("/deny")
    assert "haven't stored any personal details" in answer
    assert stored_for(store_of(stack), chat.sender) == []


@pytest.mark.parametrize(
    "step, bad, message",
    ids=["long-name", "digits-name", "email", "phone", "unknown-country", "misspelt-country",
         "problem", "language", "long-description"],
    argvalues=
    [
        (2, "x" * 300, "longer than a name"),
        (2, "12345", "name"),
        (3, "maria@", "email"),
        (3, "+1 23", "phone"),
        (4, "Atlantis", "couldn't find"),
        (5, "frence", "France"),
        (6, "banana", "Red Notice"),
        (7, "1234!!", "language"),
        (8, "y" * 1500, "1000"),
    ],
)
def test_each_invalid_answer_is_explained_and_asked_again(
    chat: Chat, step: int, bad: str, message: str
) -> None:
    fill(chat, upto=step)
    answer = chat.text(bad)
    assert message in answer
    assert STEPS[step - 1][1] in answer  # the same question again


@pytest.mark.parametrize("typed", ["um", "hmm", "I guess", "not sure", "mhm"])
@pytest.mark.parametrize("step", [1, 9], ids=["consent", "submit"])
def test_hesitation_is_never_taken_as_a_yes(stack: Stack, chat: Chat, step: int, typed: str) -> None:
    """Neither consent nor "send my request" on a "hmm" or a mumbled "mhm" (an affirm the
    classifier is unsure of): the question comes again, nothing is stored, and a clear yes
    afterwards goes on as usual."""
    fill(chat, upto=step)
    answer = chat.text(typed)
    assert STEPS[step - 1][1] in answer  # the same question again
    assert "reference number" not in answer and "haven't stored" not in answer
    assert stored_for(store_of(stack), chat.sender) == []
    assert STEPS[step][1] in chat.text("/affirm")


def test_ten_thousand_character_name_is_refused_and_the_form_goes_on(chat: Chat) -> None:
    fill(chat, upto=2)
    with pytest.raises(urllib.error.HTTPError) as refused:
        chat.say("x" * 10_000)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"] == "message_too_long"
    assert "How can a lawyer reach you" in chat.text("Maria Ivanova")


def test_three_misses_offer_another_way(chat: Chat) -> None:
    fill(chat, upto=4)
    for _ in range(2):
        chat.text("Atlantis")
    third = chat.text("Atlantis")
    assert "contact the firm directly" in third
    # the country is required: "skip" would not work here, so it is not suggested
    assert "skip" not in third and "cancel" in third


def test_question_mid_form_is_answered_then_the_form_goes_on(chat: Chat) -> None:
    fill(chat, upto=2)
    answer = chat.text("wait, what is a yellow notice?")
    assert "Yellow" in answer and "full name" in answer
    for typed, expected in STEPS[2:]:
        assert expected in chat.text(typed)


def test_correcting_an_answer_before_submitting(stack: Stack, chat: Chat) -> None:
    fill(chat, upto=9)
    assert "Which answer would you like to change" in chat.text("/deny")
    assert "Which country are you in" in chat.text('/inform{"topic":"change:current_country"}')
    summary = chat.text("France")
    assert "Country you are in: France" in summary
    reference = REFERENCE.search(chat.text("/affirm")).group(0)
    assert store_of(stack).get(reference).current_country == "France"


def test_cancel_mid_form_stores_nothing(stack: Stack, chat: Chat) -> None:
    fill(chat, upto=5)
    assert "stored nothing" in chat.text("cancel")
    assert stored_for(store_of(stack), chat.sender) == []


def test_submitting_the_same_conversation_twice_creates_one_request(stack: Stack, chat: Chat) -> None:
    first = REFERENCE.search(fill(chat)).group(0)
    again = fill(chat, {9: "/affirm"}, upto=9)
    assert "Please check" in again
    second = chat.text("/affirm")
    assert "already received" in second and first in second
    assert len(stored_for(store_of(stack), chat.sender)) == 1


def test_urgent_case_is_flagged(stack: Stack, chat: Chat) -> None:
    chat.text("my brother is detained at the border right now")
    assert "Do you agree" in chat.text("yes")
    reply = ""
    for typed, _ in STEPS[1:]:
        reply = chat.text(typed)
    reference = REFERENCE.search(reply).group(0)
    assert "priority" in reply
    assert store_of(stack).get(reference).urgent


def test_delete_my_data_erases_request_and_conversation(stack: Stack, chat: Chat) -> None:
    reference = REFERENCE.search(fill(chat)).group(0)
    answer = chat.text("please delete my data")
    assert "erased" in answer
    assert store_of(stack).get(reference) is None
    with sqlite3.connect(stack.run_dir / "tracker.db") as connection:
        (left,) = connection.execute(
            "select count(*) from events where sender_id = ?", (chat.sender,)
        ).fetchone()
    assert left == 0
    assert "automated assistant" in chat.text("hi")  # a new conversation starts


@pytest.mark.parametrize(
    "step, value, stored_as",
    [
        (2, "Robert'); DROP TABLE intake_requests;--", None),
        (2, "محمد علي", "محمد علي"),
        (2, "Zoë O'Brien-Łukasz", "Zoë O'Brien-Łukasz"),
        (8, "<script>alert('x')</script> they said I owe money 😟", "<script>alert('x')</script>"),
    ],
)
def test_odd_input_is_stored_safely_or_refused(
    stack: Stack, chat: Chat, step: int, value: str, stored_as: Optional[str]
) -> None:
    fill(chat, upto=step)
    reply = chat.text(value)
    if stored_as is None and (STEPS[step - 1][1] in reply or "stored nothing" in reply):
        # refused (the question again) or read as "cancel": either way nothing is stored
        assert stored_for(store_of(stack), chat.sender) == []
        return
    answers = {step: value}
    for index in range(step + 1, len(STEPS)):
        reply = chat.text(answers.get(index, STEPS[index][0]))
    reference = REFERENCE.search(reply).group(0)
    row = store_of(stack).get(reference)
    stored = row.full_name if step == 2 else row.description
    assert stored_as is None or stored_as in stored


def test_empty_message_gets_an_answer(chat: Chat) -> None:
    fill(chat, upto=3)
    chat.say("")
    assert "How can a lawyer reach you" in chat.text("hmm")


@pytest.fixture(scope="module")
def postgres_stack(intake_postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A second assistant whose requests and conversations live in PostgreSQL."""
    env = {"DATABASE_URL": intake_postgres_url, "TRACKER_DATABASE_URL": intake_postgres_url}
    running = Stack(free_port(), free_port(), None, tmp_path_factory.mktemp("pg"), extra_env=env)
    yield running.start()
    running.stop()


def test_full_request_is_stored_in_postgresql(postgres_stack: Stack, intake_postgres_url: str) -> None:
    chat = Chat(postgres_stack.rasa_url)
    reference = REFERENCE.search(fill(chat)).group(0)
    row = open_store(intake_postgres_url).get(reference)
    assert row is not None and row.full_name == "Maria Ivanova"


def known_consultation(stack: Stack) -> Tuple[str, Tuple[str, str, str]]:
    """A full consultation with a name, email and story found nowhere else; returns its reference."""
    token = uuid.uuid4().hex[:10]
    known = ("Zarina Kholmatova", f"zarina.{token}@example.org", f"Held in Dubai since Monday, file {token}")
    reply = fill(Chat(stack.rasa_url), {2: known[0], 3: known[1], 8: known[2]})
    return REFERENCE.search(reply).group(0), known


def test_a_consultation_leaves_no_personal_data_in_clear_in_the_sqlite_files(stack: Stack) -> None:
    reference, known = known_consultation(stack)
    assert store_of(stack).get(reference).description == known[2]
    for name in ("intake.db", "tracker.db"):
        files = [path for path in Path(stack.run_dir).iterdir() if path.name.startswith(name)]
        assert_no_clear_text(b"".join(path.read_bytes() for path in files), known)
    spool = Path(stack.run_dir) / "spool"
    if spool.exists():
        assert_no_clear_text(raw_files(spool), known)


def test_a_consultation_leaves_no_personal_data_in_clear_in_postgresql(postgres_stack: Stack,
                                                                       intake_postgres_url: str) -> None:
    reference, known = known_consultation(postgres_stack)
    assert open_store(intake_postgres_url).get(reference).email == known[1]
    assert_no_clear_text(raw_database(intake_postgres_url), known)
