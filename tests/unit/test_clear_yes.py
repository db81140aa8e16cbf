"""Consent and "send my request" are taken only from a clear yes (actions/common.py)."""
from __future__ import annotations

from typing import Any, Dict

import pytest

from actions.common import is_clear_yes


def message(intent: str, confidence: float) -> Dict[str, Any]:
    return {"text": "...", "intent": {"name": intent, "confidence": confidence}}


@pytest.mark.parametrize("parsed, clear", [
    (message("affirm", 1.0), True),  # a button: "/affirm"
    (message("affirm", 0.9), True),  # exactly the threshold
    (message("affirm", 0.89), False),  # a yes the classifier is unsure of
    (message("hesitate", 0.99), False),
    (message("deny", 1.0), False),
    ({"text": "", "intent": {}}, False),  # nothing understood
    ({"text": ""}, False),
])
def test_only_an_affirm_at_or_above_the_threshold_is_a_clear_yes(parsed: Dict[str, Any], clear: bool) -> None:
    assert is_clear_yes(parsed, 0.9) is clear
