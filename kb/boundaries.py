"""The lines the assistant never crosses, as phrases found anywhere in a message.

Read from knowledge/boundaries.yml, checked with the knowledge file's messages (file, entry,
field). Plain Python: the actions ask `states_evasion(text)` before answering anything, so
a stated purpose of evading arrest wins over the question it comes with, and
`states_detention(text)`, so that someone detained now hears the emergency line first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from kb.loader import PROJECT_ROOT, Checker, display_path, read_yaml
from kb.retrieve import phrase_score
from kb.text import normalize

DEFAULT_BOUNDARIES_PATH = PROJECT_ROOT / "knowledge" / "boundaries.yml"


@dataclass(frozen=True)
class Boundaries:
    evasion: tuple[str, ...]
    detention: tuple[str, ...]

    def states_evasion(self, text: str | None) -> bool:
        """Whether the message states a purpose of evading arrest or extradition."""
        return phrase_score(self.evasion, normalize(text or "")) > 0

    def states_detention(self, text: str | None) -> bool:
        """Whether the message says that someone is (or was just) arrested or detained."""
        return phrase_score(self.detention, normalize(text or "")) > 0


def load_boundaries(path: str | Path) -> Boundaries:
    check = Checker(display_path(path))
    raw = read_yaml(Path(path), check)
    check.fields("boundaries", raw, {"evasion", "detention"}, ("evasion", "detention"))
    return Boundaries(**{name: _phrases(check, raw, name) for name in ("evasion", "detention")})


def _phrases(check: Checker, raw: dict, name: str) -> tuple[str, ...]:
    phrases = check.text_list("boundaries", raw, name)
    for phrase in phrases:
        if phrase != phrase.lower():
            check.fail(f"{name}: phrase '{phrase}' must be lowercase")
    return tuple(phrases)


@functools.lru_cache(maxsize=1)
def get_boundaries() -> Boundaries:
    """knowledge/boundaries.yml, read once per process."""
    return load_boundaries(DEFAULT_BOUNDARIES_PATH)
