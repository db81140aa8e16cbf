"""The REST webhook's limits, over real HTTP against the running servers.

Every bad request gets a clean JSON error with the right status, and the server goes on
answering valid messages after each one. The bearer-token checks run against a second,
small stack started with REST_WEBHOOK_TOKEN set.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

from ops.stack import Stack, free_port

MAX_MESSAGE_LENGTH = 2000  # credentials.yml
RATE_LIMIT_PER_MINUTE = 30  # credentials.yml
MAX_SENDER_LENGTH = 128  # credentials.yml
TOKEN = "test-rest-token-" + uuid.uuid4().hex


@dataclass
class Answer:
    status: int
    headers: Dict[str, str]
    body: Any

    @property
    def error(self) -> Optional[str]:
        return self.body.get("error") if isinstance(self.body, dict) else None


def post(
    stack: Stack, body: Any, *, raw: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None,
) -> Answer:
    """POSTs to the REST webhook and returns status, headers and decoded JSON (never raises
    on an HTTP error status)."""
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer_headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as failure:
        status, answer_headers, payload = failure.code, dict(failure.headers), failure.read()
    try:
        decoded = json.loads(payload or b"null")
    except ValueError:
        decoded = payload.decode(errors="replace")
    return Answer(status, {key.lower(): value for key, value in answer_headers.items()}, decoded)


def sender() -> str:
    return f"limits-{uuid.uuid4().hex[:12]}"


def assert_clean_error(answer: Answer, status: int, error: str) -> None:
    assert answer.status == status, answer
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers
    assert answer.error == error, answer.body
    assert isinstance(answer.body.get("message"), str) and answer.body["message"]
    assert "Traceback" not in json.dumps(answer.body)


def assert_still_answers(stack: Stack, headers: Optional[Dict[str, str]] = None) -> None:
    """A valid message from a new sender still gets a non-empty reply."""
    answer = post(stack, {"sender": sender(), "message": "hi"}, headers=headers)
    assert answer.status == 200, answer
    assert isinstance(answer.body, list) and answer.body, answer.body
    assert all(reply.get("recipient_id") for reply in answer.body)
    assert any(reply.get("text") for reply in answer.body)


# ------------------------------------------------------------------ the contract


def test_valid_message_gets_the_standard_reply_shape(stack: Stack) -> None:
    who = sender()
    answer = post(stack, {"sender": who, "message": "hi", "metadata": {"source": "partner"}})
    assert answer.status == 200
    assert isinstance(answer.body, list) and answer.body
    assert all(reply["recipient_id"] == who for reply in answer.body)
    assert any(isinstance(reply.get("text"), str) and reply["text"] for reply in answer.body)


def test_message_of_exactly_the_maximum_length_is_accepted(stack: Stack) -> None:
    answer = post(stack, {"sender": sender(), "message": "a" * MAX_MESSAGE_LENGTH})
    assert answer.status == 200, answer
    assert isinstance(answer.body, list)


# ---------------------------------------------------------------------- errors


def test_too_long_message_is_413_with_the_limit(stack: Stack) -> None:
    who = sender()
    answer = post(stack, {"sender": who, "message": "a" * (MAX_MESSAGE_LENGTH + 1)})
    assert_clean_error(answer, 413, "message_too_long")
    assert answer.body["max_length"] == MAX_MESSAGE_LENGTH
    # the same sender can go on with a shorter message
    assert post(stack, {"sender": who, "message": "hi"}).status == 200
    assert_still_answers(stack)


def test_oversized_body_is_413(stack: Stack) -> None:
    answer = post(stack, {"sender": sender(), "message": "hi", "metadata": {"x": "y" * 70_000}})
    assert_clean_error(answer, 413, "body_too_large")
    assert_still_answers(stack)


@pytest.mark.parametrize(
    "raw",
    [b'{"sender": "a", "message": "hi"', b"not json at all", b"", b"\xff\xfe\x00garbage"],
    ids=["truncated", "text", "empty", "binary"],
)
def test_malformed_json_is_400(stack: Stack, raw: bytes) -> None:
    assert_clean_error(post(stack, None, raw=raw), 400, "invalid_json")
    assert_still_answers(stack)


def test_json_that_is_not_an_object_is_400(stack: Stack) -> None:
    assert_clean_error(post(stack, ["sender", "message"]), 400, "invalid_request")
    assert_still_answers(stack)


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hi"},
        {"sender": None, "message": "hi"},
        {"sender": 12345, "message": "hi"},
        {"sender": {"id": "x"}, "message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "x" * (MAX_SENDER_LENGTH + 1), "message": "hi"},
    ],
    ids=["missing", "null", "number", "object", "empty", "too-long"],
)
def test_missing_or_bad_sender_is_400(stack: Stack, body: Dict[str, Any]) -> None:
    assert_clean_error(post(stack, body), 400, "invalid_sender")
    assert_still_answers(stack)


@pytest.mark.parametrize(
    "body",
    [
        {"sender": "someone"},
        {"sender": "someone", "message": None},
        {"sender": "someone", "message": 42},
        {"sender": "someone", "message": ["hi"]},
        {"sender": "someone", "message": {"text": "hi"}},
    ],
    ids=["missing", "null", "number", "list", "object"],
)
def test_missing_or_non_string_message_is_400(stack: Stack, body: Dict[str, Any]) -> None:
    body = {**body, "sender": sender()}
    assert_clean_error(post(stack, body), 400, "invalid_message")
    assert_still_answers(stack)


def test_non_object_metadata_is_400(stack: Stack) -> None:
    answer = post(stack, {"sender": sender(), "message": "hi", "metadata": "from partner"})
    assert_clean_error(answer, 400, "invalid_metadata")
    assert_still_answers(stack)


@pytest.mark.parametrize("levels", [5_000, 40], ids=["past-the-parser", "past-the-limit"])
def test_deeply_nested_metadata_is_400(stack: Stack, levels: int) -> None:
    nested = "[" * levels + "]" * levels
    raw = ('{"sender": "%s", "message": "hi", "metadata": {"x": %s}}' % (sender(), nested)).encode()
    assert_clean_error(post(stack, None, raw=raw), 400, "too_deeply_nested")
    assert_still_answers(stack)


def test_without_a_configured_token_no_authorization_is_needed(stack: Stack) -> None:
    answer = post(stack, {"sender": sender(), "message": "hi"}, headers={"Authorization": "Bearer x"})
    assert answer.status == 200


# ------------------------------------------------------------------ rate limit


def test_rate_limit_is_per_sender_and_says_when_to_retry(stack: Stack) -> None:
    busy, other = sender(), sender()
    accepted = 0
    limited: Optional[Answer] = None
    # The bucket holds 30 and refills at one message per 2 s while we send: bounded loop.
    for _ in range(RATE_LIMIT_PER_MINUTE * 3):
        answer = post(stack, {"sender": busy, "message": "hi"})
        if answer.status == 429:
            limited = answer
            break
        assert answer.status == 200, answer
        accepted += 1
    assert limited is not None, f"no 429 after {accepted} messages from one sender"
    assert accepted >= RATE_LIMIT_PER_MINUTE
    assert_clean_error(limited, 429, "rate_limited")
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert limited.body["retry_after"] == retry_after

    # another sender is not affected, and the limited one is still limited right away
    answer = post(stack, {"sender": other, "message": "hi"})
    assert answer.status == 200 and answer.body, answer
    assert post(stack, {"sender": busy, "message": "hi"}).status == 429

    # a bad request from the limited sender is still answered as bad, not as limited
    assert_clean_error(post(stack, {"sender": busy, "message": 7}), 400, "invalid_message")


# ---------------------------------------------------------------- bearer token


@pytest.fixture(scope="module")
def token_stack(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A second assistant with REST_WEBHOOK_TOKEN set (after the shared one trained)."""
    run_dir: Path = tmp_path_factory.mktemp("token-stack")
    running = Stack(
        free_port(), free_port(), None, run_dir, extra_env={"REST_WEBHOOK_TOKEN": TOKEN}
    ).start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong", "longer", "basic-scheme", "no-scheme", "empty"],
)
def test_token_required_when_configured(token_stack: Stack, headers: Dict[str, str]) -> None:
    answer = post(token_stack, {"sender": sender(), "message": "hi"}, headers=headers)
    assert_clean_error(answer, 401, "unauthorized")
    assert answer.headers.get("www-authenticate", "").startswith("Bearer")
    assert_still_answers(token_stack, headers={"Authorization": f"Bearer {TOKEN}"})


def test_right_token_gets_a_reply(token_stack: Stack) -> None:
    for scheme in ("Bearer", "bearer"):
        answer = post(
            token_stack, {"sender": sender(), "message": "hi"},
            headers={"Authorization": f"{scheme} {TOKEN}"},
        )
        assert answer.status == 200, answer
        assert answer.body and any(reply.get("text") for reply in answer.body)


def test_token_is_checked_before_anything_else(token_stack: Stack) -> None:
    """Without the token even a malformed request learns nothing but 401."""
    assert_clean_error(post(token_stack, None, raw=b"{broken"), 401, "unauthorized")
    answer = post(token_stack, None, raw=b"{broken", headers={"Authorization": f"Bearer {TOKEN}"})
    assert_clean_error(answer, 400, "invalid_json")
