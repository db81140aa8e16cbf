"""Human-readable request references such as ``IC-7KQ4-M2XD``.

Why: a person may read their reference aloud on the phone or copy it by hand, so it is
short and uses an alphabet without look-alike characters (no 0/O, 1/I/L). 8 random
characters from 31 symbols give ~8.5e11 possibilities; the store still retries on
the (unlikely) collision because the column is UNIQUE.
"""

from __future__ import annotations

import re
import secrets
from typing import Optional

ALPHABET: str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS: int = 2
GROUP_SIZE: int = 4

_SEPARATORS = re.compile(r"[\s\-_.–—]+")


def new_reference(prefix: str = "IC") -> str:
    """A fresh random reference, e.g. ``IC-7KQ4-M2XD`` (cryptographic randomness, so not guessable)."""
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS)]
    return "-".join([prefix.upper(), *groups])


def normalize_reference(text: str, prefix: str = "IC") -> Optional[str]:
    """Canonical form of a reference typed by a person, or None if it cannot be one.

    Accepts lower case, missing or different dashes and spaces ("ic 7kq4m2xd").
    """
    if not isinstance(text, str):
        return None
    compact = _SEPARATORS.sub("", text.strip().upper())
    prefix = prefix.upper()
    if compact.startswith(prefix):
        compact = compact[len(prefix):]
    body_length = GROUPS * GROUP_SIZE
    if len(compact) != body_length or any(ch not in ALPHABET for ch in compact):
        return None
    groups = [compact[i:i + GROUP_SIZE] for i in range(0, body_length, GROUP_SIZE)]
    return "-".join([prefix, *groups])


def is_reference(text: str, prefix: str = "IC") -> bool:
    """True when ``text`` is already a reference in canonical form."""
    return normalize_reference(text, prefix) == text
